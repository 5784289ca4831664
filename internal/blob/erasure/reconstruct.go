package erasure

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Reconstruct rebuilds, for heal, the full payload of every shard i with
// dst[i] != nil, stripe by stripe, from any k readable shards (rs, len
// k+m; nil entries are unavailable). A shard being rebuilt may also be
// given in rs: a partly corrupt shard then still serves the stripes whose
// blocks verify, which is what makes healing three partly damaged shards
// of an RS(4,2) object possible. Shards being rebuilt are read only when
// the others do not suffice; a stripe read intact from one is copied,
// otherwise it is recomputed. Memory is O(stripe). It returns the other
// shards that failed along the way, which need healing too.
func (c *Coder) Reconstruct(ctx context.Context, rs []io.ReaderAt, objectSize int64, dst []io.Writer) ([]Fault, error) {
	if len(dst) != c.Shards() {
		return nil, fmt.Errorf("erasure: %d destination writers, want %d", len(dst), c.Shards())
	}
	if len(rs) != c.Shards() {
		return nil, fmt.Errorf("erasure: %d shard readers, want %d", len(rs), c.Shards())
	}
	required := make([]bool, len(rs))
	targets := 0
	for i := range rs {
		if dst[i] != nil {
			required[i] = true
			targets++
		}
	}
	if targets == 0 {
		return nil, errors.New("erasure: nothing to reconstruct")
	}
	d, err := c.NewDecoder(rs, objectSize)
	if err != nil {
		return nil, err
	}
	sourceFaults := func() []Fault {
		var out []Fault
		for _, f := range d.Faults() {
			if !required[f.Shard] && rs[f.Shard] != nil {
				out = append(out, f)
			}
		}
		return out
	}
	b := d.getBufs()
	for s := range c.stripes(objectSize) {
		if err := ctx.Err(); err != nil {
			return sourceFaults(), err
		}
		_, chunk := c.stripeGeom(s, objectSize)
		shards, err := d.gather(s, chunk, s*int64(c.blockSize), b, required)
		if err != nil {
			return sourceFaults(), err
		}
		if c.m > 0 {
			if err := c.rs.ReconstructSome(shards, required); err != nil {
				return sourceFaults(), fmt.Errorf("erasure: stripe %d: reconstruct: %w", s, err)
			}
		}
		for i, w := range dst {
			if w == nil {
				continue
			}
			if _, err := w.Write(shards[i][:chunk]); err != nil {
				return sourceFaults(), fmt.Errorf("erasure: write shard %d: %w", i, err)
			}
		}
	}
	return sourceFaults(), nil
}
