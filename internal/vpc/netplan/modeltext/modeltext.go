// Package modeltext reads a network model (internal/vpc/netmodel) from a
// small line-oriented text form, so tests of the planner and of the data
// plane describe topologies the way the design notes do:
//
//	host h1 192.0.2.1
//	vpc vpc-a vni=100 cidrs=10.0.0.0/16
//	igw igw-a vpc=vpc-a
//	rtb rtb-a vpc=vpc-a main
//	  route 0.0.0.0/0 igw igw-a
//	  route 10.9.0.0/16 blackhole
//	nacl acl-a vpc=vpc-a
//	  in 100 allow all 0.0.0.0/0
//	  out 100 deny tcp 1024-65535 0.0.0.0/0
//	subnet sn-a vpc=vpc-a cidr=10.0.1.0/24 rtb=rtb-a nacl=acl-a
//	sg sg-web vpc=vpc-a
//	  in tcp 80 0.0.0.0/0
//	  in icmp 8:-1 10.0.0.0/8
//	  in all - sg-web
//	  out all - 0.0.0.0/0
//	eni eni-1 subnet=sn-a host=h1 ips=10.0.1.10,10.0.1.11 sgs=sg-web public=198.18.0.10 nosdc
//	natgw nat-a subnet=sn-a eni=eni-n
//
// Indented lines belong to the object above them. Ports are "80", "80-90"
// or "-" (none); ICMP takes "type:code" with -1 for any. A NAT gateway's
// ENI gets Kind natGateway. It is test support: it reports the first
// mistake with its line number and does not validate the model further.
package modeltext

import (
	"crypto/sha256"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/nimbuscloud/nimbus/internal/vpc/netmodel"
)

// Parse reads a model from text.
func Parse(text string) (*netmodel.Model, error) {
	p := &parser{m: &netmodel.Model{}}
	for i, line := range strings.Split(text, "\n") {
		if j := strings.IndexByte(line, '#'); j >= 0 {
			line = line[:j]
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		indented := line[0] == ' ' || line[0] == '\t'
		if err := p.line(strings.Fields(line), indented); err != nil {
			return nil, fmt.Errorf("line %d: %q: %w", i+1, strings.TrimSpace(line), err)
		}
	}
	for _, g := range p.m.NATGateways {
		for i := range p.m.ENIs {
			if p.m.ENIs[i].ID == g.ENI {
				p.m.ENIs[i].Kind = netmodel.ENINAT
			}
		}
	}
	return p.m, nil
}

// MustParse is Parse for tests and benchmarks that build models in code.
func MustParse(text string) *netmodel.Model {
	m, err := Parse(text)
	if err != nil {
		panic(err)
	}
	return m
}

type parser struct {
	m *netmodel.Model
	// last is what indented lines add to: "rtb", "sg" or "nacl".
	last string
}

func (p *parser) line(f []string, indented bool) error {
	if indented {
		return p.child(f)
	}
	if len(f) < 2 {
		return fmt.Errorf("want <kind> <id> ...")
	}
	kind, id := f[0], f[1]
	kv, flags, err := attrs(f[2:])
	if err != nil {
		return err
	}
	p.last = kind
	switch kind {
	case "host":
		if len(f) != 3 {
			return fmt.Errorf("want host <id> <underlay address>")
		}
		a, err := netip.ParseAddr(f[2])
		if err != nil {
			return err
		}
		p.m.Hosts = append(p.m.Hosts, netmodel.Host{ID: id, Underlay: a})
	case "vpc":
		v := netmodel.VPC{ID: id, Account: kv["account"]}
		vni, err := strconv.ParseUint(kv["vni"], 10, 24)
		if err != nil {
			return fmt.Errorf("vni: %w", err)
		}
		v.VNI = uint32(vni)
		if v.CIDRs, err = prefixes(kv["cidrs"]); err != nil {
			return err
		}
		p.m.VPCs = append(p.m.VPCs, v)
	case "igw":
		p.m.InternetGateways = append(p.m.InternetGateways, netmodel.InternetGateway{ID: id, VPC: kv["vpc"]})
	case "rtb":
		p.m.RouteTables = append(p.m.RouteTables, netmodel.RouteTable{ID: id, VPC: kv["vpc"], Main: flags["main"]})
	case "nacl":
		p.m.NACLs = append(p.m.NACLs, netmodel.NACL{ID: id, VPC: kv["vpc"]})
	case "sg":
		p.m.SecurityGroups = append(p.m.SecurityGroups, netmodel.SecurityGroup{ID: id, VPC: kv["vpc"]})
	case "subnet":
		c, err := netip.ParsePrefix(kv["cidr"])
		if err != nil {
			return err
		}
		p.m.Subnets = append(p.m.Subnets, netmodel.Subnet{ID: id, VPC: kv["vpc"], AZ: kv["az"], CIDR: c, RouteTable: kv["rtb"], NACL: kv["nacl"]})
	case "eni":
		return p.eni(id, kv, flags)
	case "natgw":
		vpc := kv["vpc"]
		if vpc == "" {
			vpc = p.subnetVPC(kv["subnet"])
		}
		p.m.NATGateways = append(p.m.NATGateways, netmodel.NATGateway{ID: id, VPC: vpc, Subnet: kv["subnet"], ENI: kv["eni"]})
	default:
		return fmt.Errorf("unknown kind %q", kind)
	}
	return nil
}

func (p *parser) eni(id string, kv map[string]string, flags map[string]bool) error {
	e := netmodel.ENI{
		ID: id, Kind: netmodel.ENIInstance, Subnet: kv["subnet"], Host: kv["host"],
		MAC: kv["mac"], SourceDestCheck: !flags["nosdc"], VPC: kv["vpc"],
	}
	if e.VPC == "" {
		e.VPC = p.subnetVPC(e.Subnet)
	}
	if kv["kind"] != "" {
		e.Kind = netmodel.ENIKind(kv["kind"])
	}
	if e.MAC == "" {
		h := sha256.Sum256([]byte(id))
		e.MAC = fmt.Sprintf("02:%02x:%02x:%02x:%02x:%02x", h[0], h[1], h[2], h[3], h[4])
	}
	for _, s := range split(kv["ips"]) {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return err
		}
		e.PrivateIPs = append(e.PrivateIPs, a)
	}
	if s := kv["public"]; s != "" {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return err
		}
		e.PublicIP = a
	}
	e.Groups = split(kv["sgs"])
	p.m.ENIs = append(p.m.ENIs, e)
	return nil
}

