package s3

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/nimbuscloud/nimbus/internal/api/awserr"
	"github.com/nimbuscloud/nimbus/internal/caller"
	"github.com/nimbuscloud/nimbus/internal/checksum"
	"github.com/nimbuscloud/nimbus/internal/s3"
)

// contentHeaders reads the stored Content-* headers of a PUT or a REPLACE
// copy; encoding is the Content-Encoding without aws-chunked.
func contentHeaders(h http.Header) s3.Headers {
	return s3.Headers{
		ContentType:        h.Get("Content-Type"),
		ContentEncoding:    withoutAWSChunked(h.Values("Content-Encoding")),
		ContentDisposition: h.Get("Content-Disposition"),
		ContentLanguage:    h.Get("Content-Language"),
		CacheControl:       h.Get("Cache-Control"),
		Expires:            h.Get("Expires"),
	}
}

func withoutAWSChunked(values []string) string {
	var keep []string
	for _, v := range values {
		for c := range strings.SplitSeq(v, ",") {
			if c = strings.TrimSpace(c); c != "" && !strings.EqualFold(c, "aws-chunked") {
				keep = append(keep, c)
			}
		}
	}
	return strings.Join(keep, ",")
}

// userMetadata collects x-amz-meta-* headers (lower-case names, several
// values joined by commas, as S3).
func userMetadata(h http.Header) map[string]string {
	var m map[string]string
	for k, vs := range h {
		name, ok := strings.CutPrefix(strings.ToLower(k), "x-amz-meta-")
		if !ok {
			continue
		}
		if m == nil {
			m = map[string]string{}
		}
		m[name] = strings.Join(vs, ",")
	}
	return m
}

// payloadSize is the decoded payload length a PUT declares, -1 if none.
func payloadSize(r *http.Request) int64 {
	if v := r.Header.Get("X-Amz-Decoded-Content-Length"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return -1
		}
		return n
	}
	return r.ContentLength
}

// trailered is the gateway's verified body, which exposes its trailers.
type trailered interface{ Trailer() http.Header }

func putObject(q *request) error {
	if err := checkUploadACL(q); err != nil {
		return err
	}
	h := q.r.Header
	in := bodyInput(q)
	in.Headers = contentHeaders(h)
	in.Metadata = userMetadata(h)
	in.StorageClass = h.Get("X-Amz-Storage-Class")
	in.IfNoneMatch = h.Get("If-None-Match")
	in.IfMatch = h.Get("If-Match")
	tags, err := taggingHeader(h)
	if err != nil {
		return err
	}
	in.Tags = tags
	if in.Retention, in.LegalHold, err = lockHeaders(h); err != nil {
		return err
	}
	if in.CustomerKey, err = writeEncryption(h); err != nil {
		return err
	}
	put, err := q.h.svc.PutObject(q.ctx, in)
	if err != nil {
		return err
	}
	writePutHeaders(q, put)
	return writeEmpty(q, http.StatusOK)
}

func writePutHeaders(q *request, put *s3.Put) {
	wh := q.w.Header()
	wh.Set("ETag", `"`+put.ETag+`"`)
	setVersionID(q, put.Versioning, put.VersionID)
	writeSSEHeaders(q, put.SSE, put.SSECustomerKeyMD5)
	if put.Checksum != "" {
		wh.Set(checksum.HeaderName(put.ChecksumAlgorithm), put.Checksum)
		wh.Set("X-Amz-Checksum-Type", "FULL_OBJECT")
	}
}

// conditions reads If-* headers with the given prefix ("" or
// "X-Amz-Copy-Source-"); unparsable dates are ignored, as S3 does.
func conditions(h http.Header, prefix string) s3.Conditions {
	date := func(name string) time.Time {
		t, err := http.ParseTime(h.Get(prefix + name))
		if err != nil {
			return time.Time{}
		}
		return t
	}
	return s3.Conditions{
		IfMatch:           h.Get(prefix + "If-Match"),
		IfNoneMatch:       h.Get(prefix + "If-None-Match"),
		IfModifiedSince:   date("If-Modified-Since"),
		IfUnmodifiedSince: date("If-Unmodified-Since"),
	}
}

// parseRange reads a single "bytes=" range; anything else is ignored (the
// whole object is sent), as S3 does.
func parseRange(v string) *s3.Range {
	spec, ok := strings.CutPrefix(strings.TrimSpace(v), "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return nil
	}
	first, last, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return nil
	}
	num := func(s string) (int64, bool) {
		n, err := strconv.ParseInt(s, 10, 64)
		return n, err == nil && n >= 0 && s[0] != '+'
	}
	if first == "" {
		n, ok := num(last)
		if !ok {
			return nil
		}
		return &s3.Range{First: -1, Last: -1, Suffix: n}
	}
	f, ok := num(first)
	if !ok {
		return nil
	}
	if last == "" {
		return &s3.Range{First: f, Last: -1}
	}
	l, ok := num(last)
	if !ok || l < f {
		return nil
	}
	return &s3.Range{First: f, Last: l}
}

// responseOverrides are GetObject's response-* query parameters.
var responseOverrides = []struct{ param, header string }{
	{"response-content-type", "Content-Type"},
	{"response-content-language", "Content-Language"},
	{"response-expires", "Expires"},
	{"response-cache-control", "Cache-Control"},
	{"response-content-disposition", "Content-Disposition"},
	{"response-content-encoding", "Content-Encoding"},
}

func getObject(q *request) error  { return readObject(q, false) }
func headObject(q *request) error { return readObject(q, true) }

