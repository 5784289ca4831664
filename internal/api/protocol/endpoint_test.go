package protocol_test

import (
	"bytes"
	"context"
	"flag"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"github.com/nimbuscloud/nimbus/internal/api/awserr"
	"github.com/nimbuscloud/nimbus/internal/api/protocol"
	"github.com/nimbuscloud/nimbus/internal/caller"
)

var rewrite = flag.Bool("rewrite", false, "rewrite golden files in testdata/")

// call sends one request straight to an Endpoint (no network).
func call(t *testing.T, ep *protocol.Endpoint, r *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
	}
	w := httptest.NewRecorder()
	ctx := caller.With(r.Context(), &caller.Caller{RequestID: testRequestID})
	ep.Serve(ctx, w, r, body)
	return w
}

func form(body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	return r
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *rewrite {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -rewrite to create)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s mismatch:\ngot:  %s\nwant: %s", name, got, want)
	}
}

func mustEndpoint(t testing.TB, svc *protocol.Service) *protocol.Endpoint {
	ep, err := protocol.NewEndpoint(svc, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ep
}

func TestGoldenQueryListUsers(t *testing.T) {
	ep := mustEndpoint(t, iamService(t))
	w := call(t, ep, form("Action=ListUsers&Version=2010-05-08&PathPrefix=%2Feng%2F&MaxItems=2"))
	if w.Code != 200 || w.Header().Get("Content-Type") != "text/xml" || w.Header().Get("X-Amzn-Requestid") != testRequestID {
		t.Fatalf("status %d headers %v", w.Code, w.Header())
	}
	golden(t, "query_listusers.xml", w.Body.Bytes())
	// A unit output gets the Response wrapper and metadata, no Result.
	w = call(t, ep, form("Action=DeleteUser&Version=2010-05-08&UserName=alice"))
	golden(t, "query_deleteuser.xml", w.Body.Bytes())
}

func TestGoldenEC2(t *testing.T) {
	svc := &protocol.Service{SigningName: "ec2", Protocols: []protocol.Kind{protocol.EC2Query}, Version: "2016-11-15",
		XMLNamespace: "http://ec2.amazonaws.com/doc/2016-11-15/", ValidationCode: "InvalidParameterValue"}
	svc.Register(protocol.Op("DescribeAvailabilityZones", func(ctx context.Context, in *describeAZInput) (*describeAZOutput, error) {
		return &describeAZOutput{AvailabilityZones: []availabilityZone{{ZoneName: "us-east-1a", State: "available", RegionName: "us-east-1", ZoneID: "use1-az1"}}}, nil
	}))
	ep := mustEndpoint(t, svc)
	w := call(t, ep, form("Action=DescribeAvailabilityZones&Version=2016-11-15"))
	golden(t, "ec2_describeazs.xml", w.Body.Bytes())
	w = call(t, ep, form("Action=DescribeAvailabilityZones&Version=2016-11-15&ZoneName.1=a&ZoneName.1=b"))
	if w.Code != 400 {
		t.Fatalf("status %d", w.Code)
	}
	golden(t, "ec2_error.xml", w.Body.Bytes())
}

func TestQueryErrors(t *testing.T) {
	svc := iamService(t)
	svc.Register(protocol.Op("Panic", func(ctx context.Context, _ *getCallerIdentityInput) (*getCallerIdentityOutput, error) {
		panic("handler bug")
	}))
	ep := mustEndpoint(t, svc)
	tests := []struct {
		name       string
		req        *http.Request
		status     int
		code, msg  string
		wantAction string
	}{
		{"missing action", form("Version=2010-05-08"), 400, "MissingAction", "The request must contain the parameter Action.", ""},
		{"unknown action", form("Action=Nope&Version=2010-05-08"), 400, "InvalidAction", "The action Nope is not valid for this web service.", ""},
		{"missing version", form("Action=ListUsers"), 400, "MissingParameter", "The request must contain the parameter Version.", "ListUsers"},
		{"wrong version", form("Action=ListUsers&Version=2011-01-01"), 400, "NoSuchVersion", "The requested version (2011-01-01) of service iam does not exist.", "ListUsers"},
		{"missing required", form("Action=DeleteUser&Version=2010-05-08"), 400, "ValidationError",
			"1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null", "DeleteUser"},
		{"bad value", form("Action=ListUsers&Version=2010-05-08&MaxItems=ten"), 400, "ValidationError", "must be an integer", "ListUsers"},
		{"duplicate", form("Action=ListUsers&Version=2010-05-08&Marker=a&Marker=b"), 400, "ValidationError", "appears more than once", ""},
		{"same key in URL and body", func() *http.Request {
			r := form("Action=DeleteUser&Version=2010-05-08")
			r.URL.RawQuery = "Action=DeleteUser"
			return r
		}(), 400, "ValidationError", "appears more than once", ""},
		{"wrong content type", func() *http.Request {
			r := form("Action=DeleteUser")
			r.Header.Set("Content-Type", "application/json")
			return r
		}(), 400, "ValidationError", "Content-Type", ""},
		{"mapped service error", form("Action=DeleteUser&Version=2010-05-08&UserName=bob"), 404, "NoSuchEntity", "cannot be found", "DeleteUser"},
		{"unmapped error hidden", form("Action=DeleteUser&Version=2010-05-08&UserName=boom"), 500, "InternalError", "internal error", "DeleteUser"},
		{"panic contained", form("Action=Panic&Version=2010-05-08"), 500, "InternalError", "internal error", "Panic"},
		{"json to a query service", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}"))
			r.Header.Set("X-Amz-Target", "X.ListUsers")
			return r
		}(), 400, "InvalidAction", "protocol", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			body, _ := io.ReadAll(tt.req.Body)
			action := ep.Serve(caller.With(context.Background(), &caller.Caller{RequestID: testRequestID}), w, tt.req, body)
			if w.Code != tt.status || action != tt.wantAction {
				t.Fatalf("status %d action %q, want %d %q: %s", w.Code, action, tt.status, tt.wantAction, w.Body)
			}
			b := html.UnescapeString(w.Body.String())
			if !strings.Contains(b, "<Code>"+tt.code+"</Code>") || !strings.Contains(b, tt.msg) ||
				!strings.Contains(b, "<RequestId>"+testRequestID+"</RequestId>") || !strings.HasPrefix(b, "<?xml") {
				t.Fatalf("body %s", b)
			}
			if strings.Contains(b, "disk on fire") || strings.Contains(b, "handler bug") {
				t.Fatal("internal cause leaked")
			}
		})
	}
}

