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
	return reconciler[netip.Prefix, netlink.Addr, netip.Prefix]{
		haveKey: func(a netlink.Addr) (netip.Prefix, bool) { return ipnetPrefix(a.IPNet), true },
		wantKey: func(w netip.Prefix) netip.Prefix { return w },
		del: func(a netlink.Addr) error {
			pf := ipnetPrefix(a.IPNet)
			if slices.Contains(keep, pf) {
				return nil // not planned, but kept
			}
			if err := n.nl.AddrDel(l, &a); err != nil {
				return err
			}
			p.changed(n.name, "delete address %s from %s", pf, l.Attrs().Name)
			return nil
		},
		put: func(w netip.Prefix) error {
			if err := n.nl.AddrReplace(l, &netlink.Addr{IPNet: prefixIPNet(w)}); err != nil {
				return fmt.Errorf("netplane: add %s to %s in %s: %w", w, l.Attrs().Name, n.name, err)
			}
			p.changed(n.name, "add address %s to %s", w, l.Attrs().Name)
			return nil
		},
	}.run(have, want)
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

// plannedRoute is a planned route with its kernel form.
type plannedRoute struct {
	r  netplan.Route
	nr netlink.Route
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
	planned := make([]plannedRoute, 0, len(want))
	for _, r := range want {
		nr, err := toRoute(r, links)
		if err != nil {
			return err
		}
		planned = append(planned, plannedRoute{r, nr})
	}
	return reconciler[routeKey, netlink.Route, plannedRoute]{
		haveKey: func(h netlink.Route) (routeKey, bool) {
			managed := h.Table != unix.RT_TABLE_LOCAL && h.Protocol != unix.RTPROT_KERNEL && (only == nil || only[h.LinkIndex])
			return routeKey{h.Table, ipnetPrefix(h.Dst)}, managed
		},
		wantKey: func(w plannedRoute) routeKey { return routeKey{w.r.Table, w.r.Dst} },
		same:    func(w plannedRoute, h netlink.Route) bool { return sameRoute(w.nr, h) },
		del: func(h netlink.Route) error {
			if err := n.nl.RouteDel(&h); err != nil && !errors.Is(err, unix.ESRCH) {
				return fmt.Errorf("netplane: delete route %v in %s: %w", h, n.name, err)
			}
			p.changed(n.name, "delete route table %d %s", h.Table, ipnetPrefix(h.Dst))
			return nil
		},
		put: func(w plannedRoute) error {
			if err := n.nl.RouteReplace(&w.nr); err != nil {
				return fmt.Errorf("netplane: route %s in %s: %w", w.r, n.name, err)
			}
			p.changed(n.name, "route %s", w.r)
			return nil
		},
	}.run(have, planned)
}

// ruleKey identifies a rule: as planned (a blackhole with table 0), and
// whether the kernel's is inverted (never planned).
type ruleKey struct {
	rule     netplan.Rule
	inverted bool
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
	return reconciler[ruleKey, netlink.Rule, netplan.Rule]{
		haveKey: func(h netlink.Rule) (ruleKey, bool) {
			if h.Priority == 0 || h.Priority == 32766 || h.Priority == 32767 {
				return ruleKey{}, false
			}
			r := netplan.Rule{Priority: h.Priority, Mark: h.Mark, Table: h.Table}
			if h.Mask != nil {
				r.Mask = *h.Mask
			}
			if h.Table <= 0 {
				r.Table, r.Blackhole = 0, true
			}
			return ruleKey{rule: r, inverted: h.Invert}, true
		},
		wantKey: func(r netplan.Rule) ruleKey {
			if r.Blackhole {
				r.Table = 0
			}
			return ruleKey{rule: r}
		},
		del: func(h netlink.Rule) error {
			if err := n.nl.RuleDel(&h); err != nil {
				return fmt.Errorf("netplane: delete rule %v in %s: %w", h, n.name, err)
			}
			p.changed(n.name, "delete rule %d fwmark %#x", h.Priority, h.Mark)
			return nil
		},
		put: func(r netplan.Rule) error {
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
			return nil
		},
	}.run(have, want)
}

type neighKey struct {
	index int
	ip    netip.Addr
}

// plannedNeighbor is a planned neighbour with its key.
type plannedNeighbor struct {
	key neighKey
	n   netplan.Neighbor
}

