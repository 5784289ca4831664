package netplan

import (
	"fmt"
	"net/netip"
	"strings"
)

// String renders the state as the indented text the planner's testdata
// shows: one object per line, in the state's (sorted) order.
func (hs *HostState) String() string {
	var b strings.Builder
	w := func(indent int, format string, args ...any) {
		b.WriteString(strings.Repeat("  ", indent))
		fmt.Fprintf(&b, format, args...)
		b.WriteByte('\n')
	}
	w(0, "host %s underlay=%s netns=%s mtu=%d owner=%s", hs.Host, hs.Underlay, hs.HostNetns, hs.MTU, hs.Owner)
	for _, r := range hs.Routers {
		w(0, "router %s netns=%s", r.VPC, r.Netns)
		x := r.VXLAN
		w(1, "vxlan %s vni=%d mac=%s local=%s port=%d", x.Name, x.VNI, x.MAC, x.Local, x.Port)
		for _, a := range r.Loopback {
			w(1, "lo %s", a)
		}
		for _, p := range r.Ports {
			w(1, "port %s eni=%s subnet=%s mac=%s", p.Name, p.ENI, p.Subnet, p.MAC)
		}
		if u := r.Uplink; u != nil {
			w(1, "uplink %s mac=%s addr=%s peer=%s/%s mac=%s addr=%s", u.Name, u.MAC, u.Addr, u.PeerNetns, u.PeerName, u.PeerMAC, u.PeerAddr)
		}
		for _, rt := range r.Routes {
			w(1, "route %s", rt)
		}
		for _, ru := range r.Rules {
			action := fmt.Sprintf("lookup %#x", ru.Table)
			switch {
			case ru.Blackhole:
				action = "blackhole"
			case ru.Table == MainTable:
				action = "lookup main"
			}
			w(1, "rule %d fwmark %#x/%#x %s", ru.Priority, ru.Mark, ru.Mask, action)
		}
		for _, n := range r.Neighbors {
			w(1, "neigh %s %s %s", n.Dev, n.IP, n.MAC)
		}
		for _, f := range r.FDB {
			w(1, "fdb %s %s dst %s", f.Dev, f.MAC, f.Dst)
		}
		writeFilter(w, &r.Filter)
	}
	for _, g := range hs.Guests {
		owned := ""
		if g.Owned {
			owned = " owned"
		}
		gw := "none"
		if g.Gateway.IsValid() {
			gw = g.Gateway.String()
		}
		w(0, "guest %s kind=%s netns=%s%s if=%s mac=%s mtu=%d peer=%s/%s", g.ENI, g.Kind, g.Netns, owned, g.IfName, g.MAC, g.MTU, g.Router, g.PeerName)
		w(1, "addrs %s gateway %s", joinPrefixes(g.Addrs), gw)
		if g.NAT != nil {
			w(1, "nat masquerade to %s", g.NAT.Addr)
		}
	}
	if in := hs.Internet; in != nil {
		w(0, "internet netns=%s bridge=%s gateway=%s", in.Netns, in.Bridge, in.Gateway)
		for _, rt := range in.Routes {
			w(1, "route %s", rt)
		}
		for _, n := range in.Neighbors {
			w(1, "neigh %s %s %s", n.Dev, n.IP, n.MAC)
		}
	}
	return b.String()
}