func TestGETQueryString(t *testing.T) {
	ep := mustEndpoint(t, iamService(t))
	r := httptest.NewRequest(http.MethodGet, "/?Action=DeleteUser&Version=2010-05-08&UserName=alice", nil)
	if w := call(t, ep, r); w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
}

func TestWriteErrorUsesRequestProtocol(t *testing.T) {
	ep := mustEndpoint(t, cloudwatchService(t))
	deny := awserr.New(http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid.")
	ctx := caller.With(context.Background(), &caller.Caller{RequestID: testRequestID})

	r := httptest.NewRequest(http.MethodPost, "/service/GraniteServiceVersion20100801/operation/ListMetrics", nil)
	r.Header.Set("Smithy-Protocol", "rpc-v2-cbor")
	w := httptest.NewRecorder()
	ep.WriteError(ctx, w, r, deny)
	var doc map[string]string
	if err := cbor.Unmarshal(w.Body.Bytes(), &doc); err != nil || doc["__type"] != "InvalidClientTokenId" || doc["message"] != deny.Message {
		t.Fatalf("cbor error %v %v", doc, err)
	}
	if w.Code != 403 || w.Header().Get("Smithy-Protocol") != "rpc-v2-cbor" || w.Header().Get("Content-Type") != "application/cbor" ||
		w.Header().Get("X-Amzn-Query-Error") != "InvalidClientTokenId;Sender" || w.Header().Get("X-Amzn-Requestid") != testRequestID {
		t.Fatalf("cbor headers %d %v", w.Code, w.Header())
	}

	r = httptest.NewRequest(http.MethodPost, "/", nil)
	r.Header.Set("X-Amz-Target", "GraniteServiceVersion20100801.ListMetrics")
	r.Header.Set("Content-Type", "application/x-amz-json-1.0")
	w = httptest.NewRecorder()
	ep.WriteError(ctx, w, r, deny)
	if w.Body.String() != `{"__type":"InvalidClientTokenId","message":"The security token included in the request is invalid."}` ||
		w.Header().Get("X-Amzn-Errortype") != "InvalidClientTokenId" || w.Header().Get("Content-Type") != "application/x-amz-json-1.0" {
		t.Fatalf("json error %s %v", w.Body, w.Header())
	}

	w = httptest.NewRecorder()
	ep.WriteError(ctx, w, form("Action=ListMetrics"), deny)
	if !strings.Contains(w.Body.String(), "<ErrorResponse") || !strings.Contains(w.Body.String(), "<Type>Sender</Type>") {
		t.Fatalf("query error %s", w.Body)
	}
}

func TestJSONAndCBORRejections(t *testing.T) {
	ep := mustEndpoint(t, cloudwatchService(t))
	jsonReq := func(target, body string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		r.Header.Set("X-Amz-Target", target)
		r.Header.Set("Content-Type", "application/x-amz-json-1.0")
		return r
	}
	cborReq := func(path string, body []byte) *http.Request {
		r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		r.Header.Set("Smithy-Protocol", "rpc-v2-cbor")
		r.Header.Set("Content-Type", "application/cbor")
		return r
	}
	const gms = "GraniteServiceVersion20100801.GetMetricStatistics"
	tests := []struct {
		name   string
		req    *http.Request
		status int
		typ    string
		msg    string
	}{
		{"json unknown op", jsonReq("GraniteServiceVersion20100801.Nope", "{}"), 400, "UnknownOperationException", "Nope"},
		{"json wrong prefix", jsonReq("Other.ListMetrics", "{}"), 400, "UnknownOperationException", ""},
		{"json syntax", jsonReq(gms, "{"), 400, "SerializationException", "unexpected end"},
		{"json type", jsonReq(gms, `{"Period":"x"}`), 400, "SerializationException", "Period"},
		{"json trailing", jsonReq(gms, `{} {}`), 400, "SerializationException", "after the JSON"},
		{"json bad utf8", jsonReq(gms, "{\"Namespace\":\"\xff\"}"), 400, "SerializationException", "UTF-8"},
		{"json missing required", jsonReq(gms, `{"Namespace":"n"}`), 400, "InvalidParameterValueException",
			"3 validation errors detected: Value null at 'metricName' failed to satisfy constraint: Member must not be null; Value null at 'startTime'"},
		{"cbor unknown op", cborReq("/service/GraniteServiceVersion20100801/operation/Nope", nil), 404, "UnknownOperationException", "Nope"},
		{"cbor wrong service", cborReq("/service/Other/operation/ListMetrics", nil), 404, "UnknownOperationException", ""},
		{"cbor garbage", cborReq("/service/GraniteServiceVersion20100801/operation/ListMetrics", []byte{0xbf, 0x61}), 400, "SerializationException", ""},
		{"cbor duplicate keys", cborReq("/service/GraniteServiceVersion20100801/operation/ListMetrics",
			[]byte{0xa2, 0x69, 'N', 'a', 'm', 'e', 's', 'p', 'a', 'c', 'e', 0x61, 'a', 0x69, 'N', 'a', 'm', 'e', 's', 'p', 'a', 'c', 'e', 0x61, 'b'}),
			400, "SerializationException", "duplicate"},
		{"cbor deep nesting", cborReq("/service/GraniteServiceVersion20100801/operation/ListMetrics", bytes.Repeat([]byte{0x81}, 100)),
			400, "SerializationException", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := call(t, ep, tt.req)
			if w.Code != tt.status {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			var doc map[string]string
			var err error
			if tt.req.Header.Get("Smithy-Protocol") != "" {
				err = cbor.Unmarshal(w.Body.Bytes(), &doc)
			} else {
				err = jsonUnmarshal(w.Body.Bytes(), &doc)
			}
			if err != nil || doc["__type"] != tt.typ || !strings.Contains(doc["message"], tt.msg) {
				t.Fatalf("doc %v err %v", doc, err)
			}
		})
	}
}
