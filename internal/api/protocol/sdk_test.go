package protocol_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwschemas "github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/transport/http/protocol/awsjson"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"

	"github.com/nimbuscloud/nimbus/internal/api/awserr"
	"github.com/nimbuscloud/nimbus/internal/api/protocol"
	"github.com/nimbuscloud/nimbus/internal/caller"
)

const testRequestID = "6f1d2c3e-0000-4000-8000-000000000001"

// serve starts an httptest server that puts a Caller with a fixed request
// ID in the context (as the router does) and hands the request to an
// Endpoint for svc. Signatures are not checked.
func serve(t *testing.T, svc *protocol.Service) string {
	t.Helper()
	ep, err := protocol.NewEndpoint(svc, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("NewEndpoint: %v", err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, protocol.MaxBodyBytes+1))
		if err != nil {
			t.Errorf("read body: %v", err)
		}
		ctx := caller.With(r.Context(), &caller.Caller{RequestID: testRequestID})
		ep.Serve(ctx, w, r, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func sdkConfig() aws.Config {
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		RetryMaxAttempts: 1,
	}
}

// wantAPIError asserts err is a smithy.APIError with code and message.
func wantAPIError(t *testing.T, err error, code, message string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T) is not a smithy.APIError", err, err)
	}
	if ae.ErrorCode() != code || ae.ErrorMessage() != message {
		t.Fatalf("got %q / %q, want %q / %q", ae.ErrorCode(), ae.ErrorMessage(), code, message)
	}
}

// ---- STS (awsQuery) ----

type getCallerIdentityInput struct{}
type getCallerIdentityOutput struct {
	Account string
	Arn     string
	UserId  string
}
type getSessionTokenInput struct {
	DurationSeconds *int32 `query:"DurationSeconds"`
}
type getSessionTokenOutput struct{}

func TestSDKQuerySTS(t *testing.T) {
	svc := &protocol.Service{
		SigningName: "sts", Protocols: []protocol.Kind{protocol.Query}, Version: "2011-06-15",
		XMLNamespace: "https://sts.amazonaws.com/doc/2011-06-15/", ValidationCode: "ValidationError",
	}
	svc.Register(
		protocol.Op("GetCallerIdentity", func(ctx context.Context, _ *getCallerIdentityInput) (*getCallerIdentityOutput, error) {
			return &getCallerIdentityOutput{Account: "123456789012", Arn: "arn:aws:iam::123456789012:user/alice", UserId: "AIDAEXAMPLE"}, nil
		}),
		protocol.Op("GetSessionToken", func(ctx context.Context, in *getSessionTokenInput) (*getSessionTokenOutput, error) {
			if in.DurationSeconds == nil || *in.DurationSeconds != 900 {
				t.Errorf("DurationSeconds = %v", in.DurationSeconds)
			}
			return nil, awserr.New(http.StatusForbidden, "AccessDenied", "Cannot call GetSessionToken with session credentials")
		}),
	)
	url := serve(t, svc)
	c := sts.NewFromConfig(sdkConfig(), func(o *sts.Options) { o.BaseEndpoint = aws.String(url) })
	out, err := c.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	if aws.ToString(out.Account) != "123456789012" || aws.ToString(out.UserId) != "AIDAEXAMPLE" ||
		aws.ToString(out.Arn) != "arn:aws:iam::123456789012:user/alice" {
		t.Fatalf("GetCallerIdentity output = %+v", out)
	}
	_, err = c.GetSessionToken(context.Background(), &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(900)})
	wantAPIError(t, err, "AccessDenied", "Cannot call GetSessionToken with session credentials")
}

// ---- IAM (awsQuery, lists and timestamps) ----

type listUsersInput struct {
	PathPrefix *string
	Marker     *string
	MaxItems   *int32
}
type iamUser struct {
	Path       string
	UserName   string
	UserId     string
	Arn        string
	CreateDate protocol.Time
}
type listUsersOutput struct {
	Users       []iamUser `xml:"Users>member"`
	IsTruncated bool
	Marker      string `xml:",omitempty"`
}
type deleteUserInput struct {
	UserName string `query:",required"`
}
type deleteUserOutput struct{}

var errNoSuchUser = errors.New("no such user")

