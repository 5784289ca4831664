package s3

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/nimbuscloud/nimbus/internal/caller"
	"github.com/nimbuscloud/nimbus/internal/checksum"
	"github.com/nimbuscloud/nimbus/internal/store"
)

// Multipart limits, as S3.
const (
	MaxParts       = 10000
	MinPartSize    = 5 << 20 // every part but the last
	MaxPartSize    = 5 << 30
	MaxObjectSize  = 5 << 40
	MaxListParts   = 1000
	MaxListUploads = 1000
)

// Upload is an in-progress multipart upload.
type Upload struct {
	Bucket, Key  string
	UploadID     string
	Initiator    string // the initiating principal's ARN
	Owner        string // the bucket owner's account
	Initiated    time.Time
	StorageClass string
	// ChecksumAlgorithm is the checksum every part carries and the final
	// object's composite checksum is made of ("" when none was chosen).
	ChecksumAlgorithm checksum.Algorithm
	ChecksumType      string // COMPOSITE or FULL_OBJECT when an algorithm was chosen
	Headers
	Metadata map[string]string
	Tags     []Tag // x-amz-tagging: the completed object's tags
}

// CreateUploadInput is a CreateMultipartUpload request.
type CreateUploadInput struct {
	Bucket, Key       string
	Headers           Headers
	Metadata          map[string]string
	StorageClass      string
	ChecksumAlgorithm string // x-amz-checksum-algorithm
	ChecksumType      string // x-amz-checksum-type
	Tags              []Tag  // x-amz-tagging, applied on Complete
}

