package erasure

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
)

// Decoder reads an object back from its shard payloads. It is an
// io.ReaderAt over the object and safe for concurrent use.
//
// Healthy path: only the data shards holding the requested bytes are read,
// and only the bytes requested (the shard format below still verifies
// whole blocks). When one of them fails, the stripe is rebuilt from any k
// shards, preferring those not yet seen failing; a shard that failed in
// one stripe is still tried for others, so scattered block corruption on
// more than m shards is survivable as long as no stripe loses more than m.
type Decoder struct {
	c       *Coder
	rs      []io.ReaderAt
	size    int64
	shardSz int64
	pool    sync.Pool // *stripeBufs

	mu     sync.Mutex
	faults map[int]error // first error per shard
}

type stripeBufs struct {
	shards [][]byte // k+m buffers of blockSize
}

// NewDecoder returns a Decoder for an object of objectSize bytes whose
// shard payloads are rs (len k+m; nil entries are missing shards).
func (c *Coder) NewDecoder(rs []io.ReaderAt, objectSize int64) (*Decoder, error) {
	if len(rs) != c.Shards() {
		return nil, fmt.Errorf("erasure: %d shard readers, want %d", len(rs), c.Shards())
	}
	if objectSize < 0 {
		return nil, fmt.Errorf("erasure: negative object size %d", objectSize)
	}
	d := &Decoder{c: c, rs: rs, size: objectSize, shardSz: c.ShardSize(objectSize), faults: map[int]error{}}
	for i, r := range rs {
		if r == nil {
			d.faults[i] = errMissing
		}
	}
	return d, nil
}

var errMissing = errors.New("erasure: shard missing")

// Size returns the object size.
func (d *Decoder) Size() int64 { return d.size }

// Faults returns the shards that were missing or failed during reads so
// far, sorted by shard index. The engine schedules a heal for them.
func (d *Decoder) Faults() []Fault {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]Fault, 0, len(d.faults))
	for i, err := range d.faults {
		out = append(out, Fault{Shard: i, Err: err})
	}
	slices.SortFunc(out, func(a, b Fault) int { return a.Shard - b.Shard })
	return out
}

func (d *Decoder) fault(i int, err error) {
	d.mu.Lock()
	if _, ok := d.faults[i]; !ok {
		d.faults[i] = err
	}
	d.mu.Unlock()
}

func (d *Decoder) isFaulty(i int) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.faults[i]
	return ok
}

// ReadAt reads object bytes [off, off+len(p)).
func (d *Decoder) ReadAt(p []byte, off int64) (int, error) {
	return d.readAt(context.Background(), p, off)
}

func (d *Decoder) readAt(ctx context.Context, p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("erasure: negative offset")
	}
	if off >= d.size {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	want := min(int64(len(p)), d.size-off)
	ss := d.c.StripeSize()
	var n int64
	for n < want {
		if err := ctx.Err(); err != nil {
			return int(n), err
		}
		s := (off + n) / ss
		lo := (off + n) - s*ss
		hi := min(ss, off+want-s*ss)
		if err := d.readStripe(s, int(lo), int(hi), p[n:n+hi-lo]); err != nil {
			return int(n), err
		}
		n += hi - lo
	}
	if n < int64(len(p)) {
		return int(n), io.EOF
	}
	return int(n), nil
}

