package s3

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/nimbuscloud/nimbus/internal/checksum"
	"github.com/nimbuscloud/nimbus/internal/s3/sse"
)

// MaxCopySize is the largest source CopyObject copies (5 GiB).
const MaxCopySize = 5 << 30

// CopyInput is a CopyObject request.
type CopyInput struct {
	SrcBucket, SrcKey string
	SrcVersionID      string // "" for the source's latest version
	// SourceCustomerKey is the source's SSE-C key, CustomerKey the
	// copy's (nil: SSE-S3).
	SourceCustomerKey, CustomerKey *sse.CustomerKey
	Bucket, Key                    string
	Replace                        bool // x-amz-metadata-directive: REPLACE
	Headers                        Headers
	Metadata                       map[string]string
	StorageClass                   string
	Source                         Conditions // x-amz-copy-source-if-*
	// ReplaceTags (x-amz-tagging-directive: REPLACE) gives the copy Tags
	// instead of the source's tags.
	ReplaceTags bool
	Tags        []Tag
	// Retention and LegalHold are the copy's object lock headers.
	Retention Retention
	LegalHold bool
}

// CopyObject copies an object, streaming the body from the engine back into
// it (or row to row for inline bodies). Every failed x-amz-copy-source-if-*
// condition is 412, as S3 (a copy is never 304).
func (s *Service) CopyObject(ctx context.Context, in CopyInput) (*Put, error) {
	for _, k := range []string{in.SrcKey, in.Key} {
		if err := checkKey(k); err != nil {
			return nil, err
		}
	}
	if err := CheckBucketName(in.SrcBucket); err != nil {
		return nil, err
	}
	class, err := checkStorageClass(in.StorageClass)
	if err != nil {
		return nil, err
	}
	if in.Replace {
		if err := checkMetadata(in.Metadata); err != nil {
			return nil, err
		}
	}
	if in.ReplaceTags {
		if err := checkObjectTags(in.Tags); err != nil {
			return nil, err
		}
	} else {
		in.Tags = nil
	}
	if in.SrcBucket == in.Bucket && in.SrcKey == in.Key && in.SrcVersionID == "" && !in.Replace && in.StorageClass == "" {
		return nil, wrap(ErrInvalidRequest, "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
	}
	db, err := s.loadBucket(ctx, in.Bucket)
	if err != nil {
		return nil, err
	}
	if err := s.authorizeWrite(ctx, db, in.Key, in.Tags); err != nil {
		return nil, err
	}
	if err := s.authorizeLock(ctx, db, in.Key, &in.Retention, in.LegalHold); err != nil {
		return nil, err
	}
	src, err := s.GetObject(ctx, GetInput{Bucket: in.SrcBucket, Key: in.SrcKey, VersionID: in.SrcVersionID, CustomerKey: in.SourceCustomerKey})
	if err != nil {
		if isNotModified(err) { // a copy reports every failed condition as 412
			return nil, wrap(ErrPreconditionFailed, "At least one of the pre-conditions you specified did not hold")
		}
		return nil, err
	}
	defer src.Close()
	if err := copyConditions(in.Source, src); err != nil {
		return nil, err
	}
	if src.Size > MaxCopySize {
		return nil, wrap(ErrInvalidRequest, "The specified copy source is larger than the maximum allowable size for a copy source: 5368709120")
	}
	o := &Object{Bucket: in.Bucket, Key: in.Key, Size: src.Size, ETag: src.ETag, StorageClass: class, Owner: db.AccountID,
		Headers: src.Headers, Metadata: src.Metadata, ChecksumAlgorithm: src.ChecksumAlgorithm, Checksum: src.Checksum,
		LockMode: in.Retention.Mode, LockUntil: in.Retention.Until, LegalHold: in.LegalHold}
	if in.Replace {
		o.Headers, o.Metadata = in.Headers, in.Metadata
	}
	o.Tags = src.Tags
	if in.ReplaceTags {
		o.Tags = in.Tags
	}
	// The body streams from the source (decrypted, verified block by
	// block) into a new body sealed under its own key, its MD5 checked on
	// the way.
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, err := src.WriteTo(ctx, pw)
		pw.CloseWithError(err)
	}()
	alg := src.ChecksumAlgorithm
	if alg == "" {
		alg = checksum.CRC64NVME
	}
	vr := newVerifyingReader(pr, src.Size, digests{alg: alg}, nil)
	st, err := s.storeBody(ctx, class, src.Size, vr, sealing{context: objectKeyContext(in.Bucket, in.Key), customer: in.CustomerKey})
	// Stop the reader if storing gave up early, and wait for it: the
	// deferred Close unpins the source it may still be reading.
	pr.CloseWithError(pipeErr(err))
	<-done
	if err != nil {
		return nil, err
	}
	o.setStored(st, in.CustomerKey)
	sum := hex.EncodeToString(vr.md5.Sum(nil))
	switch {
	case src.multipartID != "":
		// The copy is one body: it gets a plain MD5 ETag and a full-object
		// checksum, which the source's composite one does not describe.
		o.ETag, o.ChecksumAlgorithm, o.Checksum = sum, alg, checksum.Encode(vr.sum.Sum(nil))
	case sum != src.ETag:
		if st.blob.Ref != nil {
			s.deleteBlob(ctx, st.blob.ID, st.blob.Ref)
		}
		return nil, fmt.Errorf("%w: copy source read back with MD5 %s, want %s", ErrCorruptBody, sum, src.ETag)
	}
	put, err := s.commit(ctx, db, o, nil)
	if err != nil {
		return nil, err
	}
	if src.Versioning != "" {
		put.SourceVersionID = src.VersionID
	}
	return put, nil
}

// copyConditions applies x-amz-copy-source-if-*: If-Match true overrides a
// false If-Unmodified-Since, If-None-Match false wins over a true
// If-Modified-Since; every failure is 412.
func copyConditions(c Conditions, o *Object) error {
	err := c.evaluate(o)
	if err == nil {
		return nil
	}
	return wrap(ErrPreconditionFailed, "At least one of the pre-conditions you specified did not hold")
}

// pipeErr is what closing a copy's pipe reports to its writer: the
// consumer's failure, or io.ErrClosedPipe once it is done.
func pipeErr(err error) error {
	if err != nil {
		return err
	}
	return io.ErrClosedPipe
}

func isNotModified(err error) bool { return err != nil && errorsIs(err, ErrNotModified) }
