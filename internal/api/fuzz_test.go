package api

import (
	"bufio"
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzGateway feeds raw HTTP requests through the whole gateway (routing,
// SigV4 parsing, body limits, every protocol's decoder): a client's bytes
// must never produce a 5xx or a panic.
func FuzzGateway(f *testing.F) {
	seeds := []string{
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 43\r\n\r\nAction=GetCallerIdentity&Version=2011-06-15",
		"POST / HTTP/1.1\r\nHost: x\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250101/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=00\r\nX-Amz-Date: 20250101T000000Z\r\nContent-Length: 0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: GraniteServiceVersion20100801.ListMetrics\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: 2\r\n\r\n{}",
		"POST /service/GraniteServiceVersion20100801/operation/ListMetrics HTTP/1.1\r\nHost: x\r\nSmithy-Protocol: rpc-v2-cbor\r\nContent-Length: 1\r\n\r\n\xa0",
		"GET /bucket/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20250101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20250101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=00 HTTP/1.1\r\nHost: b.s3.localhost\r\n\r\n",
		"PUT /b/k HTTP/1.1\r\nHost: x\r\nX-Amz-Content-Sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	g, _ := newTestGateway(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil {
			return // not HTTP: the server's own parser rejects it before us
		}
		req.RemoteAddr = "127.0.0.1:1234"
		w := httptest.NewRecorder()
		g.ServeHTTP(w, req)
		if w.Code >= 500 && w.Code != http.StatusNotImplemented {
			t.Fatalf("status %d for client input: %s", w.Code, w.Body)
		}
	})
}
