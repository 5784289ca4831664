package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/nimbuscloud/nimbus/test/e2e/harness"
)

func tagMap(ts []types.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range ts {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

func sameTags(got []types.Tag, want map[string]string) bool {
	m := tagMap(got)
	if len(m) != len(want) || len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if m[k] != v {
			return false
		}
	}
	return true
}

// TestS3ObjectAndBucketTagging drives tags through the SDK: x-amz-tagging
// on upload (PutObject, CopyObject, CreateMultipartUpload), the tagging
// subresources, the tag count on HEAD and bucket tagging.
func TestS3ObjectAndBucketTagging(t *testing.T) {
	r := harness.Start(t)
	ctx := context.Background()
	c := s3Client(r.AWSConfig())
	b := aws.String("tagged")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("k"), Body: strings.NewReader("hello"),
		Tagging: aws.String("team=infra&note=a%20b%26c")}); err != nil {
		t.Fatal(err)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(head.TagCount) != 2 {
		t.Fatalf("HEAD tag count %v", aws.ToInt32(head.TagCount))
	}
	got, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: b, Key: aws.String("k")})
	if err != nil || !sameTags(got.TagSet, map[string]string{"team": "infra", "note": "a b&c"}) {
		t.Fatalf("GetObjectTagging %+v %v", got, err)
	}

	if _, err := c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: b, Key: aws.String("k"),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("x"), Value: aws.String("1")}}}}); err != nil {
		t.Fatal(err)
	}
	got, err = c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: b, Key: aws.String("k")})
	if err != nil || !sameTags(got.TagSet, map[string]string{"x": "1"}) {
		t.Fatalf("after PutObjectTagging %+v %v", got, err)
	}
	obj, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	obj.Body.Close()
	if aws.ToInt32(obj.TagCount) != 1 {
		t.Fatalf("GET tag count %v", aws.ToInt32(obj.TagCount))
	}
	if _, err := c.DeleteObjectTagging(ctx, &s3.DeleteObjectTaggingInput{Bucket: b, Key: aws.String("k")}); err != nil {
		t.Fatal(err)
	}
	got, err = c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: b, Key: aws.String("k")})
	if err != nil || len(got.TagSet) != 0 {
		t.Fatalf("after DeleteObjectTagging %+v %v", got, err)
	}
	head, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("k")})
	if err != nil || head.TagCount != nil {
		t.Fatalf("HEAD without tags: count %v %v", head.TagCount, err)
	}

	// Validation: eleven tags, a duplicate key.
	var eleven []types.Tag
	for i := range 11 {
		eleven = append(eleven, types.Tag{Key: aws.String(string(rune('a' + i))), Value: aws.String("v")})
	}
	_, err = c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: b, Key: aws.String("k"), Tagging: &types.Tagging{TagSet: eleven}})
	mustS3(t, err, "BadRequest", 400)
	_, err = c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: b, Key: aws.String("k"), Tagging: &types.Tagging{TagSet: []types.Tag{
		{Key: aws.String("d"), Value: aws.String("1")}, {Key: aws.String("d"), Value: aws.String("2")}}}})
	mustS3(t, err, "InvalidTag", 400)
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("k2"), Body: strings.NewReader("x"),
		Tagging: aws.String(strings.Repeat("k", 129) + "=v")})
	mustS3(t, err, "InvalidTag", 400)

	// Copy: COPY keeps the source's tags, REPLACE takes the header's.
	c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("src"), Body: strings.NewReader("s"), Tagging: aws.String("s=1")})
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: b, Key: aws.String("c1"), CopySource: aws.String("tagged/src")}); err != nil {
		t.Fatal(err)
	}
	if got, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: b, Key: aws.String("c1")}); err != nil || !sameTags(got.TagSet, map[string]string{"s": "1"}) {
		t.Fatalf("COPY %+v %v", got, err)
	}
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: b, Key: aws.String("c2"), CopySource: aws.String("tagged/src"),
		TaggingDirective: types.TaggingDirectiveReplace, Tagging: aws.String("r=2")}); err != nil {
		t.Fatal(err)
	}
	if got, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: b, Key: aws.String("c2")}); err != nil || !sameTags(got.TagSet, map[string]string{"r": "2"}) {
		t.Fatalf("REPLACE %+v %v", got, err)
	}

	// Multipart: the tags given at creation land on Complete.
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: b, Key: aws.String("mp"), Tagging: aws.String("mp=yes")})
	if err != nil {
		t.Fatal(err)
	}
	part, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: b, Key: aws.String("mp"), UploadId: up.UploadId, PartNumber: aws.Int32(1), Body: strings.NewReader("part")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: b, Key: aws.String("mp"), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: part.ETag}}}}); err != nil {
		t.Fatal(err)
	}
	if got, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: b, Key: aws.String("mp")}); err != nil || !sameTags(got.TagSet, map[string]string{"mp": "yes"}) {
		t.Fatalf("multipart %+v %v", got, err)
	}

	// Bucket tagging.
	_, err = c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: b})
	mustS3(t, err, "NoSuchTagSet", 404)
	if _, err := c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: b, Tagging: &types.Tagging{TagSet: []types.Tag{
		{Key: aws.String("cost-center"), Value: aws.String("42")}, {Key: aws.String("env"), Value: aws.String("prod")}}}}); err != nil {
		t.Fatal(err)
	}
	bt, err := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: b})
	if err != nil || !sameTags(bt.TagSet, map[string]string{"cost-center": "42", "env": "prod"}) {
		t.Fatalf("GetBucketTagging %+v %v", bt, err)
	}
	if _, err := c.DeleteBucketTagging(ctx, &s3.DeleteBucketTaggingInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: b})
	mustS3(t, err, "NoSuchTagSet", 404)
}

