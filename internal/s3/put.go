package s3

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"time"

	"github.com/nimbuscloud/nimbus/internal/checksum"
	"github.com/nimbuscloud/nimbus/internal/s3/sse"
	"github.com/nimbuscloud/nimbus/internal/store"
)

// PutInput is a PutObject request.
type PutInput struct {
	Bucket, Key string
	Size        int64 // the declared payload length; -1 when unknown
	// Body yields the (already signature-checked) payload. It must return
	// io.EOF only when the payload is complete and verified; any other
	// error aborts the PUT.
	Body io.Reader
	// Trailer returns the trailing checksums (lower-case header name ->
	// base64 value) once Body returned io.EOF; nil when none.
	Trailer func() map[string]string
	// TrailerAlgorithm is the checksum the client declared it will send as
	// a trailer (x-amz-trailer), "" when none.
	TrailerAlgorithm checksum.Algorithm
	ContentMD5       string                        // base64 as sent, "" when absent
	Checksums        map[checksum.Algorithm]string // x-amz-checksum-* request headers
	SDKAlgorithm     string                        // x-amz-sdk-checksum-algorithm / x-amz-checksum-algorithm
	Headers
	Metadata     map[string]string
	StorageClass string
	IfNoneMatch  string // only "*" is meaningful for PUT
	IfMatch      string // ETag the current object must have
	Tags         []Tag  // x-amz-tagging
	// Retention and LegalHold are x-amz-object-lock-mode /
	// -retain-until-date and -legal-hold.
	Retention Retention
	LegalHold bool
	// CustomerKey is SSE-C's key (nil: SSE-S3).
	CustomerKey *sse.CustomerKey
}

// Put is what PutObject and CopyObject report.
type Put struct {
	ETag              string
	ChecksumAlgorithm checksum.Algorithm
	Checksum          string
	LastModified      time.Time
	Size              int64
	// VersionID is the new version's ID; Versioning the bucket's
	// versioning state ("" never enabled: clients see no version ID).
	VersionID  string
	Versioning string
	// SourceVersionID is the version CopyObject copied, "" when the
	// source bucket is unversioned.
	SourceVersionID string
	// SSE is the body's encryption (SSES3, SSEC or ""), with the SSE-C
	// key's MD5.
	SSE, SSECustomerKeyMD5 string
}

// digests are what a PUT verifies its body against.
type digests struct {
	md5     []byte // Content-MD5, nil if absent
	alg     checksum.Algorithm
	want    []byte // the checksum header's value, nil if absent
	trailer bool   // alg arrives as a trailer
}

