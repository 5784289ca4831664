// Package cidr is IPv4 address math and EC2's CIDR rules for the VPC
// service: parsing the CidrBlock a client sends, the sizes and ranges a
// VPC's blocks and subnets may have, which secondary blocks a VPC may
// take, the addresses every subnet reserves, and handing out private
// addresses.
//
// It owns the rules and EC2's error codes and messages for them: every
// client error is an *Error carrying the code and message EC2 answers
// with, which internal/vpc passes through. It is pure: no I/O, no clock,
// no randomness, no goroutines, no state. Callers pass what they have
// stored (a VPC's blocks, a subnet's prefix, a predicate for used
// addresses) and get an answer; they never get a partial change.
//
// It never stores anything, never knows about accounts, tenancy or the
// data plane, and never decides what an address is used for: that is
// internal/vpc. It never handles IPv6.
//
// # API
//
//	ParseBlock(s string) (netip.Prefix, error)          client CidrBlock -> canonical IPv4 prefix
//	Overlaps(a, b netip.Prefix) bool
//	CheckVPCBlock(p netip.Prefix) error                  CreateVpc
//	CheckSecondaryBlock(vpc VPC, p netip.Prefix) error   AssociateVpcCidrBlock
//	CheckSubnet(vpcBlocks, others []netip.Prefix, p netip.Prefix) error   CreateSubnet
//	Reserved(subnet) []netip.Addr, IsReserved(subnet, a) bool
//	Usable(subnet) int, Available(subnet, usedCount int) int            AvailableIpAddressCount
//	CheckPrivateIP(subnet, a, used func(netip.Addr) bool) error         a requested PrivateIpAddress
//	Next(subnetID, subnet, hint, used) (netip.Addr, error)              the next private address
//
// CheckSecondaryBlock takes a VPC (ID, blocks with the primary first,
// quota) and Next takes the subnet's ID because EC2's messages for
// CidrLimitExceeded and InsufficientFreeAddressesInSubnet name the
// resource, and the caller should not have to rewrite them. Check
// functions mask host bits of the prefixes they are given.
//
// # What EC2 does, and where that was checked
//
// From the Amazon VPC user guide, pages "VPC CIDR blocks" (current text,
// in a mirror of docs.aws.amazon.com) and its predecessor "VPCs and
// subnets" (awsdocs/amazon-vpc-user-guide, doc_source/VPC_Subnets.md and
// configure-your-vpc.md), and "Amazon VPC quotas" (amazon-vpc-limits.md):
//
//   - VPC blocks and subnets are /16 to /28. A subnet lies inside the
//     VPC's blocks; subnets of a VPC do not overlap.
//   - "If you create a VPC or subnet using a command line tool or the
//     Amazon EC2 API, the CIDR block is automatically modified to its
//     canonical form. For example, if you specify 100.68.0.18/18 for the
//     CIDR block, we create a CIDR block of 100.68.0.0/18." So ParseBlock
//     clears host bits rather than rejecting them (terraform-provider-aws
//     rejects such values itself for that reason: EC2 would not).
//   - No VPC block may be in 0.0.0.0/8, 127.0.0.0/8, 169.254.0.0/16 or
//     224.0.0.0/4.
//   - A secondary block is /16 to /28, does not overlap the VPC's blocks,
//     counts toward the quota "IPv4 CIDR blocks per VPC" (default 5, the
//     primary included, adjustable to 50), and obeys the table "IPv4 CIDR
//     block association restrictions", encoded row by row in
//     restrictions (block.go).
//   - The first four addresses and the last of every subnet are reserved:
//     network, VPC router, DNS (base+2), future use, broadcast.
//
// Messages seen in real EC2 responses (error output with request IDs in
// public issues, blog posts and tests against AWS):
//
//   - InvalidParameterValue "Value (x) for parameter cidrBlock is invalid.
//     This is not a valid CIDR block." (CreateVpc, CreateSubnet).
//   - InvalidVpc.Range "The CIDR '10.0.0.0/8' is invalid." (CreateVpc).
//   - InvalidVpc.Range "The CIDR '10.0.0.0/16' is restricted. Use a CIDR
//     from the same private address range as the current VPC CIDR, or use
//     a publicly-routable CIDR. For additional restrictions, see
//     https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html"
//     (AssociateVpcCidrBlock).
//   - InvalidSubnet.Conflict "The CIDR '10.4.3.0/24' conflicts with another
//     subnet"; InvalidSubnet.Range "The CIDR '...' is invalid."
//   - InvalidParameterValue "Address 172.31.0.16 does not fall within the
//     subnet's address range" and "Address 192.168.0.2 is in subnet's
//     reserved address range"; InvalidIPAddress.InUse "Address
//     172.31.22.128 is in use." (RunInstances).
//   - InsufficientFreeAddressesInSubnet "There are not enough free
//     addresses in subnet 'subnet-…' to satisfy the requested number of
//     instances." (RunInstances).
//   - CidrLimitExceeded "This network 'vpc-…' has met its maximum number
//     of allowed CIDRs: 5" (moto's copy of EC2's text; an AWS CDK comment
//     quotes the same sentence).
//
// # Choices where EC2's behaviour was not found
//
//   - The restriction table's row is chosen by the primary block. The
//     guide's column was "IP address range in which your primary VPC CIDR
//     block resides"; the current page says "Existing IPv4 address range"
//     without saying which block. The 10.0.0.0/15 condition ("if any of
//     the CIDR blocks associated with the VPC are from the 10.0.0.0/15
//     range, you cannot add a CIDR block from the 10.0.0.0/16 range")
//     looks at every block. 198.19.0.0/16 blocks added to a VPC whose
//     primary is in 198.19.0.0/16 are permitted: the row restricts only
//     RFC 1918. 198.18.0.0/16 and 240.0.0.0/4 are treated as publicly
//     routable, which is what the table's wording gives.
//   - The code and text for a secondary block that overlaps the VPC's
//     blocks (InvalidVpc.Range "... conflicts with a CIDR block already
//     associated with the VPC."), and for VPC blocks in the never-allowed
//     ranges (InvalidVpc.Range "is invalid.").
//   - The order EC2 checks things in when several fail (documented on
//     each function).
//   - CreateNetworkInterface's wording of InsufficientFreeAddressesInSubnet
//     (the RunInstances text is used).
//   - Which inputs besides netip's refusals EC2's parser rejects (netip
//     refuses leading zeros, "/016", spaces and zones).
package cidr
