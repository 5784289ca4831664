package s3

import (
	"context"
	"crypto/rand"
	"errors"
	"time"

	"github.com/nimbuscloud/nimbus/internal/store"
)

// nullVersion is the ID of versions written while a bucket was unversioned
// or suspended.
const nullVersion = "null"

// Versioning states of a bucket.
const (
	VersioningEnabled   = "Enabled"
	VersioningSuspended = "Suspended"
)

// newVersionID returns a fresh version ID: 26 characters of base32
// (128 random bits), which need no escaping in URLs or XML.
func newVersionID() string { return rand.Text() }

// checkVersionID accepts "null" and IDs of newVersionID's shape; anything
// else is S3's 400 InvalidArgument.
func checkVersionID(v string) error {
	if v == nullVersion {
		return nil
	}
	if len(v) == 26 {
		ok := true
		for i := 0; i < len(v); i++ {
			c := v[i]
			if (c < 'A' || c > 'Z') && (c < '2' || c > '7') {
				ok = false
				break
			}
		}
		if ok {
			return nil
		}
	}
	return wrap(ErrInvalidArgument, "Invalid version id specified")
}

// versionColumns are objectColumns of s3_versions, then its own two.
const versionColumns = objectColumns + `, delete_marker, noncurrent_since`

// releases collects the bodies a change released.
type releases []*released

func (r *releases) add(x *released) {
	if x != nil {
		*r = append(*r, x)
	}
}

// nextSeq is the next version sequence number of a key.
func nextSeq(ctx context.Context, tx store.Tx, bucket, key string) (int64, error) {
	var a, b int64
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM s3_objects WHERE bucket = ? AND object_key = ?`, bucket, key).Scan(&a); err != nil {
		return 0, err
	}
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM s3_versions WHERE bucket = ? AND object_key = ?`, bucket, key).Scan(&b); err != nil {
		return 0, err
	}
	return max(a, b) + 1, nil
}

// demote makes the key's latest version noncurrent as of now: the
// current object row (if any) moves to s3_versions, and a latest delete
// marker (if any) gets its noncurrent time.
func demote(ctx context.Context, tx store.Tx, bucket, key string, now int64) error {
	if _, err := tx.Exec(ctx, `UPDATE s3_versions SET noncurrent_since = ? WHERE bucket = ? AND object_key = ? AND noncurrent_since = 0`, now, bucket, key); err != nil {
		return err
	}
	n, err := tx.Exec(ctx, `INSERT INTO s3_versions (bucket, object_key, `+versionColumns+`)
SELECT bucket, object_key, `+objectColumns+`, 0, ? FROM s3_objects WHERE bucket = ? AND object_key = ?`, now, bucket, key)
	if err != nil || n == 0 {
		return err
	}
	_, err = tx.Exec(ctx, `DELETE FROM s3_objects WHERE bucket = ? AND object_key = ?`, bucket, key)
	return err
}

