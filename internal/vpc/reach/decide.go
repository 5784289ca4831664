package reach

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/nimbuscloud/nimbus/internal/vpc/netmodel"
)

// The packet decisions of the semantics doc, one small function each. They
// take the packet as it is at the filter and return what decided, so the
// walk can record it.

// sgDecision is what an interface's security groups make of a new packet.
type sgDecision struct {
	// Group and Rule: the first rule that admits the packet (groups in the
	// interface's order, rules in each group's order); nil Rule: denied.
	Group string
	Rule  *netmodel.SGRule
	// NoRules: denied because no group has any rule in that direction.
	NoRules bool
}

// sgAllows decides a packet that starts a connection, against the rules of
// groups in direction dir. peer is the far end: the source address for
// ingress, the destination for egress. A rule naming a group matches when
// peer is a private IP of an interface carrying that group.
func sgAllows(x *netmodel.Index, groups []string, dir Direction, h Header, peer netip.Addr) (sgDecision, error) {
	d := sgDecision{NoRules: true}
	for _, id := range groups {
		g, ok := x.SecurityGroup[id]
		if !ok {
			return sgDecision{}, fmt.Errorf("%w: security group %s not in model", ErrInvalidModel, id)
		}
		rules := g.Ingress
		if dir == Egress {
			rules = g.Egress
		}
		if len(rules) > 0 {
			d.NoRules = false
		}
		for i := range rules {
			if sgRuleMatches(x, &rules[i], h, peer) {
				return sgDecision{Group: id, Rule: &rules[i]}, nil
			}
		}
	}
	return d, nil
}

// sgRuleMatches: protocol, then destination port (TCP, UDP) or ICMP type
// and code (netmodel's matcher), then peer.
func sgRuleMatches(x *netmodel.Index, r *netmodel.SGRule, h Header, peer netip.Addr) bool {
	if !r.Matches(h.Protocol, portOrType(h), h.ICMPCode) {
		return false
	}
	if r.Group != "" {
		for _, e := range x.GroupMembers[r.Group] {
			if slices.Contains(e.PrivateIPs, peer) {
				return true
			}
		}
		return false
	}
	return r.CIDR.IsValid() && r.CIDR.Contains(peer)
}

// portOrType is what netmodel's matchers take besides the protocol and
// the ICMP code: the destination port, or the ICMP type.
func portOrType(h Header) int {
	if h.Protocol == netmodel.ICMP {
		return h.ICMPType
	}
	return h.DstPort
}

// naclAllows evaluates a network ACL's entries for one direction, in
// ascending rule number; the first that matches decides. When none does,
// the "*" entry (DefaultACLRuleNumber) denies. peer is the source address
// for ingress, the destination for egress.
func naclAllows(entries []netmodel.NACLEntry, h Header, peer netip.Addr) (netmodel.NACLEntry, bool) {
	sorted := slices.Clone(entries)
	slices.SortStableFunc(sorted, func(a, b netmodel.NACLEntry) int { return a.Number - b.Number })
	for _, e := range sorted {
		if naclEntryMatches(e, h, peer) {
			return e, e.Allow
		}
	}
	return defaultACLEntry, false
}

func naclEntryMatches(e netmodel.NACLEntry, h Header, peer netip.Addr) bool {
	return e.Matches(h.Protocol, portOrType(h), h.ICMPCode) && e.CIDR.IsValid() && e.CIDR.Contains(peer)
}

// lookupRoute picks the route for dst in table: the longest matching
// prefix. Every VPC CIDR has a local route whether or not the table lists
// it; on equal prefixes local wins, then the table's order.
func lookupRoute(table *netmodel.RouteTable, vpcCIDRs []netip.Prefix, dst netip.Addr) (netmodel.Route, bool) {
	var best netmodel.Route
	found := false
	consider := func(r netmodel.Route) {
		if !r.Dest.IsValid() || !r.Dest.Contains(dst) {
			return
		}
		if !found || r.Dest.Bits() > best.Dest.Bits() ||
			(r.Dest.Bits() == best.Dest.Bits() && r.Kind == netmodel.TargetLocal && best.Kind != netmodel.TargetLocal) {
			best, found = r, true
		}
	}
	for _, c := range vpcCIDRs {
		consider(netmodel.Route{Dest: c.Masked(), Kind: netmodel.TargetLocal})
	}
	for _, r := range table.Routes {
		consider(r)
	}
	return best, found
}

// rfc6598 is the shared address space the internet gateway refuses,
// beside RFC 1918's private ranges.
var rfc6598 = netip.MustParsePrefix("100.64.0.0/10")

func isRFC1918(a netip.Addr) bool { return a.Is4() && a.IsPrivate() }

func isRFC6598(a netip.Addr) bool { return rfc6598.Contains(a) }
