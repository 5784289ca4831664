package s3

import (
	"context"
	"encoding/json"
	"errors"
	"unicode/utf8"

	"time"

	"github.com/nimbuscloud/nimbus/internal/checksum"
	"github.com/nimbuscloud/nimbus/internal/store"
)

// MaxKeyLength is S3's key limit in UTF-8 bytes.
const MaxKeyLength = 1024

// MaxMetadataSize bounds user metadata: the sum of the UTF-8 bytes of every
// key and value.
const MaxMetadataSize = 2 << 10

// Headers are the Content-* and related headers stored with an object.
type Headers struct {
	ContentType        string
	ContentEncoding    string
	ContentDisposition string
	ContentLanguage    string
	CacheControl       string
	Expires            string
}

// Object is an object's metadata, and for GetObject the part of its body
// to send.
type Object struct {
	Bucket, Key  string
	Size         int64
	ETag         string // hex, unquoted
	LastModified time.Time
	Headers
	Metadata          map[string]string // x-amz-meta-* without the prefix, lower-case names
	ChecksumAlgorithm checksum.Algorithm
	Checksum          string // base64
	StorageClass      string
	Owner             string // the bucket owner's account

	// Set by GetObject:
	Partial       bool  // a Range was applied (206)
	Start, Length int64 // the bytes WriteTo sends

	inline []byte
	blobID string
	ref    []byte
	svc    *Service
	pinned bool
}

// StorageClasses are the classes objects may be stored in.
var StorageClasses = []string{"STANDARD", "STANDARD_IA", "GLACIER_IR"}

func checkStorageClass(c string) (string, error) {
	if c == "" {
		return "STANDARD", nil
	}
	for _, k := range StorageClasses {
		if c == k {
			return c, nil
		}
	}
	return "", wrap(ErrInvalidStorageClass, "The storage class you specified is not valid")
}

// checkKey applies S3's key rules.
func checkKey(key string) error {
	if len(key) > MaxKeyLength {
		return wrap(ErrKeyTooLong, "Your key is too long")
	}
	if key == "" || !utf8.ValidString(key) {
		return wrap(ErrInvalidArgument, "Object key must be a non-empty UTF-8 string")
	}
	return nil
}

func checkMetadata(m map[string]string) error {
	n := 0
	for k, v := range m {
		n += len(k) + len(v)
	}
	if n > MaxMetadataSize {
		return wrap(ErrMetadataTooLarge, "Your metadata headers exceed the maximum allowed metadata size")
	}
	return nil
}

const objectColumns = `size, etag, content_type, content_encoding, content_disposition, content_language, cache_control, expires,
metadata, checksum_alg, checksum, storage_class, modified_at, blob_id, blob_ref, inline_body`

// getObject reads the current row of a key, ErrNoSuchKey when absent.
func getObject(ctx context.Context, tx store.Tx, b *Bucket, key string) (*Object, error) {
	o := &Object{Bucket: b.Name, Key: key, Owner: b.AccountID}
	var meta, alg string
	var modified int64
	var blobID *string
	err := tx.QueryRow(ctx, `SELECT `+objectColumns+` FROM s3_objects WHERE bucket = ? AND object_key = ?`, b.Name, key).Scan(
		&o.Size, &o.ETag, &o.ContentType, &o.ContentEncoding, &o.ContentDisposition, &o.ContentLanguage, &o.CacheControl, &o.Expires,
		&meta, &alg, &o.Checksum, &o.StorageClass, &modified, &blobID, &o.ref, &o.inline)
	if errors.Is(err, store.ErrNotFound) {
		return nil, wrap(ErrNoSuchKey, "The specified key does not exist.")
	}
	if err != nil {
		return nil, err
	}
	o.ChecksumAlgorithm = checksum.Algorithm(alg)
	o.LastModified = time.UnixMilli(modified).UTC()
	if blobID != nil {
		o.blobID = *blobID
	}
	if meta != "" {
		if err := json.Unmarshal([]byte(meta), &o.Metadata); err != nil {
			return nil, err
		}
	}
	if o.inline == nil && o.ref == nil {
		o.inline = []byte{} // an empty object stored inline
	}
	return o, nil
}

