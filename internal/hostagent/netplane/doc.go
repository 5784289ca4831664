// Package netplane is the Linux adapter of the VPC data plane: Apply makes
// one host match the state the planner (internal/vpc/netplan) computed,
// idempotently, and Teardown removes everything it created for the host.
// All the decisions are the planner's; this package only turns a
// HostState into netlink (vishvananda/netlink) and nftables
// (google/nftables) messages and diffs them against the kernel.
//
// What it owns, per host (a network namespace, never the root one):
//
//   - the namespaces named "<prefix>-<host tag>-<id>" that it created,
//     recognised by the alias of their loopback device ("nimbus:<prefix>:
//     <host>"): one router per VPC with ENIs on the host, and one for each
//     ENI without a caller-given namespace (tests, NAT gateways). In those
//     it owns every link, address, route, rule, neighbour, FDB entry,
//     sysctl and nftables table;
//   - in namespaces it does not own: the ENI's interface in a caller's
//     instance namespace (with its addresses and the routes through it),
//     its uplinks in the shared internet namespace (alias = the host's
//     mark) with the routes and neighbours through them, and, for a
//     moment, a VXLAN device in the host namespace (created there so its
//     UDP socket lives in the underlay, then moved into its router);
//   - the internet namespace itself (mark "nimbus:<prefix>:internet"),
//     shared by the hosts of a region and removed by TeardownInternet.
//
// How Apply works: for each kind of object it lists what the kernel has
// and queues only the difference (create, fix, delete); nftables changes
// of a table go in one atomic transaction, rule chains are compared by
// the comment each rule carries (its nft text), sets element by element,
// and a structural difference rebuilds the table in one transaction.
// Changes lists what the last call changed: empty when nothing drifted.
// Threads never leave a namespace they entered unless they can return
// (see inNS).
//
// Chain layout of a router (see routerTable): prerouting marks packets
// from a port with their subnet's route table; forward drops by default
// and runs the internet gateway's refusal of private addresses on the
// uplink, source/dest check, the NACLs (stateless, in the router where
// the packet enters the VPC: the source subnet from the input port, the
// destination's from the route's next hop, `rt ip nexthop`), conntrack
// (established and related packets pass; new and invalid ones, such as
// one direction of a connection through an appliance, go on, except
// invalid ones to the uplink, which have no translation), then
// security groups through verdict maps keyed by port, each group set
// being two concatenated interval sets (pipapo) so that a packet costs
// the same few lookups whatever the number of rules or ENIs.
//
// What it must never do: touch the root namespace (openNS refuses it,
// whatever name or path it is given), or anything that does
// not carry its mark (a namespace or link in the way is an error, never
// deleted); make decisions the planner should make; log and continue
// where the caller should know. Everything here needs root: tests skip
// without it.
package netplane
