package protocol_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nimbuscloud/nimbus/internal/api/protocol"
	"github.com/nimbuscloud/nimbus/internal/caller"
)

// BenchmarkQueryGetCallerIdentity measures one query request end to end in
// the Endpoint: parse form, decode, call, encode XML, write.
func BenchmarkQueryGetCallerIdentity(b *testing.B) {
	svc := &protocol.Service{SigningName: "sts", Protocols: []protocol.Kind{protocol.Query}, Version: "2011-06-15",
		XMLNamespace: "https://sts.amazonaws.com/doc/2011-06-15/", ValidationCode: "ValidationError"}
	out := &getCallerIdentityOutput{Account: "123456789012", Arn: "arn:aws:iam::123456789012:user/alice", UserId: "AIDAEXAMPLE"}
	svc.Register(protocol.Op("GetCallerIdentity", func(ctx context.Context, _ *getCallerIdentityInput) (*getCallerIdentityOutput, error) {
		return out, nil
	}))
	ep := mustEndpoint(b, svc)
	body := []byte("Action=GetCallerIdentity&Version=2011-06-15")
	ctx := caller.With(context.Background(), &caller.Caller{RequestID: testRequestID})
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(""))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		ep.Serve(ctx, w, r, body)
		if w.Code != 200 {
			b.Fatal(w.Body.String())
		}
	}
}

// BenchmarkQueryDecodeDescribeAZs measures an ec2query request with lists.
func BenchmarkQueryDecodeDescribeAZs(b *testing.B) {
	svc := &protocol.Service{SigningName: "ec2", Protocols: []protocol.Kind{protocol.EC2Query}, Version: "2016-11-15",
		XMLNamespace: "http://ec2.amazonaws.com/doc/2016-11-15/", ValidationCode: "InvalidParameterValue"}
	res := &describeAZOutput{AvailabilityZones: []availabilityZone{{ZoneName: "us-east-1a", State: "available", RegionName: "us-east-1", ZoneID: "use1-az1"}}}
	svc.Register(protocol.Op("DescribeAvailabilityZones", func(ctx context.Context, in *describeAZInput) (*describeAZOutput, error) {
		return res, nil
	}))
	ep := mustEndpoint(b, svc)
	body := []byte("Action=DescribeAvailabilityZones&Version=2016-11-15&ZoneName.1=us-east-1a&ZoneName.2=us-east-1b&Filter.1.Name=state&Filter.1.Value.1=available&Filter.1.Value.2=impaired")
	ctx := context.Background()
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(""))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		ep.Serve(ctx, w, r, body)
	}
}
