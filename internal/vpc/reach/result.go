package reach

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/nimbuscloud/nimbus/internal/vpc/netmodel"
)

// Result is the outcome of one analysis, shaped like EC2's
// NetworkInsightsAnalysis: NetworkPathFound, ForwardPathComponents and
// ReturnPathComponents, Explanations.
type Result struct {
	// Reachable: the flow gets through (for TCP and ICMP, the reply too).
	Reachable bool
	// Hops are the components the packets cross, in order: the forward
	// path, then (Hop.Return) the reply path. A filter that drops the
	// packet appears with Denied set.
	Hops []Hop
	// Explanations name what blocks the flow, in path order (forward path
	// first); empty when Reachable.
	Explanations []Explanation
}

// Direction is the way a packet crosses a filter or a gateway.
type Direction string

const (
	Ingress Direction = "ingress"
	Egress  Direction = "egress"
)

// Kind is what a component is.
type Kind string

const (
	KindENI             Kind = "network-interface"
	KindSecurityGroup   Kind = "security-group"
	KindNACL            Kind = "network-acl"
	KindRouteTable      Kind = "route-table"
	KindInternetGateway Kind = "internet-gateway"
	KindNATGateway      Kind = "nat-gateway"
	KindVPC             Kind = "vpc"
	// KindInternet is a host on the internet; its ID is its address.
	KindInternet Kind = "internet"
)

// Component is one element of a path, by kind and ID.
type Component struct {
	Kind Kind
	ID   string
}

// Header is a packet's protocol, addresses and ports as it reaches a
// component (EC2's AnalysisPacketHeader).
type Header struct {
	Protocol         int // netmodel.TCP, UDP or ICMP
	Src, Dst         netip.Addr
	SrcPort, DstPort int // TCP and UDP; 0 for ICMP
	ICMPType         int // ICMP
	ICMPCode         int // ICMP
}

// ICMP echo types.
const (
	icmpEchoReply   = 0
	icmpEchoRequest = 8
)

// reply is the packet a receiver sends back: addresses and ports swapped,
// an echo request answered by an echo reply.
func (h Header) reply() Header {
	r := h
	r.Src, r.Dst = h.Dst, h.Src
	r.SrcPort, r.DstPort = h.DstPort, h.SrcPort
	if h.Protocol == netmodel.ICMP && h.ICMPType == icmpEchoRequest {
		r.ICMPType, r.ICMPCode = icmpEchoReply, 0
	}
	return r
}

func (h Header) String() string {
	if h.Protocol == netmodel.ICMP {
		kind := fmt.Sprintf("type %d code %d", h.ICMPType, h.ICMPCode)
		switch {
		case h.ICMPType == icmpEchoRequest && h.ICMPCode == 0:
			kind = "echo-request"
		case h.ICMPType == icmpEchoReply && h.ICMPCode == 0:
			kind = "echo-reply"
		}
		return fmt.Sprintf("icmp %s > %s %s", h.Src, h.Dst, kind)
	}
	return fmt.Sprintf("%s %s > %s", protoName(h.Protocol),
		netip.AddrPortFrom(h.Src, uint16(h.SrcPort)), netip.AddrPortFrom(h.Dst, uint16(h.DstPort)))
}

// Hop is one component a packet crosses (EC2's PathComponent).
type Hop struct {
	// Return: the hop is on the reply path.
	Return    bool
	Component Component
	Direction Direction // empty for route tables
	// Header is the packet as it reaches the component; Out is the packet
	// as it leaves, set only where it is translated (gateways).
	Header Header
	Out    *Header
	// Denied: the component drops this packet (the walk carried on past it
	// to find further blocks; an Explanation says why).
	Denied bool
	// SecurityGroups are the interface's groups (security-group hops);
	// Component is the group whose rule decided, or the first one.
	SecurityGroups []string
	// SecurityGroupRule is the rule that admitted the packet; nil when the
	// packet was denied or passed as part of an allowed connection.
	SecurityGroupRule *netmodel.SGRule
	// Established: the security groups passed the packet as part of a
	// connection they already allowed (stateful).
	Established bool
	// ACLRule is the entry that decided (network-ACL hops).
	ACLRule *netmodel.NACLEntry
	// Route is the route taken (route-table hops).
	Route *netmodel.Route
}

// DefaultACLRuleNumber is the number EC2 shows for a network ACL's final
// "*" entry, which denies what no numbered entry matched.
const DefaultACLRuleNumber = 32767

// defaultACLEntry is that "*" entry, as DescribeNetworkAcls lists it.
var defaultACLEntry = netmodel.NACLEntry{
	Number:   DefaultACLRuleNumber,
	Protocol: netmodel.All,
	ICMPType: -1, ICMPCode: -1,
	CIDR:  netip.MustParsePrefix("0.0.0.0/0"),
	Allow: false,
}

// Code is a Reachability Analyzer explanation code.
type Code string

