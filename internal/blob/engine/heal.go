package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/nimbuscloud/nimbus/internal/blob/drive"
)

// shardState is what verifying one shard found.
type shardState int

const (
	shardOK      shardState = iota
	shardMissing            // no file (or no drive)
	shardCorrupt            // bad header, block, ID, length or an I/O error
)

// Heal restores full redundancy of one object: it verifies every shard and
// rebuilds those missing or corrupt (from the other replicas, or by
// Reed-Solomon reconstruction from any k shards) under a temporary name,
// committing each durably. It returns the number of shards rebuilt. A
// shard whose drive is down stays missing and the error says so.
func (e *Engine) Heal(ctx context.Context, ref Ref) (int, error) {
	if err := ref.check(); err != nil {
		return 0, err
	}
	if err := e.waitPending(ctx, ref.id); err != nil {
		return 0, err
	}
	bad, err := e.verifyObject(ctx, ref, nil, nil)
	if err != nil {
		return 0, err
	}
	if len(bad) == 0 {
		e.clearDegraded(ref.id)
		return 0, nil
	}
	return e.rebuild(ctx, ref, bad)
}

// verifyObject checks every shard of ref and returns the indexes of the
// bad ones, counting what it finds.
func (e *Engine) verifyObject(ctx context.Context, ref Ref, lim *limiter, rep *ScrubReport) ([]int, error) {
	handles := e.resolve(ref)
	var bad []int
	for i, h := range handles {
		st, nbytes, err := e.verifyShard(ctx, ref, h, i, lim)
		if err != nil {
			return nil, err
		}
		e.c.shardsVerified.Add(1)
		e.c.bytesVerified.Add(nbytes)
		if rep != nil {
			rep.Shards++
			rep.Bytes += nbytes
		}
		switch st {
		case shardMissing:
			e.c.missing.Add(1)
			if rep != nil {
				rep.Missing++
			}
			bad = append(bad, i)
		case shardCorrupt:
			e.c.corruptions.Add(1)
			if rep != nil {
				rep.Corrupt++
			}
			bad = append(bad, i)
		}
	}
	return bad, nil
}

// verifyShard reads and verifies every block of shard i, pacing itself
// with lim. err is non-nil only when ctx ends.
func (e *Engine) verifyShard(ctx context.Context, ref Ref, h *driveHandle, i int, lim *limiter) (shardState, int64, error) {
	src := &shardSrc{ctx: ctx, key: e.key, h: h, name: ref.shardName(i), id: ref.shardID(i), size: ref.shardSize}
	defer src.close()
	if err := src.open(); err != nil {
		if ctx.Err() != nil {
			return 0, 0, ctx.Err()
		}
		if errors.Is(err, drive.ErrNotFound) || errors.Is(err, errNoDrive) {
			return shardMissing, 0, nil
		}
		e.log.Warn("shard corrupt", "object", ref.ID(), "shard", i, "err", err)
		return shardCorrupt, 0, nil
	}
	bs := int64(src.r.Header().BlockSize)
	buf := make([]byte, min(bs, ref.shardSize))
	var off int64
	for off < ref.shardSize {
		c := min(bs, ref.shardSize-off)
		if _, err := src.ReadAt(buf[:c], off); err != nil {
			if ctx.Err() != nil {
				return 0, off, ctx.Err()
			}
			e.log.Warn("shard corrupt", "object", ref.ID(), "shard", i, "offset", off, "err", err)
			return shardCorrupt, off, nil
		}
		off += c
		if err := lim.wait(ctx, c); err != nil {
			return 0, off, err
		}
	}
	return shardOK, off, nil
}

// rebuild rewrites the shards bad of ref on their drives and returns how
// many it committed. Sources are the other shards first, the bad ones
// only as a last resort (a partly corrupt shard still serves its good
// blocks). Sources found failing on the way are rebuilt in a second pass.
func (e *Engine) rebuild(ctx context.Context, ref Ref, bad []int) (int, error) {
	e.mu.Lock()
	if e.healing[ref.id] {
		e.mu.Unlock()
		return 0, nil // another heal of this object is running
	}
	e.healing[ref.id] = true
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		delete(e.healing, ref.id)
		e.mu.Unlock()
	}()
	total := 0
	for pass := 0; len(bad) > 0 && pass < 2; pass++ {
		n, more, err := e.rebuildOnce(ctx, ref, bad)
		total += n
		if err != nil {
			e.c.healFailures.Add(1)
			e.markDegraded(ref)
			return total, err
		}
		bad = more
	}
	if len(bad) > 0 {
		e.markDegraded(ref)
		return total, fmt.Errorf("engine: heal %s: shards %v still failing", ref.ID(), bad)
	}
	e.clearDegraded(ref.id)
	return total, nil
}

