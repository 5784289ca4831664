package reach

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/nimbuscloud/nimbus/internal/vpc/netmodel"
)

// parseTopology reads the topology language of testdata/*.txt, one
// statement per line ('#' starts a comment):
//
//	vpc <id> <cidr>...
//	igw <id> [<vpc>]                          no VPC: detached
//	rtb <id> <vpc> [main]
//	route <rtb> <dest> local|blackhole|igw <id>|nat <id>|eni <id>
//	acl <id> <vpc> [default]                  default: rule 100 allows all, both ways
//	acl <id> ingress|egress <n> allow|deny <proto> [<ports>] <cidr>
//	sg <id> <vpc> [default]                   default: all in from itself, all out
//	sg <id> ingress|egress <proto> [<ports>] <cidr>|<sg-id>
//	subnet <id> <vpc> <cidr> [rtb=<id>] [acl=<id>]
//	eni <id> <subnet> <ip>[,<ip>...] [sg=<id>[,<id>...]] [public=<ip>] [nosdc]
//	nat <id> <subnet> <ip> [public=<ip>]      its interface is eni-<id>
//
// <proto> is tcp, udp, icmp, all or a number; <ports> is a port or a range
// (22, 1024-65535) for tcp and udp, type[:code] or * for icmp (8, 8:0, *),
// absent otherwise. A subnet without rtb= uses its VPC's main table (else
// the VPC's first), one without acl= its VPC's first ACL.
func parseTopology(text string) (*netmodel.Model, error) {
	m := &netmodel.Model{}
	find := func(kind string, id string) (int, error) {
		var n int
		var match func(i int) bool
		switch kind {
		case "vpc":
			n, match = len(m.VPCs), func(i int) bool { return m.VPCs[i].ID == id }
		case "rtb":
			n, match = len(m.RouteTables), func(i int) bool { return m.RouteTables[i].ID == id }
		case "acl":
			n, match = len(m.NACLs), func(i int) bool { return m.NACLs[i].ID == id }
		case "sg":
			n, match = len(m.SecurityGroups), func(i int) bool { return m.SecurityGroups[i].ID == id }
		case "subnet":
			n, match = len(m.Subnets), func(i int) bool { return m.Subnets[i].ID == id }
		}
		for i := 0; i < n; i++ {
			if match(i) {
				return i, nil
			}
		}
		return -1, fmt.Errorf("unknown %s %q", kind, id)
	}
	hosts := 0
	for lineNo, line := range strings.Split(text, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		fail := func(format string, args ...any) error {
			return fmt.Errorf("line %d %q: %s", lineNo+1, strings.TrimSpace(line), fmt.Sprintf(format, args...))
		}
		need := func(n int) error {
			if len(f) < n {
				return fail("want at least %d fields", n)
			}
			return nil
		}
		if err := need(2); err != nil {
			return nil, err
		}
		switch f[0] {
		case "vpc":
			if err := need(3); err != nil {
				return nil, err
			}
			v := netmodel.VPC{ID: f[1], Account: "111122223333", VNI: uint32(len(m.VPCs) + 1)}
			for _, c := range f[2:] {
				p, err := netip.ParsePrefix(c)
				if err != nil {
					return nil, fail("%v", err)
				}
				v.CIDRs = append(v.CIDRs, p)
			}
			m.VPCs = append(m.VPCs, v)
		case "igw":
			g := netmodel.InternetGateway{ID: f[1]}
			if len(f) > 2 {
				g.VPC = f[2]
			}
			m.InternetGateways = append(m.InternetGateways, g)
		case "rtb":
			if err := need(3); err != nil {
				return nil, err
			}
			m.RouteTables = append(m.RouteTables, netmodel.RouteTable{ID: f[1], VPC: f[2], Main: len(f) > 3 && f[3] == "main"})
		case "route":
			if err := need(4); err != nil {
				return nil, err
			}
			i, err := find("rtb", f[1])
			if err != nil {
				return nil, fail("%v", err)
			}
			p, err := netip.ParsePrefix(f[2])
			if err != nil {
				return nil, fail("%v", err)
			}
			r := netmodel.Route{Dest: p, Kind: netmodel.TargetKind(f[3])}
			switch r.Kind {
			case netmodel.TargetLocal, netmodel.TargetBlackhole:
			case netmodel.TargetIGW, netmodel.TargetNAT, netmodel.TargetENI:
				if err := need(5); err != nil {
					return nil, err
				}
				r.Target = f[4]
			default:
				return nil, fail("unknown target kind %q", f[3])
			}
			m.RouteTables[i].Routes = append(m.RouteTables[i].Routes, r)
		case "acl":
			if err := need(3); err != nil {
				return nil, err
			}
			if f[2] != "ingress" && f[2] != "egress" {
				a := netmodel.NACL{ID: f[1], VPC: f[2]}
				if len(f) > 3 && f[3] == "default" {
					all := netmodel.NACLEntry{Number: 100, Protocol: netmodel.All, ICMPType: -1, ICMPCode: -1,
						CIDR: netip.MustParsePrefix("0.0.0.0/0"), Allow: true}
					a.Ingress, a.Egress = []netmodel.NACLEntry{all}, []netmodel.NACLEntry{all}
				}
				m.NACLs = append(m.NACLs, a)
				break
			}
			i, err := find("acl", f[1])
			if err != nil {
				return nil, fail("%v", err)
			}
			if err := need(7); err != nil {
				return nil, err
			}
			e := netmodel.NACLEntry{ICMPType: -1, ICMPCode: -1}
			if e.Number, err = strconv.Atoi(f[3]); err != nil {
				return nil, fail("rule number: %v", err)
			}
			switch f[4] {
			case "allow":
				e.Allow = true
			case "deny":
			default:
				return nil, fail("want allow or deny, not %q", f[4])
			}
			rest, err := parseMatch(f[5:], &e.Protocol, &e.FromPort, &e.ToPort)
			if err != nil {
				return nil, fail("%v", err)
			}
			if e.Protocol == netmodel.ICMP {
				e.ICMPType, e.ICMPCode, e.FromPort, e.ToPort = e.FromPort, e.ToPort, 0, 0
			}
			if len(rest) != 1 {
				return nil, fail("want one CIDR after the match")
			}
			if e.CIDR, err = netip.ParsePrefix(rest[0]); err != nil {
				return nil, fail("%v", err)
			}
			if f[2] == "ingress" {
				m.NACLs[i].Ingress = append(m.NACLs[i].Ingress, e)
			} else {
				m.NACLs[i].Egress = append(m.NACLs[i].Egress, e)
			}
		case "sg":
			if err := need(3); err != nil {
				return nil, err
			}
			if f[2] != "ingress" && f[2] != "egress" {
				g := netmodel.SecurityGroup{ID: f[1], VPC: f[2]}
				if len(f) > 3 && f[3] == "default" {
					g.Ingress = []netmodel.SGRule{{Protocol: netmodel.All, Group: g.ID}}
					g.Egress = []netmodel.SGRule{{Protocol: netmodel.All, CIDR: netip.MustParsePrefix("0.0.0.0/0")}}
				}
				m.SecurityGroups = append(m.SecurityGroups, g)
				break
			}
			i, err := find("sg", f[1])
			if err != nil {
				return nil, fail("%v", err)
			}
			var r netmodel.SGRule
			rest, err := parseMatch(f[3:], &r.Protocol, &r.FromPort, &r.ToPort)
			if err != nil {
				return nil, fail("%v", err)
			}
			if len(rest) != 1 {
				return nil, fail("want one peer (CIDR or group) after the match")
			}
			if strings.HasPrefix(rest[0], "sg-") {
				r.Group = rest[0]
			} else if r.CIDR, err = netip.ParsePrefix(rest[0]); err != nil {
				return nil, fail("%v", err)
			}
			if f[2] == "ingress" {
				m.SecurityGroups[i].Ingress = append(m.SecurityGroups[i].Ingress, r)
			} else {
				m.SecurityGroups[i].Egress = append(m.SecurityGroups[i].Egress, r)
			}
		case "subnet":
			if err := need(4); err != nil {
				return nil, err
			}
			p, err := netip.ParsePrefix(f[3])
			if err != nil {
				return nil, fail("%v", err)
			}
			s := netmodel.Subnet{ID: f[1], VPC: f[2], AZ: "az1", CIDR: p}
			for _, kv := range f[4:] {
				k, v, _ := strings.Cut(kv, "=")
				switch k {
				case "rtb":
					s.RouteTable = v
				case "acl":
					s.NACL = v
				default:
					return nil, fail("unknown option %q", kv)
				}
			}
			m.Subnets = append(m.Subnets, s)
		case "eni", "nat":
			if err := need(4); err != nil {
				return nil, err
			}
			si, err := find("subnet", f[2])
			if err != nil {
				return nil, fail("%v", err)
			}
			hosts++
			e := netmodel.ENI{ID: f[1], Kind: netmodel.ENIInstance, VPC: m.Subnets[si].VPC, Subnet: f[2],
				Host: "host-1", MAC: fmt.Sprintf("02:00:00:00:00:%02x", hosts), SourceDestCheck: true}
			for _, ip := range strings.Split(f[3], ",") {
				a, err := netip.ParseAddr(ip)
				if err != nil {
					return nil, fail("%v", err)
				}
				e.PrivateIPs = append(e.PrivateIPs, a)
			}
			for _, kv := range f[4:] {
				k, v, _ := strings.Cut(kv, "=")
				switch {
				case k == "sg" && f[0] == "eni":
					e.Groups = strings.Split(v, ",")
				case k == "public":
					if e.PublicIP, err = netip.ParseAddr(v); err != nil {
						return nil, fail("%v", err)
					}
				case kv == "nosdc" && f[0] == "eni":
					e.SourceDestCheck = false
				default:
					return nil, fail("unknown option %q", kv)
				}
			}
			if f[0] == "nat" {
				e.ID, e.Kind, e.SourceDestCheck = "eni-"+f[1], netmodel.ENINAT, false
				m.NATGateways = append(m.NATGateways, netmodel.NATGateway{ID: f[1], VPC: e.VPC, Subnet: e.Subnet, ENI: e.ID})
			}
			m.ENIs = append(m.ENIs, e)
		default:
			return nil, fail("unknown statement %q", f[0])
		}
	}
	// Subnets without an explicit table or ACL get their VPC's.
	for i := range m.Subnets {
		s := &m.Subnets[i]
		if s.RouteTable == "" {
			for _, t := range m.RouteTables {
				if t.VPC == s.VPC && (s.RouteTable == "" || t.Main) {
					s.RouteTable = t.ID
				}
			}
		}
		if s.NACL == "" {
			for _, a := range m.NACLs {
				if a.VPC == s.VPC {
					s.NACL = a.ID
					break
				}
			}
		}
	}
	if len(m.ENIs) > 0 {
		m.Hosts = []netmodel.Host{{ID: "host-1", Underlay: netip.MustParseAddr("192.0.2.1")}}
	}
	return m, nil
}

