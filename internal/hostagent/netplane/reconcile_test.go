package netplane

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/nftables"
	"github.com/vishvananda/netlink"

	"github.com/nimbuscloud/nimbus/internal/vpc/netplan"
	"github.com/nimbuscloud/nimbus/internal/vpc/netplan/modeltext"
)

// Apply is idempotent, repairs drift, deletes what is no longer planned,
// and Teardown leaves nothing behind.
func TestApplyReconciles(t *testing.T) {
	l := newLab(t, 2, true)
	m := modeltext.MustParse(internetTopology)
	l.apply(m)
	if ch := l.apply(m); len(ch) != 0 {
		t.Fatalf("second apply changed things:\n%s", strings.Join(ch, "\n"))
	}
	x := l.internetHost("x", ip("198.18.255.1"))
	l.serveTCP(x, "x", 80)
	l.serveTCP(l.guest("eni-web"), "web", 80)
	works := func(when string) {
		t.Helper()
		if !strings.HasPrefix(l.tcp(x, ip("198.18.1.10"), 80), "web ") {
			t.Errorf("%s: internet -> web fails", when)
		}
		if !strings.HasPrefix(l.tcp(l.guest("eni-app"), ip("198.18.255.1"), 80), "x 198.18.1.5:") {
			t.Errorf("%s: app -> internet through NAT fails", when)
		}
	}
	works("after apply")

	// Drift: change things behind nimbus's back.
	r1 := l.router("h1", "vpc-a")
	rs := &l.states["h1"].Routers[0]
	drift(t, r1, func(n *ns) error {
		port := portOf(rs, "eni-app")
		routes, _ := n.nl.RouteList(nil, netlink.FAMILY_V4)
		for _, r := range routes {
			if r.Dst != nil && r.Dst.IP.String() == "10.0.1.10" {
				if err := n.nl.RouteDel(&r); err != nil {
					return err
				}
			}
		}
		rules, _ := n.nl.RuleList(netlink.FAMILY_V4)
		for _, r := range rules {
			if r.Priority == 1000 {
				_ = n.nl.RuleDel(&r)
				break
			}
		}
		vx, _ := n.nl.LinkByName(rs.VXLAN.Name)
		fdb, _ := n.nl.NeighList(vx.Attrs().Index, 7 /* AF_BRIDGE */)
		for _, f := range fdb {
			if f.IP != nil {
				_ = n.nl.NeighDel(&f)
			}
		}
		c, _ := nftables.New(nftables.WithNetNSFd(int(n.fd)))
		tbl := &nftables.Table{Name: netplan.FilterTable, Family: nftables.TableFamilyINet}
		set, err := c.GetSetByName(tbl, setENISrc)
		if err != nil {
			return err
		}
		elems, _ := c.GetSetElements(set)
		if err := c.SetDeleteElements(set, elems[:1]); err != nil {
			return err
		}
		c.FlushChain(&nftables.Chain{Name: "forward", Table: tbl})
		c.DelTable(&nftables.Table{Name: netplan.RxTable, Family: nftables.TableFamilyNetdev})
		if err := c.Flush(); err != nil {
			return err
		}
		return os.WriteFile("/proc/sys/net/ipv4/conf/"+port+"/proxy_arp", []byte("0"), 0o644)
	})
	drift(t, l.guest("eni-app"), func(n *ns) error {
		eth, _ := n.nl.LinkByName("eth0")
		return n.nl.LinkSetDown(eth)
	})
	drift(t, l.inet, func(n *ns) error {
		up, err := n.nl.LinkByName(rs.Uplink.PeerName)
		if err != nil {
			return err
		}
		return n.nl.LinkDel(up)
	})
	ch := l.apply(m)
	for _, want := range []string{
		"route table main unicast 10.0.1.10/32", "rule 1000", "fdb ", "nft add 1 elements to eni_src",
		"nft write 15 rules of chain forward", "nft add table nimbus-vx", "proxy_arp=1", "set eth0 up",
		"add veth igw peer " + l.inet,
	} {
		if !slices.ContainsFunc(ch, func(c string) bool { return strings.Contains(c, want) }) {
			t.Errorf("repair did not %q; changes:\n%s", want, strings.Join(ch, "\n"))
		}
	}
	if ch := l.apply(m); len(ch) != 0 {
		t.Fatalf("apply after repair changed things:\n%s", strings.Join(ch, "\n"))
	}
	works("after repair")

	// What is no longer planned goes: an ENI and a whole VPC.
	m2 := modeltext.MustParse(strings.NewReplacer(
		"eni eni-iso subnet=sn-iso host=h1 ips=10.0.2.10 sgs=sg-app\n", "",
		"eni eni-b subnet=sn-b host=h2 ips=10.0.0.10 public=198.18.1.20 sgs=sg-b\n", "",
	).Replace(internetTopology))
	gone := []string{l.guest("eni-iso"), l.router("h2", "vpc-b"), l.guest("eni-b")}
	ch = l.apply(m2)
	for _, gone := range gone {
		if _, err := os.Stat(netnsDir + "/" + gone); err == nil {
			t.Errorf("%s still exists after its ENI went; changes:\n%s", gone, strings.Join(ch, "\n"))
		}
	}
	works("after removals")

	// Teardown: nothing nimbus made is left.
	ctx := context.Background()
	for _, h := range l.order {
		if err := l.planes[h].Teardown(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := TeardownInternet(ctx, l.prefix, l.inet); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(netnsDir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), l.prefix) && !slices.Contains(l.labNS, e.Name()) {
			t.Errorf("namespace %s left after teardown", e.Name())
		}
	}
	for _, h := range l.order {
		n, err := openNS(l.hosts[h])
		if err != nil {
			t.Fatal(err)
		}
		links, _ := n.nl.LinkList()
		for _, lk := range links {
			if lk.Attrs().Name != "lo" && lk.Attrs().Name != "eth0" {
				t.Errorf("link %s left in host %s", lk.Attrs().Name, h)
			}
		}
		n.close()
	}
}

func drift(t *testing.T, nsName string, fn func(*ns) error) {
	t.Helper()
	n, err := openNS(nsName)
	if err != nil {
		t.Fatal(err)
	}
	defer n.close()
	if err := inNS(n.fd, func() error { return fn(n) }); err != nil {
		t.Fatalf("drift in %s: %v", nsName, err)
	}
}

func portOf(r *netplan.Router, eni string) string {
	for _, p := range r.Ports {
		if p.ENI == eni {
			return p.Name
		}
	}
	return ""
}
