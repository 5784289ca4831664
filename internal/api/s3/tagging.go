package s3

import (
	"encoding/xml"
	"io"
	"net/http"

	"github.com/nimbuscloud/nimbus/internal/api/awserr"
	"github.com/nimbuscloud/nimbus/internal/s3"
)

// tagXML is one Tag element.
type tagXML struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// taggingXML is a Tagging document, in and out. TagSet is always sent,
// empty when there are no tags, as S3.
type taggingXML struct {
	XMLName xml.Name `xml:"Tagging"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	TagSet  struct {
		Tags []tagXML `xml:"Tag"`
	} `xml:"TagSet"`
}

func toTaggingXML(tags []s3.Tag) taggingXML {
	out := taggingXML{Xmlns: xmlns}
	out.TagSet.Tags = make([]tagXML, len(tags))
	for i, t := range tags {
		out.TagSet.Tags[i] = tagXML(t)
	}
	return out
}

// readTagging decodes a Tagging body; bucket tagging must carry a
// Content-MD5 or x-amz-checksum-* header (as S3 requires), object tagging
// is checked against one when sent.
func readTagging(q *request, required bool) ([]s3.Tag, error) {
	var body []byte
	var err error
	if required {
		body, err = readVerified(q, s3.MaxTaggingDocument)
	} else {
		body, err = io.ReadAll(io.LimitReader(q.body, s3.MaxTaggingDocument+1))
		if err == nil && len(body) > s3.MaxTaggingDocument {
			err = awserr.New(http.StatusBadRequest, "MaxMessageLengthExceeded", "Your request was too big.")
		}
		if err == nil {
			err = checkDigests(q, body)
		}
	}
	if err != nil {
		return nil, err
	}
	var doc taggingXML
	if err := decodeXML(body, &doc); err != nil {
		return nil, err
	}
	tags := make([]s3.Tag, len(doc.TagSet.Tags))
	for i, t := range doc.TagSet.Tags {
		tags[i] = s3.Tag(t)
	}
	return tags, nil
}

// taggingHeader reads x-amz-tagging.
func taggingHeader(h http.Header) ([]s3.Tag, error) {
	return s3.ParseTaggingHeader(h.Get("X-Amz-Tagging"))
}

func getObjectTagging(q *request) error {
	id := objectID(q)
	tags, err := q.h.svc.GetObjectTagging(q.ctx, q.addr.Bucket, id)
	if err != nil {
		return err
	}
	if id.VersionID != "" {
		q.w.Header().Set("X-Amz-Version-Id", id.VersionID)
	}
	return writeXML(q, toTaggingXML(tags))
}

func putObjectTagging(q *request) error {
	tags, err := readTagging(q, false)
	if err != nil {
		return err
	}
	id := objectID(q)
	if err := q.h.svc.PutObjectTagging(q.ctx, q.addr.Bucket, id, tags); err != nil {
		return err
	}
	if id.VersionID != "" {
		q.w.Header().Set("X-Amz-Version-Id", id.VersionID)
	}
	return writeEmpty(q, http.StatusOK)
}

func deleteObjectTagging(q *request) error {
	id := objectID(q)
	if err := q.h.svc.DeleteObjectTagging(q.ctx, q.addr.Bucket, id); err != nil {
		return err
	}
	if id.VersionID != "" {
		q.w.Header().Set("X-Amz-Version-Id", id.VersionID)
	}
	return writeEmpty(q, http.StatusNoContent)
}

func getBucketTagging(q *request) error {
	tags, err := q.h.svc.GetBucketTagging(q.ctx, q.addr.Bucket)
	if err != nil {
		return err
	}
	return writeXML(q, toTaggingXML(tags))
}

func putBucketTagging(q *request) error {
	tags, err := readTagging(q, true)
	if err != nil {
		return err
	}
	if err := q.h.svc.PutBucketTagging(q.ctx, q.addr.Bucket, tags); err != nil {
		return err
	}
	return writeEmpty(q, http.StatusNoContent)
}

func deleteBucketTagging(q *request) error {
	if err := q.h.svc.DeleteBucketTagging(q.ctx, q.addr.Bucket); err != nil {
		return err
	}
	return writeEmpty(q, http.StatusNoContent)
}
