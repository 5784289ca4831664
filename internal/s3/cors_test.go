package s3

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func rule(origins, methods string, mod ...func(*CORSRule)) CORSRule {
	r := CORSRule{AllowedOrigins: strings.Fields(origins), AllowedMethods: strings.Fields(methods)}
	for _, m := range mod {
		m(&r)
	}
	return r
}

func headers(h ...string) func(*CORSRule) { return func(r *CORSRule) { r.AllowedHeaders = h } }
func id(s string) func(*CORSRule)         { return func(r *CORSRule) { r.ID = s } }

func TestCheckCORS(t *testing.T) {
	many := make([]CORSRule, MaxCORSRules+1)
	for i := range many {
		many[i] = rule("*", "GET")
	}
	neg := -1
	for _, tc := range []struct {
		name  string
		rules []CORSRule
		want  error
		msg   string
	}{
		{"valid", []CORSRule{rule("https://*.example.com http://a", "GET PUT POST DELETE HEAD", headers("*", "x-amz-*"))}, nil, ""},
		{"limit", many[:MaxCORSRules], nil, ""},
		{"no rules", nil, ErrMalformedXML, ""},
		{"too many", many, ErrInvalidRequest, "should not exceed allowed limit of 100 rules"},
		{"no origin", []CORSRule{rule("", "GET")}, ErrMalformedXML, ""},
		{"no method", []CORSRule{rule("*", "")}, ErrMalformedXML, ""},
		{"bad method", []CORSRule{rule("*", "GET PATCH")}, ErrInvalidRequest, "Unsupported method is PATCH"},
		{"lower-case method", []CORSRule{rule("*", "get")}, ErrInvalidRequest, "Unsupported method is get"},
		{"two origin wildcards", []CORSRule{rule("https://*.*.com", "GET")}, ErrInvalidRequest, `AllowedOrigin "https://*.*.com" can not have more than one wildcard.`},
		{"two header wildcards", []CORSRule{rule("*", "GET", headers("x-*-*"))}, ErrInvalidRequest, `AllowedHeader "x-*-*" can not have more than one wildcard.`},
		{"long id", []CORSRule{rule("*", "GET", id(strings.Repeat("i", 256)))}, ErrInvalidArgument, ""},
		{"negative max age", []CORSRule{rule("*", "GET", func(r *CORSRule) { r.MaxAgeSeconds = &neg })}, ErrMalformedXML, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckCORS(tc.rules)
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %v, want %v containing %q", err, tc.want, tc.msg)
			}
		})
	}
}

func TestMatchCORS(t *testing.T) {
	rules := []CORSRule{
		rule("https://*.example.com", "GET HEAD", id("wild-sub"), headers("x-amz-*", "Content-Type")),
		rule("https://app.example.com", "PUT", id("app-put"), headers("*")),
		rule("http://localhost:*", "GET", id("local")),
		rule("*", "GET", id("anyone")),
	}
	for _, tc := range []struct {
		origin, method string
		headers        []string
		want           string // rule ID, "" for none
	}{
		{"https://a.example.com", "GET", nil, "wild-sub"},
		{"https://a.b.example.com", "HEAD", nil, "wild-sub"},
		{"https://.example.com", "GET", nil, "wild-sub"},                                     // '*' matches the empty run, as S3
		{"https://example.com", "GET", nil, "anyone"},                                        // no "." before example.com
		{"http://a.example.com", "GET", nil, "anyone"},                                       // scheme differs
		{"https://A.EXAMPLE.COM", "GET", nil, "anyone"},                                      // origins are case-sensitive
		{"https://a.example.com", "GET", []string{"X-Amz-Date", "content-type"}, "wild-sub"}, // headers fold case
		{"https://a.example.com", "GET", []string{"x-amz-date", "authorization"}, ""},        // one header allowed by no rule
		{"https://app.example.com", "PUT", []string{"Authorization", "x-anything"}, "app-put"},
		{"https://app.example.com", "GET", nil, "wild-sub"}, // first match wins
		{"https://other.example.com", "PUT", nil, ""},
		{"http://localhost:8080", "GET", nil, "local"},
		{"http://evil.com", "GET", nil, "anyone"},
		{"http://evil.com", "DELETE", nil, ""},
		{"http://evil.com", "get", nil, ""}, // methods are exact
	} {
		got := MatchCORS(rules, tc.origin, tc.method, tc.headers)
		gotID := ""
		if got != nil {
			gotID = got.ID
		}
		if gotID != tc.want {
			t.Errorf("%s %s %v: rule %q, want %q", tc.origin, tc.method, tc.headers, gotID, tc.want)
		}
	}
}

