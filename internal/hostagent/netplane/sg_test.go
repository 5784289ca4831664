package netplane

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/nimbuscloud/nimbus/internal/vpc/netplan/modeltext"
)

var ip = netip.MustParseAddr

const sgTopology = `
host h1 192.0.2.1
vpc vpc-a vni=100 cidrs=10.0.0.0/16
rtb rtb vpc=vpc-a main
nacl acl vpc=vpc-a
  in 100 allow all - 0.0.0.0/0
  out 100 allow all - 0.0.0.0/0
subnet sn vpc=vpc-a cidr=10.0.1.0/24 rtb=rtb nacl=acl
sg sg-client vpc=vpc-a
  out all - 0.0.0.0/0
sg sg-server vpc=vpc-a
  in tcp 80 10.0.0.0/16
  in tcp 1000-2000 10.0.1.10/32
  in udp 53 sg-client
  in icmp 8:-1 sg-client
  out all - 0.0.0.0/0
sg sg-narrow vpc=vpc-a
  out tcp 80 0.0.0.0/0
eni eni-a subnet=sn host=h1 ips=10.0.1.10 sgs=sg-client
eni eni-b subnet=sn host=h1 ips=10.0.1.20 sgs=sg-server
eni eni-c subnet=sn host=h1 ips=10.0.1.30 sgs=sg-server
eni eni-d subnet=sn host=h1 ips=10.0.1.40 sgs=sg-narrow
`

// Security groups allow exactly what their rules say, statefully.
func TestSecurityGroups(t *testing.T) {
	l := newLab(t, 1, false)
	l.apply(modeltext.MustParse(sgTopology))
	a, b, c, d := l.guest("eni-a"), l.guest("eni-b"), l.guest("eni-c"), l.guest("eni-d")
	bIP := ip("10.0.1.20")
	for _, port := range []int{80, 81, 999, 1000, 1500, 2000, 2001} {
		l.serveTCP(b, "b", port)
	}
	l.serveTCP(a, "a", 80)
	l.serveTCP(c, "c", 80)
	dns := l.serveUDP(b, 53)
	other := l.serveUDP(b, 54)

	for _, tc := range []struct {
		name string
		ok   bool
		got  bool
	}{
		{"a->b tcp 80 (cidr rule)", true, l.tcp(a, bIP, 80) != ""},
		{"a->b tcp 81 (no rule)", false, l.tcp(a, bIP, 81) != ""},
		{"a->b tcp 999 (below range)", false, l.tcp(a, bIP, 999) != ""},
		{"a->b tcp 1000 (range start)", true, l.tcp(a, bIP, 1000) != ""},
		{"a->b tcp 2000 (range end)", true, l.tcp(a, bIP, 2000) != ""},
		{"a->b tcp 2001 (above range)", false, l.tcp(a, bIP, 2001) != ""},
		{"c->b tcp 1500 (range is a's /32 only)", false, l.tcp(c, bIP, 1500) != ""},
		{"a->b udp 53 (group rule)", true, l.udp(a, bIP, 53, dns)},
		{"a->b udp 54 (no rule)", false, l.udp(a, bIP, 54, other)},
		{"c->b udp 53 (c not in sg-client)", false, l.udp(c, bIP, 53, dns)},
		{"a->b ping (icmp 8 from group)", true, l.ping(a, bIP)},
		{"c->b ping", false, l.ping(c, bIP)},
		{"c->b tcp 80 (cidr rule)", true, l.tcp(c, bIP, 80) != ""},
		// Stateful: b's replies to a pass a's ingress, but b cannot
		// open a connection to a (a allows no ingress).
		{"b->a tcp 80 (a has no ingress rules)", false, l.tcp(b, ip("10.0.1.10"), 80) != ""},
		{"b->c tcp 80 (control: b opens connections)", true, l.tcp(b, ip("10.0.1.30"), 80) != ""},
		// d may only send tcp 80.
		{"d->b tcp 80 (egress allows)", true, l.tcp(d, bIP, 80) != ""},
		{"d->b tcp 1000 (egress denies)", false, l.tcp(d, bIP, 1000) != ""},
		{"d->b ping (egress denies)", false, l.ping(d, bIP)},
	} {
		if tc.got != tc.ok {
			t.Errorf("%s: reachable=%v, want %v", tc.name, tc.got, tc.ok)
		}
	}
	if got := l.tcp(a, bIP, 80); !strings.HasPrefix(got, "b 10.0.1.10:") {
		t.Errorf("a->b: server saw %q, want b seeing 10.0.1.10", got)
	}
}
