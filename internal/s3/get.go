package s3

import (
	"context"
	"errors"
	"io"
	"strings"
	"time"

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
	PartNumber int // 0 when absent
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
	b, err := s.loadBucket(ctx, in.Bucket)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, b, "s3:GetObject", ObjectARN(in.Bucket, in.Key), nil); err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		var o *Object
		err = s.st.View(ctx, func(tx store.Tx) error {
			var err error
			o, err = getObject(ctx, tx, b, in.Key)
			return err
		})
		if isNoSuchKey(err) {
			// Without s3:ListBucket a caller may not learn that a key is
			// absent: S3 answers AccessDenied.
			if aerr := s.authorize(ctx, b, "s3:ListBucket", BucketARN(in.Bucket), nil); aerr != nil {
				return nil, aerr
			}
			return nil, err
		}
		if err != nil {
			return nil, err
		}
		if err := in.Conditions.evaluate(o); err != nil {
			return o, err
		}
		o.Start, o.Length = 0, o.Size
		switch {
		case in.PartNumber > 0 && o.multipartID != "":
			if in.PartNumber > o.PartsCount {
				return o, wrap(ErrInvalidPartNumber, "The requested partnumber is not satisfiable")
			}
			p, err := s.nthPart(ctx, o.multipartID, in.PartNumber)
			if err != nil {
				return nil, err
			}
			o.Start, o.Length, o.Partial, o.PartNumber = p.offset, p.size, true, in.PartNumber
		case in.PartNumber > 1:
			return o, wrap(ErrInvalidPartNumber, "The requested partnumber is not satisfiable")
		case in.Range != nil && in.PartNumber == 0:
			if o.Start, o.Length, err = in.Range.resolve(o.Size); err != nil {
				return o, err
			}
			o.Partial = true
		}
		if in.Head || !o.stored() {
			return o, nil
		}
		// Pin the body, then make sure the row still names it: a body
		// replaced before the pin may already be deleted, so read again.
		// A multipart object's parts that the bytes span are read in the
		// same transaction as that check.
		key := o.pinKey()
		s.pins.pin(key)
		o.svc, o.pinned = s, true
		var live bool
		err = s.st.View(ctx, func(tx store.Tx) error {
			var err error
			if live, err = rowNames(ctx, tx, in.Bucket, in.Key, key); err != nil || !live || o.multipartID == "" {
				return err
			}
			o.parts, err = spanParts(ctx, tx, o.multipartID, o.Start, o.Length)
			return err
		})
		if err == nil && live {
			return o, nil
		}
		o.Close()
		if err != nil {
			return nil, err
		}
		if attempt >= 3 {
			return nil, errors.New("s3: object kept changing while it was being opened")
		}
	}
}

// rowNames reports whether a key's row still names the body pinned as key.
func rowNames(ctx context.Context, tx store.Tx, bucket, objectKey, key string) (bool, error) {
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM s3_objects WHERE bucket = ? AND object_key = ? AND (blob_id = ? OR multipart_id = ?)`, bucket, objectKey, key, key).Scan(&one)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func isNoSuchKey(err error) bool { return errors.Is(err, ErrNoSuchKey) }

// WriteTo writes the object's selected bytes to w.
func (o *Object) WriteTo(ctx context.Context, w io.Writer) (int64, error) {
	if o.Length == 0 {
		return 0, nil
	}
	if !o.stored() {
		n, err := w.Write(o.inline[o.Start : o.Start+o.Length])
		return int64(n), err
	}
	if o.svc == nil {
		return 0, errors.New("s3: object body was not opened")
	}
	if o.multipartID == "" {
		return o.svc.blobs.Read(ctx, o.ref, w, o.Start, o.Length)
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
		var n int64
		var err error
		if p.ref == nil {
			var k int
			k, err = w.Write(p.inline[from:to])
			n = int64(k)
		} else {
			n, err = o.svc.blobs.Read(ctx, p.ref, w, from, to-from)
		}
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
