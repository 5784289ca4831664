package e2e

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/nimbuscloud/nimbus/test/e2e/harness"
)

func s3Client(cfg aws.Config) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
}

func mustS3(t *testing.T, err error, code string, status int) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %s %d, got success", code, status)
	}
	var ae smithy.APIError
	gotCode := ""
	if errors.As(err, &ae) {
		gotCode = ae.ErrorCode()
	}
	var re interface{ HTTPStatusCode() int }
	gotStatus := 0
	if errors.As(err, &re) {
		gotStatus = re.HTTPStatusCode()
	}
	if (code != "" && gotCode != code) || gotStatus != status {
		t.Fatalf("want %s %d, got %s %d (%v)", code, status, gotCode, gotStatus, err)
	}
}

func TestS3BucketsAndObjects(t *testing.T) {
	r := harness.Start(t)
	ctx := context.Background()
	c := s3Client(r.AWSConfig())
	b := aws.String("e2e-objects")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	loc, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: b})
	if err != nil || loc.LocationConstraint != "" {
		t.Fatalf("location %v %v", loc, err)
	}
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("e2e-eu"),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: "eu-west-1"}})
	mustS3(t, err, "IllegalLocationConstraintException", 400)
	_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("e2e-missing")})
	mustS3(t, err, "", 404)

	// put / get / head with metadata and Content-* headers
	body := strings.Repeat("nimbus ", 3000) // past the inline threshold: stored in the engine
	put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("dir/a b+c.txt"), Body: strings.NewReader(body),
		ContentType: aws.String("text/plain"), CacheControl: aws.String("max-age=60"), Metadata: map[string]string{"Color": "blue"},
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c})
	if err != nil {
		t.Fatal(err)
	}
	get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("dir/a b+c.txt"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(get.Body)
	get.Body.Close()
	if string(got) != body || aws.ToString(get.ETag) != aws.ToString(put.ETag) || aws.ToString(get.ContentType) != "text/plain" ||
		get.Metadata["color"] != "blue" || aws.ToString(get.CacheControl) != "max-age=60" || get.ChecksumCRC32C == nil {
		t.Fatalf("get: %q... %+v", got[:10], get)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("dir/a b+c.txt")})
	if err != nil || aws.ToInt64(head.ContentLength) != int64(len(body)) || aws.ToString(head.AcceptRanges) != "bytes" {
		t.Fatalf("head %+v %v", head, err)
	}

	// ranges
	for _, tc := range []struct{ rng, want, cr string }{
		{"bytes=0-6", body[:7], "bytes 0-6/21000"},
		{"bytes=-3", body[len(body)-3:], "bytes 20997-20999/21000"},
		{"bytes=20990-", body[20990:], "bytes 20990-20999/21000"},
	} {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("dir/a b+c.txt"), Range: aws.String(tc.rng)})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if string(got) != tc.want || aws.ToString(out.ContentRange) != tc.cr {
			t.Fatalf("%s: %q %s", tc.rng, got, aws.ToString(out.ContentRange))
		}
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("dir/a b+c.txt"), Range: aws.String("bytes=21000-21005")})
	mustS3(t, err, "InvalidRange", 416)

	// conditional requests
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("dir/a b+c.txt"), IfMatch: aws.String(`"nope"`)})
	mustS3(t, err, "PreconditionFailed", 412)
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("dir/a b+c.txt"), IfNoneMatch: put.ETag})
	mustS3(t, err, "", 304)
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("dir/a b+c.txt"), IfModifiedSince: aws.Time(time.Now().Add(time.Hour))})
	mustS3(t, err, "", 304)
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("dir/a b+c.txt"), Body: strings.NewReader("x"), IfNoneMatch: aws.String("*")})
	mustS3(t, err, "PreconditionFailed", 412)

	// copy, with URL-encoded source and both directives
	cp, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: b, Key: aws.String("copy/é.txt"), CopySource: aws.String("e2e-objects/dir/a%20b%2Bc.txt")})
	if err != nil || aws.ToString(cp.CopyObjectResult.ETag) != aws.ToString(put.ETag) {
		t.Fatalf("copy %+v %v", cp, err)
	}
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: b, Key: aws.String("copy/é.txt"), CopySource: aws.String("e2e-objects/copy/%C3%A9.txt")})
	mustS3(t, err, "InvalidRequest", 400)
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: b, Key: aws.String("copy/é.txt"), CopySource: aws.String("e2e-objects/copy/%C3%A9.txt"),
		MetadataDirective: types.MetadataDirectiveReplace, Metadata: map[string]string{"new": "1"}, ContentType: aws.String("a/b")})
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("copy/é.txt")})
	if h2.Metadata["new"] != "1" || aws.ToString(h2.ContentType) != "a/b" {
		t.Fatalf("replace: %+v", h2)
	}
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: b, Key: aws.String("x"), CopySource: aws.String("e2e-objects/copy/%C3%A9.txt"), CopySourceIfMatch: aws.String(`"0"`)})
	mustS3(t, err, "PreconditionFailed", 412)

	// listing with prefix, delimiter and pagination
	for _, k := range []string{"p/1", "p/2", "p/3", "p/q/4", "p/q/5", "p/r/6"} {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String(k), Body: strings.NewReader(k)}); err != nil {
			t.Fatal(err)
		}
	}
	lo, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b, Prefix: aws.String("p/"), Delimiter: aws.String("/")})
	if err != nil || len(lo.Contents) != 3 || len(lo.CommonPrefixes) != 2 || aws.ToInt32(lo.KeyCount) != 5 {
		t.Fatalf("list: %+v %v", lo, err)
	}
	var keys []string
	pages := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: b, Prefix: aws.String("p/"), MaxKeys: aws.Int32(2)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	if strings.Join(keys, ",") != "p/1,p/2,p/3,p/q/4,p/q/5,p/r/6" {
		t.Fatalf("paginated: %v", keys)
	}
	v1, err := c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: b, Delimiter: aws.String("/"), MaxKeys: aws.Int32(1)})
	if err != nil || !aws.ToBool(v1.IsTruncated) || aws.ToString(v1.NextMarker) == "" {
		t.Fatalf("v1: %+v %v", v1, err)
	}
	enc, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b, Prefix: aws.String("dir/"), EncodingType: types.EncodingTypeUrl})
	// The Go SDK leaves decoding to the caller: S3 sends ' ' as '+', '+' as %2B.
	if err != nil || len(enc.Contents) != 1 || aws.ToString(enc.Contents[0].Key) != "dir/a+b%2Bc.txt" {
		t.Fatalf("encoding-type=url: %+v %v", enc, err)
	}

	// Terraform's read path
	if _, err := c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	if rp, err := c.GetBucketRequestPayment(ctx, &s3.GetBucketRequestPaymentInput{Bucket: b}); err != nil || rp.Payer != types.PayerBucketOwner {
		t.Fatalf("request payment %v", err)
	}
	_, err = c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: b})
	mustS3(t, err, "NoSuchTagSet", 404)
	_, err = c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: b})
	mustS3(t, err, "NoSuchBucketPolicy", 404)
	// Every bucket has S3's default encryption (SSE-S3) and says so.
	encCfg, err := c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: b})
	if err != nil || len(encCfg.ServerSideEncryptionConfiguration.Rules) != 1 ||
		encCfg.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm != types.ServerSideEncryptionAes256 {
		t.Fatalf("default encryption %+v %v", encCfg, err)
	}

	// DeleteObjects, quiet and not
	del, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: b, Delete: &types.Delete{Objects: []types.ObjectIdentifier{
		{Key: aws.String("p/1")}, {Key: aws.String("p/2")}, {Key: aws.String("never-existed")}}}})
	if err != nil || len(del.Deleted) != 3 || len(del.Errors) != 0 {
		t.Fatalf("delete objects %+v %v", del, err)
	}
	del, err = c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: b, Delete: &types.Delete{Quiet: aws.Bool(true), Objects: []types.ObjectIdentifier{{Key: aws.String("p/3")}}}})
	if err != nil || len(del.Deleted) != 0 {
		t.Fatalf("quiet delete %+v %v", del, err)
	}
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: b})
	mustS3(t, err, "BucketNotEmpty", 409)
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: aws.String("nothing-here")}); err != nil {
		t.Fatalf("deleting a missing key: %v", err)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("p/1")})
	mustS3(t, err, "NoSuchKey", 404)

	// it all survives a restart
	r.Restart(t)
	get, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("dir/a b+c.txt")})
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(get.Body)
	get.Body.Close()
	if string(got) != body {
		t.Fatal("object changed across restart")
	}
}

