package netplane

import (
	"encoding/binary"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/nimbuscloud/nimbus/internal/vpc/netplan"
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
		{"no public address -> web (control)", l.guest("eni-nopub"), "10.0.0.10", 80, "web 10.0.0.11:"},
		{"private -> internet through the NAT gateway on h2", l.guest("eni-app"), "198.18.255.1", 80, "x 198.18.1.5:"},
		{"internet -> NAT gateway's public address", x, "198.18.1.5", 80, ""},
		{"no route to the internet", l.guest("eni-iso"), "198.18.255.1", 80, ""},
		{"isolated subnet -> web (control)", l.guest("eni-iso"), "10.0.0.10", 80, "web 10.0.2.10:"},
		{"internet -> other VPC's public address", x, "198.18.1.20", 80, "b 198.18.255.1:"},
		{"VPC a -> VPC b only through public addresses", l.guest("eni-web"), "198.18.1.20", 80, "b 198.18.1.10:"},
		{"VPC b -> VPC a's private address (same CIDR: stays in b)", l.guest("eni-b"), "10.0.0.11", 80, ""},
		{"VPC b -> internet (control)", l.guest("eni-b"), "198.18.255.1", 80, "x 198.18.1.20:"},
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

const igwRefusesTopology = `
host h1 192.0.2.1
vpc vpc-a vni=100 cidrs=10.0.0.0/16
igw igw-a vpc=vpc-a
rtb rtb vpc=vpc-a main
  route 0.0.0.0/0 igw igw-a
nacl acl vpc=vpc-a
  in 100 allow all - 0.0.0.0/0
  out 100 allow all - 0.0.0.0/0
subnet sn vpc=vpc-a cidr=10.0.0.0/24 rtb=rtb nacl=acl
sg sg vpc=vpc-a
  in udp 53 0.0.0.0/0
  out all - 0.0.0.0/0
eni eni-web subnet=sn host=h1 ips=10.0.0.10 public=198.18.1.10 sgs=sg
`

// The internet gateway refuses RFC 1918 and RFC 6598 addresses both
// ways: as sources of packets from the internet, as destinations of
// packets to it. An internet host that has such addresses (and routes
// to them on the segment) gets nothing through with them, while its
// public address works both ways.
func TestInternetGatewayRefusesPrivateAddresses(t *testing.T) {
	l := newLab(t, 1, true)
	l.apply(modeltext.MustParse(igwRefusesTopology))
	xIP, pub := ip("198.18.255.1"), ip("198.18.1.10")
	x, web := l.internetHost("x", xIP), l.guest("eni-web")
	// Sources coming in (10.0.1.10 is also an address of the VPC), and
	// destinations going out (outside the VPC's CIDR, which routes
	// 10.0.0.0/16 locally).
	sources := []netip.Addr{ip("10.0.1.10"), ip("100.64.0.10"), ip("172.16.0.10"), ip("192.168.0.10")}
	dests := []netip.Addr{ip("10.1.0.10"), ip("100.64.0.10"), ip("172.16.0.10"), ip("192.168.0.10")}
	in, err := openNS(l.inet)
	l.must(err)
	defer in.close()
	br, err := in.nl.LinkByName(netplan.BridgeName)
	l.must(err)
	for _, a := range append(sources, dests[0]) {
		addAddrPrefix(t, x, netip.PrefixFrom(a, 32))
		l.must(in.nl.RouteAdd(&netlink.Route{LinkIndex: br.Attrs().Index, Dst: prefixIPNet(netip.PrefixFrom(a, 32)), Scope: netlink.SCOPE_LINK}))
	}
	atWeb, atX := l.serveUDP(web, 53), l.serveUDP(x, 53)

	if !l.udpFrom(x, xIP, pub, 53, atWeb) {
		t.Fatalf("internet -> web's public address from a public source: not delivered")
	}
	if !l.udpFrom(web, netip.Addr{}, xIP, 53, atX) {
		t.Fatalf("web -> internet host's public address: not delivered")
	}
	var inTokens, outTokens []string
	for i := range sources {
		inTokens = append(inTokens, l.udpSend(x, sources[i], pub, 53))
		outTokens = append(outTokens, l.udpSend(web, netip.Addr{}, dests[i], 53))
	}
	time.Sleep(probeTimeout)
	for i := range sources {
		if atWeb.got(inTokens[i]) {
			t.Errorf("internet -> web's public address from %s: delivered", sources[i])
		}
		if atX.got(outTokens[i]) {
			t.Errorf("web -> %s through the internet gateway: delivered", dests[i])
		}
	}
}

// A packet that conntrack finds invalid (here a TCP segment with SYN and
// FIN) has no translation, so the router never lets it out through the
// uplink: it would leave with its private source. A valid segment of the
// same flow leaves with the public address.
func TestInternetGatewayDropsUntranslatable(t *testing.T) {
	l := newLab(t, 1, true)
	l.apply(modeltext.MustParse(igwRefusesTopology))
	xIP, web := ip("198.18.255.1"), ip("10.0.0.10")
	x := l.internetHost("x", xIP)
	seen := l.sniffTCP(x)
	const syn, fin = 0x02, 0x01
	l.rawTCP(l.guest("eni-web"), web, xIP, 40000, 81, syn)
	if !seen.wait(netip.AddrPortFrom(ip("198.18.1.10"), 81)) {
		t.Fatalf("web -> internet SYN: did not arrive from web's public address")
	}
	l.rawTCP(l.guest("eni-web"), web, xIP, 40001, 82, syn|fin)
	if seen.wait(netip.AddrPortFrom(web, 82)) || seen.got(netip.AddrPortFrom(ip("198.18.1.10"), 82)) {
		t.Errorf("web -> internet SYN+FIN (conntrack-invalid): left through the uplink")
	}
}

// tcpSniffer records the (source address, destination port) of the TCP
// segments a namespace receives.
type tcpSniffer struct {
	mu   sync.Mutex
	seen map[netip.AddrPort]bool
}

func (l *lab) sniffTCP(nsName string) *tcpSniffer {
	l.t.Helper()
	var fd int
	l.must(l.inNamed(nsName, func() (err error) {
		fd, err = unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
		return err
	}))
	f := os.NewFile(uintptr(fd), "raw-tcp")
	l.t.Cleanup(func() { f.Close() })
	s := &tcpSniffer{seen: map[netip.AddrPort]bool{}}
	go func() {
		buf := make([]byte, 1500)
		for {
			n, err := f.Read(buf)
			if err != nil {
				return
			}
			if ihl := int(buf[0]&0x0f) * 4; n >= ihl+4 {
				src := netip.AddrFrom4([4]byte(buf[12:16]))
				s.mu.Lock()
				s.seen[netip.AddrPortFrom(src, binary.BigEndian.Uint16(buf[ihl+2:]))] = true
				s.mu.Unlock()
			}
		}
	}()
	return s
}

func (s *tcpSniffer) got(k netip.AddrPort) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen[k]
}

