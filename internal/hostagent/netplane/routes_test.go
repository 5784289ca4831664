package netplane

import (
	"net"
	"os"
	"strings"
	"testing"

	"github.com/nimbuscloud/nimbus/internal/vpc/netplan/modeltext"
)

const routeTopology = `
host h1 192.0.2.1
host h2 192.0.2.2
vpc vpc-a vni=100 cidrs=10.0.0.0/16
rtb rtb-main vpc=vpc-a main
rtb rtb-a vpc=vpc-a
  route 10.0.2.0/24 blackhole
rtb rtb-c vpc=vpc-a
  route 10.0.4.0/24 eni eni-appl
rtb rtb-d vpc=vpc-a
  route 10.0.3.0/24 eni eni-appl
rtb rtb-e vpc=vpc-a
  route 10.0.4.0/24 eni eni-sdc
nacl acl vpc=vpc-a
  in 100 allow all - 0.0.0.0/0
  out 100 allow all - 0.0.0.0/0
subnet sn-a vpc=vpc-a cidr=10.0.1.0/24 rtb=rtb-a nacl=acl
subnet sn-b vpc=vpc-a cidr=10.0.2.0/24 rtb=rtb-main nacl=acl
subnet sn-c vpc=vpc-a cidr=10.0.3.0/24 rtb=rtb-c nacl=acl
subnet sn-d vpc=vpc-a cidr=10.0.4.0/24 rtb=rtb-d nacl=acl
subnet sn-e vpc=vpc-a cidr=10.0.5.0/24 rtb=rtb-e nacl=acl
subnet sn-m vpc=vpc-a cidr=10.0.9.0/24 rtb=rtb-main nacl=acl
sg sg vpc=vpc-a
  in all - 10.0.0.0/16
  out all - 0.0.0.0/0
eni eni-a subnet=sn-a host=h1 ips=10.0.1.10 sgs=sg
eni eni-b subnet=sn-b host=h1 ips=10.0.2.10 sgs=sg
eni eni-c subnet=sn-c host=h1 ips=10.0.3.10 sgs=sg
eni eni-d subnet=sn-d host=h1 ips=10.0.4.10 sgs=sg
eni eni-e subnet=sn-e host=h1 ips=10.0.5.10 sgs=sg
eni eni-appl subnet=sn-m host=h2 ips=10.0.9.10 sgs=sg nosdc
eni eni-sdc subnet=sn-m host=h2 ips=10.0.9.11 sgs=sg
`

// Route tables: a blackhole drops (so does the reply path through it), a
// route to an appliance ENI on another host goes through it (and only
// while it forwards), and a route to an ENI with source/dest check on
// delivers nothing that is not addressed to it.
func TestRouteTables(t *testing.T) {
	l := newLab(t, 2, false)
	l.apply(modeltext.MustParse(routeTopology))
	a, b, c, d, e := l.guest("eni-a"), l.guest("eni-b"), l.guest("eni-c"), l.guest("eni-d"), l.guest("eni-e")
	appl := l.guest("eni-appl")
	ub, ua, uc := l.serveUDP(b, 53), l.serveUDP(a, 53), l.serveUDP(c, 53)
	l.serveTCP(b, "b", 80)
	l.serveTCP(d, "d", 80)
	ud := l.serveUDP(d, 53)
	check := func(name string, want, got bool) {
		t.Helper()
		if got != want {
			t.Errorf("%s: reachable=%v, want %v", name, got, want)
		}
	}
	// Every check that something is unreachable has a control from the
	// same source that is reachable, so a broken lab cannot pass them.
	check("a->b udp (a's table blackholes 10.0.2.0/24)", false, l.udp(a, ip("10.0.2.10"), 53, ub))
	check("a->c udp (control: a's table routes the rest)", true, l.udp(a, ip("10.0.3.10"), 53, uc))
	check("b->a udp (b's table is the main one)", true, l.udp(b, ip("10.0.1.10"), 53, ua))
	check("c->b tcp (c's table has no blackhole)", true, l.tcp(c, ip("10.0.2.10"), 80) != "")
	check("a->nothing at 10.0.1.99", false, l.ping(a, ip("10.0.1.99")))
	check("a->c ping (control)", true, l.ping(a, ip("10.0.3.10")))
	// No route: dropped silently (a timeout), not refused with an ICMP
	// error from the router.
	err := l.inNamed(c, func() error {
		conn, err := net.DialTimeout("tcp4", "10.0.7.7:80", probeTimeout)
		if err == nil {
			conn.Close()
		}
		return err
	})
	if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
		t.Errorf("c->10.0.7.7 (in the VPC CIDR, no ENI): %v, want a timeout", err)
	}

	// c -> d goes through the appliance on h2 (d's replies too).
	setSysctl(t, l, appl, "ipv4/ip_forward", "1")
	setSysctl(t, l, appl, "ipv4/conf/all/send_redirects", "0")
	setSysctl(t, l, appl, "ipv4/conf/eth0/send_redirects", "0")
	check("c->d tcp through a forwarding appliance", true, strings.HasPrefix(l.tcp(c, ip("10.0.4.10"), 80), "d 10.0.3.10:"))
	setSysctl(t, l, appl, "ipv4/ip_forward", "0")
	check("c->d tcp through an appliance that stopped forwarding", false, l.tcp(c, ip("10.0.4.10"), 80) != "")
	check("c->b tcp (control: c's direct routes still work)", true, l.tcp(c, ip("10.0.2.10"), 80) != "")
	// e's route to d targets an ENI with source/dest check on.
	check("e->d udp via an ENI with source/dest check", false, l.udp(e, ip("10.0.4.10"), 53, ud))
	check("e->b udp (control)", true, l.udp(e, ip("10.0.2.10"), 53, ub))
}

