package s3

import (
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/nimbuscloud/nimbus/internal/api/awserr"
	"github.com/nimbuscloud/nimbus/internal/checksum"
	"github.com/nimbuscloud/nimbus/internal/s3"
)

func errorsIs(err, target error) bool { return errors.Is(err, target) }

// parseCopySource reads x-amz-copy-source: "[/]bucket/key[?versionId=v]",
// URL-encoded.
func parseCopySource(v string) (bucket, key, versionID string, err error) {
	bad := awserr.New(http.StatusBadRequest, "InvalidArgument", "Invalid copy source object key")
	src, version, _ := strings.Cut(v, "?")
	if version != "" {
		vq, perr := url.ParseQuery(version)
		if perr != nil {
			return "", "", "", awserr.New(http.StatusBadRequest, "InvalidArgument", "Invalid version id specified")
		}
		if vs, ok := vq["versionId"]; ok {
			if vs[0] == "" {
				return "", "", "", awserr.New(http.StatusBadRequest, "InvalidArgument", "Version id cannot be the empty string")
			}
			versionID = vs[0]
		}
	}
	src, uerr := url.PathUnescape(strings.TrimPrefix(src, "/"))
	if uerr != nil {
		return "", "", "", bad
	}
	bucket, key, ok := strings.Cut(src, "/")
	if !ok || bucket == "" || key == "" {
		return "", "", "", awserr.New(http.StatusBadRequest, "InvalidArgument", "Copy Source must mention the source bucket and key: sourcebucket/sourcekey")
	}
	return bucket, key, versionID, nil
}

func copyObject(q *request) error {
	if err := checkUploadACL(q); err != nil {
		return err
	}
	h := q.r.Header
	sb, sk, sv, err := parseCopySource(h.Get("X-Amz-Copy-Source"))
	if err != nil {
		return err
	}
	in := s3.CopyInput{
		SrcBucket: sb, SrcKey: sk, SrcVersionID: sv, Bucket: q.addr.Bucket, Key: q.addr.Key,
		StorageClass: h.Get("X-Amz-Storage-Class"),
		Source:       conditions(h, "X-Amz-Copy-Source-"),
	}
	switch d := h.Get("X-Amz-Metadata-Directive"); d {
	case "", "COPY":
	case "REPLACE":
		in.Replace = true
		in.Headers, in.Metadata = contentHeaders(h), userMetadata(h)
	default:
		return awserr.New(http.StatusBadRequest, "InvalidArgument", "Unknown metadata directive.")
	}
	switch d := h.Get("X-Amz-Tagging-Directive"); d {
	case "", "COPY":
	case "REPLACE":
		tags, err := taggingHeader(h)
		if err != nil {
			return err
		}
		in.ReplaceTags, in.Tags = true, tags
	default:
		return awserr.New(http.StatusBadRequest, "InvalidArgument", "Unknown tagging directive.")
	}
	if in.Retention, in.LegalHold, err = lockHeaders(h); err != nil {
		return err
	}
	if in.CustomerKey, err = writeEncryption(h); err != nil {
		return err
	}
	if in.SourceCustomerKey, err = customerKey(h, sseCCopyPrefix); err != nil {
		return err
	}
	put, err := q.h.svc.CopyObject(q.ctx, in)
	if err != nil {
		return err
	}
	setVersionID(q, put.Versioning, put.VersionID)
	writeSSEHeaders(q, put.SSE, put.SSECustomerKeyMD5)
	if put.SourceVersionID != "" {
		q.w.Header().Set("X-Amz-Copy-Source-Version-Id", put.SourceVersionID)
	}
	out := struct {
		XMLName           xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ CopyObjectResult"`
		LastModified      string   `xml:"LastModified"`
		ETag              string   `xml:"ETag"`
		ChecksumType      string   `xml:"ChecksumType,omitempty"`
		ChecksumCRC32     string   `xml:"ChecksumCRC32,omitempty"`
		ChecksumCRC32C    string   `xml:"ChecksumCRC32C,omitempty"`
		ChecksumCRC64NVME string   `xml:"ChecksumCRC64NVME,omitempty"`
		ChecksumSHA1      string   `xml:"ChecksumSHA1,omitempty"`
		ChecksumSHA256    string   `xml:"ChecksumSHA256,omitempty"`
	}{LastModified: put.LastModified.UTC().Format(isoMillis), ETag: `"` + put.ETag + `"`}
	if put.Checksum != "" {
		out.ChecksumType = "FULL_OBJECT"
		switch put.ChecksumAlgorithm {
		case checksum.CRC32:
			out.ChecksumCRC32 = put.Checksum
		case checksum.CRC32C:
			out.ChecksumCRC32C = put.Checksum
		case checksum.CRC64NVME:
			out.ChecksumCRC64NVME = put.Checksum
		case checksum.SHA1:
			out.ChecksumSHA1 = put.Checksum
		case checksum.SHA256:
			out.ChecksumSHA256 = put.Checksum
		}
	}
	return writeXML(q, out)
}

// maxDeleteBody bounds a DeleteObjects document: 1000 keys of up to 1024
// bytes, escaped, with their elements.
const maxDeleteBody = 8 << 20

func deleteObjects(q *request) error {
	body, err := readVerified(q, maxDeleteBody)
	if err != nil {
		return err
	}
	var in struct {
		XMLName xml.Name `xml:"Delete"`
		Quiet   bool     `xml:"Quiet"`
		Objects []struct {
			Key       string `xml:"Key"`
			VersionID string `xml:"VersionId"`
		} `xml:"Object"`
	}
	if err := decodeXML(body, &in); err != nil {
		return err
	}
	if len(in.Objects) == 0 || len(in.Objects) > 1000 {
		return awserr.New(http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
	}
	type deleted struct {
		Key                   string `xml:"Key"`
		VersionID             string `xml:"VersionId,omitempty"`
		DeleteMarker          bool   `xml:"DeleteMarker,omitempty"`
		DeleteMarkerVersionID string `xml:"DeleteMarkerVersionId,omitempty"`
	}
	type failed struct {
		Key       string `xml:"Key"`
		VersionID string `xml:"VersionId,omitempty"`
		Code      string `xml:"Code"`
		Message   string `xml:"Message"`
	}
	out := struct {
		XMLName xml.Name  `xml:"http://s3.amazonaws.com/doc/2006-03-01/ DeleteResult"`
		Deleted []deleted `xml:"Deleted"`
		Errors  []failed  `xml:"Error"`
	}{}
	ids := make([]s3.ObjectID, len(in.Objects))
	for i, o := range in.Objects {
		ids[i] = s3.ObjectID{Key: o.Key, VersionID: o.VersionID}
	}
	results, err := q.h.svc.DeleteObjects(q.ctx, q.addr.Bucket, ids, bypassGovernance(q))
	if err != nil {
		return err
	}
	for _, r := range results {
		if r.Err == nil {
			if !in.Quiet {
				d := deleted{Key: r.Key, VersionID: r.ObjectID.VersionID, DeleteMarker: r.DeleteMarker}
				if r.ObjectID.VersionID == "" && r.DeleteMarker {
					d.DeleteMarkerVersionID = r.DeleteOutcome.VersionID
				}
				out.Deleted = append(out.Deleted, d)
			}
			continue
		}
		e, ok := mapError(r.Err)
		if !ok {
			return r.Err
		}
		out.Errors = append(out.Errors, failed{Key: r.Key, VersionID: r.ObjectID.VersionID, Code: e.Code, Message: e.Message})
	}
	return writeXML(q, out)
}
