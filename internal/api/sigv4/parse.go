package sigv4

import (
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Algorithm is the only signing algorithm accepted.
const Algorithm = "AWS4-HMAC-SHA256"

// Payload hash values of x-amz-content-sha256 other than a hex SHA-256.
const (
	UnsignedPayload                 = "UNSIGNED-PAYLOAD"
	StreamingPayload                = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	StreamingPayloadTrailer         = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	StreamingUnsignedPayloadTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
)

const (
	amzDateFormat  = "20060102T150405Z"
	scopeDayFormat = "20060102"
	scopeTerminal  = "aws4_request"
	maxPresign     = 7 * 24 * time.Hour
	// Bounds on client-controlled strings, far above anything an SDK sends.
	maxAuthHeader    = 8 << 10
	maxSignedHeaders = 128
)

// Auth is a parsed, not yet verified, SigV4 signature.
type Auth struct {
	AccessKeyID string
	// Date is the credential scope day, YYYYMMDD.
	Date    string
	Region  string
	Service string
	// SignedHeaders are the lower-case, sorted header names covered.
	SignedHeaders []string
	// Signature is the 64-character hex signature sent by the client.
	Signature string
	Presigned bool
	// RequestTime is X-Amz-Date (or, for header signing without it, the
	// Date header), in UTC.
	RequestTime time.Time
	// Expires is X-Amz-Expires for presigned requests, zero otherwise.
	Expires       time.Duration
	SecurityToken string
	// PayloadHash is the x-amz-content-sha256 header (for presigned
	// requests, the X-Amz-Content-Sha256 query parameter if the header is
	// absent). Empty when not sent, as is usual outside S3.
	PayloadHash string
}

// Scope returns the credential scope, "20250101/us-east-1/s3/aws4_request".
func (a *Auth) Scope() string {
	return a.Date + "/" + a.Region + "/" + a.Service + "/" + scopeTerminal
}

// Parse extracts the SigV4 signature of r from its Authorization header or
// its presigned query without verifying it. It returns ErrNoAuth when r
// carries neither, so the caller can treat r as anonymous.
func Parse(r *http.Request) (*Auth, error) {
	authz := r.Header.Values("Authorization")
	query := r.URL.Query()
	presign := query.Has("X-Amz-Algorithm") || query.Has("X-Amz-Signature") || query.Has("X-Amz-Credential")
	switch {
	case len(authz) > 1:
		return nil, wrap(ErrMalformedAuth, "more than one Authorization header")
	case len(authz) == 1 && presign:
		return nil, wrap(ErrMalformedAuth, "only one auth mechanism allowed; found both Authorization header and X-Amz-Algorithm query")
	case len(authz) == 1:
		a, err := ParseAuthorization(authz[0])
		if err != nil {
			return nil, err
		}
		if err := headerTime(a, r.Header); err != nil {
			return nil, err
		}
		a.SecurityToken = r.Header.Get("X-Amz-Security-Token")
		a.PayloadHash = r.Header.Get("X-Amz-Content-Sha256")
		return a, nil
	case presign:
		a, err := parsePresign(query)
		if err != nil {
			return nil, err
		}
		a.PayloadHash = r.Header.Get("X-Amz-Content-Sha256")
		if a.PayloadHash == "" {
			a.PayloadHash = query.Get("X-Amz-Content-Sha256")
		}
		return a, nil
	case query.Has("AWSAccessKeyId") && query.Has("Signature"), query.Get("SignatureVersion") == "2":
		return nil, ErrSigV2
	}
	return nil, ErrNoAuth
}

// ParseAuthorization parses an Authorization header value. The result has
// no RequestTime, SecurityToken or PayloadHash; Parse fills those from the
// rest of the request.
func ParseAuthorization(h string) (*Auth, error) {
	if len(h) > maxAuthHeader {
		return nil, wrap(ErrMalformedAuth, "Authorization header too long")
	}
	scheme, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	switch {
	case scheme == Algorithm:
	case scheme == "AWS":
		return nil, ErrSigV2
	case strings.HasPrefix(scheme, "AWS4-"):
		return nil, wrap(ErrUnsupportedAlgorithm, "%q", scheme)
	default:
		return nil, wrap(ErrUnsupportedAlgorithm, "unknown authorization scheme")
	}
	var credential, signedHeaders, signature string
	var seen [3]bool
	for part := range strings.SplitSeq(rest, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return nil, wrap(ErrMalformedAuth, "authorization component %q is not key=value", trimForMsg(part))
		}
		var i int
		switch k {
		case "Credential":
			i, credential = 0, v
		case "SignedHeaders":
			i, signedHeaders = 1, v
		case "Signature":
			i, signature = 2, v
		default:
			return nil, wrap(ErrMalformedAuth, "unknown authorization component %q", trimForMsg(k))
		}
		if seen[i] {
			return nil, wrap(ErrMalformedAuth, "authorization component %s repeated", k)
		}
		seen[i] = true
	}
	switch {
	case !seen[0]:
		return nil, wrap(ErrIncompleteSignature, "Authorization header requires 'Credential' parameter")
	case !seen[1]:
		return nil, wrap(ErrIncompleteSignature, "Authorization header requires 'SignedHeaders' parameter")
	case !seen[2]:
		return nil, wrap(ErrIncompleteSignature, "Authorization header requires 'Signature' parameter")
	}
	a := &Auth{}
	if err := a.setCredential(credential); err != nil {
		return nil, err
	}
	if err := a.setSignedHeaders(signedHeaders); err != nil {
		return nil, err
	}
	if err := a.setSignature(signature); err != nil {
		return nil, err
	}
	return a, nil
}

