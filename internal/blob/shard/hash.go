package shard

import (
	"encoding/binary"
	"fmt"
	"hash"

	"github.com/minio/highwayhash"
	"github.com/zeebo/blake3"
	"github.com/zeebo/xxh3"
)

// KeySize is the length of a shard hashing key.
const KeySize = 32

// Key is the per-deployment secret that keys the block hashes. The engine
// loads it from the data directory and passes it to every Writer and Reader.
type Key [KeySize]byte

// Algorithm identifies the block hash. Its value is stored in the shard
// header, so existing values must never be renumbered.
type Algorithm uint8

// Hash algorithms. HighwayHash256 is the default (see doc.go for the
// measurements behind the choice).
const (
	// HighwayHash256 is Google's keyed HighwayHash with a 256-bit output
	// (the hash MinIO uses for bitrot protection).
	HighwayHash256 Algorithm = 1
	// BLAKE3 is BLAKE3 in keyed mode with a 256-bit output.
	BLAKE3 Algorithm = 2
	// XXH3 is the 128-bit xxh3 seeded with the first 8 key bytes. It is not
	// a MAC: anyone can forge it. Kept for benchmarks and for deployments
	// that explicitly accept accident-only detection.
	XXH3 Algorithm = 3

	// DefaultAlgorithm is used when Options.Algorithm is zero.
	DefaultAlgorithm = HighwayHash256
)

// String returns the algorithm's name.
func (a Algorithm) String() string {
	switch a {
	case HighwayHash256:
		return "highwayhash256"
	case BLAKE3:
		return "blake3"
	case XXH3:
		return "xxh3-128"
	default:
		return fmt.Sprintf("algorithm(%d)", uint8(a))
	}
}

// Size returns the digest size in bytes, or 0 for an unknown algorithm.
func (a Algorithm) Size() int {
	switch a {
	case HighwayHash256, BLAKE3:
		return 32
	case XXH3:
		return 16
	default:
		return 0
	}
}

// newHash returns a fresh hasher for the algorithm keyed by key.
func (a Algorithm) newHash(key *Key) (hash.Hash, error) {
	switch a {
	case HighwayHash256:
		return highwayhash.New(key[:])
	case BLAKE3:
		return blake3.NewKeyed(key[:])
	case XXH3:
		return &seeded128{h: xxh3.New128(), seed: binary.LittleEndian.Uint64(key[:8])}, nil
	default:
		return nil, fmt.Errorf("shard: unknown hash algorithm %d", uint8(a))
	}
}

// seeded128 makes Reset keep the seed for xxh3's 128-bit hasher.
type seeded128 struct {
	h    *xxh3.Hasher128
	seed uint64
}

func (s *seeded128) Write(p []byte) (int, error) { return s.h.Write(p) }
func (s *seeded128) Sum(b []byte) []byte         { return s.h.Sum(b) }
func (s *seeded128) Reset()                      { s.h.ResetSeed(s.seed) }
func (s *seeded128) Size() int                   { return s.h.Size() }
func (s *seeded128) BlockSize() int              { return s.h.BlockSize() }

// headerIndex is the block index fed to the hash of the header, so that a
// header hash can never be confused with a block hash.
const headerIndex = ^uint64(0)

// sum computes the digest of (id, index, data) into out, which must have
// room for the algorithm's digest size. h is reset first.
func sum(h hash.Hash, id *[IDSize]byte, index uint64, data []byte, out []byte) []byte {
	h.Reset()
	var pre [IDSize + 8]byte
	copy(pre[:], id[:])
	binary.LittleEndian.PutUint64(pre[IDSize:], index)
	h.Write(pre[:])
	h.Write(data)
	return h.Sum(out[:0])
}
