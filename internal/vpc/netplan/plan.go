package netplan

import (
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/nimbuscloud/nimbus/internal/vpc/netmodel"
)

// ErrUnknownHost is returned when the host is not in the model.
var ErrUnknownHost = errors.New("netplan: host not in model")

// Plan computes the desired data plane of host from the model. It is
// pure: the same model, host and config always give an equal HostState.
func Plan(m *netmodel.Model, host string, cfg Config) (*HostState, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	x := netmodel.NewIndex(m)
	h := x.Host[host]
	if h == nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownHost, host)
	}
	if !h.Underlay.Is4() {
		return nil, fmt.Errorf("netplan: host %q has no IPv4 underlay address", host)
	}
	hs := &HostState{
		Host:      host,
		Owner:     OwnerMark(cfg.Prefix, host),
		HostNetns: cfg.HostNetns,
		Underlay:  h.Underlay,
		MTU:       cfg.MTU,
	}

	// The VPCs with ENIs wired on this host each get a router.
	local := map[string][]*netmodel.ENI{}
	for i := range m.ENIs {
		if e := &m.ENIs[i]; e.Host == host {
			local[e.VPC] = append(local[e.VPC], e)
		}
	}
	for _, vpc := range slices.Sorted(maps.Keys(local)) {
		enis := local[vpc]
		slices.SortFunc(enis, func(a, b *netmodel.ENI) int { return strings.Compare(a.ID, b.ID) })
		p := &routerPlan{x: x, cfg: cfg, hs: hs, vpc: x.VPC[vpc], local: enis}
		if p.vpc == nil {
			return nil, fmt.Errorf("netplan: ENI %s: unknown VPC %q", enis[0].ID, vpc)
		}
		if err := p.plan(); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(hs.Guests, func(a, b Guest) int { return strings.Compare(a.ENI, b.ENI) })
	if hs.Internet != nil {
		sortRoutes(hs.Internet.Routes)
		sortNeighbors(hs.Internet.Neighbors)
	}
	return hs, checkNames(hs)
}

// routerPlan plans one VPC's router on the host.
type routerPlan struct {
	x     *netmodel.Index
	cfg   Config
	hs    *HostState
	vpc   *netmodel.VPC
	local []*netmodel.ENI // sorted by ID
	// remote are the VPC's ENIs wired on other (known) hosts.
	remote []*netmodel.ENI
	r      Router
	// tableOf maps "rtb:<id>" and "eni:<id>" to routing table numbers.
	tableOf map[string]uint32
}

func (p *routerPlan) plan() error {
	p.r = Router{VPC: p.vpc.ID, Netns: namespaceName(p.cfg.Prefix, p.hs.Host, p.vpc.ID)}
	// 1. Skeleton: the overlay device and, with an attached internet
	//    gateway and a configured internet segment, the uplink.
	p.r.VXLAN = VXLAN{
		Name: vxlanName(p.vpc.VNI), VNI: p.vpc.VNI, MAC: routerMAC(p.hs.Host, p.vpc.ID),
		Local: p.hs.Underlay, Port: p.cfg.VXLANPort,
	}
	p.planUplink()
	// 2. Ports and guests of the local ENIs; subnet routers on lo.
	if err := p.planPorts(); err != nil {
		return err
	}
	// 3. Remote ENIs: the VPC's ENIs on other hosts.
	p.findRemote()
	// 4. Routing: tables, rules, routes, neighbours and FDB entries.
	p.planTables()
	p.planRoutes()
	p.planOverlay()
	// 5. Filter: marks, source/dest check, NAT, NACLs, security groups.
	p.planFilter()

	sortRoutes(p.r.Routes)
	sortNeighbors(p.r.Neighbors)
	slices.SortFunc(p.r.FDB, func(a, b FDBEntry) int { return strings.Compare(a.MAC, b.MAC) })
	p.hs.Routers = append(p.hs.Routers, p.r)
	return nil
}

func (p *routerPlan) planPorts() error {
	subnets := map[string]bool{}
	for _, e := range p.local {
		s := p.x.Subnet[e.Subnet]
		if s == nil || s.VPC != p.vpc.ID {
			return fmt.Errorf("netplan: ENI %s: subnet %q is not in VPC %s", e.ID, e.Subnet, p.vpc.ID)
		}
		if !e.Primary().Is4() {
			return fmt.Errorf("netplan: ENI %s has no IPv4 primary address", e.ID)
		}
		port := Port{ENI: e.ID, Subnet: s.ID, Name: portName(e.ID), MAC: mac("port", e.ID)}
		p.r.Ports = append(p.r.Ports, port)
		p.hs.Guests = append(p.hs.Guests, p.guest(e, s, port))
		if !subnets[s.ID] {
			subnets[s.ID] = true
			p.r.Loopback = append(p.r.Loopback, netip.PrefixFrom(s.Router(), 32))
		}
	}
	slices.SortFunc(p.r.Loopback, comparePrefix)
	return nil
}

