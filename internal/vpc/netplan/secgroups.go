package netplan

import (
	"slices"
	"strings"

	"github.com/nimbuscloud/nimbus/internal/vpc/netmodel"
)

// compileGroupSet compiles the union of groups (sorted, deduplicated) as
// seen from VPC vpc: CIDR peers are taken as they are, group peers become
// the private addresses of the group's member ENIs in that VPC.
func compileGroupSet(x *netmodel.Index, vpc string, groups []string) GroupSet {
	key := strings.Join(groups, ",")
	gs := GroupSet{
		Groups:  groups,
		Egress:  SGChain{Chain: chainName("gse", key)},
		Ingress: SGChain{Chain: chainName("gsi", key)},
	}
	var outAny, outPorts, inAny, inPorts []cell
	for _, id := range groups {
		g := x.SecurityGroup[id]
		if g == nil {
			continue // a group that is gone allows nothing
		}
		for _, r := range g.Egress {
			a, p := ruleCells(x, vpc, r)
			outAny, outPorts = append(outAny, a...), append(outPorts, p...)
		}
		for _, r := range g.Ingress {
			a, p := ruleCells(x, vpc, r)
			inAny, inPorts = append(inAny, a...), append(inPorts, p...)
		}
	}
	gs.Egress.AnyPort, gs.Egress.Ports = compileBoxes(outAny), compileBoxes(outPorts)
	gs.Ingress.AnyPort, gs.Ingress.Ports = compileBoxes(inAny), compileBoxes(inPorts)
	return gs
}

// compileBoxes makes (addr, proto, x) cells disjoint, cutting by address
// first or by protocol and port first, whichever gives fewer boxes (wide
// CIDRs over narrow ones favour the second, many ports the first).
func compileBoxes(cells []cell) []Box {
	byAddr := disjoint(cells)
	rotated := make([]cell, len(cells))
	for i, c := range cells {
		rotated[i] = cell{c[1], c[2], c[0]}
	}
	byProto := disjoint(rotated)
	if len(byProto) < len(byAddr) {
		for i, c := range byProto {
			byProto[i] = cell{c[2], c[0], c[1]}
		}
		byAddr = byProto
	}
	slices.SortFunc(byAddr, func(a, b cell) int {
		for d := range a {
			if a[d].lo != b[d].lo {
				return cmpU32(a[d].lo, b[d].lo)
			}
		}
		return 0
	})
	return boxCells(byAddr)
}

func cmpU32(a, b uint32) int {
	if a < b {
		return -1
	}
	return 1
}

var fullX = span{0, 0xffff}

// ruleCells turns one rule into (addr, proto, x) cells: anyPort cells
// match any port (x is always full), port cells a port or ICMP range.
func ruleCells(x *netmodel.Index, vpc string, r netmodel.SGRule) (anyPort, ports []cell) {
	var peers []span
	switch {
	case r.Group != "":
		for _, e := range x.GroupMembers[r.Group] {
			if e.VPC != vpc {
				continue
			}
			for _, ip := range e.PrivateIPs {
				if ip.Is4() {
					n := addrNum(ip)
					peers = append(peers, span{n, n})
				}
			}
		}
	case r.CIDR.IsValid() && r.CIDR.Addr().Is4():
		peers = append(peers, prefixSpan(r.CIDR))
	}
	if len(peers) == 0 {
		return nil, nil
	}
	proto, xs, ok := ruleMatch(r)
	if !ok {
		return nil, nil
	}
	for _, a := range peers {
		c := cell{a, proto, xs}
		if xs == fullX {
			anyPort = append(anyPort, c)
		} else {
			ports = append(ports, c)
		}
	}
	return anyPort, ports
}

// ruleMatch is a rule's protocol span and x span (port range, or ICMP
// type<<8|code range); ok is false for a rule that can match nothing.
func ruleMatch(r netmodel.SGRule) (proto, xs span, ok bool) {
	switch r.Protocol {
	case netmodel.All:
		return span{0, 255}, fullX, true
	case netmodel.TCP, netmodel.UDP:
		p := span{uint32(r.Protocol), uint32(r.Protocol)}
		if r.FromPort < 0 && r.ToPort < 0 {
			return p, fullX, true
		}
		lo, hi := max(r.FromPort, 0), r.ToPort
		if hi < 0 || hi > 0xffff {
			hi = 0xffff
		}
		if lo > hi {
			return span{}, span{}, false
		}
		return p, span{uint32(lo), uint32(hi)}, true
	case netmodel.ICMP:
		p := span{1, 1}
		t, c := r.FromPort, r.ToPort
		switch {
		case t < 0 || t > 255:
			return p, fullX, true
		case c < 0 || c > 255:
			return p, span{uint32(t) << 8, uint32(t)<<8 | 0xff}, true
		default:
			v := uint32(t)<<8 | uint32(c)
			return p, span{v, v}, true
		}
	default:
		if r.Protocol < 0 || r.Protocol > 255 {
			return span{}, span{}, false
		}
		// Other protocols have no ports in security group rules.
		return span{uint32(r.Protocol), uint32(r.Protocol)}, fullX, true
	}
}

// groupKey is the sorted, deduplicated group list of an ENI.
func groupKey(groups []string) []string {
	g := slices.Clone(groups)
	slices.Sort(g)
	return slices.Compact(g)
}
