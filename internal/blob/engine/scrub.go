package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nimbuscloud/nimbus/internal/blob/drive"
)

// ScrubReport is what one Scrub pass found and did.
type ScrubReport struct {
	Objects int64 // live objects checked
	Shards  int64 // shards checked
	Bytes   int64 // shard payload bytes read and verified
	Corrupt int64 // shards with a bad header, block, ID or length, or unreadable
	Missing int64 // shards not found
	Healed  int64 // shards rebuilt
	// Degraded is the number of objects left with fewer healthy shards
	// than their layout (heal failed: a drive down, or too few sources).
	Degraded int64
	// Lost is the number of objects with fewer than their read quorum of
	// healthy shards after healing was tried.
	Lost    int64
	Orphans int64 // shard files of objects not live, removed
	Temps   int64 // temporary files older than the grace period, removed
	Took    time.Duration
}

// Delete removes every shard of the object it can reach; missing shards
// (and drives) are fine. It waits for background commits of the object's
// Put first, so none of its shards reappear afterwards.
func (e *Engine) Delete(ctx context.Context, ref Ref) error {
	if err := ref.check(); err != nil {
		return err
	}
	if err := e.waitPending(ctx, ref.id); err != nil {
		return err
	}
	e.c.deletes.Add(1)
	var errs []error
	for i, h := range e.resolve(ref) {
		if h == nil {
			continue
		}
		err := h.d.Delete(ctx, ref.shardName(i))
		if err != nil && !errors.Is(err, drive.ErrNotFound) {
			errs = append(errs, fmt.Errorf("shard %d on %s: %w", i, h.info.ID, err))
		}
	}
	e.clearDegraded(ref.id)
	if len(errs) > 0 {
		return fmt.Errorf("engine: delete %s: %w", ref.ID(), errors.Join(errs...))
	}
	return nil
}

// Scrub runs one maintenance pass:
//
//  1. probe every drive (Status reports the result);
//  2. verify every block of every shard of every live object, at most
//     Config.ScrubRate bytes per second, and rebuild what is missing or
//     corrupt (re-checking that the object is still live first);
//  3. remove committed shards of objects the catalog does not know once
//     they are older than the grace period (orphans of aborted or crashed
//     Puts, of Puts whose metadata commit failed, of deletes that raced a
//     heal);
//  4. remove temporary files older than the grace period (drive.CleanTemp).
//
// It returns early with the error when ctx ends or the catalog fails.
func (e *Engine) Scrub(ctx context.Context, cat Catalog) (ScrubReport, error) {
	start := time.Now()
	var rep ScrubReport
	defer func() {
		rep.Took = time.Since(start)
		e.mu.Lock()
		e.last.at, e.last.took = e.now(), rep.Took
		e.mu.Unlock()
	}()
	e.probe(ctx)
	lim := newLimiter(e.scrubRate)
	err := cat.Live(ctx, func(ref Ref) error {
		return e.scrubObject(ctx, cat, ref, lim, &rep)
	})
	if err != nil {
		return rep, fmt.Errorf("engine: scrub: %w", err)
	}
	if err := e.collectOrphans(ctx, cat, &rep); err != nil {
		return rep, err
	}
	e.log.Info("scrub done", "objects", rep.Objects, "shards", rep.Shards, "bytes", rep.Bytes,
		"corrupt", rep.Corrupt, "missing", rep.Missing, "healed", rep.Healed, "degraded", rep.Degraded,
		"lost", rep.Lost, "orphans", rep.Orphans, "temps", rep.Temps, "took", time.Since(start))
	return rep, nil
}

func (e *Engine) scrubObject(ctx context.Context, cat Catalog, ref Ref, lim *limiter, rep *ScrubReport) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if ref.check() != nil {
		e.log.Error("scrub: catalog returned an invalid ref", "ref", ref.String())
		return nil
	}
	if err := e.waitPending(ctx, ref.id); err != nil {
		return err
	}
	rep.Objects++
	e.c.objectsScanned.Add(1)
	bad, err := e.verifyObject(ctx, ref, lim, rep)
	if err != nil {
		return err
	}
	if len(bad) == 0 {
		e.clearDegraded(ref.id)
		return nil
	}
	e.markDegraded(ref)
	live, err := cat.IsLive(ctx, ref.ID())
	if err != nil {
		return err
	}
	if !live { // deleted meanwhile: do not resurrect its shards
		e.clearDegraded(ref.id)
		return nil
	}
	n, err := e.rebuild(ctx, ref, bad)
	rep.Healed += int64(n)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		rep.Degraded++
		if len(ref.drives)-len(bad)+n < ref.lay.ReadQuorum() {
			rep.Lost++
			e.log.Error("object lost: too few healthy shards", "object", ref.ID(), "bad", bad, "err", err)
		} else {
			e.log.Warn("heal incomplete", "object", ref.ID(), "err", err)
		}
	}
	return nil
}

