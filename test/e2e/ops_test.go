package e2e

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/nimbuscloud/nimbus/test/e2e/harness"
)

func TestHealthAndMetrics(t *testing.T) {
	r := harness.Start(t)
	resp := httpGet(t, r.Endpoint+"/healthz")
	if resp.Status != 200 || !strings.Contains(resp.Body, `"ok"`) {
		t.Fatalf("healthz: %d %s", resp.Status, resp.Body)
	}
	client := sts.NewFromConfig(r.AWSConfig())
	for i := 0; i < 3; i++ {
		if _, err := client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
			t.Fatal(err)
		}
	}
	resp = httpGet(t, r.Endpoint+"/metrics")
	want := `nimbus_requests_total{action="GetCallerIdentity",service="sts",status="200"} 3`
	if resp.Status != 200 || !strings.Contains(resp.Body, want) {
		t.Fatalf("metrics lack %q:\n%.2000s", want, resp.Body)
	}
	if !strings.Contains(resp.Body, `nimbus_request_duration_seconds_bucket{action="GetCallerIdentity",service="sts",status="200"`) {
		t.Fatal("metrics lack the latency histogram")
	}
	for _, want := range []string{"nimbus_storage_corruptions_found_total 0", "nimbus_storage_heals_done_total 0",
		"nimbus_storage_reduced_redundancy_bytes 0", `nimbus_storage_drive_healthy{az="us-east-1a"`} {
		if !strings.Contains(resp.Body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// TestShutdownFinishesInFlight starts a request, sends SIGTERM while its
// body is still arriving, then completes the body: the request must be
// answered and the server must then exit cleanly.
func TestShutdownFinishesInFlight(t *testing.T) {
	r := harness.Start(t)
	body := "Action=GetCallerIdentity&Version=2011-06-15"
	signed := r.Sign(t, harness.Request{Service: "sts", Body: body})
	conn, err := net.Dial("tcp", r.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var b strings.Builder
	b.WriteString("POST / HTTP/1.1\r\nHost: " + r.Addr + "\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n")
	for k, vs := range signed.Header {
		for _, v := range vs {
			b.WriteString(k + ": " + v + "\r\n")
		}
	}
	b.WriteString("\r\n" + body[:10])
	io.WriteString(conn, b.String())
	time.Sleep(300 * time.Millisecond) // the request is now in flight
	if err := r.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	select {
	case <-r.Exited():
		t.Fatal("server exited with a request in flight")
	default:
	}
	io.WriteString(conn, body[10:])
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("in-flight request was not answered: %v", err)
	}
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(got), r.AccountID) {
		t.Fatalf("in-flight request: %d %s", resp.StatusCode, got)
	}
	select {
	case <-r.Exited():
	case <-time.After(10 * time.Second):
		t.Fatal("server did not exit after finishing the in-flight request")
	}
	if !strings.Contains(r.Stderr(), "stopped") {
		t.Fatalf("no clean stop logged:\n%s", r.Stderr())
	}
}

func TestBadConfigIsAClearStartupError(t *testing.T) {
	tests := []struct {
		args []string
		env  []string
		want string
	}{
		{[]string{"--listen", "not-an-address"}, nil, "setting listen"},
		{[]string{"--region", "mars"}, nil, "setting region"},
		{nil, []string{"NIMBUS_LOG_FORMAT=xml"}, "setting log-format (from env NIMBUS_LOG_FORMAT)"},
		{[]string{"--store", "mysql://x"}, nil, "setting store"},
	}
	for _, tt := range tests {
		cmd := exec.Command(harness.Binary(t), append([]string{"server", "--data-dir", t.TempDir()}, tt.args...)...)
		cmd.Env = append(cmd.Environ(), tt.env...)
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), tt.want) {
			t.Errorf("%v %v: err=%v output=%s", tt.args, tt.env, err, out)
		}
	}
}

func TestJSONLogsAndTLSListener(t *testing.T) {
	tlsAddr := harness.FreePort(t)
	r := harness.Start(t, harness.WithArgs("--log-format", "json", "--tls-listen", tlsAddr, "--tls-self-signed"))
	if !strings.Contains(r.Stderr(), `"msg":"nimbus region ready"`) {
		t.Fatalf("want JSON logs, got:\n%s", r.Stderr())
	}
	cfg := r.AWSConfig()
	cfg.BaseEndpoint = aws.String("https://" + tlsAddr)
	cfg.HTTPClient = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(out.Account) != r.AccountID {
		t.Fatalf("over TLS: %v", err)
	}
}
