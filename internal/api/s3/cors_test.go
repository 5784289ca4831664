package s3

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nimbuscloud/nimbus/internal/caller"
	"github.com/nimbuscloud/nimbus/internal/s3"
	"github.com/nimbuscloud/nimbus/internal/store/sqlite"
)

// ownerOnly allows signed callers on their own account's resources.
type ownerOnly struct{}

func (ownerOnly) AuthorizeWithPolicy(ctx context.Context, action, resource, account, policy string, keys map[string][]string) error {
	if c := caller.From(ctx); c != nil && !c.Anonymous() && c.Principal.AccountID == account {
		return nil
	}
	return errors.New("denied")
}

func newCORSHandler(t *testing.T) (*Handler, context.Context) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc := s3.New(st, nil, ownerOnly{}, s3.Options{})
	if err := svc.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	owner := caller.With(ctx, &caller.Caller{RequestID: "req", Principal: caller.Principal{Type: caller.Root, AccountID: "111111111111"}})
	if err := svc.CreateBucket(owner, "site", ""); err != nil {
		t.Fatal(err)
	}
	return NewService(svc, []string{"s3.test"}, nil), owner
}

func serve(h *Handler, ctx context.Context, method, target, body string, hdr map[string]string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.Serve(ctx, w, r, r.Body)
	return w
}

func md5Header(body string) map[string]string {
	sum := md5.Sum([]byte(body))
	return map[string]string{"Content-MD5": base64.StdEncoding.EncodeToString(sum[:])}
}

const corsDoc = `<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
<CORSRule><ID>web</ID><AllowedOrigin>https://*.example.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod>
<AllowedHeader>x-amz-*</AllowedHeader><AllowedHeader>content-type</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>600</MaxAgeSeconds></CORSRule>
<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>HEAD</AllowedMethod></CORSRule>
</CORSConfiguration>`

func TestPutBucketCorsValidation(t *testing.T) {
	h, owner := newCORSHandler(t)
	for _, tc := range []struct {
		name, body string
		hdr        map[string]string
		status     int
		code       string
	}{
		{"no digest", corsDoc, nil, 400, "<Code>InvalidRequest</Code><Message>Missing required header for this request: Content-MD5"},
		{"bad xml", "<CORSConfiguration>", md5Header("<CORSConfiguration>"), 400, "<Code>MalformedXML</Code>"},
		{"no rules", "<CORSConfiguration/>", md5Header("<CORSConfiguration/>"), 400, "<Code>MalformedXML</Code>"},
		{"no origin", "<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>",
			md5Header("<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>"), 400, "<Code>MalformedXML</Code>"},
		{"bad method", "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod></CORSRule></CORSConfiguration>",
			md5Header("<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod></CORSRule></CORSConfiguration>"), 400,
			"<Code>InvalidRequest</Code><Message>Found unsupported HTTP method in CORS config. Unsupported method is PATCH"},
		{"ok", corsDoc, md5Header(corsDoc), 200, ""},
	} {
		w := serve(h, owner, http.MethodPut, "http://s3.test/site?cors", tc.body, tc.hdr)
		if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.code) {
			t.Errorf("%s: %d %s", tc.name, w.Code, w.Body)
		}
	}
	w := serve(h, owner, http.MethodGet, "http://s3.test/site?cors", "", nil)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "<AllowedOrigin>https://*.example.com</AllowedOrigin>") ||
		!strings.Contains(w.Body.String(), "<MaxAgeSeconds>600</MaxAgeSeconds>") {
		t.Fatalf("get: %d %s", w.Code, w.Body)
	}
}

func TestPreflightAndActualRequests(t *testing.T) {
	h, owner := newCORSHandler(t)
	if w := serve(h, owner, http.MethodPut, "http://s3.test/site?cors", corsDoc, md5Header(corsDoc)); w.Code != 200 {
		t.Fatalf("put: %d %s", w.Code, w.Body)
	}
	anon := caller.With(context.Background(), &caller.Caller{RequestID: "req", Principal: caller.Principal{Type: caller.Anonymous}})
	pre := func(target string, hdr map[string]string) *httptest.ResponseRecorder {
		return serve(h, anon, http.MethodOptions, target, "", hdr)
	}
	w := pre("http://site.s3.test/a/key.txt", map[string]string{"Origin": "https://app.example.com",
		"Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "Content-Type, X-Amz-Date"})
	want := map[string]string{
		"Access-Control-Allow-Origin":      "https://app.example.com",
		"Access-Control-Allow-Methods":     "GET, PUT",
		"Access-Control-Allow-Headers":     "Content-Type, X-Amz-Date",
		"Access-Control-Expose-Headers":    "ETag",
		"Access-Control-Max-Age":           "600",
		"Access-Control-Allow-Credentials": "true",
		"Vary":                             "Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
	}
	if w.Code != 200 {
		t.Fatalf("preflight: %d %s", w.Code, w.Body)
	}
	for k, v := range want {
		if got := w.Header().Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	w = pre("http://s3.test/site/key", map[string]string{"Origin": "https://evil.com", "Access-Control-Request-Method": "HEAD"})
	if w.Code != 200 || w.Header().Get("Access-Control-Allow-Origin") != "*" || w.Header().Get("Access-Control-Allow-Credentials") != "" {
		t.Fatalf("wildcard preflight: %d %v", w.Code, w.Header())
	}
	w = pre("http://s3.test/site/key", map[string]string{"Origin": "https://evil.com", "Access-Control-Request-Method": "PUT"})
	if w.Code != 403 || !strings.Contains(w.Body.String(), "<Code>AccessForbidden</Code><Message>CORSResponse: This CORS request is not allowed") {
		t.Fatalf("refused preflight: %d %s", w.Code, w.Body)
	}
	w = pre("http://s3.test/site/key", map[string]string{"Access-Control-Request-Method": "PUT"})
	if w.Code != 400 {
		t.Fatalf("no origin: %d %s", w.Code, w.Body)
	}
	w = pre("http://s3.test/site/key", map[string]string{"Origin": "https://app.example.com"})
	if w.Code != 400 {
		t.Fatalf("no method: %d %s", w.Code, w.Body)
	}

	// An actual request gets the headers on errors too (no such key).
	w = serve(h, owner, http.MethodGet, "http://s3.test/site/missing", "", map[string]string{"Origin": "https://app.example.com"})
	if w.Code != 404 || w.Header().Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		w.Header().Get("Access-Control-Expose-Headers") != "ETag" || w.Header().Get("Access-Control-Allow-Credentials") != "true" {
		t.Fatalf("actual: %d %v", w.Code, w.Header())
	}
	w = serve(h, owner, http.MethodDelete, "http://s3.test/site/missing", "", map[string]string{"Origin": "https://app.example.com"})
	if w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("DELETE is not allowed by any rule: %v", w.Header())
	}

	if w := serve(h, owner, http.MethodDelete, "http://s3.test/site?cors", "", nil); w.Code != 204 {
		t.Fatalf("delete: %d %s", w.Code, w.Body)
	}
	w = pre("http://s3.test/site/key", map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET"})
	if w.Code != 403 || !strings.Contains(w.Body.String(), "CORS is not enabled for this bucket") {
		t.Fatalf("after delete: %d %s", w.Code, w.Body)
	}
}