func iamService(t *testing.T) *protocol.Service {
	svc := &protocol.Service{
		SigningName: "iam", Protocols: []protocol.Kind{protocol.Query}, Version: "2010-05-08",
		XMLNamespace: "https://iam.amazonaws.com/doc/2010-05-08/", ValidationCode: "ValidationError",
		MapError: func(err error) (*awserr.Error, bool) {
			if errors.Is(err, errNoSuchUser) {
				return awserr.New(http.StatusNotFound, "NoSuchEntity", "The user with name bob cannot be found."), true
			}
			return nil, false
		},
	}
	created := time.Date(2024, 5, 6, 7, 8, 9, 123e6, time.UTC)
	svc.Register(
		protocol.Op("ListUsers", func(ctx context.Context, in *listUsersInput) (*listUsersOutput, error) {
			if aws.ToString(in.PathPrefix) != "/eng/" || aws.ToInt32(in.MaxItems) != 2 {
				t.Errorf("ListUsers input = %+v", in)
			}
			return &listUsersOutput{
				Users: []iamUser{
					{Path: "/eng/", UserName: "alice", UserId: "AIDA1", Arn: "arn:aws:iam::123456789012:user/eng/alice", CreateDate: protocol.NewTime(created)},
					{Path: "/eng/", UserName: "b<o>b&", UserId: "AIDA2", Arn: "arn:aws:iam::123456789012:user/eng/bob", CreateDate: protocol.NewTime(created)},
				},
				IsTruncated: true, Marker: "next",
			}, nil
		}),
		protocol.Op("DeleteUser", func(ctx context.Context, in *deleteUserInput) (*deleteUserOutput, error) {
			if in.UserName == "bob" {
				return nil, errNoSuchUser
			}
			if in.UserName == "boom" {
				return nil, errors.New("disk on fire")
			}
			return &deleteUserOutput{}, nil
		}),
	)
	return svc
}

func TestSDKQueryIAM(t *testing.T) {
	url := serve(t, iamService(t))
	c := iam.NewFromConfig(sdkConfig(), func(o *iam.Options) { o.BaseEndpoint = aws.String(url) })
	ctx := context.Background()
	out, err := c.ListUsers(ctx, &iam.ListUsersInput{PathPrefix: aws.String("/eng/"), MaxItems: aws.Int32(2)})
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	if len(out.Users) != 2 || aws.ToString(out.Users[1].UserName) != "b<o>b&" || !out.IsTruncated || aws.ToString(out.Marker) != "next" {
		t.Fatalf("ListUsers output = %+v", out)
	}
	if got := out.Users[0].CreateDate; got == nil || !got.Equal(time.Date(2024, 5, 6, 7, 8, 9, 123e6, time.UTC)) {
		t.Fatalf("CreateDate = %v", got)
	}
	if _, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("bob")})
	wantAPIError(t, err, "NoSuchEntity", "The user with name bob cannot be found.")
	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("boom")})
	wantAPIError(t, err, "InternalError", awserr.Internal().Message)
}

// ---- EC2 (ec2query) ----

type ec2Filter struct {
	Name   string
	Values []string `query:"Value"`
}
type describeAZInput struct {
	ZoneNames []string    `query:"ZoneName"`
	Filters   []ec2Filter `query:"Filter"`
	AllAZs    *bool       `query:"AllAvailabilityZones"`
}
type availabilityZone struct {
	ZoneName   string `xml:"zoneName"`
	State      string `xml:"zoneState"`
	RegionName string `xml:"regionName"`
	ZoneID     string `xml:"zoneId"`
}
type describeAZOutput struct {
	AvailabilityZones []availabilityZone `xml:"availabilityZoneInfo>item"`
}
type describeRegionsInput struct{}
type describeRegionsOutput struct{}

func TestSDKEC2(t *testing.T) {
	svc := &protocol.Service{
		SigningName: "ec2", Protocols: []protocol.Kind{protocol.EC2Query}, Version: "2016-11-15",
		XMLNamespace: "http://ec2.amazonaws.com/doc/2016-11-15/", ValidationCode: "InvalidParameterValue",
	}
	svc.Register(
		protocol.Op("DescribeAvailabilityZones", func(ctx context.Context, in *describeAZInput) (*describeAZOutput, error) {
			if len(in.ZoneNames) != 2 || in.ZoneNames[1] != "us-east-1b" || len(in.Filters) != 1 ||
				in.Filters[0].Name != "state" || len(in.Filters[0].Values) != 2 || in.AllAZs == nil || !*in.AllAZs {
				t.Errorf("DescribeAvailabilityZones input = %+v", in)
			}
			return &describeAZOutput{AvailabilityZones: []availabilityZone{
				{ZoneName: "us-east-1a", State: "available", RegionName: "us-east-1", ZoneID: "use1-az1"},
				{ZoneName: "us-east-1b", State: "available", RegionName: "us-east-1", ZoneID: "use1-az2"},
			}}, nil
		}),
		protocol.Op("DescribeRegions", func(ctx context.Context, _ *describeRegionsInput) (*describeRegionsOutput, error) {
			return nil, awserr.New(http.StatusForbidden, "UnauthorizedOperation", "You are not authorized to perform this operation.")
		}),
	)
	url := serve(t, svc)
	c := ec2.NewFromConfig(sdkConfig(), func(o *ec2.Options) { o.BaseEndpoint = aws.String(url) })
	out, err := c.DescribeAvailabilityZones(context.Background(), &ec2.DescribeAvailabilityZonesInput{
		ZoneNames:            []string{"us-east-1a", "us-east-1b"},
		Filters:              []ec2types.Filter{{Name: aws.String("state"), Values: []string{"available", "impaired"}}},
		AllAvailabilityZones: aws.Bool(true),
	})
	if err != nil {
		t.Fatalf("DescribeAvailabilityZones: %v", err)
	}
	if len(out.AvailabilityZones) != 2 || aws.ToString(out.AvailabilityZones[1].ZoneId) != "use1-az2" ||
		out.AvailabilityZones[0].State != ec2types.AvailabilityZoneStateAvailable {
		t.Fatalf("output = %+v", out.AvailabilityZones)
	}
	_, err = c.DescribeRegions(context.Background(), &ec2.DescribeRegionsInput{})
	wantAPIError(t, err, "UnauthorizedOperation", "You are not authorized to perform this operation.")
}

