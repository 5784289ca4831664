package netplan

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/nimbuscloud/nimbus/internal/vpc/netmodel"
)

// Routing in a router namespace:
//
//   - main table: a /32 per private address of every ENI of the VPC, out
//     of its port (local) or the VXLAN device (remote). Nothing else, so a
//     lookup in main finds an ENI or nothing.
//   - one table per route table in use by a local subnet, selected by the
//     mark the filter puts on packets from that subnet's ports. The VPC
//     CIDRs (local) are throw routes: the lookup falls through to main.
//     Blackhole routes, and routes whose target is gone, drop.
//   - one table per local ENI with source/dest check off, selected by the
//     mark put on frames that arrive over VXLAN for its MAC (another host
//     routed to it as a target): everything goes to the ENI.

func (p *routerPlan) planTables() {
	var ids []string
	for _, s := range p.localSubnets() {
		if s.RouteTable != "" {
			ids = append(ids, "rtb:"+s.RouteTable)
		}
	}
	for _, e := range p.local {
		if !sourceDestCheck(e) {
			ids = append(ids, "eni:"+e.ID)
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	t := newTables()
	p.tableOf = map[string]uint32{}
	for _, id := range ids {
		n := t.assign(id)
		p.tableOf[id] = n
		p.r.Rules = append(p.r.Rules, Rule{Priority: rulePriority, Mark: n, Mask: 0xffffffff, Table: int(n)})
	}
	slices.SortFunc(p.r.Rules, func(a, b Rule) int { return int(a.Mark) - int(b.Mark) })
	p.r.Rules = append(p.r.Rules,
		Rule{Priority: ruleMainPriority, Mark: tableBase, Mask: tableMask, Table: MainTable},
		Rule{Priority: ruleDropPriority, Mark: tableBase, Mask: tableMask, Blackhole: true})
}

// localSubnets are the subnets of the local ENIs, sorted by ID.
func (p *routerPlan) localSubnets() []*netmodel.Subnet {
	var out []*netmodel.Subnet
	seen := map[string]bool{}
	for _, pt := range p.r.Ports {
		if !seen[pt.Subnet] {
			seen[pt.Subnet] = true
			out = append(out, p.x.Subnet[pt.Subnet])
		}
	}
	slices.SortFunc(out, func(a, b *netmodel.Subnet) int { return strings.Compare(a.ID, b.ID) })
	return out
}

func (p *routerPlan) planRoutes() {
	// Main: every ENI's addresses.
	for _, e := range p.local {
		for _, ip := range e.PrivateIPs {
			if ip.Is4() {
				p.route(MainTable, netip.PrefixFrom(ip, 32), RouteUnicast, portName(e.ID), netip.Addr{})
			}
		}
	}
	for _, e := range p.remote {
		for _, ip := range e.PrivateIPs {
			if ip.Is4() {
				p.route(MainTable, netip.PrefixFrom(ip, 32), RouteUnicast, p.r.VXLAN.Name, netip.Addr{})
			}
		}
	}
	// Route tables.
	for _, s := range p.localSubnets() {
		n, ok := p.tableOf["rtb:"+s.RouteTable]
		if !ok {
			continue
		}
		if p.tableDone(int(n)) {
			continue
		}
		p.planRouteTable(int(n), p.x.RouteTable[s.RouteTable])
	}
	// Tables of ENIs that are route targets: everything to the ENI.
	for _, e := range p.local {
		if n, ok := p.tableOf["eni:"+e.ID]; ok {
			p.route(int(n), netip.PrefixFrom(netip.IPv4Unspecified(), 0), RouteUnicast, portName(e.ID), e.Primary())
		}
	}
}

func (p *routerPlan) tableDone(n int) bool {
	for _, r := range p.r.Routes {
		if r.Table == n {
			return true
		}
	}
	return false
}

// planRouteTable fills table n from rt (nil: a table that is gone, which
// keeps only the local routes).
func (p *routerPlan) planRouteTable(n int, rt *netmodel.RouteTable) {
	seen := map[netip.Prefix]bool{}
	for _, c := range p.vpc.CIDRs {
		if c.Addr().Is4() && !seen[c.Masked()] {
			seen[c.Masked()] = true
			p.route(n, c.Masked(), RouteThrow, "", netip.Addr{})
		}
	}
	if rt == nil {
		return
	}
	for _, r := range rt.Routes {
		dst := r.Dest.Masked()
		if !dst.Addr().Is4() || seen[dst] {
			continue
		}
		seen[dst] = true
		switch r.Kind {
		case netmodel.TargetLocal:
			p.route(n, dst, RouteThrow, "", netip.Addr{})
		case netmodel.TargetIGW:
			if g := p.x.InternetGateway[r.Target]; g != nil && g.VPC == p.vpc.ID && p.r.Uplink != nil {
				p.route(n, dst, RouteUnicast, p.r.Uplink.Name, p.r.Uplink.PeerAddr)
			} else {
				p.route(n, dst, RouteBlackhole, "", netip.Addr{})
			}
		case netmodel.TargetNAT, netmodel.TargetENI:
			id := r.Target
			if r.Kind == netmodel.TargetNAT {
				id = ""
				if g := p.x.NATGateway[r.Target]; g != nil && g.VPC == p.vpc.ID {
					id = g.ENI
				}
			}
			if dev, via, ok := p.eniHop(id); ok {
				p.route(n, dst, RouteUnicast, dev, via)
			} else {
				p.route(n, dst, RouteBlackhole, "", netip.Addr{})
			}
		default: // blackhole, and kinds this plane does not know
			p.route(n, dst, RouteBlackhole, "", netip.Addr{})
		}
	}
}

// eniHop is how the router reaches ENI id as a next hop.
func (p *routerPlan) eniHop(id string) (dev string, via netip.Addr, ok bool) {
	e := p.x.ENI[id]
	if e == nil || e.VPC != p.vpc.ID || !e.Primary().Is4() {
		return "", netip.Addr{}, false
	}
	if e.Host == p.hs.Host {
		return portName(e.ID), e.Primary(), true
	}
	if slices.Contains(p.remote, e) {
		return p.r.VXLAN.Name, e.Primary(), true
	}
	return "", netip.Addr{}, false
}

func (p *routerPlan) route(table int, dst netip.Prefix, t RouteType, dev string, via netip.Addr) {
	p.r.Routes = append(p.r.Routes, Route{Table: table, Dst: dst, Type: t, Dev: dev, Via: via})
}

// planOverlay adds the permanent neighbours and FDB entries. A local ENI's
// addresses resolve to its MAC on its port. A remote ENI's addresses
// resolve to the remote router's MAC, whose FDB entry points at the
// remote host; an ENI with source/dest check off resolves to its own MAC
// instead (with its own FDB entry), so the remote router can tell that a
// packet is meant for it whatever its destination address.
func (p *routerPlan) planOverlay() {
	for _, e := range p.local {
		for _, ip := range e.PrivateIPs {
			if ip.Is4() {
				p.r.Neighbors = append(p.r.Neighbors, Neighbor{Dev: portName(e.ID), IP: ip, MAC: eniMAC(e)})
			}
		}
	}
	fdb := map[string]netip.Addr{}
	for _, e := range p.remote {
		under := p.x.Host[e.Host].Underlay
		m := routerMAC(e.Host, p.vpc.ID)
		if !sourceDestCheck(e) {
			m = eniMAC(e)
		}
		fdb[m] = under
		for _, ip := range e.PrivateIPs {
			if ip.Is4() {
				p.r.Neighbors = append(p.r.Neighbors, Neighbor{Dev: p.r.VXLAN.Name, IP: ip, MAC: m})
			}
		}
	}
	for m, dst := range fdb {
		p.r.FDB = append(p.r.FDB, FDBEntry{Dev: p.r.VXLAN.Name, MAC: m, Dst: dst})
	}
	if u := p.r.Uplink; u != nil {
		p.r.Neighbors = append(p.r.Neighbors, Neighbor{Dev: u.Name, IP: u.PeerAddr, MAC: u.PeerMAC})
	}
}

// planUplink gives the router an uplink when its VPC has an internet
// gateway attached and the internet segment is configured.
func (p *routerPlan) planUplink() {
	if p.cfg.Internet.Netns == "" || !p.hasIGW() {
		return
	}
	host, vpc := p.hs.Host, p.vpc.ID
	p.r.Uplink = &Uplink{
		Name: UplinkName, MAC: mac("uplink", host, vpc), Addr: uplinkRouterAddr,
		PeerNetns: p.cfg.Internet.Netns, PeerName: uplinkPeerName(host, vpc),
		PeerMAC: mac("uplink-peer", host, vpc), PeerAddr: uplinkPeerAddr,
	}
	if p.hs.Internet == nil {
		p.hs.Internet = &Internet{Netns: p.cfg.Internet.Netns, Bridge: BridgeName, Gateway: p.cfg.Internet.Gateway}
	}
}

func (p *routerPlan) hasIGW() bool {
	for _, g := range p.x.InternetGateway {
		if g.VPC == p.vpc.ID {
			return true
		}
	}
	return false
}
