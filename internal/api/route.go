package api

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/nimbuscloud/nimbus/internal/api/sigv4"
)

// unknownRPC stands for services this region does not offer; it has one
// metrics label whatever name the client put in its credential scope.
const unknownRPC = "unknown"

// route picks the RPC service a request is for, or nil for S3:
//  1. a parsed SigV4 credential scope names the service;
//  2. a signature too malformed to parse still names it in its raw
//     Credential, which picks the envelope for the error;
//  3. unsigned: X-Amz-Target (JSON), Smithy-Protocol with a
//     /service/<name>/operation/<op> path (CBOR), or a query-protocol
//     Action with the service's API Version;
//  4. anything else is S3.
func (g *Gateway) route(w http.ResponseWriter, r *http.Request, auth *sigv4.Auth, authErr error) *rpcService {
	if auth != nil && auth.Service != "" {
		return g.byScope(auth.Service)
	}
	if authErr != nil && !errors.Is(authErr, sigv4.ErrNoAuth) {
		if svc := scopeHint(r); svc != "" {
			return g.byScope(svc)
		}
	}
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		prefix, _, _ := cutLast(t, ".")
		if rs, ok := g.byTarget[prefix]; ok {
			return rs
		}
	}
	if r.Header.Get("Smithy-Protocol") != "" {
		if name, ok := cborServiceName(r.URL.Path); ok {
			if rs, ok := g.byCBOR[name]; ok {
				return rs
			}
		}
	}
	if v := g.queryVersion(w, r); v != "" {
		if rs, ok := g.byVersion[v]; ok {
			return rs
		}
	}
	return nil
}

func (g *Gateway) byScope(service string) *rpcService {
	if service == "s3" {
		return nil
	}
	if rs, ok := g.byName[service]; ok {
		return rs
	}
	return &rpcService{name: unknownRPC, ep: unknownService{ep: g.unknownEP, name: service}, family: familyQuery}
}

// scopeHint extracts the service from a raw Credential (header or presign
// query) that failed to parse as a whole.
func scopeHint(r *http.Request) string {
	cred := r.URL.Query().Get("X-Amz-Credential")
	if h := r.Header.Get("Authorization"); h != "" {
		if i := strings.Index(h, "Credential="); i >= 0 {
			cred = h[i+len("Credential="):]
			if j := strings.IndexAny(cred, ", "); j >= 0 {
				cred = cred[:j]
			}
		}
	}
	parts := strings.Split(cred, "/")
	if len(parts) == 5 && parts[4] == "aws4_request" {
		return parts[3]
	}
	return ""
}

// queryVersion finds the API Version of an unsigned query-protocol request:
// in the URL, or in the first bytes of a form body (the SDKs send Action and
// Version first). The body is left intact for whoever reads it next.
func (g *Gateway) queryVersion(w http.ResponseWriter, r *http.Request) string {
	q := r.URL.Query()
	if q.Get("Action") != "" {
		return q.Get("Version")
	}
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return ""
	}
	const peek = 4096
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(g.bodyWait))
	buf := make([]byte, peek)
	n, _ := io.ReadFull(r.Body, buf)
	_ = rc.SetReadDeadline(time.Time{})
	buf = buf[:n]
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(buf), r.Body), r.Body}
	form := string(buf)
	if n == peek { // drop a parameter the peek may have cut
		if i := strings.LastIndexByte(form, '&'); i >= 0 {
			form = form[:i]
		}
	}
	vals, err := url.ParseQuery(form)
	if err != nil || vals.Get("Action") == "" {
		return ""
	}
	return vals.Get("Version")
}

func cutLast(s, sep string) (string, string, bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}

// cborServiceName extracts <name> from /service/<name>/operation/<op>.
func cborServiceName(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, "/service/")
	if !ok {
		return "", false
	}
	name, _, ok := strings.Cut(rest, "/")
	return name, ok && name != ""
}