// ensureNeighbors makes the permanent IPv4 neighbours (of the links in
// only, when set) exactly want.
func (p *Plane) ensureNeighbors(n *ns, want []netplan.Neighbor, links map[string]netlink.Link, only map[int]bool) error {
	have, err := n.nl.NeighList(0, netlink.FAMILY_V4)
	if err != nil {
		return fmt.Errorf("netplane: neighbours of %s: %w", n.name, err)
	}
	planned := make([]plannedNeighbor, 0, len(want))
	for _, w := range want {
		l := links[w.Dev]
		if l == nil {
			return fmt.Errorf("netplane: neighbour %s: no link %q", w.IP, w.Dev)
		}
		planned = append(planned, plannedNeighbor{neighKey{l.Attrs().Index, w.IP}, w})
	}
	return reconciler[neighKey, netlink.Neigh, plannedNeighbor]{
		haveKey: func(h netlink.Neigh) (neighKey, bool) {
			ip, _ := netip.AddrFromSlice(h.IP)
			managed := h.State&netlink.NUD_PERMANENT != 0 && (only == nil || only[h.LinkIndex])
			return neighKey{h.LinkIndex, ip.Unmap()}, managed
		},
		wantKey: func(w plannedNeighbor) neighKey { return w.key },
		same:    func(w plannedNeighbor, h netlink.Neigh) bool { return w.n.MAC == h.HardwareAddr.String() },
		del: func(h netlink.Neigh) error {
			if err := n.nl.NeighDel(&h); err != nil {
				return err
			}
			ip, _ := netip.AddrFromSlice(h.IP)
			p.changed(n.name, "delete neighbour %s", ip.Unmap())
			return nil
		},
		put: func(w plannedNeighbor) error {
			err := n.nl.NeighSet(&netlink.Neigh{
				LinkIndex: w.key.index, Family: netlink.FAMILY_V4, State: netlink.NUD_PERMANENT,
				IP: net.IP(w.n.IP.AsSlice()), HardwareAddr: mustMAC(w.n.MAC),
			})
			if err != nil {
				return fmt.Errorf("netplane: neighbour %s on %s in %s: %w", w.n.IP, w.n.Dev, n.name, err)
			}
			p.changed(n.name, "neighbour %s %s %s", w.n.Dev, w.n.IP, w.n.MAC)
			return nil
		},
	}.run(have, planned)
}

// fdbKey identifies a forwarding entry of a VXLAN device.
type fdbKey struct {
	mac string
	dst netip.Addr
}

// ensureFDB makes the VXLAN device's forwarding entries exactly want.
func (p *Plane) ensureFDB(n *ns, vx netlink.Link, want []netplan.FDBEntry) error {
	have, err := n.nl.NeighList(vx.Attrs().Index, unix.AF_BRIDGE)
	if err != nil {
		return fmt.Errorf("netplane: fdb of %s in %s: %w", vx.Attrs().Name, n.name, err)
	}
	return reconciler[fdbKey, netlink.Neigh, netplan.FDBEntry]{
		haveKey: func(h netlink.Neigh) (fdbKey, bool) {
			ip, _ := netip.AddrFromSlice(h.IP)
			return fdbKey{h.HardwareAddr.String(), ip.Unmap()}, h.IP != nil && h.LinkIndex == vx.Attrs().Index
		},
		wantKey: func(w netplan.FDBEntry) fdbKey { return fdbKey{w.MAC, w.Dst} },
		del: func(h netlink.Neigh) error {
			if err := n.nl.NeighDel(&h); err != nil {
				return err
			}
			ip, _ := netip.AddrFromSlice(h.IP)
			p.changed(n.name, "delete fdb %s dst %s", h.HardwareAddr, ip.Unmap())
			return nil
		},
		put: func(w netplan.FDBEntry) error {
			err := n.nl.NeighAppend(&netlink.Neigh{
				LinkIndex: vx.Attrs().Index, Family: unix.AF_BRIDGE, Flags: netlink.NTF_SELF,
				State: netlink.NUD_PERMANENT, HardwareAddr: mustMAC(w.MAC), IP: net.IP(w.Dst.AsSlice()),
			})
			if err != nil {
				return fmt.Errorf("netplane: fdb %s dst %s in %s: %w", w.MAC, w.Dst, n.name, err)
			}
			p.changed(n.name, "fdb %s dst %s", w.MAC, w.Dst)
			return nil
		},
	}.run(have, want)
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
