package s3

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/nimbuscloud/nimbus/internal/api/awserr"
	"github.com/nimbuscloud/nimbus/internal/api/protocol/xmlbody"
	"github.com/nimbuscloud/nimbus/internal/s3"
)

// Block Public Access, Object Ownership and ACLs: decode -> service ->
// encode. What the settings do is in internal/s3/access.go.

// maxACLBody bounds AccessControlPolicy documents.
const maxACLBody = 64 << 10

// bucketAccessWrite routes PUT and DELETE of a bucket's acl,
// publicAccessBlock and ownershipControls subresources ("" and nil for
// others). There is no DeleteBucketAcl.
func bucketAccessWrite(method string, has func(string) bool) (string, op) {
	put := method == http.MethodPut
	switch {
	case has("acl") && put:
		return "PutBucketAcl", putBucketAcl
	case has("acl"):
		return "", methodNotAllowed
	case has("publicAccessBlock") && put:
		return "PutPublicAccessBlock", putPublicAccessBlock
	case has("publicAccessBlock"):
		return "DeletePublicAccessBlock", deletePublicAccessBlock
	case has("ownershipControls") && put:
		return "PutBucketOwnershipControls", putBucketOwnershipControls
	case has("ownershipControls"):
		return "DeleteBucketOwnershipControls", deleteBucketOwnershipControls
	}
	return "", nil
}

// objectACLRoute routes an object's acl subresource ("" and nil without
// one).
func objectACLRoute(method string, has func(string) bool) (string, op) {
	if !has("acl") {
		return "", nil
	}
	switch method {
	case http.MethodGet:
		return "GetObjectAcl", getObjectAcl
	case http.MethodPut:
		return "PutObjectAcl", putObjectAcl
	}
	return "", methodNotAllowed
}

// readDocument reads a small configuration body (at most limit bytes) and
// checks it against the Content-MD5 or x-amz-checksum-* header when one
// was sent.
func readDocument(q *request, limit int64) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(q.body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > limit {
		return nil, awserr.New(http.StatusBadRequest, "MaxMessageLengthExceeded", "Your request was too big.")
	}
	if err := checkDigests(q, body); err != nil {
		return nil, err
	}
	return body, nil
}

// publicAccessBlockXML is a PublicAccessBlockConfiguration document, in
// and out; an element left out is false.
type publicAccessBlockXML struct {
	XMLName               xml.Name `xml:"PublicAccessBlockConfiguration"`
	Xmlns                 string   `xml:"xmlns,attr,omitempty"`
	BlockPublicAcls       bool     `xml:"BlockPublicAcls"`
	IgnorePublicAcls      bool     `xml:"IgnorePublicAcls"`
	BlockPublicPolicy     bool     `xml:"BlockPublicPolicy"`
	RestrictPublicBuckets bool     `xml:"RestrictPublicBuckets"`
}

func getPublicAccessBlock(q *request) error {
	p, err := q.h.svc.GetPublicAccessBlock(q.ctx, q.addr.Bucket)
	if err != nil {
		return err
	}
	return writeXML(q, publicAccessBlockXML{Xmlns: xmlns, BlockPublicAcls: p.BlockPublicAcls, IgnorePublicAcls: p.IgnorePublicAcls,
		BlockPublicPolicy: p.BlockPublicPolicy, RestrictPublicBuckets: p.RestrictPublicBuckets})
}

func putPublicAccessBlock(q *request) error {
	body, err := readDocument(q, maxConfigBody)
	if err != nil {
		return err
	}
	var doc publicAccessBlockXML
	if err := decodeXML(body, &doc); err != nil {
		return err
	}
	p := s3.PublicAccessBlock{BlockPublicAcls: doc.BlockPublicAcls, IgnorePublicAcls: doc.IgnorePublicAcls,
		BlockPublicPolicy: doc.BlockPublicPolicy, RestrictPublicBuckets: doc.RestrictPublicBuckets}
	if err := q.h.svc.PutPublicAccessBlock(q.ctx, q.addr.Bucket, p); err != nil {
		return err
	}
	return writeEmpty(q, http.StatusOK)
}

func deletePublicAccessBlock(q *request) error {
	if err := q.h.svc.DeletePublicAccessBlock(q.ctx, q.addr.Bucket); err != nil {
		return err
	}
	return writeEmpty(q, http.StatusNoContent)
}

