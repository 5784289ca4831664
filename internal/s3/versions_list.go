package s3

import (
	"context"
	"errors"
	"math"
	"strings"

	"github.com/nimbuscloud/nimbus/internal/store"
)

// VersionsInput is a ListObjectVersions request.
type VersionsInput struct {
	Bucket          string
	Prefix          string
	Delimiter       string
	MaxKeys         int
	MaxKeysIn       bool
	KeyMarker       string
	VersionIDMarker string
}

// VersionEntry is one version (or delete marker) of a listing.
type VersionEntry struct {
	ListEntry
	VersionID    string
	IsLatest     bool
	DeleteMarker bool
}

// VersionsOutput is one ListObjectVersions page.
type VersionsOutput struct {
	Owner               string
	Versions            []VersionEntry // versions and delete markers, in order
	CommonPrefixes      []string
	IsTruncated         bool
	NextKeyMarker       string
	NextVersionIDMarker string
}

// versionsCursor is where a versions scan resumes: keys >= key, and within
// key only versions with seq < below (math.MaxInt64: the whole key; -1:
// none of it, i.e. strictly after key).
type versionsCursor struct {
	key   string
	below int64
}

// ListObjectVersions lists every version and delete marker of a bucket's
// keys: keys in UTF-8 binary order, each key's versions newest first,
// keys containing the delimiter after the prefix rolled into common
// prefixes.
func (s *Service) ListObjectVersions(ctx context.Context, in VersionsInput) (*VersionsOutput, error) {
	if in.MaxKeys < 0 {
		return nil, wrap(ErrInvalidArgument, "max-keys must be a non-negative integer")
	}
	if in.VersionIDMarker != "" && in.KeyMarker == "" {
		return nil, wrap(ErrInvalidArgument, "A version-id marker cannot be specified without a key marker.")
	}
	if in.VersionIDMarker != "" {
		if err := checkVersionID(in.VersionIDMarker); err != nil {
			return nil, err
		}
	}
	limit := min(in.MaxKeys, MaxListKeys)
	b, err := s.loadBucket(ctx, in.Bucket)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, b, "s3:ListBucketVersions", BucketARN(in.Bucket), listKeys(in.Prefix, in.Delimiter, in.MaxKeys, in.MaxKeysIn)); err != nil {
		return nil, err
	}
	out := &VersionsOutput{Owner: b.AccountID}
	if limit == 0 {
		return out, nil
	}
	err = s.st.View(ctx, func(tx store.Tx) error {
		out.Versions, out.CommonPrefixes, out.IsTruncated = out.Versions[:0], out.CommonPrefixes[:0], false
		out.NextKeyMarker, out.NextVersionIDMarker = "", ""
		c := versionsCursor{key: in.KeyMarker, below: -1}
		if in.VersionIDMarker != "" {
			seq, err := versionSeq(ctx, tx, in.Bucket, in.KeyMarker, in.VersionIDMarker)
			if err != nil {
				return err
			}
			c.below = seq
		}
		if in.Prefix > c.key {
			c = versionsCursor{key: in.Prefix, below: math.MaxInt64}
		}
		if err := scanVersions(ctx, tx, in, c, limit, out); err != nil {
			return err
		}
		if !out.IsTruncated {
			out.NextKeyMarker, out.NextVersionIDMarker = "", ""
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// versionSeq is the seq of a version named by a marker.
func versionSeq(ctx context.Context, tx store.Tx, bucket, key, vid string) (int64, error) {
	var seq int64
	var err error
	for _, table := range []string{"s3_objects", "s3_versions"} {
		err = tx.QueryRow(ctx, `SELECT seq FROM `+table+` WHERE bucket = ? AND object_key = ? AND version_id = ?`, bucket, key, vid).Scan(&seq)
		if !errors.Is(err, store.ErrNotFound) {
			break
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		return 0, wrap(ErrInvalidArgument, "Invalid version id specified")
	}
	return seq, err
}

// versionsQuery reads both tables from a cursor in listing order.
const versionsQuery = `SELECT object_key, version_id, seq, delete_marker, size, etag, modified_at, storage_class, checksum_alg FROM (
SELECT object_key, version_id, seq, 0 AS delete_marker, size, etag, modified_at, storage_class, checksum_alg FROM s3_objects
 WHERE bucket = ? AND object_key >= ? AND (object_key > ? OR seq < ?)
UNION ALL
SELECT object_key, version_id, seq, delete_marker, size, etag, modified_at, storage_class, checksum_alg FROM s3_versions
 WHERE bucket = ? AND object_key >= ? AND (object_key > ? OR seq < ?)
) AS v ORDER BY object_key, seq DESC LIMIT ?`

// scanVersions fills a page from cursor c, restarting past each common
// prefix as ListObjects' scan does. The first row of a key is its latest
// version unless the scan resumed inside that key.
func scanVersions(ctx context.Context, tx store.Tx, in VersionsInput, c versionsCursor, limit int, out *VersionsOutput) error {
	count := 0
	after := in.KeyMarker // common prefixes at or before the marker were listed
	for {
		rows, err := tx.Query(ctx, versionsQuery, in.Bucket, c.key, c.key, c.below, in.Bucket, c.key, c.key, c.below, limit-count+1)
		if err != nil {
			return err
		}
		restart, lastKey := "", ""
		resumedInside := c.below != math.MaxInt64 && c.below >= 0
		for rows.Next() {
			var e VersionEntry
			var seq int64
			var dm int
			if err := rows.Scan(&e.Key, &e.VersionID, &seq, &dm, &e.Size, &e.ETag, &e.LastModified, &e.StorageClass, &e.Checksum); err != nil {
				rows.Close()
				return err
			}
			e.DeleteMarker = dm != 0
			e.IsLatest = e.Key != lastKey && !(resumedInside && e.Key == c.key)
			lastKey = e.Key
			if !strings.HasPrefix(e.Key, in.Prefix) {
				rows.Close()
				return nil
			}
			if in.Delimiter != "" {
				if i := strings.Index(e.Key[len(in.Prefix):], in.Delimiter); i >= 0 {
					cp := e.Key[:len(in.Prefix)+i+len(in.Delimiter)]
					if cp > after {
						if count == limit {
							out.IsTruncated = true
							rows.Close()
							return nil
						}
						out.CommonPrefixes = append(out.CommonPrefixes, cp)
						out.NextKeyMarker, out.NextVersionIDMarker = cp, ""
						count++
					}
					restart = cp
					break
				}
			}
			if count == limit {
				out.IsTruncated = true
				rows.Close()
				return nil
			}
			out.Versions = append(out.Versions, e)
			out.NextKeyMarker, out.NextVersionIDMarker = e.Key, e.VersionID
			count++
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if restart == "" {
			return nil // fewer rows than asked for: the bucket ended
		}
		next, ok := successor(restart)
		if !ok {
			c = versionsCursor{key: restart, below: -1}
		} else {
			c = versionsCursor{key: next, below: math.MaxInt64}
		}
	}
}
