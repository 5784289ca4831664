package s3

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"

	"github.com/nimbuscloud/nimbus/internal/api/awserr"
	"github.com/nimbuscloud/nimbus/internal/api/protocol/xmlbody"
	"github.com/nimbuscloud/nimbus/internal/checksum"
	"github.com/nimbuscloud/nimbus/internal/s3"
)

// maxCompleteBody bounds a CompleteMultipartUpload document: 10,000 parts
// with the longest checksum fit in about 2 MiB.
const maxCompleteBody = 4 << 20

type initiateResult struct {
	XMLName  xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ InitiateMultipartUploadResult"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	UploadID string   `xml:"UploadId"`
}

func createMultipartUpload(q *request) error {
	if err := checkUploadACL(q); err != nil {
		return err
	}
	h := q.r.Header
	if err := refuseCustomerKey(h); err != nil {
		return err
	}
	if h.Get("X-Amz-Object-Lock-Mode") != "" || h.Get("X-Amz-Object-Lock-Retain-Until-Date") != "" || h.Get("X-Amz-Object-Lock-Legal-Hold") != "" {
		// The bucket's default retention applies at completion; explicit
		// per-upload lock headers are refused rather than ignored.
		return notImplemented("Object lock headers on CreateMultipartUpload")
	}
	tags, err := taggingHeader(h)
	if err != nil {
		return err
	}
	u, err := q.h.svc.CreateMultipartUpload(q.ctx, s3.CreateUploadInput{
		Bucket: q.addr.Bucket, Key: q.addr.Key,
		Headers:           contentHeaders(h),
		Metadata:          userMetadata(h),
		StorageClass:      h.Get("X-Amz-Storage-Class"),
		ChecksumAlgorithm: h.Get("X-Amz-Checksum-Algorithm"),
		ChecksumType:      h.Get("X-Amz-Checksum-Type"),
		Tags:              tags,
	})
	if err != nil {
		return err
	}
	if u.ChecksumAlgorithm != "" {
		q.w.Header().Set("X-Amz-Checksum-Algorithm", string(u.ChecksumAlgorithm))
		q.w.Header().Set("X-Amz-Checksum-Type", u.ChecksumType)
	}
	return writeXML(q, initiateResult{Bucket: u.Bucket, Key: u.Key, UploadID: u.UploadID})
}

