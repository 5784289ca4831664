package netplan

import (
	"cmp"
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
			if c := cmp.Compare(a[d].lo, b[d].lo); c != 0 {
				return c
			}
		}
		return 0
	})
	return boxCells(byAddr)
}

var fullX = span{0, netmodel.MaxKey}

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
// type<<8|code range: netmodel's match key); ok is false for a rule that
// can match nothing.
func ruleMatch(r netmodel.SGRule) (proto, xs span, ok bool) {
	m := r.Match()
	if m.Empty() {
		return span{}, span{}, false
	}
	proto = span{uint32(m.Protocol), uint32(m.Protocol)}
	if m.Protocol == netmodel.All {
		proto = span{0, 255}
	}
	return proto, span{uint32(m.Lo), uint32(m.Hi)}, true
}

// groupKey is the sorted, deduplicated group list of an ENI.
func groupKey(groups []string) []string {
	g := slices.Clone(groups)
	slices.Sort(g)
	return slices.Compact(g)
}
