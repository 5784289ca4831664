package netplane

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/nimbuscloud/nimbus/internal/vpc/netmodel"
	"github.com/nimbuscloud/nimbus/internal/vpc/netplan"
)

// A lab is a small region on this machine, entirely inside namespaces it
// creates: an underlay namespace with a bridge, one namespace per host
// joined to it (192.0.2.x/24, TEST-NET-1), and optionally the internet
// segment (198.18.0.0/15, the benchmarking range) with internet hosts.
// Every name starts with a random "nbt<hex>" prefix, and Cleanup removes
// everything, so a failed test leaves nothing behind.
type lab struct {
	t      testing.TB
	prefix string
	under  string
	hosts  map[string]string // host ID -> namespace
	order  []string
	inet   string
	planes map[string]*Plane
	states map[string]*netplan.HostState
	labNS  []string // namespaces the lab itself made
	attach map[string]netplan.Attachment
}

const (
	labOwner     = "nimbus-test-lab"
	probeTimeout = 300 * time.Millisecond
)

var inetGateway = netip.MustParsePrefix("198.18.0.1/15")

func requireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces, veths, VXLAN and nftables")
	}
}

// newLab creates hosts h1..hn (IDs "h1", "h2", ...) and, with internet,
// the internet segment's name (netplane creates the namespace).
func newLab(t testing.TB, hosts int, internet bool) *lab {
	requireRoot(t)
	l := &lab{
		t: t, prefix: fmt.Sprintf("nbt%05x", rand.IntN(1<<20)), hosts: map[string]string{},
		planes: map[string]*Plane{}, states: map[string]*netplan.HostState{},
	}
	t.Cleanup(l.cleanup)
	l.under = l.prefix + "-u"
	u := l.makeNS(l.under)
	defer u.close()
	la := netlink.NewLinkAttrs()
	la.Name = "br0"
	l.must(u.nl.LinkAdd(&netlink.Bridge{LinkAttrs: la}))
	br, err := u.nl.LinkByName("br0")
	l.must(err)
	l.must(u.nl.LinkSetUp(br))
	for i := 1; i <= hosts; i++ {
		id := fmt.Sprintf("h%d", i)
		name := l.prefix + "-" + id
		h := l.makeNS(name)
		addr := netip.MustParsePrefix(fmt.Sprintf("192.0.2.%d/24", i))
		port := fmt.Sprintf("u%d", i)
		l.veth(u, port, h, "eth0", addr)
		up, err := u.nl.LinkByName(port)
		l.must(err)
		l.must(u.nl.LinkSetMaster(up, br))
		h.close()
		l.hosts[id], l.order = name, append(l.order, id)
		cfg := Config{Host: id, Prefix: l.prefix, HostNetns: name}
		if internet {
			cfg.InternetNetns = l.prefix + "-inet"
		}
		l.planes[id] = New(cfg)
	}
	if internet {
		l.inet = l.prefix + "-inet"
	}
	return l
}

func (l *lab) must(err error) {
	l.t.Helper()
	if err != nil {
		l.t.Fatal(err)
	}
}

func (l *lab) makeNS(name string) *ns {
	l.t.Helper()
	n, _, err := createNS(name, labOwner)
	l.must(err)
	l.labNS = append(l.labNS, name)
	return n
}

// veth joins a to b, addressing b's end.
func (l *lab) veth(a *ns, aName string, b *ns, bName string, addr netip.Prefix) {
	l.t.Helper()
	la := netlink.NewLinkAttrs()
	la.Name = aName
	l.must(a.nl.LinkAdd(&netlink.Veth{LinkAttrs: la, PeerName: bName, PeerNamespace: netlink.NsFd(b.fd)}))
	al, err := a.nl.LinkByName(aName)
	l.must(err)
	l.must(a.nl.LinkSetUp(al))
	bl, err := b.nl.LinkByName(bName)
	l.must(err)
	l.must(b.nl.AddrAdd(bl, &netlink.Addr{IPNet: prefixIPNet(addr)}))
	l.must(b.nl.LinkSetUp(bl))
}

func (l *lab) config(host string) netplan.Config {
	cfg := netplan.Config{Prefix: l.prefix, HostNetns: l.hosts[host], Attachments: l.attach}
	if l.inet != "" {
		cfg.Internet = netplan.InternetConfig{Netns: l.inet, Gateway: inetGateway}
	}
	return cfg
}

// apply plans and applies m on every host and returns the changes.
func (l *lab) apply(m *netmodel.Model) []string {
	l.t.Helper()
	var changes []string
	for _, h := range l.order {
		hs, err := netplan.Plan(m, h, l.config(h))
		l.must(err)
		if err := l.planes[h].Apply(context.Background(), hs); err != nil {
			l.t.Fatalf("apply %s: %v", h, err)
		}
		l.states[h] = hs
		changes = append(changes, l.planes[h].Changes()...)
	}
	return changes
}

// guest is the namespace of an ENI's guest end.
func (l *lab) guest(eni string) string {
	l.t.Helper()
	for _, hs := range l.states {
		for _, g := range hs.Guests {
			if g.ENI == eni {
				return g.Netns
			}
		}
	}
	l.t.Fatalf("no guest for %s", eni)
	return ""
}

