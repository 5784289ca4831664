package netmodel

import (
	"net/netip"
)

// Protocol numbers as EC2 uses them in rules: an IANA protocol number, or
// All (EC2's "-1").
const (
	All    = -1
	ICMP   = 1
	TCP    = 6
	UDP    = 17
	ICMPv6 = 58
)

// Model is a snapshot of a region's networks. Slices are in no particular
// order; IDs are unique within their kind.
type Model struct {
	VPCs             []VPC
	Subnets          []Subnet
	ENIs             []ENI
	SecurityGroups   []SecurityGroup
	NACLs            []NACL
	RouteTables      []RouteTable
	InternetGateways []InternetGateway
	NATGateways      []NATGateway
	Hosts            []Host
}

// Host is a compute host of the region: where ENIs live.
type Host struct {
	ID string
	// Underlay is the host's address on the network joining the hosts:
	// VXLAN packets between hosts are sent to it.
	Underlay netip.Addr
}

// VPC is one virtual network. VPCs of any accounts may have overlapping
// CIDRs; nothing of one VPC ever reaches another except through gateways.
type VPC struct {
	ID      string
	Account string
	// VNI is the VPC's 24-bit VXLAN network identifier, unique in the
	// region, fixed for the VPC's life.
	VNI uint32
	// CIDRs are the VPC's IPv4 blocks, the primary first.
	CIDRs []netip.Prefix
}

// Subnet is a range of a VPC's addresses in one AZ.
type Subnet struct {
	ID   string
	VPC  string
	AZ   string
	CIDR netip.Prefix
	// RouteTable is the table in effect: the subnet's explicit association,
	// or the VPC's main table.
	RouteTable string
	// NACL is the network ACL associated with the subnet (every subnet has
	// exactly one; a VPC's default NACL unless replaced).
	NACL string
}

// Router is the address of a subnet's VPC router: the subnet's base
// address plus one, as in AWS.
func (s Subnet) Router() netip.Addr { return s.CIDR.Masked().Addr().Next() }

// ENIKind says what an ENI belongs to.
type ENIKind string

const (
	ENIInstance ENIKind = "instance"   // an instance's interface (or one not attached yet)
	ENINAT      ENIKind = "natGateway" // a NAT gateway's interface
)

// ENI is an elastic network interface: an address in a subnet, placed on
// a host, filtered by its security groups.
type ENI struct {
	ID     string
	Kind   ENIKind
	VPC    string
	Subnet string
	// Host is where the interface is wired; empty for an ENI that is not
	// attached to a running instance (it has no data plane).
	Host string
	// MAC is the interface's MAC address (locally administered, unique in
	// the region).
	MAC string
	// PrivateIPs are the interface's private addresses, the primary first.
	PrivateIPs []netip.Addr
	// PublicIP is the public or Elastic IP mapped 1:1 to the primary
	// private address through the VPC's internet gateway; invalid if none.
	PublicIP netip.Addr
	// Groups are the security groups of the interface (1 to 5). A NAT
	// gateway's interface has none and filters nothing.
	Groups []string
	// SourceDestCheck drops packets the interface sends from, or is sent
	// to, an address that is not its own. Routes that target the ENI (NAT
	// instances, appliances) need it off.
	SourceDestCheck bool
}

// Primary is the ENI's primary private address.
func (e ENI) Primary() netip.Addr {
	if len(e.PrivateIPs) == 0 {
		return netip.Addr{}
	}
	return e.PrivateIPs[0]
}

// SecurityGroup is a stateful filter attached to ENIs. Inbound traffic is
// denied unless an Ingress rule allows it; outbound unless an Egress rule
// does. Replies to allowed traffic are always allowed.
type SecurityGroup struct {
	ID      string
	VPC     string
	Ingress []SGRule
	Egress  []SGRule
}

// SGRule allows traffic of one protocol and port range from (ingress) or to
// (egress) one peer: a CIDR, or the addresses of every ENI in a group.
type SGRule struct {
	// Protocol is an IANA number or All. With All the ports are ignored.
	Protocol int
	// FromPort and ToPort bound the port range for TCP and UDP. For ICMP,
	// FromPort is the type and ToPort the code, -1 meaning any. Match
	// (match.go) is the exact definition.
	FromPort, ToPort int
	// Exactly one of CIDR (IPv4 or IPv6) and Group is set.
	CIDR  netip.Prefix
	Group string
}

// NACL is a stateless subnet filter: entries are evaluated in ascending
// rule number, the first matching one decides, and a packet that matches
// none is denied.
type NACL struct {
	ID      string
	VPC     string
	Ingress []NACLEntry
	Egress  []NACLEntry
}

// NACLEntry is one numbered rule.
type NACLEntry struct {
	Number   int // 1..32766
	Protocol int // IANA number or All
	// FromPort..ToPort for TCP and UDP.
	FromPort, ToPort int
	// ICMPType and ICMPCode for ICMP, -1 meaning any (see Match).
	ICMPType, ICMPCode int
	CIDR               netip.Prefix
	Allow              bool
}

// TargetKind is what a route sends traffic to.
type TargetKind string

const (
	TargetLocal     TargetKind = "local"     // within the VPC
	TargetIGW       TargetKind = "igw"       // the VPC's internet gateway
	TargetNAT       TargetKind = "nat"       // a NAT gateway
	TargetENI       TargetKind = "eni"       // an ENI (an instance target is resolved to its primary ENI)
	TargetBlackhole TargetKind = "blackhole" // dropped: the target was deleted, or the route says so
)

// RouteTable is a VPC's route table; the longest matching prefix wins.
type RouteTable struct {
	ID     string
	VPC    string
	Main   bool
	Routes []Route
}

// Route sends Dest to a target. Target is the ID of the gateway or ENI
// (empty for local and blackhole).
type Route struct {
	Dest   netip.Prefix
	Kind   TargetKind
	Target string
}

// InternetGateway is attached to at most one VPC (VPC empty: detached).
type InternetGateway struct {
	ID  string
	VPC string
}

// NATGateway translates the private subnets' outbound traffic to its own
// address. It lives in a (public) subnet through its ENI, whose PublicIP
// is the gateway's Elastic IP.
type NATGateway struct {
	ID     string
	VPC    string
	Subnet string
	ENI    string
}
