package postpolicy

import (
	"strings"
	"testing"
	"time"
)

// FuzzParsePolicy feeds client-controlled policy documents to Parse and
// Check: neither may panic, every failure is an *Error with one of the
// codes S3 uses, and a parsed policy is usable.
func FuzzParsePolicy(f *testing.F) {
	for _, s := range []string{
		doc(`{"bucket": "photos"}`, `["starts-with", "$key", "user/"]`, `["content-length-range", 0, 10485760]`),
		doc(`{"acl": "public-read"}`, `["eq", "$x-amz-meta-a", "\$\v"]`),
		doc(`["starts-with", "$Content-Type", ""]`, `{"x-amz-date": "20250601T000000Z"}`),
		`{"expiration": "2025-01-01T00:00:00Z", "conditions": [["content-length-range", "1", "2"]]}`,
		`{"expiration": "x"}`,
		`{"conditions": [{}]}`,
		`{"expiration": "2025-01-01T00:00:00Z", "conditions": [{"a": "b", "a": "c"}]}`,
		`"\$"`,
		`[`,
		``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse(b)
		if err != nil {
			e, ok := As(err)
			if !ok || e.Code != "InvalidPolicyDocument" || e.Status != 400 || !strings.HasPrefix(e.Message, "Invalid Policy: ") {
				t.Fatalf("Parse error %v is not an InvalidPolicyDocument", err)
			}
			return
		}
		for _, c := range p.Conditions {
			if c.Field != strings.ToLower(c.Field) || (c.Op != Eq && c.Op != StartsWith) {
				t.Fatalf("condition %+v not normalised", c)
			}
		}
		if p.Length != nil && (p.Length.Min < 0 || p.Length.Min > p.Length.Max) {
			// Intersections may be empty (min > max): then no size passes.
			if p.Length.Min < 0 {
				t.Fatalf("negative range %+v", p.Length)
			}
		}
		fields := map[string]string{"key": "k", "x-amz-meta-a": "$"}
		for _, c := range p.Conditions {
			fields[c.Field] = c.Value
		}
		err = p.Check(p.Expiration.Add(-time.Second), "photos", fields)
		if err != nil {
			if e, ok := As(err); !ok || e.Code != "AccessDenied" {
				t.Fatalf("Check error %v is not AccessDenied", err)
			}
		}
		if err := p.Check(p.Expiration, "photos", fields); err != ErrExpired {
			t.Fatalf("Check at expiration = %v", err)
		}
	})
}