func readObject(q *request, head bool) error {
	h, query := q.r.Header, q.r.URL.Query()
	in := s3.GetInput{Bucket: q.addr.Bucket, Key: q.addr.Key, Head: head, Conditions: conditions(h, "")}
	if v := h.Get("Range"); v != "" {
		in.Range = parseRange(v)
	}
	if v, ok := query["versionId"]; ok {
		if v[0] == "" {
			return awserr.New(http.StatusBadRequest, "InvalidArgument", "Version id cannot be the empty string")
		}
		in.VersionID = v[0]
	}
	if v, ok := query["partNumber"]; ok {
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 1 || n > 10000 {
			return awserr.New(http.StatusBadRequest, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive")
		}
		in.PartNumber = n
	}
	for _, o := range responseOverrides {
		if query.Has(o.param) {
			if c := caller.From(q.ctx); c == nil || c.Anonymous() {
				return awserr.New(http.StatusBadRequest, "InvalidRequest", "Request specific response headers cannot be used for anonymous GET requests.")
			}
		}
	}
	ck, err := customerKey(h, sseCPrefix)
	if err != nil {
		return err
	}
	in.CustomerKey = ck
	obj, err := q.h.svc.GetObject(q.ctx, in)
	switch {
	case obj != nil && obj.DeleteMarker:
		writeMarkerHeaders(q, obj)
	case obj != nil:
		writeObjectHeaders(q, obj)
	}
	if err != nil {
		if obj != nil && errorsIs(err, s3.ErrInvalidRange) {
			q.w.Header().Del("ETag")
			q.w.Header().Del("Last-Modified")
			q.w.Header().Set("Content-Range", "bytes */"+strconv.FormatInt(obj.Size, 10))
		}
		return err
	}
	defer obj.Close()
	wh := q.w.Header()
	for _, o := range responseOverrides {
		if v := query.Get(o.param); v != "" {
			wh.Set(o.header, v)
		}
	}
	if strings.EqualFold(h.Get("X-Amz-Checksum-Mode"), "ENABLED") && !obj.Partial && obj.Checksum != "" && in.PartNumber == 0 {
		wh.Set(checksum.HeaderName(obj.ChecksumAlgorithm), obj.Checksum)
		if obj.PartsCount > 0 {
			wh.Set("X-Amz-Checksum-Type", "COMPOSITE")
		} else {
			wh.Set("X-Amz-Checksum-Type", "FULL_OBJECT")
		}
	}
	switch {
	case in.PartNumber > 0 && obj.PartsCount > 0:
		wh.Set("X-Amz-Mp-Parts-Count", strconv.Itoa(obj.PartsCount))
	case in.PartNumber > 0:
		wh.Set("X-Amz-Mp-Parts-Count", "1")
	}
	wh.Set("Content-Length", strconv.FormatInt(obj.Length, 10))
	setCommon(q)
	status := http.StatusOK
	if obj.Partial {
		status = http.StatusPartialContent
		wh.Set("Content-Range", "bytes "+strconv.FormatInt(obj.Start, 10)+"-"+strconv.FormatInt(obj.Start+obj.Length-1, 10)+"/"+strconv.FormatInt(obj.Size, 10))
	}
	q.w.WriteHeader(status)
	if head {
		return nil
	}
	if _, err := obj.WriteTo(q.ctx, q.w); err != nil {
		// The status is sent: all that is left is to cut the connection so
		// the client sees a short body, never a silently truncated one.
		q.h.log.Warn("s3 GetObject body failed", "request_id", caller.From(q.ctx).RequestID, "err", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}

// writeObjectHeaders sets an object's metadata headers.
func writeObjectHeaders(q *request, o *s3.Object) {
	wh := q.w.Header()
	wh.Set("ETag", `"`+o.ETag+`"`)
	wh.Set("Last-Modified", httpTime(o.LastModified))
	wh.Set("Accept-Ranges", "bytes")
	setVersionID(q, o.Versioning, o.VersionID)
	writeLockHeaders(q, o)
	writeSSEHeaders(q, o.SSE, o.SSECustomerKeyMD5)
	ct := o.ContentType
	if ct == "" {
		ct = "binary/octet-stream"
	}
	wh.Set("Content-Type", ct)
	for _, kv := range [][2]string{
		{"Content-Encoding", o.ContentEncoding}, {"Content-Disposition", o.ContentDisposition},
		{"Content-Language", o.ContentLanguage}, {"Cache-Control", o.CacheControl}, {"Expires", o.Expires},
	} {
		if kv[1] != "" {
			wh.Set(kv[0], kv[1])
		}
	}
	for k, v := range o.Metadata {
		wh["X-Amz-Meta-"+k] = []string{v} // S3 sends the names as stored: lower case
	}
	if o.StorageClass != "" && o.StorageClass != "STANDARD" {
		wh.Set("X-Amz-Storage-Class", o.StorageClass)
	}
	if len(o.Tags) > 0 {
		wh.Set("X-Amz-Tagging-Count", strconv.Itoa(len(o.Tags)))
	}
}

func deleteObject(q *request) error {
	if v, ok := q.r.URL.Query()["versionId"]; ok && v[0] == "" {
		return awserr.New(http.StatusBadRequest, "InvalidArgument", "Version id cannot be the empty string")
	}
	out, err := q.h.svc.DeleteObject(q.ctx, q.addr.Bucket, objectID(q), bypassGovernance(q))
	if err != nil {
		return err
	}
	writeDeleteHeaders(q, out)
	return writeEmpty(q, http.StatusNoContent)
}
