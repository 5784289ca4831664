package s3

import (
	"context"
	"errors"
	"time"

	"github.com/nimbuscloud/nimbus/internal/s3/lifecycle"
	"github.com/nimbuscloud/nimbus/internal/store"
)

// LifecycleStats counts what lifecycle passes did.
type LifecycleStats struct {
	Expired         int // current versions expired (deleted, or a delete marker added)
	VersionsDeleted int // noncurrent versions deleted for good
	MarkersRemoved  int // expired delete markers removed
	Transitioned    int // versions moved to another storage class
	UploadsAborted  int // incomplete multipart uploads aborted
	Locked          int // deletions skipped because object lock protects the version
}

func (a *LifecycleStats) add(b LifecycleStats) {
	a.Expired += b.Expired
	a.VersionsDeleted += b.VersionsDeleted
	a.MarkersRemoved += b.MarkersRemoved
	a.Transitioned += b.Transitioned
	a.UploadsAborted += b.UploadsAborted
	a.Locked += b.Locked
}

// lifecyclePage is how many rows one lifecycle read transaction takes.
const lifecyclePage = 500

// RunLifecycle applies every bucket's lifecycle configuration every
// interval until ctx ends. clock scales lifecycle days (zero: 24 hours).
func (s *Service) RunLifecycle(ctx context.Context, every time.Duration, clock lifecycle.Clock) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		st, err := s.ApplyLifecycle(ctx, s.now(), clock)
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Error("s3 lifecycle pass failed", "err", err)
		case st != LifecycleStats{}:
			s.log.Info("s3 lifecycle pass", "expired", st.Expired, "versions_deleted", st.VersionsDeleted, "markers_removed", st.MarkersRemoved,
				"transitioned", st.Transitioned, "uploads_aborted", st.UploadsAborted, "locked", st.Locked)
		}
	}
}

// ApplyLifecycle runs one pass of every bucket's lifecycle configuration
// as of now: it walks current versions, then noncurrent versions and
// delete markers, then in-progress uploads, reading in short transactions
// and acting on each in its own.
func (s *Service) ApplyLifecycle(ctx context.Context, now time.Time, clock lifecycle.Clock) (LifecycleStats, error) {
	var total LifecycleStats
	var names []string
	err := s.st.View(ctx, func(tx store.Tx) error {
		names = names[:0]
		rows, err := tx.Query(ctx, `SELECT name FROM s3_buckets WHERE lifecycle <> '' ORDER BY name`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				return err
			}
			names = append(names, n)
		}
		return rows.Err()
	})
	if err != nil {
		return total, err
	}
	for _, name := range names {
		b, err := s.loadBucket(ctx, name)
		if errors.Is(err, ErrNoSuchBucket) || (err == nil && b.Lifecycle == "") {
			continue
		}
		if err != nil {
			return total, err
		}
		cfg, err := lifecycle.Parse([]byte(b.Lifecycle))
		if err != nil {
			s.log.Error("s3 lifecycle: stored configuration does not parse", "bucket", name, "err", err)
			continue
		}
		lc := bucketLifecycle{s: s, b: b, cfg: cfg, clock: clock, now: now}
		for _, pass := range []func(context.Context) error{lc.current, lc.noncurrent, lc.uploads} {
			if err := pass(ctx); err != nil {
				total.add(lc.stats)
				return total, err
			}
		}
		total.add(lc.stats)
	}
	return total, nil
}

// bucketLifecycle is one bucket's lifecycle pass.
type bucketLifecycle struct {
	s     *Service
	b     *Bucket
	cfg   *lifecycle.Configuration
	clock lifecycle.Clock
	now   time.Time
	stats LifecycleStats
}

func tagMap(tags []Tag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return m
}

