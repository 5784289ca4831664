package sigv4

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	testAKID   = "AKIDEXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
)

func signTime() time.Time { return time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC) }

func verifierAt(t time.Time) *Verifier {
	return NewVerifier(Config{Now: func() time.Time { return t }})
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// wire sends req through HTTP/1.1 serialisation and returns the request a Go
// server sees (Host moved out of Header, path re-parsed, body framed).
func wire(t testing.TB, req *http.Request) *http.Request {
	t.Helper()
	var buf bytes.Buffer
	if err := req.Write(&buf); err != nil {
		t.Fatal(err)
	}
	sr, err := http.ReadRequest(bufio.NewReader(&buf))
	if err != nil {
		t.Fatal(err)
	}
	return sr
}

type signSpec struct {
	method, url string
	body        []byte
	header      http.Header
	service     string
	region      string
	payloadHash string // "" = hex sha256(body)
	token       string
	secret      string
	at          time.Time
}

func (s signSpec) request(t testing.TB) *http.Request {
	t.Helper()
	var body io.Reader
	if s.body != nil {
		body = bytes.NewReader(s.body)
	}
	req, err := http.NewRequest(s.method, s.url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range s.header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	return req
}

func (s signSpec) defaults() signSpec {
	if s.region == "" {
		s.region = "us-east-1"
	}
	if s.payloadHash == "" {
		s.payloadHash = sha256Hex(s.body)
	}
	if s.secret == "" {
		s.secret = testSecret
	}
	if s.at.IsZero() {
		s.at = signTime()
	}
	return s
}

func (s signSpec) creds() aws.Credentials {
	return aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: s.secret, SessionToken: s.token}
}

func sdkOpts(service string) func(*v4.SignerOptions) {
	return func(o *v4.SignerOptions) { o.DisableURIPathEscaping = singleEncoded(service) }
}

// sdkSign signs with aws-sdk-go-v2's SignHTTP and returns the server's view.
func sdkSign(t testing.TB, s signSpec) *http.Request {
	t.Helper()
	s = s.defaults()
	req := s.request(t)
	err := v4.NewSigner().SignHTTP(context.Background(), s.creds(), req, s.payloadHash, s.service, s.region, s.at, sdkOpts(s.service))
	if err != nil {
		t.Fatal(err)
	}
	return wire(t, req)
}

// sdkPresign presigns with aws-sdk-go-v2's PresignHTTP and returns the
// server's view of a request made to the URL with the signed headers.
func sdkPresign(t testing.TB, s signSpec, expires time.Duration) *http.Request {
	t.Helper()
	s = s.defaults()
	req := s.request(t)
	q := req.URL.Query()
	q.Set("X-Amz-Expires", fmt.Sprint(int(expires/time.Second)))
	req.URL.RawQuery = q.Encode()
	u, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), s.creds(), req, s.payloadHash, s.service, s.region, s.at, sdkOpts(s.service))
	if err != nil {
		t.Fatal(err)
	}
	var body io.Reader
	if s.body != nil {
		body = bytes.NewReader(s.body)
	}
	out, err := http.NewRequest(s.method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range hdr {
		if k != "Host" {
			out.Header[k] = vs
		}
	}
	return wire(t, out)
}

// chunkSigner is the test's own, independent aws-chunked encoder/signer,
// written from the AWS documentation.
type chunkSigner struct {
	key       []byte
	amzDate   string
	scope     string
	prev      string
	unsigned  bool
	corruptAt int // chunk index whose signature is corrupted, -1 none
}

func (c *chunkSigner) sign(kind string, lines ...string) string {
	mac := hmac.New(sha256.New, c.key)
	mac.Write([]byte(kind + "\n" + c.amzDate + "\n" + c.scope + "\n" + c.prev + "\n" + strings.Join(lines, "\n")))
	c.prev = hex.EncodeToString(mac.Sum(nil))
	return c.prev
}

// encode frames data in chunks of size n (the last shorter), then the
// zero chunk and trailers ("name:value" strings).
func (c *chunkSigner) encode(data []byte, n int, trailers ...string) []byte {
	var b bytes.Buffer
	i := 0
	for {
		m := min(n, len(data))
		chunk := data[:m]
		data = data[m:]
		fmt.Fprintf(&b, "%x", m)
		if !c.unsigned {
			sig := c.sign("AWS4-HMAC-SHA256-PAYLOAD", emptySHA256, sha256Hex(chunk))
			if i == c.corruptAt {
				sig = strings.Repeat("0", 64)
			}
			b.WriteString(";chunk-signature=" + sig)
		}
		b.WriteString("\r\n")
		if m == 0 {
			break
		}
		b.Write(chunk)
		b.WriteString("\r\n")
		i++
	}
	var canon strings.Builder
	for _, tr := range trailers {
		b.WriteString(tr + "\r\n")
		canon.WriteString(tr + "\n")
	}
	if !c.unsigned && len(trailers) > 0 {
		sig := c.sign("AWS4-HMAC-SHA256-TRAILER", sha256Hex([]byte(canon.String())))
		b.WriteString("x-amz-trailer-signature:" + sig + "\r\n")
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

func wantErr(t testing.TB, err, want error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
}
