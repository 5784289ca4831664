package s3

import (
	"context"
	"errors"

	"github.com/nimbuscloud/nimbus/internal/checksum"
	"github.com/nimbuscloud/nimbus/internal/store"
)

// liveBatch is how many blob refs one catalog transaction reads.
const liveBatch = 1000

// LiveBlobs calls fn with the marshalled ref of every blob a committed
// row names: single-PUT object bodies (current, then noncurrent versions), then the parts of in-progress
// uploads and of completed multipart objects (each table in blob ID
// order), reading in short transactions so a long scrub never holds one
// open. It serves the engine's Catalog.
func (s *Service) LiveBlobs(ctx context.Context, fn func(ref []byte) error) error {
	for _, table := range []string{"s3_objects", "s3_versions", "s3_parts"} {
		if err := s.liveBlobs(ctx, table, fn); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) liveBlobs(ctx context.Context, table string, fn func(ref []byte) error) error {
	after := ""
	for {
		var refs [][]byte
		var last string
		err := s.st.View(ctx, func(tx store.Tx) error {
			refs, last = refs[:0], ""
			rows, err := tx.Query(ctx, `SELECT blob_id, blob_ref FROM `+table+` WHERE blob_id > ? ORDER BY blob_id LIMIT ?`, after, liveBatch)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var id string
				var ref []byte
				if err := rows.Scan(&id, &ref); err != nil {
					return err
				}
				refs, last = append(refs, ref), id
			}
			return rows.Err()
		})
		if err != nil {
			return err
		}
		for _, r := range refs {
			if err := fn(r); err != nil {
				return err
			}
		}
		if len(refs) < liveBatch {
			return nil
		}
		after = last
	}
}

// BlobLive reports whether a committed row (an object, or a part of an
// upload or of a multipart object) names the blob.
func (s *Service) BlobLive(ctx context.Context, id string) (bool, error) {
	var one int
	err := s.st.View(ctx, func(tx store.Tx) error {
		var err error
		for _, table := range []string{"s3_objects", "s3_versions", "s3_parts"} {
			err = tx.QueryRow(ctx, `SELECT 1 FROM `+table+` WHERE blob_id = ? LIMIT 1`, id).Scan(&one)
			if !errors.Is(err, store.ErrNotFound) {
				break
			}
		}
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// VerifyInline checks every body kept in a row (small objects, and small
// parts of uploads and of multipart objects) against its MD5, as the
// engine's scrubber checks shards, reading in short transactions of
// liveBatch rows. A corrupt body is logged and counted, not repaired:
// there is no other copy of an inline body.
func (s *Service) VerifyInline(ctx context.Context) (checked, corrupt int, err error) {
	type inlineRow struct {
		a, b      string // the row's key, for logging and paging
		c         int64
		size      int64
		sse       string
		sseKey    []byte
		etag, alg string
		sum       string
		body      []byte
	}
	tables := []struct {
		name, query string
	}{
		{"s3_objects", `SELECT bucket, object_key, seq, size, sse, sse_key, etag, checksum_alg, checksum, inline_body FROM s3_objects
WHERE inline_body IS NOT NULL AND (bucket > ? OR (bucket = ? AND (object_key > ? OR (object_key = ? AND seq > ?))))
ORDER BY bucket, object_key, seq LIMIT ?`},
		{"s3_versions", `SELECT bucket, object_key, seq, size, sse, sse_key, etag, checksum_alg, checksum, inline_body FROM s3_versions
WHERE inline_body IS NOT NULL AND (bucket > ? OR (bucket = ? AND (object_key > ? OR (object_key = ? AND seq > ?))))
ORDER BY bucket, object_key, seq LIMIT ?`},
		{"s3_parts", `SELECT upload_id, '', part_number, size, CASE WHEN sse_key IS NULL THEN '' ELSE 'AES256' END, sse_key, etag, checksum_alg, checksum, inline_body FROM s3_parts
WHERE inline_body IS NOT NULL AND (upload_id > ? OR (upload_id = ? AND ('' > ? OR ('' = ? AND part_number > ?))))
ORDER BY upload_id, part_number LIMIT ?`},
	}
	for _, t := range tables {
		a, b, c := "", "", int64(-1)
		for {
			var batch []inlineRow
			err := s.st.View(ctx, func(tx store.Tx) error {
				batch = batch[:0]
				rows, err := tx.Query(ctx, t.query, a, a, b, b, c, liveBatch)
				if err != nil {
					return err
				}
				defer rows.Close()
				for rows.Next() {
					var r inlineRow
					if err := rows.Scan(&r.a, &r.b, &r.c, &r.size, &r.sse, &r.sseKey, &r.etag, &r.alg, &r.sum, &r.body); err != nil {
						return err
					}
					batch = append(batch, r)
				}
				return rows.Err()
			})
			if err != nil {
				return checked, corrupt, err
			}
			for _, r := range batch {
				if r.sse == SSEC {
					continue // only its owner's key opens it
				}
				checked++
				ctxStr := objectKeyContext(r.a, r.b)
				if t.name == "s3_parts" {
					ctxStr = partKeyContext(r.a, int(r.c))
				}
				body, verr := r.body, error(nil)
				if key, kerr := s.dataKey(r.sse, r.sseKey, ctxStr, nil); kerr != nil {
					verr = kerr
				} else {
					body, verr = s.plainInline(key, r.body, r.size)
				}
				if verr == nil {
					verr = verifyBody(body, r.etag, checksum.Algorithm(r.alg), r.sum)
				}
				if verr != nil {
					corrupt++
					s.log.Error("s3: inline body failed verification", "table", t.name, "key", r.a+"/"+r.b, "seq", r.c, "err", verr)
				}
			}
			if len(batch) < liveBatch {
				break
			}
			last := batch[len(batch)-1]
			a, b, c = last.a, last.b, last.c
		}
	}
	return checked, corrupt, nil
}
