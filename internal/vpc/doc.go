// Package vpc is the VPC control plane of a region, the EC2 API's network
// half: VPCs (with the default VPC AWS creates per account), subnets and
// their address management, security groups and their rules, network
// ACLs, route tables, internet and NAT gateways, Elastic IPs, network
// interfaces and tags. Every action is authorized as ec2:<Action> on the
// resource's ARN before it acts, is scoped to the caller's account, and
// persists in the store; bad input is an *Error carrying EC2's code, and
// changes nothing.
//
// Resources are stored as JSON documents in one table keyed by ID
// (vpc_objects), with the columns every lookup needs (account, kind,
// VPC) beside them; rows that must be unique under concurrency (private
// addresses, VNIs) have their own tables with primary keys that enforce
// it. Model builds the pure netmodel.Model the planner and the
// reachability evaluator consume.
//
// The package never imports net/http, the API packages, or anything that
// touches the host's network: the data plane applies what Model says.
package vpc
