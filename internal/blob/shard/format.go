package shard

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// Format constants. See doc.go for the byte layout.
const (
	// Magic opens every shard file.
	Magic = "NIMBSHRD"
	// Version is the format version this package writes.
	Version = 1
	// HeaderSize is the fixed size of the header including its hash.
	HeaderSize = 80
	// IDSize is the length of the shard ID bound into every hash.
	IDSize = 16
	// DefaultBlockSize is used when Options.BlockSize is zero.
	DefaultBlockSize = 1 << 20
	// MinBlockSize and MaxBlockSize bound Options.BlockSize.
	MinBlockSize = 64
	MaxBlockSize = 64 << 20

	headerFields = 48 // bytes covered by the header hash
	maxHashSize  = 32
)

// HeaderBlock is the CorruptError.Block value for a damaged header.
const HeaderBlock = -1

// ErrCorrupt is the sentinel matched (errors.Is) by every CorruptError.
var ErrCorrupt = errors.New("shard: corrupt")

// CorruptError reports a failed integrity check: a hash mismatch, a
// truncated block or a damaged header (Block == HeaderBlock).
type CorruptError struct {
	Block  int    // block index, or HeaderBlock
	Reason string // short human description
}

func (e *CorruptError) Error() string {
	if e.Block == HeaderBlock {
		return "shard: corrupt header: " + e.Reason
	}
	return fmt.Sprintf("shard: corrupt block %d: %s", e.Block, e.Reason)
}

// Is makes errors.Is(err, ErrCorrupt) true for any *CorruptError.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

// Header is the decoded shard header.
type Header struct {
	Version    uint16
	Algorithm  Algorithm
	HashSize   int
	BlockSize  int
	PayloadLen int64
	ID         [IDSize]byte
}

// Blocks returns the number of blocks holding the payload.
func (h *Header) Blocks() int {
	if h.PayloadLen == 0 {
		return 0
	}
	return int((h.PayloadLen + int64(h.BlockSize) - 1) / int64(h.BlockSize))
}

// FileSize returns the exact on-disk size of a shard with this header.
func (h *Header) FileSize() int64 {
	return HeaderSize + h.PayloadLen + int64(h.Blocks())*int64(h.HashSize)
}

// blockLen returns the payload length of block i.
func (h *Header) blockLen(i int) int {
	start := int64(i) * int64(h.BlockSize)
	if rem := h.PayloadLen - start; rem < int64(h.BlockSize) {
		return int(rem)
	}
	return h.BlockSize
}

// blockOffset returns the file offset of block i's data.
func (h *Header) blockOffset(i int) int64 {
	return HeaderSize + int64(i)*int64(h.BlockSize+h.HashSize)
}

// FileSize returns the on-disk size of a shard holding payloadLen bytes in
// blocks of blockSize hashed with alg (zero values mean the defaults).
func FileSize(payloadLen int64, blockSize int, alg Algorithm) int64 {
	if blockSize == 0 {
		blockSize = DefaultBlockSize
	}
	if alg == 0 {
		alg = DefaultAlgorithm
	}
	h := Header{BlockSize: blockSize, HashSize: alg.Size(), PayloadLen: payloadLen}
	return h.FileSize()
}

// encode writes the header fields (without the hash) into b[:headerFields].
func (h *Header) encode(b []byte) {
	clear(b[:HeaderSize])
	copy(b[0:8], Magic)
	binary.LittleEndian.PutUint16(b[8:10], h.Version)
	b[10] = byte(h.Algorithm)
	b[11] = byte(h.HashSize)
	binary.LittleEndian.PutUint32(b[12:16], uint32(h.BlockSize))
	binary.LittleEndian.PutUint64(b[16:24], uint64(h.PayloadLen))
	copy(b[24:40], h.ID[:])
	// b[40:48] reserved, zero.
}

// decodeHeader parses b (HeaderSize bytes) without checking the hash.
func decodeHeader(b []byte) (Header, error) {
	var h Header
	bad := func(format string, args ...any) (Header, error) {
		return h, &CorruptError{Block: HeaderBlock, Reason: fmt.Sprintf(format, args...)}
	}
	if len(b) < HeaderSize {
		return bad("short header (%d bytes)", len(b))
	}
	if !bytes.Equal(b[0:8], []byte(Magic)) {
		return bad("bad magic %q", b[0:8])
	}
	h.Version = binary.LittleEndian.Uint16(b[8:10])
	h.Algorithm = Algorithm(b[10])
	h.HashSize = int(b[11])
	h.BlockSize = int(binary.LittleEndian.Uint32(b[12:16]))
	pl := binary.LittleEndian.Uint64(b[16:24])
	copy(h.ID[:], b[24:40])
	if h.Version != Version {
		return bad("unsupported version %d", h.Version)
	}
	if h.Algorithm.Size() == 0 || h.HashSize != h.Algorithm.Size() {
		return bad("bad hash algorithm %d / size %d", b[10], h.HashSize)
	}
	if h.BlockSize < MinBlockSize || h.BlockSize > MaxBlockSize {
		return bad("bad block size %d", h.BlockSize)
	}
	if pl > 1<<56 {
		return bad("absurd payload length %d", pl)
	}
	h.PayloadLen = int64(pl)
	if !isZero(b[40:48]) {
		return bad("reserved bytes set")
	}
	return h, nil
}

func isZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
