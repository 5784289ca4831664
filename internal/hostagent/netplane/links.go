package netplane

import (
	"errors"
	"fmt"
	"net"

	"github.com/vishvananda/netlink"

	"github.com/nimbuscloud/nimbus/internal/vpc/netplan"
)

// linkSpec is what a link nimbus owns should look like.
type linkSpec struct {
	name, mac string
	mtu       int
	alias     string
}

// vethSpec is a veth pair: the local end and its peer in another
// namespace. peerOwned says nimbus may delete a link of the peer's name
// that is in the way (the peer namespace is nimbus's).
type vethSpec struct {
	local, peer linkSpec
	peerNS      *ns
	peerOwned   bool
}

// linkMap lists a namespace's links by name.
func linkMap(n *ns) (map[string]netlink.Link, error) {
	links, err := n.nl.LinkList()
	if errors.Is(err, netlink.ErrDumpInterrupted) {
		links, err = n.nl.LinkList()
	}
	if err != nil {
		return nil, fmt.Errorf("netplane: links of %s: %w", n.name, err)
	}
	m := make(map[string]netlink.Link, len(links))
	for _, l := range links {
		m[l.Attrs().Name] = l
	}
	return m, nil
}

// ensureVeth makes the pair exist with the right ends, recreating it when
// either end is missing or belongs to another pair, then fixes attributes.
func (p *Plane) ensureVeth(n *ns, have map[string]netlink.Link, v vethSpec) (netlink.Link, error) {
	l := have[v.local.name]
	var peer netlink.Link
	if l != nil {
		peer, _ = v.peerNS.nl.LinkByName(v.peer.name)
		if l.Type() != "veth" || peer == nil || peer.Type() != "veth" ||
			peer.Attrs().ParentIndex != l.Attrs().Index || l.Attrs().ParentIndex != peer.Attrs().Index {
			if err := n.nl.LinkDel(l); err != nil {
				return nil, fmt.Errorf("netplane: delete %s in %s: %w", v.local.name, n.name, err)
			}
			p.changed(n.name, "delete mismatched %s", v.local.name)
			l, peer = nil, nil
		}
	}
	if l == nil {
		if old, err := v.peerNS.nl.LinkByName(v.peer.name); err == nil {
			if !v.peerOwned && old.Attrs().Alias != p.owner {
				return nil, fmt.Errorf("link %s in %s: %w", v.peer.name, v.peerNS.name, errNotOurs)
			}
			if err := v.peerNS.nl.LinkDel(old); err != nil {
				return nil, err
			}
			p.changed(v.peerNS.name, "delete stale %s", v.peer.name)
		}
		la := netlink.NewLinkAttrs()
		la.Name, la.MTU, la.HardwareAddr = v.local.name, v.local.mtu, mustMAC(v.local.mac)
		err := n.nl.LinkAdd(&netlink.Veth{
			LinkAttrs: la, PeerName: v.peer.name, PeerHardwareAddr: mustMAC(v.peer.mac),
			PeerNamespace: netlink.NsFd(v.peerNS.fd), PeerMTU: uint32(v.peer.mtu),
		})
		if err != nil {
			return nil, fmt.Errorf("netplane: add veth %s/%s - %s/%s: %w", n.name, v.local.name, v.peerNS.name, v.peer.name, err)
		}
		p.changed(n.name, "add veth %s peer %s/%s", v.local.name, v.peerNS.name, v.peer.name)
		if l, err = n.nl.LinkByName(v.local.name); err != nil {
			return nil, err
		}
		if peer, err = v.peerNS.nl.LinkByName(v.peer.name); err != nil {
			return nil, err
		}
	}
	if err := p.ensureLinkAttrs(v.peerNS, peer, v.peer); err != nil {
		return nil, err
	}
	if err := p.ensureLinkAttrs(n, l, v.local); err != nil {
		return nil, err
	}
	return l, nil
}

// ensureLinkAttrs fixes a link's MAC, MTU and alias and brings it up.
func (p *Plane) ensureLinkAttrs(n *ns, l netlink.Link, s linkSpec) error {
	a := l.Attrs()
	if s.mac != "" && a.HardwareAddr.String() != s.mac {
		if err := n.nl.LinkSetDown(l); err != nil {
			return err
		}
		if err := n.nl.LinkSetHardwareAddr(l, mustMAC(s.mac)); err != nil {
			return fmt.Errorf("netplane: set MAC of %s in %s: %w", s.name, n.name, err)
		}
		a.Flags &^= net.FlagUp
		p.changed(n.name, "set %s mac %s", s.name, s.mac)
	}
	if s.mtu != 0 && a.MTU != s.mtu {
		if err := n.nl.LinkSetMTU(l, s.mtu); err != nil {
			return fmt.Errorf("netplane: set MTU of %s in %s: %w", s.name, n.name, err)
		}
		p.changed(n.name, "set %s mtu %d", s.name, s.mtu)
	}
	if s.alias != "" && a.Alias != s.alias {
		if err := n.nl.LinkSetAlias(l, s.alias); err != nil {
			return err
		}
		p.changed(n.name, "set %s alias", s.name)
	}
	if a.Flags&net.FlagUp == 0 {
		if err := n.nl.LinkSetUp(l); err != nil {
			return fmt.Errorf("netplane: set %s up in %s: %w", s.name, n.name, err)
		}
		p.changed(n.name, "set %s up", s.name)
	}
	return nil
}

