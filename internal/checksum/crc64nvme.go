package checksum

import (
	"encoding/binary"
	"hash"
)

// CRC-64/NVME: polynomial 0xad93d23594c93659, reflected, init and xorout all
// ones. crc64nvmeReversed is the bit-reversed polynomial, which is what a
// reflected table-driven implementation (and Go's hash/crc64.MakeTable) uses.
const (
	crc64nvmeReversed = 0x9a6c9329ac4bc9b5
	crc64Size         = 8
)

// crc64nvmeTables holds slicing-by-8 tables, built once at package
// initialisation and never written afterwards. hash/crc64 would rebuild such
// tables on every large Write for a polynomial other than ISO/ECMA, so this
// package keeps its own.
var crc64nvmeTables = makeCRC64Tables(crc64nvmeReversed)

func makeCRC64Tables(poly uint64) *[8][256]uint64 {
	t := new([8][256]uint64)
	for i := range 256 {
		crc := uint64(i)
		for range 8 {
			if crc&1 == 1 {
				crc = crc>>1 ^ poly
			} else {
				crc >>= 1
			}
		}
		t[0][i] = crc
	}
	for i := range 256 {
		crc := t[0][i]
		for j := 1; j < 8; j++ {
			crc = t[0][crc&0xff] ^ crc>>8
			t[j][i] = crc
		}
	}
	return t
}

func updateCRC64(crc uint64, t *[8][256]uint64, p []byte) uint64 {
	crc = ^crc
	for len(p) >= 8 {
		crc ^= binary.LittleEndian.Uint64(p)
		crc = t[7][crc&0xff] ^
			t[6][crc>>8&0xff] ^
			t[5][crc>>16&0xff] ^
			t[4][crc>>24&0xff] ^
			t[3][crc>>32&0xff] ^
			t[2][crc>>40&0xff] ^
			t[1][crc>>48&0xff] ^
			t[0][crc>>56]
		p = p[8:]
	}
	for _, b := range p {
		crc = t[0][byte(crc)^b] ^ crc>>8
	}
	return ^crc
}

type crc64nvme struct{ crc uint64 }

var _ hash.Hash64 = (*crc64nvme)(nil)

func newCRC64NVME() *crc64nvme { return &crc64nvme{} }

func (d *crc64nvme) Write(p []byte) (int, error) {
	d.crc = updateCRC64(d.crc, crc64nvmeTables, p)
	return len(p), nil
}

func (d *crc64nvme) Sum64() uint64 { return d.crc }
func (d *crc64nvme) Reset()        { d.crc = 0 }
func (d *crc64nvme) Size() int     { return crc64Size }
func (d *crc64nvme) BlockSize() int {
	return 1
}

func (d *crc64nvme) Sum(b []byte) []byte {
	return binary.BigEndian.AppendUint64(b, d.crc)
}