// The explanation codes Evaluate uses, all from AWS's "Reachability
// Analyzer explanation codes" (docs.aws.amazon.com/vpc/latest/reachability/
// explanation-codes.html).
const (
	// A security group of the interface has no rule that admits the packet.
	CodeSGRulesMismatch Code = "ENI_SG_RULES_MISMATCH"
	// The interface's security groups have no rule at all in that direction.
	CodeSGHasNoRules Code = "SG_HAS_NO_RULES"
	// The subnet's network ACL denies the packet (ACLRule says which entry).
	CodeSubnetACLRestriction Code = "SUBNET_ACL_RESTRICTION"
	// The route table has no route for the destination.
	CodeNoRouteToDestination Code = "NO_ROUTE_TO_DESTINATION"
	// The route is a blackhole, or its target no longer exists.
	CodeBadStateRoute Code = "BAD_STATE_ROUTE"
	// The route's internet gateway is not attached to the VPC.
	CodeBadStateAttachment Code = "BAD_STATE_ATTACHMENT"
	// The packet's source has no public IP for the internet gateway to map.
	CodeIGWPublicIPAssociationForEgress Code = "IGW_PUBLIC_IP_ASSOCIATION_FOR_EGRESS"
	// An internet packet's destination is not the public IP of an interface.
	CodeIGWPrivateIPAssociationForIngress Code = "IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS"
	// The internet gateway does not send private or shared addresses out.
	CodeIGWDestinationRFC1918Egress Code = "IGW_DESTINATION_ADDRESS_NOT_IN_RFC1918_EGRESS"
	CodeIGWDestinationRFC6598Egress Code = "IGW_DESTINATION_ADDRESS_NOT_IN_RFC6598_EGRESS"
	// The internet gateway does not let private or shared sources in.
	CodeIGWSourceRFC1918Ingress Code = "IGW_SOURCE_ADDRESS_NOT_IN_RFC1918_INGRESS"
	CodeIGWSourceRFC6598Ingress Code = "IGW_SOURCE_ADDRESS_NOT_IN_RFC6598_INGRESS"
	// The interface's source/destination check drops a packet that is not
	// from (egress) or to (ingress) one of its private IPs.
	CodeSourceDestCheck Code = "ENI_SOURCE_DEST_CHECK_RESTRICTION"
	// A reply is routed into a NAT gateway, which would rewrite its source,
	// so it never matches the connection it answers.
	CodeNGWSourceAddressReassign Code = "NGW_SOURCE_ADDRESS_REASSIGN"
	// Nothing holds the packet's destination address.
	CodeNoPossibleDestination Code = "NO_POSSIBLE_DESTINATION"
	// The source and destination are in different VPCs and the destination
	// address is private.
	CodeDisconnectedVPCs Code = "DISCONNECTED_VPCS"
	// No path: the destination's VPC has no internet gateway attached, or
	// the packet loops between appliances.
	CodeNoPath Code = "NO_PATH"
)

// Explanation names one thing that blocks the flow (EC2's Explanation).
type Explanation struct {
	Code Code
	// Return: the block is on the reply path.
	Return bool
	// Component is the blocking component: sg-, acl-, rtb-, igw-, nat-,
	// eni- or vpc-.
	Component Component
	// Direction is ingress or egress where the component filters both.
	Direction Direction
	// NetworkInterface is the interface whose security groups or
	// source/dest check block.
	NetworkInterface string
	// SecurityGroups are that interface's groups.
	SecurityGroups []string
	// ACLRule is the entry that denied; Number DefaultACLRuleNumber when no
	// numbered entry matched.
	ACLRule *netmodel.NACLEntry
	// RouteTable and Route: the table consulted and the route taken.
	RouteTable string
	Route      *netmodel.Route
	// Header is the packet that was dropped.
	Header Header
	// SourceVPC and DestinationVPC, for DISCONNECTED_VPCS.
	SourceVPC, DestinationVPC string
}