// Copy writes object bytes [off, off+length) to w stripe by stripe, with a
// buffer of at most one stripe. It is the streaming GET path.
func (d *Decoder) Copy(ctx context.Context, w io.Writer, off, length int64) (int64, error) {
	if off < 0 || length < 0 || off+length > d.size {
		return 0, fmt.Errorf("erasure: range [%d, %d) outside object of %d bytes", off, off+length, d.size)
	}
	buf := make([]byte, min(length, d.c.StripeSize()))
	var done int64
	for done < length {
		ss := d.c.StripeSize()
		// Align chunks to stripes so each stripe is fetched once.
		pos := off + done
		n := min(length-done, ss-pos%ss, int64(len(buf)))
		if _, err := d.readAt(ctx, buf[:n], pos); err != nil {
			return done, err
		}
		m, err := w.Write(buf[:n])
		done += int64(m)
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

// readShard reads len(p) bytes of shard i's payload at off; a short read
// is a failure (the shard is truncated).
func (d *Decoder) readShard(i int, p []byte, off int64) error {
	r := d.rs[i]
	if r == nil {
		return errMissing
	}
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// readStripe fills dst with bytes [lo, hi) of stripe s.
func (d *Decoder) readStripe(s int64, lo, hi int, dst []byte) error {
	_, chunk := d.c.stripeGeom(s, d.size)
	shardOff := s * int64(d.c.blockSize)
	first, last := lo/chunk, (hi-1)/chunk

	// Fast path: read the needed pieces of the data shards, in parallel.
	fast := true
	for i := first; i <= last; i++ {
		if d.isFaulty(i) {
			fast = false
			break
		}
	}
	if fast {
		errs := make([]error, last-first+1)
		var wg sync.WaitGroup
		for i := first; i <= last; i++ {
			a, b := max(lo, i*chunk), min(hi, (i+1)*chunk)
			wg.Go(func() {
				errs[i-first] = d.readShard(i, dst[a-lo:b-lo], shardOff+int64(a-i*chunk))
			})
		}
		wg.Wait()
		ok := true
		for j, err := range errs {
			if err != nil {
				d.fault(first+j, err)
				ok = false
			}
		}
		if ok {
			return nil
		}
	}

	// Slow path: rebuild the stripe from any k shards.
	b := d.getBufs()
	defer d.pool.Put(b)
	shards, err := d.gather(s, chunk, shardOff, b, nil)
	if err != nil {
		return err
	}
	if d.c.m > 0 {
		if err := d.c.rs.ReconstructData(shards); err != nil {
			return fmt.Errorf("erasure: stripe %d: reconstruct: %w", s, err)
		}
	}
	for i := first; i <= last; i++ {
		a, bb := max(lo, i*chunk), min(hi, (i+1)*chunk)
		copy(dst[a-lo:bb-lo], shards[i][a-i*chunk:bb-i*chunk])
	}
	return nil
}

func (d *Decoder) getBufs() *stripeBufs {
	if b, ok := d.pool.Get().(*stripeBufs); ok {
		return b
	}
	b := &stripeBufs{shards: make([][]byte, d.c.Shards())}
	for i := range b.shards {
		b.shards[i] = make([]byte, d.c.blockSize)
	}
	return b
}

// gather reads whole chunks of stripe s from k shards: healthy data
// shards first, then healthy parity, then shards that failed before or
// are marked in avoid (shards being rebuilt). It
// returns the shard slice for reedsolomon (missing entries zero-length
// with capacity, so reconstruction does not allocate).
func (d *Decoder) gather(s int64, chunk int, shardOff int64, b *stripeBufs, avoid []bool) ([][]byte, error) {
	n := d.c.Shards()
	var order, retry []int
	for i := range n {
		switch {
		case d.rs[i] == nil:
		case d.isFaulty(i) || avoid != nil && avoid[i]:
			retry = append(retry, i)
		default:
			order = append(order, i)
		}
	}
	order = append(order, retry...)
	shards := make([][]byte, n)
	for i := range shards {
		shards[i] = b.shards[i][:0]
	}
	have := 0
	var errs []error
	for have < d.c.k && len(order) > 0 {
		wave := order[:min(d.c.k-have, len(order))]
		order = order[len(wave):]
		res := make([]error, len(wave))
		var wg sync.WaitGroup
		for j, i := range wave {
			wg.Go(func() {
				res[j] = d.readShard(i, b.shards[i][:chunk], shardOff)
			})
		}
		wg.Wait()
		for j, i := range wave {
			if res[j] != nil {
				d.fault(i, res[j])
				errs = append(errs, fmt.Errorf("shard %d: %w", i, res[j]))
				continue
			}
			shards[i] = b.shards[i][:chunk]
			have++
		}
	}
	if have < d.c.k {
		return nil, fmt.Errorf("erasure: stripe %d: %d of %d shards readable, need %d: %w",
			s, have, n, d.c.k, errors.Join(append([]error{ErrTooFewShards}, errs...)...))
	}
	return shards, nil
}
