package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// postSign signs a policy the way browser-upload guides spell it out, step
// by step, independently of deriveKey.
func postSign(secret, day, region, policy string) string {
	mac := func(key []byte, s string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(s))
		return h.Sum(nil)
	}
	k := mac([]byte("AWS4"+secret), day)
	k = mac(k, region)
	k = mac(k, "s3")
	k = mac(k, "aws4_request")
	return hex.EncodeToString(mac(k, policy))
}

func TestPostSignature(t *testing.T) {
	const policy = "eyJleHBpcmF0aW9uIjoiMjAyNS0wMS0wMlQwNDowMDowMFoiLCJjb25kaXRpb25zIjpbXX0="
	good := PostForm{
		Algorithm:  Algorithm,
		Credential: testAKID + "/20250102/us-east-1/s3/aws4_request",
		Date:       "20250102T030405Z",
		Signature:  postSign(testSecret, "20250102", "us-east-1", policy),
		Policy:     policy,
	}
	v := verifierAt(signTime().AddDate(1, 0, 0)) // no clock rule applies
	a, err := ParsePost(good)
	if err != nil {
		t.Fatal(err)
	}
	if a.AccessKeyID != testAKID || a.Region != "us-east-1" || a.Service != "s3" || !a.RequestTime.Equal(signTime()) {
		t.Fatalf("auth = %+v", a)
	}
	if err := v.VerifyPost(a, testSecret, policy); err != nil {
		t.Fatalf("good signature: %v", err)
	}
	upper := *a
	upper.Signature = strings.ToUpper(a.Signature)
	if err := v.VerifyPost(&upper, testSecret, policy); err != nil {
		t.Fatalf("upper-case hex: %v", err)
	}
	var mm *SignatureMismatchError
	for name, check := range map[string]func() error{
		"other policy": func() error { return v.VerifyPost(a, testSecret, policy+"=") },
		"other secret": func() error { return v.VerifyPost(a, testSecret+"x", policy) },
		"short sig":    func() error { b := *a; b.Signature = "abc"; return v.VerifyPost(&b, testSecret, policy) },
		"non-hex sig": func() error {
			b := *a
			b.Signature = strings.Repeat("z", 64)
			return v.VerifyPost(&b, testSecret, policy)
		},
	} {
		if err := check(); !errors.As(err, &mm) || !errors.Is(err, ErrSignatureMismatch) || mm.StringToSign == "" {
			t.Errorf("%s: %v, want a signature mismatch", name, err)
		}
	}

	for _, tt := range []struct {
		name string
		edit func(*PostForm)
		want error
	}{
		{"no algorithm", func(f *PostForm) { f.Algorithm = "" }, ErrIncompleteSignature},
		{"sigv4a", func(f *PostForm) { f.Algorithm = "AWS4-ECDSA-P256-SHA256" }, ErrUnsupportedAlgorithm},
		{"no credential", func(f *PostForm) { f.Credential = "" }, ErrIncompleteSignature},
		{"no date", func(f *PostForm) { f.Date = "" }, ErrIncompleteSignature},
		{"no signature", func(f *PostForm) { f.Signature = "" }, ErrIncompleteSignature},
		{"short credential", func(f *PostForm) { f.Credential = testAKID + "/20250102/us-east-1/s3" }, ErrMalformedAuth},
		{"other service", func(f *PostForm) { f.Credential = testAKID + "/20250102/us-east-1/sts/aws4_request" }, ErrMalformedAuth},
		{"bad date", func(f *PostForm) { f.Date = "2025-01-02" }, ErrMalformedAuth},
		{"date not the scope day", func(f *PostForm) { f.Date = "20250103T000000Z" }, ErrMalformedAuth},
	} {
		f := good
		tt.edit(&f)
		if _, err := ParsePost(f); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
}