func TestS3BadInput(t *testing.T) {
	r := harness.Start(t)
	ctx := context.Background()
	c := s3Client(r.AWSConfig())
	b := aws.String("e2e-bad")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("k"), Body: strings.NewReader("hello"),
		ContentMD5: aws.String(base64.StdEncoding.EncodeToString(make([]byte, 16)))})
	mustS3(t, err, "BadDigest", 400)
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("k")})
	mustS3(t, err, "", 404)
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String(strings.Repeat("k", 1025)), Body: strings.NewReader("x")})
	mustS3(t, err, "KeyTooLongError", 400)
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String(strings.Repeat("k", 1024)), Body: strings.NewReader("x")}); err != nil {
		t.Fatalf("1024-byte key: %v", err)
	}
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("m"), Body: strings.NewReader("x"), Metadata: map[string]string{"big": strings.Repeat("v", 2100)}})
	mustS3(t, err, "MetadataTooLarge", 400)
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("m"), Body: strings.NewReader("x"), StorageClass: types.StorageClassDeepArchive})
	mustS3(t, err, "InvalidStorageClass", 400)
	for _, name := range []string{"ab", "Upper", "a..b", "192.168.0.1", "-dash", "xn--abc"} {
		resp := harness.Do(t, r.Sign(t, harness.Request{Service: "s3", Method: "PUT", Path: "/" + name}))
		if resp.Status != 400 || !strings.Contains(resp.Body, "<Code>InvalidBucketName</Code>") {
			t.Fatalf("bucket %q: %d %s", name, resp.Status, resp.Body)
		}
	}
	resp := harness.Do(t, r.Sign(t, harness.Request{Service: "s3", Method: "POST", Path: "/e2e-bad?delete=",
		Header: map[string]string{"Content-Md5": md5b64("<Delete><Object>")}, Body: "<Delete><Object>"}))
	if resp.Status != 400 || !strings.Contains(resp.Body, "<Code>MalformedXML</Code>") {
		t.Fatalf("malformed delete: %d %s", resp.Status, resp.Body)
	}

	// A client that disconnects mid-upload leaves nothing visible.
	u := strings.TrimPrefix(r.Endpoint, "http://")
	req := r.Sign(t, harness.Request{Service: "s3", Method: "PUT", Path: "/e2e-bad/cut", Body: strings.Repeat("y", 1<<20)})
	conn, err := net.Dial("tcp", u)
	if err != nil {
		t.Fatal(err)
	}
	var head bytes.Buffer
	req.Body = io.NopCloser(io.LimitReader(strings.NewReader(strings.Repeat("y", 1<<20)), 300<<10))
	req.Write(&head) // writes the headers and the first 300 KiB, then stops
	conn.Write(head.Bytes())
	time.Sleep(200 * time.Millisecond)
	conn.Close()
	time.Sleep(300 * time.Millisecond)
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("cut")})
	mustS3(t, err, "", 404)

	// Another account cannot read or write the bucket; anonymous neither.
	out, err := r.Nimbus(t, "admin", "accounts", "create", "--name", "other", "--data-dir", r.DataDir)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	exp := parseExports(out)
	other := s3Client(r.ConfigFor(exp["AWS_ACCESS_KEY_ID"], exp["AWS_SECRET_ACCESS_KEY"]))
	_, err = other.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String(strings.Repeat("k", 1024))})
	mustS3(t, err, "AccessDenied", 403)
	_, err = other.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("intruder"), Body: strings.NewReader("x")})
	mustS3(t, err, "AccessDenied", 403)
	_, err = other.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b})
	mustS3(t, err, "AccessDenied", 403)
	_, err = other.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b})
	mustS3(t, err, "BucketAlreadyExists", 409)
	if lb, err := other.ListBuckets(ctx, &s3.ListBucketsInput{}); err != nil || len(lb.Buckets) != 0 {
		t.Fatalf("other account lists %v %v", lb, err)
	}
	anon := httpGet(t, r.Endpoint+"/e2e-bad/"+strings.Repeat("k", 1024))
	if anon.Status != 403 || !strings.Contains(anon.Body, "<Code>AccessDenied</Code>") {
		t.Fatalf("anonymous GET: %d %s", anon.Status, anon.Body)
	}
}