// router is the namespace of a VPC's router on a host.
func (l *lab) router(host, vpc string) string {
	for _, r := range l.states[host].Routers {
		if r.VPC == vpc {
			return r.Netns
		}
	}
	l.t.Fatalf("no router for %s on %s", vpc, host)
	return ""
}

// internetHost adds a namespace on the internet segment's bridge.
func (l *lab) internetHost(name string, addr netip.Addr) string {
	l.t.Helper()
	full := l.prefix + "-x-" + name
	h := l.makeNS(full)
	defer h.close()
	in, err := openNS(l.inet)
	l.must(err)
	defer in.close()
	port := "x" + name
	l.veth(in, port, h, "eth0", netip.PrefixFrom(addr, inetGateway.Bits()))
	br, err := in.nl.LinkByName(netplan.BridgeName)
	l.must(err)
	pl, err := in.nl.LinkByName(port)
	l.must(err)
	l.must(in.nl.LinkSetMaster(pl, br))
	eth, err := h.nl.LinkByName("eth0")
	l.must(err)
	l.must(h.nl.RouteAdd(&netlink.Route{LinkIndex: eth.Attrs().Index, Gw: net.IP(inetGateway.Addr().AsSlice())}))
	return full
}

func (l *lab) cleanup() {
	ctx := context.Background()
	for _, p := range l.planes {
		if err := p.Teardown(ctx); err != nil {
			l.t.Errorf("teardown: %v", err)
		}
	}
	if l.inet != "" {
		if err := TeardownInternet(ctx, l.prefix, l.inet); err != nil {
			l.t.Errorf("teardown internet: %v", err)
		}
	}
	for _, name := range l.labNS {
		if _, err := os.Stat(netnsDir + "/" + name); err == nil {
			if err := deleteNS(name, labOwner); err != nil {
				l.t.Errorf("cleanup: %v", err)
			}
		}
	}
}

// --- probes: real sockets opened inside namespaces ---

// inNamed runs fn in the named namespace.
func (l *lab) inNamed(name string, fn func() error) error {
	n, err := openNS(name)
	if err != nil {
		return err
	}
	defer n.close()
	return inNS(n.fd, fn)
}

// serveTCP listens on port in the namespace; every connection gets
// "<id> <remote address>" and is closed.
func (l *lab) serveTCP(nsName, id string, port int) {
	l.t.Helper()
	var ln net.Listener
	l.must(l.inNamed(nsName, func() (err error) {
		ln, err = net.Listen("tcp4", fmt.Sprintf(":%d", port))
		return err
	}))
	l.t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			fmt.Fprintf(c, "%s %s", id, c.RemoteAddr())
			c.Close()
		}
	}()
}

// tcp connects from the namespace and returns what the server said, or
// "" if the connection failed (within the probe timeout).
func (l *lab) tcp(from string, to netip.Addr, port int) string {
	return l.tcpFrom(from, netip.Addr{}, to, port)
}

func (l *lab) tcpFrom(from string, src, to netip.Addr, port int) string {
	var got string
	err := l.inNamed(from, func() error {
		d := net.Dialer{Timeout: probeTimeout}
		if src.IsValid() {
			d.LocalAddr = &net.TCPAddr{IP: net.IP(src.AsSlice())}
		}
		c, err := d.Dial("tcp4", netip.AddrPortFrom(to, uint16(port)).String())
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(probeTimeout))
		buf := make([]byte, 128)
		var b strings.Builder
		for {
			n, err := c.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		got = b.String()
		return nil
	})
	if err != nil {
		return ""
	}
	return got
}

// udpServer records the datagrams a namespace receives on a port.
type udpServer struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (l *lab) serveUDP(nsName string, port int) *udpServer {
	l.t.Helper()
	var pc net.PacketConn
	l.must(l.inNamed(nsName, func() (err error) {
		pc, err = net.ListenPacket("udp4", fmt.Sprintf(":%d", port))
		return err
	}))
	l.t.Cleanup(func() { pc.Close() })
	s := &udpServer{seen: map[string]bool{}}
	go func() {
		buf := make([]byte, 1500)
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			s.mu.Lock()
			s.seen[string(buf[:n])] = true
			s.mu.Unlock()
		}
	}()
	return s
}

// udp sends a datagram from the namespace and reports whether srv got it.
func (l *lab) udp(from string, to netip.Addr, port int, srv *udpServer) bool {
	token := fmt.Sprintf("t%x", rand.Uint64())
	err := l.inNamed(from, func() error {
		c, err := net.Dial("udp4", netip.AddrPortFrom(to, uint16(port)).String())
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.Write([]byte(token))
		return err
	})
	return err == nil && srv.wait(token)
}

// got reports whether the server has got token.
func (s *udpServer) got(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen[token]
}

// wait reports whether the server gets token within the probe timeout.
func (s *udpServer) wait(token string) bool {
	deadline := time.Now().Add(probeTimeout)
	for time.Now().Before(deadline) {
		if s.got(token) {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return false
}

// ping sends an ICMP echo request from the namespace and waits for the
// reply.
func (l *lab) ping(from string, to netip.Addr) bool {
	return l.inNamed(from, func() error { return icmpEcho(to, probeTimeout) }) == nil
}
