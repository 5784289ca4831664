package netplane

import (
	"fmt"
	"net/netip"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/vishvananda/netlink"

	"github.com/nimbuscloud/nimbus/internal/vpc/netplan"
)

// openGuest opens (creating it if nimbus owns it) an ENI's guest
// namespace. A caller-given namespace must exist.
func (p *Plane) openGuest(g netplan.Guest) (*ns, error) {
	if !g.Owned {
		return openNS(g.Netns)
	}
	n, created, err := createNS(g.Netns, p.owner)
	if err != nil {
		return nil, err
	}
	if created {
		p.changed(g.Netns, "create namespace")
	}
	// A guest's settings are its own once it runs (only IPv6 is turned
	// off, at creation); a NAT gateway's forwarding is the data plane's.
	var settings []sysctl
	if created {
		settings = guestSysctls
	}
	if g.NAT != nil {
		settings = append(append([]sysctl(nil), settings...), natSysctls...)
	}
	if err := p.sysctls(n, settings); err != nil {
		n.close()
		return nil, err
	}
	return n, nil
}

// applyGuest configures the guest end of an ENI (created with its pair
// by the router): its addresses, its default route through the subnet's
// router and, for a NAT gateway, the masquerading table. In a namespace
// the caller owns, only the guest link, its addresses and routes through
// it are touched.
func (p *Plane) applyGuest(g netplan.Guest, n *ns) error {
	l, err := n.nl.LinkByName(g.IfName)
	if err != nil {
		return fmt.Errorf("netplane: %s in %s: %w", g.IfName, n.name, err)
	}
	if err := p.ensureAddrs(n, l, g.Addrs); err != nil {
		return err
	}
	if g.Gateway.IsValid() {
		links := map[string]netlink.Link{g.IfName: l}
		route := netplan.Route{
			Table: netplan.MainTable, Dst: netip.PrefixFrom(netip.IPv4Unspecified(), 0),
			Type: netplan.RouteUnicast, Dev: g.IfName, Via: g.Gateway,
		}
		if err := p.ensureRoutes(n, []netplan.Route{route}, links, map[int]bool{l.Attrs().Index: true}); err != nil {
			return err
		}
	}
	if g.NAT == nil {
		return nil
	}
	if err := p.sysctls(n, linkSysctls(g.IfName)); err != nil {
		return err
	}
	return p.ensureTable(n, natTable(g), false)
}

// natTable is a NAT gateway's table: masquerade what it forwards to its
// own address, accept nothing addressed to it but replies.
func natTable(g netplan.Guest) *tableSpec {
	s := &tableSpec{table: &nftables.Table{Name: netplan.NATTable, Family: nftables.TableFamilyINet}}
	s.addChain(baseChain("post", nftables.ChainTypeNAT, *nftables.ChainHookPostrouting, *nftables.ChainPriorityNATSource, nftables.ChainPolicyAccept),
		rule(fmt.Sprintf("oifname %s ip saddr != %s masquerade", g.IfName, g.NAT.Addr), isIPv4(),
			ex(metaLoad(expr.MetaKeyOIFNAME, reg), cmpEq(reg, ifname(g.IfName)),
				ipSaddr(reg), cmpNeq(reg, addr4(g.NAT.Addr)), &expr.Masq{})))
	s.addChain(baseChain("input", nftables.ChainTypeFilter, *nftables.ChainHookInput, *nftables.ChainPriorityFilter, nftables.ChainPolicyDrop),
		rule("ct state established,related accept", ctState(expr.CtStateBitESTABLISHED|expr.CtStateBitRELATED), ex(verdict(expr.VerdictAccept))))
	return s
}
