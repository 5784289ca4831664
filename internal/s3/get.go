package s3

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/nimbuscloud/nimbus/internal/checksum"
	"github.com/nimbuscloud/nimbus/internal/s3/sse"
	"github.com/nimbuscloud/nimbus/internal/store"
)

// Conditions are a request's If-* headers; zero values are absent.
type Conditions struct {
	IfMatch           string
	IfNoneMatch       string
	IfModifiedSince   time.Time
	IfUnmodifiedSince time.Time
}

// Range is a parsed "bytes=" range: First-Last (Last < 0: to the end), or
// the last Suffix bytes when Suffix >= 0 and First < 0.
type Range struct {
	First, Last int64
	Suffix      int64
}

// GetInput is a GetObject or HeadObject request.
type GetInput struct {
	Bucket, Key string
	Head        bool
	Conditions
	Range      *Range
	PartNumber int    // 0 when absent
	VersionID  string // "" for the latest version
	// CustomerKey is the SSE-C key sent with the request (nil: none).
	CustomerKey *sse.CustomerKey
}

// etagMatches compares an If-Match / If-None-Match list with an ETag.
func etagMatches(list, etag string) bool {
	for v := range strings.SplitSeq(list, ",") {
		v = strings.TrimSpace(v)
		v = strings.TrimPrefix(v, "W/")
		if v == "*" || strings.Trim(v, `"`) == etag {
			return true
		}
	}
	return false
}

// evaluate applies S3's (RFC 7232) precedence: If-Match, else
// If-Unmodified-Since, may fail with 412; then If-None-Match, else
// If-Modified-Since, may answer 304. Times compare at second precision,
// the precision of Last-Modified.
func (c Conditions) evaluate(o *Object) error {
	lm := o.LastModified.Truncate(time.Second)
	failed := wrap(ErrPreconditionFailed, "At least one of the pre-conditions you specified did not hold")
	switch {
	case c.IfMatch != "":
		if !etagMatches(c.IfMatch, o.ETag) {
			return failed
		}
	case !c.IfUnmodifiedSince.IsZero() && lm.After(c.IfUnmodifiedSince):
		return failed
	}
	notModified := wrap(ErrNotModified, "Not Modified")
	switch {
	case c.IfNoneMatch != "":
		if etagMatches(c.IfNoneMatch, o.ETag) {
			return notModified
		}
	case !c.IfModifiedSince.IsZero() && !lm.After(c.IfModifiedSince):
		return notModified
	}
	return nil
}

// resolve turns a range into [start, start+length) of size bytes.
func (r *Range) resolve(size int64) (start, length int64, err error) {
	bad := wrap(ErrInvalidRange, "The requested range is not satisfiable")
	if r.First < 0 {
		if r.Suffix <= 0 || size == 0 {
			return 0, 0, bad
		}
		n := min(r.Suffix, size)
		return size - n, n, nil
	}
	if r.First >= size {
		return 0, 0, bad
	}
	last := size - 1
	if r.Last >= 0 && r.Last < last {
		last = r.Last
	}
	return r.First, last - r.First + 1, nil
}

