package policy

import (
	"slices"
	"strings"
)

// principalSet is a compiled Principal or NotPrincipal element.
type principalSet struct {
	any       bool     // "*" or {"AWS": "*"}
	accounts  []string // 12-digit IDs, from "123456789012" or "arn:<p>:iam::123456789012:root"
	arns      []string // user, role, assumed-role session, federated-user ARNs; unique IDs
	services  []string // lowercased
	federated []string
	canonical []string
}

// grant says how strongly a resource-based policy names the principal, which
// decides whether implicit denies elsewhere still apply (see doc.go).
type grant uint8

const (
	grantNone    grant = iota
	grantAccount       // names the principal's account: delegation only
	grantRole          // names the role ARN of an assumed-role session
	grantDirect        // names the principal itself (its ARN, service, "*")
)

func compilePrincipal(v *jvalue, loc string) (*principalSet, error) {
	ps := &principalSet{}
	if v.kind == jString {
		if v.str != "*" {
			return nil, errorf(loc, "must be \"*\" or an object like {\"AWS\": ...}, not %s", quote(v.str))
		}
		ps.any = true
		return ps, nil
	}
	if v.kind != jObject {
		return nil, errorf(loc, "must be \"*\" or an object, not %s", v.kind)
	}
	if len(v.obj) == 0 {
		return nil, errorf(loc, "is empty")
	}
	for _, f := range v.obj {
		floc := loc + "." + f.key
		vals, err := scalarList(&f.val, floc, false)
		if err != nil {
			return nil, err
		}
		for _, s := range vals {
			if s == "" {
				return nil, errorf(floc, "empty principal")
			}
			switch f.key {
			case "AWS":
				if err := ps.addAWS(s, floc); err != nil {
					return nil, err
				}
			case "Service":
				ps.services = append(ps.services, strings.ToLower(s))
			case "Federated":
				ps.federated = append(ps.federated, s)
			case "CanonicalUser":
				ps.canonical = append(ps.canonical, s)
			default:
				return nil, errorf(loc, "unknown principal type %s", quote(f.key))
			}
		}
	}
	return ps, nil
}

func (ps *principalSet) addAWS(s, loc string) error {
	switch {
	case s == "*":
		ps.any = true
	case len(s) == 12 && isDigits(s):
		ps.accounts = append(ps.accounts, s)
	case strings.HasPrefix(s, "arn:"):
		if strings.ContainsAny(s, "*?") {
			return errorf(loc, "Invalid principal in policy: %s (wildcards are not allowed in principal ARNs)", quote(s))
		}
		a := splitARN(s)
		if !a.ok || a.seg[1] == "" || (a.seg[2] != "iam" && a.seg[2] != "sts") || a.seg[5] == "" {
			return errorf(loc, "Invalid principal in policy: %s", quote(s))
		}
		if a.seg[2] == "iam" && a.seg[5] == "root" {
			if len(a.seg[4]) != 12 || !isDigits(a.seg[4]) {
				return errorf(loc, "Invalid principal in policy: %s", quote(s))
			}
			ps.accounts = append(ps.accounts, a.seg[4])
			return nil
		}
		ps.arns = append(ps.arns, s)
	case isUniqueID(s):
		// IAM stores principals as unique IDs (AIDA..., AROA...); keep them so
		// round-tripped documents parse. They match nothing here.
		ps.arns = append(ps.arns, s)
	default:
		return errorf(loc, "Invalid principal in policy: %s", quote(s))
	}
	return nil
}

func isUniqueID(s string) bool {
	if len(s) < 16 || len(s) > 128 || s[0] != 'A' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// anonymous reports whether p carries no identity at all (unsigned request).
func (p *Principal) anonymous() bool {
	return p.ARN == "" && p.Account == "" && p.Service == "" && p.Federated == "" && p.CanonicalUser == ""
}

// match reports how the Principal element names p.
func (ps *principalSet) match(p *Principal) grant {
	if ps.any {
		return grantDirect
	}
	if p.ARN != "" && slices.Contains(ps.arns, p.ARN) {
		return grantDirect
	}
	if p.Service != "" && containsFold(ps.services, p.Service) {
		return grantDirect
	}
	if p.Federated != "" && slices.Contains(ps.federated, p.Federated) {
		return grantDirect
	}
	if p.CanonicalUser != "" && slices.Contains(ps.canonical, p.CanonicalUser) {
		return grantDirect
	}
	if p.RoleARN != "" && slices.Contains(ps.arns, p.RoleARN) {
		return grantRole
	}
	if p.Account != "" && slices.Contains(ps.accounts, p.Account) {
		if p.IsRoot {
			return grantDirect
		}
		return grantAccount
	}
	return grantNone
}

// excludes reports whether a NotPrincipal element exempts p. AWS checks
// every identity of the caller: a user is exempt only if both its ARN and
// its account are listed; a role session only if the session ARN, the role
// ARN and the account are all listed.
func (ps *principalSet) excludes(p *Principal) bool {
	if ps.any {
		return true
	}
	switch {
	case p.Service != "":
		return containsFold(ps.services, p.Service)
	case p.CanonicalUser != "" && slices.Contains(ps.canonical, p.CanonicalUser):
		return true
	case p.Federated != "" && p.ARN == "":
		return slices.Contains(ps.federated, p.Federated)
	case p.anonymous():
		return false
	}
	acct := p.Account != "" && slices.Contains(ps.accounts, p.Account)
	if p.IsRoot {
		return acct
	}
	self := p.ARN != "" && slices.Contains(ps.arns, p.ARN)
	role := p.RoleARN == "" || slices.Contains(ps.arns, p.RoleARN)
	return self && role && acct
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