func (p *parser) subnetVPC(id string) string {
	for _, s := range p.m.Subnets {
		if s.ID == id {
			return s.VPC
		}
	}
	return ""
}

func (p *parser) child(f []string) error {
	switch p.last {
	case "rtb":
		rt := &p.m.RouteTables[len(p.m.RouteTables)-1]
		if len(f) < 3 || f[0] != "route" {
			return fmt.Errorf("want route <dest> <kind> [target]")
		}
		d, err := netip.ParsePrefix(f[1])
		if err != nil {
			return err
		}
		r := netmodel.Route{Dest: d, Kind: netmodel.TargetKind(f[2])}
		if len(f) > 3 {
			r.Target = f[3]
		}
		rt.Routes = append(rt.Routes, r)
	case "sg":
		sg := &p.m.SecurityGroups[len(p.m.SecurityGroups)-1]
		if len(f) != 4 || (f[0] != "in" && f[0] != "out") {
			return fmt.Errorf("want in|out <proto> <ports> <cidr|group>")
		}
		proto, from, to, err := protoPorts(f[1], f[2])
		if err != nil {
			return err
		}
		r := netmodel.SGRule{Protocol: proto, FromPort: from, ToPort: to}
		if c, err := netip.ParsePrefix(f[3]); err == nil {
			r.CIDR = c
		} else {
			r.Group = f[3]
		}
		if f[0] == "in" {
			sg.Ingress = append(sg.Ingress, r)
		} else {
			sg.Egress = append(sg.Egress, r)
		}
	case "nacl":
		acl := &p.m.NACLs[len(p.m.NACLs)-1]
		if len(f) != 6 || (f[0] != "in" && f[0] != "out") || (f[2] != "allow" && f[2] != "deny") {
			return fmt.Errorf("want in|out <number> allow|deny <proto> <ports> <cidr>")
		}
		n, err := strconv.Atoi(f[1])
		if err != nil {
			return err
		}
		proto, from, to, err := protoPorts(f[3], f[4])
		if err != nil {
			return err
		}
		c, err := netip.ParsePrefix(f[5])
		if err != nil {
			return err
		}
		e := netmodel.NACLEntry{Number: n, Protocol: proto, CIDR: c, Allow: f[2] == "allow", ICMPType: -1, ICMPCode: -1}
		if proto == netmodel.ICMP {
			e.ICMPType, e.ICMPCode = from, to
		} else {
			e.FromPort, e.ToPort = from, to
		}
		if f[0] == "in" {
			acl.Ingress = append(acl.Ingress, e)
		} else {
			acl.Egress = append(acl.Egress, e)
		}
	default:
		return fmt.Errorf("indented line after %q", p.last)
	}
	return nil
}

// protoPorts parses "tcp" "80-90", "icmp" "8:0", "all" "-".
func protoPorts(proto, ports string) (p, from, to int, err error) {
	switch proto {
	case "all", "-1":
		p = netmodel.All
	case "tcp":
		p = netmodel.TCP
	case "udp":
		p = netmodel.UDP
	case "icmp":
		p = netmodel.ICMP
	default:
		if p, err = strconv.Atoi(proto); err != nil {
			return 0, 0, 0, fmt.Errorf("protocol %q", proto)
		}
	}
	from, to = -1, -1
	if ports == "-" {
		return p, from, to, nil
	}
	sep := "-"
	if p == netmodel.ICMP {
		sep = ":"
	}
	a, b, ok := strings.Cut(ports, sep)
	if from, err = strconv.Atoi(a); err != nil {
		return 0, 0, 0, fmt.Errorf("ports %q", ports)
	}
	to = from
	if ok {
		if to, err = strconv.Atoi(b); err != nil {
			return 0, 0, 0, fmt.Errorf("ports %q", ports)
		}
	} else if p == netmodel.ICMP {
		to = -1
	}
	return p, from, to, nil
}

func attrs(f []string) (map[string]string, map[string]bool, error) {
	kv, flags := map[string]string{}, map[string]bool{}
	for _, s := range f {
		if k, v, ok := strings.Cut(s, "="); ok {
			kv[k] = v
		} else {
			flags[s] = true
		}
	}
	return kv, flags, nil
}

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func prefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, x := range split(s) {
		c, err := netip.ParsePrefix(x)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
