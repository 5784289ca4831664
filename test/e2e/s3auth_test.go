package e2e

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/nimbuscloud/nimbus/test/e2e/harness"
)

// These tests check that S3 requests as the SDKs and the CLI send them
// today (aws-chunked bodies with trailing CRC32 checksums, presigned URLs)
// authenticate, verify and store, and that broken ones get S3's integrity
// errors and store nothing.

func TestS3UploadsAuthenticate(t *testing.T) {
	r := harness.Start(t)
	ctx := context.Background()
	client := s3.NewFromConfig(r.AWSConfig(), func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("my-bucket")}); err != nil {
		t.Fatal(err)
	}
	body := strings.Repeat("hello ", 10000)
	put, err := client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String("my-bucket"), Key: aws.String("dir/a b.txt"),
		Body: strings.NewReader(body),
	})
	if err != nil {
		t.Fatalf("sdk PutObject: %v", err)
	}
	sum := aws.ToString(put.ChecksumCRC32) + aws.ToString(put.ChecksumCRC64NVME)
	if sum == "" {
		t.Fatal("PutObject returned no checksum")
	}
	get, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("my-bucket"), Key: aws.String("dir/a b.txt"), ChecksumMode: "ENABLED"})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(get.Body)
	get.Body.Close()
	if string(got) != body || aws.ToString(get.ChecksumCRC32)+aws.ToString(get.ChecksumCRC64NVME) != sum {
		t.Fatalf("GetObject: %d bytes, checksum %s%s, want %s", len(got), aws.ToString(get.ChecksumCRC32), aws.ToString(get.ChecksumCRC64NVME), sum)
	}

	file := filepath.Join(t.TempDir(), "f.bin")
	os.WriteFile(file, []byte(strings.Repeat("x", 100000)), 0o600)
	if _, stderr, code := r.CLI(t, "s3", "cp", file, "s3://my-bucket/f.bin"); code != 0 {
		t.Fatalf("aws s3 cp: code %d stderr %s", code, stderr)
	}
}

func TestS3IntegrityErrors(t *testing.T) {
	r := harness.Start(t)
	if resp := harness.Do(t, r.Sign(t, harness.Request{Service: "s3", Method: "PUT", Path: "/my-bucket"})); resp.Status != 200 {
		t.Fatalf("CreateBucket: %d %s", resp.Status, resp.Body)
	}
	data := "hello, world"
	good := crc32.ChecksumIEEE([]byte(data))
	var sum [4]byte
	binary.BigEndian.PutUint32(sum[:], good+1) // wrong on purpose
	bad := base64.StdEncoding.EncodeToString(sum[:])
	body := strings.Join([]string{
		"c", data, "0", "x-amz-checksum-crc32:" + bad, "", "",
	}, "\r\n")
	req := r.Sign(t, harness.Request{Service: "s3", Method: "PUT", Path: "/my-bucket/k", Header: map[string]string{
		"X-Amz-Content-Sha256":         "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
		"X-Amz-Trailer":                "x-amz-checksum-crc32",
		"X-Amz-Decoded-Content-Length": "12",
		"Content-Encoding":             "aws-chunked",
	}, Body: body, SignedPayload: "STREAMING-UNSIGNED-PAYLOAD-TRAILER"})
	resp := harness.Do(t, req)
	if resp.Status != 400 || !strings.Contains(resp.Body, "<Code>BadDigest</Code>") {
		t.Fatalf("wrong trailing CRC32: %d %s", resp.Status, resp.Body)
	}

	req = r.Sign(t, harness.Request{Service: "s3", Method: "PUT", Path: "/my-bucket/k", Body: "original"})
	req.Body = readCloser("tampered")
	resp = harness.Do(t, req)
	if resp.Status != 400 || !strings.Contains(resp.Body, "<Code>XAmzContentSHA256Mismatch</Code>") {
		t.Fatalf("tampered body: %d %s", resp.Status, resp.Body)
	}
	resp = harness.Do(t, r.Sign(t, harness.Request{Service: "s3", Method: "HEAD", Path: "/my-bucket/k"}))
	if resp.Status != 404 {
		t.Fatalf("a rejected body was stored: HEAD %d", resp.Status)
	}
}

func TestS3PresignAndVirtualHost(t *testing.T) {
	r := harness.Start(t)
	expired := r.Presign(t, harness.Request{Service: "s3", Path: "/my-bucket/k", Time: time.Now().Add(-2 * time.Hour)}, time.Hour)
	resp := httpGet(t, expired)
	if resp.Status != 403 || !strings.Contains(resp.Body, "<Code>AccessDenied</Code>") || !strings.Contains(resp.Body, "expired") {
		t.Fatalf("expired presigned GET: %d %s", resp.Status, resp.Body)
	}
	if resp := harness.Do(t, r.Sign(t, harness.Request{Service: "s3", Method: "PUT", Path: "/my-bucket"})); resp.Status != 200 {
		t.Fatalf("CreateBucket: %d %s", resp.Status, resp.Body)
	}
	if resp := harness.Do(t, r.Sign(t, harness.Request{Service: "s3", Method: "PUT", Path: "/my-bucket/k", Body: "presigned body"})); resp.Status != 200 {
		t.Fatalf("PutObject: %d %s", resp.Status, resp.Body)
	}
	fresh := r.Presign(t, harness.Request{Service: "s3", Path: "/my-bucket/k"}, time.Hour)
	if resp = httpGet(t, fresh); resp.Status != 200 || resp.Body != "presigned body" {
		t.Fatalf("fresh presigned GET: %d %s", resp.Status, resp.Body)
	}
	// virtual-hosted style: the bucket comes from the Host header
	resp = harness.Do(t, r.Sign(t, harness.Request{Service: "s3", Method: "GET", Path: "/photos/cat.jpg", Host: "my-bucket.s3.localhost"}))
	if resp.Status != 404 || !strings.Contains(resp.Body, "<Code>NoSuchKey</Code>") || !strings.Contains(resp.Body, "<Resource>/my-bucket/photos/cat.jpg</Resource>") {
		t.Fatalf("virtual host: %d %s", resp.Status, resp.Body)
	}
	resp = harness.Do(t, r.Sign(t, harness.Request{Service: "s3", Method: "GET", Path: "/k", Host: "my-bucket.s3.localhost"}))
	if resp.Status != 200 || resp.Body != "presigned body" {
		t.Fatalf("virtual host GET: %d %s", resp.Status, resp.Body)
	}
}
