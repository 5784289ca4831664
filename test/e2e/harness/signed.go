package harness

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Request is a raw HTTP request to sign and send, for tests that need to
// break the rules in ways SDKs never do.
type Request struct {
	Method  string
	Path    string // with query string
	Body    string
	Header  map[string]string
	Service string // SigV4 service name
	Time    time.Time
	// AccessKey/SecretKey default to the region's root key.
	AccessKey, SecretKey string
	// Host overrides the Host header (virtual-hosted S3).
	Host string
	// SignedPayload overrides the payload hash that is signed and sent in
	// x-amz-content-sha256 (S3 streaming modes).
	SignedPayload string
}

// Response is what came back.
type Response struct {
	Status int
	Header http.Header
	Body   string
}

// Sign builds and signs req.
func (r *Region) Sign(t testing.TB, req Request) *http.Request {
	t.Helper()
	if req.Method == "" {
		req.Method = http.MethodPost
	}
	if req.Path == "" {
		req.Path = "/"
	}
	if req.Time.IsZero() {
		req.Time = time.Now()
	}
	ak, sk := req.AccessKey, req.SecretKey
	if ak == "" {
		ak, sk = r.AccessKey, r.SecretKey
	}
	hr, err := http.NewRequest(req.Method, r.Endpoint+req.Path, strings.NewReader(req.Body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range req.Header {
		hr.Header.Set(k, v)
	}
	if req.Host != "" {
		hr.Host = req.Host
	}
	if req.Body != "" && req.Service != "s3" && hr.Header.Get("Content-Type") == "" {
		hr.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	}
	sum := sha256.Sum256([]byte(req.Body))
	hash := hex.EncodeToString(sum[:])
	if req.SignedPayload != "" {
		hash = req.SignedPayload
	}
	if req.Service == "s3" {
		hr.Header.Set("X-Amz-Content-Sha256", hash)
	}
	err = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: ak, SecretAccessKey: sk}, hr, hash, req.Service, r.Region, req.Time)
	if err != nil {
		t.Fatal(err)
	}
	return hr
}

// Presign returns a presigned URL for req valid for expires from req.Time.
func (r *Region) Presign(t testing.TB, req Request, expires time.Duration) string {
	t.Helper()
	if req.Method == "" {
		req.Method = http.MethodGet
	}
	if req.Time.IsZero() {
		req.Time = time.Now()
	}
	hr, err := http.NewRequest(req.Method, r.Endpoint+req.Path, nil)
	if err != nil {
		t.Fatal(err)
	}
	q := hr.URL.Query()
	q.Set("X-Amz-Expires", strconv.Itoa(int(expires/time.Second)))
	hr.URL.RawQuery = q.Encode()
	// S3 presigns with UNSIGNED-PAYLOAD; other services sign the (empty)
	// body's hash, as the SDKs do.
	payload := "UNSIGNED-PAYLOAD"
	if req.Service != "s3" {
		sum := sha256.Sum256(nil)
		payload = hex.EncodeToString(sum[:])
	}
	u, _, err := v4.NewSigner().PresignHTTP(context.Background(), aws.Credentials{AccessKeyID: r.AccessKey, SecretAccessKey: r.SecretKey},
		hr, payload, req.Service, r.Region, req.Time)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Do sends a request and reads the whole response.
func Do(t testing.TB, hr *http.Request) Response {
	t.Helper()
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: string(body)}
}
