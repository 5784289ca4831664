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

	// VersionID is the version's ID ("null" for versions written while
	// the bucket was unversioned or suspended); IsLatest whether it is
	// the key's latest version; DeleteMarker whether it is a delete
	// marker (no body). Versioning is the bucket's versioning state when
	// the object was read ("" if never enabled): clients are shown
	// version IDs only when it is set.
	VersionID    string
	IsLatest     bool
	DeleteMarker bool
	Versioning   string

	// Object lock: the retention mode ("" none, GOVERNANCE, COMPLIANCE)
	// and date, and the legal hold.
	LockMode  string
	LockUntil time.Time
	LegalHold bool

	// SSE is the body's server-side encryption ("" none, AES256,
	// SSE-C); SSECustomerKeyMD5 the SSE-C key's MD5.
	SSE               string
	SSECustomerKeyMD5 string
	sseKey            []byte // the wrapped data key
	dataKey           []byte // unwrapped by GetObject for WriteTo

	seq             int64
	noncurrentSince time.Time

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
metadata, checksum_alg, checksum, storage_class, modified_at, blob_id, blob_ref, inline_body, multipart_id, parts_count, tags,
version_id, seq, lock_mode, lock_until, legal_hold, sse, sse_key, sse_key_md5`

// objectPlaceholders are the bind parameters of bucket, object_key and
// objectColumns.
const objectPlaceholders = `?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?`

// rowScan receives objectColumns into an Object.
type rowScan struct {
	o                *Object
	meta, alg, tags  string
	modified, lockTo int64
	blobID, mpID     *string
	legalHold        int
}

func newRowScan(o *Object) *rowScan { return &rowScan{o: o} }

// dest is the Scan destinations of objectColumns, then extra.
func (r *rowScan) dest(extra ...any) []any {
	o := r.o
	return append([]any{&o.Size, &o.ETag, &o.ContentType, &o.ContentEncoding, &o.ContentDisposition, &o.ContentLanguage, &o.CacheControl, &o.Expires,
		&r.meta, &r.alg, &o.Checksum, &o.StorageClass, &r.modified, &r.blobID, &o.ref, &o.inline, &r.mpID, &o.PartsCount, &r.tags,
		&o.VersionID, &o.seq, &o.LockMode, &r.lockTo, &r.legalHold, &o.SSE, &o.sseKey, &o.SSECustomerKeyMD5}, extra...)
}

// finish decodes what Scan left in r.
func (r *rowScan) finish() error {
	o := r.o
	o.ChecksumAlgorithm = checksum.Algorithm(r.alg)
	o.LastModified = time.UnixMilli(r.modified).UTC()
	if r.lockTo != 0 {
		o.LockUntil = time.UnixMilli(r.lockTo).UTC()
	}
	o.LegalHold = r.legalHold != 0
	if r.blobID != nil {
		o.blobID = *r.blobID
	}
	if r.mpID != nil {
		o.multipartID = *r.mpID
	}
	if r.meta != "" {
		if err := json.Unmarshal([]byte(r.meta), &o.Metadata); err != nil {
			return err
		}
	}
	var err error
	if o.Tags, err = decodeTags(r.tags); err != nil {
		return err
	}
	if o.inline == nil && !o.stored() && !o.DeleteMarker {
		o.inline = []byte{} // an empty object stored inline
	}
	return nil
}

// getObject reads the current row of a key, ErrNoSuchKey when absent.
func getObject(ctx context.Context, tx store.Tx, b *Bucket, key string) (*Object, error) {
	o := &Object{Bucket: b.Name, Key: key, Owner: b.AccountID, IsLatest: true, Versioning: b.Versioning}
	r := newRowScan(o)
	err := tx.QueryRow(ctx, `SELECT `+objectColumns+` FROM s3_objects WHERE bucket = ? AND object_key = ?`, b.Name, key).Scan(r.dest()...)
	if errors.Is(err, store.ErrNotFound) {
		return nil, wrap(ErrNoSuchKey, "The specified key does not exist.")
	}
	if err != nil {
		return nil, err
	}
	return o, r.finish()
}

// rowValues are the bind values of bucket, object_key and objectColumns
// for o.
func rowValues(o *Object) ([]any, error) {
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
	if !o.stored() && inline == nil && !o.DeleteMarker {
		inline = []byte{}
	}
	if o.stored() {
		inline = nil
	}
	var lockTo int64
	if !o.LockUntil.IsZero() {
		lockTo = o.LockUntil.UnixMilli()
	}
	hold := 0
	if o.LegalHold {
		hold = 1
	}
	vid := o.VersionID
	if vid == "" {
		vid = nullVersion
	}
	return []any{o.Bucket, o.Key, o.Size, o.ETag, o.ContentType, o.ContentEncoding, o.ContentDisposition, o.ContentLanguage, o.CacheControl, o.Expires,
		meta, string(o.ChecksumAlgorithm), o.Checksum, o.StorageClass, o.LastModified.UnixMilli(), blobID, o.ref, inline, multipartID, o.PartsCount, tags,
		vid, o.seq, o.LockMode, lockTo, hold, o.SSE, o.sseKey, o.SSECustomerKeyMD5}, nil
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
	vals, err := rowValues(o)
	if err != nil {
		return nil, err
	}
	_, err = tx.Exec(ctx, `INSERT INTO s3_objects (bucket, object_key, `+objectColumns+`)
VALUES (`+objectPlaceholders+`)
ON CONFLICT (bucket, object_key) DO UPDATE SET size = excluded.size, etag = excluded.etag,
content_type = excluded.content_type, content_encoding = excluded.content_encoding,
content_disposition = excluded.content_disposition, content_language = excluded.content_language,
cache_control = excluded.cache_control, expires = excluded.expires, metadata = excluded.metadata,
checksum_alg = excluded.checksum_alg, checksum = excluded.checksum, storage_class = excluded.storage_class,
modified_at = excluded.modified_at, blob_id = excluded.blob_id, blob_ref = excluded.blob_ref, inline_body = excluded.inline_body,
multipart_id = excluded.multipart_id, parts_count = excluded.parts_count, tags = excluded.tags,
version_id = excluded.version_id, seq = excluded.seq, lock_mode = excluded.lock_mode, lock_until = excluded.lock_until,
legal_hold = excluded.legal_hold, sse = excluded.sse, sse_key = excluded.sse_key, sse_key_md5 = excluded.sse_key_md5`, vals...)
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
