package e2e

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/nimbuscloud/nimbus/test/e2e/harness"
)

func s3Get(t *testing.T, c *s3.Client, bucket, key string) (string, error) {
	t.Helper()
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return "", err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	return string(b), err
}

func s3Put(c *s3.Client, bucket, key, body string) error {
	_, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)})
	return err
}

// TestS3BucketPolicyDenyIsEnforced is the LocalStack and moto complaint: a
// Deny in the bucket policy overrides the user's s3:* identity policy, and
// removing the policy restores access.
func TestS3BucketPolicyDenyIsEnforced(t *testing.T) {
	r := harness.Start(t)
	ctx := context.Background()
	root := s3Client(r.AWSConfig())
	if _, err := root.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("guarded")}); err != nil {
		t.Fatal(err)
	}
	admin := iam.NewFromConfig(r.AWSConfig())
	userCfg := newUser(t, r, admin, "dave", "")
	if _, err := admin.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("dave"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonS3FullAccess")}); err != nil {
		t.Fatal(err)
	}
	dave := s3Client(userCfg)
	if err := s3Put(dave, "guarded", "doc", "v1"); err != nil {
		t.Fatal(err)
	}
	if got, err := s3Get(t, dave, "guarded", "doc"); err != nil || got != "v1" {
		t.Fatalf("get before policy: %q %v", got, err)
	}

	policy := `{"Version":"2012-10-17","Statement":[{"Sid":"NoReads","Effect":"Deny",` +
		`"Principal":{"AWS":"arn:aws:iam::` + r.AccountID + `:user/dave"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::guarded/*"}]}`
	if _, err := root.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("guarded"), Policy: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	got, err := root.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("guarded")})
	if err != nil || aws.ToString(got.Policy) != policy {
		t.Fatalf("GetBucketPolicy: %v %v", got, err)
	}
	_, err = s3Get(t, dave, "guarded", "doc")
	mustS3(t, err, "AccessDenied", 403)
	if err := s3Put(dave, "guarded", "doc", "v2"); err != nil {
		t.Fatalf("PutObject is not denied: %v", err)
	}
	if got, err := s3Get(t, root, "guarded", "doc"); err != nil || got != "v2" {
		t.Fatalf("root get (not named by the Deny): %q %v", got, err)
	}

	// A Deny to everyone binds the account root too, except for managing
	// the policy itself.
	all := strings.Replace(policy, `{"AWS":"arn:aws:iam::`+r.AccountID+`:user/dave"}`, `"*"`, 1)
	if _, err := root.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("guarded"), Policy: aws.String(all)}); err != nil {
		t.Fatal(err)
	}
	_, err = s3Get(t, root, "guarded", "doc")
	mustS3(t, err, "AccessDenied", 403)

	if _, err := root.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String("guarded")}); err != nil {
		t.Fatal(err)
	}
	if got, err := s3Get(t, dave, "guarded", "doc"); err != nil || got != "v2" {
		t.Fatalf("get after DeleteBucketPolicy: %q %v", got, err)
	}
	_, err = root.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("guarded")})
	mustS3(t, err, "NoSuchBucketPolicy", 404)
}

