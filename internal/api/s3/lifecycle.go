package s3

import (
	"net/http"

	"github.com/nimbuscloud/nimbus/internal/s3/lifecycle"
)

func putBucketLifecycle(q *request) error {
	body, err := readVerified(q, lifecycle.MaxBodySize)
	if err != nil {
		return err
	}
	if err := q.h.svc.PutBucketLifecycle(q.ctx, q.addr.Bucket, body); err != nil {
		return err
	}
	return writeEmpty(q, http.StatusOK)
}

func getBucketLifecycle(q *request) error {
	doc, err := q.h.svc.GetBucketLifecycle(q.ctx, q.addr.Bucket)
	if err != nil {
		return err
	}
	return writeRaw(q, http.StatusOK, append([]byte(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"), doc...))
}

func deleteBucketLifecycle(q *request) error {
	if err := q.h.svc.DeleteBucketLifecycle(q.ctx, q.addr.Bucket); err != nil {
		return err
	}
	return writeEmpty(q, http.StatusNoContent)
}
