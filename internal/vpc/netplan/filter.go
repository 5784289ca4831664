package netplan

import "net/netip"

// Filter is what a router's nftables tables enforce, as data: the adapter
// turns each field into sets, maps and a fixed skeleton of chains (see
// doc.go for the chain layout). Every per-packet decision is a set or map
// lookup except the NACL chains, which are ordered rule lists by nature.
type Filter struct {
	// Table is the inet table; RxTable the netdev table on the VXLAN
	// device's ingress.
	Table   string
	RxTable string
	VXLAN   string
	Uplink  string // empty: the router has no uplink

	// RouteMarks: a packet entering from a port carries the mark (and so
	// looks up the routing table) of its subnet's route table.
	RouteMarks []IfMark
	// RxMarks: a frame arriving over VXLAN for the MAC of a local ENI with
	// source/dest check off (an appliance or NAT gateway) is accepted and
	// marked to look up that ENI's table (everything goes to it).
	RxMarks []MACMark
	// SourceCheck lists the ports with source/dest check on and the
	// addresses each may send from.
	SourceCheck []IfAddr
	// DestCheck lists (next hop, destination) pairs allowed for next hops
	// that are ENIs with source/dest check on (local or remote): a route
	// that targets such an ENI only delivers the ENI's own addresses.
	DestCheck []AddrPair
	// PublicNAT maps public addresses 1:1 to primary private addresses of
	// the local ENIs (only when the router has an uplink).
	PublicNAT []NATMapping
	// NATPorts are the ports of NAT gateways: new flows from them may only
	// leave through the uplink.
	NATPorts []string
	// IGWRefused are the address ranges the internet gateway refuses both
	// ways (RFC 1918, RFC 6598): as sources of packets from the uplink
	// and as destinations of packets to it. Empty without an uplink.
	IGWRefused []netip.Prefix

	// NACLFrom dispatches packets entering the VPC at this router (from a
	// port or the uplink) to the chain of their source subnet, which
	// evaluates that subnet's NACL egress and the next hop's subnet's NACL
	// ingress. Packets from VXLAN were evaluated by the sending host.
	NACLFrom []IfChain
	Subnets  []SubnetChain
	// NACLTo maps each subnet of the VPC to its NACL's ingress chain.
	NACLTo []CIDRChain
	NACLs  []NACLChain

	// SGOut and SGIn dispatch by port to the compiled security groups of
	// the port's ENI (egress for packets it sends, ingress for packets it
	// receives). Ports of NAT gateways have none.
	SGOut     []IfChain
	SGIn      []IfChain
	GroupSets []GroupSet
}

// IfMark maps an interface to a packet mark.
type IfMark struct {
	If   string
	Mark uint32
}

// MACMark maps a destination MAC to a packet mark.
type MACMark struct {
	MAC  string
	Mark uint32
}

// IfAddr is an (interface, address) pair.
type IfAddr struct {
	If   string
	Addr netip.Addr
}

// AddrPair is a (next hop, destination) pair.
type AddrPair struct {
	NextHop, Dst netip.Addr
}

// NATMapping is a 1:1 mapping through the internet gateway.
type NATMapping struct {
	Public, Private netip.Addr
}

// IfChain maps an interface to a chain.
type IfChain struct {
	If    string
	Chain string
}

// SubnetChain is the NACL entry chain of a subnet with ENIs on this host
// (or of the internet: Subnet empty, CIDR invalid, Egress empty).
type SubnetChain struct {
	Subnet string
	Chain  string
	CIDR   netip.Prefix
	// Egress is the chain of the subnet's NACL egress entries.
	Egress string
}

// CIDRChain maps an address range to a chain.
type CIDRChain struct {
	CIDR  netip.Prefix
	Chain string
}

// NACLChain is one direction of a network ACL, compiled in rule-number
// order; a packet matching no entry is dropped.
type NACLChain struct {
	NACL    string
	Chain   string
	Egress  bool
	Entries []NACLRule
}

// NACLRule is one NACL entry. Proto is an IANA number or -1 (all). XLo..XHi
// bound the key of netmodel's matcher, as in Box: the destination port
// (TCP, UDP) or ICMP type<<8|code; 0-65535 matches any (and is all other
// protocols have). CIDR is matched against the destination (egress) or
// source (ingress).
type NACLRule struct {
	Number   int
	Proto    int
	XLo, XHi uint16
	CIDR     netip.Prefix
	Allow    bool
}

// GroupSet is the compiled union of a list of security groups: ENIs with
// the same groups share it.
type GroupSet struct {
	Groups  []string
	Egress  SGChain
	Ingress SGChain
}

// SGChain is one direction of a group set as two sets of disjoint boxes:
// AnyPort (peer address x protocol, any port or ICMP type) and Ports
// (peer address x protocol x port, or x ICMP type<<8|code).
type SGChain struct {
	Chain   string
	AnyPort []Box
	Ports   []Box
}

// Box is an inclusive range in each dimension. The peer is the
// destination for egress and the source for ingress. Boxes of one set
// never overlap (the kernel's concatenated interval sets require it).
type Box struct {
	AddrLo, AddrHi   netip.Addr
	ProtoLo, ProtoHi uint8
	// X is the destination port (TCP, UDP) or ICMP type<<8|code; it is
	// unused (0-65535) in AnyPort boxes.
	XLo, XHi uint16
}