func TestBucketCorsPutGetDelete(t *testing.T) {
	e := newEnv(t)
	if err := e.s.CreateBucket(e.alice, "site", ""); err != nil {
		t.Fatal(err)
	}
	_, err := e.s.GetBucketCors(e.alice, "site")
	mustCode(t, err, ErrNoSuchCORSConfiguration)
	_, err = e.s.Preflight(context.Background(), "site", "https://a.example.com", "GET", nil)
	mustCode(t, err, ErrCORSForbidden)
	if !strings.Contains(err.Error(), "CORS is not enabled for this bucket") {
		t.Fatalf("message: %v", err)
	}

	age := 300
	rules := []CORSRule{rule("https://*.example.com", "GET PUT", id("r1"), headers("*"), func(r *CORSRule) {
		r.ExposeHeaders = []string{"ETag"}
		r.MaxAgeSeconds = &age
	})}
	if err := e.s.PutBucketCors(e.bob, "site", rules); err == nil {
		t.Fatal("another account put the bucket's CORS configuration")
	}
	if d := e.az.last(); d.action != "s3:PutBucketCORS" {
		t.Fatalf("decision %+v", d)
	}
	mustCode(t, e.s.PutBucketCors(e.alice, "site", []CORSRule{rule("*", "PATCH")}), ErrInvalidRequest)
	if err := e.s.PutBucketCors(e.alice, "site", rules); err != nil {
		t.Fatal(err)
	}
	got, err := e.s.GetBucketCors(e.alice, "site")
	if err != nil || len(got) != 1 || got[0].ID != "r1" || *got[0].MaxAgeSeconds != 300 || got[0].ExposeHeaders[0] != "ETag" {
		t.Fatalf("get = %+v, %v", got, err)
	}
	if d := e.az.last(); d.action != "s3:GetBucketCORS" {
		t.Fatalf("decision %+v", d)
	}

	// Preflights are answered without a caller.
	anon := context.Background()
	r, err := e.s.Preflight(anon, "site", "https://a.example.com", "PUT", []string{"Content-Type"})
	if err != nil || r.ID != "r1" {
		t.Fatalf("preflight = %+v, %v", r, err)
	}
	_, err = e.s.Preflight(anon, "site", "https://evil.com", "PUT", nil)
	mustCode(t, err, ErrCORSForbidden)
	if !strings.Contains(err.Error(), "This CORS request is not allowed") {
		t.Fatalf("message: %v", err)
	}
	_, err = e.s.Preflight(anon, "nope", "https://a.example.com", "GET", nil)
	mustCode(t, err, ErrCORSForbidden)

	if err := e.s.DeleteBucketCors(e.alice, "site"); err != nil {
		t.Fatal(err)
	}
	_, err = e.s.GetBucketCors(e.alice, "site")
	mustCode(t, err, ErrNoSuchCORSConfiguration)
	if err := e.s.DeleteBucketCors(e.alice, "site"); err != nil {
		t.Fatalf("deleting no configuration: %v", err)
	}
	_, err = e.s.GetBucketCors(e.alice, "nope")
	mustCode(t, err, ErrNoSuchBucket)
}
