package reach

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/nimbuscloud/nimbus/internal/vpc/netmodel"
)

// maxForwards bounds how many interfaces one packet may leave from (the
// source, NAT gateways, appliances): more is a routing loop.
const maxForwards = 16

// walker follows the packets of one flow through the model, step by step
// as docs/design/vpc-semantics.md lists them. Each step returns false when
// the packet goes no further (an Explanation says why, or err is set).
type walker struct {
	x *netmodel.Index
	a addrs
	// ret: walking the reply.
	ret  bool
	hops []Hop
	expl []Explanation
	// conn holds the interfaces whose security groups saw the forward
	// packet: the reply passes them (stateful).
	conn map[string]bool
	// nat is the translation a NAT gateway made for the forward packet.
	nat      *natState
	forwards int
	err      error
}

type natState struct {
	eni      *netmodel.ENI // the gateway's interface
	gw       string
	orig, to Header // the packet before and after translation
}

// end is where a packet was delivered: an interface, or (eni nil) the
// internet host h.Dst.
type end struct {
	eni *netmodel.ENI
	h   Header
}

func (w *walker) hop(h Hop) {
	h.Return = w.ret
	w.hops = append(w.hops, h)
}

func (w *walker) block(e Explanation) {
	e.Return = w.ret
	w.expl = append(w.expl, e)
}

func (w *walker) fail(format string, args ...any) bool {
	if w.err == nil {
		w.err = fmt.Errorf("%w: %s", ErrInvalidModel, fmt.Sprintf(format, args...))
	}
	return false
}

func eniComponent(e *netmodel.ENI) Component { return Component{KindENI, e.ID} }

// place is the subnet and VPC an interface is in.
func (w *walker) place(e *netmodel.ENI) (*netmodel.Subnet, *netmodel.VPC, bool) {
	s, ok := w.x.Subnet[e.Subnet]
	if !ok {
		return nil, nil, w.fail("%s: subnet %s not in model", e.ID, e.Subnet)
	}
	v, ok := w.x.VPC[s.VPC]
	if !ok {
		return nil, nil, w.fail("%s: VPC %s not in model", s.ID, s.VPC)
	}
	if e.VPC != s.VPC {
		return nil, nil, w.fail("%s is in VPC %s but its subnet %s is in %s", e.ID, e.VPC, s.ID, s.VPC)
	}
	return s, v, true
}

// how says why an interface sends a packet.
type how int

const (
	originates how = iota // its own packet (the source, a reply, an untranslated reply)
	forwards              // an appliance passing a packet on unchanged
	translated            // a NAT gateway sending what it has just translated
)

// emit: interface e sends h (steps 1-3 of the doc).
func (w *walker) emit(e *netmodel.ENI, h Header, why how) (end, bool) {
	w.forwards++
	if w.forwards > maxForwards {
		w.block(Explanation{Code: CodeNoPath, Component: eniComponent(e), Header: h})
		return end{}, false
	}
	sub, vpc, ok := w.place(e)
	if !ok {
		return end{}, false
	}
	if e.Kind != netmodel.ENINAT { // a NAT gateway has no groups and no check
		// An appliance with the check on was already stopped on the way in.
		checked := why == originates && e.SourceDestCheck && !slices.Contains(e.PrivateIPs, h.Src)
		w.hop(Hop{Component: eniComponent(e), Direction: Egress, Header: h, Denied: checked})
		if checked {
			w.block(Explanation{Code: CodeSourceDestCheck, Component: eniComponent(e), Direction: Egress,
				NetworkInterface: e.ID, Header: h})
		}
		if !w.securityGroups(e, Egress, h, h.Dst) {
			return end{}, false
		}
	}
	return w.route(sub, vpc, h, why == translated)
}

// securityGroups: e's groups in direction dir (stateful). peer is the far
// end of the packet.
func (w *walker) securityGroups(e *netmodel.ENI, dir Direction, h Header, peer netip.Addr) bool {
	// Results never share the model's memory.
	groups := slices.Clone(e.Groups)
	hop := Hop{Component: Component{Kind: KindSecurityGroup}, Direction: dir, Header: h, SecurityGroups: groups}
	if len(groups) > 0 {
		hop.Component.ID = groups[0]
	}
	if w.ret && w.conn[e.ID] {
		hop.Established = true
		w.hop(hop)
		return true
	}
	if !w.ret {
		w.conn[e.ID] = true
	}
	d, err := sgAllows(w.x, e.Groups, dir, h, peer)
	if err != nil {
		w.err = err
		return false
	}
	if d.Rule != nil {
		rule := *d.Rule
		hop.Component.ID, hop.SecurityGroupRule = d.Group, &rule
		w.hop(hop)
		return true
	}
	hop.Denied = true
	w.hop(hop)
	code := CodeSGRulesMismatch
	if d.NoRules {
		code = CodeSGHasNoRules
	}
	c := hop.Component
	if c.ID == "" { // an interface without groups blocks by itself
		c = eniComponent(e)
	}
	w.block(Explanation{Code: code, Component: c, Direction: dir,
		NetworkInterface: e.ID, SecurityGroups: groups, Header: h})
	return true
}

