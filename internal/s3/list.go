package s3

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/nimbuscloud/nimbus/internal/store"
)

// MaxListKeys is the most entries one listing page returns.
const MaxListKeys = 1000

// ListInput is a ListObjects (V1) or ListObjectsV2 request.
type ListInput struct {
	Bucket    string
	Prefix    string
	Delimiter string
	MaxKeys   int  // clamped to MaxListKeys
	MaxKeysIn bool // max-keys was sent (for the s3:max-keys condition key)
	// V1: Marker. V2: StartAfter and ContinuationToken (the token, when
	// valid, wins).
	Marker            string
	StartAfter        string
	ContinuationToken string
}

// ListEntry is one object of a listing.
type ListEntry struct {
	Key          string
	Size         int64
	ETag         string
	LastModified int64 // unix ms
	StorageClass string
	Checksum     string // algorithm
}

// ListOutput is one listing page.
type ListOutput struct {
	Owner                 string // the bucket owner's account
	Entries               []ListEntry
	CommonPrefixes        []string
	IsTruncated           bool
	NextMarker            string // last key or common prefix of a truncated page
	NextContinuationToken string
}

// tokenPrefix versions the opaque continuation token.
const tokenPrefix = "1:"

func encodeToken(after string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(tokenPrefix + after))
}

func decodeToken(tok string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	after, ok := strings.CutPrefix(string(b), tokenPrefix)
	if err != nil || !ok {
		return "", wrap(ErrInvalidArgument, "The continuation token provided is incorrect")
	}
	return after, nil
}

// ListObjects lists a bucket's keys in UTF-8 binary order, rolling keys
// that contain the delimiter after the prefix into common prefixes. The
// page holds at most MaxKeys entries and prefixes together.
func (s *Service) ListObjects(ctx context.Context, in ListInput) (*ListOutput, error) {
	after := in.Marker
	if in.StartAfter != "" {
		after = in.StartAfter
	}
	if in.ContinuationToken != "" {
		t, err := decodeToken(in.ContinuationToken)
		if err != nil {
			return nil, err
		}
		after = t
	}
	if in.MaxKeys < 0 {
		return nil, wrap(ErrInvalidArgument, "max-keys must be a non-negative integer")
	}
	limit := min(in.MaxKeys, MaxListKeys)
	b, err := s.loadBucket(ctx, in.Bucket)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, b, "s3:ListBucket", BucketARN(in.Bucket), listKeys(in.Prefix, in.Delimiter, in.MaxKeys, in.MaxKeysIn)); err != nil {
		return nil, err
	}
	out := &ListOutput{Owner: b.AccountID}
	if limit == 0 {
		return out, nil
	}
	err = s.st.View(ctx, func(tx store.Tx) error {
		out.Entries, out.CommonPrefixes, out.IsTruncated = out.Entries[:0], out.CommonPrefixes[:0], false
		return s.scan(ctx, tx, in, after, limit, out)
	})
	if err != nil {
		return nil, err
	}
	if out.IsTruncated {
		last := out.lastKey()
		out.NextMarker = last
		out.NextContinuationToken = encodeToken(last)
	}
	return out, nil
}

// scan walks keys after `after` (exclusive) with the prefix, restarting
// past each common prefix so that a directory of a million keys costs one
// row, not a million.
func (s *Service) scan(ctx context.Context, tx store.Tx, in ListInput, after string, limit int, out *ListOutput) error {
	from, inclusive := after, false
	if in.Prefix > from {
		from, inclusive = in.Prefix, true
	}
	count := 0
	for {
		op := ">"
		if inclusive {
			op = ">="
		}
		rows, err := tx.Query(ctx, `SELECT object_key, size, etag, modified_at, storage_class, checksum_alg FROM s3_objects
WHERE bucket = ? AND object_key `+op+` ? ORDER BY object_key LIMIT ?`, in.Bucket, from, limit-count+1)
		if err != nil {
			return err
		}
		restart := ""
		for rows.Next() {
			var e ListEntry
			if err := rows.Scan(&e.Key, &e.Size, &e.ETag, &e.LastModified, &e.StorageClass, &e.Checksum); err != nil {
				rows.Close()
				return err
			}
			if !strings.HasPrefix(e.Key, in.Prefix) {
				rows.Close()
				return nil // past the prefix: done
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
			out.Entries = append(out.Entries, e)
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
			from, inclusive = restart, false
		} else {
			from, inclusive = next, true
		}
	}
}

// successor is the smallest string greater than every string with prefix
// p: p with its last byte incremented (false when that byte is 0xff, which
// UTF-8 never contains).
func successor(p string) (string, bool) {
	if p == "" || p[len(p)-1] == 0xff {
		return "", false
	}
	return p[:len(p)-1] + string([]byte{p[len(p)-1] + 1}), true
}

// lastKey is the last entry or prefix of the page.
func (out *ListOutput) lastKey() string {
	last := ""
	if n := len(out.Entries); n > 0 {
		last = out.Entries[n-1].Key
	}
	if n := len(out.CommonPrefixes); n > 0 && out.CommonPrefixes[n-1] > last {
		last = out.CommonPrefixes[n-1]
	}
	return last
}

// listKeys are a listing's condition keys (s3:prefix, s3:delimiter,
// s3:max-keys), each only when the request set it.
func listKeys(prefix, delimiter string, maxKeys int, maxKeysIn bool) map[string][]string {
	keys := map[string][]string{}
	if prefix != "" {
		keys["s3:prefix"] = []string{prefix}
	}
	if delimiter != "" {
		keys["s3:delimiter"] = []string{delimiter}
	}
	if maxKeysIn {
		keys["s3:max-keys"] = []string{strconv.Itoa(maxKeys)}
	}
	return keys
}
