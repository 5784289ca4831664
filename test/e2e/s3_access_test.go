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

// TestS3AccessDefaults: a new bucket has all of Block Public Access on,
// BucketOwnerEnforced, and an ACL of its owner's full control, as S3 since
// April 2023.
func TestS3AccessDefaults(t *testing.T) {
	r := harness.Start(t)
	ctx := context.Background()
	c := s3Client(r.AWSConfig())
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("fresh")}); err != nil {
		t.Fatal(err)
	}
	pab, err := c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String("fresh")})
	if err != nil {
		t.Fatal(err)
	}
	if p := pab.PublicAccessBlockConfiguration; p == nil || !aws.ToBool(p.BlockPublicAcls) || !aws.ToBool(p.IgnorePublicAcls) ||
		!aws.ToBool(p.BlockPublicPolicy) || !aws.ToBool(p.RestrictPublicBuckets) {
		t.Fatalf("new bucket's block public access: %+v", pab.PublicAccessBlockConfiguration)
	}
	oc, err := c.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: aws.String("fresh")})
	if err != nil || len(oc.OwnershipControls.Rules) != 1 || oc.OwnershipControls.Rules[0].ObjectOwnership != types.ObjectOwnershipBucketOwnerEnforced {
		t.Fatalf("new bucket's ownership: %+v %v", oc, err)
	}
	acl, err := c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("fresh")})
	if err != nil || len(acl.Grants) != 1 || acl.Grants[0].Permission != types.PermissionFullControl ||
		aws.ToString(acl.Grants[0].Grantee.ID) != aws.ToString(acl.Owner.ID) || acl.Grants[0].Grantee.Type != types.TypeCanonicalUser {
		t.Fatalf("new bucket's ACL: %+v %v", acl, err)
	}
	_, err = c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String("missing")})
	mustS3(t, err, "NoSuchBucket", 404)
	_, err = c.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: aws.String("missing"),
		PublicAccessBlockConfiguration: &types.PublicAccessBlockConfiguration{BlockPublicAcls: aws.Bool(true)}})
	mustS3(t, err, "NoSuchBucket", 404)

	// Malformed documents.
	for _, doc := range []string{
		`<PublicAccessBlockConfiguration><BlockPublicAcls>maybe</BlockPublicAcls></PublicAccessBlockConfiguration>`,
		`<PublicAccessBlockConfiguration>`,
	} {
		resp := harness.Do(t, r.Sign(t, harness.Request{Method: http.MethodPut, Path: "/fresh?publicAccessBlock", Body: doc, Service: "s3"}))
		if resp.Status != 400 || !strings.Contains(resp.Body, "<Code>MalformedXML</Code>") {
			t.Fatalf("malformed %s: %d %s", doc, resp.Status, resp.Body)
		}
	}
}

