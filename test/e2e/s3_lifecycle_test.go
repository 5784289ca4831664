package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/nimbuscloud/nimbus/test/e2e/harness"
)

// TestS3Lifecycle runs the lifecycle worker against the real binary with
// one-second lifecycle days: a configuration put and read back through
// the SDK (as Terraform does), an expiration, a transition that moves an
// engine-stored body into GLACIER_IR's erasure-coded layout (the bytes
// still read back exactly), and an incomplete upload aborted.
func TestS3Lifecycle(t *testing.T) {
	s3LifecycleScenario(t, harness.Start(t, harness.WithArgs("--s3-lifecycle-interval", "500ms", "--s3-lifecycle-day", "1s")))
}

func s3LifecycleScenario(t *testing.T, r *harness.Region) {
	ctx := context.Background()
	c := s3Client(r.AWSConfig())
	b := aws.String("aging")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	_, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: b})
	mustS3(t, err, "NoSuchLifecycleConfiguration", 404)
	_, err = c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: b,
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{{
			ID: aws.String("bad"), Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{Prefix: aws.String("x")},
			Expiration: &types.LifecycleExpiration{Days: aws.Int32(0)},
		}}}})
	mustS3(t, err, "InvalidArgument", 400)

	rules := []types.LifecycleRule{
		{ID: aws.String("expire-tmp"), Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{Prefix: aws.String("tmp/")},
			Expiration: &types.LifecycleExpiration{Days: aws.Int32(1)}},
		{ID: aws.String("freeze"), Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{Prefix: aws.String("cold/")},
			Transitions: []types.Transition{{Days: aws.Int32(0), StorageClass: types.TransitionStorageClassGlacierIr}}},
		{ID: aws.String("uploads"), Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{Prefix: aws.String("")},
			AbortIncompleteMultipartUpload: &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(1)}},
	}
	if _, err := c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: b,
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: rules}}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: b})
	if err != nil || len(got.Rules) != 3 || aws.ToString(got.Rules[1].ID) != "freeze" || got.Rules[1].Transitions[0].StorageClass != types.TransitionStorageClassGlacierIr {
		t.Fatalf("read back %+v %v", got, err)
	}

	cold := make([]byte, 3<<20)
	rand.Read(cold)
	for k, body := range map[string][]byte{"tmp/a": []byte("scratch"), "cold/b": cold, "keep": []byte("stays")} {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String(k), Body: bytes.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: b, Key: aws.String("big")})
	if err != nil {
		t.Fatal(err)
	}

	deadline := time.Now().Add(30 * time.Second)
	for {
		_, errTmp := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("tmp/a")})
		head, errCold := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("cold/b")})
		ups, errUp := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: b})
		if errCold != nil || errUp != nil {
			t.Fatalf("cold %v uploads %v", errCold, errUp)
		}
		if errTmp != nil && head.StorageClass == types.StorageClassGlacierIr && len(ups.Uploads) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("lifecycle did not act: tmp/a err %v, cold/b class %q, %d uploads", errTmp, head.StorageClass, len(ups.Uploads))
		}
		time.Sleep(300 * time.Millisecond)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("tmp/a")})
	mustS3(t, err, "NoSuchKey", 404)
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("cold/b")})
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil || !bytes.Equal(data, cold) {
		t.Fatalf("transitioned body: %d bytes, equal=%t, %v", len(data), bytes.Equal(data, cold), err)
	}
	rng, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("cold/b"), Range: aws.String("bytes=1048570-1048580")})
	if err != nil {
		t.Fatal(err)
	}
	part, _ := io.ReadAll(rng.Body)
	rng.Body.Close()
	if !bytes.Equal(part, cold[1048570:1048581]) {
		t.Fatal("range of the transitioned body differs")
	}
	_, err = c.UploadPart(ctx, &s3.UploadPartInput{Bucket: b, Key: aws.String("big"), UploadId: up.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("p"))})
	mustS3(t, err, "NoSuchUpload", 404)
	if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("keep")}); err != nil {
		t.Fatalf("an object no rule matches went: %v", err)
	}
	if _, err := c.DeleteBucketLifecycle(ctx, &s3.DeleteBucketLifecycleInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: b})
	mustS3(t, err, "NoSuchLifecycleConfiguration", 404)
}
