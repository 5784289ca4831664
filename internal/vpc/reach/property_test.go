package reach

import (
	"flag"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/nimbuscloud/nimbus/internal/vpc/netmodel"
)

// TestMain raises rapid's default of 100 cases per property: many generated
// flows are blocked before any interesting step. -rapid.checks on the
// command line still wins.
func TestMain(m *testing.M) {
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "rapid.checks" })
	if !explicit {
		_ = flag.Set("rapid.checks", "1000")
	}
	os.Exit(m.Run())
}

// Vocabulary of generated rules: small, so rules often apply to the flow.
var (
	genProtos = []int{netmodel.All, netmodel.TCP, netmodel.UDP, netmodel.ICMP}
	genPorts  = [][2]int{{22, 22}, {80, 80}, {443, 443}, {1024, 65535}, {0, 65535}, {32768, 65535}}
	genICMP   = [][2]int{{-1, -1}, {8, -1}, {0, 0}, {8, 0}}
	genCIDRs  = []string{"0.0.0.0/0", "10.0.0.0/16", "10.0.1.0/24", "10.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"}
	genGroups = []string{"sg-0", "sg-1", "sg-2"}
)

func drawMatch(t *rapid.T, label string) (proto, from, to int) {
	proto = rapid.SampledFrom(genProtos).Draw(t, label+".proto")
	switch proto {
	case netmodel.TCP, netmodel.UDP:
		p := rapid.SampledFrom(genPorts).Draw(t, label+".ports")
		return proto, p[0], p[1]
	case netmodel.ICMP:
		p := rapid.SampledFrom(genICMP).Draw(t, label+".icmp")
		return proto, p[0], p[1]
	}
	return proto, -1, -1
}

func drawSGRule(t *rapid.T, label string) netmodel.SGRule {
	var r netmodel.SGRule
	r.Protocol, r.FromPort, r.ToPort = drawMatch(t, label)
	if rapid.IntRange(0, 3).Draw(t, label+".by-group") == 0 {
		r.Group = rapid.SampledFrom(genGroups).Draw(t, label+".group")
	} else {
		r.CIDR = netip.MustParsePrefix(rapid.SampledFrom(genCIDRs).Draw(t, label+".cidr"))
	}
	return r
}

func drawNACLEntries(t *rapid.T, label string) []netmodel.NACLEntry {
	var out []netmodel.NACLEntry
	// Rule numbers 10..190 step 10, so a new rule below all of them fits.
	nums := rapid.SliceOfNDistinct(rapid.IntRange(1, 19), 0, 4, rapid.ID[int]).Draw(t, label+".numbers")
	for i, n := range nums {
		e := netmodel.NACLEntry{Number: n * 10, ICMPType: -1, ICMPCode: -1}
		var from, to int
		e.Protocol, from, to = drawMatch(t, fmt.Sprintf("%s[%d]", label, i))
		if e.Protocol == netmodel.ICMP {
			e.ICMPType, e.ICMPCode = from, to
		} else {
			e.FromPort, e.ToPort = from, to
		}
		e.CIDR = netip.MustParsePrefix(rapid.SampledFrom(genCIDRs).Draw(t, label+".cidr"))
		e.Allow = rapid.Bool().Draw(t, fmt.Sprintf("%s[%d].allow", label, i))
		out = append(out, e)
	}
	if rapid.IntRange(0, 4).Draw(t, label+".allow-rest") > 0 {
		out = append(out, netmodel.NACLEntry{Number: 200, Protocol: netmodel.All, ICMPType: -1, ICMPCode: -1,
			CIDR: netip.MustParsePrefix("0.0.0.0/0"), Allow: true})
	}
	return out
}

