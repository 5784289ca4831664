package netplan

import (
	"net/netip"

	"github.com/nimbuscloud/nimbus/internal/vpc/netmodel"
)

// HostState is the desired data plane of one host: every namespace, link,
// address, route, rule, neighbour, FDB entry and nftables object that
// nimbus owns there. Slices are sorted; planning the same model twice
// gives equal HostStates.
type HostState struct {
	Host string
	// Owner (OwnerMark) is written as the alias of the loopback device of every
	// namespace (and on every link in shared namespaces) nimbus creates for
	// this host; nothing without it is ever changed or deleted.
	Owner string
	// HostNetns is the host's namespace: where the VXLAN sockets live and
	// the underlay is reachable. It is never the root namespace and nimbus
	// never creates or deletes it.
	HostNetns string
	Underlay  netip.Addr
	// MTU of ENIs, the overlay and uplinks.
	MTU     int
	Routers []Router
	Guests  []Guest
	// Internet is this host's part of the region's internet segment; nil
	// when no router on the host has an uplink.
	Internet *Internet
}

// Router is a VPC's router namespace on the host. Every packet of the
// VPC that leaves or reaches an ENI on this host crosses it.
type Router struct {
	VPC   string
	Netns string
	VXLAN VXLAN
	// Loopback holds the routers' addresses (subnet base + 1, /32) of the
	// subnets with ENIs on this host, so the router answers ARP for them.
	Loopback []netip.Prefix
	// Ports are the router ends of the local ENIs' veth pairs.
	Ports  []Port
	Uplink *Uplink
	Routes []Route
	Rules  []Rule
	// Neighbors are permanent entries: local ENIs' addresses on their
	// ports, remote ENIs' addresses on the VXLAN device, the uplink's peer.
	Neighbors []Neighbor
	FDB       []FDBEntry
	Filter    Filter
}

// VXLAN is the VPC's overlay device. It is created in the host namespace
// (so its UDP socket is bound there) and then moved into the router.
type VXLAN struct {
	Name  string
	VNI   uint32
	MAC   string
	Local netip.Addr
	Port  int
}

// Port is the router end of a local ENI's veth pair.
type Port struct {
	ENI    string
	Subnet string
	Name   string
	MAC    string
}

// Uplink joins a router to the internet segment: a veth pair, routed (not
// bridged) at both ends through static neighbours on link-local next hops.
type Uplink struct {
	Name      string
	MAC       string
	Addr      netip.Addr // the router end's next-hop address (never assigned)
	PeerNetns string
	PeerName  string
	PeerMAC   string
	PeerAddr  netip.Addr // the internet end's next-hop address
}

// RouteType is the kernel route type.
type RouteType string

const (
	RouteUnicast   RouteType = "unicast"
	RouteThrow     RouteType = "throw"     // ends the table's lookup: the next rule (main) decides
	RouteBlackhole RouteType = "blackhole" // silently dropped
)

// MainTable is the kernel's main routing table.
const MainTable = 254

// Route is one kernel route. Via is set for routes through a next hop
// (always on-link: the neighbour entry is permanent).
type Route struct {
	Table int
	Dst   netip.Prefix
	Type  RouteType
	Dev   string
	Via   netip.Addr
}

// Rule is a policy routing rule: packets whose mark, under Mask, is Mark
// look up Table, or are dropped (Blackhole).
type Rule struct {
	Priority  int
	Mark      uint32
	Mask      uint32
	Table     int
	Blackhole bool
}

// Neighbor is a permanent ARP entry.
type Neighbor struct {
	Dev string
	IP  netip.Addr
	MAC string
}

// FDBEntry sends frames for MAC to the VXLAN endpoint Dst.
type FDBEntry struct {
	Dev string
	MAC string
	Dst netip.Addr
}

// Guest is the ENI's end of its veth pair, in the instance's namespace
// (or in one nimbus creates for it: Owned).
type Guest struct {
	ENI   string
	Kind  netmodel.ENIKind
	Netns string
	Owned bool
	// IfName is the interface name inside Netns.
	IfName string
	MAC    string
	MTU    int
	// Router and PeerName locate the other end of the pair.
	Router   string
	PeerName string
	// Addrs are the ENI's private addresses with the subnet's prefix
	// length, the primary first.
	Addrs []netip.Prefix
	// Gateway is the subnet's router, the default route; invalid for a
	// caller-given attachment that asked for no default route.
	Gateway netip.Addr
	// NAT is set for a NAT gateway's ENI: the namespace forwards and
	// masquerades traffic from the VPC to NAT.Addr.
	NAT *GuestNAT
}

// GuestNAT is a NAT gateway's translation.
type GuestNAT struct {
	Addr netip.Addr
}

// Internet is the host's share of the internet segment: a namespace with
// a bridge for internet hosts, and routes from each public address of
// this host's ENIs to the uplink of the router that holds it.
type Internet struct {
	Netns     string
	Bridge    string
	Gateway   netip.Prefix
	Routes    []Route
	Neighbors []Neighbor
}
