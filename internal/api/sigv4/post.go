package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"time"
)

// PostForm is the signature of an S3 browser-based POST upload, as its
// form fields carry it: the string to sign is the policy field exactly as
// sent (base64), signed with the SigV4 signing key of the credential's
// scope. There is no canonical request and no clock rule: the policy's
// own expiration bounds the form's life.
type PostForm struct {
	Algorithm     string // x-amz-algorithm
	Credential    string // x-amz-credential: <key>/<YYYYMMDD>/<region>/s3/aws4_request
	Date          string // x-amz-date: YYYYMMDD'T'HHMMSS'Z'
	Signature     string // x-amz-signature: hex
	SecurityToken string // x-amz-security-token, "" when absent
	Policy        string // the policy field, base64, as sent
}

// ParsePost checks the form's signature fields and returns them as an
// Auth (Service "s3", Date the scope day, RequestTime x-amz-date,
// SecurityToken, Signature). Errors wrap ErrUnsupportedAlgorithm,
// ErrIncompleteSignature or ErrMalformedAuth. The signature itself is not
// checked for form here: one that is not 64 hex digits fails VerifyPost as
// a mismatch, as any wrong signature does.
func ParsePost(f PostForm) (*Auth, error) {
	switch {
	case f.Algorithm == "":
		return nil, wrap(ErrIncompleteSignature, "POST form requires the x-amz-algorithm field")
	case f.Algorithm != Algorithm:
		return nil, wrap(ErrUnsupportedAlgorithm, "x-amz-algorithm %q", trimForMsg(f.Algorithm))
	case f.Credential == "":
		return nil, wrap(ErrIncompleteSignature, "POST form requires the x-amz-credential field")
	case f.Date == "":
		return nil, wrap(ErrIncompleteSignature, "POST form requires the x-amz-date field")
	case f.Signature == "":
		return nil, wrap(ErrIncompleteSignature, "POST form requires the x-amz-signature field")
	}
	a := &Auth{SecurityToken: f.SecurityToken, Signature: f.Signature}
	if err := a.setCredential(f.Credential); err != nil {
		return nil, err
	}
	if a.Service != "s3" {
		return nil, wrap(ErrMalformedAuth, "credential service %q must be s3 for a POST form", trimForMsg(a.Service))
	}
	t, err := time.Parse(amzDateFormat, f.Date)
	if err != nil {
		return nil, wrap(ErrMalformedAuth, "x-amz-date must be in the ISO8601 long format YYYYMMDD'T'HHMMSS'Z'")
	}
	a.RequestTime = t
	return a, a.checkScopeDay()
}

// VerifyPost checks a's signature (from ParsePost) over policy with the
// signing key derived from secret, in constant time. A mismatch is a
// *SignatureMismatchError whose StringToSign is the policy.
func (v *Verifier) VerifyPost(a *Auth, secret, policy string) error {
	key := v.keys.get(secret, a.Date, a.Region, a.Service)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(policy))
	if !hashEqualHex(mac.Sum(nil), a.Signature) {
		return &SignatureMismatchError{StringToSign: policy}
	}
	return nil
}
