package sigv4

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// seen is what the test server verified for one request.
type seen struct {
	payloadHash string
	body        []byte
	trailer     http.Header
	err         error
}

// sdkServer verifies every request with the real wall clock (the SDK signs
// with it) and records the outcome.
func sdkServer(t *testing.T, tls bool) (*httptest.Server, func() []seen) {
	t.Helper()
	v := NewVerifier(Config{Now: time.Now})
	var mu sync.Mutex
	var log []seen
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := seen{payloadHash: r.Header.Get("X-Amz-Content-Sha256")}
		defer func() {
			mu.Lock()
			log = append(log, s)
			mu.Unlock()
		}()
		a, err := Parse(r)
		if err != nil {
			s.err = err
			w.WriteHeader(http.StatusForbidden)
			return
		}
		if a.Service == "sts" {
			body, _ := io.ReadAll(r.Body)
			s.body = body
			if s.err = v.VerifyBytes(r, a, testSecret, body); s.err != nil {
				w.WriteHeader(http.StatusForbidden)
				return
			}
			w.Header().Set("Content-Type", "text/xml")
			io.WriteString(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/t</Arn><UserId>AIDAEXAMPLE</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>`)
			return
		}
		p, err := v.VerifyStream(r, a, testSecret)
		if err != nil {
			s.err = err
			w.WriteHeader(http.StatusForbidden)
			return
		}
		s.body, s.err = io.ReadAll(p)
		s.trailer = p.Trailer()
		if s.err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.Header().Set("ETag", `"x"`)
	})
	var srv *httptest.Server
	if tls {
		srv = httptest.NewTLSServer(h)
	} else {
		srv = httptest.NewServer(h)
	}
	t.Cleanup(srv.Close)
	return srv, func() []seen {
		mu.Lock()
		defer mu.Unlock()
		return append([]seen(nil), log...)
	}
}

func s3Client(srv *httptest.Server) *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(testAKID, testSecret, ""),
		HTTPClient:   srv.Client(),
	})
}

// TestRealS3Client drives aws-sdk-go-v2's S3 client against a server that
// verifies with this package: trailing checksums over TLS
// (STREAMING-UNSIGNED-PAYLOAD-TRAILER), signed hex payloads over plain HTTP,
// odd keys, unseekable bodies, and presigned GETs.
func TestRealS3Client(t *testing.T) {
	ctx := context.Background()
	data := bytes.Repeat([]byte("nimbus-"), 30000)
	for _, tls := range []bool{true, false} {
		srv, log := sdkServer(t, tls)
		c := s3Client(srv)
		puts := []struct {
			key  string
			body io.Reader
			alg  s3types.ChecksumAlgorithm
		}{
			{"a b/ü+%.txt", bytes.NewReader(data), ""},
			{"k(1)!*'=&$@:,;", bytes.NewReader(data), s3types.ChecksumAlgorithmCrc32c},
			{"crc64", bytes.NewReader(data), s3types.ChecksumAlgorithmCrc64nvme},
			{"sha256", bytes.NewReader([]byte("x")), s3types.ChecksumAlgorithmSha256},
			{"sha1", bytes.NewReader(data), s3types.ChecksumAlgorithmSha1},
		}
		if tls {
			// Unknown length: the SDK frames 64 KiB aws-chunked chunks.
			puts = append(puts, struct {
				key  string
				body io.Reader
				alg  s3types.ChecksumAlgorithm
			}{"unseekable", io.MultiReader(bytes.NewReader(data)), ""})
		}
		for _, p := range puts {
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bucket"), Key: aws.String(p.key), Body: p.body, ChecksumAlgorithm: p.alg})
			if err != nil {
				t.Fatalf("tls=%v PutObject(%q): %v (server: %+v)", tls, p.key, err, last(log()))
			}
			s := last(log())
			if s.err != nil {
				t.Fatalf("tls=%v %q: server error %v", tls, p.key, s.err)
			}
			if p.key == "sha256" {
				if string(s.body) != "x" {
					t.Fatalf("body %q", s.body)
				}
			} else if !bytes.Equal(s.body, data) {
				t.Fatalf("tls=%v %q: body %d bytes, want %d", tls, p.key, len(s.body), len(data))
			}
			t.Logf("tls=%v %q: x-amz-content-sha256=%s trailer=%v", tls, p.key, s.payloadHash, s.trailer)
			if tls && p.alg != "" {
				want := "x-amz-checksum-" + strings.ToLower(string(p.alg))
				if s.payloadHash != StreamingUnsignedPayloadTrailer || s.trailer.Get(want) == "" {
					t.Errorf("%q: want a verified %s trailer, got %s %v", p.key, want, s.payloadHash, s.trailer)
				}
			}
		}

		_, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("bucket"), Prefix: aws.String("a b/ü"), Delimiter: aws.String("/"), StartAfter: aws.String("")})
		if err != nil && !strings.Contains(err.Error(), "deserializ") {
			t.Fatalf("ListObjectsV2: %v", err)
		}
		if s := last(log()); s.err != nil {
			t.Fatalf("ListObjectsV2 verify: %v", s.err)
		}

		ps := s3.NewPresignClient(c)
		req, err := ps.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String("a b/ü+%.txt"), ResponseContentType: aws.String("text/plain")}, s3.WithPresignExpires(10*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		hr, _ := http.NewRequest(req.Method, req.URL, nil)
		for k, vs := range req.SignedHeader {
			if k != "Host" {
				hr.Header[k] = vs
			}
		}
		resp, err := srv.Client().Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if s := last(log()); s.err != nil || resp.StatusCode != 200 {
			t.Fatalf("presigned GET: %d %v", resp.StatusCode, s.err)
		}
	}
}

func last(s []seen) seen {
	if len(s) == 0 {
		return seen{err: errors.New("no request seen")}
	}
	return s[len(s)-1]
}

func TestRealSTSClient(t *testing.T) {
	srv, log := sdkServer(t, true)
	c := sts.New(sts.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider(testAKID, testSecret, "session-token"),
		HTTPClient:   srv.Client(),
	})
	out, err := c.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v (server: %+v)", err, last(log()))
	}
	if aws.ToString(out.Account) != "123456789012" {
		t.Fatalf("account %v", aws.ToString(out.Account))
	}
	if sum := sha256.Sum256(last(log()).body); sum == sha256.Sum256(nil) {
		t.Fatal("empty body")
	}
}
