package netplane

import (
	"encoding/binary"
	"net/netip"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// Expression building blocks. Single values use register 1; concatenated
// keys use the 32-bit registers from 8 up (NFT_REG32_00), each field
// padded to a multiple of 4 bytes, which is also how set keys are laid
// out.
const (
	reg     = 1
	regCat  = 8 // NFT_REG32_00
	ifnamsz = 16
)

var (
	tIfname    = nftables.TypeIFName
	tAddr      = nftables.TypeIPAddr
	tIfAddr    = nftables.MustConcatSetType(nftables.TypeIFName, nftables.TypeIPAddr)
	tAddrAddr  = nftables.MustConcatSetType(nftables.TypeIPAddr, nftables.TypeIPAddr)
	tAddrProto = nftables.MustConcatSetType(nftables.TypeIPAddr, nftables.TypeInetProto)
	tAddrPort  = nftables.MustConcatSetType(nftables.TypeIPAddr, nftables.TypeInetProto, nftables.TypeInetService)
)

func ifname(s string) []byte {
	b := make([]byte, ifnamsz)
	copy(b, s)
	return b
}

func addr4(a netip.Addr) []byte { b := a.As4(); return b[:] }

// pad4 pads a field to a 4-byte register boundary.
func pad4(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func cat(fields ...[]byte) []byte {
	var out []byte
	for _, f := range fields {
		out = append(out, pad4(append([]byte(nil), f...))...)
	}
	return out
}

func be16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }

func mark(v uint32) []byte { return binaryutil.NativeEndian.PutUint32(v) }

func metaLoad(key expr.MetaKey, r uint32) *expr.Meta { return &expr.Meta{Key: key, Register: r} }

func cmpEq(r uint32, data []byte) *expr.Cmp {
	return &expr.Cmp{Op: expr.CmpOpEq, Register: r, Data: data}
}

func cmpNeq(r uint32, data []byte) *expr.Cmp {
	return &expr.Cmp{Op: expr.CmpOpNeq, Register: r, Data: data}
}

// ip saddr / daddr into r.
func ipSaddr(r uint32) *expr.Payload {
	return &expr.Payload{DestRegister: r, Base: expr.PayloadBaseNetworkHeader, Offset: 12, Len: 4}
}

func ipDaddr(r uint32) *expr.Payload {
	return &expr.Payload{DestRegister: r, Base: expr.PayloadBaseNetworkHeader, Offset: 16, Len: 4}
}

// thDport loads the transport header's destination port (TCP, UDP).
func thDport(r uint32) *expr.Payload {
	return &expr.Payload{DestRegister: r, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2}
}

// icmpTypeCode loads ICMP type and code as one 16-bit value.
func icmpTypeCode(r uint32) *expr.Payload {
	return &expr.Payload{DestRegister: r, Base: expr.PayloadBaseTransportHeader, Offset: 0, Len: 2}
}

func nexthop(r uint32) *expr.Rt { return &expr.Rt{Register: r, Key: expr.RtNexthop4} }

func lookup(set string, src uint32, invert bool) *expr.Lookup {
	return &expr.Lookup{SourceRegister: src, SetName: set, Invert: invert}
}

// mapTo looks src up in map set and puts the value into dst (0: verdict).
func mapTo(set string, src, dst uint32) *expr.Lookup {
	return &expr.Lookup{SourceRegister: src, DestRegister: dst, IsDestRegSet: true, SetName: set}
}

func verdict(k expr.VerdictKind) *expr.Verdict { return &expr.Verdict{Kind: k} }

func jump(chain string) *expr.Verdict { return &expr.Verdict{Kind: expr.VerdictJump, Chain: chain} }

func isIPv4() []expr.Any {
	return []expr.Any{metaLoad(expr.MetaKeyNFPROTO, reg), cmpEq(reg, []byte{unix.NFPROTO_IPV4})}
}

// ctState matches packets whose conntrack state has any of bits.
func ctState(bits uint32) []expr.Any {
	return []expr.Any{
		&expr.Ct{Register: reg, Key: expr.CtKeySTATE},
		&expr.Bitwise{SourceRegister: reg, DestRegister: reg, Len: 4,
			Mask: binaryutil.NativeEndian.PutUint32(bits), Xor: []byte{0, 0, 0, 0}},
		cmpNeq(reg, []byte{0, 0, 0, 0}),
	}
}

// inPrefix matches the address in r against a prefix (nothing for /0).
func inPrefix(load expr.Any, pf netip.Prefix) []expr.Any {
	if pf.Bits() == 0 {
		return nil
	}
	mask := make([]byte, 4)
	binary.BigEndian.PutUint32(mask, ^uint32(0)<<(32-pf.Bits()))
	return []expr.Any{
		load,
		&expr.Bitwise{SourceRegister: reg, DestRegister: reg, Len: 4, Mask: mask, Xor: []byte{0, 0, 0, 0}},
		cmpEq(reg, addr4(pf.Masked().Addr())),
	}
}

// portRange matches the 16-bit value in r against [lo, hi].
func portRange(lo, hi uint16) []expr.Any {
	if lo == hi {
		return []expr.Any{cmpEq(reg, be16(lo))}
	}
	return []expr.Any{&expr.Range{Op: expr.CmpOpEq, Register: reg, FromData: be16(lo), ToData: be16(hi)}}
}

func rule(text string, exprs ...[]expr.Any) ruleSpec {
	var all []expr.Any
	for _, e := range exprs {
		all = append(all, e...)
	}
	return ruleSpec{text: text, exprs: all}
}

func ex(e ...expr.Any) []expr.Any { return e }
