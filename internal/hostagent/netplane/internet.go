package netplane

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/vishvananda/netlink"

	"github.com/nimbuscloud/nimbus/internal/vpc/netplan"
)

// applyInternet makes the internet namespace and its bridge exist.
func (p *Plane) applyInternet(hs *netplan.HostState) (*ns, error) {
	in := hs.Internet
	owner := netplan.InternetMark(p.prefix)
	n, created, err := createNS(in.Netns, owner)
	if err != nil {
		return nil, err
	}
	if created {
		p.changed(in.Netns, "create namespace")
	}
	fail := func(err error) (*ns, error) {
		n.close()
		return nil, err
	}
	if err := p.sysctls(n, internetSysctls); err != nil {
		return fail(err)
	}
	br, err := n.nl.LinkByName(in.Bridge)
	if err != nil {
		la := netlink.NewLinkAttrs()
		la.Name = in.Bridge
		if err := n.nl.LinkAdd(&netlink.Bridge{LinkAttrs: la}); err != nil {
			return fail(fmt.Errorf("netplane: add bridge %s in %s: %w", in.Bridge, in.Netns, err))
		}
		p.changed(in.Netns, "add bridge %s", in.Bridge)
		if br, err = n.nl.LinkByName(in.Bridge); err != nil {
			return fail(err)
		}
	}
	if err := p.ensureLinkAttrs(n, br, linkSpec{name: in.Bridge, alias: owner}); err != nil {
		return fail(err)
	}
	if err := p.ensureAddrs(n, br, []netip.Prefix{in.Gateway}); err != nil {
		return fail(err)
	}
	// Internet hosts on the bridge may take public addresses as on-link:
	// the bridge answers ARP for those routed to uplinks.
	if err := p.sysctls(n, portSysctls(in.Bridge)); err != nil {
		return fail(err)
	}
	return n, nil
}

// applyInternetRoutes makes the routes and neighbours through this host's
// uplinks exactly the planned ones and deletes this host's uplinks that
// are no longer planned.
func (p *Plane) applyInternetRoutes(hs *netplan.HostState, n *ns) error {
	want := map[string]bool{}
	for _, r := range hs.Routers {
		if r.Uplink != nil {
			want[r.Uplink.PeerName] = true
		}
	}
	have, err := linkMap(n)
	if err != nil {
		return err
	}
	only := map[int]bool{}
	var settings []sysctl
	for name, l := range have {
		if l.Attrs().Alias != p.owner {
			continue
		}
		if !want[name] {
			if err := n.nl.LinkDel(l); err != nil {
				return err
			}
			p.changed(n.name, "delete uplink %s", name)
			delete(have, name)
			continue
		}
		only[l.Attrs().Index] = true
		settings = append(settings, linkSysctls(name)...)
	}
	if err := p.sysctls(n, settings); err != nil {
		return err
	}
	if err := p.ensureRoutes(n, hs.Internet.Routes, have, only); err != nil {
		return err
	}
	return p.ensureNeighbors(n, hs.Internet.Neighbors, have, only)
}

// collectUplinks deletes this host's uplinks in the internet namespace.
func (p *Plane) collectUplinks() error {
	if p.inetNetns == "" {
		return nil
	}
	if _, err := os.Stat(filepath.Join(netnsDir, p.inetNetns)); err != nil {
		return nil
	}
	n, err := openNS(p.inetNetns)
	if err != nil {
		return err
	}
	defer n.close()
	links, err := n.nl.LinkList()
	if err != nil {
		return err
	}
	for _, l := range links {
		if l.Attrs().Alias == p.owner {
			if err := n.nl.LinkDel(l); err != nil {
				return err
			}
			p.changed(n.name, "delete uplink %s", l.Attrs().Name)
		}
	}
	return nil
}

// TeardownInternet deletes the internet segment's namespace, if nimbus
// created it for prefix; every uplink into it goes with it.
func TeardownInternet(ctx context.Context, prefix, netnsName string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(netnsDir, netnsName)); err != nil {
		return nil
	}
	return deleteNS(netnsName, netplan.InternetMark(prefix))
}
