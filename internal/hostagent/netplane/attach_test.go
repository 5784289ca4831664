package netplane

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/nimbuscloud/nimbus/internal/vpc/netplan"
	"github.com/nimbuscloud/nimbus/internal/vpc/netplan/modeltext"
)

// An ENI can be wired into a namespace the caller owns (an instance's):
// nimbus adds its interface there and touches nothing else, then or on
// Teardown.
func TestCallerNamespace(t *testing.T) {
	l := newLab(t, 1, false)
	inst := l.prefix + "-inst"
	n := l.makeNS(inst)
	la := netlink.NewLinkAttrs()
	la.Name = "keep0"
	l.must(n.nl.LinkAdd(&netlink.Veth{LinkAttrs: la, PeerName: "keep1"}))
	n.close()
	l.attach = map[string]netplan.Attachment{"eni-a": {Netns: "/run/netns/" + inst, IfName: "ens5"}}
	l.apply(modeltext.MustParse(sgTopology))
	if got := l.guest("eni-a"); got != "/run/netns/"+inst {
		t.Fatalf("eni-a's guest is %s", got)
	}
	l.serveTCP(l.guest("eni-b"), "b", 80)
	if got := l.tcp(inst, ip("10.0.1.20"), 80); !strings.HasPrefix(got, "b 10.0.1.10:") {
		t.Errorf("instance -> b: %q", got)
	}
	if err := l.planes["h1"].Teardown(context.Background()); err != nil {
		t.Fatal(err)
	}
	n, err := openNS(inst)
	if err != nil {
		t.Fatalf("the instance's namespace is gone: %v", err)
	}
	defer n.close()
	if _, err := n.nl.LinkByName("keep0"); err != nil {
		t.Errorf("the instance's own link is gone: %v", err)
	}
	if _, err := n.nl.LinkByName("ens5"); err == nil {
		t.Errorf("the ENI's interface outlived Teardown")
	}
}

// A namespace with a name nimbus wants but without its mark is never
// touched.
func TestRefusesForeignNamespace(t *testing.T) {
	l := newLab(t, 1, false)
	m := modeltext.MustParse(sgTopology)
	hs, err := netplan.Plan(m, "h1", l.config("h1"))
	l.must(err)
	foreign := hs.Routers[0].Netns
	l.makeNS(foreign).close()
	err = l.planes["h1"].Apply(context.Background(), hs)
	if !errors.Is(err, errNotOurs) {
		t.Fatalf("apply over a foreign namespace: %v, want errNotOurs", err)
	}
	if err := l.planes["h1"].Teardown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(netnsDir + "/" + foreign); err != nil {
		t.Errorf("teardown deleted a namespace that is not nimbus's: %v", err)
	}
}

// Nothing is ever done in the root namespace (the one this process
// started in, or PID 1's), whichever way it is named: as an instance's
// attachment, as the host namespace, or when tearing down.
func TestRefusesRootNamespace(t *testing.T) {
	l := newLab(t, 1, false)
	m := modeltext.MustParse(sgTopology)
	ctx := context.Background()
	for _, root := range []string{"/proc/self/ns/net", "/proc/1/ns/net"} {
		t.Run(strings.Split(root, "/")[2], func(t *testing.T) {
			if h, err := netns.GetFromPath(root); err != nil {
				t.Skipf("%s cannot be opened here: %v", root, err)
			} else {
				h.Close()
			}
			l.attach = map[string]netplan.Attachment{"eni-a": {Netns: root, IfName: "nbtroot0", NoDefaultRoute: true}}
			defer func() { l.attach = nil }()
			hs, err := netplan.Plan(m, "h1", l.config("h1"))
			l.must(err)
			if err := l.planes["h1"].Apply(ctx, hs); !errors.Is(err, errRootNS) {
				t.Errorf("apply with eni-a attached in %s: %v, want errRootNS", root, err)
			}
			if _, err := netlink.LinkByName("nbtroot0"); err == nil {
				t.Errorf("eni-a's interface was made in the root namespace")
			}

			p := New(Config{Host: "h1", Prefix: l.prefix, HostNetns: root})
			cfg := l.config("h1")
			cfg.HostNetns = root
			hs, err = netplan.Plan(m, "h1", cfg)
			l.must(err)
			if err := p.Apply(ctx, hs); !errors.Is(err, errRootNS) {
				t.Errorf("apply with host namespace %s: %v, want errRootNS", root, err)
			}
			if err := p.Teardown(ctx); !errors.Is(err, errRootNS) {
				t.Errorf("teardown with host namespace %s: %v, want errRootNS", root, err)
			}
		})
	}
}