// TestS3ExistingObjectTagPolicy: a bucket policy denying s3:GetObject when
// s3:ExistingObjectTag/secret is "yes" denies the tagged object only.
func TestS3ExistingObjectTagPolicy(t *testing.T) {
	r := harness.Start(t)
	ctx := context.Background()
	root := s3Client(r.AWSConfig())
	if _, err := root.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("classified")}); err != nil {
		t.Fatal(err)
	}
	admin := iam.NewFromConfig(r.AWSConfig())
	userCfg := newUser(t, r, admin, "erin", "")
	if _, err := admin.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("erin"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonS3FullAccess")}); err != nil {
		t.Fatal(err)
	}
	erin := s3Client(userCfg)
	if _, err := erin.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("classified"), Key: aws.String("hidden"),
		Body: strings.NewReader("h"), Tagging: aws.String("secret=yes")}); err != nil {
		t.Fatal(err)
	}
	if err := s3Put(erin, "classified", "plain", "p"); err != nil {
		t.Fatal(err)
	}
	policy := `{"Version":"2012-10-17","Statement":[{"Sid":"NoSecrets","Effect":"Deny","Principal":"*",` +
		`"Action":"s3:GetObject","Resource":"arn:aws:s3:::classified/*",` +
		`"Condition":{"StringEquals":{"s3:ExistingObjectTag/secret":"yes"}}}]}`
	if _, err := root.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("classified"), Policy: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	_, err := s3Get(t, erin, "classified", "hidden")
	mustS3(t, err, "AccessDenied", 403)
	if got, err := s3Get(t, erin, "classified", "plain"); err != nil || got != "p" {
		t.Fatalf("untagged object: %q %v", got, err)
	}
	// Removing the tag lifts the Deny; tagging the other object imposes it.
	if _, err := erin.DeleteObjectTagging(ctx, &s3.DeleteObjectTaggingInput{Bucket: aws.String("classified"), Key: aws.String("hidden")}); err != nil {
		t.Fatal(err)
	}
	if got, err := s3Get(t, erin, "classified", "hidden"); err != nil || got != "h" {
		t.Fatalf("after untagging: %q %v", got, err)
	}
	if _, err := erin.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String("classified"), Key: aws.String("plain"),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("secret"), Value: aws.String("yes")}}}}); err != nil {
		t.Fatal(err)
	}
	_, err = s3Get(t, erin, "classified", "plain")
	mustS3(t, err, "AccessDenied", 403)
}