// GetObject returns an object's metadata and, unless in.Head, readies its
// body (or the requested range) for WriteTo; the caller must Close it.
// Errors that need headers (ErrNotModified, ErrInvalidRange) come with the
// object.
func (s *Service) GetObject(ctx context.Context, in GetInput) (*Object, error) {
	if err := checkKey(in.Key); err != nil {
		return nil, err
	}
	action := "s3:GetObject"
	if in.VersionID != "" {
		if err := checkVersionID(in.VersionID); err != nil {
			return nil, err
		}
		action = "s3:GetObjectVersion"
	}
	// The bucket and the object are read in one snapshot (one store
	// transaction per GET). The caller is authorized after the row is read, since a policy may
	// condition s3:GetObject on the object's tags (s3:ExistingObjectTag/*);
	// nothing read is returned before that.
	//
	// The row, the range and (for a multipart object) the spanned parts
	// are read in one snapshot while the key is pinned for opening: a body
	// that an overwrite or delete releases before the body's own pin below
	// is then kept until that pin holds it, so the snapshot's body cannot
	// be deleted under this GET (see pins).
	opening := openPin(in.Bucket, in.Key)
	s.pins.pin(opening)
	defer func() {
		if blobs := s.pins.unpin(opening); blobs != nil {
			s.deleteBlobs(context.WithoutCancel(ctx), blobs)
		}
	}()
	var b *Bucket
	var o, marker *Object
	var result error // an error that comes with the object (304, 412, 416)
	err := s.st.View(ctx, func(tx store.Tx) error {
		var err error
		result, marker = nil, nil
		if in.VersionID != "" {
			if b, err = getBucket(ctx, tx, in.Bucket); err != nil {
				return err
			}
			o, err = getVersion(ctx, tx, b, in.Key, in.VersionID)
		} else {
			b, o, err = getBucketObject(ctx, tx, in.Bucket, in.Key)
			if b == nil {
				return err
			}
			if isNoSuchKey(err) && b.Versioning != "" {
				if marker, err = latestMarker(ctx, tx, b, in.Key); err == nil {
					err = wrap(ErrNoSuchKey, "The specified key does not exist.")
				}
			}
		}
		if err != nil {
			return err
		}
		if o.DeleteMarker {
			return nil
		}
		result = s.selectBytes(ctx, tx, o, in)
		return nil
	})
	if isNoSuchKey(err) || errors.Is(err, ErrNoSuchVersion) {
		if aerr := s.authorize(ctx, b, action, ObjectARN(in.Bucket, in.Key), nil); aerr != nil {
			return nil, aerr
		}
		// Without s3:ListBucket a caller may not learn that a key is
		// absent: S3 answers AccessDenied.
		if aerr := s.authorize(ctx, b, "s3:ListBucket", BucketARN(in.Bucket), nil); aerr != nil {
			return nil, aerr
		}
		return marker, err // a latest delete marker comes with NoSuchKey
	}
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, b, action, ObjectARN(in.Bucket, in.Key), existingTagKeys(o.Tags)); err != nil {
		return nil, err
	}
	if o.DeleteMarker {
		return o, wrap(ErrMethodNotAllowed, "The specified method is not allowed against this resource.")
	}
	// An SSE-C object is readable (even by HEAD) only with its key; an
	// SSE-C key sent for another kind of object is refused.
	switch {
	case o.SSE == SSEC || (in.CustomerKey != nil && !in.Head):
		if o.SSE != SSEC {
			return nil, wrap(ErrInvalidRequest, "The encryption parameters are not applicable to this object.")
		}
		if o.dataKey, err = s.dataKey(o.SSE, o.sseKey, objectKeyContext(in.Bucket, in.Key), in.CustomerKey); err != nil {
			return nil, err
		}
	case !in.Head:
		if o.dataKey, err = s.dataKey(o.SSE, o.sseKey, objectKeyContext(in.Bucket, in.Key), nil); err != nil {
			return nil, err
		}
	}
	if result != nil {
		if !errors.As(result, new(*clientError)) {
			return nil, result
		}
		return o, result
	}
	if in.Head {
		return o, nil
	}
	// Never return an unverified byte: bodies kept in rows (and inline
	// parts) are checked against their MD5 here, as the engine checks its
	// shards.
	if err := s.verifyInline(o); err != nil {
		s.log.Error("s3: stored object body is corrupt", "request_id", requestID(ctx), "bucket", in.Bucket, "key", in.Key, "err", err)
		return nil, err
	}
	o.svc = s
	if o.stored() {
		s.pins.pin(o.pinKey())
		o.pinned = true
	}
	return o, nil
}

// selectBytes applies the conditions, part number and range of in to o,
// and reads the parts of a multipart object that the selected bytes span,
// in tx (the snapshot o was read in).
func (s *Service) selectBytes(ctx context.Context, tx store.Tx, o *Object, in GetInput) error {
	if err := in.Conditions.evaluate(o); err != nil {
		return err
	}
	o.Start, o.Length = 0, o.Size
	switch {
	case in.PartNumber > 0 && o.multipartID != "":
		if in.PartNumber > o.PartsCount {
			return wrap(ErrInvalidPartNumber, "The requested partnumber is not satisfiable")
		}
		p, err := nthPart(ctx, tx, o.multipartID, in.PartNumber)
		if err != nil {
			return err
		}
		o.Start, o.Length, o.Partial, o.PartNumber = p.offset, p.size, true, in.PartNumber
	case in.PartNumber > 1:
		return wrap(ErrInvalidPartNumber, "The requested partnumber is not satisfiable")
	case in.Range != nil && in.PartNumber == 0:
		var err error
		if o.Start, o.Length, err = in.Range.resolve(o.Size); err != nil {
			return err
		}
		o.Partial = true
	}
	if in.Head || o.multipartID == "" {
		return nil
	}
	var err error
	o.parts, err = spanParts(ctx, tx, o.multipartID, o.Start, o.Length)
	return err
}