// TestS3CLI drives the aws CLI with its default settings: cp of a 100 MiB
// file up (multipart: the default threshold and part size are 8 MiB) and
// down (ranged GETs across part boundaries), ls showing its size, sync of
// a small tree and rb --force.
func TestS3CLI(t *testing.T) {
	r := harness.Start(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	os.WriteFile(cfg, []byte("[default]\n"), 0o600)
	cli := func(args ...string) string {
		t.Helper()
		path, err := exec.LookPath("aws")
		if err != nil {
			t.Skip("aws CLI not installed")
		}
		cmd := exec.Command(path, args...)
		cmd.Env = append(envWithoutAWS(), "AWS_ACCESS_KEY_ID="+r.AccessKey, "AWS_SECRET_ACCESS_KEY="+r.SecretKey,
			"AWS_ENDPOINT_URL="+r.Endpoint, "AWS_REGION="+r.Region, "AWS_DEFAULT_REGION="+r.Region,
			"AWS_CONFIG_FILE="+cfg, "AWS_SHARED_CREDENTIALS_FILE="+os.DevNull, "AWS_MAX_ATTEMPTS=1", "AWS_PAGER=")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("aws %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	src := filepath.Join(dir, "big.bin")
	data := make([]byte, 100<<20)
	rand.Read(data)
	os.WriteFile(src, data, 0o600)
	cli("s3", "mb", "s3://e2e-cli")
	cli("s3", "cp", src, "s3://e2e-cli/big.bin")
	dst := filepath.Join(dir, "back.bin")
	cli("s3", "cp", "s3://e2e-cli/big.bin", dst)
	back, _ := os.ReadFile(dst)
	if !bytes.Equal(back, data) {
		t.Fatal("100 MiB round trip differs")
	}
	if out := cli("s3", "ls", "s3://e2e-cli/big.bin"); !strings.Contains(out, " 104857600 big.bin") {
		t.Fatalf("ls size: %s", out)
	}
	if out := cli("s3api", "head-object", "--bucket", "e2e-cli", "--key", "big.bin"); !strings.Contains(out, `-13\"`) {
		t.Fatalf("head-object: not a 13-part multipart ETag: %s", out)
	}
	tree := filepath.Join(dir, "tree")
	for _, f := range []string{"a.txt", "sub/b.txt", "sub/deeper/c.txt"} {
		os.MkdirAll(filepath.Dir(filepath.Join(tree, f)), 0o700)
		os.WriteFile(filepath.Join(tree, f), []byte(f), 0o600)
	}
	cli("s3", "sync", tree, "s3://e2e-cli/tree")
	if out := cli("s3", "sync", tree, "s3://e2e-cli/tree"); strings.Contains(out, "upload:") {
		t.Fatalf("second sync uploaded again: %s", out)
	}
	ls := cli("s3", "ls", "--recursive", "s3://e2e-cli")
	for _, k := range []string{"big.bin", "tree/a.txt", "tree/sub/b.txt", "tree/sub/deeper/c.txt"} {
		if !strings.Contains(ls, k) {
			t.Fatalf("ls lacks %s:\n%s", k, ls)
		}
	}
	if out := cli("s3", "ls"); !strings.Contains(out, "e2e-cli") {
		t.Fatalf("ls buckets: %s", out)
	}
	cli("s3", "rb", "--force", "s3://e2e-cli")
	if out := cli("s3", "ls"); strings.Contains(out, "e2e-cli") {
		t.Fatalf("bucket survived rb --force: %s", out)
	}
}

func envWithoutAWS() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "NIMBUS_") {
			out = append(out, kv)
		}
	}
	return out
}

func md5b64(s string) string {
	sum := md5.Sum([]byte(s))
	return base64.StdEncoding.EncodeToString(sum[:])
}