// current applies the configuration to every key's current object.
func (lc *bucketLifecycle) current(ctx context.Context) error {
	after := ""
	for {
		var page []*Object
		err := lc.s.st.View(ctx, func(tx store.Tx) error {
			page = page[:0]
			rows, err := tx.Query(ctx, `SELECT object_key, `+objectColumns+` FROM s3_objects WHERE bucket = ? AND object_key > ? ORDER BY object_key LIMIT ?`,
				lc.b.Name, after, lifecyclePage)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				o := &Object{Bucket: lc.b.Name, IsLatest: true}
				r := newRowScan(o)
				if err := rows.Scan(append([]any{&o.Key}, r.dest()...)...); err != nil {
					return err
				}
				if err := r.finish(); err != nil {
					return err
				}
				page = append(page, o)
			}
			return rows.Err()
		})
		if err != nil {
			return err
		}
		for _, o := range page {
			v := lifecycle.Version{Key: o.Key, Tags: tagMap(o.Tags), Size: o.Size, ModTime: o.LastModified, IsLatest: true, StorageClass: o.StorageClass}
			if err := lc.act(ctx, o, lc.clock.Evaluate(lc.cfg, v, lc.now)); err != nil {
				return err
			}
		}
		if len(page) < lifecyclePage {
			return nil
		}
		after = page[len(page)-1].Key
	}
}

// noncurrent applies the configuration to noncurrent versions and delete
// markers, newest first within each key so that each knows how many
// noncurrent versions are newer.
func (lc *bucketLifecycle) noncurrent(ctx context.Context) error {
	cur := versionsCursor{key: "", below: -1}
	first := true
	lastKey, newer := "", 0
	for {
		var page []*Object
		err := lc.s.st.View(ctx, func(tx store.Tx) error {
			page = page[:0]
			op := ">"
			if first {
				op = ">="
			}
			rows, err := tx.Query(ctx, `SELECT object_key, `+versionColumns+` FROM s3_versions
WHERE bucket = ? AND object_key `+op+` ? AND (object_key > ? OR seq < ?) ORDER BY object_key, seq DESC LIMIT ?`,
				lc.b.Name, cur.key, cur.key, cur.below, lifecyclePage)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				o := &Object{Bucket: lc.b.Name}
				r := newRowScan(o)
				var dm int
				var since int64
				if err := rows.Scan(append([]any{&o.Key}, r.dest(&dm, &since)...)...); err != nil {
					return err
				}
				o.DeleteMarker, o.IsLatest = dm != 0, since == 0
				if since != 0 {
					o.noncurrentSince = time.UnixMilli(since).UTC()
				}
				if err := r.finish(); err != nil {
					return err
				}
				page = append(page, o)
			}
			return rows.Err()
		})
		if err != nil {
			return err
		}
		first = false
		for _, o := range page {
			if o.Key != lastKey {
				lastKey, newer = o.Key, 0
			}
			v := lifecycle.Version{Key: o.Key, Tags: tagMap(o.Tags), Size: o.Size, ModTime: o.LastModified, IsLatest: o.IsLatest,
				DeleteMarker: o.DeleteMarker, NoncurrentSince: o.noncurrentSince, NewerNoncurrent: newer, StorageClass: o.StorageClass}
			if o.DeleteMarker && o.IsLatest {
				only, err := lc.onlyVersion(ctx, o.Key)
				if err != nil {
					return err
				}
				v.OnlyVersion = only
			}
			if !o.IsLatest && !o.DeleteMarker {
				newer++
			}
			if err := lc.act(ctx, o, lc.clock.Evaluate(lc.cfg, v, lc.now)); err != nil {
				return err
			}
		}
		if len(page) < lifecyclePage {
			return nil
		}
		last := page[len(page)-1]
		cur = versionsCursor{key: last.Key, below: last.seq}
	}
}

// onlyVersion reports whether a key has exactly one version (a latest
// delete marker with nothing behind it).
func (lc *bucketLifecycle) onlyVersion(ctx context.Context, key string) (bool, error) {
	var n int
	err := lc.s.st.View(ctx, func(tx store.Tx) error {
		return tx.QueryRow(ctx, `SELECT COUNT(*) FROM s3_versions WHERE bucket = ? AND object_key = ?`, lc.b.Name, key).Scan(&n)
	})
	return n == 1, err
}

