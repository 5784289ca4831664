package netplan

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/nimbuscloud/nimbus/internal/vpc/netmodel"
)

// igwRefused are the ranges an internet gateway refuses both ways
// (docs/design/vpc-semantics.md): RFC 1918's private ranges and RFC
// 6598's shared address space, sorted.
var igwRefused = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
}

func (p *routerPlan) planFilter() {
	f := &p.r.Filter
	f.Table, f.RxTable, f.VXLAN = FilterTable, RxTable, p.r.VXLAN.Name
	if p.r.Uplink != nil {
		f.Uplink = p.r.Uplink.Name
	}

	// Marks select routing tables: by port for packets from local ENIs,
	// by destination MAC for frames to local route targets.
	for _, pt := range p.r.Ports {
		if n, ok := p.tableOf["rtb:"+p.x.Subnet[pt.Subnet].RouteTable]; ok {
			f.RouteMarks = append(f.RouteMarks, IfMark{If: pt.Name, Mark: n})
		}
	}
	for _, e := range p.local {
		if n, ok := p.tableOf["eni:"+e.ID]; ok {
			f.RxMarks = append(f.RxMarks, MACMark{MAC: eniMAC(e), Mark: n})
		}
	}

	// Source/dest check.
	for _, e := range p.local {
		if sourceDestCheck(e) {
			for _, ip := range e.PrivateIPs {
				if ip.Is4() {
					f.SourceCheck = append(f.SourceCheck, IfAddr{If: portName(e.ID), Addr: ip})
				}
			}
		}
	}
	for _, e := range slices.Concat(p.local, p.remote) {
		if !sourceDestCheck(e) {
			continue
		}
		for _, nh := range e.PrivateIPs {
			for _, d := range e.PrivateIPs {
				if nh.Is4() && d.Is4() {
					f.DestCheck = append(f.DestCheck, AddrPair{NextHop: nh, Dst: d})
				}
			}
		}
	}
	slices.SortFunc(f.DestCheck, func(a, b AddrPair) int {
		if c := a.NextHop.Compare(b.NextHop); c != 0 {
			return c
		}
		return a.Dst.Compare(b.Dst)
	})

	// Internet gateway 1:1 NAT and NAT gateway ports.
	for _, e := range p.local {
		if p.r.Uplink != nil && e.PublicIP.Is4() {
			f.PublicNAT = append(f.PublicNAT, NATMapping{Public: e.PublicIP, Private: e.Primary()})
			p.hs.Internet.Routes = append(p.hs.Internet.Routes, Route{
				Table: MainTable, Dst: netip.PrefixFrom(e.PublicIP, 32), Type: RouteUnicast,
				Dev: p.r.Uplink.PeerName, Via: p.r.Uplink.Addr,
			})
		}
		if e.Kind == netmodel.ENINAT {
			f.NATPorts = append(f.NATPorts, portName(e.ID))
		}
	}
	if u := p.r.Uplink; u != nil {
		p.hs.Internet.Neighbors = append(p.hs.Internet.Neighbors, Neighbor{Dev: u.PeerName, IP: u.Addr, MAC: u.MAC})
		f.IGWRefused = slices.Clone(igwRefused)
	}
	slices.SortFunc(f.PublicNAT, func(a, b NATMapping) int { return a.Public.Compare(b.Public) })
	slices.Sort(f.NATPorts)

	p.planNACLs()
	p.planGroups()
}

