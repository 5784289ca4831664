// Package netplan is the pure planner of the VPC data plane: Plan turns
// the region's network model (internal/vpc/netmodel) into the desired
// state of one host (HostState), which the host agent's adapter
// (internal/hostagent/netplane) makes real. The packet semantics it
// implements are docs/design/vpc-semantics.md; testdata/*.txt show plans.
//
// What it owns: every decision about the data plane. Which VPC routers
// exist on a host, their ports, the overlay (routes, permanent neighbours
// and FDB entries towards remote ENIs), routing tables and policy rules,
// security groups compiled to disjoint boxes, NACL rule lists, uplinks to
// the internet segment with their 1:1 NAT, NAT gateways, and every name
// (namespaces, links, nftables objects, table numbers, MACs), each derived
// from IDs so that re-planning gives identical output.
//
// The design is routed, like Calico, with one namespace per VPC and host:
//
//	guest ns --veth-- router ns (per VPC) --vxlan (the VPC's VNI)-- other hosts
//	                      |
//	                    uplink (veth, routed) -- internet ns (bridge, internet hosts)
//
// Every packet of an ENI, same subnet included, is routed by its VPC's
// router: the guest reaches its subnet router (.1, on the router's lo) and
// its subnet neighbours by proxy ARP; the router has a /32 per ENI address
// in its main table (out of the port, or onto the VXLAN device with a
// permanent neighbour and FDB entry), and permanent neighbours for its
// local guests. A mark set from the input port selects the subnet's route
// table, whose VPC CIDRs are throw routes (the lookup falls through to
// main); a marked packet nothing routes is dropped silently. VPC isolation
// with overlapping CIDRs comes from separate namespaces and VNIs.
//
// Where it deviates from the first sketch, and why:
//
//   - NACLs are evaluated once, in the router where a packet enters the VPC
//     (from a port or the uplink): the source subnet comes from the input
//     port, the destination subnet from the route's next hop. Splitting
//     them between hosts would need the source subnet of packets arriving
//     over VXLAN, which their address does not tell for appliances and NAT
//     gateways; the next hop tells the target's subnet for every route.
//   - An ENI with source/dest check off (appliance, NAT gateway) is reached
//     over VXLAN at its own MAC, not the remote router's: the remote router
//     takes such frames in (netdev ingress: mark, pkttype host) and routes
//     everything marked to the ENI, whatever the destination address. This
//     is what lets a route target an ENI on another host.
//   - The destination side of source/dest check is a set of (next hop,
//     destination) pairs checked in the sending router, for local and
//     remote targets alike.
//   - ENIs with the same security groups share one compiled group set; the
//     kernel's concatenated interval sets reject overlapping elements, so
//     rules are cut into disjoint boxes (by address first or by protocol
//     and port first, whichever gives fewer).
//   - A NAT gateway's ENI never has source/dest check (the model leaves it
//     to the data), since forwarding is what a NAT gateway does.
//   - Uplinks are routed, not bridged: link-local next hops with permanent
//     neighbours at both ends, so routers of every host and VPC share one
//     internet namespace without addresses or ARP between them.
//
// Not planned: IPv6 (IPv6 CIDRs, rules and routes are ignored; routers
// drop IPv6), flow logs, DHCP for VM guests (netplane configures the
// guest interface directly; a KVM tap would need its own attachment).
//
// What it must never do: I/O of any kind, read the clock, use randomness,
// or start goroutines. It does not know Linux beyond names and numbers:
// the adapter decides how a HostState becomes netlink and nftables.
package netplan