// newUploadID is an opaque upload ID.
func newUploadID() string {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// CreateMultipartUpload starts an upload and records what the final object
// will carry.
func (s *Service) CreateMultipartUpload(ctx context.Context, in CreateUploadInput) (*Upload, error) {
	if err := checkKey(in.Key); err != nil {
		return nil, err
	}
	class, err := checkStorageClass(in.StorageClass)
	if err != nil {
		return nil, err
	}
	if err := checkMetadata(in.Metadata); err != nil {
		return nil, err
	}
	if err := checkObjectTags(in.Tags); err != nil {
		return nil, err
	}
	u := &Upload{Bucket: in.Bucket, Key: in.Key, UploadID: newUploadID(), StorageClass: class, Headers: in.Headers, Metadata: in.Metadata, Tags: in.Tags}
	if in.ChecksumAlgorithm != "" {
		alg, err := checksum.ParseAlgorithm(in.ChecksumAlgorithm)
		if err != nil {
			return nil, wrap(ErrInvalidRequest, "Value for x-amz-checksum-algorithm header is invalid.")
		}
		u.ChecksumAlgorithm = alg
		u.ChecksumType = "COMPOSITE"
		if alg == checksum.CRC64NVME {
			u.ChecksumType = "FULL_OBJECT"
		}
	}
	switch t := strings.ToUpper(in.ChecksumType); t {
	case "":
	case "COMPOSITE", "FULL_OBJECT":
		if u.ChecksumAlgorithm == "" {
			return nil, wrap(ErrInvalidRequest, "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.")
		}
		if t == "COMPOSITE" && u.ChecksumAlgorithm == checksum.CRC64NVME {
			return nil, wrap(ErrInvalidRequest, "The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.")
		}
		u.ChecksumType = t
	default:
		return nil, wrap(ErrInvalidRequest, "Value for x-amz-checksum-type header is invalid.")
	}
	b, err := s.loadBucket(ctx, in.Bucket)
	if err != nil {
		return nil, err
	}
	if err := s.authorizeWrite(ctx, b, in.Key, in.Tags); err != nil {
		return nil, err
	}
	u.Owner = b.AccountID
	if c := caller.From(ctx); c != nil {
		u.Initiator = c.Principal.ARN
	}
	u.Initiated = s.now().UTC().Truncate(time.Millisecond)
	meta := ""
	if len(u.Metadata) > 0 {
		js, err := json.Marshal(u.Metadata)
		if err != nil {
			return nil, err
		}
		meta = string(js)
	}
	tags, err := encodeTags(u.Tags)
	if err != nil {
		return nil, err
	}
	err = s.st.Update(ctx, func(tx store.Tx) error {
		if _, err := sameBucket(ctx, tx, b); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO s3_uploads (upload_id, bucket, object_key, initiator, initiated_at, content_type, content_encoding,
content_disposition, content_language, cache_control, expires, metadata, checksum_alg, checksum_type, storage_class, tags)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			u.UploadID, u.Bucket, u.Key, u.Initiator, u.Initiated.UnixMilli(), u.ContentType, u.ContentEncoding,
			u.ContentDisposition, u.ContentLanguage, u.CacheControl, u.Expires, meta, string(u.ChecksumAlgorithm), u.ChecksumType, u.StorageClass, tags)
		return err
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

const uploadColumns = `upload_id, bucket, object_key, initiator, initiated_at, content_type, content_encoding,
content_disposition, content_language, cache_control, expires, metadata, checksum_alg, checksum_type, storage_class, tags`

type scanner interface{ Scan(dest ...any) error }

func scanUpload(r scanner) (*Upload, error) {
	u := &Upload{}
	var initiated int64
	var meta, alg, tags string
	if err := r.Scan(&u.UploadID, &u.Bucket, &u.Key, &u.Initiator, &initiated, &u.ContentType, &u.ContentEncoding,
		&u.ContentDisposition, &u.ContentLanguage, &u.CacheControl, &u.Expires, &meta, &alg, &u.ChecksumType, &u.StorageClass, &tags); err != nil {
		return nil, err
	}
	var err error
	if u.Tags, err = decodeTags(tags); err != nil {
		return nil, err
	}
	u.Initiated = time.UnixMilli(initiated).UTC()
	u.ChecksumAlgorithm = checksum.Algorithm(alg)
	if meta != "" {
		if err := json.Unmarshal([]byte(meta), &u.Metadata); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// getUpload reads an upload of a bucket's key; ErrNoSuchUpload when absent.
func getUpload(ctx context.Context, tx store.Tx, bucket, key, uploadID string) (*Upload, error) {
	u, err := scanUpload(tx.QueryRow(ctx, `SELECT `+uploadColumns+` FROM s3_uploads WHERE upload_id = ? AND bucket = ? AND object_key = ?`, uploadID, bucket, key))
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNoSuchUpload()
	}
	return u, err
}

func errNoSuchUpload() error {
	return wrap(ErrNoSuchUpload, "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.")
}

// loadUpload checks the key and bucket, authorizes action on the object
// and reads the upload.
func (s *Service) loadUpload(ctx context.Context, bucket, key, uploadID, action string) (*Bucket, *Upload, error) {
	if err := checkKey(key); err != nil {
		return nil, nil, err
	}
	b, err := s.loadBucket(ctx, bucket)
	if err != nil {
		return nil, nil, err
	}
	if err := s.authorize(ctx, b, action, ObjectARN(bucket, key), nil); err != nil {
		return nil, nil, err
	}
	var u *Upload
	err = s.st.View(ctx, func(tx store.Tx) error {
		u, err = getUpload(ctx, tx, bucket, key, uploadID)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	u.Owner = b.AccountID
	return b, u, nil
}

// UploadPartInput is an UploadPart request: PutInput's body and digest
// fields, plus the upload and part number.
type UploadPartInput struct {
	PutInput
	UploadID   string
	PartNumber int
}

// Part is an uploaded part.
type Part struct {
	Number            int
	Size              int64
	ETag              string // hex, unquoted
	ChecksumAlgorithm checksum.Algorithm
	Checksum          string
	LastModified      time.Time
	// SourceVersionID is the version UploadPartCopy copied ("" when the
	// source bucket is unversioned).
	SourceVersionID string
}

func checkPartNumber(n int) error {
	if n < 1 || n > MaxParts {
		return wrap(ErrInvalidArgument, "Part number must be an integer between 1 and 10000, inclusive")
	}
	return nil
}

// UploadPart streams one part into the engine, verifying it like a PUT,
// and commits its row only if the upload still exists; a part replacing
// the same number is deleted after that commit.
func (s *Service) UploadPart(ctx context.Context, in UploadPartInput) (*Part, error) {
	if err := checkPartNumber(in.PartNumber); err != nil {
		return nil, err
	}
	switch {
	case in.Size < 0:
		return nil, wrap(ErrMissingContentLength, "You must provide the Content-Length HTTP header.")
	case in.Size > MaxPartSize:
		return nil, wrap(ErrEntityTooLarge, "Your proposed upload exceeds the maximum allowed size")
	}
	b, u, err := s.loadUpload(ctx, in.Bucket, in.Key, in.UploadID, "s3:PutObject")
	if err != nil {
		return nil, err
	}
	declared := len(in.Checksums) > 0 || in.TrailerAlgorithm != "" || in.SDKAlgorithm != ""
	if !declared && u.ChecksumAlgorithm != "" {
		in.SDKAlgorithm = string(u.ChecksumAlgorithm)
	}
	d, err := planDigests(&in.PutInput)
	if err != nil {
		return nil, err
	}
	if u.ChecksumAlgorithm != "" && d.alg != u.ChecksumAlgorithm {
		return nil, wrap(ErrInvalidRequest, fmt.Sprintf("Checksum Type mismatch occurred, expected checksum Type: %s, actual checksum Type: %s",
			strings.ToLower(string(u.ChecksumAlgorithm)), strings.ToLower(string(d.alg))))
	}
	vr := newVerifyingReader(in.Body, in.Size, d, in.Trailer)
	st, err := s.storeBody(ctx, u.StorageClass, in.Size, vr, sealing{context: partKeyContext(in.UploadID, in.PartNumber)})
	if err != nil {
		return nil, err
	}
	p := &Part{Number: in.PartNumber, Size: in.Size, ETag: hex.EncodeToString(vr.md5.Sum(nil)), ChecksumAlgorithm: d.alg,
		Checksum: checksum.Encode(vr.sum.Sum(nil)), LastModified: s.now().UTC().Truncate(time.Millisecond)}
	return s.commitPart(ctx, b, in.Key, in.UploadID, p, st)
}

// commitPart writes a part's row if its upload still exists in bucket b
// (the bucket authorized, not a re-creation of its name), replacing (and,
// after the commit, deleting) a part of the same number; on failure it
// deletes the new body.
func (s *Service) commitPart(ctx context.Context, b *Bucket, key, uploadID string, p *Part, st stored) (*Part, error) {
	bucket := b.Name
	inline, blob := st.inline, st.blob
	var blobID *string
	if blob.Ref != nil {
		blobID = &blob.ID
	} else if inline == nil {
		inline = []byte{}
	}
	var old *released
	err := s.st.Update(ctx, func(tx store.Tx) error {
		if _, err := sameBucket(ctx, tx, b); err != nil {
			return err
		}
		if _, err := getUpload(ctx, tx, bucket, key, uploadID); err != nil {
			return err
		}
		var oldID *string
		var oldRef []byte
		old = nil
		err := tx.QueryRow(ctx, `SELECT blob_id, blob_ref FROM s3_parts WHERE upload_id = ? AND part_number = ?`, uploadID, p.Number).Scan(&oldID, &oldRef)
		switch {
		case err == nil:
			if oldID != nil && oldRef != nil {
				old = &released{key: *oldID, blobs: []Blob{{ID: *oldID, Ref: oldRef}}}
			}
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO s3_parts (upload_id, part_number, size, etag, checksum_alg, checksum, modified_at, blob_id, blob_ref, inline_body, sse_key)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (upload_id, part_number) DO UPDATE SET size = excluded.size, etag = excluded.etag, checksum_alg = excluded.checksum_alg,
checksum = excluded.checksum, modified_at = excluded.modified_at, blob_id = excluded.blob_id, blob_ref = excluded.blob_ref,
inline_body = excluded.inline_body, sse_key = excluded.sse_key`,
			uploadID, p.Number, p.Size, p.ETag, string(p.ChecksumAlgorithm), p.Checksum, p.LastModified.UnixMilli(), blobID, blob.Ref, inline, st.key)
		return err
	})
	if err != nil {
		s.deleteBlob(ctx, blob.ID, blob.Ref)
		return nil, err
	}
	s.release(ctx, old)
	return p, nil
}

// UploadPartCopyInput is an UploadPartCopy request.
type UploadPartCopyInput struct {
	Bucket, Key       string
	UploadID          string
	PartNumber        int
	SrcBucket, SrcKey string
	SrcVersionID      string     // "" for the source's latest version
	Range             *Range     // x-amz-copy-source-range (First-Last), nil for the whole source
	Source            Conditions // x-amz-copy-source-if-*
}

// UploadPartCopy makes a part of (a range of) an existing object,
// streaming it from the engine back into a new part blob while computing
// the part's MD5 and checksum.
func (s *Service) UploadPartCopy(ctx context.Context, in UploadPartCopyInput) (*Part, error) {
	if err := checkPartNumber(in.PartNumber); err != nil {
		return nil, err
	}
	if err := checkKey(in.SrcKey); err != nil {
		return nil, err
	}
	if err := CheckBucketName(in.SrcBucket); err != nil {
		return nil, err
	}
	b, u, err := s.loadUpload(ctx, in.Bucket, in.Key, in.UploadID, "s3:PutObject")
	if err != nil {
		return nil, err
	}
	src, err := s.GetObject(ctx, GetInput{Bucket: in.SrcBucket, Key: in.SrcKey, VersionID: in.SrcVersionID})
	if err != nil {
		if isNotModified(err) {
			return nil, wrap(ErrPreconditionFailed, "At least one of the pre-conditions you specified did not hold")
		}
		return nil, err
	}
	defer src.Close()
	if err := copyConditions(in.Source, src); err != nil {
		return nil, err
	}
	if in.Range != nil {
		if in.Range.First < 0 || in.Range.Last < in.Range.First || in.Range.Last >= src.Size {
			return nil, wrap(ErrInvalidArgument, fmt.Sprintf("Range specified is not valid for source object of size: %d", src.Size))
		}
		// A multipart source's spans cover the whole object; WriteTo
		// skips the parts outside the range.
		src.Start, src.Length = in.Range.First, in.Range.Last-in.Range.First+1
	}
	if src.Length > MaxPartSize {
		return nil, wrap(ErrInvalidRequest, "The specified copy source is larger than the maximum allowable size for a copy source: 5368709120")
	}
	alg := u.ChecksumAlgorithm
	if alg == "" {
		alg = checksum.CRC64NVME
	}
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, err := src.WriteTo(ctx, pw)
		pw.CloseWithError(err)
	}()
	vr := newVerifyingReader(pr, src.Length, digests{alg: alg}, nil)
	st, err := s.storeBody(ctx, u.StorageClass, src.Length, vr, sealing{context: partKeyContext(in.UploadID, in.PartNumber)})
	// Stop the writer if storing gave up early, and wait for it: the
	// deferred Close unpins the source it may still be reading.
	pr.CloseWithError(pipeErr(err))
	<-done
	if err != nil {
		return nil, err
	}
	p := &Part{Number: in.PartNumber, Size: src.Length, ETag: hex.EncodeToString(vr.md5.Sum(nil)), ChecksumAlgorithm: alg,
		Checksum: checksum.Encode(vr.sum.Sum(nil)), LastModified: s.now().UTC().Truncate(time.Millisecond)}
	if src.Versioning != "" {
		p.SourceVersionID = src.VersionID
	}
	return s.commitPart(ctx, b, in.Key, in.UploadID, p, st)
}

// CompletedPart is one part a CompleteMultipartUpload lists.
type CompletedPart struct {
	Number    int
	ETag      string                        // as sent (quotes allowed)
	Checksums map[checksum.Algorithm]string // ChecksumCRC32 etc., when sent
}

// CompleteInput is a CompleteMultipartUpload request.
type CompleteInput struct {
	Bucket, Key string
	UploadID    string
	Parts       []CompletedPart
	IfNoneMatch string // only "*"
	IfMatch     string
}

// Completed is what CompleteMultipartUpload reports.
type Completed struct {
	Put
	ChecksumType string
}

// partRow is a stored part as Complete and GetObject need it.
type partRow struct {
	number   int
	size     int64
	etag     string
	alg, sum string
	blobID   *string
	ref      []byte
}

// CompleteMultipartUpload assembles the listed parts into the object. In
// one transaction it validates the list against the stored parts, deletes
// the parts not listed and the upload, records each part's offset and
// writes the object row naming the upload's parts; the bodies of dropped
// parts and of a replaced object are deleted after the commit.
func (s *Service) CompleteMultipartUpload(ctx context.Context, in CompleteInput) (*Completed, error) {
	if len(in.Parts) == 0 {
		return nil, wrap(ErrMalformedXML, "The XML you provided was not well-formed or did not validate against our published schema")
	}
	if len(in.Parts) > MaxParts {
		return nil, wrap(ErrInvalidArgument, "Part number must be an integer between 1 and 10000, inclusive")
	}
	for i, p := range in.Parts {
		if err := checkPartNumber(p.Number); err != nil {
			return nil, err
		}
		if i > 0 && p.Number <= in.Parts[i-1].Number {
			return nil, wrap(ErrInvalidPartOrder, "The list of parts was not in ascending order. Parts must be ordered by part number.")
		}
	}
	if in.IfNoneMatch != "" && in.IfNoneMatch != "*" {
		return nil, wrap(ErrNotImplementedHeader, "If-None-Match on CompleteMultipartUpload supports only '*'")
	}
	b, _, err := s.loadUpload(ctx, in.Bucket, in.Key, in.UploadID, "s3:PutObject")
	if err != nil {
		return nil, err
	}
	var o *Object
	var ctype string
	var rel releases
	var dropped []Blob
	err = s.st.Update(ctx, func(tx store.Tx) error {
		rel, dropped = nil, nil
		cur, err := sameBucket(ctx, tx, b)
		if err != nil {
			return err
		}
		u, err := getUpload(ctx, tx, in.Bucket, in.Key, in.UploadID)
		if err != nil {
			return err
		}
		if err := checkWriteCondition(ctx, tx, b, PutInput{Key: in.Key, IfNoneMatch: in.IfNoneMatch, IfMatch: in.IfMatch}); err != nil {
			return err
		}
		stored, err := uploadParts(ctx, tx, in.UploadID)
		if err != nil {
			return err
		}
		o, ctype, err = assemble(u, in.Parts, stored)
		if err != nil {
			return err
		}
		o.Bucket, o.Key, o.Owner = in.Bucket, in.Key, b.AccountID
		o.LastModified = s.now().UTC().Truncate(time.Millisecond)
		if s.sealer != nil {
			o.SSE = SSES3 // each part is sealed under its own key
		}
		lock, err := decodeLock(cur.ObjectLock)
		if err != nil {
			return err
		}
		o.LockMode, o.LockUntil = lock.defaultRetention(o.LastModified)
		// Offsets of the listed parts; the rest are dropped.
		listed := map[int]bool{}
		var off int64
		for _, lp := range in.Parts {
			p := stored[lp.Number]
			listed[lp.Number] = true
			if _, err := tx.Exec(ctx, `UPDATE s3_parts SET part_offset = ? WHERE upload_id = ? AND part_number = ?`, off, in.UploadID, lp.Number); err != nil {
				return err
			}
			off += p.size
		}
		for n, p := range stored {
			if listed[n] {
				continue
			}
			if _, err := tx.Exec(ctx, `DELETE FROM s3_parts WHERE upload_id = ? AND part_number = ?`, in.UploadID, n); err != nil {
				return err
			}
			if p.blobID != nil && p.ref != nil {
				dropped = append(dropped, Blob{ID: *p.blobID, Ref: p.ref})
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM s3_uploads WHERE upload_id = ?`, in.UploadID); err != nil {
			return err
		}
		rel, err = writeVersion(ctx, tx, cur, o)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.deleteBlobs(ctx, dropped)
	s.releaseAll(ctx, rel)
	return &Completed{Put: *o.put(), ChecksumType: ctype}, nil
}

// uploadParts reads every stored part of an upload (at most MaxParts rows
// of metadata).
func uploadParts(ctx context.Context, tx store.Tx, uploadID string) (map[int]*partRow, error) {
	rows, err := tx.Query(ctx, `SELECT part_number, size, etag, checksum_alg, checksum, blob_id, blob_ref FROM s3_parts WHERE upload_id = ?`, uploadID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int]*partRow{}
	for rows.Next() {
		p := &partRow{}
		if err := rows.Scan(&p.number, &p.size, &p.etag, &p.alg, &p.sum, &p.blobID, &p.ref); err != nil {
			return nil, err
		}
		out[p.number] = p
	}
	return out, rows.Err()
}

// assemble validates the listed parts against the stored ones and builds
// the final object: ETag = hex(MD5(the parts' binary MD5s)) + "-N", and
// when the upload chose a composite checksum, base64(checksum of the
// parts' binary checksums) + "-N".
func assemble(u *Upload, list []CompletedPart, stored map[int]*partRow) (*Object, string, error) {
	invalid := func(n int) error {
		return wrap(ErrInvalidPart, fmt.Sprintf("One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag. (part %d)", n))
	}
	etags := md5.New()
	var comp interface {
		Write([]byte) (int, error)
		Sum([]byte) []byte
	}
	composite := u.ChecksumAlgorithm != "" && u.ChecksumType == "COMPOSITE"
	if composite {
		comp = checksum.New(u.ChecksumAlgorithm)
	}
	var size int64
	for i, lp := range list {
		p, ok := stored[lp.Number]
		if !ok || strings.Trim(strings.TrimSpace(lp.ETag), `"`) != p.etag {
			return nil, "", invalid(lp.Number)
		}
		for alg, v := range lp.Checksums {
			if string(alg) != p.alg || v != p.sum {
				return nil, "", invalid(lp.Number)
			}
		}
		if i < len(list)-1 && p.size < MinPartSize {
			return nil, "", wrap(ErrEntityTooSmall, "Your proposed upload is smaller than the minimum allowed size")
		}
		bin, err := hex.DecodeString(p.etag)
		if err != nil {
			return nil, "", fmt.Errorf("s3: part %d has a malformed stored ETag: %w", lp.Number, err)
		}
		etags.Write(bin)
		if composite {
			sum, err := checksum.Decode(u.ChecksumAlgorithm, p.sum)
			if err != nil || checksum.Algorithm(p.alg) != u.ChecksumAlgorithm {
				return nil, "", invalid(lp.Number)
			}
			comp.Write(sum)
		}
		size += p.size
	}
	if size > MaxObjectSize {
		return nil, "", wrap(ErrEntityTooLarge, "Your proposed upload exceeds the maximum allowed size")
	}
	n := strconv.Itoa(len(list))
	o := &Object{Size: size, ETag: hex.EncodeToString(etags.Sum(nil)) + "-" + n, Headers: u.Headers, Metadata: u.Metadata, Tags: u.Tags,
		StorageClass: u.StorageClass, multipartID: u.UploadID, PartsCount: len(list)}
	ctype := ""
	if composite {
		o.ChecksumAlgorithm = u.ChecksumAlgorithm
		o.Checksum = checksum.Encode(comp.Sum(nil)) + "-" + n
		ctype = "COMPOSITE"
	}
	return o, ctype, nil
}

// AbortMultipartUpload deletes an upload and its parts.
func (s *Service) AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error {
	b, _, err := s.loadUpload(ctx, bucket, key, uploadID, "s3:AbortMultipartUpload")
	if err != nil {
		return err
	}
	var blobs []Blob
	err = s.st.Update(ctx, func(tx store.Tx) error {
		if _, err := sameBucket(ctx, tx, b); err != nil {
			return err
		}
		if _, err := getUpload(ctx, tx, bucket, key, uploadID); err != nil {
			return err
		}
		var err error
		if blobs, err = deleteParts(ctx, tx, uploadID, nil); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM s3_uploads WHERE upload_id = ?`, uploadID)
		return err
	})
	if err != nil {
		return err
	}
	s.deleteBlobs(ctx, blobs)
	return nil
}

// deleteParts deletes an upload's part rows and returns their blobs
// (appended to into).
func deleteParts(ctx context.Context, tx store.Tx, uploadID string, into []Blob) ([]Blob, error) {
	rows, err := tx.Query(ctx, `DELETE FROM s3_parts WHERE upload_id = ? RETURNING blob_id, blob_ref`, uploadID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id *string
		var ref []byte
		if err := rows.Scan(&id, &ref); err != nil {
			return nil, err
		}
		if id != nil && ref != nil {
			into = append(into, Blob{ID: *id, Ref: ref})
		}
	}
	return into, rows.Err()
}

// partSpan is a part of a multipart object as a read needs it.
type partSpan struct {
	number       int
	offset, size int64
	etag         string // hex MD5, to verify an inline body
	ref, inline  []byte
	sseKey       []byte // the wrapped data key (nil: stored in plaintext)
}

// spanParts reads, in order, the parts of a multipart object that the
// bytes [start, start+n) touch.
func spanParts(ctx context.Context, tx store.Tx, multipartID string, start, n int64) ([]partSpan, error) {
	rows, err := tx.Query(ctx, `SELECT part_number, part_offset, size, etag, blob_ref, inline_body, sse_key FROM s3_parts
WHERE upload_id = ? AND part_offset < ? AND part_offset + size > ? ORDER BY part_number`, multipartID, start+n, start)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []partSpan
	for rows.Next() {
		var p partSpan
		if err := rows.Scan(&p.number, &p.offset, &p.size, &p.etag, &p.ref, &p.inline, &p.sseKey); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// nthPart is the n-th (1-based) part of a multipart object.
func nthPart(ctx context.Context, tx store.Tx, multipartID string, n int) (partSpan, error) {
	var p partSpan
	err := tx.QueryRow(ctx, `SELECT part_offset, size FROM s3_parts WHERE upload_id = ? ORDER BY part_number LIMIT 1 OFFSET ?`, multipartID, n-1).Scan(&p.offset, &p.size)
	if errors.Is(err, store.ErrNotFound) {
		return p, wrap(ErrInvalidPartNumber, "The requested partnumber is not satisfiable")
	}
	return p, err
}

// ListPartsInput is a ListParts request.
type ListPartsInput struct {
	Bucket, Key, UploadID string
	PartNumberMarker      int
	MaxParts              int // MaxListParts when 0 or larger
}

// PartList is a page of ListParts.
type PartList struct {
	Upload
	PartNumberMarker     int
	NextPartNumberMarker int
	MaxParts             int
	IsTruncated          bool
	Parts                []Part
}
