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
	Tags              []Tag  // the object's tags, nil when none

	// Set by GetObject:
	Partial       bool  // a Range was applied (206)
	Start, Length int64 // the bytes WriteTo sends

	// PartsCount is the number of parts of a multipart object (0 for a
	// single PUT); PartNumber is the part GetObject selected (0 for none).
	PartsCount int
	PartNumber int

	inline      []byte
	blobID      string
	ref         []byte
	multipartID string     // the completed upload whose parts hold the body
	parts       []partSpan // the parts the selected bytes span (GetObject)
	svc         *Service
	pinned      bool
}

// stored reports whether the body is in the engine (one blob or parts),
// not inline in the row.
func (o *Object) stored() bool { return o.ref != nil || o.multipartID != "" }

// pinKey names the body for pins: its blob, or its multipart upload.
func (o *Object) pinKey() string {
	if o.multipartID != "" {
		return o.multipartID
	}
	return o.blobID
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
metadata, checksum_alg, checksum, storage_class, modified_at, blob_id, blob_ref, inline_body, multipart_id, parts_count, tags`

// getObject reads the current row of a key, ErrNoSuchKey when absent.
func getObject(ctx context.Context, tx store.Tx, b *Bucket, key string) (*Object, error) {
	o := &Object{Bucket: b.Name, Key: key, Owner: b.AccountID}
	var meta, alg, tags string
	var modified int64
	var blobID, multipartID *string
	err := tx.QueryRow(ctx, `SELECT `+objectColumns+` FROM s3_objects WHERE bucket = ? AND object_key = ?`, b.Name, key).Scan(
		&o.Size, &o.ETag, &o.ContentType, &o.ContentEncoding, &o.ContentDisposition, &o.ContentLanguage, &o.CacheControl, &o.Expires,
		&meta, &alg, &o.Checksum, &o.StorageClass, &modified, &blobID, &o.ref, &o.inline, &multipartID, &o.PartsCount, &tags)
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
	if multipartID != nil {
		o.multipartID = *multipartID
	}
	if meta != "" {
		if err := json.Unmarshal([]byte(meta), &o.Metadata); err != nil {
			return nil, err
		}
	}
	if o.Tags, err = decodeTags(tags); err != nil {
		return nil, err
	}
	if o.inline == nil && !o.stored() {
		o.inline = []byte{} // an empty object stored inline
	}
	return o, nil
}

// released is what a replaced or deleted row named: its blob, or its
// multipart object's part blobs, with the key readers pin it under.
type released struct {
	key   string
	blobs []Blob
	obj   string // the object's opening pin (openPin), "" for upload parts
}

// dropBody deletes the part rows of a row that named a multipart upload and
// returns what the row's body was (nil when inline).
func dropBody(ctx context.Context, tx store.Tx, blobID, multipartID *string, ref []byte) (*released, error) {
	switch {
	case multipartID != nil && *multipartID != "":
		blobs, err := deleteParts(ctx, tx, *multipartID, nil)
		if err != nil {
			return nil, err
		}
		return &released{key: *multipartID, blobs: blobs}, nil
	case blobID != nil && ref != nil:
		return &released{key: *blobID, blobs: []Blob{{ID: *blobID, Ref: ref}}}, nil
	}
	return nil, nil
}

// putRow replaces a key's row with o and returns the body the old row
// named (nil if none); a replaced multipart object's part rows are deleted
// here, in the caller's transaction.
func putRow(ctx context.Context, tx store.Tx, o *Object) (old *released, err error) {
	var oldID, oldMP *string
	var oldRef []byte
	err = tx.QueryRow(ctx, `SELECT blob_id, blob_ref, multipart_id FROM s3_objects WHERE bucket = ? AND object_key = ?`, o.Bucket, o.Key).Scan(&oldID, &oldRef, &oldMP)
	switch {
	case err == nil:
		if old, err = dropBody(ctx, tx, oldID, oldMP, oldRef); err != nil {
			return nil, err
		}
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	if old != nil {
		old.obj = openPin(o.Bucket, o.Key)
	}
	meta := ""
	if len(o.Metadata) > 0 {
		js, err := json.Marshal(o.Metadata)
		if err != nil {
			return nil, err
		}
		meta = string(js)
	}
	var blobID, multipartID *string
	if o.ref != nil {
		blobID = &o.blobID
	}
	if o.multipartID != "" {
		multipartID = &o.multipartID
	}
	tags, err := encodeTags(o.Tags)
	if err != nil {
		return nil, err
	}
	inline := o.inline
	if !o.stored() && inline == nil {
		inline = []byte{}
	}
	if o.stored() {
		inline = nil
	}
	_, err = tx.Exec(ctx, `INSERT INTO s3_objects (bucket, object_key, `+objectColumns+`)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (bucket, object_key) DO UPDATE SET size = excluded.size, etag = excluded.etag,
content_type = excluded.content_type, content_encoding = excluded.content_encoding,
content_disposition = excluded.content_disposition, content_language = excluded.content_language,
cache_control = excluded.cache_control, expires = excluded.expires, metadata = excluded.metadata,
checksum_alg = excluded.checksum_alg, checksum = excluded.checksum, storage_class = excluded.storage_class,
modified_at = excluded.modified_at, blob_id = excluded.blob_id, blob_ref = excluded.blob_ref, inline_body = excluded.inline_body,
multipart_id = excluded.multipart_id, parts_count = excluded.parts_count, tags = excluded.tags`,
		o.Bucket, o.Key, o.Size, o.ETag, o.ContentType, o.ContentEncoding, o.ContentDisposition, o.ContentLanguage, o.CacheControl, o.Expires,
		meta, string(o.ChecksumAlgorithm), o.Checksum, o.StorageClass, o.LastModified.UnixMilli(), blobID, o.ref, inline, multipartID, o.PartsCount, tags)
	if err != nil {
		return nil, err
	}
	return old, nil
}

// deleteRow removes a key's row and returns the body it named.
func deleteRow(ctx context.Context, tx store.Tx, bucket, key string) (old *released, err error) {
	var oldID, oldMP *string
	var oldRef []byte
	err = tx.QueryRow(ctx, `DELETE FROM s3_objects WHERE bucket = ? AND object_key = ? RETURNING blob_id, blob_ref, multipart_id`, bucket, key).Scan(&oldID, &oldRef, &oldMP)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	old, err = dropBody(ctx, tx, oldID, oldMP, oldRef)
	if old != nil {
		old.obj = openPin(bucket, key)
	}
	return old, err
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
	existing, err := s.existingTags(ctx, b, key)
	if err != nil {
		return err
	}
	if err := s.authorize(ctx, b, "s3:DeleteObject", ObjectARN(bucket, key), existingTagKeys(existing)); err != nil {
		return err
	}
	var old *released
	err = s.st.Update(ctx, func(tx store.Tx) error {
		if _, err := sameBucket(ctx, tx, b); err != nil {
			return err
		}
		old, err = deleteRow(ctx, tx, bucket, key)
		return err
	})
	if err != nil {
		return err
	}
	s.release(ctx, old)
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
	var olds []*released
	err = s.st.Update(ctx, func(tx store.Tx) error {
		olds = olds[:0]
		if _, err := sameBucket(ctx, tx, b); err != nil {
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
		s.release(ctx, o)
	}
	return out, nil
}
