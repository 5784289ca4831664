package netplan

import (
	"cmp"
	"encoding/binary"
	"net/netip"
	"slices"
)

// span is an inclusive integer range.
type span struct{ lo, hi uint32 }

// cell is a box over any number of dimensions.
type cell []span

// disjoint returns a set of pairwise disjoint cells whose union is the
// union of the given cells, in a canonical order: it cuts the first
// dimension at every cell boundary, solves the remaining dimensions for
// each piece, and merges neighbouring pieces whose solutions are equal.
// Cost is O(n^2) per dimension for n cells, fine for security groups.
func disjoint(cells []cell) []cell {
	if len(cells) == 0 {
		return nil
	}
	dims := len(cells[0])
	if dims == 1 {
		return mergeSpans(cells)
	}
	// Cut points of dimension 0 (as uint64 so hi+1 cannot overflow).
	var cuts []uint64
	for _, c := range cells {
		cuts = append(cuts, uint64(c[0].lo), uint64(c[0].hi)+1)
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)

	type piece struct {
		s    span
		rest []cell
	}
	var pieces []piece
	for i := 0; i+1 < len(cuts); i++ {
		s := span{uint32(cuts[i]), uint32(cuts[i+1] - 1)}
		var sub []cell
		for _, c := range cells {
			if c[0].lo <= s.lo && s.hi <= c[0].hi {
				sub = append(sub, c[1:])
			}
		}
		if len(sub) == 0 {
			continue
		}
		rest := disjoint(sub)
		if n := len(pieces); n > 0 && pieces[n-1].s.hi+1 == s.lo && equalCells(pieces[n-1].rest, rest) {
			pieces[n-1].s.hi = s.hi
			continue
		}
		pieces = append(pieces, piece{s, rest})
	}
	var out []cell
	for _, p := range pieces {
		for _, r := range p.rest {
			out = append(out, append(cell{p.s}, r...))
		}
	}
	return out
}

// mergeSpans unions one-dimensional cells into sorted disjoint spans.
func mergeSpans(cells []cell) []cell {
	spans := make([]span, len(cells))
	for i, c := range cells {
		spans[i] = c[0]
	}
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.lo, b.lo) })
	var out []cell
	for _, s := range spans {
		if n := len(out); n > 0 && uint64(s.lo) <= uint64(out[n-1][0].hi)+1 {
			out[n-1][0].hi = max(out[n-1][0].hi, s.hi)
			continue
		}
		out = append(out, cell{s})
	}
	return out
}

func equalCells(a, b []cell) bool {
	return slices.EqualFunc(a, b, func(x, y cell) bool { return slices.Equal(x, y) })
}

func addrNum(a netip.Addr) uint32 {
	b := a.As4()
	return binary.BigEndian.Uint32(b[:])
}

func numAddr(n uint32) netip.Addr {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], n)
	return netip.AddrFrom4(b)
}

// prefixSpan is the address range of an IPv4 prefix.
func prefixSpan(p netip.Prefix) span {
	p = p.Masked()
	lo := addrNum(p.Addr())
	size := uint64(1) << (32 - p.Bits())
	return span{lo, uint32(uint64(lo) + size - 1)}
}

// boxCells converts (addr, proto, x) cells to Boxes.
func boxCells(cells []cell) []Box {
	out := make([]Box, len(cells))
	for i, c := range cells {
		out[i] = Box{
			AddrLo: numAddr(c[0].lo), AddrHi: numAddr(c[0].hi),
			ProtoLo: uint8(c[1].lo), ProtoHi: uint8(c[1].hi),
			XLo: uint16(c[2].lo), XHi: uint16(c[2].hi),
		}
	}
	return out
}