// act carries out one action on version o.
func (lc *bucketLifecycle) act(ctx context.Context, o *Object, a lifecycle.Action) error {
	s := lc.s
	switch a.Kind {
	case lifecycle.NoAction:
		return nil
	case lifecycle.TransitionCurrent, lifecycle.TransitionNoncurrent:
		done, err := s.transition(ctx, lc.b, o, a.StorageClass)
		if done {
			lc.stats.Transitioned++
		}
		return err
	case lifecycle.ExpireCurrent:
		var rel releases
		err := s.st.Update(ctx, func(tx store.Tx) error {
			rel = nil
			cur, err := sameBucket(ctx, tx, lc.b)
			if err != nil {
				return err
			}
			latest, err := getObject(ctx, tx, cur, o.Key)
			if isNoSuchKey(err) || (err == nil && latest.VersionID != o.VersionID) {
				return errSkip // changed since it was read
			}
			if err != nil {
				return err
			}
			_, rel, err = deleteLatest(ctx, tx, cur, o.Key, lc.now.UTC().Truncate(time.Millisecond))
			return err
		})
		if err == nil {
			lc.stats.Expired++
			s.releaseAll(ctx, rel)
		}
		return skipOK(err)
	case lifecycle.DeleteVersion, lifecycle.RemoveDeleteMarker:
		var rel releases
		locked := false
		err := s.st.Update(ctx, func(tx store.Tx) error {
			rel, locked = nil, false
			if _, err := sameBucket(ctx, tx, lc.b); err != nil {
				return err
			}
			st, found, err := readLock(ctx, tx, lc.b.Name, o.Key, o.VersionID)
			if err != nil || !found {
				return orSkip(err)
			}
			if st.hold || st.retained(lc.now) {
				locked = true
				return errSkip
			}
			found, _, old, err := removeVersion(ctx, tx, lc.b.Name, o.Key, o.VersionID)
			if err == nil && !found {
				return errSkip
			}
			rel.add(old)
			return err
		})
		switch {
		case locked:
			lc.stats.Locked++
		case err == nil && a.Kind == lifecycle.DeleteVersion:
			lc.stats.VersionsDeleted++
		case err == nil:
			lc.stats.MarkersRemoved++
		}
		if err == nil {
			s.releaseAll(ctx, rel)
		}
		return skipOK(err)
	}
	return nil
}

// errSkip ends a lifecycle transaction that found its version changed.
var errSkip = errors.New("s3 lifecycle: version changed; skipped")

func skipOK(err error) error {
	if errors.Is(err, errSkip) || errors.Is(err, ErrNoSuchBucket) {
		return nil
	}
	return err
}

func orSkip(err error) error {
	if err == nil {
		return errSkip
	}
	return err
}

// uploads aborts the bucket's multipart uploads the configuration ends.
func (lc *bucketLifecycle) uploads(ctx context.Context) error {
	type upload struct {
		id, key   string
		initiated time.Time
	}
	var ups []upload
	err := lc.s.st.View(ctx, func(tx store.Tx) error {
		ups = ups[:0]
		rows, err := tx.Query(ctx, `SELECT upload_id, object_key, initiated_at FROM s3_uploads WHERE bucket = ?`, lc.b.Name)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var u upload
			var ms int64
			if err := rows.Scan(&u.id, &u.key, &ms); err != nil {
				return err
			}
			u.initiated = time.UnixMilli(ms).UTC()
			ups = append(ups, u)
		}
		return rows.Err()
	})
	if err != nil {
		return err
	}
	for _, u := range ups {
		if !lc.clock.AbortUpload(lc.cfg, u.key, u.initiated, lc.now) {
			continue
		}
		var blobs []Blob
		err := lc.s.st.Update(ctx, func(tx store.Tx) error {
			blobs = nil
			if _, err := sameBucket(ctx, tx, lc.b); err != nil {
				return err
			}
			n, err := tx.Exec(ctx, `DELETE FROM s3_uploads WHERE upload_id = ?`, u.id)
			if err != nil || n == 0 {
				return orSkip(err)
			}
			blobs, err = deleteParts(ctx, tx, u.id, nil)
			return err
		})
		if err == nil {
			lc.stats.UploadsAborted++
			lc.s.deleteBlobs(ctx, blobs)
		}
		if err := skipOK(err); err != nil {
			return err
		}
	}
	return nil
}
