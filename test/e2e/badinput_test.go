package e2e

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/nimbuscloud/nimbus/test/e2e/harness"
)

// TestBadQueryInput sends malformed signed query requests: each must get a
// 4xx in the service's envelope, never a 5xx, and the server must go on.
func TestBadQueryInput(t *testing.T) {
	r := harness.Start(t)
	tests := []struct {
		name, service, body string
		status              int
		code                string
	}{
		{"malformed escape", "sts", "Action=GetCallerIdentity&Version=2011-06-15&X=%zz", 400, "ValidationError"},
		{"missing action", "sts", "Version=2011-06-15", 400, "MissingAction"},
		{"missing version", "sts", "Action=GetCallerIdentity", 400, "MissingParameter"},
		{"duplicate parameter", "sts", "Action=GetCallerIdentity&Version=2011-06-15&Version=2011-06-15", 400, "ValidationError"},
		{"invalid utf-8", "sts", "Action=GetCallerIdentity&Version=2011-06-15&X=%ff%fe", 400, "ValidationError"},
		{"semicolon separator", "sts", "Action=GetCallerIdentity;Version=2011-06-15", 400, ""},
		{"ec2 missing action", "ec2", "Version=2016-11-15", 400, "MissingAction"},
		{"ec2 bad list index", "ec2", "Action=DescribeRegions&Version=2016-11-15&RegionName.0=x", 400, ""},
		{"iam deep nesting", "iam", "Action=ListUsers&Version=2010-05-08&" + strings.Repeat("a.", 100) + "b=1", 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := harness.Do(t, r.Sign(t, harness.Request{Service: tt.service, Body: tt.body}))
			if resp.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.Status, tt.status, resp.Body)
			}
			if tt.code != "" && !strings.Contains(resp.Body, "<Code>"+tt.code+"</Code>") {
				t.Fatalf("want code %s: %s", tt.code, resp.Body)
			}
			if !strings.Contains(resp.Body, "equestI") { // RequestId / RequestID
				t.Fatalf("error without request id: %s", resp.Body)
			}
		})
	}
	// Oversize body: 413 without reading it all.
	big := "Action=GetCallerIdentity&Version=2011-06-15&Pad=" + strings.Repeat("x", 2<<20)
	resp := harness.Do(t, r.Sign(t, harness.Request{Service: "sts", Body: big}))
	if resp.Status != http.StatusRequestEntityTooLarge || !strings.Contains(resp.Body, "RequestEntityTooLarge") {
		t.Fatalf("oversize: %d %.200s", resp.Status, resp.Body)
	}
	assertAlive(t, r)
}

// TestBadJSONAndCBORInput checks the JSON and CBOR decoders' answers.
func TestBadJSONAndCBORInput(t *testing.T) {
	r := harness.Start(t)
	json := func(body string) harness.Response {
		return harness.Do(t, r.Sign(t, harness.Request{Service: "monitoring", Body: body, Header: map[string]string{
			"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "GraniteServiceVersion20100801.ListMetrics"}}))
	}
	for _, body := range []string{"{", `{"a":` + strings.Repeat("[", 10000), "\xff\xfe"} {
		resp := json(body)
		if resp.Status/100 != 4 || !strings.Contains(resp.Body, "__type") {
			t.Errorf("json %.20q: %d %s", body, resp.Status, resp.Body)
		}
	}
	cbor := func(body string) harness.Response {
		return harness.Do(t, r.Sign(t, harness.Request{Service: "monitoring", Body: body, Path: "/service/GraniteServiceVersion20100801/operation/ListMetrics",
			Header: map[string]string{"Content-Type": "application/cbor", "Smithy-Protocol": "rpc-v2-cbor"}}))
	}
	// a truncated map, and a map nested far too deep
	for _, body := range []string{"\xbf\x61", strings.Repeat("\x81", 5000) + "\xa0"} {
		resp := cbor(body)
		if resp.Status/100 != 4 {
			t.Errorf("cbor %q: %d %s", body[:2], resp.Status, resp.Body)
		}
	}
	assertAlive(t, r)
}

// TestRawProtocolAbuse uses a raw socket for what HTTP clients refuse to
// send: header injection, path traversal, oversized headers.
func TestRawProtocolAbuse(t *testing.T) {
	r := harness.Start(t)
	raw := func(req string) string {
		conn, err := net.DialTimeout("tcp", r.Addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(conn, req)
		line, _ := bufio.NewReader(conn).ReadString('\n')
		return line
	}
	if got := raw("PUT /bucket/key HTTP/1.1\r\nHost: x\r\nX-Amz-Meta-A: ok\rInjected: yes\r\nContent-Length: 0\r\n\r\n"); !strings.Contains(got, " 400 ") {
		t.Errorf("header injection: %q", got)
	}
	if got := raw("GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n"); !strings.Contains(got, " 400 ") {
		t.Errorf("path traversal: %q", got)
	}
	if got := raw("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 100<<10) + "\r\n\r\n"); !strings.Contains(got, " 431 ") {
		t.Errorf("oversized headers: %q", got)
	}
	assertAlive(t, r)
}

// TestSlowClientsAreCutOff holds connections open with partial headers and
// a stalled body; the server must drop them after its timeouts.
func TestSlowClientsAreCutOff(t *testing.T) {
	r := harness.Start(t, harness.WithArgs("--header-timeout", "1s", "--body-timeout", "1s"))
	closedWithin := func(req string, limit time.Duration) bool {
		conn, err := net.DialTimeout("tcp", r.Addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		io.WriteString(conn, req)
		conn.SetReadDeadline(time.Now().Add(limit))
		_, err = io.Copy(io.Discard, conn) // returns when the server closes
		return err == nil
	}
	if !closedWithin("POST / HTTP/1.1\r\nHost: x\r\nX-Slow", 5*time.Second) {
		t.Error("partial headers: connection not closed by the server within 5s")
	}
	signed := r.Sign(t, harness.Request{Service: "sts", Body: "Action=GetCallerIdentity&Version=2011-06-15"})
	var b strings.Builder
	b.WriteString("POST / HTTP/1.1\r\nHost: " + r.Addr + "\r\nContent-Length: 100\r\n")
	for k, vs := range signed.Header {
		for _, v := range vs {
			b.WriteString(k + ": " + v + "\r\n")
		}
	}
	b.WriteString("\r\nAction=Get") // 10 of 100 bytes, then silence
	if !closedWithin(b.String(), 5*time.Second) {
		t.Error("stalled body: connection not closed by the server within 5s")
	}
	assertAlive(t, r)
}

func assertAlive(t *testing.T, r *harness.Region) {
	t.Helper()
	if _, err := sts.NewFromConfig(r.AWSConfig()).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("server no longer answers: %v\nstderr:\n%s", err, r.Stderr())
	}
}