// ownershipControlsXML is an OwnershipControls document, in and out.
type ownershipControlsXML struct {
	XMLName xml.Name `xml:"OwnershipControls"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	Rules   []struct {
		ObjectOwnership string `xml:"ObjectOwnership"`
	} `xml:"Rule"`
}

func getBucketOwnershipControls(q *request) error {
	o, err := q.h.svc.GetBucketOwnershipControls(q.ctx, q.addr.Bucket)
	if err != nil {
		return err
	}
	out := ownershipControlsXML{Xmlns: xmlns}
	out.Rules = append(out.Rules, struct {
		ObjectOwnership string `xml:"ObjectOwnership"`
	}{o})
	return writeXML(q, out)
}

// putBucketOwnershipControls takes exactly one Rule (S3 knows one kind);
// none, several or an unknown ObjectOwnership is MalformedXML.
func putBucketOwnershipControls(q *request) error {
	body, err := readDocument(q, maxConfigBody)
	if err != nil {
		return err
	}
	var doc ownershipControlsXML
	if err := decodeXML(body, &doc); err != nil {
		return err
	}
	if len(doc.Rules) != 1 {
		return s3.ErrMalformedXML
	}
	if err := q.h.svc.PutBucketOwnershipControls(q.ctx, q.addr.Bucket, doc.Rules[0].ObjectOwnership); err != nil {
		return err
	}
	return writeEmpty(q, http.StatusOK)
}

func deleteBucketOwnershipControls(q *request) error {
	if err := q.h.svc.DeleteBucketOwnershipControls(q.ctx, q.addr.Bucket); err != nil {
		return err
	}
	return writeEmpty(q, http.StatusNoContent)
}

// grantHeaders are the x-amz-grant-* headers and the permission each
// grants.
var grantHeaders = []struct{ header, permission string }{
	{"X-Amz-Grant-Full-Control", "FULL_CONTROL"},
	{"X-Amz-Grant-Read", "READ"},
	{"X-Amz-Grant-Write", "WRITE"},
	{"X-Amz-Grant-Read-Acp", "READ_ACP"},
	{"X-Amz-Grant-Write-Acp", "WRITE_ACP"},
}

// aclHeaders reads the ACL a request sets with x-amz-acl or the
// x-amz-grant-* headers (each a comma-separated list of id="...",
// uri="..." or emailAddress="..." grantees). Both at once is
// InvalidRequest, as S3.
func aclHeaders(h http.Header) (s3.ACL, error) {
	a := s3.ACL{Canned: h.Get("X-Amz-Acl")}
	for _, gh := range grantHeaders {
		for _, v := range h.Values(gh.header) {
			a.HasGrants = true
			for item := range strings.SplitSeq(v, ",") {
				if item = strings.TrimSpace(item); item == "" {
					continue
				}
				k, val, ok := strings.Cut(item, "=")
				val = strings.Trim(strings.TrimSpace(val), `"`)
				if !ok || val == "" {
					return s3.ACL{}, awserr.New(http.StatusBadRequest, "InvalidArgument", "Invalid grantee in %s: %s", strings.ToLower(gh.header), item)
				}
				g := s3.Grant{Permission: gh.permission}
				switch strings.ToLower(strings.TrimSpace(k)) {
				case "id":
					g.ID = val
				case "uri":
					g.URI = val
				case "emailaddress":
					g.Email = val
				default:
					return s3.ACL{}, awserr.New(http.StatusBadRequest, "InvalidArgument", "Invalid grantee in %s: %s", strings.ToLower(gh.header), item)
				}
				a.Grants = append(a.Grants, g)
			}
		}
	}
	if a.Canned != "" && a.HasGrants {
		return s3.ACL{}, awserr.New(http.StatusBadRequest, "InvalidRequest", "Specifying both Canned ACLs and Header Grants is not allowed")
	}
	return a, nil
}

// checkUploadACL decides the ACL headers of an upload (PutObject,
// CopyObject, CreateMultipartUpload) against the bucket's Object
// Ownership and Block Public Access; it costs nothing without them.
func checkUploadACL(q *request) error {
	a, err := aclHeaders(q.r.Header)
	if err != nil || !a.Given() {
		return err
	}
	return q.h.svc.CheckObjectACL(q.ctx, q.addr.Bucket, q.addr.Key, a)
}

// accessControlPolicyXML is an AccessControlPolicy document as clients
// send it. Grantee's xsi:type is implied by which child it has.
type accessControlPolicyXML struct {
	XMLName xml.Name `xml:"AccessControlPolicy"`
	Owner   struct {
		ID string `xml:"ID"`
	} `xml:"Owner"`
	Grants []struct {
		Grantee struct {
			ID    string `xml:"ID"`
			URI   string `xml:"URI"`
			Email string `xml:"EmailAddress"`
		} `xml:"Grantee"`
		Permission string `xml:"Permission"`
	} `xml:"AccessControlList>Grant"`
}

