package vpc

import (
	"context"
	"slices"

	"github.com/nimbuscloud/nimbus/internal/store"
)

// RuleChange is Authorize/RevokeSecurityGroupIngress/Egress's request.
type RuleChange struct {
	GroupID, GroupName string // name: a default-VPC group (ingress only, as EC2)
	Egress             bool
	Permissions        []Permission
	RuleIDs            []string // revoke by rule ID
}

// RuleInfo is a rule as DescribeSecurityGroupRules returns it.
type RuleInfo struct {
	SGRule
	GroupID, Owner string
	Egress         bool
	Tags           map[string]string
}

// expand turns permissions into rules (one per peer), validated, with IDs
// drawn from ids.
func expand(ctx context.Context, tx store.Tx, g *SecurityGroup, perms []Permission, newID func() (string, error)) ([]SGRule, error) {
	var out []SGRule
	for _, p := range perms {
		proto, err := normProtocol(p.Protocol)
		if err != nil {
			return nil, err
		}
		from, to, err := portRange(proto, p.FromPort, p.ToPort)
		if err != nil {
			return nil, err
		}
		if len(p.PrefixLists) > 0 {
			return nil, errorf("InvalidPrefixListId.NotFound", "The prefix list '%s' does not exist.", p.PrefixLists[0])
		}
		if len(p.IPv4)+len(p.IPv6)+len(p.Groups) == 0 {
			return nil, missingParam("ipRanges, ipv6Ranges or groups")
		}
		base := SGRule{Protocol: proto, FromPort: from, ToPort: to}
		add := func(r SGRule) error {
			id, err := newID()
			if err != nil {
				return err
			}
			r.ID = id
			out = append(out, r)
			return nil
		}
		for _, c := range p.IPv4 {
			r := base
			if r.CIDRv4, err = parseRuleCIDR(c.CIDR, false); err != nil {
				return nil, err
			}
			r.Description = c.Description
			if err := add(r); err != nil {
				return nil, err
			}
		}
		for _, c := range p.IPv6 {
			r := base
			if r.CIDRv6, err = parseRuleCIDR(c.CIDR, true); err != nil {
				return nil, err
			}
			r.Description = c.Description
			if err := add(r); err != nil {
				return nil, err
			}
		}
		for _, gp := range p.Groups {
			if gp.UserID != "" && gp.UserID != g.Account {
				// Another account's group: only across VPC peering, which
				// this region does not have.
				return nil, errorf("InvalidGroup.NotFound", "You have specified two resources that belong to different networks.")
			}
			var peer *SecurityGroup
			if gp.GroupID != "" {
				peer, err = getDoc[SecurityGroup](ctx, tx, kindSG, g.Account, gp.GroupID)
			} else {
				peer, err = groupByName(ctx, tx, g.Account, g.VPC, gp.GroupName)
				if err == nil && peer == nil {
					err = errorf("InvalidGroup.NotFound", "The security group '%s' does not exist", gp.GroupName)
				}
			}
			if err != nil {
				return nil, err
			}
			if peer.VPC != g.VPC {
				return nil, errorf("InvalidGroup.NotFound", "You have specified two resources that belong to different networks.")
			}
			r := base
			r.Group, r.GroupOwner, r.Description = peer.ID, peer.Account, gp.Description
			if err := add(r); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// AuthorizeRules adds rules to a group and returns them with their IDs.
func (s *Service) AuthorizeRules(ctx context.Context, in RuleChange) ([]RuleInfo, error) {
	if len(in.Permissions) == 0 {
		return nil, missingParam("ipPermissions")
	}
	action := map[bool]string{false: "AuthorizeSecurityGroupIngress", true: "AuthorizeSecurityGroupEgress"}[in.Egress]
	return s.changeRules(ctx, action, in, func(tx store.Tx, g *SecurityGroup, ids []string) ([]RuleInfo, error) {
		next := 0
		newID := func() (string, error) {
			if next == len(ids) {
				return "", errorf("RulesPerSecurityGroupLimitExceeded", "The maximum number of rules per security group has been reached.")
			}
			next++
			return ids[next-1], nil
		}
		rules, err := expand(ctx, tx, g, in.Permissions, newID)
		if err != nil {
			return nil, err
		}
		list := &g.Ingress
		if in.Egress {
			list = &g.Egress
		}
		var out []RuleInfo
		for i, r := range rules {
			if slices.ContainsFunc(*list, func(x SGRule) bool { return sameRule(x, r) }) ||
				slices.ContainsFunc(rules[:i], func(x SGRule) bool { return sameRule(x, r) }) {
				return nil, errorf("InvalidPermission.Duplicate", "the specified rule \"%s\" already exists", describeRule(r))
			}
			*list = append(*list, r)
			out = append(out, RuleInfo{SGRule: r, GroupID: g.ID, Owner: g.Account, Egress: in.Egress})
		}
		if len(*list) > maxRulesPerDirection {
			return nil, errorf("RulesPerSecurityGroupLimitExceeded", "The maximum number of rules per security group has been reached.")
		}
		return out, nil
	})
}

// RevokeRules removes rules (by permission or by ID) from a group.
func (s *Service) RevokeRules(ctx context.Context, in RuleChange) ([]RuleInfo, error) {
	if len(in.Permissions) == 0 && len(in.RuleIDs) == 0 {
		return nil, missingParam("ipPermissions")
	}
	action := map[bool]string{false: "RevokeSecurityGroupIngress", true: "RevokeSecurityGroupEgress"}[in.Egress]
	return s.changeRules(ctx, action, in, func(tx store.Tx, g *SecurityGroup, _ []string) ([]RuleInfo, error) {
		list := &g.Ingress
		if in.Egress {
			list = &g.Egress
		}
		var gone []RuleInfo
		for _, id := range in.RuleIDs {
			i := slices.IndexFunc(*list, func(x SGRule) bool { return x.ID == id })
			if i < 0 {
				return nil, errorf("InvalidSecurityGroupRuleId.NotFound", "The security group rule ID '%s' does not exist", id)
			}
			gone = append(gone, RuleInfo{SGRule: (*list)[i], GroupID: g.ID, Owner: g.Account, Egress: in.Egress})
			*list = slices.Delete(*list, i, i+1)
		}
		rules, err := expand(ctx, tx, g, in.Permissions, func() (string, error) { return "", nil })
		if err != nil {
			return nil, err
		}
		for _, r := range rules {
			i := slices.IndexFunc(*list, func(x SGRule) bool { return sameRule(x, r) })
			if i < 0 {
				return nil, errorf("InvalidPermission.NotFound", "The specified rule does not exist in this security group.")
			}
			gone = append(gone, RuleInfo{SGRule: (*list)[i], GroupID: g.ID, Owner: g.Account, Egress: in.Egress})
			*list = slices.Delete(*list, i, i+1)
		}
		return gone, nil
	})
}

func (s *Service) changeRules(ctx context.Context, action string, in RuleChange, fn func(store.Tx, *SecurityGroup, []string) ([]RuleInfo, error)) ([]RuleInfo, error) {
	acct, err := account(ctx)
	if err != nil {
		return nil, err
	}
	peers := 0
	for _, p := range in.Permissions {
		peers += len(p.IPv4) + len(p.IPv6) + len(p.Groups)
	}
	ids := make([]string, min(peers, maxRulesPerDirection+1))
	for i := range ids {
		if ids[i], err = s.newID("sgr-"); err != nil {
			return nil, err
		}
	}
	var out []RuleInfo
	err = s.update(ctx, func(tx store.Tx) error {
		g, err := resolveGroup(ctx, tx, acct, in.GroupID, in.GroupName)
		if err != nil {
			return err
		}
		if err := s.authorize(ctx, action, s.arn(kindSG, acct, g.ID)); err != nil {
			return err
		}
		if out, err = fn(tx, g, ids); err != nil {
			return err
		}
		return putDoc(ctx, tx, kindSG, acct, g.VPC, g.ID, 0, g)
	})
	return out, err
}

// DescribeSecurityGroupRules lists the caller's rules, flattened.
func (s *Service) DescribeSecurityGroupRules(ctx context.Context, ids []string, filters []Filter) ([]RuleInfo, error) {
	acct, err := s.begin(ctx, "DescribeSecurityGroupRules", nil)
	if err != nil {
		return nil, err
	}
	groups, err := s.describeGroups(ctx, acct, nil, nil, nil)
	if err != nil {
		return nil, err
	}
	var out []RuleInfo
	found := map[string]bool{}
	for _, g := range groups {
		for _, egress := range []bool{false, true} {
			rules := g.Ingress
			if egress {
				rules = g.Egress
			}
			for _, r := range rules {
				if !selected(ids, r.ID) {
					continue
				}
				found[r.ID] = true
				ok, err := match(filters, fieldMap{"group-id": g.ID, "security-group-rule-id": r.ID}, nil)
				if err != nil {
					return nil, err
				}
				if ok {
					out = append(out, RuleInfo{SGRule: r, GroupID: g.ID, Owner: g.Account, Egress: egress})
				}
			}
		}
	}
	for _, id := range ids {
		if !found[id] {
			return nil, errorf("InvalidSecurityGroupRuleId.NotFound", "The security group rule ID '%s' does not exist", id)
		}
	}
	return out, nil
}

// RuleUpdate is one rule of ModifySecurityGroupRules: the rule's ID and
// what it becomes (a permission with exactly one peer).
type RuleUpdate struct {
	RuleID     string
	Permission Permission
}

// ModifySecurityGroupRules replaces rules of one group in place (their IDs
// stay).
func (s *Service) ModifySecurityGroupRules(ctx context.Context, groupID string, updates []RuleUpdate) error {
	if len(updates) == 0 {
		return missingParam("SecurityGroupRule")
	}
	_, err := s.changeRules(ctx, "ModifySecurityGroupRules", RuleChange{GroupID: groupID},
		func(tx store.Tx, g *SecurityGroup, _ []string) ([]RuleInfo, error) {
			for _, u := range updates {
				var list []SGRule
				i := slices.IndexFunc(g.Ingress, func(x SGRule) bool { return x.ID == u.RuleID })
				list = g.Ingress
				if i < 0 {
					i = slices.IndexFunc(g.Egress, func(x SGRule) bool { return x.ID == u.RuleID })
					list = g.Egress
				}
				if i < 0 {
					return nil, errorf("InvalidSecurityGroupRuleId.NotFound", "The security group rule ID '%s' does not exist", u.RuleID)
				}
				if n := len(u.Permission.IPv4) + len(u.Permission.IPv6) + len(u.Permission.Groups); n != 1 {
					return nil, invalidParam("A security group rule must have exactly one peer")
				}
				rules, err := expand(ctx, tx, g, []Permission{u.Permission}, func() (string, error) { return u.RuleID, nil })
				if err != nil {
					return nil, err
				}
				for j, x := range list {
					if j != i && sameRule(x, rules[0]) {
						return nil, errorf("InvalidPermission.Duplicate", "the specified rule \"%s\" already exists", describeRule(rules[0]))
					}
				}
				list[i] = rules[0]
			}
			return nil, nil
		})
	return err
}
