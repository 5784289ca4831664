// Package reach is the reachability evaluator behind EC2's Network Insights
// (CreateNetworkInsightsPath, StartNetworkInsightsAnalysis,
// DescribeNetworkInsightsAnalyses): given a network model and a flow, it
// says whether the flow gets through, which components the packets cross,
// and, when it does not, which component blocks it, named with AWS's
// Reachability Analyzer explanation codes.
//
// It implements docs/design/vpc-semantics.md, the same contract the data
// plane (internal/vpc/netplan, internal/hostagent/netplane) implements, so a
// differential test can require that real packets and Evaluate agree.
//
// # What it owns
//
//   - The query: a source (an ENI, or an internet host), a destination (an
//     ENI, a private IP of the source's VPC, a public IP, or an internet
//     address), a protocol (TCP, UDP or ICMP echo) and ports (Query).
//   - The packet walk: each packet is followed hop by hop (source/dest check,
//     security groups, route table, network ACLs, internet gateway, NAT
//     gateway, appliance ENIs), then, for TCP and ICMP, the reply is
//     followed back the same way. Security groups are stateful (the reply of
//     an allowed flow passes them); network ACLs are stateless (the reply is
//     checked like any packet, ports reversed).
//   - The answer (Result): Reachable, the hops in order (forward, then
//     return) and the Explanations of what blocks.
//
// A filter that drops a packet (a security group, a network ACL, a
// source/dest check) is recorded as an Explanation and the walk carries on
// as if it had let the packet through, so one analysis reports every filter that
// needs changing, in path order: forward path first, then the reply path.
// A routing dead end (no route, blackhole, a detached gateway, no public
// IP) ends the walk.
//
// # Where the semantics doc is silent
//
// These choices follow AWS and must be shared by the data plane:
//
//   - On equal prefixes the local route wins, then the table's order.
//   - An igw route works only if its gateway is attached to the subnet's
//     VPC (BAD_STATE_ATTACHMENT otherwise); another attached gateway does
//     not stand in for it.
//   - The internet gateway maps a packet by its source address, which must
//     be the primary private IP of an interface with a public IP. It sends
//     no RFC 1918 or RFC 6598 destination out and lets no such source in.
//   - A NAT gateway keeps the source port (as Linux masquerading does when
//     the port is free). A reply routed into a NAT gateway is dropped: the
//     gateway would send it from its own address (NGW_SOURCE_ADDRESS_REASSIGN).
//   - An appliance (a route's eni target, check off) forwards the packet
//     unchanged from its own subnet; security-group state is per interface,
//     so a reply crossing an interface the request did not is a new flow.
//   - Interfaces not placed on a host (ENI.Host empty) are evaluated like
//     the others.
//
// # What it must never do
//
// It is a pure core: no I/O, no clock, no randomness, no goroutines, no
// logging, no package state. It never changes the Model it is given. It
// builds one netmodel.Index per Evaluate call and drops it afterwards.
package reach
