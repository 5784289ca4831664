package netplane

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/nimbuscloud/nimbus/internal/vpc/netplan"
)

// routeProtocol marks the routes nimbus adds ("proto 78" in ip route).
const routeProtocol = 78

// ensureAddrs makes the link's IPv4 addresses exactly want plus keep.
func (p *Plane) ensureAddrs(n *ns, l netlink.Link, want []netip.Prefix, keep ...netip.Prefix) error {
	have, err := n.nl.AddrList(l, netlink.FAMILY_V4)
	if err != nil {
		return fmt.Errorf("netplane: addresses of %s in %s: %w", l.Attrs().Name, n.name, err)
	}
	wanted := map[netip.Prefix]bool{}
	for _, w := range want {
		wanted[w] = true
	}
	for _, a := range have {
		pf := ipnetPrefix(a.IPNet)
		if wanted[pf] {
			delete(wanted, pf)
			continue
		}
		if slices.Contains(keep, pf) {
			continue
		}
		if err := n.nl.AddrDel(l, &a); err != nil {
			return err
		}
		p.changed(n.name, "delete address %s from %s", pf, l.Attrs().Name)
	}
	for _, w := range want {
		if !wanted[w] {
			continue
		}
		if err := n.nl.AddrReplace(l, &netlink.Addr{IPNet: prefixIPNet(w)}); err != nil {
			return fmt.Errorf("netplane: add %s to %s in %s: %w", w, l.Attrs().Name, n.name, err)
		}
		p.changed(n.name, "add address %s to %s", w, l.Attrs().Name)
	}
	return nil
}

// routeKey identifies a route: table and destination.
type routeKey struct {
	table int
	dst   netip.Prefix
}

// toRoute builds the kernel route of a planned one.
func toRoute(r netplan.Route, links map[string]netlink.Link) (netlink.Route, error) {
	nr := netlink.Route{
		Family: netlink.FAMILY_V4, Table: r.Table, Dst: prefixIPNet(r.Dst), Protocol: routeProtocol,
	}
	switch r.Type {
	case netplan.RouteUnicast:
		l := links[r.Dev]
		if l == nil {
			return nr, fmt.Errorf("netplane: route %s: no link %q", r, r.Dev)
		}
		nr.Type, nr.LinkIndex = unix.RTN_UNICAST, l.Attrs().Index
		if r.Via.IsValid() {
			nr.Gw, nr.Flags = net.IP(r.Via.AsSlice()), int(netlink.FLAG_ONLINK)
		} else {
			nr.Scope = netlink.SCOPE_LINK
		}
	case netplan.RouteThrow:
		nr.Type = unix.RTN_THROW
	case netplan.RouteBlackhole:
		nr.Type = unix.RTN_BLACKHOLE
	default:
		return nr, fmt.Errorf("netplane: route type %q", r.Type)
	}
	return nr, nil
}

func sameRoute(a, b netlink.Route) bool {
	return a.Type == b.Type && a.LinkIndex == b.LinkIndex && a.Gw.Equal(b.Gw) &&
		a.Flags&int(netlink.FLAG_ONLINK) == b.Flags&int(netlink.FLAG_ONLINK) && a.Protocol == b.Protocol
}