// ensureVXLAN makes the router's VXLAN device exist with the planned VNI,
// local address and port, and its UDP socket in the host namespace: it
// is created there and then moved into the router. It reports whether it
// (re)created the device.
func (p *Plane) ensureVXLAN(n, host *ns, have map[string]netlink.Link, x netplan.VXLAN, mtu int) (netlink.Link, bool, error) {
	spec := linkSpec{name: x.Name, mac: x.MAC, mtu: mtu, alias: p.owner}
	if l := have[x.Name]; l != nil {
		if p.vxlanMatches(n, host, l, x) {
			return l, false, p.ensureLinkAttrs(n, l, spec)
		}
		if err := n.nl.LinkDel(l); err != nil {
			return nil, false, err
		}
		p.changed(n.name, "delete mismatched %s", x.Name)
	}
	if old, err := host.nl.LinkByName(x.Name); err == nil {
		if old.Attrs().Alias != p.owner {
			return nil, false, fmt.Errorf("link %s in %s: %w", x.Name, host.name, errNotOurs)
		}
		if err := host.nl.LinkDel(old); err != nil {
			return nil, false, err
		}
	}
	la := netlink.NewLinkAttrs()
	la.Name, la.MTU, la.HardwareAddr = x.Name, mtu, mustMAC(x.MAC)
	vx := &netlink.Vxlan{
		LinkAttrs: la, VxlanId: int(x.VNI), SrcAddr: net.IP(x.Local.AsSlice()),
		Port: x.Port, Learning: false,
	}
	if err := host.nl.LinkAdd(vx); err != nil {
		return nil, false, fmt.Errorf("netplane: add vxlan %s in %s: %w", x.Name, host.name, err)
	}
	l, err := host.nl.LinkByName(x.Name)
	if err == nil {
		// Marked before it moves, so a crash in between leaves a link
		// that Teardown recognises.
		err = host.nl.LinkSetAlias(l, p.owner)
	}
	if err == nil {
		err = host.nl.LinkSetNsFd(l, int(n.fd))
	}
	if err != nil {
		_ = host.nl.LinkDel(vx)
		return nil, false, fmt.Errorf("netplane: move vxlan %s into %s: %w", x.Name, n.name, err)
	}
	p.changed(n.name, "add vxlan %s vni %d (socket in %s)", x.Name, x.VNI, host.name)
	if l, err = n.nl.LinkByName(x.Name); err != nil {
		return nil, false, err
	}
	return l, true, p.ensureLinkAttrs(n, l, spec)
}

func (p *Plane) vxlanMatches(n, host *ns, l netlink.Link, x netplan.VXLAN) bool {
	v, ok := l.(*netlink.Vxlan)
	if !ok || v.VxlanId != int(x.VNI) || v.Port != x.Port || v.Learning || !v.SrcAddr.Equal(x.Local.AsSlice()) {
		return false
	}
	// The socket must be in the host namespace: the link's netns ID, as
	// the router sees it, must be the host's.
	id, err := n.nl.GetNetNsIdByFd(int(host.fd))
	return err == nil && id >= 0 && v.Attrs().NetNsID == id
}

// deleteExtraLinks deletes links of an owned namespace that are not
// wanted (lo always is).
func (p *Plane) deleteExtraLinks(n *ns, have map[string]netlink.Link, want map[string]bool) error {
	for name, l := range have {
		if name == "lo" || want[name] {
			continue
		}
		if err := n.nl.LinkDel(l); err != nil {
			return fmt.Errorf("netplane: delete %s in %s: %w", name, n.name, err)
		}
		delete(have, name)
		p.changed(n.name, "delete link %s", name)
	}
	return nil
}

func mustMAC(s string) net.HardwareAddr {
	hw, err := net.ParseMAC(s)
	if err != nil {
		panic(fmt.Sprintf("netplane: planner produced MAC %q: %v", s, err))
	}
	return hw
}
