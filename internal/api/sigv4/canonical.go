package sigv4

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// emptySHA256 is hex(sha256("")).
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// singleEncodedServices sign the URI path encoded once, as S3 does; every
// other service signs it encoded twice.
func singleEncoded(service string) bool {
	switch service {
	case "s3", "s3-object-lambda", "s3-outposts", "s3express":
		return true
	}
	return false
}

// canonicalRequest builds the SigV4 canonical request for r exactly as the
// SDKs do:
//
//	METHOD \n URI \n QUERY \n name:value\n... \n signed;headers \n payloadHash
func canonicalRequest(r *http.Request, a *Auth, payloadHash string) (string, error) {
	var b strings.Builder
	b.Grow(512)
	b.WriteString(r.Method)
	b.WriteByte('\n')
	writeCanonicalURI(&b, r.URL, a.Service)
	b.WriteByte('\n')
	if err := writeCanonicalQuery(&b, r.URL.RawQuery, a.Presigned); err != nil {
		return "", err
	}
	b.WriteByte('\n')
	for _, name := range a.SignedHeaders {
		b.WriteString(name)
		b.WriteByte(':')
		writeHeaderValue(&b, r, name)
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	for i, name := range a.SignedHeaders {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(name)
	}
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String(), nil
}

// stringToSign is "AWS4-HMAC-SHA256 \n amzdate \n scope \n hex(sha256(canonical))".
func stringToSign(a *Auth, canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	var b strings.Builder
	b.Grow(len(Algorithm) + 16 + 64 + 64 + 4)
	b.WriteString(Algorithm)
	b.WriteByte('\n')
	b.WriteString(a.RequestTime.Format(amzDateFormat))
	b.WriteByte('\n')
	b.WriteString(a.Scope())
	b.WriteByte('\n')
	var hx [64]byte
	hex.Encode(hx[:], sum[:])
	b.Write(hx[:])
	return b.String()
}

// writeCanonicalURI writes the path. S3 signs the decoded path re-encoded
// once with AWS's rules. Other services sign the path as sent on the wire
// (which is what the SDK signers start from) encoded once more, so '%'
// becomes "%25".
func writeCanonicalURI(b *strings.Builder, u *url.URL, service string) {
	var p string
	if singleEncoded(service) {
		p = u.Path
	} else {
		p = u.EscapedPath()
	}
	if p == "" {
		b.WriteByte('/')
		return
	}
	if p[0] != '/' {
		b.WriteByte('/')
	}
	awsEscape(b, p, true)
}

// writeCanonicalQuery writes the query parameters AWS-encoded, sorted by
// encoded key then encoded value, "key=" for empty values. For presigned
// requests X-Amz-Signature is left out. A '+' in the raw query is a space,
// as in url.ParseQuery (which the SDK signers use).
func writeCanonicalQuery(b *strings.Builder, raw string, presigned bool) error {
	if raw == "" {
		return nil
	}
	type pair struct{ k, v string }
	pairs := make([]pair, 0, strings.Count(raw, "&")+1)
	var kb, vb strings.Builder
	for seg := range strings.SplitSeq(raw, "&") {
		if seg == "" {
			continue
		}
		k, v, _ := strings.Cut(seg, "=")
		dk, err := url.QueryUnescape(k)
		if err != nil {
			return wrap(ErrMalformedAuth, "query string does not decode")
		}
		if presigned && dk == "X-Amz-Signature" {
			continue
		}
		dv, err := url.QueryUnescape(v)
		if err != nil {
			return wrap(ErrMalformedAuth, "query string does not decode")
		}
		kb.Reset()
		vb.Reset()
		awsEscape(&kb, dk, false)
		awsEscape(&vb, dv, false)
		pairs = append(pairs, pair{kb.String(), vb.String()})
	}
	slices.SortFunc(pairs, func(x, y pair) int {
		if c := strings.Compare(x.k, y.k); c != 0 {
			return c
		}
		return strings.Compare(x.v, y.v)
	})
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return nil
}

// writeHeaderValue writes the canonical value of the signed header name:
// every value trimmed with runs of spaces collapsed, joined by ','. Go's
// server removes Host and Transfer-Encoding from r.Header, so they come from
// the request fields; content-length falls back to r.ContentLength.
func writeHeaderValue(b *strings.Builder, r *http.Request, name string) {
	switch name {
	case "host":
		writeTrimmed(b, r.Host)
		return
	case "transfer-encoding":
		if len(r.TransferEncoding) > 0 {
			b.WriteString(strings.Join(r.TransferEncoding, ","))
			return
		}
	case "content-length":
		if _, ok := r.Header["Content-Length"]; !ok && r.ContentLength >= 0 {
			b.WriteString(strconv.FormatInt(r.ContentLength, 10))
			return
		}
	}
	values := r.Header[textproto.CanonicalMIMEHeaderKey(name)]
	for i, v := range values {
		if i > 0 {
			b.WriteByte(',')
		}
		writeTrimmed(b, v)
	}
}

// writeTrimmed writes v without leading/trailing white space and with each
// inner run of spaces collapsed to one.
func writeTrimmed(b *strings.Builder, v string) {
	v = strings.TrimSpace(v)
	for {
		i := strings.Index(v, "  ")
		if i < 0 {
			b.WriteString(v)
			return
		}
		b.WriteString(v[:i+1])
		v = strings.TrimLeft(v[i+1:], " ")
	}
}

// awsEscape percent-encodes s with AWS's URI rules: A-Z a-z 0-9 - _ . ~ are
// kept, '/' is kept when keepSlash, every other byte becomes %XX (upper-case
// hex).
func awsEscape(b *strings.Builder, s string, keepSlash bool) {
	const hexUpper = "0123456789ABCDEF"
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || c == '/' && keepSlash {
			continue
		}
		b.WriteString(s[start:i])
		b.WriteByte('%')
		b.WriteByte(hexUpper[c>>4])
		b.WriteByte(hexUpper[c&15])
		start = i + 1
	}
	b.WriteString(s[start:])
}

func unreserved(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}