// ---- CloudWatch (rpc-v2-cbor, awsJson1_0 and awsQuery) ----

type cwDimension struct {
	Name  string `json:"Name" query:"Name"`
	Value string `json:"Value,omitempty" query:"Value"`
}
type listMetricsInput struct {
	Namespace  *string       `json:"Namespace,omitempty"`
	MetricName *string       `json:"MetricName,omitempty"`
	Dimensions []cwDimension `json:"Dimensions,omitempty"`
	NextToken  *string       `json:"NextToken,omitempty"`
}
type cwMetric struct {
	Namespace  string        `json:"Namespace" xml:"Namespace"`
	MetricName string        `json:"MetricName" xml:"MetricName"`
	Dimensions []cwDimension `json:"Dimensions" xml:"Dimensions>member"`
}
type listMetricsOutput struct {
	Metrics   []cwMetric `json:"Metrics" xml:"Metrics>member"`
	NextToken *string    `json:"NextToken,omitempty" xml:",omitempty"`
}
type getMetricStatisticsInput struct {
	Namespace  string         `json:"Namespace" query:",required"`
	MetricName string         `json:"MetricName" query:",required"`
	StartTime  *protocol.Time `json:"StartTime" query:",required"`
	EndTime    *protocol.Time `json:"EndTime" query:",required"`
	Period     int32          `json:"Period" query:",required"`
	Statistics []string       `json:"Statistics,omitempty"`
}
type datapoint struct {
	Timestamp *protocol.Time `json:"Timestamp,omitempty" xml:",omitempty"`
	Average   *float64       `json:"Average,omitempty" xml:",omitempty"`
	Unit      string         `json:"Unit,omitempty" xml:",omitempty"`
}
type getMetricStatisticsOutput struct {
	Label      string      `json:"Label"`
	Datapoints []datapoint `json:"Datapoints" xml:"Datapoints>member"`
}
type describeAlarmsInput struct {
	AlarmNames []string `json:"AlarmNames,omitempty"`
}
type describeAlarmsOutput struct{}

func cloudwatchService(t *testing.T) *protocol.Service {
	svc := &protocol.Service{
		SigningName: "monitoring",
		Protocols:   []protocol.Kind{protocol.RPCv2CBOR, protocol.JSON10, protocol.Query},
		Version:     "2010-08-01", XMLNamespace: "http://monitoring.amazonaws.com/doc/2010-08-01/",
		JSONTargetPrefix: "GraniteServiceVersion20100801", CBORServiceName: "GraniteServiceVersion20100801",
		ValidationCode: "InvalidParameterValue", QueryCompatible: true,
		ErrorShapes: map[string]string{"InvalidParameterValue": "InvalidParameterValueException"},
	}
	svc.Register(
		protocol.Op("ListMetrics", func(ctx context.Context, in *listMetricsInput) (*listMetricsOutput, error) {
			if aws.ToString(in.Namespace) != "AWS/EC2" || len(in.Dimensions) != 1 || in.Dimensions[0].Name != "InstanceId" {
				t.Errorf("ListMetrics input = %+v", in)
			}
			return &listMetricsOutput{Metrics: []cwMetric{{
				Namespace: "AWS/EC2", MetricName: "CPUUtilization",
				Dimensions: []cwDimension{{Name: "InstanceId", Value: "i-0123456789abcdef0"}},
			}}, NextToken: aws.String("tok")}, nil
		}),
		protocol.Op("GetMetricStatistics", func(ctx context.Context, in *getMetricStatisticsInput) (*getMetricStatisticsOutput, error) {
			if in.StartTime == nil || !in.StartTime.Equal(time.Unix(1700000000, 500e6)) || in.Period != 60 {
				t.Errorf("GetMetricStatistics input = %+v start=%v", in, in.StartTime)
			}
			ts := protocol.NewTime(time.Unix(1700000060, 250e6))
			return &getMetricStatisticsOutput{Label: "CPUUtilization", Datapoints: []datapoint{
				{Timestamp: &ts, Average: aws.Float64(12.5), Unit: "Percent"},
			}}, nil
		}),
		protocol.Op("DescribeAlarms", func(ctx context.Context, in *describeAlarmsInput) (*describeAlarmsOutput, error) {
			return nil, awserr.New(http.StatusBadRequest, "InvalidParameterValue", "The alarm name is not valid.")
		}),
	)
	return svc
}

