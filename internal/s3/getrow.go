package s3

import (
	"context"
	"errors"
	"time"

	"github.com/nimbuscloud/nimbus/internal/store"
)

// bucketObjectQuery reads a bucket's row and a key's current object row
// in one statement, GetObject's hot path. With no object row, the object
// columns are NULL, coalesced to zero values, and found is false. The
// object columns are objectColumns, in order, each qualified by o (a
// column added to objectColumns must be added here too; Scan's column
// count catches a miss).
const bucketObjectQuery = `SELECT ` + bucketColumns + `, o.object_key IS NOT NULL,
COALESCE(o.size, 0), COALESCE(o.etag, ''), COALESCE(o.content_type, ''), COALESCE(o.content_encoding, ''),
COALESCE(o.content_disposition, ''), COALESCE(o.content_language, ''), COALESCE(o.cache_control, ''), COALESCE(o.expires, ''),
COALESCE(o.metadata, ''), COALESCE(o.checksum_alg, ''), COALESCE(o.checksum, ''), COALESCE(o.storage_class, ''),
COALESCE(o.modified_at, 0), o.blob_id, o.blob_ref, o.inline_body, o.multipart_id, COALESCE(o.parts_count, 0), COALESCE(o.tags, ''),
COALESCE(o.version_id, ''), COALESCE(o.seq, 0), COALESCE(o.lock_mode, ''), COALESCE(o.lock_until, 0), COALESCE(o.legal_hold, 0),
COALESCE(o.sse, ''), o.sse_key, COALESCE(o.sse_key_md5, '')
FROM s3_buckets b LEFT JOIN s3_objects o ON o.bucket = b.name AND o.object_key = ? WHERE b.name = ?`

// getBucketObject reads a bucket and its key's current object in one
// statement: NoSuchBucket, or the bucket with ErrNoSuchKey when the key
// has no current object.
func getBucketObject(ctx context.Context, tx store.Tx, bucket, key string) (*Bucket, *Object, error) {
	b := &Bucket{Name: bucket}
	o := &Object{Bucket: bucket, Key: key, IsLatest: true}
	r := newRowScan(o)
	var created int64
	var found bool
	err := tx.QueryRow(ctx, bucketObjectQuery, key, bucket).Scan(append(append(b.dest(&created), &found), r.dest()...)...)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, noSuchBucket()
	}
	if err != nil {
		return nil, nil, err
	}
	b.Created = time.UnixMilli(created).UTC()
	if !found {
		return b, nil, wrap(ErrNoSuchKey, "The specified key does not exist.")
	}
	o.Owner, o.Versioning = b.AccountID, b.Versioning
	return b, o, r.finish()
}