func malformedACL() error {
	return awserr.New(http.StatusBadRequest, "MalformedACLError", "The XML you provided was not well-formed or did not validate against our published schema")
}

// requestACL reads the ACL of a PutBucketAcl or PutObjectAcl: the headers
// or an AccessControlPolicy body, not both (UnexpectedContent), and one of
// them (MissingSecurityHeader), as S3.
func requestACL(q *request) (s3.ACL, error) {
	a, err := aclHeaders(q.r.Header)
	if err != nil {
		return s3.ACL{}, err
	}
	body, err := readDocument(q, maxACLBody)
	if err != nil {
		return s3.ACL{}, err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if !a.Given() {
			return s3.ACL{}, awserr.New(http.StatusBadRequest, "MissingSecurityHeader", "Your request was missing a required header")
		}
		return a, nil
	}
	if a.Given() {
		return s3.ACL{}, awserr.New(http.StatusBadRequest, "UnexpectedContent", "This request does not support content")
	}
	var doc accessControlPolicyXML
	if err := decodeXML(body, &doc); err != nil {
		if errors.Is(err, xmlbody.ErrMalformed) {
			return s3.ACL{}, malformedACL()
		}
		return s3.ACL{}, err
	}
	a = s3.ACL{HasGrants: true, Owner: strings.TrimSpace(doc.Owner.ID)}
	for _, g := range doc.Grants {
		a.Grants = append(a.Grants, s3.Grant{ID: strings.TrimSpace(g.Grantee.ID), URI: strings.TrimSpace(g.Grantee.URI),
			Email: strings.TrimSpace(g.Grantee.Email), Permission: strings.TrimSpace(g.Permission)})
	}
	return a, nil
}

func putBucketAcl(q *request) error {
	a, err := requestACL(q)
	if err != nil {
		return err
	}
	if err := q.h.svc.PutBucketACL(q.ctx, q.addr.Bucket, a); err != nil {
		return err
	}
	return writeEmpty(q, http.StatusOK)
}

func putObjectAcl(q *request) error {
	a, err := requestACL(q)
	if err != nil {
		return err
	}
	if err := q.h.svc.PutObjectACL(q.ctx, q.addr.Bucket, objectID(q), a); err != nil {
		return err
	}
	return writeEmpty(q, http.StatusOK)
}

func getBucketAcl(q *request) error {
	account, grants, err := q.h.svc.GetBucketACL(q.ctx, q.addr.Bucket)
	if err != nil {
		return err
	}
	return writeACL(q, account, grants)
}

func getObjectAcl(q *request) error {
	account, grants, err := q.h.svc.GetObjectACL(q.ctx, q.addr.Bucket, objectID(q))
	if err != nil {
		return err
	}
	return writeACL(q, account, grants)
}

// writeACL sends an AccessControlPolicy document: the owner, then each
// grant with its grantee's xsi:type.
func writeACL(q *request, account string, grants []s3.Grant) error {
	o := ownerOf(account)
	var b strings.Builder
	esc := func(s string) { _ = xml.EscapeText(&b, []byte(s)) }
	b.WriteString(xml.Header + `<AccessControlPolicy xmlns="` + xmlns + `"><Owner><ID>`)
	esc(o.ID)
	b.WriteString(`</ID><DisplayName>`)
	esc(o.DisplayName)
	b.WriteString(`</DisplayName></Owner><AccessControlList>`)
	for _, g := range grants {
		b.WriteString(`<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" `)
		switch {
		case g.ID != "":
			b.WriteString(`xsi:type="CanonicalUser"><ID>`)
			esc(g.ID)
			b.WriteString(`</ID>`)
			if g.ID == o.ID {
				b.WriteString(`<DisplayName>`)
				esc(o.DisplayName)
				b.WriteString(`</DisplayName>`)
			}
		case g.URI != "":
			b.WriteString(`xsi:type="Group"><URI>`)
			esc(g.URI)
			b.WriteString(`</URI>`)
		default:
			b.WriteString(`xsi:type="AmazonCustomerByEmail"><EmailAddress>`)
			esc(g.Email)
			b.WriteString(`</EmailAddress>`)
		}
		b.WriteString(`</Grantee><Permission>` + g.Permission + `</Permission></Grant>`)
	}
	b.WriteString(`</AccessControlList></AccessControlPolicy>`)
	return writeRaw(q, http.StatusOK, []byte(b.String()))
}
