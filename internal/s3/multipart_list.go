package s3

import (
	"context"
	"strings"
	"time"

	"github.com/nimbuscloud/nimbus/internal/checksum"
	"github.com/nimbuscloud/nimbus/internal/store"
)

// ListParts lists an upload's parts in part-number order.
func (s *Service) ListParts(ctx context.Context, in ListPartsInput) (*PartList, error) {
	if in.MaxParts <= 0 || in.MaxParts > MaxListParts {
		in.MaxParts = MaxListParts
	}
	_, u, err := s.loadUpload(ctx, in.Bucket, in.Key, in.UploadID, "s3:ListMultipartUploadParts")
	if err != nil {
		return nil, err
	}
	out := &PartList{Upload: *u, PartNumberMarker: in.PartNumberMarker, MaxParts: in.MaxParts}
	err = s.st.View(ctx, func(tx store.Tx) error {
		out.Parts = out.Parts[:0]
		rows, err := tx.Query(ctx, `SELECT part_number, size, etag, checksum_alg, checksum, modified_at FROM s3_parts
WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?`, in.UploadID, in.PartNumberMarker, in.MaxParts+1)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var p Part
			var alg string
			var mod int64
			if err := rows.Scan(&p.Number, &p.Size, &p.ETag, &alg, &p.Checksum, &mod); err != nil {
				return err
			}
			p.ChecksumAlgorithm, p.LastModified = checksum.Algorithm(alg), time.UnixMilli(mod).UTC()
			out.Parts = append(out.Parts, p)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	if len(out.Parts) > in.MaxParts {
		out.Parts, out.IsTruncated = out.Parts[:in.MaxParts], true
	}
	if n := len(out.Parts); n > 0 {
		out.NextPartNumberMarker = out.Parts[n-1].Number
	}
	return out, nil
}

// ListUploadsInput is a ListMultipartUploads request.
type ListUploadsInput struct {
	Bucket, Prefix, Delimiter string
	KeyMarker, UploadIDMarker string
	MaxUploads                int // MaxListUploads when 0 or larger
}

// UploadList is a page of ListMultipartUploads.
type UploadList struct {
	Owner                             string
	NextKeyMarker, NextUploadIDMarker string
	IsTruncated                       bool
	Uploads                           []Upload
	CommonPrefixes                    []string
	MaxUploads                        int
}

// ListMultipartUploads lists a bucket's in-progress uploads in key order,
// then upload ID order within a key (this server's upload IDs are
// random, so that order is stable but not the initiation order).
func (s *Service) ListMultipartUploads(ctx context.Context, in ListUploadsInput) (*UploadList, error) {
	if in.MaxUploads <= 0 || in.MaxUploads > MaxListUploads {
		in.MaxUploads = MaxListUploads
	}
	b, err := s.Bucket(ctx, in.Bucket, "s3:ListBucketMultipartUploads")
	if err != nil {
		return nil, err
	}
	out := &UploadList{Owner: b.AccountID, MaxUploads: in.MaxUploads}
	// The cursor: keys from start (no marker), keys after key (a key
	// marker alone), or the same key with upload IDs after id.
	const (
		from = iota
		afterKey
		afterUpload
	)
	mode, key, id := from, "", ""
	switch {
	case in.KeyMarker == "":
		key = in.Prefix
	case in.UploadIDMarker == "":
		mode, key = afterKey, in.KeyMarker
	default:
		mode, key, id = afterUpload, in.KeyMarker, in.UploadIDMarker
	}
	skipPrefix := ""
	if in.Delimiter != "" && in.KeyMarker != "" && strings.HasPrefix(in.KeyMarker, in.Prefix) &&
		strings.HasSuffix(in.KeyMarker, in.Delimiter) && in.UploadIDMarker == "" {
		skipPrefix = in.KeyMarker // the marker is a common prefix already returned
	}
	lastCP := ""
	count := 0
	const batch = 1000
	for done := false; !done; {
		var ups []Upload
		err := s.st.View(ctx, func(tx store.Tx) error {
			ups = ups[:0]
			var rows store.Rows
			var err error
			switch mode {
			case from:
				rows, err = tx.Query(ctx, `SELECT `+uploadColumns+` FROM s3_uploads WHERE bucket = ? AND object_key >= ? ORDER BY object_key, upload_id LIMIT ?`, in.Bucket, key, batch)
			case afterKey:
				rows, err = tx.Query(ctx, `SELECT `+uploadColumns+` FROM s3_uploads WHERE bucket = ? AND object_key > ? ORDER BY object_key, upload_id LIMIT ?`, in.Bucket, key, batch)
			default:
				rows, err = tx.Query(ctx, `SELECT `+uploadColumns+` FROM s3_uploads WHERE bucket = ? AND (object_key > ? OR (object_key = ? AND upload_id > ?)) ORDER BY object_key, upload_id LIMIT ?`,
					in.Bucket, key, key, id, batch)
			}
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				u, err := scanUpload(rows)
				if err != nil {
					return err
				}
				ups = append(ups, *u)
			}
			return rows.Err()
		})
		if err != nil {
			return nil, err
		}
		mode = afterUpload
		if len(ups) < batch {
			done = true
		}
		for _, u := range ups {
			key, id = u.Key, u.UploadID
			if !strings.HasPrefix(u.Key, in.Prefix) {
				if u.Key > in.Prefix {
					done = true
					break
				}
				continue
			}
			if skipPrefix != "" && strings.HasPrefix(u.Key, skipPrefix) {
				continue
			}
			cp := ""
			if in.Delimiter != "" {
				if i := strings.Index(u.Key[len(in.Prefix):], in.Delimiter); i >= 0 {
					cp = u.Key[:len(in.Prefix)+i+len(in.Delimiter)]
				}
			}
			if cp != "" && cp == lastCP {
				continue
			}
			if count == in.MaxUploads {
				out.IsTruncated = true
				done = true
				break
			}
			count++
			if cp != "" {
				lastCP = cp
				out.CommonPrefixes = append(out.CommonPrefixes, cp)
				out.NextKeyMarker, out.NextUploadIDMarker = cp, ""
				continue
			}
			u.Owner = b.AccountID
			out.Uploads = append(out.Uploads, u)
			out.NextKeyMarker, out.NextUploadIDMarker = u.Key, u.UploadID
		}
	}
	if !out.IsTruncated {
		out.NextKeyMarker, out.NextUploadIDMarker = "", ""
	}
	return out, nil
}
