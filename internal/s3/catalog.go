package s3

import (
	"context"
	"errors"

	"github.com/nimbuscloud/nimbus/internal/store"
)

// liveBatch is how many blob refs one catalog transaction reads.
const liveBatch = 1000

// LiveBlobs calls fn with the marshalled ref of every blob a committed
// row names: single-PUT object bodies, then the parts of in-progress
// uploads and of completed multipart objects (each table in blob ID
// order), reading in short transactions so a long scrub never holds one
// open. It serves the engine's Catalog.
func (s *Service) LiveBlobs(ctx context.Context, fn func(ref []byte) error) error {
	for _, table := range []string{"s3_objects", "s3_parts"} {
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
		err := tx.QueryRow(ctx, `SELECT 1 FROM s3_objects WHERE blob_id = ? LIMIT 1`, id).Scan(&one)
		if errors.Is(err, store.ErrNotFound) {
			err = tx.QueryRow(ctx, `SELECT 1 FROM s3_parts WHERE blob_id = ? LIMIT 1`, id).Scan(&one)
		}
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}