// planNACLs compiles the NACLs: an entry chain per local subnet (and the
// internet), the egress chains of the local subnets' NACLs and the
// ingress chains of every subnet's NACL (any subnet can be a next hop).
func (p *routerPlan) planNACLs() {
	f := &p.r.Filter
	need := map[string]NACLChain{}
	naclChain := func(id string, egress bool) string {
		dir := "naci"
		if egress {
			dir = "nace"
		}
		c := NACLChain{NACL: id, Chain: chainName(dir, id), Egress: egress}
		if _, ok := need[c.Chain]; !ok {
			c.Entries = naclEntries(p.x.NACL[id], egress)
			need[c.Chain] = c
		}
		return c.Chain
	}
	for _, s := range p.localSubnets() {
		f.Subnets = append(f.Subnets, SubnetChain{
			Subnet: s.ID, Chain: chainName("sn", s.ID), CIDR: s.CIDR.Masked(), Egress: naclChain(s.NACL, true),
		})
	}
	subnetChain := map[string]string{}
	for _, s := range f.Subnets {
		subnetChain[s.Subnet] = s.Chain
	}
	for _, pt := range p.r.Ports {
		f.NACLFrom = append(f.NACLFrom, IfChain{If: pt.Name, Chain: subnetChain[pt.Subnet]})
	}
	if f.Uplink != "" {
		f.Subnets = append(f.Subnets, SubnetChain{Chain: InternetChain})
		f.NACLFrom = append(f.NACLFrom, IfChain{If: f.Uplink, Chain: InternetChain})
	}
	for _, s := range p.x.Subnet {
		if s.VPC == p.vpc.ID && s.CIDR.Addr().Is4() {
			f.NACLTo = append(f.NACLTo, CIDRChain{CIDR: s.CIDR.Masked(), Chain: naclChain(s.NACL, false)})
		}
	}
	slices.SortFunc(f.NACLTo, func(a, b CIDRChain) int { return comparePrefix(a.CIDR, b.CIDR) })
	for _, c := range need {
		f.NACLs = append(f.NACLs, c)
	}
	slices.SortFunc(f.NACLs, func(a, b NACLChain) int { return strings.Compare(a.Chain, b.Chain) })
	slices.SortFunc(f.NACLFrom, func(a, b IfChain) int { return strings.Compare(a.If, b.If) })
}

// naclEntries is one direction of a NACL in rule-number order, without
// IPv6 entries (this plane is IPv4) and entries that match no packet. A
// missing NACL denies everything.
func naclEntries(n *netmodel.NACL, egress bool) []NACLRule {
	if n == nil {
		return nil
	}
	src := n.Ingress
	if egress {
		src = n.Egress
	}
	var out []NACLRule
	for _, e := range src {
		if !e.CIDR.IsValid() || !e.CIDR.Addr().Is4() {
			continue
		}
		m := e.Match()
		if m.Empty() {
			continue
		}
		out = append(out, NACLRule{
			Number: e.Number, Proto: m.Protocol, XLo: uint16(m.Lo), XHi: uint16(m.Hi),
			CIDR: e.CIDR.Masked(), Allow: e.Allow,
		})
	}
	slices.SortStableFunc(out, func(a, b NACLRule) int { return a.Number - b.Number })
	return out
}

// planGroups compiles one group set per distinct group list of the local
// instance ENIs and dispatches their ports to it. NAT gateway ENIs have
// no security groups and are not filtered.
func (p *routerPlan) planGroups() {
	f := &p.r.Filter
	sets := map[string]GroupSet{}
	for _, e := range p.local {
		if e.Kind == netmodel.ENINAT {
			continue
		}
		groups := groupKey(e.Groups)
		key := strings.Join(groups, ",")
		gs, ok := sets[key]
		if !ok {
			gs = compileGroupSet(p.x, p.vpc.ID, groups)
			sets[key] = gs
		}
		f.SGOut = append(f.SGOut, IfChain{If: portName(e.ID), Chain: gs.Egress.Chain})
		f.SGIn = append(f.SGIn, IfChain{If: portName(e.ID), Chain: gs.Ingress.Chain})
	}
	for _, gs := range sets {
		f.GroupSets = append(f.GroupSets, gs)
	}
	slices.SortFunc(f.GroupSets, func(a, b GroupSet) int { return strings.Compare(a.Egress.Chain, b.Egress.Chain) })
	byIf := func(a, b IfChain) int { return strings.Compare(a.If, b.If) }
	slices.SortFunc(f.SGOut, byIf)
	slices.SortFunc(f.SGIn, byIf)
	slices.SortFunc(f.RouteMarks, func(a, b IfMark) int { return strings.Compare(a.If, b.If) })
	slices.SortFunc(f.RxMarks, func(a, b MACMark) int { return strings.Compare(a.MAC, b.MAC) })
	slices.SortFunc(f.SourceCheck, func(a, b IfAddr) int {
		if a.If != b.If {
			return strings.Compare(a.If, b.If)
		}
		return a.Addr.Compare(b.Addr)
	})
}
