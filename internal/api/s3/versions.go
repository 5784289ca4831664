package s3

import (
	"encoding/xml"
	"net/http"
	"strings"
	"time"

	"github.com/nimbuscloud/nimbus/internal/api/protocol/xmlbody"
	"github.com/nimbuscloud/nimbus/internal/s3"
)

// objectID is the request's key and ?versionId.
func objectID(q *request) s3.ObjectID {
	return s3.ObjectID{Key: q.addr.Key, VersionID: q.r.URL.Query().Get("versionId")}
}

// setVersionID sends x-amz-version-id for buckets that have (had)
// versioning enabled.
func setVersionID(q *request, versioning, versionID string) {
	if versioning != "" && versionID != "" {
		q.w.Header().Set("X-Amz-Version-Id", versionID)
	}
}

// writeMarkerHeaders sets what S3 sends with a delete marker's 404 or 405.
func writeMarkerHeaders(q *request, o *s3.Object) {
	wh := q.w.Header()
	wh.Set("X-Amz-Delete-Marker", "true")
	wh.Set("X-Amz-Version-Id", o.VersionID)
	if !o.LastModified.IsZero() {
		wh.Set("Last-Modified", httpTime(o.LastModified))
	}
}

// bypassGovernance reads x-amz-bypass-governance-retention.
func bypassGovernance(q *request) s3.DeleteOptions {
	return s3.DeleteOptions{BypassGovernance: strings.EqualFold(q.r.Header.Get("X-Amz-Bypass-Governance-Retention"), "true")}
}

type versioningConfiguration struct {
	XMLName   xml.Name `xml:"VersioningConfiguration"`
	Status    string   `xml:"Status,omitempty"`
	MfaDelete string   `xml:"MfaDelete,omitempty"`
}

func putBucketVersioning(q *request) error {
	var cfg versioningConfiguration
	if err := xmlbody.Decode(q.body, maxConfigBody, &cfg); err != nil {
		return err
	}
	if err := q.h.svc.PutBucketVersioning(q.ctx, q.addr.Bucket, cfg.Status, cfg.MfaDelete); err != nil {
		return err
	}
	return writeEmpty(q, http.StatusOK)
}

func getBucketVersioning(q *request) error {
	status, err := q.h.svc.GetBucketVersioning(q.ctx, q.addr.Bucket)
	if err != nil {
		return err
	}
	out := struct {
		XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ VersioningConfiguration"`
		Status  string   `xml:"Status,omitempty"`
	}{Status: status}
	return writeXML(q, out)
}

type versionXML struct {
	Key               string `xml:"Key"`
	VersionID         string `xml:"VersionId"`
	IsLatest          bool   `xml:"IsLatest"`
	LastModified      string `xml:"LastModified"`
	ETag              string `xml:"ETag,omitempty"`
	ChecksumAlgorithm string `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType      string `xml:"ChecksumType,omitempty"`
	Size              *int64 `xml:"Size,omitempty"`
	StorageClass      string `xml:"StorageClass,omitempty"`
	Owner             owner  `xml:"Owner"`
}

// versionsResult is ListVersionsResult; Entries holds Version and
// DeleteMarker elements in listing order.
type versionsResult struct {
	XMLName             xml.Name       `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListVersionsResult"`
	IsTruncated         bool           `xml:"IsTruncated"`
	KeyMarker           string         `xml:"KeyMarker"`
	VersionIDMarker     string         `xml:"VersionIdMarker"`
	NextKeyMarker       string         `xml:"NextKeyMarker,omitempty"`
	NextVersionIDMarker string         `xml:"NextVersionIdMarker,omitempty"`
	Entries             []any          `xml:",any"`
	Name                string         `xml:"Name"`
	Prefix              string         `xml:"Prefix"`
	Delimiter           string         `xml:"Delimiter,omitempty"`
	MaxKeys             int            `xml:"MaxKeys"`
	CommonPrefixes      []commonPrefix `xml:"CommonPrefixes"`
	EncodingType        string         `xml:"EncodingType,omitempty"`
}

type versionElem struct {
	XMLName xml.Name `xml:"Version"`
	versionXML
}

type markerElem struct {
	XMLName xml.Name `xml:"DeleteMarker"`
	versionXML
}

func listObjectVersions(q *request) error {
	base, enc, err := listParams(q)
	if err != nil {
		return err
	}
	query := q.r.URL.Query()
	in := s3.VersionsInput{Bucket: base.Bucket, Prefix: base.Prefix, Delimiter: base.Delimiter, MaxKeys: base.MaxKeys, MaxKeysIn: base.MaxKeysIn,
		KeyMarker: query.Get("key-marker"), VersionIDMarker: query.Get("version-id-marker")}
	out, err := q.h.svc.ListObjectVersions(q.ctx, in)
	if err != nil {
		return err
	}
	res := versionsResult{Name: in.Bucket, Prefix: enc(in.Prefix), Delimiter: enc(in.Delimiter), MaxKeys: in.MaxKeys,
		KeyMarker: enc(in.KeyMarker), VersionIDMarker: in.VersionIDMarker, IsTruncated: out.IsTruncated,
		NextKeyMarker: enc(out.NextKeyMarker), NextVersionIDMarker: out.NextVersionIDMarker}
	if query.Get("encoding-type") == "url" {
		res.EncodingType = "url"
	}
	own := ownerOf(out.Owner)
	for _, v := range out.Versions {
		x := versionXML{Key: enc(v.Key), VersionID: v.VersionID, IsLatest: v.IsLatest,
			LastModified: time.UnixMilli(v.LastModified).UTC().Format(isoMillis), Owner: own}
		if v.DeleteMarker {
			res.Entries = append(res.Entries, markerElem{versionXML: x})
			continue
		}
		size := v.Size
		x.ETag, x.Size, x.StorageClass = `"`+v.ETag+`"`, &size, v.StorageClass
		if v.Checksum != "" {
			x.ChecksumAlgorithm, x.ChecksumType = v.Checksum, "FULL_OBJECT"
		}
		res.Entries = append(res.Entries, versionElem{versionXML: x})
	}
	for _, p := range out.CommonPrefixes {
		res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{Prefix: enc(p)})
	}
	return writeXML(q, res)
}

// writeDeleteHeaders sets DeleteObject's version headers.
func writeDeleteHeaders(q *request, out s3.DeleteOutcome) {
	if out.VersionID != "" {
		q.w.Header().Set("X-Amz-Version-Id", out.VersionID)
	}
	if out.DeleteMarker {
		q.w.Header().Set("X-Amz-Delete-Marker", "true")
	}
}