// collectOrphans removes old shards of objects that are not live and old
// temporary files, on every drive.
func (e *Engine) collectOrphans(ctx context.Context, cat Catalog, rep *ScrubReport) error {
	cutoff := e.now().Add(-e.grace)
	for _, h := range e.drives {
		err := h.d.List(ctx, func(info drive.Info) error {
			if !info.ModTime.Before(cutoff) {
				return nil
			}
			id, _, ok := parseShardName(info.Name)
			if !ok {
				return nil // not ours; leave it for an operator
			}
			if e.isPending(id) {
				return nil
			}
			ref := Ref{id: id}
			live, err := cat.IsLive(ctx, ref.ID())
			if err != nil || live {
				return err
			}
			if err := h.d.Delete(ctx, info.Name); err != nil && !errors.Is(err, drive.ErrNotFound) {
				e.log.Warn("orphan delete failed", "drive", h.info.ID, "shard", info.Name, "err", err)
				return nil
			}
			rep.Orphans++
			e.c.orphans.Add(1)
			return nil
		})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// A drive that cannot be listed (gone) must not stop the others.
			e.log.Warn("orphan scan failed", "drive", h.info.ID, "err", err)
			continue
		}
		n, err := drive.CleanTemp(ctx, h.d, cutoff)
		rep.Temps += int64(n)
		e.c.temps.Add(int64(n))
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			e.log.Warn("temp cleanup failed", "drive", h.info.ID, "err", err)
		}
	}
	return nil
}

// firstScrubDelay is how long after start the first scrub runs.
const firstScrubDelay = 5 * time.Minute

// freshRetry is how often a heal of a just-written object waits for its
// caller's metadata commit before trying again.
const freshRetry = 10 * time.Second

// enqueueFreshHeal queues the heal of an object a Put left below full
// redundancy. The caller commits its metadata only after Put returns, so
// until then the catalog does not know the object: retryFresh keeps the
// request alive for the grace period instead of dropping it.
func (e *Engine) enqueueFreshHeal(ref Ref) {
	e.mu.Lock()
	if _, ok := e.fresh[ref.id]; !ok {
		e.fresh[ref.id] = e.now()
	}
	e.mu.Unlock()
	e.enqueueHeal(ref)
}

// retryFresh re-queues, after a short wait, the heal of an object written
// less than the grace period ago that the catalog does not know yet, and
// reports whether it did.
func (e *Engine) retryFresh(ref Ref) bool {
	e.mu.Lock()
	at, ok := e.fresh[ref.id]
	if ok && e.now().Sub(at) >= e.grace {
		delete(e.fresh, ref.id) // never committed: an orphan for the scrubber
		ok = false
	}
	e.mu.Unlock()
	if ok {
		time.AfterFunc(freshRetry, func() { e.enqueueHeal(ref) })
	}
	return ok
}

// RunScrubber runs Scrub every interval and drains the heal queue (objects
// that reads or Puts found degraded) until ctx ends. Queued objects are
// healed only while the catalog says they are live.
func (e *Engine) RunScrubber(ctx context.Context, cat Catalog, every time.Duration) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case ref := <-e.healq:
				e.mu.Lock()
				delete(e.queued, ref.id)
				e.mu.Unlock()
				live, err := cat.IsLive(ctx, ref.ID())
				if err != nil {
					continue
				}
				if !live {
					if e.retryFresh(ref) {
						continue // its metadata commit may still be coming
					}
					e.clearDegraded(ref.id)
					continue
				}
				e.mu.Lock()
				delete(e.fresh, ref.id)
				e.mu.Unlock()
				if _, err := e.Heal(ctx, ref); err != nil && ctx.Err() == nil {
					e.log.Warn("queued heal failed", "object", ref.ID(), "err", err)
				}
			}
		}
	}()
	defer func() { <-done }()
	if every <= 0 {
		every = 24 * time.Hour
	}
	// The first pass runs soon after start, so a server restarted more
	// often than every interval still scrubs, heals and collects orphans.
	first := min(every, firstScrubDelay)
	t := time.NewTimer(first)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := e.Scrub(ctx, cat); err != nil && ctx.Err() == nil {
				e.log.Error("scrub failed", "err", err)
			}
			t.Reset(every)
		}
	}
}