// drawModel: one VPC with a public subnet (10.0.0.0/24, a NAT gateway) and
// two more subnets whose tables send the internet to the internet gateway
// or to the NAT gateway; random groups, network ACLs and interfaces.
func drawModel(t *rapid.T) *netmodel.Model {
	m := &netmodel.Model{
		VPCs: []netmodel.VPC{{ID: "vpc-1", VNI: 1, CIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16")}}},
		RouteTables: []netmodel.RouteTable{
			{ID: "rtb-pub", VPC: "vpc-1", Routes: []netmodel.Route{{Dest: netip.MustParsePrefix("0.0.0.0/0"), Kind: netmodel.TargetIGW, Target: "igw-1"}}},
			{ID: "rtb-nat", VPC: "vpc-1", Main: true, Routes: []netmodel.Route{{Dest: netip.MustParsePrefix("0.0.0.0/0"), Kind: netmodel.TargetNAT, Target: "nat-1"}}},
		},
		NATGateways: []netmodel.NATGateway{{ID: "nat-1", VPC: "vpc-1", Subnet: "subnet-0", ENI: "eni-nat"}},
		ENIs: []netmodel.ENI{{ID: "eni-nat", Kind: netmodel.ENINAT, VPC: "vpc-1", Subnet: "subnet-0",
			PrivateIPs: []netip.Addr{netip.MustParseAddr("10.0.0.5")}, PublicIP: netip.MustParseAddr("203.0.113.5")}},
	}
	if rapid.IntRange(0, 5).Draw(t, "igw-attached") > 0 {
		m.InternetGateways = []netmodel.InternetGateway{{ID: "igw-1", VPC: "vpc-1"}}
	} else {
		m.InternetGateways = []netmodel.InternetGateway{{ID: "igw-1"}}
	}
	for i := range 3 {
		acl := netmodel.NACL{ID: fmt.Sprintf("acl-%d", i), VPC: "vpc-1",
			Ingress: drawNACLEntries(t, fmt.Sprintf("acl-%d.in", i)),
			Egress:  drawNACLEntries(t, fmt.Sprintf("acl-%d.out", i))}
		m.NACLs = append(m.NACLs, acl)
		rtb := "rtb-pub"
		if i > 0 {
			rtb = rapid.SampledFrom([]string{"rtb-pub", "rtb-nat"}).Draw(t, fmt.Sprintf("subnet-%d.rtb", i))
		}
		m.Subnets = append(m.Subnets, netmodel.Subnet{ID: fmt.Sprintf("subnet-%d", i), VPC: "vpc-1", AZ: "az1",
			CIDR: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 0, byte(i), 0}), 24), RouteTable: rtb, NACL: acl.ID})
	}
	// Groups often open wide, so that enough flows get through for the
	// properties about reachable flows to bite.
	anywhere := netmodel.SGRule{Protocol: netmodel.All, CIDR: netip.MustParsePrefix("0.0.0.0/0")}
	for _, id := range genGroups {
		g := netmodel.SecurityGroup{ID: id, VPC: "vpc-1"}
		for j := range rapid.IntRange(0, 2).Draw(t, id+".ingress") {
			g.Ingress = append(g.Ingress, drawSGRule(t, fmt.Sprintf("%s.in[%d]", id, j)))
		}
		if rapid.Bool().Draw(t, id+".ingress-open") {
			g.Ingress = append(g.Ingress, anywhere)
		}
		for j := range rapid.IntRange(0, 2).Draw(t, id+".egress") {
			g.Egress = append(g.Egress, drawSGRule(t, fmt.Sprintf("%s.out[%d]", id, j)))
		}
		if rapid.IntRange(0, 2).Draw(t, id+".egress-open") > 0 {
			g.Egress = append(g.Egress, anywhere)
		}
		m.SecurityGroups = append(m.SecurityGroups, g)
	}
	for i := range 4 {
		sub := rapid.IntRange(0, 2).Draw(t, fmt.Sprintf("eni-%d.subnet", i))
		e := netmodel.ENI{ID: fmt.Sprintf("eni-%d", i), Kind: netmodel.ENIInstance, VPC: "vpc-1",
			Subnet:          fmt.Sprintf("subnet-%d", sub),
			PrivateIPs:      []netip.Addr{netip.AddrFrom4([4]byte{10, 0, byte(sub), byte(10 + i)})},
			Groups:          rapid.SliceOfNDistinct(rapid.SampledFrom(genGroups), 1, 2, rapid.ID[string]).Draw(t, fmt.Sprintf("eni-%d.groups", i)),
			SourceDestCheck: true}
		if rapid.IntRange(0, 2).Draw(t, fmt.Sprintf("eni-%d.public", i)) > 0 {
			e.PublicIP = netip.AddrFrom4([4]byte{203, 0, 113, byte(10 + i)})
		}
		m.ENIs = append(m.ENIs, e)
	}
	return m
}

func drawQuery(t *rapid.T) Query {
	var q Query
	src := rapid.IntRange(0, 4).Draw(t, "src")
	if src == 4 { // the internet
		src = -1
		q.Source.Addr = netip.MustParseAddr("198.51.100.7")
	} else {
		q.Source.ENI = fmt.Sprintf("eni-%d", src)
	}
	dst := rapid.IntRange(0, 4).Filter(func(d int) bool { return d != src && !(src < 0 && d == 4) }).Draw(t, "dst")
	if dst == 4 { // the internet
		q.Destination.Addr = netip.MustParseAddr("198.51.100.9")
	} else {
		q.Destination.ENI = fmt.Sprintf("eni-%d", dst)
	}
	q.Protocol = rapid.SampledFrom([]int{netmodel.TCP, netmodel.UDP, netmodel.ICMP}).Draw(t, "proto")
	if q.Protocol != netmodel.ICMP {
		q.DestinationPort = rapid.SampledFrom([]int{22, 80, 443, 40000}).Draw(t, "port")
		q.SourcePort = rapid.SampledFrom([]int{1000, 40000, 50000}).Draw(t, "sport")
	}
	return q
}