func setSysctl(t *testing.T, l *lab, nsName, key, value string) {
	t.Helper()
	err := l.inNamed(nsName, func() error {
		return os.WriteFile("/proc/sys/net/"+key, []byte(value), 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

const asymmetricTopology = `
host h1 192.0.2.1
host h2 192.0.2.2
host h3 192.0.2.3
vpc vpc-a vni=100 cidrs=10.0.0.0/16
rtb rtb-main vpc=vpc-a main
rtb rtb-a vpc=vpc-a
  route 10.0.2.0/24 eni eni-appl
nacl acl vpc=vpc-a
  in 100 allow all - 0.0.0.0/0
  out 100 allow all - 0.0.0.0/0
subnet sn-a vpc=vpc-a cidr=10.0.1.0/24 rtb=rtb-a nacl=acl
subnet sn-b vpc=vpc-a cidr=10.0.2.0/24 rtb=rtb-main nacl=acl
subnet sn-m vpc=vpc-a cidr=10.0.9.0/24 rtb=rtb-main nacl=acl
sg sg vpc=vpc-a
  in all - 10.0.0.0/16
  out all - 0.0.0.0/0
eni eni-a subnet=sn-a host=h1 ips=10.0.1.10 sgs=sg
eni eni-b subnet=sn-b host=h2 ips=10.0.2.10 sgs=sg
eni eni-appl subnet=sn-m host=h3 ips=10.0.9.10 sgs=sg nosdc
`

// An appliance on one path only: a (h1) routes b's subnet through the
// appliance (h3), b (h2) replies directly. The appliance's router sees
// one direction of each TCP connection (for it, the client's ACK after a
// SYN it never saw answered is conntrack-invalid); its security groups
// decide such packets like new ones, so TCP works both ways.
func TestApplianceAsymmetricPath(t *testing.T) {
	l := newLab(t, 3, false)
	l.apply(modeltext.MustParse(asymmetricTopology))
	a, b, appl := l.guest("eni-a"), l.guest("eni-b"), l.guest("eni-appl")
	l.serveTCP(a, "a", 80)
	l.serveTCP(b, "b", 80)
	ub := l.serveUDP(b, 53)
	check := func(name string, want, got bool) {
		t.Helper()
		if got != want {
			t.Errorf("%s: reachable=%v, want %v", name, got, want)
		}
	}
	setSysctl(t, l, appl, "ipv4/ip_forward", "1")
	setSysctl(t, l, appl, "ipv4/conf/all/send_redirects", "0")
	setSysctl(t, l, appl, "ipv4/conf/eth0/send_redirects", "0")
	check("a->b udp through the appliance", true, l.udp(a, ip("10.0.2.10"), 53, ub))
	check("a->b tcp: SYN and ACK through the appliance, SYN-ACK direct", true,
		strings.HasPrefix(l.tcp(a, ip("10.0.2.10"), 80), "b 10.0.1.10:"))
	check("b->a tcp: SYN direct, SYN-ACK through the appliance", true,
		strings.HasPrefix(l.tcp(b, ip("10.0.1.10"), 80), "a 10.0.2.10:"))
	// The path does cross the appliance: without forwarding it is cut.
	setSysctl(t, l, appl, "ipv4/ip_forward", "0")
	check("a->b tcp through an appliance that stopped forwarding", false, l.tcp(a, ip("10.0.2.10"), 80) != "")
	check("a->appliance ping (control: a's router works)", true, l.ping(a, ip("10.0.9.10")))
}