func writeFilter(w func(int, string, ...any), f *Filter) {
	w(1, "filter table=%s rx=%s vxlan=%s uplink=%s", f.Table, f.RxTable, f.VXLAN, orDash(f.Uplink))
	for _, m := range f.RouteMarks {
		w(2, "mark %s %#x", m.If, m.Mark)
	}
	for _, m := range f.RxMarks {
		w(2, "rxmark %s %#x", m.MAC, m.Mark)
	}
	for _, s := range f.SourceCheck {
		w(2, "srccheck %s %s", s.If, s.Addr)
	}
	for _, d := range f.DestCheck {
		w(2, "dstcheck via %s to %s", d.NextHop, d.Dst)
	}
	for _, n := range f.PublicNAT {
		w(2, "nat1:1 %s <-> %s", n.Public, n.Private)
	}
	for _, p := range f.NATPorts {
		w(2, "natport %s", p)
	}
	if len(f.IGWRefused) > 0 {
		w(2, "igw refuses %s", joinPrefixes(f.IGWRefused))
	}
	for _, c := range f.NACLFrom {
		w(2, "naclfrom %s -> %s", c.If, c.Chain)
	}
	for _, s := range f.Subnets {
		if s.Subnet == "" {
			w(2, "chain %s (internet): ingress of next hop's subnet", s.Chain)
			continue
		}
		w(2, "chain %s (%s %s): same subnet return; %s; ingress of next hop's subnet", s.Chain, s.Subnet, s.CIDR, s.Egress)
	}
	for _, c := range f.NACLTo {
		w(2, "naclto %s -> %s", c.CIDR, c.Chain)
	}
	for _, n := range f.NACLs {
		dir := "ingress"
		if n.Egress {
			dir = "egress"
		}
		w(2, "chain %s (%s %s)", n.Chain, n.NACL, dir)
		for _, e := range n.Entries {
			w(3, "%s", e)
		}
		w(3, "* deny")
	}
	for _, c := range f.SGOut {
		w(2, "sgout %s -> %s", c.If, c.Chain)
	}
	for _, c := range f.SGIn {
		w(2, "sgin %s -> %s", c.If, c.Chain)
	}
	for _, g := range f.GroupSets {
		w(2, "groupset [%s]", strings.Join(g.Groups, " "))
		for _, c := range []SGChain{g.Egress, g.Ingress} {
			w(3, "chain %s", c.Chain)
			for _, b := range c.AnyPort {
				w(4, "any %s", b)
			}
			for _, b := range c.Ports {
				w(4, "port %s", b)
			}
		}
	}
}

func (r Route) String() string {
	t := "main"
	if r.Table != MainTable {
		t = fmt.Sprintf("%#x", r.Table)
	}
	s := fmt.Sprintf("table %s %s %s", t, r.Type, r.Dst)
	if r.Via.IsValid() {
		s += " via " + r.Via.String()
	}
	if r.Dev != "" {
		s += " dev " + r.Dev
	}
	return s
}

func (e NACLRule) String() string {
	verdict := "deny"
	if e.Allow {
		verdict = "allow"
	}
	return fmt.Sprintf("%d %s %s %s", e.Number, verdict, protoString(e.Proto, e.XLo, e.XHi), e.CIDR)
}

// protoString prints a protocol and key range: "all", "tcp 80-90",
// "icmp 8:-1" (-1: any), "proto 47".
func protoString(proto int, lo, hi uint16) string {
	switch proto {
	case -1:
		return "all"
	case 6, 17:
		return fmt.Sprintf("%s %d-%d", map[int]string{6: "tcp", 17: "udp"}[proto], lo, hi)
	case 1:
		switch {
		case lo == 0 && hi == 0xffff:
			return "icmp -1:-1"
		case lo == hi:
			return fmt.Sprintf("icmp %d:%d", lo>>8, lo&0xff)
		case lo&0xff == 0 && hi == lo|0xff:
			return fmt.Sprintf("icmp %d:-1", lo>>8)
		}
		return fmt.Sprintf("icmp %d:%d-%d:%d", lo>>8, lo&0xff, hi>>8, hi&0xff)
	}
	return fmt.Sprintf("proto %d", proto)
}

// String is "<addresses> <protocols> [<ports>]".
func (b Box) String() string {
	addr := rangeString(b.AddrLo, b.AddrHi)
	proto := fmt.Sprintf("%d-%d", b.ProtoLo, b.ProtoHi)
	switch {
	case b.ProtoLo == 0 && b.ProtoHi == 255:
		proto = "all"
	case b.ProtoLo == b.ProtoHi:
		proto = map[uint8]string{1: "icmp", 6: "tcp", 17: "udp"}[b.ProtoLo]
		if proto == "" {
			proto = fmt.Sprint(b.ProtoLo)
		}
	}
	if b.XLo == 0 && b.XHi == 0xffff {
		return addr + " " + proto
	}
	if b.ProtoLo == 1 && b.ProtoHi == 1 {
		return fmt.Sprintf("%s %s %d:%d-%d:%d", addr, proto, b.XLo>>8, b.XLo&0xff, b.XHi>>8, b.XHi&0xff)
	}
	if b.XLo == b.XHi {
		return fmt.Sprintf("%s %s %d", addr, proto, b.XLo)
	}
	return fmt.Sprintf("%s %s %d-%d", addr, proto, b.XLo, b.XHi)
}

// rangeString prints an address range as a prefix when it is one.
func rangeString(lo, hi netip.Addr) string {
	l, h := addrNum(lo), addrNum(hi)
	for bits := 0; bits <= 32; bits++ {
		p := netip.PrefixFrom(lo, bits)
		if p.Masked().Addr() == lo && prefixSpan(p) == (span{l, h}) {
			return p.String()
		}
	}
	return lo.String() + "-" + hi.String()
}

func joinPrefixes(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