func parsePresign(q url.Values) (*Auth, error) {
	for _, k := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Expires"} {
		if len(q[k]) == 0 {
			return nil, wrap(ErrIncompleteSignature, "query-string authentication requires the %s parameter", k)
		}
		if len(q[k]) > 1 {
			return nil, wrap(ErrMalformedAuth, "query parameter %s repeated", k)
		}
	}
	if alg := q.Get("X-Amz-Algorithm"); alg != Algorithm {
		return nil, wrap(ErrUnsupportedAlgorithm, "X-Amz-Algorithm %q", trimForMsg(alg))
	}
	a := &Auth{Presigned: true, SecurityToken: q.Get("X-Amz-Security-Token")}
	if err := a.setCredential(q.Get("X-Amz-Credential")); err != nil {
		return nil, err
	}
	if err := a.setSignedHeaders(q.Get("X-Amz-SignedHeaders")); err != nil {
		return nil, err
	}
	if err := a.setSignature(q.Get("X-Amz-Signature")); err != nil {
		return nil, err
	}
	t, err := time.Parse(amzDateFormat, q.Get("X-Amz-Date"))
	if err != nil {
		return nil, wrap(ErrMalformedAuth, "X-Amz-Date must be in the ISO8601 long format YYYYMMDD'T'HHMMSS'Z'")
	}
	a.RequestTime = t
	exp := q.Get("X-Amz-Expires")
	secs, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || len(exp) > 7 || exp[0] == '+' {
		return nil, wrap(ErrMalformedAuth, "X-Amz-Expires should be a number")
	}
	if secs < 1 || time.Duration(secs)*time.Second > maxPresign {
		return nil, wrap(ErrMalformedAuth, "X-Amz-Expires must be between 1 and 604800 seconds")
	}
	a.Expires = time.Duration(secs) * time.Second
	return a, a.checkScopeDay()
}

// headerTime sets RequestTime from X-Amz-Date, or failing that Date.
func headerTime(a *Auth, h http.Header) error {
	if v := h.Values("X-Amz-Date"); len(v) > 0 {
		t, err := time.Parse(amzDateFormat, v[0])
		if err != nil || len(v) > 1 {
			return wrap(ErrMalformedAuth, "X-Amz-Date must be in the ISO8601 long format YYYYMMDD'T'HHMMSS'Z'")
		}
		a.RequestTime = t
	} else if v := h.Get("Date"); v != "" {
		t, err := http.ParseTime(v)
		if err != nil {
			return wrap(ErrMalformedAuth, "Date header is not an HTTP date")
		}
		a.RequestTime = t.UTC()
	} else {
		return wrap(ErrIncompleteSignature, "a valid X-Amz-Date or Date header is required")
	}
	return a.checkScopeDay()
}

func (a *Auth) checkScopeDay() error {
	if a.RequestTime.Format(scopeDayFormat) != a.Date {
		return wrap(ErrMalformedAuth, "invalid credential date %q: it is not the same as X-Amz-Date", a.Date)
	}
	return nil
}

// setCredential parses AKID/YYYYMMDD/region/service/aws4_request.
func (a *Auth) setCredential(c string) error {
	parts := strings.Split(c, "/")
	if len(parts) != 5 {
		return wrap(ErrMalformedAuth, "credential %q must have the form <key>/<YYYYMMDD>/<region>/<service>/aws4_request", trimForMsg(c))
	}
	if parts[4] != scopeTerminal {
		return wrap(ErrMalformedAuth, "credential scope must end in aws4_request, not %q", trimForMsg(parts[4]))
	}
	if _, err := time.Parse(scopeDayFormat, parts[1]); err != nil || len(parts[1]) != 8 {
		return wrap(ErrMalformedAuth, "credential date %q is not YYYYMMDD", trimForMsg(parts[1]))
	}
	for i, what := range []string{"access key", "", "region", "service"} {
		if what != "" && !validScopeToken(parts[i]) {
			return wrap(ErrMalformedAuth, "credential %s %q is empty or has invalid characters", what, trimForMsg(parts[i]))
		}
	}
	a.AccessKeyID, a.Date, a.Region, a.Service = parts[0], parts[1], parts[2], parts[3]
	return nil
}

// validScopeToken accepts the characters access key IDs, regions and service
// names use, keeping control characters and newlines out of the string to
// sign.
func validScopeToken(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// setSignedHeaders requires a non-empty, lower-case, strictly sorted list
// that includes host.
func (a *Auth) setSignedHeaders(s string) error {
	if s == "" {
		return wrap(ErrIncompleteSignature, "SignedHeaders is empty")
	}
	names := strings.Split(s, ";")
	if len(names) > maxSignedHeaders {
		return wrap(ErrMalformedAuth, "too many signed headers")
	}
	host := false
	for i, n := range names {
		if n == "" || !validHeaderName(n) {
			return wrap(ErrMalformedAuth, "signed header %q is not a lower-case header name", trimForMsg(n))
		}
		if i > 0 && names[i-1] >= n {
			return wrap(ErrMalformedAuth, "SignedHeaders must be sorted and unique")
		}
		host = host || n == "host"
	}
	if !host {
		return wrap(ErrMalformedAuth, "host must be a signed header")
	}
	a.SignedHeaders = names
	return nil
}

// validHeaderName accepts lower-case RFC 7230 tokens.
func validHeaderName(n string) bool {
	for i := 0; i < len(n); i++ {
		c := n[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

func (a *Auth) setSignature(s string) error {
	if len(s) != 64 {
		return wrap(ErrMalformedAuth, "signature must be 64 hex characters")
	}
	if _, err := hex.DecodeString(s); err != nil {
		return wrap(ErrMalformedAuth, "signature must be 64 hex characters")
	}
	a.Signature = s
	return nil
}

// trimForMsg keeps client-controlled text in error messages short.
func trimForMsg(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
