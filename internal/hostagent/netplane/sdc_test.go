package netplane

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"testing"

	"github.com/vishvananda/netlink"

	"github.com/nimbuscloud/nimbus/internal/vpc/netplan/modeltext"
)

const sdcTopology = `
host h1 192.0.2.1
vpc vpc-a vni=100 cidrs=10.0.0.0/16
rtb rtb vpc=vpc-a main
nacl acl vpc=vpc-a
  in 100 allow all - 0.0.0.0/0
  out 100 allow all - 0.0.0.0/0
subnet sn vpc=vpc-a cidr=10.0.1.0/24 rtb=rtb nacl=acl
sg sg vpc=vpc-a
  in all - 10.0.0.0/16
  out all - 0.0.0.0/0
eni eni-a subnet=sn host=h1 ips=10.0.1.10 sgs=sg %s
eni eni-b subnet=sn host=h1 ips=10.0.1.20 sgs=sg
`

// Source/dest check: an ENI may only send from its own addresses, unless
// the check is off.
func TestSourceDestCheck(t *testing.T) {
	l := newLab(t, 1, false)
	l.apply(modeltext.MustParse(fmt.Sprintf(sdcTopology, "")))
	a, b := l.guest("eni-a"), l.guest("eni-b")
	srv := l.serveUDP(b, 53)
	spoof := netip.MustParseAddr("10.0.1.99")
	addAddr(t, l, a, spoof)
	if !l.udpFrom(a, netip.Addr{}, ip("10.0.1.20"), 53, srv) {
		t.Fatalf("a->b from a's own address: not delivered")
	}
	if l.udpFrom(a, spoof, ip("10.0.1.20"), 53, srv) {
		t.Errorf("a->b from a foreign address delivered with source/dest check on")
	}
	l.apply(modeltext.MustParse(fmt.Sprintf(sdcTopology, "nosdc")))
	addAddr(t, l, a, spoof) // Apply removed the address nimbus did not plan
	if !l.udpFrom(a, spoof, ip("10.0.1.20"), 53, srv) {
		t.Errorf("a->b from a foreign address not delivered with source/dest check off")
	}
}

func addAddr(t *testing.T, l *lab, nsName string, a netip.Addr) {
	t.Helper()
	addAddrPrefix(t, nsName, netip.PrefixFrom(a, 24))
}

// addAddrPrefix adds an address to eth0 of the namespace.
func addAddrPrefix(t *testing.T, nsName string, a netip.Prefix) {
	t.Helper()
	n, err := openNS(nsName)
	if err != nil {
		t.Fatal(err)
	}
	defer n.close()
	eth, err := n.nl.LinkByName("eth0")
	if err == nil {
		err = n.nl.AddrReplace(eth, &netlink.Addr{IPNet: prefixIPNet(a)})
	}
	if err != nil {
		t.Fatal(err)
	}
}

// udpFrom is udp with a chosen source address.
func (l *lab) udpFrom(from string, src, to netip.Addr, port int, srv *udpServer) bool {
	token := l.udpSend(from, src, to, port)
	return token != "" && srv.wait(token)
}

// udpSend sends a datagram with a fresh token from the namespace (from
// src, if valid) and returns the token ("" if it could not be sent).
func (l *lab) udpSend(from string, src, to netip.Addr, port int) string {
	token := fmt.Sprintf("s%x", rand.Uint64())
	err := l.inNamed(from, func() error {
		var laddr *net.UDPAddr
		if src.IsValid() {
			laddr = &net.UDPAddr{IP: net.IP(src.AsSlice())}
		}
		c, err := net.DialUDP("udp4", laddr, net.UDPAddrFromAddrPort(netip.AddrPortFrom(to, uint16(port))))
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.Write([]byte(token))
		return err
	})
	if err != nil {
		return ""
	}
	return token
}