// partNumber reads the partNumber query parameter.
func partNumber(q *request) (int, error) {
	n, err := strconv.Atoi(q.r.URL.Query().Get("partNumber"))
	if err != nil || n < 1 || n > s3.MaxParts {
		return 0, awserr.New(http.StatusBadRequest, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive")
	}
	return n, nil
}

func uploadPart(q *request) error {
	n, err := partNumber(q)
	if err != nil {
		return err
	}
	if err := refuseCustomerKey(q.r.Header); err != nil {
		return err
	}
	in := s3.UploadPartInput{UploadID: q.r.URL.Query().Get("uploadId"), PartNumber: n, PutInput: bodyInput(q)}
	p, err := q.h.svc.UploadPart(q.ctx, in)
	if err != nil {
		return err
	}
	wh := q.w.Header()
	wh.Set("ETag", `"`+p.ETag+`"`)
	if p.Checksum != "" {
		wh.Set(checksum.HeaderName(p.ChecksumAlgorithm), p.Checksum)
	}
	return writeEmpty(q, http.StatusOK)
}

type completeRequest struct {
	XMLName xml.Name `xml:"CompleteMultipartUpload"`
	Parts   []struct {
		PartNumber        int    `xml:"PartNumber"`
		ETag              string `xml:"ETag"`
		ChecksumCRC32     string `xml:"ChecksumCRC32"`
		ChecksumCRC32C    string `xml:"ChecksumCRC32C"`
		ChecksumCRC64NVME string `xml:"ChecksumCRC64NVME"`
		ChecksumSHA1      string `xml:"ChecksumSHA1"`
		ChecksumSHA256    string `xml:"ChecksumSHA256"`
	} `xml:"Part"`
}

type completeResult struct {
	XMLName           xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ CompleteMultipartUploadResult"`
	Location          string   `xml:"Location"`
	Bucket            string   `xml:"Bucket"`
	Key               string   `xml:"Key"`
	ETag              string   `xml:"ETag"`
	ChecksumCRC32     string   `xml:"ChecksumCRC32,omitempty"`
	ChecksumCRC32C    string   `xml:"ChecksumCRC32C,omitempty"`
	ChecksumCRC64NVME string   `xml:"ChecksumCRC64NVME,omitempty"`
	ChecksumSHA1      string   `xml:"ChecksumSHA1,omitempty"`
	ChecksumSHA256    string   `xml:"ChecksumSHA256,omitempty"`
	ChecksumType      string   `xml:"ChecksumType,omitempty"`
}

func completeMultipartUpload(q *request) error {
	var doc completeRequest
	if err := xmlbody.Decode(q.body, maxCompleteBody, &doc); err != nil {
		return err
	}
	h := q.r.Header
	in := s3.CompleteInput{Bucket: q.addr.Bucket, Key: q.addr.Key, UploadID: q.r.URL.Query().Get("uploadId"),
		IfNoneMatch: h.Get("If-None-Match"), IfMatch: h.Get("If-Match")}
	for _, p := range doc.Parts {
		cp := s3.CompletedPart{Number: p.PartNumber, ETag: p.ETag}
		for alg, v := range map[checksum.Algorithm]string{
			checksum.CRC32: p.ChecksumCRC32, checksum.CRC32C: p.ChecksumCRC32C, checksum.CRC64NVME: p.ChecksumCRC64NVME,
			checksum.SHA1: p.ChecksumSHA1, checksum.SHA256: p.ChecksumSHA256,
		} {
			if v != "" {
				if cp.Checksums == nil {
					cp.Checksums = map[checksum.Algorithm]string{}
				}
				cp.Checksums[alg] = v
			}
		}
		in.Parts = append(in.Parts, cp)
	}
	c, err := q.h.svc.CompleteMultipartUpload(q.ctx, in)
	if err != nil {
		return err
	}
	setVersionID(q, c.Versioning, c.VersionID)
	writeSSEHeaders(q, c.SSE, "")
	res := completeResult{Location: "/" + q.addr.Bucket + "/" + q.addr.Key, Bucket: q.addr.Bucket, Key: q.addr.Key,
		ETag: `"` + c.ETag + `"`, ChecksumType: c.ChecksumType}
	setChecksumField(c.ChecksumAlgorithm, c.Checksum, &res.ChecksumCRC32, &res.ChecksumCRC32C, &res.ChecksumCRC64NVME, &res.ChecksumSHA1, &res.ChecksumSHA256)
	return writeXML(q, res)
}

// setChecksumField stores v in the field of alg's element.
func setChecksumField(alg checksum.Algorithm, v string, crc32, crc32c, crc64, sha1, sha256 *string) {
	switch alg {
	case checksum.CRC32:
		*crc32 = v
	case checksum.CRC32C:
		*crc32c = v
	case checksum.CRC64NVME:
		*crc64 = v
	case checksum.SHA1:
		*sha1 = v
	case checksum.SHA256:
		*sha256 = v
	}
}

func abortMultipartUpload(q *request) error {
	if err := q.h.svc.AbortMultipartUpload(q.ctx, q.addr.Bucket, q.addr.Key, q.r.URL.Query().Get("uploadId")); err != nil {
		return err
	}
	return writeEmpty(q, http.StatusNoContent)
}

type initiator struct {
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName,omitempty"`
}

type partEntry struct {
	PartNumber        int    `xml:"PartNumber"`
	LastModified      string `xml:"LastModified"`
	ETag              string `xml:"ETag"`
	Size              int64  `xml:"Size"`
	ChecksumCRC32     string `xml:"ChecksumCRC32,omitempty"`
	ChecksumCRC32C    string `xml:"ChecksumCRC32C,omitempty"`
	ChecksumCRC64NVME string `xml:"ChecksumCRC64NVME,omitempty"`
	ChecksumSHA1      string `xml:"ChecksumSHA1,omitempty"`
	ChecksumSHA256    string `xml:"ChecksumSHA256,omitempty"`
}

type listPartsResult struct {
	XMLName              xml.Name    `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListPartsResult"`
	Bucket               string      `xml:"Bucket"`
	Key                  string      `xml:"Key"`
	UploadID             string      `xml:"UploadId"`
	Initiator            initiator   `xml:"Initiator"`
	Owner                owner       `xml:"Owner"`
	StorageClass         string      `xml:"StorageClass"`
	PartNumberMarker     int         `xml:"PartNumberMarker"`
	NextPartNumberMarker int         `xml:"NextPartNumberMarker"`
	MaxParts             int         `xml:"MaxParts"`
	IsTruncated          bool        `xml:"IsTruncated"`
	ChecksumAlgorithm    string      `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType         string      `xml:"ChecksumType,omitempty"`
	Parts                []partEntry `xml:"Part"`
}

// intParam reads a non-negative integer query parameter (def when absent).
func intParam(q *request, name string, def int) (int, error) {
	v, ok := q.r.URL.Query()[name]
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(v[0])
	if err != nil || n < 0 {
		return 0, awserr.New(http.StatusBadRequest, "InvalidArgument", "Provided %s not an integer or within integer range", name)
	}
	return n, nil
}

func listParts(q *request) error {
	marker, err := intParam(q, "part-number-marker", 0)
	if err != nil {
		return err
	}
	max, err := intParam(q, "max-parts", s3.MaxListParts)
	if err != nil {
		return err
	}
	l, err := q.h.svc.ListParts(q.ctx, s3.ListPartsInput{Bucket: q.addr.Bucket, Key: q.addr.Key,
		UploadID: q.r.URL.Query().Get("uploadId"), PartNumberMarker: marker, MaxParts: max})
	if err != nil {
		return err
	}
	res := listPartsResult{Bucket: l.Bucket, Key: l.Key, UploadID: l.UploadID, Initiator: initiator{ID: l.Initiator, DisplayName: l.Initiator},
		Owner: ownerOf(l.Owner), StorageClass: l.StorageClass, PartNumberMarker: l.PartNumberMarker, NextPartNumberMarker: l.NextPartNumberMarker,
		MaxParts: l.MaxParts, IsTruncated: l.IsTruncated, ChecksumAlgorithm: string(l.ChecksumAlgorithm), ChecksumType: l.ChecksumType}
	for _, p := range l.Parts {
		e := partEntry{PartNumber: p.Number, LastModified: p.LastModified.Format(isoMillis), ETag: `"` + p.ETag + `"`, Size: p.Size}
		if l.ChecksumAlgorithm != "" {
			setChecksumField(p.ChecksumAlgorithm, p.Checksum, &e.ChecksumCRC32, &e.ChecksumCRC32C, &e.ChecksumCRC64NVME, &e.ChecksumSHA1, &e.ChecksumSHA256)
		}
		res.Parts = append(res.Parts, e)
	}
	return writeXML(q, res)
}

type uploadEntry struct {
	Key               string    `xml:"Key"`
	UploadID          string    `xml:"UploadId"`
	Initiator         initiator `xml:"Initiator"`
	Owner             owner     `xml:"Owner"`
	StorageClass      string    `xml:"StorageClass"`
	Initiated         string    `xml:"Initiated"`
	ChecksumAlgorithm string    `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType      string    `xml:"ChecksumType,omitempty"`
}

type listUploadsResult struct {
	XMLName            xml.Name       `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListMultipartUploadsResult"`
	Bucket             string         `xml:"Bucket"`
	KeyMarker          string         `xml:"KeyMarker"`
	UploadIDMarker     string         `xml:"UploadIdMarker"`
	NextKeyMarker      string         `xml:"NextKeyMarker"`
	NextUploadIDMarker string         `xml:"NextUploadIdMarker"`
	Prefix             string         `xml:"Prefix"`
	Delimiter          string         `xml:"Delimiter,omitempty"`
	MaxUploads         int            `xml:"MaxUploads"`
	EncodingType       string         `xml:"EncodingType,omitempty"`
	IsTruncated        bool           `xml:"IsTruncated"`
	Uploads            []uploadEntry  `xml:"Upload"`
	CommonPrefixes     []commonPrefix `xml:"CommonPrefixes"`
}

func listMultipartUploads(q *request) error {
	query := q.r.URL.Query()
	max, err := intParam(q, "max-uploads", s3.MaxListUploads)
	if err != nil {
		return err
	}
	enc := func(s string) string { return s }
	switch et := query.Get("encoding-type"); et {
	case "":
	case "url":
		enc = urlEncode
	default:
		return awserr.New(http.StatusBadRequest, "InvalidArgument", "Invalid Encoding Method specified in Request")
	}
	in := s3.ListUploadsInput{Bucket: q.addr.Bucket, Prefix: query.Get("prefix"), Delimiter: query.Get("delimiter"),
		KeyMarker: query.Get("key-marker"), UploadIDMarker: query.Get("upload-id-marker"), MaxUploads: max}
	l, err := q.h.svc.ListMultipartUploads(q.ctx, in)
	if err != nil {
		return err
	}
	res := listUploadsResult{Bucket: q.addr.Bucket, KeyMarker: enc(in.KeyMarker), UploadIDMarker: in.UploadIDMarker,
		NextKeyMarker: enc(l.NextKeyMarker), NextUploadIDMarker: l.NextUploadIDMarker, Prefix: enc(in.Prefix), Delimiter: enc(in.Delimiter),
		MaxUploads: l.MaxUploads, IsTruncated: l.IsTruncated, EncodingType: query.Get("encoding-type")}
	for _, u := range l.Uploads {
		res.Uploads = append(res.Uploads, uploadEntry{Key: enc(u.Key), UploadID: u.UploadID, Initiator: initiator{ID: u.Initiator, DisplayName: u.Initiator},
			Owner: ownerOf(u.Owner), StorageClass: u.StorageClass, Initiated: u.Initiated.Format(isoMillis),
			ChecksumAlgorithm: string(u.ChecksumAlgorithm), ChecksumType: u.ChecksumType})
	}
	for _, p := range l.CommonPrefixes {
		res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{Prefix: enc(p)})
	}
	return writeXML(q, res)
}

