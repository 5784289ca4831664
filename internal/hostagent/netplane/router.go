package netplane

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/vishvananda/netlink"

	"github.com/nimbuscloud/nimbus/internal/vpc/netplan"
)

var loopback = netip.MustParsePrefix("127.0.0.1/8")

// applyRouter makes one VPC router namespace match r.
func (p *Plane) applyRouter(ctx context.Context, hs *netplan.HostState, r *netplan.Router, host, inet *ns, guests map[string]*ns) error {
	n, created, err := createNS(r.Netns, p.owner)
	if err != nil {
		return err
	}
	defer n.close()
	if created {
		p.changed(r.Netns, "create namespace")
	}
	// Namespace-wide settings first: new links inherit the defaults.
	if err := p.sysctls(n, routerSysctls); err != nil {
		return err
	}

	// Links: ports (veth pairs into the guests), the VXLAN device, the
	// uplink; anything else goes.
	have, err := linkMap(n)
	if err != nil {
		return err
	}
	want := map[string]bool{r.VXLAN.Name: true}
	for _, pt := range r.Ports {
		want[pt.Name] = true
	}
	if r.Uplink != nil {
		want[r.Uplink.Name] = true
	}
	if err := p.deleteExtraLinks(n, have, want); err != nil {
		return err
	}
	guestOf := map[string]netplan.Guest{}
	for _, g := range hs.Guests {
		guestOf[g.ENI] = g
	}
	links := map[string]netlink.Link{"lo": have["lo"]}
	var linkSettings []sysctl
	for _, pt := range r.Ports {
		g, gns := guestOf[pt.ENI], guests[pt.ENI]
		if gns == nil {
			return fmt.Errorf("netplane: port %s: no guest namespace for %s", pt.Name, pt.ENI)
		}
		l, err := p.ensureVeth(n, have, vethSpec{
			local:  linkSpec{name: pt.Name, mac: pt.MAC, mtu: hs.MTU, alias: pt.ENI},
			peer:   linkSpec{name: g.IfName, mac: g.MAC, mtu: g.MTU, alias: p.owner},
			peerNS: gns, peerOwned: g.Owned,
		})
		if err != nil {
			return err
		}
		links[pt.Name] = l
		linkSettings = append(linkSettings, portSysctls(pt.Name)...)
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	vx, vxNew, err := p.ensureVXLAN(n, host, have, r.VXLAN, hs.MTU)
	if err != nil {
		return err
	}
	links[r.VXLAN.Name] = vx
	linkSettings = append(linkSettings, linkSysctls(r.VXLAN.Name)...)
	if u := r.Uplink; u != nil {
		if inet == nil {
			return fmt.Errorf("netplane: uplink without an internet segment")
		}
		l, err := p.ensureVeth(n, have, vethSpec{
			local:  linkSpec{name: u.Name, mac: u.MAC, mtu: hs.MTU, alias: p.owner},
			peer:   linkSpec{name: u.PeerName, mac: u.PeerMAC, mtu: hs.MTU, alias: p.owner},
			peerNS: inet,
		})
		if err != nil {
			return err
		}
		links[u.Name] = l
		linkSettings = append(linkSettings, linkSysctls(u.Name)...)
	}
	if err := p.sysctls(n, linkSettings); err != nil {
		return err
	}

	// Addresses: the subnet routers on lo.
	lo := have["lo"]
	if err := p.ensureAddrs(n, lo, r.Loopback, loopback); err != nil {
		return err
	}
	// Routing.
	if err := p.ensureRoutes(n, r.Routes, links, nil); err != nil {
		return err
	}
	if err := p.ensureRules(n, r.Rules); err != nil {
		return err
	}
	if err := p.ensureNeighbors(n, r.Neighbors, links, nil); err != nil {
		return err
	}
	if err := p.ensureFDB(n, vx, r.FDB); err != nil {
		return err
	}
	// Filter.
	if err := p.ensureTable(n, routerTable(&r.Filter), false); err != nil {
		return err
	}
	return p.ensureTable(n, rxTable(&r.Filter), vxNew)
}

// sysctls applies settings and records what changed.
func (p *Plane) sysctls(n *ns, want []sysctl) error {
	changed, err := applySysctls(n, want)
	for _, c := range changed {
		p.changed(n.name, "sysctl %s", c)
	}
	return err
}

// lastAddr is the last address of an IPv4 prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	if p.Bits() == 0 {
		host = ^uint32(0)
	}
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v |= host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}
