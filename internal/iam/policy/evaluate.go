package policy

import (
	"strings"
)

// Principal is the identity a request is evaluated for.
type Principal struct {
	ARN     string // arn:aws:iam::123456789012:user/path/alice, :root, arn:aws:sts::acct:assumed-role/R/sess
	Account string
	// RoleARN is set for assumed-role sessions (the arn:aws:iam::acct:role/path/name
	// form): resource and trust policies naming the role cover its sessions.
	RoleARN string
	Service string // for service principals, e.g. "ec2.amazonaws.com"
	IsRoot  bool
	// Federated is the identity provider of a web-identity or SAML caller
	// before it has a role session ("accounts.google.com",
	// "arn:aws:iam::acct:saml-provider/name"); matched by {"Federated": ...}.
	Federated string
	// CanonicalUser is the S3 canonical user ID, matched by {"CanonicalUser": ...}.
	CanonicalUser string
}

// Request is one authorization question.
type Request struct {
	Principal       Principal
	Action          string // "s3:GetObject" (service prefix and action case-insensitive)
	Resource        string // one ARN, "*" when the action has no resource
	ResourceAccount string // account owning the resource ("" = same as principal)
	// Context maps condition keys to values. Key lookup is case-insensitive;
	// keys that are already lowercase (see NormalizeContext) avoid a copy per
	// evaluation. Dates are RFC 3339 or epoch seconds, booleans "true"/"false",
	// BinaryEquals keys hold the raw bytes.
	Context map[string][]string
}

// PolicySet is everything that applies to one request.
type PolicySet struct {
	Identity []*Named // identity-based policies of the principal (user + its groups, or role)
	Resource []*Named // resource-based or trust policies on the resource (may be empty)
	Boundary *Named   // permissions boundary of the principal, nil if none
	Session  []*Named // session policies; nil: the session has none (no restriction); non-nil: one of them must allow
}

// Named is a document with the ID used to report it in decisions (an ARN, or
// "user/alice/inline/p1").
type Named struct {
	ID  string
	Doc *Document
}

// Decision is the outcome of Evaluate.
type Decision struct {
	Allowed bool
	Reason  Reason  // why, for AWS's denial message
	Matched []Match // statements that decided: the explicit denies, or the allows that granted
}

// Match names one statement.
type Match struct {
	PolicyID string
	Sid      string
	Index    int    // statement index in the document, 0-based
	Effect   string // "Allow" or "Deny"
}

// Reason says why a request was allowed or denied.
type Reason int

const (
	Allowed                     Reason = iota + 1
	ExplicitDenyIdentity               // a Deny in an identity-based policy
	ExplicitDenyResource               // a Deny in a resource-based (or trust) policy
	ExplicitDenyBoundary               // a Deny in the permissions boundary
	ExplicitDenySession                // a Deny in a session policy
	NoIdentityAllow                    // implicit deny: no identity-based policy allows
	NoBoundaryAllow                    // implicit deny: the permissions boundary does not allow
	NoSessionAllow                     // implicit deny: no session policy allows
	NoResourceAllowCrossAccount        // cross-account request and no resource-based policy allows
	NoResourceAllow                    // a resource policy must allow (trust policy, anonymous or service caller) and none does
)

// String returns AWS's message tail without the action, e.g. "with an
// explicit deny in an identity-based policy".
func (r Reason) String() string { return r.Tail("") }

// Explicit reports whether r is an explicit deny.
func (r Reason) Explicit() bool { return r >= ExplicitDenyIdentity && r <= ExplicitDenySession }

// Tail returns the end of AWS's AccessDenied message for action, e.g.
// "because no identity-based policy allows the s3:GetObject action".
func (r Reason) Tail(action string) string {
	the := "the action"
	if action != "" {
		the = "the " + action + " action"
	}
	switch r {
	case Allowed:
		return "allowed"
	case ExplicitDenyIdentity:
		return "with an explicit deny in an identity-based policy"
	case ExplicitDenyResource:
		return "with an explicit deny in a resource-based policy"
	case ExplicitDenyBoundary:
		return "with an explicit deny in a permissions boundary"
	case ExplicitDenySession:
		return "with an explicit deny in a session policy"
	case NoIdentityAllow:
		return "because no identity-based policy allows " + the
	case NoBoundaryAllow:
		return "because no permissions boundary allows " + the
	case NoSessionAllow:
		return "because no session policy allows " + the
	case NoResourceAllowCrossAccount, NoResourceAllow:
		return "because no resource-based policy allows " + the
	}
	return "denied"
}

