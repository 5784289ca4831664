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
func parseCopySource(v string) (bucket, key string, err error) {
	bad := awserr.New(http.StatusBadRequest, "InvalidArgument", "Invalid copy source object key")
	src, version, _ := strings.Cut(v, "?")
	if version != "" {
		vq, perr := url.ParseQuery(version)
		if perr != nil || (vq.Get("versionId") != "" && vq.Get("versionId") != "null") {
			return "", "", awserr.New(http.StatusBadRequest, "InvalidArgument", "Invalid version id specified")
		}
	}
	src, uerr := url.PathUnescape(strings.TrimPrefix(src, "/"))
	if uerr != nil {
		return "", "", bad
	}
	bucket, key, ok := strings.Cut(src, "/")
	if !ok || bucket == "" || key == "" {
		return "", "", awserr.New(http.StatusBadRequest, "InvalidArgument", "Copy Source must mention the source bucket and key: sourcebucket/sourcekey")
	}
	return bucket, key, nil
}

func copyObject(q *request) error {
	h := q.r.Header
	if v := h.Get("X-Amz-Acl"); v != "" && v != "private" && v != "bucket-owner-full-control" {
		return awserr.New(http.StatusBadRequest, "AccessControlListNotSupported", "The bucket does not allow ACLs")
	}
	sb, sk, err := parseCopySource(h.Get("X-Amz-Copy-Source"))
	if err != nil {
		return err
	}
	in := s3.CopyInput{
		SrcBucket: sb, SrcKey: sk, Bucket: q.addr.Bucket, Key: q.addr.Key,
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
	put, err := q.h.svc.CopyObject(q.ctx, in)
	if err != nil {
		return err
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
		Key string `xml:"Key"`
	}
	type failed struct {
		Key     string `xml:"Key"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	out := struct {
		XMLName xml.Name  `xml:"http://s3.amazonaws.com/doc/2006-03-01/ DeleteResult"`
		Deleted []deleted `xml:"Deleted"`
		Errors  []failed  `xml:"Error"`
	}{}
	var keys []string
	for _, o := range in.Objects {
		if o.VersionID != "" && o.VersionID != "null" {
			out.Errors = append(out.Errors, failed{Key: o.Key, Code: "InvalidArgument", Message: "Invalid version id specified"})
			continue
		}
		keys = append(keys, o.Key)
	}
	results, err := q.h.svc.DeleteObjects(q.ctx, q.addr.Bucket, keys)
	if err != nil {
		return err
	}
	for _, r := range results {
		if r.Err == nil {
			if !in.Quiet {
				out.Deleted = append(out.Deleted, deleted{Key: r.Key})
			}
			continue
		}
		e, ok := mapError(r.Err)
		if !ok {
			return r.Err
		}
		out.Errors = append(out.Errors, failed{Key: r.Key, Code: e.Code, Message: e.Message})
	}
	return writeXML(q, out)
}
