package netplane

import (
	"testing"

	"github.com/nimbuscloud/nimbus/internal/vpc/netplan/modeltext"
)

const naclTopology = `
host h1 192.0.2.1
host h2 192.0.2.2
vpc vpc-a vni=100 cidrs=10.0.0.0/16
rtb rtb vpc=vpc-a main
nacl acl-a vpc=vpc-a
  in 100 allow all - 0.0.0.0/0
  out 100 allow all - 0.0.0.0/0
nacl acl-b vpc=vpc-a
  in 200 allow all - 0.0.0.0/0
  in 100 deny tcp 80 10.0.1.0/24
  in 110 deny icmp 8:-1 10.0.1.0/24
  out 100 allow all - 0.0.0.0/0
subnet sn-a vpc=vpc-a cidr=10.0.1.0/24 rtb=rtb nacl=acl-a
subnet sn-b vpc=vpc-a cidr=10.0.2.0/24 rtb=rtb nacl=acl-b
sg sg vpc=vpc-a
  in all - 10.0.0.0/16
  out all - 0.0.0.0/0
eni eni-a subnet=sn-a host=h1 ips=10.0.1.10 sgs=sg
eni eni-b subnet=sn-b host=h1 ips=10.0.2.20 sgs=sg
eni eni-b2 subnet=sn-b host=h1 ips=10.0.2.21 sgs=sg
eni eni-r subnet=sn-b host=h2 ips=10.0.2.30 sgs=sg
`

// NACLs: the lowest-numbered matching entry wins, they are not evaluated
// within a subnet, and they are stateless (replies are filtered too).
func TestNACLs(t *testing.T) {
	l := newLab(t, 2, false)
	l.apply(modeltext.MustParse(naclTopology))
	a, b, b2 := l.guest("eni-a"), l.guest("eni-b"), l.guest("eni-b2")
	bIP, rIP := ip("10.0.2.20"), ip("10.0.2.30")
	for _, port := range []int{80, 81} {
		l.serveTCP(b, "b", port)
		l.serveTCP(l.guest("eni-r"), "r", port)
	}
	ub := l.serveUDP(b, 53)
	check := func(name string, want, got bool) {
		t.Helper()
		if got != want {
			t.Errorf("%s: reachable=%v, want %v", name, got, want)
		}
	}
	check("a->b tcp 80 (deny 100 before allow 200)", false, l.tcp(a, bIP, 80) != "")
	check("a->b tcp 81 (allow 200)", true, l.tcp(a, bIP, 81) != "")
	check("a->b ping (deny 110)", false, l.ping(a, bIP))
	check("b2->b tcp 80 (same subnet: no NACL)", true, l.tcp(b2, bIP, 80) != "")
	check("b2->b ping (same subnet: no NACL)", true, l.ping(b2, bIP))
	check("a->r tcp 80 (other host, NACL in the sending router)", false, l.tcp(a, rIP, 80) != "")
	check("a->r tcp 81 (other host)", true, l.tcp(a, rIP, 81) != "")

	// Stateless: sn-b may not send to sn-a's ephemeral ports, which kills
	// the replies of connections a opens, though the SYN passes.
	m := modeltext.MustParse(naclTopology)
	for i := range m.NACLs {
		if m.NACLs[i].ID == "acl-b" {
			acl := &m.NACLs[i]
			acl.Egress = append(acl.Egress, acl.Egress[0])
			acl.Egress[0].Number, acl.Egress[0].Protocol = 50, 6
			acl.Egress[0].FromPort, acl.Egress[0].ToPort = 1024, 65535
			acl.Egress[0].Allow = false
			acl.Egress[0].CIDR = netipPrefix("10.0.1.0/24")
		}
	}
	l.apply(m)
	check("a->b tcp 81 with sn-b egress denying ephemeral ports", false, l.tcp(a, bIP, 81) != "")
	check("a->r tcp 81 (reply from the other host's router)", false, l.tcp(a, rIP, 81) != "")
	check("b2->b tcp 81 (same subnet still fine)", true, l.tcp(b2, bIP, 81) != "")
	check("a->b ping (icmp is not a port)", false, l.ping(a, bIP))
	check("a->b udp (control: a one-way datagram needs no reply)", true, l.udp(a, bIP, 53, ub))
}