// nacl: subnet s's network ACL in direction dir (stateless). peer is the
// far end of the packet.
func (w *walker) nacl(s *netmodel.Subnet, dir Direction, h Header, peer netip.Addr) bool {
	acl, ok := w.x.NACL[s.NACL]
	if !ok {
		return w.fail("%s: network ACL %s not in model", s.ID, s.NACL)
	}
	entries := acl.Ingress
	if dir == Egress {
		entries = acl.Egress
	}
	entry, allowed := naclAllows(entries, h, peer)
	c := Component{KindNACL, acl.ID}
	w.hop(Hop{Component: c, Direction: dir, Header: h, ACLRule: &entry, Denied: !allowed})
	if !allowed {
		w.block(Explanation{Code: CodeSubnetACLRestriction, Component: c, Direction: dir, ACLRule: &entry, Header: h})
	}
	return true
}

// route: step 3, then the step for the route's target.
func (w *walker) route(sub *netmodel.Subnet, vpc *netmodel.VPC, h Header, viaNAT bool) (end, bool) {
	rt, ok := w.x.RouteTable[sub.RouteTable]
	if !ok {
		return end{}, w.fail("%s: route table %s not in model", sub.ID, sub.RouteTable)
	}
	rc := Component{KindRouteTable, rt.ID}
	r, found := lookupRoute(rt, vpc.CIDRs, h.Dst)
	if !found {
		w.hop(Hop{Component: rc, Header: h, Denied: true})
		w.block(Explanation{Code: CodeNoRouteToDestination, Component: rc, RouteTable: rt.ID, Header: h})
		return end{}, false
	}
	w.hop(Hop{Component: rc, Header: h, Route: &r})
	bad := func(code Code, c Component) (end, bool) {
		w.block(Explanation{Code: code, Component: c, RouteTable: rt.ID, Route: &r, Header: h})
		return end{}, false
	}
	if viaNAT && r.Kind != netmodel.TargetIGW && r.Kind != netmodel.TargetBlackhole {
		// A NAT gateway sends what it translates to an internet gateway only.
		return bad(CodeNoRouteToDestination, rc)
	}
	switch r.Kind {
	case netmodel.TargetLocal:
		b := w.a.private[vpc.ID][h.Dst]
		if b == nil {
			return bad(CodeNoPossibleDestination, Component{KindVPC, vpc.ID})
		}
		return w.arrive(sub, b, h)
	case netmodel.TargetIGW:
		g, ok := w.x.InternetGateway[r.Target]
		if !ok {
			return bad(CodeBadStateRoute, rc)
		}
		if g.VPC != vpc.ID {
			return bad(CodeBadStateAttachment, Component{KindInternetGateway, g.ID})
		}
		return w.igwEgress(sub, vpc, g, h)
	case netmodel.TargetNAT:
		g, ok := w.x.NATGateway[r.Target]
		if !ok || g.VPC != vpc.ID {
			return bad(CodeBadStateRoute, rc)
		}
		if w.ret {
			// The gateway holds no translation for a reply: it would send it
			// out from its own address, which the peer does not expect.
			return bad(CodeNGWSourceAddressReassign, Component{KindNATGateway, g.ID})
		}
		return w.natGateway(sub, g, h)
	case netmodel.TargetENI:
		c, ok := w.x.ENI[r.Target]
		if !ok || c.VPC != vpc.ID {
			return bad(CodeBadStateRoute, rc)
		}
		return w.arrive(sub, c, h)
	}
	return bad(CodeBadStateRoute, rc) // blackhole, or a kind this evaluator does not know
}

// arrive: step 4 (and 7): from subnet `from` into interface b, through
// both subnets' network ACLs unless they are the same subnet.
func (w *walker) arrive(from *netmodel.Subnet, b *netmodel.ENI, h Header) (end, bool) {
	sb, _, ok := w.place(b)
	if !ok {
		return end{}, false
	}
	if sb.ID != from.ID {
		if !w.nacl(from, Egress, h, h.Dst) || !w.nacl(sb, Ingress, h, h.Src) {
			return end{}, false
		}
	}
	return w.enter(b, h)
}

// enter: the packet is at interface b, past its subnet's network ACL.
func (w *walker) enter(b *netmodel.ENI, h Header) (end, bool) {
	owned := slices.Contains(b.PrivateIPs, h.Dst)
	if b.Kind == netmodel.ENINAT {
		if n := w.nat; owned && n != nil && n.eni == b && isReplyTo(h, n.to) {
			back := h
			back.Dst, back.DstPort = n.orig.Src, n.orig.SrcPort
			w.hop(Hop{Component: Component{KindNATGateway, n.gw}, Direction: Ingress, Header: h, Out: &back})
			return w.emit(b, back, originates)
		}
		w.hop(Hop{Component: eniComponent(b), Direction: Ingress, Header: h})
		return end{eni: b, h: h}, true
	}
	if !w.securityGroups(b, Ingress, h, h.Src) {
		return end{}, false
	}
	checked := !owned && b.SourceDestCheck
	w.hop(Hop{Component: eniComponent(b), Direction: Ingress, Header: h, Denied: checked})
	if checked {
		w.block(Explanation{Code: CodeSourceDestCheck, Component: eniComponent(b), Direction: Ingress,
			NetworkInterface: b.ID, Header: h})
	}
	if owned {
		return end{eni: b, h: h}, true
	}
	return w.emit(b, h, forwards) // an appliance: it forwards the packet unchanged
}