func (p *routerPlan) guest(e *netmodel.ENI, s *netmodel.Subnet, port Port) Guest {
	g := Guest{
		ENI: e.ID, Kind: e.Kind, MAC: eniMAC(e), MTU: p.cfg.MTU,
		Router: p.r.Netns, PeerName: port.Name, Gateway: s.Router(), IfName: DefaultIfName,
	}
	if a, ok := p.cfg.Attachments[e.ID]; ok && a.Netns != "" {
		g.Netns = a.Netns
		if a.IfName != "" {
			g.IfName = a.IfName
		}
		if a.NoDefaultRoute {
			g.Gateway = netip.Addr{}
		}
	} else {
		g.Netns, g.Owned = namespaceName(p.cfg.Prefix, p.hs.Host, e.ID), true
	}
	for _, ip := range e.PrivateIPs {
		if ip.Is4() {
			g.Addrs = append(g.Addrs, netip.PrefixFrom(ip, s.CIDR.Bits()))
		}
	}
	if e.Kind == netmodel.ENINAT {
		g.NAT = &GuestNAT{Addr: e.Primary()}
	}
	return g
}

// eniMAC is the ENI's MAC in canonical form, or a derived one.
func eniMAC(e *netmodel.ENI) string {
	if hw, err := parseMAC(e.MAC); err == nil {
		return hw
	}
	h := hash("eni", e.ID)
	return fmt.Sprintf("02:%02x:%02x:%02x:%02x:%02x", h[0], h[1], h[2], h[3], h[4])
}

func (p *routerPlan) findRemote() {
	for _, e := range p.x.ENI {
		if e.VPC != p.vpc.ID || e.Host == "" || e.Host == p.hs.Host {
			continue
		}
		if h := p.x.Host[e.Host]; h == nil || !h.Underlay.Is4() || !e.Primary().Is4() {
			continue
		}
		p.remote = append(p.remote, e)
	}
	slices.SortFunc(p.remote, func(a, b *netmodel.ENI) int { return strings.Compare(a.ID, b.ID) })
}

// sourceDestCheck is the ENI's effective check: a NAT gateway forwards
// by definition, so its ENI never has it.
func sourceDestCheck(e *netmodel.ENI) bool {
	return e.SourceDestCheck && e.Kind != netmodel.ENINAT
}

// checkNames rejects a plan in which two objects got the same name.
func checkNames(hs *HostState) error {
	seen := map[string]string{}
	add := func(name, what string) error {
		if prev, ok := seen[name]; ok {
			return fmt.Errorf("netplan: %s and %s are both named %q", prev, what, name)
		}
		seen[name] = what
		return nil
	}
	vnis := map[string]string{}
	for _, r := range hs.Routers {
		if err := add(r.Netns, "router of "+r.VPC); err != nil {
			return err
		}
		if prev, ok := vnis[r.VXLAN.Name]; ok {
			return fmt.Errorf("netplan: VPCs %s and %s share VNI %d", prev, r.VPC, r.VXLAN.VNI)
		}
		vnis[r.VXLAN.Name] = r.VPC
		ports := map[string]bool{}
		for _, pt := range r.Ports {
			if ports[pt.Name] {
				return fmt.Errorf("netplan: two ports named %q in %s", pt.Name, r.Netns)
			}
			ports[pt.Name] = true
		}
	}
	ifaces := map[[2]string]string{}
	for _, g := range hs.Guests {
		if g.Owned {
			if err := add(g.Netns, "namespace of "+g.ENI); err != nil {
				return err
			}
		}
		k := [2]string{g.Netns, g.IfName}
		if prev, ok := ifaces[k]; ok {
			return fmt.Errorf("netplan: ENIs %s and %s both attach as %s in %s", prev, g.ENI, g.IfName, g.Netns)
		}
		ifaces[k] = g.ENI
	}
	return nil
}

func comparePrefix(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return a.Bits() - b.Bits()
}

func sortRoutes(rs []Route) {
	slices.SortFunc(rs, func(a, b Route) int {
		if a.Table != b.Table {
			return a.Table - b.Table
		}
		return comparePrefix(a.Dst, b.Dst)
	})
}

func sortNeighbors(ns []Neighbor) {
	slices.SortFunc(ns, func(a, b Neighbor) int {
		if a.Dev != b.Dev {
			return strings.Compare(a.Dev, b.Dev)
		}
		return a.IP.Compare(b.IP)
	})
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