// wait reports whether k is seen within the probe timeout.
func (s *tcpSniffer) wait(k netip.AddrPort) bool {
	for deadline := time.Now().Add(probeTimeout); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if s.got(k) {
			return true
		}
	}
	return false
}

// rawTCP sends one TCP segment with the given flags from the namespace,
// whose address src is (the kernel adds the IP header).
func (l *lab) rawTCP(from string, src, dst netip.Addr, sport, dport uint16, flags byte) {
	l.t.Helper()
	seg := make([]byte, 20)
	binary.BigEndian.PutUint16(seg[0:], sport)
	binary.BigEndian.PutUint16(seg[2:], dport)
	binary.BigEndian.PutUint32(seg[4:], 1) // sequence number
	seg[12], seg[13] = 5<<4, flags         // data offset: 5 words
	binary.BigEndian.PutUint16(seg[14:], 0xffff)
	s, d := src.As4(), dst.As4()
	pseudo := append(append(append(s[:], d[:]...), 0, unix.IPPROTO_TCP, 0, byte(len(seg))), seg...)
	binary.BigEndian.PutUint16(seg[16:], checksum(pseudo))
	l.must(l.inNamed(from, func() error {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		return unix.Sendto(fd, seg, 0, &unix.SockaddrInet4{Addr: d})
	}))
}