// isReplyTo: h answers out (addresses and ports swapped).
func isReplyTo(h, out Header) bool {
	return h.Protocol == out.Protocol && h.Src == out.Dst && h.Dst == out.Src &&
		h.SrcPort == out.DstPort && h.DstPort == out.SrcPort
}

// natGateway: step 6. The gateway's interface takes the packet (network
// ACLs between the subnets), translates its source to its own private IP
// and sends it on from its own subnet. The source port is kept, as Linux
// masquerading keeps it when it is free.
func (w *walker) natGateway(from *netmodel.Subnet, g *netmodel.NATGateway, h Header) (end, bool) {
	ge, ok := w.x.ENI[g.ENI]
	if !ok {
		return end{}, w.fail("%s: interface %s not in model", g.ID, g.ENI)
	}
	gs, _, ok := w.place(ge)
	if !ok {
		return end{}, false
	}
	if gs.ID != from.ID {
		if !w.nacl(from, Egress, h, h.Dst) || !w.nacl(gs, Ingress, h, h.Src) {
			return end{}, false
		}
	}
	out := h
	out.Src = ge.Primary()
	w.nat = &natState{eni: ge, gw: g.ID, orig: h, to: out}
	w.hop(Hop{Component: Component{KindNATGateway, g.ID}, Direction: Egress, Header: h, Out: &out})
	return w.emit(ge, out, translated)
}

// igwEgress: step 5. The subnet's network ACL, then the gateway maps the
// source to its public IP.
func (w *walker) igwEgress(from *netmodel.Subnet, vpc *netmodel.VPC, g *netmodel.InternetGateway, h Header) (end, bool) {
	if !w.nacl(from, Egress, h, h.Dst) {
		return end{}, false
	}
	c := Component{KindInternetGateway, g.ID}
	owner := w.a.private[vpc.ID][h.Src]
	if owner == nil || owner.Primary() != h.Src || !owner.PublicIP.IsValid() {
		w.block(Explanation{Code: CodeIGWPublicIPAssociationForEgress, Component: c, Direction: Egress, Header: h})
		return end{}, false
	}
	switch {
	case isRFC1918(h.Dst):
		w.block(Explanation{Code: CodeIGWDestinationRFC1918Egress, Component: c, Direction: Egress, Header: h})
		return end{}, false
	case isRFC6598(h.Dst):
		w.block(Explanation{Code: CodeIGWDestinationRFC6598Egress, Component: c, Direction: Egress, Header: h})
		return end{}, false
	}
	out := h
	out.Src = owner.PublicIP
	w.hop(Hop{Component: c, Direction: Egress, Header: h, Out: &out})
	return w.internet(out)
}

// internet: a packet on the internet segment goes to the interface whose
// public IP it is addressed to, or else to an internet host (which filters
// nothing).
func (w *walker) internet(h Header) (end, bool) {
	if b := w.a.public[h.Dst]; b != nil {
		return w.igwIngress(b, h)
	}
	w.hop(Hop{Component: Component{KindInternet, h.Dst.String()}, Direction: Ingress, Header: h})
	return end{h: h}, true
}

// igwIngress: a packet from the internet to b's public IP: b's VPC's
// gateway maps it to b's primary private IP, then b's subnet's network ACL
// and b's groups decide.
func (w *walker) igwIngress(b *netmodel.ENI, h Header) (end, bool) {
	g := w.a.igw[b.VPC]
	if g == nil {
		w.block(Explanation{Code: CodeNoPath, Component: Component{KindVPC, b.VPC}, Direction: Ingress, Header: h})
		return end{}, false
	}
	c := Component{KindInternetGateway, g.ID}
	switch {
	case isRFC1918(h.Src):
		w.block(Explanation{Code: CodeIGWSourceRFC1918Ingress, Component: c, Direction: Ingress, Header: h})
		return end{}, false
	case isRFC6598(h.Src):
		w.block(Explanation{Code: CodeIGWSourceRFC6598Ingress, Component: c, Direction: Ingress, Header: h})
		return end{}, false
	}
	in := h
	in.Dst = b.Primary()
	w.hop(Hop{Component: c, Direction: Ingress, Header: h, Out: &in})
	sb, _, ok := w.place(b)
	if !ok || !w.nacl(sb, Ingress, in, in.Src) {
		return end{}, false
	}
	return w.enter(b, in)
}
