package loadgen

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestReadResponse(t *testing.T) {
	tests := []struct {
		raw    string
		status int
		ok     bool
	}{
		{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 200, true},
		{"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n", 403, true},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 0, false},
		{"garbage\r\n", 0, false},
		{"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort", 0, false},
	}
	for _, tt := range tests {
		status, err := readResponse(bufio.NewReader(strings.NewReader(tt.raw)))
		if (err == nil) != tt.ok || status != tt.status {
			t.Errorf("%q: status %d err %v", tt.raw, status, err)
		}
	}
}

func TestPacedRunSendsSignedRequestsAtTheRate(t *testing.T) {
	var n, unsigned atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/") || string(body) != "Action=GetCallerIdentity&Version=2011-06-15" {
			unsigned.Add(1)
		}
		n.Add(1)
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	res, err := GetCallerIdentity(context.Background(), Options{
		Endpoint: srv.URL, Region: "us-east-1", AccessKey: "AKIAEXAMPLE", SecretKey: "secret",
		Concurrency: 4, Duration: 500 * time.Millisecond, Rate: 400, Pool: 8,
	})
	if err != nil {
		t.Fatal(err)
	}
	if unsigned.Load() != 0 || res.Errors != 0 {
		t.Fatalf("unsigned=%d errors=%d first=%s", unsigned.Load(), res.Errors, res.FirstErr)
	}
	// 400/s for 0.5 s is 200 requests; allow for start-up and timer slack.
	if res.Requests < 120 || res.Requests > 230 || int64(res.Requests) > n.Load() {
		t.Fatalf("requests = %d (server saw %d), want about 200", res.Requests, n.Load())
	}
	if res.P50 <= 0 || res.P99 < res.P50 || res.Max < res.P99 {
		t.Fatalf("percentiles out of order: %+v", res)
	}
}
