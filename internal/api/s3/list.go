package s3

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/nimbuscloud/nimbus/internal/api/awserr"
	"github.com/nimbuscloud/nimbus/internal/s3"
)

type listEntry struct {
	Key               string `xml:"Key"`
	LastModified      string `xml:"LastModified"`
	ETag              string `xml:"ETag"`
	ChecksumAlgorithm string `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType      string `xml:"ChecksumType,omitempty"`
	Size              int64  `xml:"Size"`
	Owner             *owner `xml:"Owner,omitempty"`
	StorageClass      string `xml:"StorageClass"`
}

type commonPrefix struct {
	Prefix string `xml:"Prefix"`
}

type listResult struct {
	XMLName               xml.Name       `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListBucketResult"`
	IsTruncated           bool           `xml:"IsTruncated"`
	Marker                *string        `xml:"Marker"`
	NextMarker            string         `xml:"NextMarker,omitempty"`
	Contents              []listEntry    `xml:"Contents"`
	Name                  string         `xml:"Name"`
	Prefix                string         `xml:"Prefix"`
	Delimiter             string         `xml:"Delimiter,omitempty"`
	MaxKeys               int            `xml:"MaxKeys"`
	CommonPrefixes        []commonPrefix `xml:"CommonPrefixes"`
	EncodingType          string         `xml:"EncodingType,omitempty"`
	KeyCount              *int           `xml:"KeyCount"`
	ContinuationToken     string         `xml:"ContinuationToken,omitempty"`
	NextContinuationToken string         `xml:"NextContinuationToken,omitempty"`
	StartAfter            string         `xml:"StartAfter,omitempty"`
}

// listParams reads the parameters V1 and V2 share.
func listParams(q *request) (s3.ListInput, func(string) string, error) {
	query := q.r.URL.Query()
	in := s3.ListInput{Bucket: q.addr.Bucket, Prefix: query.Get("prefix"), Delimiter: query.Get("delimiter"), MaxKeys: s3.MaxListKeys}
	if v, ok := query["max-keys"]; ok {
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 0 {
			return in, nil, awserr.New(http.StatusBadRequest, "InvalidArgument", "Provided max-keys not an integer or within integer range")
		}
		in.MaxKeys, in.MaxKeysIn = n, true
	}
	enc := func(s string) string { return s }
	switch query.Get("encoding-type") {
	case "":
	case "url":
		enc = urlEncode
	default:
		return in, nil, awserr.New(http.StatusBadRequest, "InvalidArgument", "Invalid Encoding Method specified in Request")
	}
	return in, enc, nil
}

// urlEncode is S3's encoding-type=url: query escaping with '/' kept.
func urlEncode(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "%2F", "/")
}

func fill(res *listResult, out *s3.ListOutput, enc func(string) string, withOwner bool) {
	var o *owner
	if withOwner {
		ow := ownerOf(out.Owner)
		o = &ow
	}
	res.Contents = make([]listEntry, 0, len(out.Entries))
	for _, e := range out.Entries {
		le := listEntry{Key: enc(e.Key), LastModified: time.UnixMilli(e.LastModified).UTC().Format(isoMillis),
			ETag: `"` + e.ETag + `"`, Size: e.Size, StorageClass: e.StorageClass, Owner: o}
		if e.Checksum != "" {
			le.ChecksumAlgorithm, le.ChecksumType = e.Checksum, "FULL_OBJECT"
		}
		res.Contents = append(res.Contents, le)
	}
	for _, p := range out.CommonPrefixes {
		res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{Prefix: enc(p)})
	}
}

func listObjectsV2(q *request) error {
	in, enc, err := listParams(q)
	if err != nil {
		return err
	}
	query := q.r.URL.Query()
	in.StartAfter = query.Get("start-after")
	if v, ok := query["continuation-token"]; ok {
		if v[0] == "" {
			return awserr.New(http.StatusBadRequest, "InvalidArgument", "The continuation token provided is incorrect")
		}
		in.ContinuationToken = v[0]
	}
	out, err := q.h.svc.ListObjects(q.ctx, in)
	if err != nil {
		return err
	}
	res := listResult{Name: in.Bucket, Prefix: enc(in.Prefix), Delimiter: enc(in.Delimiter), MaxKeys: in.MaxKeys,
		IsTruncated: out.IsTruncated, ContinuationToken: in.ContinuationToken, NextContinuationToken: out.NextContinuationToken,
		StartAfter: enc(in.StartAfter)}
	if query.Get("encoding-type") == "url" {
		res.EncodingType = "url"
	}
	fill(&res, out, enc, query.Get("fetch-owner") == "true")
	n := len(res.Contents) + len(res.CommonPrefixes)
	res.KeyCount = &n
	return writeXML(q, res)
}

func listObjectsV1(q *request) error {
	in, enc, err := listParams(q)
	if err != nil {
		return err
	}
	query := q.r.URL.Query()
	in.Marker = query.Get("marker")
	out, err := q.h.svc.ListObjects(q.ctx, in)
	if err != nil {
		return err
	}
	marker := enc(in.Marker)
	res := listResult{Name: in.Bucket, Prefix: enc(in.Prefix), Delimiter: enc(in.Delimiter), MaxKeys: in.MaxKeys,
		IsTruncated: out.IsTruncated, Marker: &marker}
	if out.IsTruncated && in.Delimiter != "" {
		res.NextMarker = enc(out.NextMarker)
	}
	if query.Get("encoding-type") == "url" {
		res.EncodingType = "url"
	}
	fill(&res, out, enc, true)
	return writeXML(q, res)
}