// Message renders AWS's AccessDenied message, e.g. "User:
// arn:aws:iam::123456789012:user/alice is not authorized to perform:
// s3:GetObject on resource: arn:aws:s3:::b/k because no identity-based
// policy allows the s3:GetObject action".
func (d Decision) Message(principalARN, action, resource string) string {
	if principalARN == "" {
		principalARN = "anonymous"
	}
	if d.Allowed {
		return "User: " + principalARN + " is authorized to perform: " + action + " on resource: " + resource
	}
	return "User: " + principalARN + " is not authorized to perform: " + action + " on resource: " + resource + " " + d.Reason.Tail(action)
}

// NormalizeContext returns m with lowercased keys (values of keys that
// differ only in case are merged). Requests built with it evaluate without
// copying the context.
func NormalizeContext(m map[string][]string) map[string][]string {
	out := make(map[string][]string, len(m))
	for k, v := range m {
		lk := strings.ToLower(k)
		if prev, ok := out[lk]; ok {
			out[lk] = append(append([]string(nil), prev...), v...)
		} else {
			out[lk] = v
		}
	}
	return out
}

// ctxView is the request context with lowercased keys.
type ctxView struct{ m map[string][]string }

func (c *ctxView) get(key string) []string { return c.m[key] }

// variable resolves ${key}: single-valued keys only.
func (c *ctxView) variable(key string) (string, bool) {
	if v := c.m[key]; len(v) == 1 {
		return v[0], true
	}
	return "", false
}

type category uint8

const (
	catIdentity category = iota
	catResource
	catBoundary
	catSession
)

type hit struct {
	Match
	cat category
}

type tally struct {
	deny, allow bool
	best        grant // strongest principal grant among resource allows
}

type evaluator struct {
	principal *Principal
	resource  string
	ctx       ctxView
	res       arnSegments
	svc, act  string
	svcLower  string // svc lowercased, for Document.candidates
	boundary  bool
}

// scan evaluates every statement of docs, appending the ones that apply to
// hits. (hits is passed and returned by value: storing it through e would
// move its stack buffer to the heap.)
func (e *evaluator) scan(hits []hit, docs []*Named, cat category) ([]hit, tally) {
	var t tally
	for _, n := range docs {
		if n == nil || n.Doc == nil {
			continue
		}
		for _, i := range n.Doc.candidates(e.svcLower) {
			st := &n.Doc.stmts[i]
			g, ok := st.applies(e, cat == catResource)
			if !ok {
				continue
			}
			effect := "Allow"
			if st.deny {
				effect, t.deny = "Deny", true
			} else {
				t.allow = true
				t.best = max(t.best, g)
			}
			hits = append(hits, hit{Match{PolicyID: n.ID, Sid: st.sid, Index: i, Effect: effect}, cat})
		}
	}
	return hits, t
}

func (st *statement) applies(e *evaluator, resourceSlot bool) (grant, bool) {
	matched := false
	for i := range st.actions {
		if st.actions[i].match(e.svc, e.act) {
			matched = true
			break
		}
	}
	if matched == st.notAction {
		return grantNone, false
	}
	if !st.anyResource {
		matched = false
		for i := range st.resources {
			if st.resources[i].match(e.resource, &e.res, &e.ctx) {
				matched = true
				break
			}
		}
		if matched == st.notResource {
			return grantNone, false
		}
	}
	g := grantDirect
	if st.principal != nil {
		if g = st.principalGrant(e.principal, e.boundary); g == grantNone {
			return grantNone, false
		}
	} else if resourceSlot {
		return grantNone, false // a principal-less statement names nobody
	}
	for i := range st.conds {
		if !st.conds[i].eval(&e.ctx) {
			return grantNone, false
		}
	}
	return g, true
}

func (st *statement) principalGrant(p *Principal, boundary bool) grant {
	if st.principal == nil {
		return grantDirect
	}
	if !st.notPrincipal {
		return st.principal.match(p)
	}
	// AWS: NotPrincipal with Deny always denies a principal that has a
	// permissions boundary, whatever NotPrincipal lists.
	if st.deny && boundary {
		return grantDirect
	}
	if st.principal.excludes(p) {
		return grantNone
	}
	return grantDirect
}