// TestS3AccessPublicPolicy: a public policy is refused until Block Public
// Access is lifted, and RestrictPublicBuckets takes anonymous access away
// again while the owner keeps it.
func TestS3AccessPublicPolicy(t *testing.T) {
	r := harness.Start(t)
	ctx := context.Background()
	root := s3Client(r.AWSConfig())
	if _, err := root.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("www")}); err != nil {
		t.Fatal(err)
	}
	if err := s3Put(root, "www", "index.html", "hello"); err != nil {
		t.Fatal(err)
	}
	public := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::www/*"}]}`
	_, err := root.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("www"), Policy: aws.String(public)})
	mustS3(t, err, "AccessDenied", 403)
	if !strings.Contains(err.Error(), `is not authorized to perform: s3:PutBucketPolicy on resource: "arn:aws:s3:::www" because public policies are blocked by the BlockPublicPolicy block public access setting.`) {
		t.Fatalf("message: %v", err)
	}
	_, err = root.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("www")})
	mustS3(t, err, "NoSuchBucketPolicy", 404)

	if _, err := root.DeletePublicAccessBlock(ctx, &s3.DeletePublicAccessBlockInput{Bucket: aws.String("www")}); err != nil {
		t.Fatal(err)
	}
	_, err = root.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String("www")})
	mustS3(t, err, "NoSuchPublicAccessBlockConfiguration", 404)
	if _, err := root.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("www"), Policy: aws.String(public)}); err != nil {
		t.Fatal(err)
	}
	if resp := httpGet(t, r.Endpoint+"/www/index.html"); resp.Status != 200 || resp.Body != "hello" {
		t.Fatalf("anonymous GET with the public policy: %d %s", resp.Status, resp.Body)
	}

	if _, err := root.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: aws.String("www"),
		PublicAccessBlockConfiguration: &types.PublicAccessBlockConfiguration{RestrictPublicBuckets: aws.Bool(true)}}); err != nil {
		t.Fatal(err)
	}
	got, err := root.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String("www")})
	if p := got.PublicAccessBlockConfiguration; err != nil || !aws.ToBool(p.RestrictPublicBuckets) || aws.ToBool(p.BlockPublicPolicy) || aws.ToBool(p.BlockPublicAcls) {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	if resp := httpGet(t, r.Endpoint+"/www/index.html"); resp.Status != 403 || !strings.Contains(resp.Body, "<Code>AccessDenied</Code>") {
		t.Fatalf("anonymous GET under RestrictPublicBuckets: %d %s", resp.Status, resp.Body)
	}
	if body, err := s3Get(t, root, "www", "index.html"); err != nil || body != "hello" {
		t.Fatalf("owner GET under RestrictPublicBuckets: %q %v", body, err)
	}
	st, err := root.GetBucketPolicyStatus(ctx, &s3.GetBucketPolicyStatusInput{Bucket: aws.String("www")})
	if err != nil || !aws.ToBool(st.PolicyStatus.IsPublic) {
		t.Fatalf("policy status: %+v %v", st, err)
	}

	if _, err := root.DeletePublicAccessBlock(ctx, &s3.DeletePublicAccessBlockInput{Bucket: aws.String("www")}); err != nil {
		t.Fatal(err)
	}
	if resp := httpGet(t, r.Endpoint+"/www/index.html"); resp.Status != 200 {
		t.Fatalf("anonymous GET once lifted: %d %s", resp.Status, resp.Body)
	}
}

// TestS3AccessOwnershipControls: Put/Get/DeleteBucketOwnershipControls and
// what each setting does to ACL requests.
func TestS3AccessOwnershipControls(t *testing.T) {
	r := harness.Start(t)
	ctx := context.Background()
	c := s3Client(r.AWSConfig())
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("owned")}); err != nil {
		t.Fatal(err)
	}
	put := func(o types.ObjectOwnership) error {
		_, err := c.PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{Bucket: aws.String("owned"),
			OwnershipControls: &types.OwnershipControls{Rules: []types.OwnershipControlsRule{{ObjectOwnership: o}}}})
		return err
	}
	for _, o := range []types.ObjectOwnership{types.ObjectOwnershipObjectWriter, types.ObjectOwnershipBucketOwnerPreferred, types.ObjectOwnershipBucketOwnerEnforced} {
		if err := put(o); err != nil {
			t.Fatal(err)
		}
		got, err := c.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: aws.String("owned")})
		if err != nil || got.OwnershipControls.Rules[0].ObjectOwnership != o {
			t.Fatalf("after putting %s: %+v %v", o, got, err)
		}
	}
	mustS3(t, put("Everyone"), "MalformedXML", 400)
	if _, err := c.DeleteBucketOwnershipControls(ctx, &s3.DeleteBucketOwnershipControlsInput{Bucket: aws.String("owned")}); err != nil {
		t.Fatal(err)
	}
	_, err := c.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: aws.String("owned")})
	mustS3(t, err, "OwnershipControlsNotFoundError", 404)
	_, err = c.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: aws.String("missing")})
	mustS3(t, err, "NoSuchBucket", 404)

	// CreateBucket: ACLs other than private need ACLs enabled, and then
	// public ones meet the new bucket's Block Public Access.
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("acl1"), ACL: types.BucketCannedACLPublicRead})
	mustS3(t, err, "InvalidBucketAclWithObjectOwnership", 400)
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("acl1"), ACL: types.BucketCannedACLPublicRead,
		ObjectOwnership: types.ObjectOwnershipObjectWriter})
	mustS3(t, err, "InvalidBucketAclWithBlockPublicAccessError", 400)
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("acl1"), ACL: types.BucketCannedACLPrivate}); err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("acl2"), ObjectOwnership: "Nobody"})
	mustS3(t, err, "InvalidArgument", 400)

	// ACLs enabled: a public bucket ACL, once Block Public Access allows
	// it, lets anyone list the bucket (and only that).
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("legacy"), ObjectOwnership: types.ObjectOwnershipBucketOwnerPreferred}); err != nil {
		t.Fatal(err)
	}
	if err := s3Put(c, "legacy", "k", "v"); err != nil {
		t.Fatal(err)
	}
	_, err = c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String("legacy"), ACL: types.BucketCannedACLPublicRead})
	mustS3(t, err, "AccessDenied", 403)
	if _, err := c.DeletePublicAccessBlock(ctx, &s3.DeletePublicAccessBlockInput{Bucket: aws.String("legacy")}); err != nil {
		t.Fatal(err)
	}
	if resp := httpGet(t, r.Endpoint+"/legacy"); resp.Status != 403 {
		t.Fatalf("anonymous list before the ACL: %d", resp.Status)
	}
	if _, err := c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String("legacy"), ACL: types.BucketCannedACLPublicRead}); err != nil {
		t.Fatal(err)
	}
	acl, err := c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("legacy")})
	if err != nil || len(acl.Grants) != 2 || aws.ToString(acl.Grants[1].Grantee.URI) != "http://acs.amazonaws.com/groups/global/AllUsers" ||
		acl.Grants[1].Permission != types.PermissionRead || acl.Grants[1].Grantee.Type != types.TypeGroup {
		t.Fatalf("public-read ACL: %+v %v", acl, err)
	}
	if resp := httpGet(t, r.Endpoint+"/legacy"); resp.Status != 200 || !strings.Contains(resp.Body, "<Key>k</Key>") {
		t.Fatalf("anonymous list with public-read: %d %s", resp.Status, resp.Body)
	}
	if resp := httpGet(t, r.Endpoint+"/legacy/k"); resp.Status != 403 {
		t.Fatalf("anonymous read with a bucket public-read: %d", resp.Status)
	}
	// Public object ACLs are not implemented: refused, never ignored.
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("legacy"), Key: aws.String("p"), Body: strings.NewReader("x"), ACL: types.ObjectCannedACLPublicRead})
	mustS3(t, err, "NotImplemented", 501)
	// Disabling ACLs needs a private ACL first.
	_, err = c.PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{Bucket: aws.String("legacy"),
		OwnershipControls: &types.OwnershipControls{Rules: []types.OwnershipControlsRule{{ObjectOwnership: types.ObjectOwnershipBucketOwnerEnforced}}}})
	mustS3(t, err, "InvalidBucketAclWithObjectOwnership", 400)
	if _, err := c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String("legacy"), ACL: types.BucketCannedACLPrivate}); err != nil {
		t.Fatal(err)
	}
	if resp := httpGet(t, r.Endpoint+"/legacy"); resp.Status != 403 {
		t.Fatalf("anonymous list after private: %d", resp.Status)
	}
}

// TestS3AccessACLCalls: the ACL calls SDKs, the aws CLI and Terraform make
// against a BucketOwnerEnforced bucket.
func TestS3AccessACLCalls(t *testing.T) {
	r := harness.Start(t)
	ctx := context.Background()
	c := s3Client(r.AWSConfig())
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("tfb")}); err != nil {
		t.Fatal(err)
	}
	// Only the owner's full control is accepted, as S3: private is not.
	_, err := c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String("tfb"), ACL: types.BucketCannedACLPrivate})
	mustS3(t, err, "AccessControlListNotSupported", 400)
	// Terraform's aws_s3_bucket_acl with access_control_policy: the
	// document GetBucketAcl returned.
	cur, err := c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("tfb")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String("tfb"),
		AccessControlPolicy: &types.AccessControlPolicy{Owner: cur.Owner, Grants: cur.Grants}}); err != nil {
		t.Fatalf("owner-full-control document: %v", err)
	}
	_, err = c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String("tfb"), AccessControlPolicy: &types.AccessControlPolicy{Owner: cur.Owner,
		Grants: append(cur.Grants, types.Grant{Grantee: &types.Grantee{Type: types.TypeGroup, URI: aws.String("http://acs.amazonaws.com/groups/global/AllUsers")}, Permission: types.PermissionRead})}})
	mustS3(t, err, "AccessControlListNotSupported", 400)

	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("tfb"), Key: aws.String("k"), Body: strings.NewReader("v"),
		ACL: types.ObjectCannedACLBucketOwnerFullControl}); err != nil {
		t.Fatalf("put-object --acl bucket-owner-full-control: %v", err)
	}
	for _, acl := range []types.ObjectCannedACL{types.ObjectCannedACLPrivate, types.ObjectCannedACLPublicRead} {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("tfb"), Key: aws.String("k2"), Body: strings.NewReader("v"), ACL: acl})
		mustS3(t, err, "AccessControlListNotSupported", 400)
		_, err = c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("tfb"), Key: aws.String("k2"), ACL: acl})
		mustS3(t, err, "AccessControlListNotSupported", 400)
		_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("tfb"), Key: aws.String("k2"), CopySource: aws.String("tfb/k"), ACL: acl})
		mustS3(t, err, "AccessControlListNotSupported", 400)
	}
	oacl, err := c.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String("tfb"), Key: aws.String("k")})
	if err != nil || len(oacl.Grants) != 1 || oacl.Grants[0].Permission != types.PermissionFullControl {
		t.Fatalf("GetObjectAcl: %+v %v", oacl, err)
	}
	_, err = c.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String("tfb"), Key: aws.String("missing")})
	mustS3(t, err, "NoSuchKey", 404)
	if _, err := c.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: aws.String("tfb"), Key: aws.String("k"), ACL: types.ObjectCannedACLBucketOwnerFullControl}); err != nil {
		t.Fatal(err)
	}
	_, err = c.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: aws.String("tfb"), Key: aws.String("k"), ACL: types.ObjectCannedACLPublicRead})
	mustS3(t, err, "AccessControlListNotSupported", 400)

	// Raw requests: both an ACL header and a body, neither, a broken body.
	for _, tc := range []struct {
		header map[string]string
		body   string
		code   string
	}{
		{map[string]string{"x-amz-acl": "bucket-owner-full-control"}, `<AccessControlPolicy/>`, "UnexpectedContent"},
		{nil, "", "MissingSecurityHeader"},
		{nil, `<AccessControlPolicy><AccessControlList>`, "MalformedACLError"},
		{map[string]string{"x-amz-acl": "private", "x-amz-grant-read": `uri="http://acs.amazonaws.com/groups/global/AllUsers"`}, "", "InvalidRequest"},
	} {
		resp := harness.Do(t, r.Sign(t, harness.Request{Method: http.MethodPut, Path: "/tfb?acl", Body: tc.body, Header: tc.header, Service: "s3"}))
		if resp.Status != 400 || !strings.Contains(resp.Body, "<Code>"+tc.code+"</Code>") {
			t.Errorf("%v %q: %d %s", tc.header, tc.body, resp.Status, resp.Body)
		}
	}

	// The aws CLI, as people type it.
	if _, stderr, code := r.CLI(t, "s3api", "put-bucket-acl", "--bucket", "tfb", "--acl", "private"); code == 0 || !strings.Contains(stderr, "AccessControlListNotSupported") {
		t.Fatalf("put-bucket-acl --acl private on BucketOwnerEnforced: %d %s", code, stderr)
	}
	if out, stderr, code := r.CLI(t, "s3api", "get-bucket-acl", "--bucket", "tfb", "--output", "json"); code != 0 || !strings.Contains(out, `"FULL_CONTROL"`) {
		t.Fatalf("get-bucket-acl: %d %s %s", code, out, stderr)
	}
	if _, stderr, code := r.CLI(t, "s3api", "put-object", "--bucket", "tfb", "--key", "cli", "--acl", "bucket-owner-full-control"); code != 0 {
		t.Fatalf("put-object --acl bucket-owner-full-control: %d %s", code, stderr)
	}
	if _, stderr, code := r.CLI(t, "s3api", "create-bucket", "--bucket", "tfacls", "--object-ownership", "BucketOwnerPreferred"); code != 0 {
		t.Fatalf("create-bucket --object-ownership: %d %s", code, stderr)
	}
	if _, stderr, code := r.CLI(t, "s3api", "put-bucket-acl", "--bucket", "tfacls", "--acl", "private"); code != 0 {
		t.Fatalf("put-bucket-acl --acl private with ACLs enabled: %d %s", code, stderr)
	}
	if out, stderr, code := r.CLI(t, "s3api", "get-public-access-block", "--bucket", "tfacls", "--output", "json"); code != 0 || !strings.Contains(out, `"RestrictPublicBuckets": true`) {
		t.Fatalf("get-public-access-block: %d %s %s", code, out, stderr)
	}
}