// String is the compact form tests compare: the verdict on the first line,
// then one line per explanation.
func (r Result) String() string {
	var b strings.Builder
	if r.Reachable {
		b.WriteString("reachable\n")
	} else {
		b.WriteString("unreachable\n")
	}
	for _, e := range r.Explanations {
		b.WriteString("  ")
		b.WriteString(e.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// Trace lists the hops, one per line, the forward path then the return
// path.
func (r Result) Trace() string {
	var b strings.Builder
	section := ""
	for _, h := range r.Hops {
		want := "forward:\n"
		if h.Return {
			want = "return:\n"
		}
		if want != section {
			section = want
			b.WriteString(section)
		}
		b.WriteString("  ")
		b.WriteString(h.String())
		b.WriteByte('\n')
	}
	return b.String()
}

func (h Hop) String() string {
	parts := []string{h.Component.ID}
	if h.Component.Kind == KindSecurityGroup && (h.Denied || h.Established || h.Component.ID == "") {
		parts[0] = strings.Join(h.SecurityGroups, ",")
		if parts[0] == "" {
			parts[0] = "no-security-groups"
		}
	}
	if h.Direction != "" {
		parts = append(parts, string(h.Direction))
	}
	switch h.Component.Kind {
	case KindENI, KindInternet:
		if h.Direction == Egress {
			parts = append(parts, h.Header.String())
		}
		if h.Denied {
			parts = append(parts, "deny")
		}
	case KindSecurityGroup:
		switch {
		case h.Established:
			parts = append(parts, "established")
		case h.Denied:
			parts = append(parts, "deny")
		case h.SecurityGroupRule != nil:
			parts = append(parts, "allow", sgRuleString(*h.SecurityGroupRule, h.Direction))
		}
	case KindNACL:
		if h.ACLRule != nil {
			parts = append(parts, aclRuleString(*h.ACLRule))
		}
	case KindRouteTable:
		if h.Route != nil {
			parts = append(parts, "route", routeString(*h.Route))
		} else if h.Denied {
			parts = append(parts, "no route")
		}
	case KindInternetGateway, KindNATGateway:
		if h.Out != nil {
			parts = append(parts, h.Out.String())
		}
	}
	return strings.Join(parts, " ")
}

func (e Explanation) String() string {
	var parts []string
	if e.Return {
		parts = append(parts, "return")
	}
	parts = append(parts, string(e.Code))
	id := e.Component.ID
	if len(e.SecurityGroups) > 0 && e.Component.Kind == KindSecurityGroup {
		id = strings.Join(e.SecurityGroups, ",")
	}
	parts = append(parts, id)
	if e.Direction != "" {
		parts = append(parts, string(e.Direction))
	}
	if e.NetworkInterface != "" && e.Component.ID != e.NetworkInterface {
		parts = append(parts, "at", e.NetworkInterface)
	}
	if e.ACLRule != nil {
		parts = append(parts, aclRuleString(*e.ACLRule))
	}
	if e.Route != nil {
		parts = append(parts, "route", routeString(*e.Route))
	}
	if e.RouteTable != "" && e.Component.ID != e.RouteTable {
		parts = append(parts, "in", e.RouteTable)
	}
	switch e.Code {
	case CodeNoRouteToDestination, CodeNoPossibleDestination, CodeIGWPrivateIPAssociationForIngress, CodeNoPath,
		CodeIGWDestinationRFC1918Egress, CodeIGWDestinationRFC6598Egress:
		parts = append(parts, "to", e.Header.Dst.String())
	case CodeIGWPublicIPAssociationForEgress, CodeIGWSourceRFC1918Ingress, CodeIGWSourceRFC6598Ingress:
		parts = append(parts, "from", e.Header.Src.String())
	case CodeSourceDestCheck:
		if e.Direction == Egress {
			parts = append(parts, "from", e.Header.Src.String())
		} else {
			parts = append(parts, "to", e.Header.Dst.String())
		}
	case CodeDisconnectedVPCs:
		parts = append(parts[:len(parts)-1], e.SourceVPC, "to", e.DestinationVPC)
	}
	return strings.Join(parts, " ")
}

func protoName(p int) string {
	switch p {
	case netmodel.All:
		return "all"
	case netmodel.TCP:
		return "tcp"
	case netmodel.UDP:
		return "udp"
	case netmodel.ICMP:
		return "icmp"
	case netmodel.ICMPv6:
		return "icmpv6"
	}
	return strconv.Itoa(p)
}

func portRange(from, to int) string {
	if from == to {
		return strconv.Itoa(from)
	}
	return fmt.Sprintf("%d-%d", from, to)
}

func icmpTypeCode(typ, code int) string {
	star := func(v int) string {
		if v == -1 {
			return "*"
		}
		return strconv.Itoa(v)
	}
	if typ == -1 && code == -1 {
		return "*"
	}
	return star(typ) + ":" + star(code)
}

// matchString is how a rule's protocol and ports read: "tcp 22",
// "udp 1024-65535", "icmp 8:*", "all".
func matchString(proto, from, to int) string {
	switch proto {
	case netmodel.TCP, netmodel.UDP:
		return protoName(proto) + " " + portRange(from, to)
	case netmodel.ICMP, netmodel.ICMPv6:
		return protoName(proto) + " " + icmpTypeCode(from, to)
	}
	return protoName(proto)
}

func sgRuleString(r netmodel.SGRule, dir Direction) string {
	peer := r.Group
	if peer == "" {
		peer = r.CIDR.String()
	}
	way := "from"
	if dir == Egress {
		way = "to"
	}
	return matchString(r.Protocol, r.FromPort, r.ToPort) + " " + way + " " + peer
}

func aclRuleString(e netmodel.NACLEntry) string {
	n := strconv.Itoa(e.Number)
	if e.Number == DefaultACLRuleNumber {
		n = "*"
	}
	action := "deny"
	if e.Allow {
		action = "allow"
	}
	return "rule " + n + " " + action
}

func routeString(r netmodel.Route) string {
	target := r.Target
	if target == "" {
		target = string(r.Kind)
	}
	return r.Dest.String() + " " + target
}
