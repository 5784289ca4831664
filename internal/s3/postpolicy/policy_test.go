package postpolicy

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// doc builds a policy document expiring in an hour with the given
// conditions (JSON array elements).
func doc(conds ...string) string {
	return `{"expiration": "2025-06-01T13:00:00.000Z", "conditions": [` + strings.Join(conds, ",") + `]}`
}

func TestParse(t *testing.T) {
	tests := []struct {
		name, doc string
		want      []Condition // compared by Op, Field, Value
		length    *Range
		err       string // substring of the InvalidPolicyDocument message
	}{
		{name: "aws example", doc: `{ "expiration": "2007-12-01T12:00:00.000Z",
  "conditions": [
    {"acl": "public-read" },
    {"bucket": "johnsmith" },
    ["starts-with", "$key", "user/eric/"]
  ]
}`, want: []Condition{{Op: Eq, Field: "acl", Value: "public-read"}, {Op: Eq, Field: "bucket", Value: "johnsmith"}, {Op: StartsWith, Field: "key", Value: "user/eric/"}}},
		{name: "field names lower-cased", doc: doc(`["eq", "$Content-Type", "image/png"]`, `{"X-Amz-Meta-Tag": "A"}`),
			want: []Condition{{Op: Eq, Field: "content-type", Value: "image/png"}, {Op: Eq, Field: "x-amz-meta-tag", Value: "A"}}},
		{name: "operator case", doc: doc(`["Starts-With", "$key", ""]`), want: []Condition{{Op: StartsWith, Field: "key"}}},
		{name: "length range", doc: doc(`["content-length-range", 1, 1048576]`), length: &Range{1, 1048576}},
		{name: "length range as strings", doc: doc(`["content-length-range", "0", "10"]`), length: &Range{0, 10}},
		{name: "length ranges intersect", doc: doc(`["content-length-range", 1, 100]`, `["content-length-range", 10, 1000]`), length: &Range{10, 100}},
		{name: "aws escapes", doc: doc(`{"key": "a\$b\vc\\$d"}`), want: []Condition{{Op: Eq, Field: "key", Value: "a$b\vc\\$d"}}},
		{name: "no conditions", doc: doc()},
		{name: "expiration without fraction", doc: `{"expiration": "2025-06-01T13:00:00Z", "conditions": []}`},

		{name: "not json", doc: `{"expiration":`, err: "Invalid JSON."},
		{name: "trailing data", doc: doc() + `{}`, err: "Invalid JSON."},
		{name: "not an object", doc: `[1]`, err: "Invalid JSON."},
		{name: "missing expiration", doc: `{"conditions": []}`, err: "Policy missing expiration."},
		{name: "bad expiration", doc: `{"expiration": "tomorrow", "conditions": []}`, err: "Invalid 'expiration' value: 'tomorrow'"},
		{name: "numeric expiration", doc: `{"expiration": 5, "conditions": []}`, err: "Invalid 'expiration' value"},
		{name: "missing conditions", doc: `{"expiration": "2025-06-01T13:00:00Z"}`, err: "Policy missing conditions."},
		{name: "conditions not array", doc: `{"expiration": "2025-06-01T13:00:00Z", "conditions": {}}`, err: "must be an array"},
		{name: "two properties", doc: doc(`{"acl": "private", "key": "a"}`), err: "exactly one property"},
		{name: "no property", doc: doc(`{}`), err: "exactly one property"},
		{name: "null value", doc: doc(`{"success_action_redirect": null}`), err: "must be a string"},
		{name: "nested value", doc: doc(`{"key": ["a"]}`), err: "must be a string"},
		{name: "number condition", doc: doc(`5`), err: "object or an array"},
		{name: "empty array", doc: doc(`[]`), err: "operator"},
		{name: "unknown operator", doc: doc(`["in", "$key", "a"]`), err: "unknown operator 'in'"},
		{name: "eq arity", doc: doc(`["eq", "$key"]`), err: "takes a field and a value"},
		{name: "eq without $", doc: doc(`["eq", "key", "a"]`), err: "must start with '$'"},
		{name: "eq number value", doc: doc(`["eq", "$key", 1]`), err: "must be strings"},
		{name: "range reversed", doc: doc(`["content-length-range", 10, 1]`), err: "content-length-range"},
		{name: "range negative", doc: doc(`["content-length-range", -1, 1]`), err: "content-length-range"},
		{name: "range fractional", doc: doc(`["content-length-range", 0, 1.5]`), err: "content-length-range"},
		{name: "range arity", doc: doc(`["content-length-range", 0]`), err: "content-length-range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.doc))
			if tt.err != "" {
				e, ok := As(err)
				if !ok || e.Code != "InvalidPolicyDocument" || e.Status != 400 || !strings.Contains(e.Message, tt.err) || !strings.HasPrefix(e.Message, "Invalid Policy: ") {
					t.Fatalf("err = %v, want InvalidPolicyDocument containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Conditions) != len(tt.want) {
				t.Fatalf("conditions = %+v, want %+v", p.Conditions, tt.want)
			}
			for i, c := range p.Conditions {
				if c.Op != tt.want[i].Op || c.Field != tt.want[i].Field || c.Value != tt.want[i].Value {
					t.Errorf("condition %d = %+v, want %+v", i, c, tt.want[i])
				}
			}
			if (p.Length == nil) != (tt.length == nil) || p.Length != nil && *p.Length != *tt.length {
				t.Errorf("length = %v, want %v", p.Length, tt.length)
			}
		})
	}
}

func TestParseBase64(t *testing.T) {
	enc := base64.StdEncoding.EncodeToString([]byte(doc(`{"key": "a"}`)))
	wrapped := enc[:10] + "\r\n" + enc[10:] // Ruby's Base64.encode64 breaks lines
	for _, s := range []string{enc, wrapped} {
		if p, err := ParseBase64(s); err != nil || len(p.Conditions) != 1 {
			t.Fatalf("ParseBase64(%q) = %v, %v", s, p, err)
		}
	}
	if _, err := ParseBase64("not base64!"); err == nil || !strings.Contains(err.Error(), "Base64") {
		t.Fatalf("bad base64: %v", err)
	}
}

func TestCheck(t *testing.T) {
	base := []string{
		`{"bucket": "photos"}`,
		`["starts-with", "$key", "user/eric/"]`,
		`{"x-amz-algorithm": "AWS4-HMAC-SHA256"}`,
		`{"x-amz-credential": "AKID/20250601/us-east-1/s3/aws4_request"}`,
		`{"x-amz-date": "20250601T120000Z"}`,
	}
	form := func(extra ...string) map[string]string {
		f := map[string]string{
			"key": "user/eric/cat.jpg", "x-amz-algorithm": "AWS4-HMAC-SHA256",
			"x-amz-credential": "AKID/20250601/us-east-1/s3/aws4_request", "x-amz-date": "20250601T120000Z",
			"x-amz-signature": "00", "policy": "e30=",
		}
		for i := 0; i+1 < len(extra); i += 2 {
			if extra[i+1] == "<delete>" {
				delete(f, extra[i])
				continue
			}
			f[extra[i]] = extra[i+1]
		}
		return f
	}
	tests := []struct {
		name   string
		conds  []string
		fields map[string]string
		bucket string
		at     time.Time
		err    string // "" for success, else the message after "Invalid according to Policy: "
	}{
		{name: "all hold", fields: form()},
		{name: "x-ignore and exempt fields", fields: form("x-ignore-submit", "Upload", "file", "x")},
		{name: "expired", at: now.Add(2 * time.Hour), fields: form(), err: "Policy expired."},
		{name: "expires exactly now", at: time.Date(2025, 6, 1, 13, 0, 0, 0, time.UTC), fields: form(), err: "Policy expired."},
		{name: "wrong bucket", bucket: "other", fields: form(), err: `Policy Condition failed: ["eq", "$bucket", "photos"]`},
		{name: "key prefix", fields: form("key", "user/bob/cat.jpg"), err: `Policy Condition failed: ["starts-with", "$key", "user/eric/"]`},
		{name: "missing key", fields: form("key", "<delete>"), err: `Policy Condition failed: ["starts-with", "$key", "user/eric/"]`},
		{name: "extra fields", fields: form("content-type", "image/png", "x-amz-meta-a", "1"), err: "Extra input fields: content-type, x-amz-meta-a"},
		{name: "starts-with empty matches any", conds: []string{`["starts-with", "$Content-Type", ""]`}, fields: form("content-type", "whatever")},
		{name: "starts-with on an absent field fails", conds: []string{`["starts-with", "$content-type", ""]`}, fields: form(),
			err: `Policy Condition failed: ["starts-with", "$content-type", ""]`},
		{name: "eq is case-sensitive in values", conds: []string{`{"acl": "private"}`}, fields: form("acl", "Private"), err: `Policy Condition failed: ["eq", "$acl", "private"]`},
		{name: "field names case-insensitive", conds: []string{`{"Success_Action_Status": "201"}`}, fields: form("success_action_status", "201")},
		{name: "starts-with refused on x-amz-*", conds: []string{`["starts-with", "$x-amz-storage-class", ""]`}, fields: form("x-amz-storage-class", "STANDARD"),
			err: `Policy Condition failed: ["starts-with", "$x-amz-storage-class", ""]`},
		{name: "starts-with on x-amz-meta-*", conds: []string{`["starts-with", "$x-amz-meta-tag", ""]`}, fields: form("x-amz-meta-tag", "v")},
		{name: "starts-with refused on bucket", conds: []string{`["starts-with", "$bucket", ""]`}, fields: form(),
			err: `Policy Condition failed: ["starts-with", "$bucket", ""]`},
		{name: "bucket form field covered by the bucket condition", fields: form("bucket", "photos")},
		{name: "first failing condition is reported", conds: []string{`{"acl": "a"}`, `{"tagging": "b"}`}, fields: form(),
			err: `Policy Condition failed: ["eq", "$acl", "a"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(doc(append(append([]string{}, base...), tt.conds...)...)))
			if err != nil {
				t.Fatal(err)
			}
			at, bucket := now, "photos"
			if !tt.at.IsZero() {
				at = tt.at
			}
			if tt.bucket != "" {
				bucket = tt.bucket
			}
			err = p.Check(at, bucket, tt.fields)
			if tt.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			e, ok := As(err)
			if !ok || e.Code != "AccessDenied" || e.Status != 403 || e.Message != "Invalid according to Policy: "+tt.err {
				t.Fatalf("err = %v, want AccessDenied %q", err, tt.err)
			}
		})
	}
	if err := mustParse(t, doc()).Check(now.Add(time.Hour), "b", nil); !errors.Is(err, ErrExpired) {
		t.Fatalf("expired: %v", err)
	}
}

func TestRange(t *testing.T) {
	r := Range{Min: 10, Max: 20}
	for _, tt := range []struct {
		n     int64
		final bool
		code  string
	}{
		{0, false, ""}, {9, true, "EntityTooSmall"}, {10, true, ""}, {20, true, ""}, {21, false, "EntityTooLarge"}, {21, true, "EntityTooLarge"},
	} {
		err := r.Check(tt.n, tt.final)
		e, _ := As(err)
		if (tt.code == "") != (err == nil) || err != nil && (e.Code != tt.code || e.Status != 400) {
			t.Errorf("Check(%d, %v) = %v, want %q", tt.n, tt.final, err, tt.code)
		}
	}
}

func mustParse(t *testing.T, s string) *Policy {
	t.Helper()
	p, err := Parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return p
}