// parseMatch reads "<proto> [<ports>]" from f and returns what follows.
func parseMatch(f []string, proto, from, to *int) ([]string, error) {
	if len(f) == 0 {
		return nil, fmt.Errorf("missing protocol")
	}
	switch f[0] {
	case "all":
		*proto = netmodel.All
	case "tcp":
		*proto = netmodel.TCP
	case "udp":
		*proto = netmodel.UDP
	case "icmp":
		*proto = netmodel.ICMP
	default:
		n, err := strconv.Atoi(f[0])
		if err != nil {
			return nil, fmt.Errorf("unknown protocol %q", f[0])
		}
		*proto = n
	}
	switch *proto {
	case netmodel.TCP, netmodel.UDP:
		if len(f) < 2 {
			return nil, fmt.Errorf("missing ports")
		}
		lo, hi, ok := strings.Cut(f[1], "-")
		if !ok {
			hi = lo
		}
		var err1, err2 error
		*from, err1 = strconv.Atoi(lo)
		*to, err2 = strconv.Atoi(hi)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("bad ports %q", f[1])
		}
		return f[2:], nil
	case netmodel.ICMP:
		if len(f) < 2 {
			return nil, fmt.Errorf("missing icmp type")
		}
		*from, *to = -1, -1
		if f[1] == "*" {
			return f[2:], nil
		}
		typ, code, ok := strings.Cut(f[1], ":")
		var err error
		if *from, err = strconv.Atoi(typ); err != nil {
			return nil, fmt.Errorf("bad icmp type %q", f[1])
		}
		if ok && code != "*" {
			if *to, err = strconv.Atoi(code); err != nil {
				return nil, fmt.Errorf("bad icmp code %q", f[1])
			}
		}
		return f[2:], nil
	}
	*from, *to = -1, -1
	return f[1:], nil
}

// parseEndpoint reads "eni-x", "eni-x@10.0.0.5" or "203.0.113.9".
func parseEndpoint(s string) (Endpoint, error) {
	id, addr, hasAddr := strings.Cut(s, "@")
	if !hasAddr && !strings.HasPrefix(s, "eni-") {
		id, addr, hasAddr = "", s, true
	}
	e := Endpoint{ENI: id}
	if hasAddr {
		a, err := netip.ParseAddr(addr)
		if err != nil {
			return e, err
		}
		e.Addr = a
	}
	return e, nil
}
