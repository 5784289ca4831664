package s3

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"io"
)

// MaxCopySize is the largest source CopyObject copies (5 GiB).
const MaxCopySize = 5 << 30

// CopyInput is a CopyObject request.
type CopyInput struct {
	SrcBucket, SrcKey string
	Bucket, Key       string
	Replace           bool // x-amz-metadata-directive: REPLACE
	Headers           Headers
	Metadata          map[string]string
	StorageClass      string
	Source            Conditions // x-amz-copy-source-if-*
	// ReplaceTags (x-amz-tagging-directive: REPLACE) gives the copy Tags
	// instead of the source's tags.
	ReplaceTags bool
	Tags        []Tag
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
	if in.SrcBucket == in.Bucket && in.SrcKey == in.Key && !in.Replace && in.StorageClass == "" {
		return nil, wrap(ErrInvalidRequest, "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
	}
	db, err := s.loadBucket(ctx, in.Bucket)
	if err != nil {
		return nil, err
	}
	if err := s.authorizeWrite(ctx, db, in.Key, in.Tags); err != nil {
		return nil, err
	}
	src, err := s.GetObject(ctx, GetInput{Bucket: in.SrcBucket, Key: in.SrcKey})
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
		Headers: src.Headers, Metadata: src.Metadata, ChecksumAlgorithm: src.ChecksumAlgorithm, Checksum: src.Checksum}
	if in.Replace {
		o.Headers, o.Metadata = in.Headers, in.Metadata
	}
	o.Tags = src.Tags
	if in.ReplaceTags {
		o.Tags = in.Tags
	}
	if !src.stored() {
		o.inline = src.inline
	} else {
		pr, pw := io.Pipe()
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, err := src.WriteTo(ctx, pw)
			pw.CloseWithError(err)
		}()
		var body io.Reader = pr
		sum := md5.New()
		if src.multipartID != "" {
			// The copy is one blob: it gets a plain MD5 ETag, and the
			// source's composite checksum does not describe it.
			body = io.TeeReader(pr, sum)
		}
		blob, err := s.blobs.Put(ctx, class, src.Size, body)
		// Stop the reader if Put gave up early, and wait for it: the
		// deferred Close unpins the source it may still be reading.
		pr.CloseWithError(pipeErr(err))
		<-done
		if err != nil {
			return nil, err
		}
		o.blobID, o.ref = blob.ID, blob.Ref
		if src.multipartID != "" {
			o.ETag, o.ChecksumAlgorithm, o.Checksum = hex.EncodeToString(sum.Sum(nil)), "", ""
		}
	}
	return s.commit(ctx, db, o, nil)
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
