package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"io/fs"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/nimbuscloud/nimbus/test/e2e/harness"
)

// TestS3Multipart drives multipart uploads with aws-sdk-go-v2 (no upload
// manager): Create, three 5 MiB parts, Complete, then whole and ranged
// reads across part boundaries, partNumber reads, ListParts,
// ListMultipartUploads, the completion errors, and Abort.
func TestS3Multipart(t *testing.T) {
	r := harness.Start(t)
	ctx := context.Background()
	c := s3Client(r.AWSConfig())
	b := aws.String("e2e-multipart")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	const partSize = 5 << 20
	data := make([]byte, 3*partSize)
	rand.Read(data)
	key := aws.String("dir/big.bin")
	cr, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: b, Key: key, ContentType: aws.String("application/x-test"),
		Metadata: map[string]string{"origin": "e2e"}, ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
	if err != nil {
		t.Fatal(err)
	}
	up, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: b})
	if err != nil || len(up.Uploads) != 1 || aws.ToString(up.Uploads[0].UploadId) != aws.ToString(cr.UploadId) {
		t.Fatalf("list uploads: %+v %v", up, err)
	}
	var done []types.CompletedPart
	for i := range 3 {
		n := int32(i + 1)
		out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: b, Key: key, UploadId: cr.UploadId, PartNumber: aws.Int32(n),
			Body: bytes.NewReader(data[i*partSize : (i+1)*partSize]), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
		if err != nil {
			t.Fatal(err)
		}
		done = append(done, types.CompletedPart{PartNumber: aws.Int32(n), ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32})
	}
	lp, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: b, Key: key, UploadId: cr.UploadId, MaxParts: aws.Int32(2)})
	if err != nil || len(lp.Parts) != 2 || !aws.ToBool(lp.IsTruncated) || aws.ToString(lp.NextPartNumberMarker) != "2" {
		t.Fatalf("list parts: %+v %v", lp, err)
	}
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: b, Key: key, UploadId: cr.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{done[1], done[0]}}})
	mustS3(t, err, "InvalidPartOrder", http.StatusBadRequest)
	bad := done[2]
	bad.ETag, bad.ChecksumCRC32 = aws.String(`"00000000000000000000000000000000"`), nil
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: b, Key: key, UploadId: cr.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{done[0], bad}}})
	mustS3(t, err, "InvalidPart", http.StatusBadRequest)
	_, err = c.UploadPart(ctx, &s3.UploadPartInput{Bucket: b, Key: key, UploadId: cr.UploadId, PartNumber: aws.Int32(10001), Body: strings.NewReader("x")})
	mustS3(t, err, "InvalidArgument", http.StatusBadRequest)
	comp, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: b, Key: key, UploadId: cr.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
	if err != nil {
		t.Fatal(err)
	}
	if etag := aws.ToString(comp.ETag); !strings.HasSuffix(etag, `-3"`) {
		t.Fatalf("etag %s", etag)
	}
	if sum := aws.ToString(comp.ChecksumCRC32); !strings.HasSuffix(sum, "-3") {
		t.Fatalf("composite checksum %q", sum)
	}

	get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	whole, err := io.ReadAll(get.Body)
	get.Body.Close()
	if err != nil || !bytes.Equal(whole, data) || aws.ToString(get.ETag) != aws.ToString(comp.ETag) ||
		aws.ToString(get.ContentType) != "application/x-test" || get.Metadata["origin"] != "e2e" {
		t.Fatalf("whole object: %v %d bytes etag %s", err, len(whole), aws.ToString(get.ETag))
	}
	// A range spanning all three parts.
	first, last := partSize-10, 2*partSize+10
	get, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: key, Range: aws.String("bytes=" + strconv.Itoa(first) + "-" + strconv.Itoa(last))})
	if err != nil {
		t.Fatal(err)
	}
	part, _ := io.ReadAll(get.Body)
	get.Body.Close()
	if !bytes.Equal(part, data[first:last+1]) {
		t.Fatalf("range across parts differs (%d bytes)", len(part))
	}
	get, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: key, PartNumber: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	part, _ = io.ReadAll(get.Body)
	get.Body.Close()
	if !bytes.Equal(part, data[partSize:2*partSize]) || aws.ToInt32(get.PartsCount) != 3 {
		t.Fatalf("part 2: %d bytes, parts count %d", len(part), aws.ToInt32(get.PartsCount))
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: key})
	if err != nil || aws.ToInt64(head.ContentLength) != int64(len(data)) {
		t.Fatalf("head: %v", err)
	}
	_, err = c.ListParts(ctx, &s3.ListPartsInput{Bucket: b, Key: key, UploadId: cr.UploadId})
	mustS3(t, err, "NoSuchUpload", http.StatusNotFound)

	// UploadPartCopy of a range spanning two parts of the multipart object.
	pc, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: b, Key: aws.String("copied")})
	if err != nil {
		t.Fatal(err)
	}
	cpo, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: b, Key: aws.String("copied"), UploadId: pc.UploadId, PartNumber: aws.Int32(1),
		CopySource: aws.String("e2e-multipart/dir/big.bin"), CopySourceRange: aws.String("bytes=" + strconv.Itoa(first) + "-" + strconv.Itoa(last))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: b, Key: aws.String("copied"), UploadId: pc.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: cpo.CopyPartResult.ETag}}}}); err != nil {
		t.Fatal(err)
	}
	get, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("copied")})
	if err != nil {
		t.Fatal(err)
	}
	part, _ = io.ReadAll(get.Body)
	get.Body.Close()
	if !bytes.Equal(part, data[first:last+1]) || !strings.HasSuffix(aws.ToString(get.ETag), `-1"`) {
		t.Fatalf("part copy differs (%d bytes, etag %s)", len(part), aws.ToString(get.ETag))
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: aws.String("copied")}); err != nil {
		t.Fatal(err)
	}

	// Abort: the upload and its parts are gone, down to the shard files.
	before := stableShards(t, r.DataDir)
	if before == 0 {
		t.Fatal("no shard files found under the data dir: the shard name pattern is stale")
	}
	ab, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: b, Key: aws.String("aborted")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: b, Key: aws.String("aborted"), UploadId: ab.UploadId, PartNumber: aws.Int32(1),
		Body: bytes.NewReader(data[:partSize])}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: b, Key: aws.String("aborted"), UploadId: ab.UploadId}); err != nil {
		t.Fatal(err)
	}
	_, err = c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: b, Key: aws.String("aborted"), UploadId: ab.UploadId})
	mustS3(t, err, "NoSuchUpload", http.StatusNotFound)
	if after := stableShards(t, r.DataDir); after != before {
		t.Fatalf("shard files: %d before the aborted upload, %d after the abort", before, after)
	}
	_, err = c.ListParts(ctx, &s3.ListPartsInput{Bucket: b, Key: aws.String("aborted"), UploadId: ab.UploadId})
	mustS3(t, err, "NoSuchUpload", http.StatusNotFound)
	up, err = c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: b})
	if err != nil || len(up.Uploads) != 0 {
		t.Fatalf("uploads after abort: %+v %v", up.Uploads, err)
	}
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("aborted")})
	mustS3(t, err, "", http.StatusNotFound)
	lo, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b})
	if err != nil || len(lo.Contents) != 1 || aws.ToInt64(lo.Contents[0].Size) != int64(len(data)) {
		t.Fatalf("list objects: %+v %v", lo, err)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: key}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
}

var shardName = regexp.MustCompile(`^[0-9a-f]{32}\.[0-9]+$`)

// stableShards counts the engine's committed shard files under the data
// dir once the count stops changing (quorum writes finish the remaining
// shards in the background).
func stableShards(t *testing.T, dir string) int {
	t.Helper()
	count := func() int {
		n := 0
		filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && shardName.MatchString(d.Name()) {
				n++
			}
			return nil
		})
		return n
	}
	last := count()
	for range 50 {
		time.Sleep(100 * time.Millisecond)
		n := count()
		if n == last {
			return n
		}
		last = n
	}
	t.Fatalf("shard count under %s never settled", dir)
	return 0
}