// putRow replaces a key's row with o and returns the blob the old row
// named (nil if none).
func putRow(ctx context.Context, tx store.Tx, o *Object) (old *Blob, err error) {
	var oldID *string
	var oldRef []byte
	err = tx.QueryRow(ctx, `SELECT blob_id, blob_ref FROM s3_objects WHERE bucket = ? AND object_key = ?`, o.Bucket, o.Key).Scan(&oldID, &oldRef)
	switch {
	case err == nil:
		if oldID != nil && oldRef != nil {
			old = &Blob{ID: *oldID, Ref: oldRef}
		}
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	meta := ""
	if len(o.Metadata) > 0 {
		js, err := json.Marshal(o.Metadata)
		if err != nil {
			return nil, err
		}
		meta = string(js)
	}
	var blobID *string
	if o.ref != nil {
		blobID = &o.blobID
	}
	inline := o.inline
	if o.ref == nil && inline == nil {
		inline = []byte{}
	}
	if o.ref != nil {
		inline = nil
	}
	_, err = tx.Exec(ctx, `INSERT INTO s3_objects (bucket, object_key, `+objectColumns+`)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (bucket, object_key) DO UPDATE SET size = excluded.size, etag = excluded.etag,
content_type = excluded.content_type, content_encoding = excluded.content_encoding,
content_disposition = excluded.content_disposition, content_language = excluded.content_language,
cache_control = excluded.cache_control, expires = excluded.expires, metadata = excluded.metadata,
checksum_alg = excluded.checksum_alg, checksum = excluded.checksum, storage_class = excluded.storage_class,
modified_at = excluded.modified_at, blob_id = excluded.blob_id, blob_ref = excluded.blob_ref, inline_body = excluded.inline_body`,
		o.Bucket, o.Key, o.Size, o.ETag, o.ContentType, o.ContentEncoding, o.ContentDisposition, o.ContentLanguage, o.CacheControl, o.Expires,
		meta, string(o.ChecksumAlgorithm), o.Checksum, o.StorageClass, o.LastModified.UnixMilli(), blobID, o.ref, inline)
	if err != nil {
		return nil, err
	}
	if old != nil && o.ref != nil && old.ID == o.blobID {
		old = nil // same body (never happens: every Put makes a new blob)
	}
	return old, nil
}

// deleteRow removes a key's row and returns the blob it named.
func deleteRow(ctx context.Context, tx store.Tx, bucket, key string) (old *Blob, err error) {
	var oldID *string
	var oldRef []byte
	err = tx.QueryRow(ctx, `DELETE FROM s3_objects WHERE bucket = ? AND object_key = ? RETURNING blob_id, blob_ref`, bucket, key).Scan(&oldID, &oldRef)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if oldID != nil && oldRef != nil {
		return &Blob{ID: *oldID, Ref: oldRef}, nil
	}
	return nil, nil
}

// DeleteObject deletes a key; deleting a missing key succeeds, as in S3.
func (s *Service) DeleteObject(ctx context.Context, bucket, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	b, err := s.loadBucket(ctx, bucket)
	if err != nil {
		return err
	}
	if err := s.authorize(ctx, b, "s3:DeleteObject", ObjectARN(bucket, key), nil); err != nil {
		return err
	}
	var old *Blob
	err = s.st.Update(ctx, func(tx store.Tx) error {
		if _, err := getBucket(ctx, tx, bucket); err != nil {
			return err
		}
		old, err = deleteRow(ctx, tx, bucket, key)
		return err
	})
	if err != nil {
		return err
	}
	if old != nil {
		s.releaseBlob(ctx, old.ID, old.Ref)
	}
	return nil
}

// DeleteResult is one key's outcome in DeleteObjects.
type DeleteResult struct {
	Key string
	Err error // nil when deleted (or already absent)
}

// DeleteObjects deletes up to 1000 keys, each authorized on its own, in one
// transaction.
func (s *Service) DeleteObjects(ctx context.Context, bucket string, keys []string) ([]DeleteResult, error) {
	if len(keys) > 1000 {
		return nil, wrap(ErrInvalidRequest, "The request must contain no more than 1000 keys")
	}
	b, err := s.loadBucket(ctx, bucket)
	if err != nil {
		return nil, err
	}
	out := make([]DeleteResult, len(keys))
	var todo []string
	for i, k := range keys {
		out[i].Key = k
		if err := checkKey(k); err != nil {
			out[i].Err = err
			continue
		}
		if err := s.authorize(ctx, b, "s3:DeleteObject", ObjectARN(bucket, k), nil); err != nil {
			out[i].Err = err
			continue
		}
		todo = append(todo, k)
	}
	var olds []*Blob
	err = s.st.Update(ctx, func(tx store.Tx) error {
		olds = olds[:0]
		if _, err := getBucket(ctx, tx, bucket); err != nil {
			return err
		}
		for _, k := range todo {
			old, err := deleteRow(ctx, tx, bucket, k)
			if err != nil {
				return err
			}
			if old != nil {
				olds = append(olds, old)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, o := range olds {
		s.releaseBlob(ctx, o.ID, o.Ref)
	}
	return out, nil
}