// promote makes the newest remaining version of a key its latest, after
// the latest was deleted: an object moves back to s3_objects, a delete
// marker stays where it is, marked latest.
func promote(ctx context.Context, tx store.Tx, bucket, key string) error {
	var seq int64
	var dm int
	err := tx.QueryRow(ctx, `SELECT seq, delete_marker FROM s3_versions WHERE bucket = ? AND object_key = ? ORDER BY seq DESC LIMIT 1`, bucket, key).Scan(&seq, &dm)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if dm != 0 {
		_, err = tx.Exec(ctx, `UPDATE s3_versions SET noncurrent_since = 0 WHERE bucket = ? AND object_key = ? AND seq = ?`, bucket, key, seq)
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO s3_objects (bucket, object_key, `+objectColumns+`)
SELECT bucket, object_key, `+objectColumns+` FROM s3_versions WHERE bucket = ? AND object_key = ? AND seq = ?`, bucket, key, seq); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `DELETE FROM s3_versions WHERE bucket = ? AND object_key = ? AND seq = ?`, bucket, key, seq)
	return err
}

// removeVersion deletes one version of a key, wherever it is, and promotes
// the next one when it was the latest. It reports whether the version
// existed and was a delete marker, and the body it released.
func removeVersion(ctx context.Context, tx store.Tx, bucket, key, vid string) (found, marker bool, rel *released, err error) {
	var blobID, mpID *string
	var ref []byte
	err = tx.QueryRow(ctx, `DELETE FROM s3_objects WHERE bucket = ? AND object_key = ? AND version_id = ? RETURNING blob_id, blob_ref, multipart_id`,
		bucket, key, vid).Scan(&blobID, &ref, &mpID)
	latest := err == nil
	if errors.Is(err, store.ErrNotFound) {
		var dm int
		var since int64
		err = tx.QueryRow(ctx, `DELETE FROM s3_versions WHERE bucket = ? AND object_key = ? AND version_id = ? RETURNING blob_id, blob_ref, multipart_id, delete_marker, noncurrent_since`,
			bucket, key, vid).Scan(&blobID, &ref, &mpID, &dm, &since)
		marker, latest = dm != 0, since == 0
	}
	if errors.Is(err, store.ErrNotFound) {
		return false, false, nil, nil
	}
	if err != nil {
		return false, false, nil, err
	}
	if rel, err = dropBody(ctx, tx, blobID, mpID, ref); err != nil {
		return false, false, nil, err
	}
	if rel != nil {
		rel.obj = openPin(bucket, key)
	}
	if latest {
		if err := promote(ctx, tx, bucket, key); err != nil {
			return false, false, nil, err
		}
	}
	return true, marker, rel, nil
}

// writeVersion commits o as its key's latest version under the bucket's
// versioning state (cur, read in tx), and returns the bodies it released:
// unversioned, o replaces the key's row; enabled, the latest version
// becomes noncurrent and o gets a new version ID; suspended, o is the
// "null" version, replacing any earlier "null" version of the key.
func writeVersion(ctx context.Context, tx store.Tx, cur *Bucket, o *Object) (releases, error) {
	var rel releases
	o.Versioning = cur.Versioning
	if cur.Versioning == "" {
		o.VersionID, o.seq = nullVersion, 0
		old, err := putRow(ctx, tx, o)
		rel.add(old)
		return rel, err
	}
	o.VersionID = newVersionID()
	if cur.Versioning == VersioningSuspended {
		o.VersionID = nullVersion
		_, _, old, err := removeVersion(ctx, tx, o.Bucket, o.Key, nullVersion)
		if err != nil {
			return nil, err
		}
		rel.add(old)
	}
	seq, err := nextSeq(ctx, tx, o.Bucket, o.Key)
	if err != nil {
		return nil, err
	}
	o.seq = seq
	if err := demote(ctx, tx, o.Bucket, o.Key, o.LastModified.UnixMilli()); err != nil {
		return nil, err
	}
	old, err := putRow(ctx, tx, o)
	rel.add(old)
	return rel, err
}

// DeleteOutcome is what a delete did: the version it created (a delete
// marker) or removed, and whether that version is a delete marker.
type DeleteOutcome struct {
	VersionID    string
	DeleteMarker bool
}

// deleteLatest deletes a key without a version ID: unversioned, its row
// goes; otherwise a delete marker becomes its latest version ("null" when
// suspended, replacing the key's "null" version).
func deleteLatest(ctx context.Context, tx store.Tx, cur *Bucket, key string, now time.Time) (DeleteOutcome, releases, error) {
	var rel releases
	if cur.Versioning == "" {
		old, err := deleteRow(ctx, tx, cur.Name, key)
		rel.add(old)
		return DeleteOutcome{}, rel, err
	}
	vid := newVersionID()
	if cur.Versioning == VersioningSuspended {
		vid = nullVersion
		_, _, old, err := removeVersion(ctx, tx, cur.Name, key, nullVersion)
		if err != nil {
			return DeleteOutcome{}, nil, err
		}
		rel.add(old)
	}
	seq, err := nextSeq(ctx, tx, cur.Name, key)
	if err != nil {
		return DeleteOutcome{}, nil, err
	}
	ms := now.UnixMilli()
	if err := demote(ctx, tx, cur.Name, key, ms); err != nil {
		return DeleteOutcome{}, nil, err
	}
	_, err = tx.Exec(ctx, `INSERT INTO s3_versions (bucket, object_key, seq, version_id, delete_marker, noncurrent_since, size, etag, storage_class, modified_at)
VALUES (?, ?, ?, ?, 1, 0, 0, '', 'STANDARD', ?)`, cur.Name, key, seq, vid, ms)
	if err != nil {
		return DeleteOutcome{}, nil, err
	}
	return DeleteOutcome{VersionID: vid, DeleteMarker: true}, rel, nil
}

// getVersion reads one version of a key, ErrNoSuchVersion when absent. A
// delete marker comes back with DeleteMarker set and no body.
func getVersion(ctx context.Context, tx store.Tx, b *Bucket, key, vid string) (*Object, error) {
	o := &Object{Bucket: b.Name, Key: key, Owner: b.AccountID, IsLatest: true, Versioning: b.Versioning}
	r := newRowScan(o)
	err := tx.QueryRow(ctx, `SELECT `+objectColumns+` FROM s3_objects WHERE bucket = ? AND object_key = ? AND version_id = ?`, b.Name, key, vid).Scan(r.dest()...)
	if errors.Is(err, store.ErrNotFound) {
		var dm int
		var since int64
		err = tx.QueryRow(ctx, `SELECT `+versionColumns+` FROM s3_versions WHERE bucket = ? AND object_key = ? AND version_id = ?`, b.Name, key, vid).
			Scan(r.dest(&dm, &since)...)
		o.DeleteMarker, o.IsLatest = dm != 0, since == 0
		if since != 0 {
			o.noncurrentSince = time.UnixMilli(since).UTC()
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, wrap(ErrNoSuchVersion, "The specified version does not exist.")
	}
	if err != nil {
		return nil, err
	}
	return o, r.finish()
}

// latestMarker returns the key's latest delete marker when the key has no
// current object (nil when it has no versions at all).
func latestMarker(ctx context.Context, tx store.Tx, b *Bucket, key string) (*Object, error) {
	o := &Object{Bucket: b.Name, Key: key, Owner: b.AccountID, IsLatest: true, DeleteMarker: true, Versioning: b.Versioning}
	var modified int64
	var dm int
	err := tx.QueryRow(ctx, `SELECT version_id, delete_marker, modified_at FROM s3_versions WHERE bucket = ? AND object_key = ? ORDER BY seq DESC LIMIT 1`,
		b.Name, key).Scan(&o.VersionID, &dm, &modified)
	if errors.Is(err, store.ErrNotFound) || (err == nil && dm == 0) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	o.LastModified = time.UnixMilli(modified).UTC()
	return o, nil
}