// ensureRoutes makes the namespace's IPv4 routes (all tables but local,
// kernel-made routes aside) exactly want. With only set, it manages just
// the routes through those links (a shared namespace).
func (p *Plane) ensureRoutes(n *ns, want []netplan.Route, links map[string]netlink.Link, only map[int]bool) error {
	have, err := n.nl.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
	if errors.Is(err, netlink.ErrDumpInterrupted) {
		have, err = n.nl.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
	}
	if err != nil {
		return fmt.Errorf("netplane: routes of %s: %w", n.name, err)
	}
	wanted := map[routeKey]netlink.Route{}
	for _, r := range want {
		nr, err := toRoute(r, links)
		if err != nil {
			return err
		}
		wanted[routeKey{r.Table, r.Dst}] = nr
	}
	for _, h := range have {
		if h.Table == unix.RT_TABLE_LOCAL || h.Protocol == unix.RTPROT_KERNEL {
			continue
		}
		if only != nil && !only[h.LinkIndex] {
			continue
		}
		k := routeKey{h.Table, ipnetPrefix(h.Dst)}
		if w, ok := wanted[k]; ok && sameRoute(w, h) {
			delete(wanted, k)
			continue
		}
		if _, ok := wanted[k]; ok {
			continue // replaced below
		}
		if err := n.nl.RouteDel(&h); err != nil && !errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("netplane: delete route %v in %s: %w", h, n.name, err)
		}
		p.changed(n.name, "delete route table %d %s", h.Table, k.dst)
	}
	for _, r := range want {
		nr, ok := wanted[routeKey{r.Table, r.Dst}]
		if !ok {
			continue
		}
		if err := n.nl.RouteReplace(&nr); err != nil {
			return fmt.Errorf("netplane: route %s in %s: %w", r, n.name, err)
		}
		p.changed(n.name, "route %s", r)
	}
	return nil
}

// ensureRules makes the policy rules, other than the kernel's three
// defaults, exactly want. (The netlink library does not report a rule's
// action; a rule without a table is taken for the blackhole it is in a
// router, where nimbus makes all the rules.)
func (p *Plane) ensureRules(n *ns, want []netplan.Rule) error {
	have, err := n.nl.RuleList(netlink.FAMILY_V4)
	if err != nil {
		return fmt.Errorf("netplane: rules of %s: %w", n.name, err)
	}
	wanted := map[netplan.Rule]bool{}
	for _, r := range want {
		if r.Blackhole {
			r.Table = 0
		}
		wanted[r] = true
	}
	for _, h := range have {
		if h.Priority == 0 || h.Priority == 32766 || h.Priority == 32767 {
			continue
		}
		r := netplan.Rule{Priority: h.Priority, Mark: h.Mark, Table: h.Table}
		if h.Mask != nil {
			r.Mask = *h.Mask
		}
		if h.Table <= 0 {
			r.Table, r.Blackhole = 0, true
		}
		if wanted[r] && !h.Invert {
			delete(wanted, r)
			continue
		}
		if err := n.nl.RuleDel(&h); err != nil {
			return fmt.Errorf("netplane: delete rule %v in %s: %w", h, n.name, err)
		}
		p.changed(n.name, "delete rule %d fwmark %#x", h.Priority, h.Mark)
	}
	for _, r := range want {
		key := r
		if key.Blackhole {
			key.Table = 0
		}
		if !wanted[key] {
			continue
		}
		nr := netlink.NewRule()
		mask := r.Mask
		nr.Family, nr.Priority, nr.Mark, nr.Mask = netlink.FAMILY_V4, r.Priority, r.Mark, &mask
		if r.Blackhole {
			nr.Type = unix.RTN_BLACKHOLE
		} else {
			nr.Table = r.Table
		}
		if err := n.nl.RuleAdd(nr); err != nil {
			return fmt.Errorf("netplane: rule %d fwmark %#x in %s: %w", r.Priority, r.Mark, n.name, err)
		}
		p.changed(n.name, "rule %d fwmark %#x/%#x table %#x blackhole=%v", r.Priority, r.Mark, r.Mask, r.Table, r.Blackhole)
	}
	return nil
}

type neighKey struct {
	index int
	ip    netip.Addr
}

