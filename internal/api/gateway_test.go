package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/nimbuscloud/nimbus/internal/account"
	"github.com/nimbuscloud/nimbus/internal/api/catalog"
	"github.com/nimbuscloud/nimbus/internal/api/protocol"
	apis3 "github.com/nimbuscloud/nimbus/internal/api/s3"
	"github.com/nimbuscloud/nimbus/internal/caller"
)

const (
	testAcct   = "123456789012"
	testKey    = "AKIAIOSFODNN7EXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	inactiveAK = "AKIAINACTIVEEXAMPLE0"
)

// keys is an in-memory KeySource (a fake allowed in this unit test only).
type keys map[string]account.Key

func (k keys) LookupKey(_ context.Context, id string) (account.Key, error) {
	if key, ok := k[id]; ok {
		return key, nil
	}
	return account.Key{}, account.ErrKeyNotFound
}

// whoami is a stand-in STS answering GetCallerIdentity from the caller the
// gateway built, so these tests exercise the gateway alone.
func whoami() *protocol.Service {
	s := &protocol.Service{SigningName: "sts", Protocols: []protocol.Kind{protocol.Query}, Version: "2011-06-15",
		XMLNamespace: "https://sts.amazonaws.com/doc/2011-06-15/", ValidationCode: "ValidationError"}
	s.Register(protocol.Op("GetCallerIdentity", func(ctx context.Context, _ *struct{}) (*whoamiOut, error) {
		c := caller.From(ctx)
		return &whoamiOut{Arn: c.Principal.ARN, Account: c.Principal.AccountID, UserId: c.Principal.UserID}, nil
	}))
	return s
}

// emptyEC2 declares EC2 with no operations.
func emptyEC2() *protocol.Service {
	return &protocol.Service{SigningName: "ec2", Protocols: []protocol.Kind{protocol.EC2Query}, Version: "2016-11-15",
		XMLNamespace: "http://ec2.amazonaws.com/doc/2016-11-15/", ValidationCode: "InvalidParameterValue"}
}

type whoamiOut struct {
	UserId  string `xml:"UserId"`
	Account string `xml:"Account"`
	Arn     string `xml:"Arn"`
}

type panicIn struct{}
type panicOut struct{}

func newTestGateway(t testing.TB) (*Gateway, *prometheus.Registry) {
	t.Helper()
	panicky := &protocol.Service{SigningName: "panicky", Protocols: []protocol.Kind{protocol.Query}, Version: "2020-01-01",
		XMLNamespace: "urn:test", ValidationCode: "ValidationError"}
	panicky.Register(protocol.Op("Boom", func(context.Context, *panicIn) (*panicOut, error) { panic("boom") }))
	reg := prometheus.NewRegistry()
	g, err := New(Options{
		Region:   "us-east-1",
		Services: append([]*protocol.Service{whoami(), panicky, emptyEC2()}, catalog.Pending()...),
		S3:       apis3.New([]string{"s3.localhost"}, nil),
		Keys: keys{
			testKey:    {AccessKeyID: testKey, Secret: testSecret, AccountID: testAcct, Status: account.Active, Principal: account.RootPrincipal(testAcct, testKey)},
			inactiveAK: {AccessKeyID: inactiveAK, Secret: testSecret, AccountID: testAcct, Status: account.Inactive, Principal: account.RootPrincipal(testAcct, inactiveAK)},
		},
		Metrics:      NewMetrics(reg),
		MaxBodyBytes: 4096,
	})
	if err != nil {
		t.Fatal(err)
	}
	return g, reg
}

type sreq struct {
	method, path, body, service, region, key string
	header                                   map[string]string
	payload                                  string // payload hash to sign (default: the body's SHA-256)
	unsigned                                 bool
	at                                       time.Time
}

