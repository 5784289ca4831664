package cidr

import "net/netip"

// Block sizes EC2 allows for VPC blocks and subnets, as prefix lengths:
// /16 (65,536 addresses) to /28 (16 addresses).
const (
	MinBits = 16
	MaxBits = 28
)

// DefaultBlocksPerVPC is EC2's default quota of IPv4 CIDR blocks per VPC,
// the primary included (adjustable in AWS up to 50).
const DefaultBlocksPerVPC = 5

// ParseBlock parses an IPv4 CIDR block as a client sent it (CreateVpc,
// AssociateVpcCidrBlock, CreateSubnet). Like EC2 it returns the canonical
// form: host bits are cleared, so "100.68.0.18/18" is 100.68.0.0/18.
// Anything that is not dotted-quad IPv4 with a decimal prefix length
// (garbage, IPv6, IPv4-mapped IPv6, zones, leading zeros, spaces) is
// InvalidParameterValue. The size is not checked here.
func ParseBlock(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil || !p.Addr().Is4() {
		return netip.Prefix{}, invalidBlock(s)
	}
	return p.Masked(), nil
}

// Overlaps reports whether a and b share an address. Prefixes of different
// families, or invalid ones, never overlap.
func Overlaps(a, b netip.Prefix) bool {
	return a.IsValid() && b.IsValid() && a.Masked().Overlaps(b.Masked())
}

// neverVPC are the ranges no VPC block may lie in ("You can't specify the
// following CIDR blocks for your VPCs", VPC user guide, VPC CIDR blocks).
var neverVPC = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("127.0.0.0/8"),    // loopback
	netip.MustParsePrefix("169.254.0.0/16"), // link-local
	netip.MustParsePrefix("224.0.0.0/4"),    // multicast
}

// canonical checks that p is an IPv4 prefix and returns its canonical form.
func canonical(p netip.Prefix) (netip.Prefix, *Error) {
	if !p.IsValid() || !p.Addr().Is4() {
		return netip.Prefix{}, invalidBlock(p.String())
	}
	return p.Masked(), nil
}

func sizeOK(p netip.Prefix) bool { return p.Bits() >= MinBits && p.Bits() <= MaxBits }

// CheckVPCBlock checks the primary block of a new VPC (CreateVpc): /16 to
// /28, outside the ranges no VPC may use. Any failure is InvalidVpc.Range
// ("The CIDR '10.0.0.0/8' is invalid.").
func CheckVPCBlock(p netip.Prefix) error {
	p, bad := canonical(p)
	if bad != nil {
		return bad
	}
	if !sizeOK(p) || overlapsAny(p, neverVPC) {
		return invalidVPCRange(p)
	}
	return nil
}

// VPC is what the association rules need to know of a VPC.
type VPC struct {
	// ID names the VPC in the CidrLimitExceeded message.
	ID string
	// Blocks are the IPv4 blocks associated with the VPC, the primary
	// first. Blocks being disassociated still count.
	Blocks []netip.Prefix
	// Quota is the number of IPv4 blocks the VPC may have, the primary
	// included; 0 means DefaultBlocksPerVPC.
	Quota int
}

// CheckSecondaryBlock checks associating p with vpc
// (AssociateVpcCidrBlock), in this order:
//
//  1. p is /16 to /28 and outside the ranges no VPC may use
//     (InvalidVpc.Range, "is invalid").
//  2. The VPC has fewer blocks than its quota (CidrLimitExceeded).
//  3. p overlaps none of the VPC's blocks (InvalidVpc.Range).
//  4. The restriction table allows p for the range the primary block lies
//     in (InvalidVpc.Range, "is restricted"); see restrictions below.
func CheckSecondaryBlock(vpc VPC, p netip.Prefix) error {
	p, bad := canonical(p)
	if bad != nil {
		return bad
	}
	if !sizeOK(p) || overlapsAny(p, neverVPC) {
		return invalidVPCRange(p)
	}
	quota := vpc.Quota
	if quota <= 0 {
		quota = DefaultBlocksPerVPC
	}
	if len(vpc.Blocks) >= quota {
		return cidrLimitExceeded(vpc.ID, quota)
	}
	if overlapsAny(p, vpc.Blocks) {
		return vpcBlockConflict(p)
	}
	if len(vpc.Blocks) > 0 && restricted(vpc.Blocks, p) {
		return restrictedVPCRange(p)
	}
	return nil
}

