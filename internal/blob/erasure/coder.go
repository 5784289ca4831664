package erasure

import (
	"errors"
	"fmt"

	"github.com/klauspost/reedsolomon"
)

// Limits on the layout.
const (
	MaxShards    = 256 // GF(2^8) Reed-Solomon limit on k+m
	MinBlockSize = 64
	MaxBlockSize = 64 << 20
)

// ErrTooFewShards means fewer than k shards could be read for a stripe.
var ErrTooFewShards = errors.New("erasure: too few healthy shards")

// Fault names a shard that failed (missing, erroring, short or corrupt).
type Fault struct {
	Shard int
	Err   error
}

// Coder holds an RS(k, m) layout with a per-shard block size. A Coder is
// immutable and safe for concurrent use.
type Coder struct {
	k, m      int
	blockSize int
	rs        reedsolomon.Encoder
}

// New returns a Coder for k data and m parity shards, each stripe putting
// blockSize bytes on every shard (stripe = k*blockSize bytes of object).
func New(k, m, blockSize int) (*Coder, error) {
	switch {
	case k < 1 || m < 0 || k+m > MaxShards:
		return nil, fmt.Errorf("erasure: invalid layout k=%d m=%d", k, m)
	case blockSize < MinBlockSize || blockSize > MaxBlockSize:
		return nil, fmt.Errorf("erasure: block size %d outside [%d, %d]", blockSize, MinBlockSize, MaxBlockSize)
	}
	c := &Coder{k: k, m: m, blockSize: blockSize}
	if m > 0 {
		rs, err := reedsolomon.New(k, m, reedsolomon.WithAutoGoroutines(blockSize))
		if err != nil {
			return nil, fmt.Errorf("erasure: %w", err)
		}
		c.rs = rs
	}
	return c, nil
}

// DataShards returns k.
func (c *Coder) DataShards() int { return c.k }

// ParityShards returns m.
func (c *Coder) ParityShards() int { return c.m }

// Shards returns k+m.
func (c *Coder) Shards() int { return c.k + c.m }

// BlockSize returns the per-shard bytes of a full stripe.
func (c *Coder) BlockSize() int { return c.blockSize }

// StripeSize returns the object bytes in a full stripe (k*blockSize).
func (c *Coder) StripeSize() int64 { return int64(c.k) * int64(c.blockSize) }

// ShardSize returns the payload length of every shard of an object of
// objectSize bytes: full stripes contribute blockSize each, a final
// partial stripe of r bytes contributes ceil(r/k) (zero-padded), so small
// objects are not inflated to a whole stripe.
func (c *Coder) ShardSize(objectSize int64) int64 {
	ss := c.StripeSize()
	full, rem := objectSize/ss, objectSize%ss
	return full*int64(c.blockSize) + (rem+int64(c.k)-1)/int64(c.k)
}

// stripes returns the number of stripes of an object.
func (c *Coder) stripes(objectSize int64) int64 {
	ss := c.StripeSize()
	return (objectSize + ss - 1) / ss
}

// stripeGeom returns, for stripe s of an object of size n, the object
// bytes it holds and the bytes per shard (chunk).
func (c *Coder) stripeGeom(s, n int64) (dataLen int64, chunk int) {
	ss := c.StripeSize()
	dataLen = min(ss, n-s*ss)
	if dataLen == ss {
		return dataLen, c.blockSize
	}
	return dataLen, int((dataLen + int64(c.k) - 1) / int64(c.k))
}

// encodeStripe computes parity for shards (all of length chunk).
func (c *Coder) encodeStripe(shards [][]byte) error {
	if c.m == 0 {
		return nil
	}
	return c.rs.Encode(shards)
}