func mustEvaluate(t *rapid.T, m *netmodel.Model, q Query) Result {
	r, err := Evaluate(m, q)
	if err != nil {
		t.Fatalf("Evaluate(%+v): %v", q, err)
	}
	checkInvariants(t, r)
	return r
}

// TestPropertySGAllowIsMonotonic: adding an allow rule to a security group
// never turns a reachable flow unreachable, and never adds an explanation.
func TestPropertySGAllowIsMonotonic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := drawModel(t)
		q := drawQuery(t)
		before := mustEvaluate(t, m, q)
		g := rapid.IntRange(0, len(m.SecurityGroups)-1).Draw(t, "group")
		r := drawSGRule(t, "added")
		if rapid.Bool().Draw(t, "added.ingress") {
			m.SecurityGroups[g].Ingress = append(m.SecurityGroups[g].Ingress, r)
		} else {
			m.SecurityGroups[g].Egress = append(m.SecurityGroups[g].Egress, r)
		}
		after := mustEvaluate(t, m, q)
		if before.Reachable && !after.Reachable {
			t.Fatalf("allow rule %+v in %s made the flow unreachable:\n%s%s", r, m.SecurityGroups[g].ID, after, after.Trace())
		}
		if len(after.Explanations) > len(before.Explanations) {
			t.Fatalf("allow rule added explanations:\nbefore %safter %s", before, after)
		}
	})
}

// TestPropertyNACLDenyFirstBlocks: on a reachable flow, a deny entry that
// matches the packet at one of the network ACLs on its path, numbered below
// every other entry, makes the flow unreachable and is named as the cause.
func TestPropertyNACLDenyFirstBlocks(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := drawModel(t)
		q := drawQuery(t)
		before := mustEvaluate(t, m, q)
		var acls []Hop
		for _, h := range before.Hops {
			if h.Component.Kind == KindNACL {
				acls = append(acls, h)
			}
		}
		if !before.Reachable || len(acls) == 0 {
			t.Skip("flow unreachable or crosses no network ACL")
		}
		hop := rapid.SampledFrom(acls).Draw(t, "acl-hop")
		i := slices.IndexFunc(m.NACLs, func(a netmodel.NACL) bool { return a.ID == hop.Component.ID })
		entries := &m.NACLs[i].Ingress
		peer := hop.Header.Src
		if hop.Direction == Egress {
			entries, peer = &m.NACLs[i].Egress, hop.Header.Dst
		}
		lowest := DefaultACLRuleNumber
		for _, e := range *entries {
			lowest = min(lowest, e.Number)
		}
		deny := netmodel.NACLEntry{Number: lowest - 1, Protocol: hop.Header.Protocol,
			FromPort: hop.Header.DstPort, ToPort: hop.Header.DstPort, ICMPType: -1, ICMPCode: -1,
			CIDR: netip.PrefixFrom(peer, 32)}
		if deny.Protocol == netmodel.ICMP {
			deny.FromPort, deny.ToPort = 0, 0
			deny.ICMPType, deny.ICMPCode = hop.Header.ICMPType, hop.Header.ICMPCode
		}
		*entries = append(*entries, deny)
		after := mustEvaluate(t, m, q)
		if after.Reachable {
			t.Fatalf("deny %+v in %s %s left the flow reachable:\n%s", deny, hop.Component.ID, hop.Direction, after.Trace())
		}
		named := slices.ContainsFunc(after.Explanations, func(e Explanation) bool {
			return e.Code == CodeSubnetACLRestriction && e.Component.ID == hop.Component.ID &&
				e.Direction == hop.Direction && e.ACLRule.Number == deny.Number && e.Return == hop.Return
		})
		if !named {
			t.Fatalf("deny %+v in %s %s not named:\n%s", deny, hop.Component.ID, hop.Direction, after)
		}
	})
}

// TestPropertyDeterministic: the same model and query give the same
// result, and Evaluate leaves the model as it was.
func TestPropertyDeterministic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := drawModel(t)
		q := drawQuery(t)
		before := cloneModel(m)
		a := mustEvaluate(t, m, q)
		b := mustEvaluate(t, m, q)
		if a.String() != b.String() || a.Trace() != b.Trace() {
			t.Fatalf("two evaluations differ:\n%s%s\n%s%s", a, a.Trace(), b, b.Trace())
		}
		if fmt.Sprint(before) != fmt.Sprint(m) {
			t.Fatalf("Evaluate changed the model")
		}
	})
}