// planDigests validates the declared digests before any byte is read.
func planDigests(in *PutInput) (digests, error) {
	var d digests
	if in.ContentMD5 != "" {
		sum, err := base64.StdEncoding.Strict().DecodeString(in.ContentMD5)
		if err != nil || len(sum) != md5.Size {
			return d, wrap(ErrInvalidDigest, "The Content-MD5 you specified is not valid.")
		}
		d.md5 = sum
	}
	if len(in.Checksums) > 1 {
		return d, wrap(ErrInvalidRequest, "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
	}
	for alg, v := range in.Checksums {
		sum, err := checksum.Decode(alg, v)
		if err != nil {
			return d, wrap(ErrInvalidRequest, fmt.Sprintf("Value for %s header is invalid.", checksum.HeaderName(alg)))
		}
		d.alg, d.want = alg, sum
	}
	if in.TrailerAlgorithm != "" {
		if d.alg != "" && d.alg != in.TrailerAlgorithm {
			return d, wrap(ErrInvalidRequest, "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
		}
		d.alg, d.trailer = in.TrailerAlgorithm, true
	}
	if in.SDKAlgorithm != "" {
		alg, err := checksum.ParseAlgorithm(in.SDKAlgorithm)
		if err != nil {
			return d, wrap(ErrInvalidRequest, "Value for x-amz-sdk-checksum-algorithm header is invalid.")
		}
		if d.alg == "" {
			d.alg = alg
		} else if d.alg != alg {
			return d, wrap(ErrInvalidRequest, fmt.Sprintf("Value for x-amz-sdk-checksum-algorithm header is invalid: the request carries a %s checksum.", d.alg))
		}
	}
	if d.alg == "" {
		d.alg = checksum.CRC64NVME // S3 computes a CRC64NVME for every object sent without one
	}
	return d, nil
}

// verifyingReader hashes exactly size bytes of r while they pass and, at
// the end, confirms r ended cleanly (its own integrity checks pass) and
// that the body matches every declared digest. Until then it never returns
// io.EOF, so the engine stores nothing unverified.
type verifyingReader struct {
	r       io.Reader
	size, n int64
	md5     hash.Hash
	sum     hash.Hash
	d       digests
	trailer func() map[string]string
	err     error
	done    bool
}

func newVerifyingReader(r io.Reader, size int64, d digests, trailer func() map[string]string) *verifyingReader {
	return &verifyingReader{r: r, size: size, md5: md5.New(), sum: checksum.New(d.alg), d: d, trailer: trailer}
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	if v.done {
		return 0, io.EOF
	}
	if v.err != nil {
		return 0, v.err
	}
	if v.n == v.size {
		v.err = v.finish(nil)
		if v.err == nil {
			v.done = true
			return 0, io.EOF
		}
		return 0, v.err
	}
	if rest := v.size - v.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := v.r.Read(p)
	v.n += int64(n)
	v.md5.Write(p[:n])
	v.sum.Write(p[:n])
	switch {
	case err == io.EOF && v.n < v.size:
		v.err = wrap(ErrIncompleteBody, "You did not provide the number of bytes specified by the Content-Length HTTP header.")
		return n, v.err
	case err == io.EOF:
		v.err = v.finish(io.EOF)
		if v.err == nil {
			v.done = true
			return n, io.EOF
		}
		return n, v.err
	case err != nil:
		v.err = err
		return n, err
	}
	return n, nil
}

// finish confirms the end of the body (reading on to r's io.EOF unless
// sawEOF says it was already seen) and checks the digests.
func (v *verifyingReader) finish(sawEOF error) error {
	if sawEOF == nil {
		var one [1]byte
		for {
			n, err := v.r.Read(one[:])
			if n > 0 {
				return wrap(ErrIncompleteBody, "The request body is longer than its declared length.")
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
		}
	}
	if v.d.md5 != nil && !bytes.Equal(v.d.md5, v.md5.Sum(nil)) {
		return wrap(ErrBadDigest, "The Content-MD5 you specified did not match what we received.")
	}
	got := v.sum.Sum(nil)
	want := v.d.want
	if v.d.trailer && v.trailer != nil {
		if tv, ok := v.trailer()[checksum.HeaderName(v.d.alg)]; ok {
			sum, err := checksum.Decode(v.d.alg, tv)
			if err != nil {
				return wrap(ErrInvalidRequest, fmt.Sprintf("Value for %s trailing header is invalid.", checksum.HeaderName(v.d.alg)))
			}
			want = sum
		}
	}
	if want != nil && !bytes.Equal(want, got) {
		return wrap(ErrBadDigest, fmt.Sprintf("The %s you specified did not match the calculated checksum.", v.d.alg))
	}
	return nil
}

// PutObject stores a body under a key. The body goes to the engine (or,
// when small, into the row) while its MD5 and checksum are computed; the
// row is committed only after the body ended cleanly and the engine made
// it durable, and a replaced body is deleted after that commit.
func (s *Service) PutObject(ctx context.Context, in PutInput) (*Put, error) {
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
	switch {
	case in.Size < 0:
		return nil, wrap(ErrMissingContentLength, "You must provide the Content-Length HTTP header.")
	case in.Size > MaxPutSize:
		return nil, wrap(ErrEntityTooLarge, "Your proposed upload exceeds the maximum allowed size")
	}
	if in.IfNoneMatch != "" && in.IfNoneMatch != "*" {
		return nil, wrap(ErrNotImplementedHeader, "If-None-Match on PUT supports only '*'")
	}
	d, err := planDigests(&in)
	if err != nil {
		return nil, err
	}
	b, err := s.loadBucket(ctx, in.Bucket)
	if err != nil {
		return nil, err
	}
	if err := s.authorizeWrite(ctx, b, in.Key, in.Tags); err != nil {
		return nil, err
	}
	if err := s.authorizeLock(ctx, b, in.Key, &in.Retention, in.LegalHold); err != nil {
		return nil, err
	}
	// Fail a conditional write before reading the body when we already can;
	// the commit checks again.
	if in.IfNoneMatch != "" || in.IfMatch != "" {
		if err := s.st.View(ctx, func(tx store.Tx) error { return checkWriteCondition(ctx, tx, b, in) }); err != nil {
			return nil, err
		}
	}

	vr := newVerifyingReader(in.Body, in.Size, d, in.Trailer)
	o := &Object{Bucket: in.Bucket, Key: in.Key, Size: in.Size, Headers: in.Headers, Metadata: in.Metadata, StorageClass: class, Owner: b.AccountID, Tags: in.Tags,
		LockMode: in.Retention.Mode, LockUntil: in.Retention.Until, LegalHold: in.LegalHold}
	st, err := s.storeBody(ctx, class, in.Size, vr, sealing{context: objectKeyContext(in.Bucket, in.Key), customer: in.CustomerKey})
	if err != nil {
		return nil, err
	}
	o.setStored(st, in.CustomerKey)
	o.ETag = hex.EncodeToString(vr.md5.Sum(nil))
	o.ChecksumAlgorithm = d.alg
	o.Checksum = checksum.Encode(vr.sum.Sum(nil))
	return s.commit(ctx, b, o, func(tx store.Tx, b *Bucket) error { return checkWriteCondition(ctx, tx, b, in) })
}

// commit writes o's row into bucket b, the bucket that was authorized
// (after check passes in the same transaction), and releases the body it
// replaced; on failure, including b having been deleted and its name
// re-created, it deletes o's new body.
func (s *Service) commit(ctx context.Context, b *Bucket, o *Object, check func(store.Tx, *Bucket) error) (*Put, error) {
	o.LastModified = s.now().UTC().Truncate(time.Millisecond)
	var rel releases
	err := s.st.Update(ctx, func(tx store.Tx) error {
		cur, err := sameBucket(ctx, tx, b)
		if err != nil {
			return err
		}
		if check != nil {
			if err := check(tx, cur); err != nil {
				return err
			}
		}
		rel, err = writeVersion(ctx, tx, cur, o)
		return err
	})
	if err != nil {
		if o.ref != nil {
			s.deleteBlob(ctx, o.blobID, o.ref)
		}
		return nil, err
	}
	s.releaseAll(ctx, rel)
	return o.put(), nil
}

// checkWriteCondition applies If-None-Match: * and If-Match to a PUT.
func checkWriteCondition(ctx context.Context, tx store.Tx, b *Bucket, in PutInput) error {
	if in.IfNoneMatch == "" && in.IfMatch == "" {
		return nil
	}
	cur, err := getObject(ctx, tx, b, in.Key)
	exists := err == nil
	if err != nil && !isNoSuchKey(err) {
		return err
	}
	if in.IfNoneMatch == "*" && exists {
		return wrap(ErrPreconditionFailed, "At least one of the pre-conditions you specified did not hold")
	}
	if in.IfMatch != "" {
		if !exists {
			return wrap(ErrNoSuchKey, "The specified key does not exist.")
		}
		if !etagMatches(in.IfMatch, cur.ETag) {
			return wrap(ErrPreconditionFailed, "At least one of the pre-conditions you specified did not hold")
		}
	}
	return nil
}

// put is what a write of o reports.
func (o *Object) put() *Put {
	return &Put{ETag: o.ETag, ChecksumAlgorithm: o.ChecksumAlgorithm, Checksum: o.Checksum, LastModified: o.LastModified, Size: o.Size,
		VersionID: o.VersionID, Versioning: o.Versioning, SSE: o.SSE, SSECustomerKeyMD5: o.SSECustomerKeyMD5}
}

// setStored points o at a body storeBody stored.
func (o *Object) setStored(st stored, ck *sse.CustomerKey) {
	o.inline = st.inline
	if st.blob.Ref != nil {
		o.blobID, o.ref = st.blob.ID, st.blob.Ref
	}
	o.SSE, o.sseKey = st.mode, st.key
	if ck != nil {
		o.SSECustomerKeyMD5 = ck.KeyMD5()
	}
}