// ensureNeighbors makes the permanent IPv4 neighbours (of the links in
// only, when set) exactly want.
func (p *Plane) ensureNeighbors(n *ns, want []netplan.Neighbor, links map[string]netlink.Link, only map[int]bool) error {
	have, err := n.nl.NeighList(0, netlink.FAMILY_V4)
	if err != nil {
		return fmt.Errorf("netplane: neighbours of %s: %w", n.name, err)
	}
	wanted := map[neighKey]string{}
	for _, w := range want {
		l := links[w.Dev]
		if l == nil {
			return fmt.Errorf("netplane: neighbour %s: no link %q", w.IP, w.Dev)
		}
		wanted[neighKey{l.Attrs().Index, w.IP}] = w.MAC
	}
	for _, h := range have {
		if h.State&netlink.NUD_PERMANENT == 0 || (only != nil && !only[h.LinkIndex]) {
			continue
		}
		ip, _ := netip.AddrFromSlice(h.IP)
		k := neighKey{h.LinkIndex, ip.Unmap()}
		if m, ok := wanted[k]; ok && m == h.HardwareAddr.String() {
			delete(wanted, k)
			continue
		}
		if _, ok := wanted[k]; ok {
			continue // replaced below
		}
		if err := n.nl.NeighDel(&h); err != nil {
			return err
		}
		p.changed(n.name, "delete neighbour %s", ip)
	}
	for _, w := range want {
		k := neighKey{links[w.Dev].Attrs().Index, w.IP}
		if _, ok := wanted[k]; !ok {
			continue
		}
		err := n.nl.NeighSet(&netlink.Neigh{
			LinkIndex: k.index, Family: netlink.FAMILY_V4, State: netlink.NUD_PERMANENT,
			IP: net.IP(w.IP.AsSlice()), HardwareAddr: mustMAC(w.MAC),
		})
		if err != nil {
			return fmt.Errorf("netplane: neighbour %s on %s in %s: %w", w.IP, w.Dev, n.name, err)
		}
		p.changed(n.name, "neighbour %s %s %s", w.Dev, w.IP, w.MAC)
	}
	return nil
}

// ensureFDB makes the VXLAN device's forwarding entries exactly want.
func (p *Plane) ensureFDB(n *ns, vx netlink.Link, want []netplan.FDBEntry) error {
	have, err := n.nl.NeighList(vx.Attrs().Index, unix.AF_BRIDGE)
	if err != nil {
		return fmt.Errorf("netplane: fdb of %s in %s: %w", vx.Attrs().Name, n.name, err)
	}
	type key struct {
		mac string
		dst netip.Addr
	}
	wanted := map[key]bool{}
	for _, w := range want {
		wanted[key{w.MAC, w.Dst}] = true
	}
	for _, h := range have {
		if h.IP == nil || h.LinkIndex != vx.Attrs().Index {
			continue
		}
		ip, _ := netip.AddrFromSlice(h.IP)
		k := key{h.HardwareAddr.String(), ip.Unmap()}
		if wanted[k] {
			delete(wanted, k)
			continue
		}
		if err := n.nl.NeighDel(&h); err != nil {
			return err
		}
		p.changed(n.name, "delete fdb %s dst %s", k.mac, k.dst)
	}
	for _, w := range want {
		if !wanted[key{w.MAC, w.Dst}] {
			continue
		}
		err := n.nl.NeighAppend(&netlink.Neigh{
			LinkIndex: vx.Attrs().Index, Family: unix.AF_BRIDGE, Flags: netlink.NTF_SELF,
			State: netlink.NUD_PERMANENT, HardwareAddr: mustMAC(w.MAC), IP: net.IP(w.Dst.AsSlice()),
		})
		if err != nil {
			return fmt.Errorf("netplane: fdb %s dst %s in %s: %w", w.MAC, w.Dst, n.name, err)
		}
		p.changed(n.name, "fdb %s dst %s", w.MAC, w.Dst)
	}
	return nil
}

func prefixIPNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: net.IP(p.Addr().AsSlice()), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

func ipnetPrefix(n *net.IPNet) netip.Prefix {
	if n == nil {
		return netip.PrefixFrom(netip.IPv4Unspecified(), 0)
	}
	a, _ := netip.AddrFromSlice(n.IP)
	ones, _ := n.Mask.Size()
	return netip.PrefixFrom(a.Unmap(), ones)
}
