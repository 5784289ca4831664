package s3

import (
	"encoding/xml"
	"net/http"
	"strings"
	"time"

	"github.com/nimbuscloud/nimbus/internal/api/awserr"
	"github.com/nimbuscloud/nimbus/internal/api/protocol/xmlbody"
	"github.com/nimbuscloud/nimbus/internal/s3"
)

// maxConfigBody bounds bucket configuration documents.
const maxConfigBody = 1 << 20

const isoMillis = "2006-01-02T15:04:05.000Z"

type owner struct {
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName,omitempty"`
}

func ownerOf(account string) owner { return owner{ID: s3.CanonicalID(account), DisplayName: account} }

func createBucket(q *request) error {
	var cfg struct {
		XMLName            xml.Name `xml:"CreateBucketConfiguration"`
		LocationConstraint string   `xml:"LocationConstraint"`
	}
	if q.r.ContentLength != 0 {
		if err := xmlbody.Decode(q.body, maxConfigBody, &cfg); err != nil {
			return err
		}
	}
	acl, err := aclHeaders(q.r.Header)
	if err != nil {
		return err
	}
	access := s3.BucketAccess{Ownership: q.r.Header.Get("X-Amz-Object-Ownership"), ACL: acl,
		ObjectLock: strings.EqualFold(q.r.Header.Get("X-Amz-Bucket-Object-Lock-Enabled"), "true")}
	if err := q.h.svc.CreateBucketWithAccess(q.ctx, q.addr.Bucket, cfg.LocationConstraint, access); err != nil {
		return err
	}
	q.w.Header().Set("Location", "/"+q.addr.Bucket)
	return writeEmpty(q, http.StatusOK)
}

func headBucket(q *request) error {
	q.w.Header().Set("X-Amz-Bucket-Region", q.h.svc.Region())
	if _, err := q.h.svc.Bucket(q.ctx, q.addr.Bucket, "s3:ListBucket"); err != nil {
		return err
	}
	q.w.Header().Set("X-Amz-Access-Point-Alias", "false")
	return writeEmpty(q, http.StatusOK)
}

func deleteBucket(q *request) error {
	if err := q.h.svc.DeleteBucket(q.ctx, q.addr.Bucket); err != nil {
		return err
	}
	return writeEmpty(q, http.StatusNoContent)
}

func listBuckets(q *request) error {
	acct, buckets, err := q.h.svc.ListBuckets(q.ctx)
	if err != nil {
		return err
	}
	type bucket struct {
		Name         string `xml:"Name"`
		CreationDate string `xml:"CreationDate"`
		BucketRegion string `xml:"BucketRegion"`
	}
	out := struct {
		XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListAllMyBucketsResult"`
		Owner   owner    `xml:"Owner"`
		Buckets []bucket `xml:"Buckets>Bucket"`
	}{Owner: ownerOf(acct), Buckets: []bucket{}}
	for _, b := range buckets {
		out.Buckets = append(out.Buckets, bucket{Name: b.Name, CreationDate: b.Created.UTC().Format(isoMillis), BucketRegion: b.Region})
	}
	return writeXML(q, out)
}

func getBucketLocation(q *request) error {
	b, err := q.h.svc.Bucket(q.ctx, q.addr.Bucket, "s3:GetBucketLocation")
	if err != nil {
		return err
	}
	loc := b.Region
	if loc == "us-east-1" {
		loc = ""
	}
	out := struct {
		XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ LocationConstraint"`
		Value   string   `xml:",chardata"`
	}{Value: loc}
	return writeXML(q, out)
}

// bucketDoc answers a configuration read with the fixed document S3 returns
// for a bucket where it was never set.
func bucketDoc(action, doc string) op {
	return func(q *request) error {
		if _, err := q.h.svc.Bucket(q.ctx, q.addr.Bucket, action); err != nil {
			return err
		}
		return writeRaw(q, http.StatusOK, []byte(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"+doc))
	}
}

// bucketMissing answers a configuration read with the 404 S3 returns for a
// bucket where it was never set.
func bucketMissing(action, code, msg string) op {
	return func(q *request) error {
		if _, err := q.h.svc.Bucket(q.ctx, q.addr.Bucket, action); err != nil {
			return err
		}
		return awserr.New(http.StatusNotFound, code, "%s", msg)
	}
}

func httpTime(t time.Time) string { return t.UTC().Format(http.TimeFormat) }