func (e *Engine) rebuildOnce(ctx context.Context, ref Ref, bad []int) (int, []int, error) {
	handles := e.resolve(ref)
	srcs := e.sources(ctx, ref, handles)
	defer closeAll(srcs)
	isBad := make([]bool, len(handles))
	targets := make([]*shardWriter, len(handles))
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var errs []error
	for _, i := range bad {
		isBad[i] = true
		w, err := e.createShard(wctx, ref, handles[i], i)
		if err != nil {
			errs = append(errs, fmt.Errorf("shard %d: %w", i, err))
			continue
		}
		targets[i] = w
	}
	abortAll := func() {
		for _, w := range targets {
			if w != nil {
				w.abort()
			}
		}
	}
	if healthy(targets) == 0 {
		return 0, nil, fmt.Errorf("engine: heal %s: no shard can be written: %w", ref.ID(), errors.Join(errs...))
	}
	var more []int
	if ref.lay.IsErasure() {
		c, err := e.coder(ref.lay, ref.blockSize)
		if err != nil {
			abortAll()
			return 0, nil, err
		}
		dst := make([]io.Writer, len(targets))
		for i, w := range targets {
			if w != nil {
				dst[i] = w
			}
		}
		faults, err := c.Reconstruct(ctx, readerAts(srcs), ref.size, dst)
		if err != nil {
			abortAll()
			return 0, nil, fmt.Errorf("engine: heal %s: %w", ref.ID(), err)
		}
		for _, f := range faults {
			if !isCtxErr(f.Err) {
				more = append(more, f.Shard)
			}
		}
	} else {
		fan := &healFanOut{ws: targets}
		_, failed, err := copyReplicas(ctx, ref, srcs, replicaOrder(ref, isBad), fan, 0, ref.size)
		if err != nil {
			abortAll()
			return 0, nil, fmt.Errorf("engine: heal %s: %w", ref.ID(), err)
		}
		for _, i := range failed {
			if !isBad[i] {
				more = append(more, i)
			}
		}
	}
	// Commit the rebuilt shards in parallel.
	var (
		wg sync.WaitGroup
		mu sync.Mutex
		n  int
	)
	for _, w := range targets {
		if w == nil {
			continue
		}
		wg.Go(func() {
			err := w.commit()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("shard %d: %w", w.idx, err))
				return
			}
			n++
		})
	}
	wg.Wait()
	e.c.heals.Add(int64(n))
	e.log.Info("healed", "object", ref.ID(), "class", ref.class, "rebuilt", n, "of", len(bad))
	if len(errs) > 0 {
		return n, more, fmt.Errorf("engine: heal %s: %w", ref.ID(), errors.Join(errs...))
	}
	return n, more, nil
}

// healFanOut writes to every rebuilt replica, dropping those that fail.
type healFanOut struct{ ws []*shardWriter }

func (f *healFanOut) Write(p []byte) (int, error) {
	ok := 0
	for _, w := range f.ws {
		if w != nil && w.err == nil {
			if _, err := w.Write(p); err == nil {
				ok++
			}
		}
	}
	if ok == 0 {
		return 0, errors.New("engine: every rebuilt replica failed to write")
	}
	return len(p), nil
}

// limiter paces a reader to rate bytes per second (0: unlimited).
type limiter struct {
	rate  int64
	start time.Time
	bytes int64
}

func newLimiter(rate int64) *limiter { return &limiter{rate: rate, start: time.Now()} }

func (l *limiter) wait(ctx context.Context, n int64) error {
	if l == nil || l.rate <= 0 {
		return nil
	}
	l.bytes += n
	due := l.start.Add(time.Duration(float64(l.bytes) / float64(l.rate) * float64(time.Second)))
	d := time.Until(due)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Catalog is the caller's view of which objects are live (its committed
// metadata: every Ref it still references, including parts of multipart
// uploads in progress). Scrub verifies and heals the live objects and
// deletes shards of objects that are not live.
type Catalog interface {
	// Live calls fn for every live object's Ref; an error from fn stops
	// the walk and is returned.
	Live(ctx context.Context, fn func(Ref) error) error
	// IsLive reports whether the object with Ref.ID() == id is live.
	IsLive(ctx context.Context, id string) (bool, error)
}
