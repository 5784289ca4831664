package cidr

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// ReservedPerSubnet is how many addresses EC2 keeps in every subnet: the
// first four (network, VPC router, DNS, future use) and the last
// (broadcast).
const ReservedPerSubnet = 5

// CheckSubnet checks a new subnet p (CreateSubnet) against its VPC's
// blocks and the VPC's other subnets, in this order:
//
//  1. p is /16 to /28 (InvalidSubnet.Range).
//  2. p lies entirely inside one of the VPC's blocks (InvalidSubnet.Range);
//     a subnet spanning two adjacent blocks does not.
//  3. p overlaps no other subnet (InvalidSubnet.Conflict).
func CheckSubnet(vpcBlocks, others []netip.Prefix, p netip.Prefix) error {
	p, bad := canonical(p)
	if bad != nil {
		return bad
	}
	if !sizeOK(p) {
		return invalidSubnetRange(p)
	}
	inside := false
	for _, b := range vpcBlocks {
		if b.IsValid() && b.Addr().Is4() && b.Bits() <= p.Bits() && b.Masked().Contains(p.Addr()) {
			inside = true
			break
		}
	}
	if !inside {
		return invalidSubnetRange(p)
	}
	if overlapsAny(p, others) {
		return subnetConflict(p)
	}
	return nil
}

// span is an IPv4 prefix as integers: its first address and its size.
type span struct {
	base uint32
	size uint64 // 1 to 1<<32
}

func spanOf(p netip.Prefix) (span, bool) {
	if !p.IsValid() || !p.Addr().Is4() {
		return span{}, false
	}
	p = p.Masked()
	return span{base: u32(p.Addr()), size: uint64(1) << (32 - p.Bits())}, true
}

// usable returns the offsets [lo, hi] of the addresses EC2 lets a subnet
// hand out; ok is false when there are none (a /30 or longer).
func (s span) usable() (lo, hi uint64, ok bool) {
	if s.size <= ReservedPerSubnet {
		return 0, 0, false
	}
	return 4, s.size - 2, true
}

func (s span) addr(off uint64) netip.Addr { return addrOf(s.base + uint32(off)) }

func (s span) reservedOffset(off uint64) bool { return off < 4 || off == s.size-1 }

func u32(a netip.Addr) uint32 {
	b := a.As4()
	return binary.BigEndian.Uint32(b[:])
}

func addrOf(v uint32) netip.Addr {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], v)
	return netip.AddrFrom4(b)
}

// Reserved returns the addresses EC2 reserves in subnet, in order: the
// network address, +1 (VPC router), +2 (DNS), +3 (future use) and the
// last (broadcast). A prefix of four addresses or fewer is all reserved.
// It returns nil for a prefix that is not IPv4.
func Reserved(subnet netip.Prefix) []netip.Addr {
	s, ok := spanOf(subnet)
	if !ok {
		return nil
	}
	var out []netip.Addr
	for off := uint64(0); off < s.size && off < 4; off++ {
		out = append(out, s.addr(off))
	}
	if s.size > 4 {
		out = append(out, s.addr(s.size-1))
	}
	return out
}

// IsReserved reports whether a is one of subnet's reserved addresses.
func IsReserved(subnet netip.Prefix, a netip.Addr) bool {
	s, ok := spanOf(subnet)
	if !ok || !a.Is4() || !subnet.Masked().Contains(a) {
		return false
	}
	return s.reservedOffset(uint64(u32(a) - s.base))
}

// Usable is the number of addresses subnet can hand out: its size less
// the five reserved ones (251 for a /24, 11 for a /28), 0 for a prefix
// that is not IPv4 or has no room.
func Usable(subnet netip.Prefix) int {
	s, ok := spanOf(subnet)
	if !ok {
		return 0
	}
	lo, hi, ok := s.usable()
	if !ok {
		return 0
	}
	return int(hi - lo + 1)
}

// Available is the subnet's AvailableIpAddressCount when usedCount of its
// usable (non-reserved) addresses are taken; never negative.
func Available(subnet netip.Prefix, usedCount int) int {
	return max(Usable(subnet)-usedCount, 0)
}

// CheckPrivateIP checks an address a client asked for in subnet (the
// PrivateIpAddress of RunInstances or CreateNetworkInterface): it must lie
// in the subnet and not be reserved (InvalidParameterValue), and must not
// be in use (InvalidIPAddress.InUse). used reports whether an address is
// taken; nil means none is.
func CheckPrivateIP(subnet netip.Prefix, a netip.Addr, used func(netip.Addr) bool) error {
	if !a.Is4() || !subnet.IsValid() || !subnet.Masked().Contains(a) {
		return addressOutsideSubnet(a)
	}
	if IsReserved(subnet, a) {
		return addressReserved(a)
	}
	if used != nil && used(a) {
		return addressInUse(a)
	}
	return nil
}

// Next returns the lowest free usable address of subnet at or after hint,
// wrapping around to the subnet's first usable address; a hint outside
// the subnet (or the zero Addr) starts at the first usable address. It
// never returns a reserved address or one used reports taken (nil: none
// is). When every usable address is taken the error is
// InsufficientFreeAddressesInSubnet naming subnetID. A subnet that is not
// IPv4 is a caller bug, reported as a plain error.
//
// Next takes time linear in the subnet's size in the worst case (a /16
// holds 65,531 usable addresses); callers hint past their last allocation
// so addresses are not reused at once.
func Next(subnetID string, subnet netip.Prefix, hint netip.Addr, used func(netip.Addr) bool) (netip.Addr, error) {
	s, ok := spanOf(subnet)
	if !ok {
		return netip.Addr{}, fmt.Errorf("cidr: subnet %s is not an IPv4 prefix", subnet)
	}
	lo, hi, ok := s.usable()
	if !ok {
		return netip.Addr{}, insufficientAddresses(subnetID)
	}
	start := lo
	if hint.Is4() && subnet.Masked().Contains(hint) {
		if off := uint64(u32(hint) - s.base); off >= lo && off <= hi {
			start = off
		}
		// Below lo: lo is the next usable address; the broadcast address
		// wraps to lo.
	}
	n := hi - lo + 1
	for i := range n {
		a := s.addr(lo + (start-lo+i)%n)
		if used == nil || !used(a) {
			return a, nil
		}
	}
	return netip.Addr{}, insufficientAddresses(subnetID)
}
