package netplane

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/nimbuscloud/nimbus/internal/vpc/netplan/modeltext"
)

func netipPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

const overlayTopology = `
host h1 192.0.2.1
host h2 192.0.2.2
vpc vpc-a vni=100 cidrs=10.0.0.0/16
vpc vpc-b vni=200 cidrs=10.0.0.0/16
rtb rtb-a vpc=vpc-a main
rtb rtb-b vpc=vpc-b main
nacl acl-a vpc=vpc-a
  in 100 allow all - 0.0.0.0/0
  out 100 allow all - 0.0.0.0/0
nacl acl-b vpc=vpc-b
  in 100 allow all - 0.0.0.0/0
  out 100 allow all - 0.0.0.0/0
subnet sn-a vpc=vpc-a cidr=10.0.1.0/24 rtb=rtb-a nacl=acl-a
subnet sn-a2 vpc=vpc-a cidr=10.0.2.0/24 rtb=rtb-a nacl=acl-a
subnet sn-b vpc=vpc-b cidr=10.0.1.0/24 rtb=rtb-b nacl=acl-b
sg sg-a vpc=vpc-a
  in all - 10.0.0.0/8
  out all - 0.0.0.0/0
sg sg-b vpc=vpc-b
  in all - 10.0.0.0/8
  out all - 0.0.0.0/0
eni eni-a1 subnet=sn-a host=h1 ips=10.0.1.10 sgs=sg-a
eni eni-a2 subnet=sn-a host=h2 ips=10.0.1.11,10.0.1.12 sgs=sg-a
eni eni-a3 subnet=sn-a2 host=h2 ips=10.0.2.10 sgs=sg-a
eni eni-b1 subnet=sn-b host=h1 ips=10.0.1.10 sgs=sg-b
eni eni-b2 subnet=sn-b host=h2 ips=10.0.1.11 sgs=sg-b
`

// Two VPCs with the same CIDRs on two hosts: ENIs of a VPC reach each
// other across hosts over VXLAN, never the other VPC's.
func TestOverlayIsolation(t *testing.T) {
	l := newLab(t, 2, false)
	l.apply(modeltext.MustParse(overlayTopology))
	a1, a2, a3 := l.guest("eni-a1"), l.guest("eni-a2"), l.guest("eni-a3")
	b1, b2 := l.guest("eni-b1"), l.guest("eni-b2")
	l.serveTCP(a2, "a2", 80)
	l.serveTCP(a3, "a3", 80)
	l.serveTCP(b2, "b2", 80)
	l.serveTCP(a1, "a1", 80)
	l.serveTCP(b1, "b1", 80)

	for _, tc := range []struct {
		from string
		to   netip.Addr
		want string // the server that answers, "" for none
	}{
		{a1, ip("10.0.1.11"), "a2 10.0.1.10:"},
		{a1, ip("10.0.1.12"), "a2 10.0.1.10:"}, // secondary address
		{a1, ip("10.0.2.10"), "a3 10.0.1.10:"}, // other subnet, other host
		{b1, ip("10.0.1.11"), "b2 10.0.1.10:"},
		{b1, ip("10.0.1.12"), ""}, // only vpc-a has .12
		{b1, ip("10.0.2.10"), ""}, // only vpc-a has 10.0.2.0/24
		{a2, ip("10.0.1.10"), "a1 10.0.1.11:"},
		{b2, ip("10.0.1.10"), "b1 10.0.1.11:"},
		{a3, ip("10.0.1.10"), "a1 10.0.2.10:"},
	} {
		got := l.tcp(tc.from, tc.to, 80)
		if (tc.want == "" && got != "") || !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s -> %s:80: got %q, want %q", tc.from, tc.to, got, tc.want)
		}
	}
	if !l.ping(a1, ip("10.0.1.11")) || !l.ping(b2, ip("10.0.1.10")) {
		t.Errorf("ping across hosts failed")
	}
	// The router's own address answers ARP but nothing else.
	if l.ping(a1, ip("10.0.1.1")) {
		t.Errorf("router address answered a ping")
	}
}
