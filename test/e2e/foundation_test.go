package e2e

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/nimbuscloud/nimbus/test/e2e/harness"
)

func apiCode(t *testing.T, err error) (string, int) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want an API error, got %v", err)
	}
	status := 0
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return ae.ErrorCode(), status
}

func TestGetCallerIdentityRootKeys(t *testing.T) {
	r := harness.Start(t)
	out, err := sts.NewFromConfig(r.AWSConfig()).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Account) != r.AccountID || aws.ToString(out.Arn) != "arn:aws:iam::"+r.AccountID+":root" || aws.ToString(out.UserId) != r.AccountID {
		t.Fatalf("identity = %s %s %s", aws.ToString(out.Account), aws.ToString(out.Arn), aws.ToString(out.UserId))
	}

	stdout, stderr, code := r.CLI(t, "sts", "get-caller-identity", "--output", "text", "--query", "Arn")
	if code != 0 || strings.TrimSpace(stdout) != "arn:aws:iam::"+r.AccountID+":root" {
		t.Fatalf("aws sts get-caller-identity: code %d stdout %q stderr %q", code, stdout, stderr)
	}
}

func TestWrongSecretAndUnknownKey(t *testing.T) {
	r := harness.Start(t)
	ctx := context.Background()
	_, err := sts.NewFromConfig(r.ConfigFor(r.AccessKey, strings.Repeat("x", 40))).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if code, status := apiCode(t, err); code != "SignatureDoesNotMatch" || status != 403 {
		t.Fatalf("wrong secret: %s %d", code, status)
	}
	_, other, _ := harness.RandomCredentials()
	_, err = sts.NewFromConfig(r.ConfigFor(other, r.SecretKey)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if code, status := apiCode(t, err); code != "InvalidClientTokenId" || status != 403 {
		t.Fatalf("unknown key: %s %d", code, status)
	}
	// EC2 reports both as AuthFailure, as AWS does.
	_, err = ec2.NewFromConfig(r.ConfigFor(r.AccessKey, strings.Repeat("x", 40))).DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
	if code, status := apiCode(t, err); code != "AuthFailure" || status != 401 {
		t.Fatalf("ec2 wrong secret: %s %d", code, status)
	}
}

func TestTamperedBody(t *testing.T) {
	r := harness.Start(t)
	req := r.Sign(t, harness.Request{Service: "sts", Body: "Action=GetCallerIdentity&Version=2011-06-15"})
	// Swap the body after signing: same length, different bytes.
	tampered := "Action=GetCallerIdentity&Version=2011-06-16"
	req.Body = readCloser(tampered)
	req.ContentLength = int64(len(tampered))
	resp := harness.Do(t, req)
	if resp.Status != 403 || !strings.Contains(resp.Body, "<Code>SignatureDoesNotMatch</Code>") {
		t.Fatalf("tampered body: %d %s", resp.Status, resp.Body)
	}
	// The untampered request works.
	ok := harness.Do(t, r.Sign(t, harness.Request{Service: "sts", Body: "Action=GetCallerIdentity&Version=2011-06-15"}))
	if ok.Status != 200 || !strings.Contains(ok.Body, "<Account>"+r.AccountID+"</Account>") {
		t.Fatalf("signed request: %d %s", ok.Status, ok.Body)
	}
}

func TestPresignedExpiry(t *testing.T) {
	r := harness.Start(t)
	path := "/?Action=GetCallerIdentity&Version=2011-06-15"
	fresh := r.Presign(t, harness.Request{Service: "sts", Path: path}, 5*time.Minute)
	resp := httpGet(t, fresh)
	if resp.Status != 200 || !strings.Contains(resp.Body, r.AccountID) {
		t.Fatalf("fresh presigned URL: %d %s", resp.Status, resp.Body)
	}
	expired := r.Presign(t, harness.Request{Service: "sts", Path: path, Time: time.Now().Add(-10 * time.Minute)}, time.Minute)
	resp = httpGet(t, expired)
	if resp.Status != 403 || !strings.Contains(resp.Body, "<Code>ExpiredToken</Code>") {
		t.Fatalf("expired presigned URL: %d %s", resp.Status, resp.Body)
	}
	tooLong := r.Presign(t, harness.Request{Service: "sts", Path: path}, 8*24*time.Hour)
	if resp = httpGet(t, tooLong); resp.Status < 400 || resp.Status >= 500 {
		t.Fatalf("X-Amz-Expires over 7 days: %d %s", resp.Status, resp.Body)
	}
}

func TestClockSkew(t *testing.T) {
	r := harness.Start(t)
	for _, skew := range []time.Duration{-20 * time.Minute, 20 * time.Minute} {
		resp := harness.Do(t, r.Sign(t, harness.Request{Service: "sts", Body: "Action=GetCallerIdentity&Version=2011-06-15", Time: time.Now().Add(skew)}))
		if resp.Status != 403 || !strings.Contains(resp.Body, "<Code>RequestTimeTooSkewed</Code>") {
			t.Fatalf("skew %s: %d %s", skew, resp.Status, resp.Body)
		}
	}
	// 10 minutes is within AWS's 15-minute window.
	resp := harness.Do(t, r.Sign(t, harness.Request{Service: "sts", Body: "Action=GetCallerIdentity&Version=2011-06-15", Time: time.Now().Add(-10 * time.Minute)}))
	if resp.Status != 200 {
		t.Fatalf("10 minutes of skew: %d %s", resp.Status, resp.Body)
	}
}

func TestUnknownActionInEachProtocol(t *testing.T) {
	r := harness.Start(t)
	ctx := context.Background()
	cfg := r.AWSConfig()

	// query (console passwords are not in this build)
	_, err := iam.NewFromConfig(cfg).CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("x"), Password: aws.String("p")})
	if code, status := apiCode(t, err); code != "InvalidAction" || status != 400 {
		t.Errorf("iam query: %s %d", code, status)
	}
	resp := harness.Do(t, r.Sign(t, harness.Request{Service: "sts", Body: "Action=NoSuchAction&Version=2011-06-15"}))
	if resp.Status != 400 || !strings.Contains(resp.Body, "<ErrorResponse") || !strings.Contains(resp.Body, "<Code>InvalidAction</Code>") {
		t.Errorf("sts query: %d %s", resp.Status, resp.Body)
	}
	// ec2query
	_, err = ec2.NewFromConfig(cfg).DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
	if code, status := apiCode(t, err); code != "InvalidAction" || status != 400 {
		t.Errorf("ec2query: %s %d", code, status)
	}
	resp = harness.Do(t, r.Sign(t, harness.Request{Service: "ec2", Body: "Action=NoSuchAction&Version=2016-11-15"}))
	if resp.Status != 400 || !strings.Contains(resp.Body, "<Response><Errors><Error><Code>InvalidAction</Code>") {
		t.Errorf("ec2 envelope: %d %s", resp.Status, resp.Body)
	}
	// rpc-v2-cbor (the Go SDK's CloudWatch protocol)
	_, err = cloudwatch.NewFromConfig(cfg).ListMetrics(ctx, &cloudwatch.ListMetricsInput{})
	if code, status := apiCode(t, err); code != "UnknownOperationException" || status/100 != 4 {
		t.Errorf("cloudwatch cbor: %s %d", code, status)
	}
	// awsJson1.0
	resp = harness.Do(t, r.Sign(t, harness.Request{Service: "monitoring", Body: "{}", Header: map[string]string{
		"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "GraniteServiceVersion20100801.NoSuchAction"}}))
	if resp.Status != 400 || !strings.Contains(resp.Body, `"__type"`) || !strings.Contains(resp.Body, "UnknownOperationException") {
		t.Errorf("json: %d %s", resp.Status, resp.Body)
	}
	// rest-xml: S3 answers in its own envelope
	resp = harness.Do(t, r.Sign(t, harness.Request{Service: "s3", Method: "GET", Path: "/some-bucket?nosuchsubresource"}))
	if resp.Status < 400 || !strings.Contains(resp.Body, "<Error><Code>") || resp.Header.Get("x-amz-request-id") == "" {
		t.Errorf("s3: %d %s", resp.Status, resp.Body)
	}
}

func TestRestartKeepsAccount(t *testing.T) {
	r := harness.Start(t)
	ctx := context.Background()
	if _, err := sts.NewFromConfig(r.AWSConfig()).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	out, err := r.Nimbus(t, "admin", "accounts", "create", "--name", "second", "--data-dir", r.DataDir)
	if err != nil {
		t.Fatalf("admin accounts create: %v\n%s", err, out)
	}
	second := parseExports(out)
	r.Restart(t)
	for _, creds := range [][2]string{{r.AccessKey, r.SecretKey}, {second["AWS_ACCESS_KEY_ID"], second["AWS_SECRET_ACCESS_KEY"]}} {
		id, err := sts.NewFromConfig(r.ConfigFor(creds[0], creds[1])).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatalf("after restart, key %s: %v", creds[0], err)
		}
		if creds[0] == r.AccessKey && aws.ToString(id.Account) != r.AccountID {
			t.Fatalf("account changed across restart: %s", aws.ToString(id.Account))
		}
	}
	if strings.Count(r.Stdout(), "export AWS_SECRET_ACCESS_KEY=") != 1 {
		t.Fatalf("credentials must be printed exactly once (first start only); stdout:\n%s", r.Stdout())
	}
}

func TestFirstStartPrintsCredentials(t *testing.T) {
	dir := t.TempDir()
	// No bootstrap flags: the server makes up the account and key.
	addr := harness.FreePort(t)
	cmd, stdout := startRaw(t, "--data-dir", dir, "--listen", addr)
	exports := waitExports(t, stdout)
	if !strings.HasPrefix(exports["AWS_ACCESS_KEY_ID"], "AKIA") || len(exports["AWS_SECRET_ACCESS_KEY"]) != 40 ||
		exports["AWS_ENDPOINT_URL"] != "http://"+addr || exports["AWS_REGION"] != "us-east-1" {
		t.Fatalf("exports: %v", exports)
	}
	stopRaw(t, cmd)
	key, err := os.Stat(filepath.Join(dir, "master.key"))
	if err != nil || key.Mode().Perm() != 0o600 {
		t.Fatalf("master.key: %v %v", key, err)
	}
	db, err := os.ReadFile(filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(db), exports["AWS_SECRET_ACCESS_KEY"]) {
		t.Fatal("the secret access key is stored in the clear")
	}
	// admin credentials prints the same key again.
	out, err := runNimbus(t, "admin", "credentials", "--data-dir", dir, "--listen", addr)
	if err != nil || parseExports(out)["AWS_SECRET_ACCESS_KEY"] != exports["AWS_SECRET_ACCESS_KEY"] {
		t.Fatalf("admin credentials: %v\n%s", err, out)
	}
}

func httpGet(t *testing.T, url string) harness.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return harness.Do(t, req)
}

// TestMissingKeyFileIsRefused: a new key over old secrets would make every
// stored secret undecryptable, so the server must refuse to start.
func TestMissingKeyFileIsRefused(t *testing.T) {
	r := harness.Start(t)
	r.Stop(t)
	if err := os.Rename(filepath.Join(r.DataDir, "master.key"), filepath.Join(r.DataDir, "master.key.bak")); err != nil {
		t.Fatal(err)
	}
	out, err := runNimbus(t, "server", "--data-dir", r.DataDir, "--listen", harness.FreePort(t))
	if err == nil || !strings.Contains(out, "setting key-file") {
		t.Fatalf("want a key-file startup error, got %v:\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(r.DataDir, "master.key")); err == nil {
		t.Fatal("a new key file was created over existing secrets")
	}
}

// TestUnsignedRequestsAreRefusedInTheirEnvelope: the aws CLI with
// --no-sign-request reaches the right service and gets its error.
func TestUnsignedRequestsAreRefusedInTheirEnvelope(t *testing.T) {
	r := harness.Start(t)
	_, stderr, code := r.CLI(t, "sts", "get-caller-identity", "--no-sign-request")
	if code == 0 || !strings.Contains(stderr, "MissingAuthenticationToken") {
		t.Fatalf("unsigned sts: code %d stderr %s", code, stderr)
	}
}