// bodyInput reads a PUT's body and digest fields (PutObject, UploadPart).
func bodyInput(q *request) s3.PutInput {
	h := q.r.Header
	in := s3.PutInput{
		Bucket: q.addr.Bucket, Key: q.addr.Key,
		Size:         payloadSize(q.r),
		Body:         q.body,
		ContentMD5:   h.Get("Content-Md5"),
		SDKAlgorithm: h.Get("X-Amz-Sdk-Checksum-Algorithm"),
	}
	if in.SDKAlgorithm == "" {
		in.SDKAlgorithm = h.Get("X-Amz-Checksum-Algorithm")
	}
	for _, alg := range checksum.Algorithms() {
		if v := h.Get(checksum.HeaderName(alg)); v != "" {
			if in.Checksums == nil {
				in.Checksums = map[checksum.Algorithm]string{}
			}
			in.Checksums[alg] = v
		}
	}
	for _, v := range h.Values("X-Amz-Trailer") {
		for name := range strings.SplitSeq(v, ",") {
			if alg, err := checksum.FromHeader(strings.TrimSpace(name)); err == nil {
				in.TrailerAlgorithm = alg
			}
		}
	}
	if t, ok := q.body.(trailered); ok {
		in.Trailer = func() map[string]string {
			m := map[string]string{}
			for k, vs := range t.Trailer() {
				if len(vs) > 0 {
					m[strings.ToLower(k)] = vs[0]
				}
			}
			return m
		}
	}
	return in
}

