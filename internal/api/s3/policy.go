package s3

import (
	"encoding/xml"
	"io"
	"net/http"
	"strconv"

	"github.com/nimbuscloud/nimbus/internal/s3"
)

// putBucketPolicy stores the JSON policy in the body. A Content-MD5 or
// x-amz-checksum-* header, when sent, must match the body.
func putBucketPolicy(q *request) error {
	body, err := io.ReadAll(io.LimitReader(q.body, s3.MaxBucketPolicy+1))
	if err != nil {
		return err
	}
	if err := checkDigests(q, body); err != nil {
		return err
	}
	if err := q.h.svc.PutBucketPolicy(q.ctx, q.addr.Bucket, string(body)); err != nil {
		return err
	}
	return writeEmpty(q, http.StatusNoContent)
}

func getBucketPolicy(q *request) error {
	doc, err := q.h.svc.GetBucketPolicy(q.ctx, q.addr.Bucket)
	if err != nil {
		return err
	}
	setCommon(q)
	h := q.w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(doc)))
	q.w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(q.w, doc)
	return nil
}

func deleteBucketPolicy(q *request) error {
	if err := q.h.svc.DeleteBucketPolicy(q.ctx, q.addr.Bucket); err != nil {
		return err
	}
	return writeEmpty(q, http.StatusNoContent)
}

func getBucketPolicyStatus(q *request) error {
	public, err := q.h.svc.GetBucketPolicyStatus(q.ctx, q.addr.Bucket)
	if err != nil {
		return err
	}
	out := struct {
		XMLName  xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ PolicyStatus"`
		IsPublic bool     `xml:"IsPublic"`
	}{IsPublic: public}
	return writeXML(q, out)
}

// checkDigests checks the body against the Content-MD5 and
// x-amz-checksum-* headers that were sent (none is required).
func checkDigests(q *request, body []byte) error {
	_, err := verifyDigests(q, body)
	return err
}