// The ranges the restriction table names.
var (
	rfc1918Ten   = netip.MustParsePrefix("10.0.0.0/8")
	rfc1918One72 = netip.MustParsePrefix("172.16.0.0/12")
	rfc1918One92 = netip.MustParsePrefix("192.168.0.0/16")
	bench19      = netip.MustParsePrefix("198.19.0.0/16")
)

// A restriction is one entry of the table's "Restricted associations"
// column: a new block in Range is refused, if OnlyIf is set only while
// some block of the VPC lies in OnlyIf.
type restriction struct {
	Range  netip.Prefix
	OnlyIf netip.Prefix
}

// A restrictionRow is one row of the table: the range a VPC's block lies
// in, and what may then not be associated. Everything a row does not
// restrict is permitted (the "Permitted associations" column is the
// complement: the rest of the same RFC 1918 range, publicly routable
// blocks and 100.64.0.0/10).
type restrictionRow struct {
	Name       string
	Range      netip.Prefix // zero: the last row, everything else
	Restricted []restriction
}

// restrictions is the table "IPv4 CIDR block association restrictions" of
// the VPC user guide (page "VPC CIDR blocks"), row by row. Its 169.254.0.0/16
// row ("cannot be assigned to VPCs") is neverVPC.
var restrictions = []restrictionRow{
	{Name: "10.0.0.0/8", Range: rfc1918Ten, Restricted: []restriction{
		{Range: rfc1918One72},
		{Range: rfc1918One92},
		// "If any of the CIDR blocks associated with the VPC are from the
		// 10.0.0.0/15 range (10.0.0.0 to 10.1.255.255), you cannot add a
		// CIDR block from the 10.0.0.0/16 range."
		{Range: netip.MustParsePrefix("10.0.0.0/16"), OnlyIf: netip.MustParsePrefix("10.0.0.0/15")},
		{Range: bench19},
	}},
	{Name: "172.16.0.0/12", Range: rfc1918One72, Restricted: []restriction{
		{Range: rfc1918Ten},
		{Range: rfc1918One92},
		{Range: netip.MustParsePrefix("172.31.0.0/16")},
		{Range: bench19},
	}},
	{Name: "192.168.0.0/16", Range: rfc1918One92, Restricted: []restriction{
		{Range: rfc1918Ten},
		{Range: rfc1918One72},
		{Range: bench19},
	}},
	{Name: "198.19.0.0/16", Range: bench19, Restricted: []restriction{
		{Range: rfc1918Ten},
		{Range: rfc1918One72},
		{Range: rfc1918One92},
	}},
	{Name: "publicly routable or 100.64.0.0/10", Restricted: []restriction{
		{Range: rfc1918Ten},
		{Range: rfc1918One72},
		{Range: rfc1918One92},
		{Range: bench19},
	}},
}

// rowFor returns the table row for the range p lies in.
func rowFor(p netip.Prefix) restrictionRow {
	for _, row := range restrictions {
		if row.Range.IsValid() && Overlaps(row.Range, p) {
			return row
		}
	}
	return restrictions[len(restrictions)-1]
}

// restricted reports whether the table forbids adding p to a VPC whose
// blocks are blocks (the primary first). The row is chosen by the primary
// block: the guide's table was titled "IP address range in which your
// primary VPC CIDR block resides" until it became "Existing IPv4 address
// range", and EC2's message speaks of "the current VPC CIDR". The
// 10.0.0.0/15 condition looks at every block, as its sentence says.
func restricted(blocks []netip.Prefix, p netip.Prefix) bool {
	for _, r := range rowFor(blocks[0]).Restricted {
		if !Overlaps(r.Range, p) {
			continue
		}
		if !r.OnlyIf.IsValid() || overlapsAny(r.OnlyIf, blocks) {
			return true
		}
	}
	return false
}

func overlapsAny(p netip.Prefix, set []netip.Prefix) bool {
	for _, q := range set {
		if Overlaps(p, q) {
			return true
		}
	}
	return false
}
