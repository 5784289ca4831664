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
	if v := q.r.Header.Get("X-Amz-Acl"); v != "" && v != "private" {
		return aclNotAllowed()
	}
	for k := range q.r.Header {
		if strings.HasPrefix(k, "X-Amz-Grant-") {
			return aclNotAllowed()
		}
	}
	if strings.EqualFold(q.r.Header.Get("X-Amz-Bucket-Object-Lock-Enabled"), "true") {
		return notImplemented("Object Lock")
	}
	if err := q.h.svc.CreateBucket(q.ctx, q.addr.Bucket, cfg.LocationConstraint); err != nil {
		return err
	}
	q.w.Header().Set("Location", "/"+q.addr.Bucket)
	return writeEmpty(q, http.StatusOK)
}

func aclNotAllowed() error {
	return awserr.New(http.StatusBadRequest, "InvalidBucketAclWithObjectOwnership", "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting")
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

// getBucketAcl returns the only ACL a BucketOwnerEnforced bucket has: its
// owner with FULL_CONTROL.
func getBucketAcl(q *request) error {
	b, err := q.h.svc.Bucket(q.ctx, q.addr.Bucket, "s3:GetBucketAcl")
	if err != nil {
		return err
	}
	o := ownerOf(b.AccountID)
	doc := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<AccessControlPolicy xmlns="` + xmlns + `"><Owner><ID>` + o.ID + `</ID><DisplayName>` + o.DisplayName + `</DisplayName></Owner>` +
		`<AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">` +
		`<ID>` + o.ID + `</ID><DisplayName>` + o.DisplayName + `</DisplayName></Grantee><Permission>FULL_CONTROL</Permission></Grant>` +
		`</AccessControlList></AccessControlPolicy>`
	return writeRaw(q, http.StatusOK, []byte(doc))
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