// ErrCorruptBody is the (internal, 500) error of a read whose stored body
// fails verification.
var ErrCorruptBody = errors.New("s3: stored object body failed verification")

// verifyInline checks a body kept in its object's row, and the inline parts
// of a multipart object that the read spans, against their MD5s, leaving
// them decrypted for WriteTo.
func (s *Service) verifyInline(o *Object) error {
	if !o.stored() {
		plain, err := s.plainInline(o.dataKey, o.inline, o.Size)
		if err != nil {
			return err
		}
		// A sealed body just authenticated (AES-GCM) as a whole; a
		// plaintext one is checked against its MD5.
		if o.dataKey == nil {
			if err := verifyBody(plain, o.ETag, o.ChecksumAlgorithm, o.Checksum); err != nil {
				return err
			}
		}
		o.inline, o.dataKey = plain, nil // decrypted once, for WriteTo
	}
	for i, p := range o.parts {
		if p.ref != nil {
			continue
		}
		key, err := s.partKey(o, p)
		if err != nil {
			return err
		}
		plain, err := s.plainInline(key, p.inline, p.size)
		if err == nil && key == nil {
			err = verifyBody(plain, p.etag, "", "")
		}
		if err != nil {
			return fmt.Errorf("part at offset %d: %w", p.offset, err)
		}
		o.parts[i].inline, o.parts[i].sseKey = plain, nil
	}
	return nil
}

// partKey unwraps a multipart object's part's data key (nil: plaintext).
func (s *Service) partKey(o *Object, p partSpan) ([]byte, error) {
	if p.sseKey == nil {
		return nil, nil
	}
	return s.dataKey(SSES3, p.sseKey, partKeyContext(o.multipartID, p.number), nil)
}

// verifyBody checks body against its hex MD5 (a single-part ETag) or, when
// that is not an MD5, against its checksum.
func verifyBody(body []byte, etag string, alg checksum.Algorithm, sum string) error {
	if want, err := hex.DecodeString(etag); err == nil && len(want) == md5.Size {
		if got := md5.Sum(body); !bytes.Equal(got[:], want) {
			return fmt.Errorf("%w: MD5 %x, want %s", ErrCorruptBody, got, etag)
		}
		return nil
	}
	if alg != "" && sum != "" && !strings.Contains(sum, "-") {
		h := checksum.New(alg)
		h.Write(body)
		if got := checksum.Encode(h.Sum(nil)); got != sum {
			return fmt.Errorf("%w: %s %s, want %s", ErrCorruptBody, alg, got, sum)
		}
		return nil
	}
	return fmt.Errorf("%w: no MD5 or checksum to verify it against", ErrCorruptBody)
}

func isNoSuchKey(err error) bool { return errors.Is(err, ErrNoSuchKey) }

// WriteTo writes the object's selected bytes to w.
func (o *Object) WriteTo(ctx context.Context, w io.Writer) (int64, error) {
	if o.Length == 0 {
		return 0, nil
	}
	if o.svc == nil {
		return 0, errors.New("s3: object body was not opened")
	}
	if o.multipartID == "" {
		return o.svc.openBody(ctx, o.dataKey, o.Size, o.inline, o.ref, o.Start, o.Length, w)
	}
	// A multipart body: the parts the range spans, in order, each from
	// its own blob; only those parts are touched.
	var total int64
	end := o.Start + o.Length
	for _, p := range o.parts {
		from := max(o.Start, p.offset) - p.offset
		to := min(end, p.offset+p.size) - p.offset
		if to <= from {
			continue
		}
		key, err := o.svc.partKey(o, p)
		if err != nil {
			return total, err
		}
		n, err := o.svc.openBody(ctx, key, p.size, p.inline, p.ref, from, to-from, w)
		total += n
		if err != nil {
			return total, err
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
	if total != o.Length {
		return total, errors.New("s3: multipart object's parts do not cover the requested bytes")
	}
	return total, nil
}

// Close releases the object's body.
func (o *Object) Close() {
	if !o.pinned {
		return
	}
	o.pinned = false
	if blobs := o.svc.pins.unpin(o.pinKey()); blobs != nil {
		o.svc.deleteBlobs(context.Background(), blobs)
	}
}
