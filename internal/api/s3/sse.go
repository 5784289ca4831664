package s3

import (
	"errors"
	"net/http"

	"github.com/nimbuscloud/nimbus/internal/api/awserr"
	"github.com/nimbuscloud/nimbus/internal/s3"
	"github.com/nimbuscloud/nimbus/internal/s3/sse"
)

const (
	sseCPrefix     = "X-Amz-Server-Side-Encryption-Customer-"
	sseCCopyPrefix = "X-Amz-Copy-Source-Server-Side-Encryption-Customer-"
)

// customerKey reads SSE-C headers with the given prefix; nil when none
// was sent.
func customerKey(h http.Header, prefix string) (*sse.CustomerKey, error) {
	ck, err := sse.ParseCustomerKey(h.Get(prefix+"Algorithm"), h.Get(prefix+"Key"), h.Get(prefix+"Key-Md5"))
	if errors.Is(err, sse.ErrNoCustomerKey) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &ck, nil
}

// writeEncryption reads a write's encryption headers: SSE-C's key, or
// x-amz-server-side-encryption (AES256 is what every body gets anyway).
func writeEncryption(h http.Header) (*sse.CustomerKey, error) {
	if err := sse.ParseServerSideEncryption(h.Get("X-Amz-Server-Side-Encryption")); err != nil {
		return nil, err
	}
	ck, err := customerKey(h, sseCPrefix)
	if err == nil && ck != nil && h.Get("X-Amz-Server-Side-Encryption") != "" {
		return nil, awserr.New(http.StatusBadRequest, "InvalidArgument", "Server Side Encryption with Customer provided key is incompatible with the encryption method specified")
	}
	return ck, err
}

// refuseCustomerKey refuses SSE-C on multipart uploads, which are stored
// with SSE-S3 only (explicitly, rather than ignoring the key).
func refuseCustomerKey(h http.Header) error {
	if h.Get(sseCPrefix+"Algorithm") != "" || h.Get(sseCPrefix+"Key") != "" {
		return notImplemented("SSE-C on multipart uploads")
	}
	return sse.ParseServerSideEncryption(h.Get("X-Amz-Server-Side-Encryption"))
}

// writeSSEHeaders reports a body's encryption.
func writeSSEHeaders(q *request, mode, keyMD5 string) {
	wh := q.w.Header()
	switch mode {
	case s3.SSES3:
		wh.Set("X-Amz-Server-Side-Encryption", "AES256")
	case s3.SSEC:
		wh.Set(sseCPrefix+"Algorithm", "AES256")
		wh.Set(sseCPrefix+"Key-Md5", keyMD5)
	}
}

// sseError renders the sse package's client errors.
func sseError(err error) (*awserr.Error, bool) {
	var se *sse.Error
	if !errors.As(err, &se) {
		return nil, false
	}
	status := http.StatusBadRequest
	if se.Code == sse.CodeNotImplemented {
		status = http.StatusNotImplemented
	}
	return awserr.New(status, se.Code, "%s", se.Message), true
}

const defaultEncryption = `<ServerSideEncryptionConfiguration xmlns="` + xmlns + `"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>`

// getBucketEncryption reports the default encryption every bucket has:
// SSE-S3 (every body is sealed).
func getBucketEncryption(q *request) error {
	if _, err := q.h.svc.Bucket(q.ctx, q.addr.Bucket, "s3:GetEncryptionConfiguration"); err != nil {
		return err
	}
	return writeRaw(q, http.StatusOK, []byte(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"+defaultEncryption))
}

// putBucketEncryption accepts SSE-S3 (which every bucket has); KMS needs
// a KMS this region does not have.
func putBucketEncryption(q *request) error {
	var doc struct {
		Rules []struct {
			Default struct {
				Algorithm string `xml:"SSEAlgorithm"`
			} `xml:"ApplyServerSideEncryptionByDefault"`
		} `xml:"Rule"`
	}
	body, err := readVerified(q, maxConfigBody)
	if err != nil {
		return err
	}
	if err := decodeXML(body, &doc); err != nil {
		return err
	}
	if len(doc.Rules) != 1 {
		return awserr.New(http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
	}
	if err := sse.ParseServerSideEncryption(doc.Rules[0].Default.Algorithm); err != nil || doc.Rules[0].Default.Algorithm == "" {
		if err == nil {
			err = awserr.New(http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
		}
		return err
	}
	if _, err := q.h.svc.Bucket(q.ctx, q.addr.Bucket, "s3:PutEncryptionConfiguration"); err != nil {
		return err
	}
	return writeEmpty(q, http.StatusOK)
}

// deleteBucketEncryption leaves the default (SSE-S3) in place, as S3.
func deleteBucketEncryption(q *request) error {
	if _, err := q.h.svc.Bucket(q.ctx, q.addr.Bucket, "s3:PutEncryptionConfiguration"); err != nil {
		return err
	}
	return writeEmpty(q, http.StatusNoContent)
}