// Evaluate decides req against set following AWS's policy evaluation logic;
// see the package documentation for the exact rules.
func Evaluate(set PolicySet, req Request) Decision {
	p := &req.Principal
	e := evaluator{principal: p, resource: req.Resource, res: splitARN(req.Resource), boundary: set.Boundary != nil}
	e.ctx.m = req.Context
	for k := range req.Context {
		if hasUpperASCII(k) {
			e.ctx.m = NormalizeContext(req.Context)
			break
		}
	}
	if svc, act, ok := strings.Cut(req.Action, ":"); ok {
		e.svc, e.act, e.svcLower = svc, act, svc
		if hasUpperASCII(svc) {
			e.svcLower = strings.ToLower(svc) // rare: service prefixes are lowercase
		}
	}
	var buf [16]hit
	hits := buf[:0]

	// Root is not governed by identity policies, boundaries or session
	// policies; callers without an IAM identity (anonymous, service,
	// federated before a session) have none.
	root := p.IsRoot
	identityless := !root && (p.Service != "" || p.anonymous() || (p.Federated != "" && p.ARN == ""))
	sameAccount := !identityless && (req.ResourceAccount == "" || req.ResourceAccount == p.Account)

	var id, res, bnd, ses tally
	hasBoundary := set.Boundary != nil && !root && !identityless
	hasSession := set.Session != nil && !root && !identityless
	if !root && !identityless {
		hits, id = e.scan(hits, set.Identity, catIdentity)
	}
	hits, res = e.scan(hits, set.Resource, catResource)
	if hasBoundary {
		hits, bnd = e.scan(hits, []*Named{set.Boundary}, catBoundary)
	}
	if hasSession {
		hits, ses = e.scan(hits, set.Session, catSession)
	}

	// 1. An explicit deny in any applicable policy is final.
	switch {
	case id.deny:
		return decide(hits, false, ExplicitDenyIdentity, effectDeny, allCats)
	case res.deny:
		return decide(hits, false, ExplicitDenyResource, effectDeny, allCats)
	case bnd.deny:
		return decide(hits, false, ExplicitDenyBoundary, effectDeny, allCats)
	case ses.deny:
		return decide(hits, false, ExplicitDenySession, effectDeny, allCats)
	}
	trust := false
	for _, n := range set.Resource {
		if n != nil && n.Doc != nil && n.Doc.kind == Trust {
			trust = true
		}
	}
	// 2. The root user has full access to its own account's resources, except
	// that a role trust policy must name it like anyone else.
	if root && sameAccount && !trust {
		return Decision{Allowed: true, Reason: Allowed}
	}
	// 3. Callers without an identity, and root across accounts, can only be
	// granted by the resource policy.
	if identityless || root {
		if res.allow {
			return decide(hits, true, Allowed, effectAllow, 1<<catResource)
		}
		if root {
			return decide(hits, false, NoResourceAllowCrossAccount, 0, 0)
		}
		return decide(hits, false, NoResourceAllow, 0, 0)
	}
	boundaryOK := !hasBoundary || bnd.allow
	sessionOK := !hasSession || ses.allow
	limits := uint8(1<<catBoundary | 1<<catSession)
	if sameAccount {
		// 4. Same account: a resource policy naming the caller itself (user or
		// session ARN, or "*") grants regardless of implicit denies in
		// identity policies, boundary and session policies.
		if res.best == grantDirect {
			return decide(hits, true, Allowed, effectAllow, 1<<catResource)
		}
		if trust && !res.allow {
			return decide(hits, false, NoResourceAllow, 0, 0)
		}
		// Otherwise identity OR a resource grant to the role ARN, each
		// limited by the boundary and session policies. A grant to the
		// account only delegates to the account's identity policies.
		switch {
		case !id.allow && res.best != grantRole:
			return decide(hits, false, NoIdentityAllow, 0, 0)
		case !boundaryOK:
			return decide(hits, false, NoBoundaryAllow, 0, 0)
		case !sessionOK:
			return decide(hits, false, NoSessionAllow, 0, 0)
		}
		return decide(hits, true, Allowed, effectAllow, 1<<catIdentity|1<<catResource|limits)
	}
	// 5. Cross-account: the caller's side (identity ∩ boundary ∩ session)
	// and the resource policy must both allow.
	switch {
	case !id.allow:
		return decide(hits, false, NoIdentityAllow, 0, 0)
	case !boundaryOK:
		return decide(hits, false, NoBoundaryAllow, 0, 0)
	case !sessionOK:
		return decide(hits, false, NoSessionAllow, 0, 0)
	case !res.allow:
		return decide(hits, false, NoResourceAllowCrossAccount, 0, 0)
	}
	return decide(hits, true, Allowed, effectAllow, 1<<catIdentity|1<<catResource|limits)
}

const (
	effectAllow = 1
	effectDeny  = 2
	allCats     = 0xf
)

// decide builds the Decision, keeping the hits of the given effect from the
// given categories (a bit set of 1<<category).
func decide(hits []hit, allowed bool, r Reason, effect int, cats uint8) Decision {
	d := Decision{Allowed: allowed, Reason: r}
	if effect == 0 {
		return d
	}
	n := 0
	for i := range hits {
		if keep(&hits[i], effect, cats) {
			n++
		}
	}
	if n == 0 {
		return d
	}
	d.Matched = make([]Match, 0, n)
	for i := range hits {
		if keep(&hits[i], effect, cats) {
			d.Matched = append(d.Matched, hits[i].Match)
		}
	}
	return d
}

func keep(h *hit, effect int, cats uint8) bool {
	if cats&(1<<h.cat) == 0 {
		return false
	}
	if effect == effectDeny {
		return h.Effect == "Deny"
	}
	return h.Effect == "Allow"
}