func (s sreq) build(t *testing.T) *http.Request {
	t.Helper()
	if s.method == "" {
		s.method = http.MethodPost
	}
	if s.path == "" {
		s.path = "/"
	}
	r := httptest.NewRequest(s.method, "http://127.0.0.1:4566"+s.path, strings.NewReader(s.body))
	if s.body != "" {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range s.header {
		r.Header.Set(k, v)
	}
	if s.unsigned {
		return r
	}
	if s.region == "" {
		s.region = "us-east-1"
	}
	if s.key == "" {
		s.key = testKey
	}
	if s.at.IsZero() {
		s.at = time.Now()
	}
	sum := sha256.Sum256([]byte(s.body))
	h := hex.EncodeToString(sum[:])
	if s.payload != "" {
		h = s.payload
	}
	if s.service == "s3" {
		r.Header.Set("X-Amz-Content-Sha256", h)
	}
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: s.key, SecretAccessKey: testSecret}, r, h, s.service, s.region, s.at); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestGatewayRoutesAndAuthenticates(t *testing.T) {
	g, _ := newTestGateway(t)
	gci := "Action=GetCallerIdentity&Version=2011-06-15"
	tests := []struct {
		name   string
		req    sreq
		status int
		want   []string // substrings of the body
	}{
		{"sts by scope", sreq{body: gci, service: "sts"}, 200, []string{"<Arn>arn:aws:iam::123456789012:root</Arn>", "<RequestId>"}},
		{"inactive key", sreq{body: gci, service: "sts", key: inactiveAK}, 403, []string{"<Code>InvalidClientTokenId</Code>"}},
		{"unknown key", sreq{body: gci, service: "sts", key: "AKIAUNKNOWNEXAMPLE00"}, 403, []string{"<Code>InvalidClientTokenId</Code>"}},
		{"wrong region", sreq{body: gci, service: "sts", region: "eu-west-1"}, 403, []string{"<Code>SignatureDoesNotMatch</Code>", "eu-west-1"}},
		{"unsigned query is refused in its service's envelope", sreq{body: gci, unsigned: true}, 403, []string{"<ErrorResponse", "<Code>MissingAuthenticationToken</Code>"}},
		{"unsigned ec2 GET", sreq{method: "GET", path: "/?Action=DescribeRegions&Version=2016-11-15", unsigned: true}, 401, []string{"<Response><Errors><Error><Code>MissingAuthenticationToken</Code>"}},
		{"unsigned form without Action goes to s3", sreq{body: "a=b", unsigned: true}, 501, []string{"<Error><Code>NotImplemented</Code>"}},
		{"unsigned plain GET goes to s3", sreq{method: "GET", path: "/bucket/key", unsigned: true}, 501, []string{"<Error><Code>NotImplemented</Code>"}},
		{"malformed signature keeps its service's envelope", sreq{body: "Action=DescribeRegions&Version=2016-11-15", unsigned: true, header: map[string]string{
			"Authorization": "AWS4-HMAC-SHA256 Credential=" + testKey + "/2025/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=zz"}},
			401, []string{"<Response><Errors><Error><Code>AuthFailure</Code>"}},
		{"session token with a long-term key", sreq{body: gci, service: "sts", header: map[string]string{"X-Amz-Security-Token": "garbage"}}, 403, []string{"<Code>InvalidClientTokenId</Code>"}},
		{"unsigned payload on an RPC service", sreq{body: gci, service: "sts", header: map[string]string{"X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD"}, payload: "UNSIGNED-PAYLOAD"}, 400, []string{"<Code>IncompleteSignature</Code>"}},
		{"unsigned json is refused in json", sreq{body: "{}", unsigned: true, header: map[string]string{
			"X-Amz-Target": "GraniteServiceVersion20100801.ListMetrics", "Content-Type": "application/x-amz-json-1.0"}},
			403, []string{`"__type"`, "MissingAuthenticationToken"}},
		{"unknown service", sreq{body: gci, service: "lambda"}, 400, []string{"UnknownService"}},
		{"ec2 unknown action", sreq{body: "Action=RunInstances&Version=2016-11-15", service: "ec2"}, 400, []string{"<Response><Errors><Error><Code>InvalidAction</Code>"}},
		{"oversize body", sreq{body: gci + "&Pad=" + strings.Repeat("x", 5000), service: "sts"}, 413, []string{"<Code>RequestEntityTooLarge</Code>"}},
		{"skewed", sreq{body: gci, service: "sts", at: time.Now().Add(-time.Hour)}, 403, []string{"<Code>RequestTimeTooSkewed</Code>"}},
		{"ec2 skewed", sreq{body: "Action=DescribeRegions&Version=2016-11-15", service: "ec2", at: time.Now().Add(time.Hour)}, 400, []string{"<Code>RequestExpired</Code>"}},
		{"s3 bad bucket", sreq{method: "GET", path: "/../etc/passwd", service: "s3"}, 400, []string{"<Code>InvalidBucketName</Code>"}},
		{"s3 wrong secret", sreq{method: "GET", path: "/bucket/key", service: "s3", key: "AKIAUNKNOWNEXAMPLE00"}, 403, []string{"<Code>InvalidAccessKeyId</Code>"}},
		{"panic is a 500 with request id", sreq{body: "Action=Boom&Version=2020-01-01", service: "panicky"}, 500, []string{"<Code>InternalError</Code>", "<RequestId>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			g.ServeHTTP(w, tt.req.build(t))
			body := w.Body.String()
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, body)
			}
			for _, s := range tt.want {
				if !strings.Contains(body, s) {
					t.Errorf("body lacks %q: %s", s, body)
				}
			}
		})
	}
}

// TestUnknownServicesShareOneMetricsLabel: the credential scope is client
// input and must not create metric series.
func TestUnknownServicesShareOneMetricsLabel(t *testing.T) {
	g, reg := newTestGateway(t)
	for _, svc := range []string{"lambda", "foo1", "bar2"} {
		w := httptest.NewRecorder()
		g.ServeHTTP(w, sreq{body: "Action=X&Version=1", service: svc}.build(t))
		if w.Code != 400 || !strings.Contains(w.Body.String(), "UnknownService") {
			t.Fatalf("%s: %d %s", svc, w.Code, w.Body)
		}
	}
	if got := testutil.ToFloat64(g.metrics.requests.WithLabelValues(unknownRPC, "unknown", "400")); got != 3 {
		t.Fatalf("unknown-service count = %v", got)
	}
	n, err := testutil.GatherAndCount(reg, "nimbus_requests_total")
	if err != nil || n != 1 {
		t.Fatalf("want one series, got %d (%v)", n, err)
	}
}

func TestGatewayMetrics(t *testing.T) {
	g, reg := newTestGateway(t)
	for i := 0; i < 3; i++ {
		w := httptest.NewRecorder()
		g.ServeHTTP(w, sreq{body: "Action=GetCallerIdentity&Version=2011-06-15", service: "sts"}.build(t))
	}
	w := httptest.NewRecorder()
	g.ServeHTTP(w, sreq{body: "Action=Nope&Version=2011-06-15", service: "sts"}.build(t))
	if got := testutil.ToFloat64(g.metrics.requests.WithLabelValues("sts", "GetCallerIdentity", "200")); got != 3 {
		t.Fatalf("GetCallerIdentity 200 count = %v", got)
	}
	if got := testutil.ToFloat64(g.metrics.requests.WithLabelValues("sts", "unknown", "400")); got != 1 {
		t.Fatalf("unknown action count = %v", got)
	}
	if n, err := testutil.GatherAndCount(reg, "nimbus_request_duration_seconds"); err != nil || n == 0 {
		t.Fatalf("latency histogram: %d %v", n, err)
	}
}