// TestS3BucketPolicyPublicRead: a public-read policy lets unsigned GETs of
// objects through and nothing else.
func TestS3BucketPolicyPublicRead(t *testing.T) {
	r := harness.Start(t)
	ctx := context.Background()
	root := s3Client(r.AWSConfig())
	if _, err := root.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("site")}); err != nil {
		t.Fatal(err)
	}
	if err := s3Put(root, "site", "index.html", "<h1>hi</h1>"); err != nil {
		t.Fatal(err)
	}
	if resp := httpGet(t, r.Endpoint+"/site/index.html"); resp.Status != 403 {
		t.Fatalf("unsigned GET without a policy: %d %s", resp.Status, resp.Body)
	}
	_, err := root.GetBucketPolicyStatus(ctx, &s3.GetBucketPolicyStatusInput{Bucket: aws.String("site")})
	mustS3(t, err, "NoSuchBucketPolicy", 404)

	public := `{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*"}]}`
	// A new bucket blocks public policies, as S3 does since 2023.
	if _, err := root.DeletePublicAccessBlock(ctx, &s3.DeletePublicAccessBlockInput{Bucket: aws.String("site")}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("site"), Policy: aws.String(public)}); err != nil {
		t.Fatal(err)
	}
	st, err := root.GetBucketPolicyStatus(ctx, &s3.GetBucketPolicyStatusInput{Bucket: aws.String("site")})
	if err != nil || st.PolicyStatus == nil || !aws.ToBool(st.PolicyStatus.IsPublic) {
		t.Fatalf("policy status: %+v %v", st, err)
	}
	if resp := httpGet(t, r.Endpoint+"/site/index.html"); resp.Status != 200 || resp.Body != "<h1>hi</h1>" {
		t.Fatalf("unsigned GET with public-read: %d %s", resp.Status, resp.Body)
	}
	if resp := httpGet(t, r.Endpoint+"/site/missing"); resp.Status != 403 { // no s3:ListBucket: 403, as S3
		t.Fatalf("unsigned GET of a missing key: %d %s", resp.Status, resp.Body)
	}
	// Listing is not granted, nor writing.
	if resp := httpGet(t, r.Endpoint+"/site"); resp.Status != 403 {
		t.Fatalf("unsigned list: %d %s", resp.Status, resp.Body)
	}
	req, err := http.NewRequest(http.MethodPut, r.Endpoint+"/site/defaced.html", strings.NewReader("pwned"))
	if err != nil {
		t.Fatal(err)
	}
	if resp := harness.Do(t, req); resp.Status != 403 || !strings.Contains(resp.Body, "<Code>AccessDenied</Code>") {
		t.Fatalf("unsigned PUT: %d %s", resp.Status, resp.Body)
	}
	_, err = root.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("site"), Key: aws.String("defaced.html")})
	mustS3(t, err, "", 404)
}

// TestS3BucketPolicyMalformed: an invalid policy is refused with the
// parser's reason and nothing is stored.
func TestS3BucketPolicyMalformed(t *testing.T) {
	r := harness.Start(t)
	ctx := context.Background()
	root := s3Client(r.AWSConfig())
	if _, err := root.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("strict")}); err != nil {
		t.Fatal(err)
	}
	for _, doc := range []string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::strict/*"}]}`, // no Principal
		`{"Version":"2012-10-17","Statement":[`,
	} {
		_, err := root.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("strict"), Policy: aws.String(doc)})
		mustS3(t, err, "MalformedPolicy", 400)
	}
	_, err := root.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("strict")})
	mustS3(t, err, "NoSuchBucketPolicy", 404)
}

// TestS3BucketPolicyOtherAccount: another account cannot set, read or
// delete your bucket's policy.
func TestS3BucketPolicyOtherAccount(t *testing.T) {
	r := harness.Start(t)
	ctx := context.Background()
	root := s3Client(r.AWSConfig())
	if _, err := root.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("mine")}); err != nil {
		t.Fatal(err)
	}
	out, err := r.Nimbus(t, "admin", "accounts", "create", "--name", "other", "--data-dir", r.DataDir)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	exp := parseExports(out)
	other := s3Client(r.ConfigFor(exp["AWS_ACCESS_KEY_ID"], exp["AWS_SECRET_ACCESS_KEY"]))
	open := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::mine","arn:aws:s3:::mine/*"]}]}`
	_, err = other.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("mine"), Policy: aws.String(open)})
	mustS3(t, err, "AccessDenied", 403)
	_, err = other.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String("mine")})
	mustS3(t, err, "AccessDenied", 403)
	_, err = root.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("mine")})
	mustS3(t, err, "NoSuchBucketPolicy", 404)

	// Granted access by the owner's policy, the other account may use the
	// bucket, but still not manage its policy (MethodNotAllowed, as S3).
	// The policy is public, which a new bucket's Block Public Access refuses.
	if _, err := root.DeletePublicAccessBlock(ctx, &s3.DeletePublicAccessBlockInput{Bucket: aws.String("mine")}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("mine"), Policy: aws.String(open)}); err != nil {
		t.Fatal(err)
	}
	if err := s3Put(other, "mine", "shared", "from other"); err != nil {
		t.Fatalf("cross-account put allowed by the bucket policy: %v", err)
	}
	_, err = other.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("mine"), Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::mine/*"}]}`)})
	mustS3(t, err, "MethodNotAllowed", 405)
	got, err := root.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("mine")})
	if err != nil || aws.ToString(got.Policy) != open {
		t.Fatalf("policy after the other account's attempt: %v %v", got, err)
	}
}
