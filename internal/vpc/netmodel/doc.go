// Package netmodel is the network model of a region as plain data: VPCs,
// subnets, ENIs, security groups, network ACLs, route tables and gateways,
// with every reference resolved to IDs and every address parsed. The VPC
// service builds a Model from the store; the planner (internal/vpc/netplan)
// turns it into each host's desired data-plane state and the reachability
// evaluator (internal/vpc/reach) answers questions about it.
//
// The package holds types and small pure helpers only: no I/O, no clock,
// no randomness. It never imports the store, the API or anything that needs
// root.
package netmodel