type copyPartResult struct {
	XMLName           xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ CopyPartResult"`
	LastModified      string   `xml:"LastModified"`
	ETag              string   `xml:"ETag"`
	ChecksumCRC32     string   `xml:"ChecksumCRC32,omitempty"`
	ChecksumCRC32C    string   `xml:"ChecksumCRC32C,omitempty"`
	ChecksumCRC64NVME string   `xml:"ChecksumCRC64NVME,omitempty"`
	ChecksumSHA1      string   `xml:"ChecksumSHA1,omitempty"`
	ChecksumSHA256    string   `xml:"ChecksumSHA256,omitempty"`
}

// parseCopyRange reads x-amz-copy-source-range: exactly "bytes=first-last".
func parseCopyRange(v string) (*s3.Range, error) {
	bad := awserr.New(http.StatusBadRequest, "InvalidArgument",
		"The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy")
	spec, ok := strings.CutPrefix(strings.TrimSpace(v), "bytes=")
	if !ok {
		return nil, bad
	}
	first, last, ok := strings.Cut(spec, "-")
	if !ok {
		return nil, bad
	}
	f, err1 := strconv.ParseInt(first, 10, 64)
	l, err2 := strconv.ParseInt(last, 10, 64)
	if err1 != nil || err2 != nil || f < 0 || l < f {
		return nil, bad
	}
	return &s3.Range{First: f, Last: l}, nil
}

func uploadPartCopy(q *request) error {
	n, err := partNumber(q)
	if err != nil {
		return err
	}
	h := q.r.Header
	sb, sk, sv, err := parseCopySource(h.Get("X-Amz-Copy-Source"))
	if err != nil {
		return err
	}
	in := s3.UploadPartCopyInput{Bucket: q.addr.Bucket, Key: q.addr.Key, UploadID: q.r.URL.Query().Get("uploadId"), PartNumber: n,
		SrcBucket: sb, SrcKey: sk, SrcVersionID: sv, Source: conditions(h, "X-Amz-Copy-Source-")}
	if v := h.Get("X-Amz-Copy-Source-Range"); v != "" {
		if in.Range, err = parseCopyRange(v); err != nil {
			return err
		}
	}
	p, err := q.h.svc.UploadPartCopy(q.ctx, in)
	if err != nil {
		return err
	}
	if p.SourceVersionID != "" {
		q.w.Header().Set("X-Amz-Copy-Source-Version-Id", p.SourceVersionID)
	}
	res := copyPartResult{LastModified: p.LastModified.Format(isoMillis), ETag: `"` + p.ETag + `"`}
	setChecksumField(p.ChecksumAlgorithm, p.Checksum, &res.ChecksumCRC32, &res.ChecksumCRC32C, &res.ChecksumCRC64NVME, &res.ChecksumSHA1, &res.ChecksumSHA256)
	return writeXML(q, res)
}
