package s3

import (
	"context"
	"encoding/xml"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/nimbuscloud/nimbus/internal/api/awserr"
	"github.com/nimbuscloud/nimbus/internal/api/sigv4"
	"github.com/nimbuscloud/nimbus/internal/caller"
	"github.com/nimbuscloud/nimbus/internal/checksum"
	"github.com/nimbuscloud/nimbus/internal/s3"
	"github.com/nimbuscloud/nimbus/internal/s3/postpolicy"
)

// PostAuthenticator verifies the signature of a browser POST form (its
// policy field signed with the key of x-amz-credential) and names the
// principal that signed it. The gateway implements it with its own key
// lookup, so secrets never reach this package. Errors are S3's
// (*awserr.Error): InvalidAccessKeyId, SignatureDoesNotMatch, ...
type PostAuthenticator interface {
	AuthenticatePost(ctx context.Context, f sigv4.PostForm) (caller.Principal, error)
}

// SetPostAuthenticator lets the handler accept signed POST forms; without
// one, a form carrying a policy is answered NotImplemented (anonymous
// forms still work). Call it before serving.
func (h *Handler) SetPostAuthenticator(a PostAuthenticator) { h.post = a }

// postResponse is the body of success_action_status 201.
type postResponse struct {
	XMLName  xml.Name `xml:"PostResponse"`
	Location string   `xml:"Location"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	ETag     string   `xml:"ETag"`
}

// postObject is PostObject: a browser-based upload, POST /bucket with a
// multipart/form-data body (see readPostForm). With a policy field the
// form must be signed (x-amz-algorithm, x-amz-credential, x-amz-date,
// x-amz-signature, x-amz-security-token for temporary credentials), the
// policy must hold, and the upload runs as the signer; without one it is
// anonymous. The file is then a PutObject of known length, streamed from
// the form, never buffered: stored, encrypted, versioned, locked and
// authorized exactly as PUT does it.
func postObject(q *request) error {
	mt, params, err := mime.ParseMediaType(q.r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return awserr.New(http.StatusPreconditionFailed, "PreconditionFailed",
			"At least one of the pre-conditions you specified did not hold: Bucket POST must be of the enclosure-type multipart/form-data")
	}
	length := payloadSize(q.r)
	if length < 0 {
		return awserr.New(http.StatusLengthRequired, "MissingContentLength", "You must provide the Content-Length HTTP header.")
	}
	form, err := readPostForm(q.body, params["boundary"], length)
	if err != nil {
		return err
	}
	key, ok := form.fields["key"]
	if !ok {
		return awserr.New(http.StatusBadRequest, "InvalidArgument", "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.")
	}
	key = strings.ReplaceAll(key, "${filename}", form.fileName)
	form.fields["key"] = key // the policy sees the key that will be written

	ctx := q.ctx
	if policy, ok := form.fields["policy"]; ok {
		if ctx, err = q.authenticatePost(form.fields); err != nil {
			return err
		}
		p, err := postpolicy.ParseBase64(policy)
		if err != nil {
			return policyError(err)
		}
		now := time.Now()
		if c := caller.From(ctx); c != nil && !c.Time.IsZero() {
			now = c.Time
		}
		if err := p.Check(now, q.addr.Bucket, form.fields); err != nil {
			return policyError(err)
		}
		// The file's length is known before any of it is read (and
		// PutObject holds the body to it), so the range is decided now.
		if p.Length != nil {
			if err := p.Length.Check(form.fileSize, true); err != nil {
				return policyError(err)
			}
		}
	}

	h := formHeader(form.fields)
	if err := checkFormACL(ctx, q, key, h); err != nil {
		return err
	}
	in, err := postInput(q.addr.Bucket, key, form, h)
	if err != nil {
		return err
	}
	put, err := q.h.svc.PutObject(ctx, in)
	if err != nil {
		return err
	}
	writePutHeaders(q, put)
	return postResponded(q, form.fields, key, put.ETag)
}

// authenticatePost verifies the form's signature and returns a context
// whose caller is the signer. The gateway's caller is updated in place, so
// its request log names the principal too.
func (q *request) authenticatePost(fields map[string]string) (context.Context, error) {
	if q.h.post == nil {
		return nil, notImplemented("Signed browser POST uploads")
	}
	if fields["x-amz-algorithm"] == "" && fields["awsaccesskeyid"] != "" {
		return nil, awserr.New(http.StatusBadRequest, "InvalidRequest", "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.")
	}
	principal, err := q.h.post.AuthenticatePost(q.ctx, sigv4.PostForm{
		Algorithm:     fields["x-amz-algorithm"],
		Credential:    fields["x-amz-credential"],
		Date:          fields["x-amz-date"],
		Signature:     fields["x-amz-signature"],
		SecurityToken: fields["x-amz-security-token"],
		Policy:        fields["policy"],
	})
	if err != nil {
		return nil, err
	}
	c := caller.From(q.ctx)
	if c == nil {
		return caller.With(q.ctx, &caller.Caller{Principal: principal, Time: time.Now()}), nil
	}
	c.Principal = principal
	return q.ctx, nil
}

// formHeader presents the form's fields as the request headers of a PUT,
// so that PutObject's header readers apply to them: a field takes the
// name of the header (Content-Type, x-amz-meta-*, x-amz-storage-class,
// x-amz-server-side-encryption-customer-*, x-amz-object-lock-*, ...),
// except acl, which is x-amz-acl. Fields no reader asks for are inert.
func formHeader(fields map[string]string) http.Header {
	h := http.Header{}
	for name, v := range fields {
		switch name {
		case "acl":
			h.Set("X-Amz-Acl", v)
		case "x-amz-acl", "x-amz-tagging", "if-match", "if-none-match":
			// PUT's spellings of what a form says otherwise, or not at all
		default:
			h.Set(name, v)
		}
	}
	return h
}

// checkFormACL decides the form's acl and x-amz-grant-* fields as
// putObject does the same headers (checkUploadACL, then the canned ACLs a
// bucket without ACLs accepts).
func checkFormACL(ctx context.Context, q *request, key string, h http.Header) error {
	a, err := aclHeaders(h)
	if err != nil {
		return err
	}
	if err := q.h.svc.CheckObjectACL(ctx, q.addr.Bucket, key, a); err != nil {
		return err
	}
	if v := h.Get("X-Amz-Acl"); v != "" && v != "private" && v != "bucket-owner-full-control" {
		return awserr.New(http.StatusBadRequest, "AccessControlListNotSupported", "The bucket does not allow ACLs")
	}
	return nil
}

// postInput is the PutObject a form asks for, read from its fields as
// putObject reads headers; tags come as a Tagging document.
func postInput(bucket, key string, form *postForm, h http.Header) (s3.PutInput, error) {
	in := s3.PutInput{
		Bucket: bucket, Key: key, Size: form.fileSize, Body: form.file,
		ContentMD5:   h.Get("Content-Md5"),
		SDKAlgorithm: h.Get("X-Amz-Checksum-Algorithm"),
		Headers:      contentHeaders(h),
		Metadata:     userMetadata(h),
		StorageClass: h.Get("X-Amz-Storage-Class"),
	}
	for _, alg := range checksum.Algorithms() {
		if v := h.Get(checksum.HeaderName(alg)); v != "" {
			if in.Checksums == nil {
				in.Checksums = map[checksum.Algorithm]string{}
			}
			in.Checksums[alg] = v
		}
	}
	var err error
	if in.Retention, in.LegalHold, err = lockHeaders(h); err != nil {
		return in, err
	}
	if in.CustomerKey, err = writeEncryption(h); err != nil {
		return in, err
	}
	if v, ok := form.fields["tagging"]; ok {
		if int64(len(v)) > s3.MaxTaggingDocument {
			return in, awserr.New(http.StatusBadRequest, "MaxMessageLengthExceeded", "Your request was too big.")
		}
		var doc taggingXML
		if err := decodeXML([]byte(v), &doc); err != nil {
			return in, err
		}
		in.Tags = make([]s3.Tag, len(doc.TagSet.Tags))
		for i, t := range doc.TagSet.Tags {
			in.Tags[i] = s3.Tag(t)
		}
	}
	return in, nil
}

// postResponded answers a stored upload as the form asked:
// success_action_redirect (or redirect) -> 303 to that URL with bucket,
// key and etag added to its query; else success_action_status 200 (empty),
// 201 (PostResponse) or 204 (the default, also for other values). An
// unusable redirect URL is ignored, as S3 does.
func postResponded(q *request, fields map[string]string, key, etag string) error {
	target, ok := fields["success_action_redirect"]
	if !ok {
		target = fields["redirect"]
	}
	if u, err := url.Parse(target); target != "" && err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		add := "bucket=" + url.QueryEscape(q.addr.Bucket) + "&key=" + url.QueryEscape(key) + "&etag=" + url.QueryEscape(`"`+etag+`"`)
		if u.RawQuery != "" {
			add = u.RawQuery + "&" + add
		}
		u.RawQuery = add
		q.w.Header().Set("Location", u.String())
		return writeEmpty(q, http.StatusSeeOther)
	}
	location := objectURL(q, key)
	q.w.Header().Set("Location", location)
	switch fields["success_action_status"] {
	case "200":
		return writeEmpty(q, http.StatusOK)
	case "201":
		b, err := xml.Marshal(postResponse{Location: location, Bucket: q.addr.Bucket, Key: key, ETag: `"` + etag + `"`})
		if err != nil {
			return err
		}
		return writeRaw(q, http.StatusCreated, append([]byte(xml.Header), b...))
	}
	return writeEmpty(q, http.StatusNoContent)
}

// objectURL is the URL of the stored object, addressed as the request was.
func objectURL(q *request, key string) string {
	u := url.URL{Scheme: "http", Host: q.r.Host, Path: "/" + key}
	if q.r.TLS != nil {
		u.Scheme = "https"
	}
	if !q.addr.VirtualHost {
		u.Path = "/" + q.addr.Bucket + "/" + key
	}
	return u.String()
}

// policyError renders a postpolicy failure as S3's error.
func policyError(err error) error {
	if e, ok := postpolicy.As(err); ok {
		return awserr.New(e.Status, e.Code, "%s", e.Message)
	}
	return err
}
