package e2e

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/nimbuscloud/nimbus/test/e2e/harness"
)

// TestS3Encryption checks that bodies are really encrypted at rest (no
// plaintext byte pattern anywhere under the data directory, shards and
// metadata database included), that SSE-S3 is reported on PUT/GET, and
// SSE-C end to end through the SDK: the key is required, a wrong key is
// refused, and copies re-encrypt.
func TestS3Encryption(t *testing.T) {
	dir := t.TempDir()
	r := harness.Start(t, harness.WithDataDir(dir))
	ctx := context.Background()
	c := s3Client(r.AWSConfig())
	b := aws.String("sealed")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	marker := "NIMBUS-PLAINTEXT-MARKER-"
	big := []byte(strings.Repeat(marker, (1<<20)/len(marker)))
	small := []byte(marker + "small")
	for k, body := range map[string][]byte{"big": big, "small": small} {
		p, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String(k), Body: bytes.NewReader(body)})
		if err != nil || p.ServerSideEncryption != types.ServerSideEncryptionAes256 {
			t.Fatalf("put %s: %v %v", k, p.ServerSideEncryption, err)
		}
	}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("big"), Range: aws.String("bytes=65530-131080")})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if !bytes.Equal(got, big[65530:131081]) || out.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Fatalf("range read: %d bytes, sse %v", len(got), out.ServerSideEncryption)
	}

	// SSE-C.
	raw := bytes.Repeat([]byte{0x5a}, 32)
	sum := md5.Sum(raw)
	key, keyMD5 := base64.StdEncoding.EncodeToString(raw), base64.StdEncoding.EncodeToString(sum[:])
	wrong := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x33}, 32))
	wrongSum := md5.Sum(bytes.Repeat([]byte{0x33}, 32))
	p, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("mine"), Body: bytes.NewReader(big),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(key), SSECustomerKeyMD5: aws.String(keyMD5)})
	if err != nil || aws.ToString(p.SSECustomerKeyMD5) != keyMD5 {
		t.Fatalf("SSE-C put: %v", err)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("mine")})
	mustS3(t, err, "InvalidRequest", 400)
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("mine"),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(wrong), SSECustomerKeyMD5: aws.String(base64.StdEncoding.EncodeToString(wrongSum[:]))})
	mustS3(t, err, "AccessDenied", 403)
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("bad"), Body: bytes.NewReader(small),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(key), SSECustomerKeyMD5: aws.String(base64.StdEncoding.EncodeToString(wrongSum[:]))})
	mustS3(t, err, "InvalidArgument", 400)
	g, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("mine"),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(key), SSECustomerKeyMD5: aws.String(keyMD5)})
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(g.Body)
	g.Body.Close()
	if !bytes.Equal(got, big) || aws.ToString(g.SSECustomerKeyMD5) != keyMD5 {
		t.Fatalf("SSE-C get: %d bytes", len(got))
	}
	// Copy from SSE-C to SSE-S3.
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: b, Key: aws.String("copied"), CopySource: aws.String("sealed/mine"),
		CopySourceSSECustomerAlgorithm: aws.String("AES256"), CopySourceSSECustomerKey: aws.String(key), CopySourceSSECustomerKeyMD5: aws.String(keyMD5)}); err != nil {
		t.Fatal(err)
	}
	if body, _ := getBody(t, c, &s3.GetObjectInput{Bucket: b, Key: aws.String("copied")}); body != string(big) {
		t.Fatal("copy differs")
	}
	_, err = c.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: b, ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{
		Rules: []types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAwsKms}}}}})
	mustS3(t, err, "NotImplemented", 501)

	// Nothing under the data directory holds the plaintext.
	r.Stop(t)
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(data, []byte(marker)) {
			t.Errorf("%s holds plaintext", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
