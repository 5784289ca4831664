package netplane

import (
	"strings"
	"testing"

	"github.com/nimbuscloud/nimbus/internal/vpc/netplan/modeltext"
)

const internetTopology = `
host h1 192.0.2.1
host h2 192.0.2.2
vpc vpc-a vni=100 cidrs=10.0.0.0/16
vpc vpc-b vni=200 cidrs=10.0.0.0/16
igw igw-a vpc=vpc-a
igw igw-b vpc=vpc-b
rtb rtb-pub vpc=vpc-a main
  route 0.0.0.0/0 igw igw-a
rtb rtb-priv vpc=vpc-a
  route 0.0.0.0/0 nat nat-a
rtb rtb-iso vpc=vpc-a
rtb rtb-b vpc=vpc-b main
  route 0.0.0.0/0 igw igw-b
nacl acl vpc=vpc-a
  in 100 allow all - 0.0.0.0/0
  out 100 allow all - 0.0.0.0/0
nacl acl-b vpc=vpc-b
  in 100 allow all - 0.0.0.0/0
  out 100 allow all - 0.0.0.0/0
subnet sn-pub vpc=vpc-a cidr=10.0.0.0/24 rtb=rtb-pub nacl=acl
subnet sn-priv vpc=vpc-a cidr=10.0.1.0/24 rtb=rtb-priv nacl=acl
subnet sn-iso vpc=vpc-a cidr=10.0.2.0/24 rtb=rtb-iso nacl=acl
subnet sn-b vpc=vpc-b cidr=10.0.0.0/24 rtb=rtb-b nacl=acl-b
sg sg-web vpc=vpc-a
  in tcp 80 0.0.0.0/0
  out all - 0.0.0.0/0
sg sg-app vpc=vpc-a
  out all - 0.0.0.0/0
sg sg-b vpc=vpc-b
  in tcp 80 0.0.0.0/0
  out all - 0.0.0.0/0
eni eni-web subnet=sn-pub host=h1 ips=10.0.0.10 public=198.18.1.10 sgs=sg-web
eni eni-nopub subnet=sn-pub host=h1 ips=10.0.0.11 sgs=sg-web
eni eni-nat subnet=sn-pub host=h2 ips=10.0.0.5 public=198.18.1.5
natgw nat-a subnet=sn-pub eni=eni-nat
eni eni-app subnet=sn-priv host=h1 ips=10.0.1.10 sgs=sg-app
eni eni-iso subnet=sn-iso host=h1 ips=10.0.2.10 sgs=sg-app
eni eni-b subnet=sn-b host=h2 ips=10.0.0.10 public=198.18.1.20 sgs=sg-b
`

// Phase 2: public addresses through internet gateways (1:1 NAT), a
// private subnet reaching the internet only through its NAT gateway.
func TestInternet(t *testing.T) {
	l := newLab(t, 2, true)
	l.apply(modeltext.MustParse(internetTopology))
	x := l.internetHost("x", ip("198.18.255.1"))
	xIP := ip("198.18.255.1")
	l.serveTCP(x, "x", 80)
	for _, port := range []int{80, 81} {
		l.serveTCP(l.guest("eni-web"), "web", port)
	}
	l.serveTCP(l.guest("eni-b"), "b", 80)
	l.serveTCP(l.guest("eni-nat"), "nat", 80)

	for _, tc := range []struct {
		name, from string
		to         string
		port       int
		want       string // prefix of what the server says; "" unreachable
	}{
		{"internet -> web public (SG allows 80)", x, "198.18.1.10", 80, "web 198.18.255.1:"},
		{"internet -> web public port 81 (SG denies)", x, "198.18.1.10", 81, ""},
		{"web -> internet leaves with its public address", l.guest("eni-web"), "198.18.255.1", 80, "x 198.18.1.10:"},
		{"no public address -> internet", l.guest("eni-nopub"), "198.18.255.1", 80, ""},
		{"private -> internet through the NAT gateway on h2", l.guest("eni-app"), "198.18.255.1", 80, "x 198.18.1.5:"},
		{"internet -> NAT gateway's public address", x, "198.18.1.5", 80, ""},
		{"no route to the internet", l.guest("eni-iso"), "198.18.255.1", 80, ""},
		{"internet -> other VPC's public address", x, "198.18.1.20", 80, "b 198.18.255.1:"},
		{"VPC a -> VPC b only through public addresses", l.guest("eni-web"), "198.18.1.20", 80, "b 198.18.1.10:"},
		{"VPC b -> VPC a's private address (same CIDR: stays in b)", l.guest("eni-b"), "10.0.0.11", 80, ""},
	} {
		got := l.tcp(tc.from, ip(tc.to), tc.port)
		if (tc.want == "" && got != "") || !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
	if l.ping(x, ip("198.18.1.10")) {
		t.Errorf("internet pinged web: its security group allows no ICMP")
	}
	if !l.ping(l.guest("eni-web"), xIP) {
		t.Errorf("web cannot ping the internet")
	}
}
