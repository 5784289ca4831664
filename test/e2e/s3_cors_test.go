package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/nimbuscloud/nimbus/test/e2e/harness"
)

// TestS3Cors configures a bucket's CORS rules with the SDK and checks that
// the real server applies them: unsigned preflights answered from the
// rules, CORS headers on a signed GET, nothing once they are deleted.
func TestS3Cors(t *testing.T) {
	r := harness.Start(t)
	ctx := context.Background()
	c := s3Client(r.AWSConfig())
	b := aws.String("e2e-cors")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("page.html"), Body: strings.NewReader("<p>hi</p>")}); err != nil {
		t.Fatal(err)
	}
	_, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: b})
	mustS3(t, err, "NoSuchCORSConfiguration", 404)
	_, err = c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: b, CORSConfiguration: &types.CORSConfiguration{CORSRules: []types.CORSRule{
		{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"PATCH"}},
	}}})
	mustS3(t, err, "InvalidRequest", 400)

	cfg := &types.CORSConfiguration{CORSRules: []types.CORSRule{{
		ID:             aws.String("web"),
		AllowedOrigins: []string{"https://*.example.com"},
		AllowedMethods: []string{"GET", "PUT"},
		AllowedHeaders: []string{"*"},
		ExposeHeaders:  []string{"ETag", "x-amz-request-id"},
		MaxAgeSeconds:  aws.Int32(3000),
	}}}
	if _, err := c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: b, CORSConfiguration: cfg}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: b})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.CORSRules) != 1 || aws.ToString(got.CORSRules[0].ID) != "web" || got.CORSRules[0].AllowedOrigins[0] != "https://*.example.com" ||
		strings.Join(got.CORSRules[0].AllowedMethods, ",") != "GET,PUT" || strings.Join(got.CORSRules[0].ExposeHeaders, ",") != "ETag,x-amz-request-id" ||
		aws.ToInt32(got.CORSRules[0].MaxAgeSeconds) != 3000 || got.CORSRules[0].AllowedHeaders[0] != "*" {
		t.Fatalf("GetBucketCors = %+v", got.CORSRules)
	}

	preflight := func(origin, method string) harness.Response {
		t.Helper()
		req, err := http.NewRequest(http.MethodOptions, r.Endpoint+"/e2e-cors/page.html", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", method)
		req.Header.Set("Access-Control-Request-Headers", "content-type,x-amz-date")
		return harness.Do(t, req)
	}
	resp := preflight("https://app.example.com", "PUT")
	if resp.Status != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		resp.Header.Get("Access-Control-Allow-Methods") != "GET, PUT" ||
		resp.Header.Get("Access-Control-Allow-Headers") != "content-type, x-amz-date" ||
		resp.Header.Get("Access-Control-Max-Age") != "3000" {
		t.Fatalf("allowed preflight: %d %v %s", resp.Status, resp.Header, resp.Body)
	}
	resp = preflight("https://evil.com", "PUT")
	if resp.Status != 403 || !strings.Contains(resp.Body, "CORSResponse: This CORS request is not allowed") {
		t.Fatalf("refused preflight: %d %s", resp.Status, resp.Body)
	}

	// A signed GET from an allowed origin carries the CORS headers.
	req := r.Sign(t, harness.Request{Service: "s3", Method: "GET", Path: "/e2e-cors/page.html",
		Header: map[string]string{"Origin": "https://app.example.com"}})
	resp = harness.Do(t, req)
	if resp.Status != 200 || resp.Body != "<p>hi</p>" || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		resp.Header.Get("Access-Control-Expose-Headers") != "ETag, x-amz-request-id" || resp.Header.Get("Access-Control-Allow-Credentials") != "true" ||
		!strings.Contains(resp.Header.Get("Vary"), "Origin") {
		t.Fatalf("signed GET: %d %v %s", resp.Status, resp.Header, resp.Body)
	}

	if _, err := c.DeleteBucketCors(ctx, &s3.DeleteBucketCorsInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	resp = preflight("https://app.example.com", "PUT")
	if resp.Status != 403 || !strings.Contains(resp.Body, "CORSResponse") {
		t.Fatalf("preflight after delete: %d %s", resp.Status, resp.Body)
	}
	_, err = c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: b})
	mustS3(t, err, "NoSuchCORSConfiguration", 404)
}
