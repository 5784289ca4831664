package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/nimbuscloud/nimbus/internal/blob/drive"
	"github.com/nimbuscloud/nimbus/internal/blob/erasure"
	"github.com/nimbuscloud/nimbus/internal/blob/shard"
)

// errNoDrive: the shard's drive is not in the set and has no new home.
var errNoDrive = errors.New("engine: shard has no drive")

// shardSrc is a lazily opened, verified shard payload (io.ReaderAt). It
// opens the file on first use, so a read that needs one data shard opens
// one file. The header must carry the expected shard ID and payload length:
// a shard under the wrong name or of another object is corrupt.
type shardSrc struct {
	ctx  context.Context
	key  shard.Key
	h    *driveHandle
	name string
	id   [16]byte
	size int64

	once sync.Once
	f    drive.Reader
	r    *shard.Reader
	err  error
}

func (e *Engine) sources(ctx context.Context, ref Ref, handles []*driveHandle) []*shardSrc {
	srcs := make([]*shardSrc, len(handles))
	for i, h := range handles {
		srcs[i] = &shardSrc{ctx: ctx, key: e.key, h: h, name: ref.shardName(i), id: ref.shardID(i), size: ref.shardSize}
	}
	return srcs
}

func (s *shardSrc) open() error {
	s.once.Do(func() {
		if s.h == nil {
			s.err = errNoDrive
			return
		}
		f, err := s.h.d.Open(s.ctx, s.name)
		if err != nil {
			s.err = err
			return
		}
		r, err := shard.NewReader(f, f.Size(), s.key)
		if err == nil {
			hdr := r.Header()
			if hdr.ID != s.id || hdr.PayloadLen != s.size {
				err = &shard.CorruptError{Block: shard.HeaderBlock,
					Reason: fmt.Sprintf("shard ID %x / payload %d, want %x / %d", hdr.ID, hdr.PayloadLen, s.id, s.size)}
			}
		}
		if err != nil {
			f.Close()
			s.err = err
			return
		}
		s.f, s.r = f, r
	})
	return s.err
}

// ReadAt reads verified payload bytes; a short read is an error.
func (s *shardSrc) ReadAt(p []byte, off int64) (int, error) {
	if err := s.open(); err != nil {
		return 0, err
	}
	n, err := s.r.ReadAt(p, off)
	if n < len(p) && (err == nil || err == io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// close releases the file; call once every reader of s has returned.
func (s *shardSrc) close() {
	if s.f != nil {
		s.f.Close()
	}
}

func closeAll(srcs []*shardSrc) {
	for _, s := range srcs {
		s.close()
	}
}

// readerAts adapts sources for the erasure package (nil for no drive).
func readerAts(srcs []*shardSrc) []io.ReaderAt {
	rs := make([]io.ReaderAt, len(srcs))
	for i, s := range srcs {
		if s.h != nil {
			rs[i] = s
		}
	}
	return rs
}

// Read copies bytes [off, off+n) of the object to w and returns how many
// it wrote. Every block it touches is verified. Missing or corrupt shards
// are skipped (replicas) or reconstructed around (any k healthy shards of
// an erasure-coded object), and the object is queued for heal. It reads
// only the blocks the range needs: a 4 KiB range opens one shard file and
// verifies one block.
func (e *Engine) Read(ctx context.Context, ref Ref, w io.Writer, off, n int64) (int64, error) {
	if off < 0 || n < 0 || off > ref.size || n > ref.size-off {
		return 0, fmt.Errorf("%w: [%d, %d+%d) of %d bytes", ErrRange, off, off, n, ref.size)
	}
	if len(ref.drives) == 0 {
		return 0, fmt.Errorf("%w: zero Ref", ErrInvalidRef)
	}
	e.c.reads.Add(1)
	if n == 0 {
		return 0, nil
	}
	srcs := e.sources(ctx, ref, e.resolve(ref))
	defer closeAll(srcs)
	var (
		done   int64
		failed []int
		err    error
	)
	if ref.lay.IsErasure() {
		done, failed, err = e.readErasure(ctx, ref, srcs, w, off, n)
	} else {
		done, failed, err = copyReplicas(ctx, ref, srcs, replicaOrder(ref, nil), w, off, n)
	}
	if len(failed) > 0 && ctx.Err() == nil && !e.isPending(ref.id) {
		e.c.degradedReads.Add(1)
		e.log.Warn("degraded read", "object", ref.ID(), "failed_shards", failed)
		e.enqueueHeal(ref)
	}
	return done, err
}

func (e *Engine) readErasure(ctx context.Context, ref Ref, srcs []*shardSrc, w io.Writer, off, n int64) (int64, []int, error) {
	c, err := e.coder(ref.lay, ref.blockSize)
	if err != nil {
		return 0, nil, err
	}
	d, err := c.NewDecoder(readerAts(srcs), ref.size)
	if err != nil {
		return 0, nil, err
	}
	done, err := d.Copy(ctx, w, off, n)
	var failed []int
	for _, f := range d.Faults() {
		if !isCtxErr(f.Err) {
			failed = append(failed, f.Shard)
		}
	}
	if errors.Is(err, erasure.ErrTooFewShards) {
		err = fmt.Errorf("%w: %w", ErrUnreadable, err)
	}
	return done, failed, err
}

func isCtxErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// replicaOrder is the order replicas are tried in: starting at a replica
// picked by the object ID (spreading objects' reads over drives while
// keeping one object's reads on one drive's cache), with the replicas in
// last moved to the end (heal reads from the replicas it is not
// rebuilding first).
func replicaOrder(ref Ref, last []bool) []int {
	n := len(ref.drives)
	start := int(ref.id[0]) % n
	var order, tail []int
	for j := range n {
		i := (start + j) % n
		if last != nil && last[i] {
			tail = append(tail, i)
		} else {
			order = append(order, i)
		}
	}
	return append(order, tail...)
}

// copyReplicas copies [off, off+n) of a replicated object to w block by
// block from the first replica in order that serves it, switching replica
// at the first block that fails (bytes already written were verified). It
// returns the bytes written and the replicas that failed.
func copyReplicas(ctx context.Context, ref Ref, srcs []*shardSrc, order []int, w io.Writer, off, n int64) (int64, []int, error) {
	bs := int64(ref.blockSize)
	buf := make([]byte, min(n, bs))
	var (
		done   int64
		failed []int
		errs   []error
	)
	for done < n {
		if err := ctx.Err(); err != nil {
			return done, failed, err
		}
		if len(order) == 0 {
			return done, failed, fmt.Errorf("%w: no replica of %d serves offset %d: %w", ErrUnreadable, len(srcs), off+done, errors.Join(errs...))
		}
		i := order[0]
		pos := off + done
		c := min(n-done, bs-pos%bs)
		if _, err := srcs[i].ReadAt(buf[:c], pos); err != nil {
			if isCtxErr(err) && ctx.Err() != nil {
				return done, failed, err
			}
			failed = append(failed, i)
			errs = append(errs, fmt.Errorf("replica %d: %w", i, err))
			order = order[1:]
			continue
		}
		m, err := w.Write(buf[:c])
		done += int64(m)
		if err != nil {
			return done, failed, err
		}
	}
	return done, failed, nil
}