func TestSDKCloudWatch(t *testing.T) {
	url := serve(t, cloudwatchService(t))
	protocols := map[string]func(*cloudwatch.Options){
		"rpc-v2-cbor (SDK default)": func(o *cloudwatch.Options) {},
		"awsJson1_0": func(o *cloudwatch.Options) {
			o.Protocol = awsjson.New10(cwschemas.GraniteServiceVersion20100801)
		},
		"awsQuery": func(o *cloudwatch.Options) {
			o.Protocol = awsquery.New(cwschemas.GraniteServiceVersion20100801)
		},
	}
	for name, setProto := range protocols {
		t.Run(name, func(t *testing.T) {
			c := cloudwatch.NewFromConfig(sdkConfig(), func(o *cloudwatch.Options) {
				o.BaseEndpoint = aws.String(url)
				setProto(o)
			})
			ctx := context.Background()
			out, err := c.ListMetrics(ctx, &cloudwatch.ListMetricsInput{
				Namespace:  aws.String("AWS/EC2"),
				Dimensions: []cwtypes.DimensionFilter{{Name: aws.String("InstanceId")}},
			})
			if err != nil {
				t.Fatalf("ListMetrics: %v", err)
			}
			if len(out.Metrics) != 1 || aws.ToString(out.Metrics[0].MetricName) != "CPUUtilization" ||
				aws.ToString(out.Metrics[0].Dimensions[0].Value) != "i-0123456789abcdef0" || aws.ToString(out.NextToken) != "tok" {
				t.Fatalf("ListMetrics output = %+v", out)
			}
			st, err := c.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{
				Namespace: aws.String("AWS/EC2"), MetricName: aws.String("CPUUtilization"),
				StartTime: aws.Time(time.Unix(1700000000, 500e6)), EndTime: aws.Time(time.Unix(1700003600, 0)),
				Period: aws.Int32(60), Statistics: []cwtypes.Statistic{cwtypes.StatisticAverage},
			})
			if err != nil {
				t.Fatalf("GetMetricStatistics: %v", err)
			}
			if len(st.Datapoints) != 1 || aws.ToFloat64(st.Datapoints[0].Average) != 12.5 ||
				!st.Datapoints[0].Timestamp.Equal(time.Unix(1700000060, 250e6)) || st.Datapoints[0].Unit != cwtypes.StandardUnitPercent {
				t.Fatalf("GetMetricStatistics output = %+v", st.Datapoints)
			}
			_, err = c.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"x"}})
			// Over JSON and CBOR the SDK takes the code from X-Amzn-Query-Error.
			// Over awsQuery it resolves the modeled error by its awsQueryError
			// code but (smithy-go v1.28.9) sets no ErrorCodeOverride, so
			// ErrorCode() is the shape name there: a client quirk real AWS
			// shows too.
			wantCode := "InvalidParameterValue"
			if name == "awsQuery" {
				wantCode = "InvalidParameterValueException"
			}
			wantAPIError(t, err, wantCode, "The alarm name is not valid.")
			var typed *cwtypes.InvalidParameterValueException
			if !errors.As(err, &typed) {
				t.Fatalf("error %T is not the modeled InvalidParameterValueException", err)
			}
		})
	}
}

// TestSDKCloudWatchUnknownOperation checks what the Go SDK makes of an
// operation the server does not implement, per protocol.
func TestSDKCloudWatchUnknownOperation(t *testing.T) {
	url := serve(t, cloudwatchService(t))
	for name, setProto := range map[string]func(*cloudwatch.Options){
		"cbor": func(o *cloudwatch.Options) {},
		"json": func(o *cloudwatch.Options) { o.Protocol = awsjson.New10(cwschemas.GraniteServiceVersion20100801) },
	} {
		t.Run(name, func(t *testing.T) {
			c := cloudwatch.NewFromConfig(sdkConfig(), func(o *cloudwatch.Options) {
				o.BaseEndpoint = aws.String(url)
				setProto(o)
			})
			_, err := c.ListDashboards(context.Background(), &cloudwatch.ListDashboardsInput{})
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != "UnknownOperationException" {
				t.Fatalf("err = %v", err)
			}
			if !strings.Contains(ae.ErrorMessage(), "ListDashboards") {
				t.Fatalf("message = %q", ae.ErrorMessage())
			}
		})
	}
}
