package e2e

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/nimbuscloud/nimbus/test/e2e/harness"
)

// field is one form field, in order.
type field struct{ name, value string }

// postSigner signs browser POST policies the way upload guides spell it
// out (independently of the server's code): HMAC-SHA256 chain from
// "AWS4"+secret over day, region, "s3", "aws4_request", then over the
// base64 policy.
type postSigner struct {
	accessKey, secret, token, region string
	at                               time.Time
}

func (s postSigner) credential() string {
	return s.accessKey + "/" + s.at.UTC().Format("20060102") + "/" + s.region + "/s3/aws4_request"
}

func (s postSigner) sign(policy string) string {
	mac := func(key []byte, data string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(data))
		return h.Sum(nil)
	}
	k := mac([]byte("AWS4"+s.secret), s.at.UTC().Format("20060102"))
	k = mac(mac(mac(k, s.region), "s3"), "aws4_request")
	return hex.EncodeToString(mac(k, policy))
}

// form returns fields followed by the signature fields, with a policy
// holding conds and a condition for each signature field.
func (s postSigner) form(expires time.Time, conds []any, fields ...field) []field {
	auth := []field{
		{"x-amz-algorithm", "AWS4-HMAC-SHA256"},
		{"x-amz-credential", s.credential()},
		{"x-amz-date", s.at.UTC().Format("20060102T150405Z")},
	}
	if s.token != "" {
		auth = append(auth, field{"x-amz-security-token", s.token})
	}
	for _, f := range auth {
		conds = append(conds, map[string]string{f.name: f.value})
	}
	doc, err := json.Marshal(map[string]any{"expiration": expires.UTC().Format("2006-01-02T15:04:05.000Z"), "conditions": conds})
	if err != nil {
		panic(err)
	}
	policy := base64.StdEncoding.EncodeToString(doc)
	out := append(append(fields, auth...), field{"policy", policy})
	return append(out, field{"x-amz-signature", s.sign(policy)})
}

// postUpload is one multipart/form-data POST.
type postUpload struct {
	url, host   string
	fields      []field
	fileName    string
	file        io.Reader // streamed; size bytes
	size        int64
	after       []field // fields after the file, which S3 ignores
	contentType string  // overrides multipart/form-data
	origin      string
}

func (p postUpload) do(t *testing.T) harness.Response {
	t.Helper()
	var pre bytes.Buffer
	w := multipart.NewWriter(&pre)
	for _, f := range p.fields {
		if err := w.WriteField(f.name, f.value); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.CreateFormFile("file", p.fileName); err != nil {
		t.Fatal(err)
	}
	var post strings.Builder
	for _, f := range p.after {
		post.WriteString("\r\n--" + w.Boundary() + "\r\nContent-Disposition: form-data; name=\"" + f.name + "\"\r\n\r\n" + f.value)
	}
	post.WriteString("\r\n--" + w.Boundary() + "--\r\n")
	req, err := http.NewRequest(http.MethodPost, p.url, io.MultiReader(&pre, p.file, strings.NewReader(post.String())))
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(pre.Len()) + p.size + int64(post.Len())
	req.Header.Set("Content-Type", w.FormDataContentType())
	if p.contentType != "" {
		req.Header.Set("Content-Type", p.contentType)
	}
	if p.host != "" {
		req.Host = p.host
	}
	if p.origin != "" {
		req.Header.Set("Origin", p.origin)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return harness.Response{Status: resp.StatusCode, Header: resp.Header, Body: string(body)}
}

// s3ErrorOf reads an S3 error body.
func s3ErrorOf(t *testing.T, body string) (code, message string) {
	t.Helper()
	var e struct{ Code, Message string }
	if err := xml.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	return e.Code, e.Message
}

// TestS3PostObject drives browser-based POST uploads against the real
// server: signed policies, every response mode, the policy's conditions,
// signature failures, anonymous forms, temporary credentials, and a 10 MiB
// file streamed through.
func TestS3PostObject(t *testing.T) {
	r := harness.Start(t)
	ctx := context.Background()
	c := s3Client(r.AWSConfig())
	const bucket = "e2e-post"
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	endpoint := r.Endpoint + "/" + bucket
	signer := postSigner{accessKey: r.AccessKey, secret: r.SecretKey, region: r.Region, at: time.Now()}
	hour := time.Now().Add(time.Hour)
	// conds are the conditions of a typical upload form; a
	// content-length-range among extra replaces its 1 MiB limit.
	conds := func(extra ...any) []any {
		base := []any{
			map[string]string{"bucket": bucket},
			[]any{"starts-with", "$key", "uploads/"},
			[]any{"starts-with", "$Content-Type", "text/"},
			map[string]string{"x-amz-meta-color": "blue"},
			[]any{"starts-with", "$Cache-Control", ""},
		}
		limit := []any{"content-length-range", 0, 1 << 20}
		for _, e := range extra {
			if l, ok := e.([]any); ok && l[0] == "content-length-range" {
				limit = nil
			}
		}
		if limit != nil {
			base = append(base, limit)
		}
		return append(base, extra...)
	}
	fields := func(extra ...field) []field {
		return append([]field{
			{"key", "uploads/${filename}"},
			{"Content-Type", "text/plain"},
			{"X-Amz-Meta-Color", "blue"},
			{"Cache-Control", "max-age=60"},
		}, extra...)
	}
	upload := func(form []field, name, content string) postUpload {
		return postUpload{url: endpoint, fields: form, fileName: name, file: strings.NewReader(content), size: int64(len(content))}
	}
	head := func(key string) error {
		_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		return err
	}
	getBody := func(key string) (*s3.GetObjectOutput, []byte) {
		t.Helper()
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			t.Fatalf("GetObject %s: %v", key, err)
		}
		defer out.Body.Close()
		b, err := io.ReadAll(out.Body)
		if err != nil {
			t.Fatal(err)
		}
		return out, b
	}
	etagOf := func(b []byte) string { return fmt.Sprintf(`"%x"`, md5.Sum(b)) }

	t.Run("signed upload, 204", func(t *testing.T) {
		content := "hello from a browser\n"
		resp := upload(signer.form(hour, conds(), fields()...), "hello.txt", content).do(t)
		if resp.Status != http.StatusNoContent || resp.Header.Get("ETag") != etagOf([]byte(content)) ||
			resp.Header.Get("Location") != endpoint+"/uploads/hello.txt" || resp.Header.Get("X-Amz-Server-Side-Encryption") != "AES256" {
			t.Fatalf("POST: %d %v %s", resp.Status, resp.Header, resp.Body)
		}
		out, got := getBody("uploads/hello.txt")
		if string(got) != content || aws.ToString(out.ContentType) != "text/plain" || out.Metadata["color"] != "blue" ||
			aws.ToString(out.CacheControl) != "max-age=60" || aws.ToString(out.ETag) != etagOf([]byte(content)) {
			t.Fatalf("GET: %q %+v", got, out)
		}
	})

	t.Run("201 with PostResponse", func(t *testing.T) {
		form := signer.form(hour, conds(map[string]string{"success_action_status": "201"}), fields(field{"success_action_status", "201"})...)
		resp := upload(form, "created.txt", "created").do(t)
		var pr struct{ Location, Bucket, Key, ETag string }
		if resp.Status != http.StatusCreated || xml.Unmarshal([]byte(resp.Body), &pr) != nil {
			t.Fatalf("POST: %d %s", resp.Status, resp.Body)
		}
		if pr.Bucket != bucket || pr.Key != "uploads/created.txt" || pr.ETag != etagOf([]byte("created")) || pr.Location != endpoint+"/uploads/created.txt" {
			t.Fatalf("PostResponse = %+v", pr)
		}
	})

	t.Run("200 and redirect", func(t *testing.T) {
		form := signer.form(hour, conds(map[string]string{"success_action_status": "200"}), fields(field{"success_action_status", "200"})...)
		if resp := upload(form, "ok.txt", "ok").do(t); resp.Status != http.StatusOK || resp.Body != "" {
			t.Fatalf("200: %d %s", resp.Status, resp.Body)
		}
		const done = "https://app.example.com/done?from=form"
		form = signer.form(hour, conds(map[string]string{"success_action_redirect": done}), fields(field{"success_action_redirect", done})...)
		resp := upload(form, "redirected.txt", "moved").do(t)
		if resp.Status != http.StatusSeeOther {
			t.Fatalf("redirect: %d %s", resp.Status, resp.Body)
		}
		loc, err := url.Parse(resp.Header.Get("Location"))
		if err != nil || loc.Host != "app.example.com" || loc.Path != "/done" {
			t.Fatalf("Location %q", resp.Header.Get("Location"))
		}
		q := loc.Query()
		if q.Get("from") != "form" || q.Get("bucket") != bucket || q.Get("key") != "uploads/redirected.txt" || q.Get("etag") != etagOf([]byte("moved")) {
			t.Fatalf("redirect query %v", q)
		}
		if _, got := getBody("uploads/redirected.txt"); string(got) != "moved" {
			t.Fatalf("redirected upload = %q", got)
		}
	})

	t.Run("refused forms store nothing", func(t *testing.T) {
		wrongSecret := signer
		wrongSecret.secret = "not" + signer.secret
		tampered := signer.form(hour, conds(), fields()...)
		for i := range tampered {
			if tampered[i].name == "policy" { // re-encode a policy that allows anything
				doc, _ := base64.StdEncoding.DecodeString(tampered[i].value)
				doc = bytes.Replace(doc, []byte(`"uploads/"`), []byte(`""`), 1)
				tampered[i].value = base64.StdEncoding.EncodeToString(doc)
			}
		}
		swapped := fields()
		swapped[1] = field{"Content-Type", "image/png"}
		tests := []struct {
			name    string
			form    []field
			file    string
			key     string // what must not exist afterwards
			status  int
			code    string
			message string
		}{
			{"expired policy", signer.form(time.Now().Add(-time.Minute), conds(), fields()...), "x", "uploads/refused.txt",
				403, "AccessDenied", "Invalid according to Policy: Policy expired."},
			{"field outside the policy", signer.form(hour, conds(), swapped...), "x", "uploads/refused.txt",
				403, "AccessDenied", `Invalid according to Policy: Policy Condition failed: ["starts-with", "$Content-Type", "text/"]`},
			{"starts-with violated", signer.form(hour, conds(), append([]field{{"key", "elsewhere/${filename}"}}, fields()[1:]...)...), "x", "elsewhere/refused.txt",
				403, "AccessDenied", `Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "uploads/"]`},
			{"extra field", signer.form(hour, conds(), fields(field{"x-amz-meta-extra", "1"})...), "x", "uploads/refused.txt",
				403, "AccessDenied", "Invalid according to Policy: Extra input fields: x-amz-meta-extra"},
			{"policy changed after signing", tampered, "x", "uploads/refused.txt", 403, "SignatureDoesNotMatch", ""},
			{"wrong secret", wrongSecret.form(hour, conds(), fields()...), "x", "uploads/refused.txt", 403, "SignatureDoesNotMatch", ""},
			{"unknown key", postSigner{accessKey: "AKIAUNKNOWNKEY000000", secret: "s", region: r.Region, at: time.Now()}.form(hour, conds(), fields()...), "x",
				"uploads/refused.txt", 403, "InvalidAccessKeyId", ""},
			{"file over content-length-range", signer.form(hour, conds([]any{"content-length-range", 0, 10}), fields()...), "eleven bytes", "uploads/refused.txt",
				400, "EntityTooLarge", ""},
			{"file under content-length-range", signer.form(hour, conds([]any{"content-length-range", 100, 200}), fields()...), "small", "uploads/refused.txt",
				400, "EntityTooSmall", ""},
			{"no key field", signer.form(hour, conds(), fields()[1:]...), "x", "uploads/refused.txt", 400, "InvalidArgument",
				"Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields."},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp := upload(tt.form, "refused.txt", tt.file).do(t)
				code, msg := s3ErrorOf(t, resp.Body)
				if resp.Status != tt.status || code != tt.code || tt.message != "" && msg != tt.message {
					t.Fatalf("got %d %s %q, want %d %s %q", resp.Status, code, msg, tt.status, tt.code, tt.message)
				}
				mustS3(t, head(tt.key), "", 404)
			})
		}
		// The file's length is known before it is read: a 5 MiB file
		// against a 1 MiB range is refused without storing anything.
		big := upload(signer.form(hour, conds(), fields()...), "big.txt", "")
		big.file, big.size = io.LimitReader(zeros{}, 5<<20), 5<<20
		if resp := big.do(t); resp.Status != 400 || !strings.Contains(resp.Body, "<Code>EntityTooLarge</Code>") {
			t.Fatalf("5 MiB over the range: %d %s", resp.Status, resp.Body)
		}
		mustS3(t, head("uploads/big.txt"), "", 404)

		resp := upload(signer.form(hour, conds(), fields()...), "x.txt", "x")
		resp.contentType = "application/x-www-form-urlencoded"
		if got := resp.do(t); got.Status != http.StatusPreconditionFailed || !strings.Contains(got.Body, "<Code>PreconditionFailed</Code>") {
			t.Fatalf("urlencoded POST: %d %s", got.Status, got.Body)
		}
	})

	t.Run("fields after the file", func(t *testing.T) {
		// AWS's sample form has a named submit button after the file:
		// ignored for a file that ends within the server's 64 KiB
		// lookahead, refused (nothing stored) for a larger one.
		small := upload(signer.form(hour, conds(), fields()...), "small.txt", "small file")
		small.after = []field{{"submit", "Upload to Amazon S3"}}
		if resp := small.do(t); resp.Status != http.StatusNoContent {
			t.Fatalf("small file then submit: %d %s", resp.Status, resp.Body)
		}
		if _, got := getBody("uploads/small.txt"); string(got) != "small file" {
			t.Fatalf("small file = %q", got)
		}
		content := strings.Repeat("x", 100<<10)
		large := upload(signer.form(hour, conds(), fields()...), "large.txt", content)
		large.after = []field{{"submit", "Upload to Amazon S3"}}
		resp := large.do(t)
		if code, _ := s3ErrorOf(t, resp.Body); resp.Status != 400 || code != "MalformedPOSTRequest" {
			t.Fatalf("large file then submit: %d %s", resp.Status, resp.Body)
		}
		mustS3(t, head("uploads/large.txt"), "", 404)
	})

	t.Run("10 MiB streamed", func(t *testing.T) {
		const size = 10 << 20
		rng := rand.NewChaCha8([32]byte{7})
		h := md5.New()
		up := upload(signer.form(hour, conds([]any{"content-length-range", 0, 16 << 20}), fields()...), "big.bin", "")
		up.file = io.TeeReader(io.LimitReader(rng, size), h)
		up.size = size
		resp := up.do(t)
		want := fmt.Sprintf(`"%x"`, h.Sum(nil))
		if resp.Status != http.StatusNoContent || resp.Header.Get("ETag") != want {
			t.Fatalf("POST: %d %v %s", resp.Status, resp.Header, resp.Body)
		}
		out, got := getBody("uploads/big.bin")
		check := rand.NewChaCha8([32]byte{7})
		exp := make([]byte, size)
		io.ReadFull(check, exp)
		if !bytes.Equal(got, exp) || aws.ToInt64(out.ContentLength) != size || aws.ToString(out.ETag) != want {
			t.Fatalf("GET: %d bytes, ETag %s", len(got), aws.ToString(out.ETag))
		}
	})

	t.Run("tags, virtual host, CORS", func(t *testing.T) {
		if _, err := c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String(bucket), CORSConfiguration: &types.CORSConfiguration{
			CORSRules: []types.CORSRule{{AllowedOrigins: []string{"https://app.example.com"}, AllowedMethods: []string{"POST"}, ExposeHeaders: []string{"ETag"}}},
		}}); err != nil {
			t.Fatal(err)
		}
		tagging := "<Tagging><TagSet><Tag><Key>project</Key><Value>nimbus</Value></Tag></TagSet></Tagging>"
		up := upload(signer.form(hour, conds(map[string]string{"tagging": tagging}), fields(field{"tagging", tagging})...), "tagged.txt", "tagged")
		up.url, up.host, up.origin = r.Endpoint+"/", bucket+".s3.localhost", "https://app.example.com"
		resp := up.do(t)
		if resp.Status != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
			resp.Header.Get("Location") != "http://"+bucket+".s3.localhost/uploads/tagged.txt" {
			t.Fatalf("POST: %d %v %s", resp.Status, resp.Header, resp.Body)
		}
		tags, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("uploads/tagged.txt")})
		if err != nil || len(tags.TagSet) != 1 || aws.ToString(tags.TagSet[0].Key) != "project" || aws.ToString(tags.TagSet[0].Value) != "nimbus" {
			t.Fatalf("tags %+v %v", tags, err)
		}
	})

	t.Run("temporary credentials", func(t *testing.T) {
		tok, err := sts.NewFromConfig(r.AWSConfig()).GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(900)})
		if err != nil {
			t.Fatal(err)
		}
		temp := postSigner{accessKey: aws.ToString(tok.Credentials.AccessKeyId), secret: aws.ToString(tok.Credentials.SecretAccessKey),
			token: aws.ToString(tok.Credentials.SessionToken), region: r.Region, at: time.Now()}
		if resp := upload(temp.form(hour, conds(), fields()...), "session.txt", "via session").do(t); resp.Status != http.StatusNoContent {
			t.Fatalf("POST with session credentials: %d %s", resp.Status, resp.Body)
		}
		noToken := temp.form(hour, conds(), fields()...)
		for i, f := range noToken {
			if f.name == "x-amz-security-token" {
				noToken = append(noToken[:i], noToken[i+1:]...)
				break
			}
		}
		// The token's condition remains in the (still validly signed)
		// policy; the missing token is refused as S3 does, before it.
		resp := upload(noToken, "session2.txt", "x").do(t)
		if code, _ := s3ErrorOf(t, resp.Body); resp.Status != 403 || code != "InvalidAccessKeyId" {
			t.Fatalf("session key without its token: %d %s", resp.Status, resp.Body)
		}
	})

	t.Run("versioned bucket with default retention", func(t *testing.T) {
		const locked = "e2e-post-lock"
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(locked), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{Bucket: aws.String(locked),
			ObjectLockConfiguration: &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled,
				Rule: &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: types.ObjectLockRetentionModeGovernance, Days: aws.Int32(1)}}}}); err != nil {
			t.Fatal(err)
		}
		form := signer.form(hour, []any{map[string]string{"bucket": locked}, []any{"starts-with", "$key", ""}}, field{"key", "kept.txt"})
		up := upload(form, "kept.txt", "kept")
		up.url = r.Endpoint + "/" + locked
		resp := up.do(t)
		if resp.Status != http.StatusNoContent || resp.Header.Get("X-Amz-Version-Id") == "" {
			t.Fatalf("POST: %d %v %s", resp.Status, resp.Header, resp.Body)
		}
		h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(locked), Key: aws.String("kept.txt")})
		if err != nil || h.ObjectLockMode != types.ObjectLockModeGovernance || aws.ToString(h.VersionId) != resp.Header.Get("X-Amz-Version-Id") {
			t.Fatalf("HeadObject: %+v %v", h, err)
		}
	})

	t.Run("anonymous forms follow the bucket policy", func(t *testing.T) {
		form := fields()
		resp := upload(form, "anon.txt", "anonymous").do(t)
		if code, _ := s3ErrorOf(t, resp.Body); resp.Status != 403 || code != "AccessDenied" {
			t.Fatalf("anonymous POST to a private bucket: %d %s", resp.Status, resp.Body)
		}
		mustS3(t, head("uploads/anon.txt"), "", 404)
		if _, err := c.DeletePublicAccessBlock(ctx, &s3.DeletePublicAccessBlockInput{Bucket: aws.String(bucket)}); err != nil {
			t.Fatal(err)
		}
		public := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::` + bucket + `/uploads/*"}]}`
		if _, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(public)}); err != nil {
			t.Fatal(err)
		}
		if resp := upload(form, "anon.txt", "anonymous").do(t); resp.Status != http.StatusNoContent {
			t.Fatalf("anonymous POST allowed by the bucket policy: %d %s", resp.Status, resp.Body)
		}
		if _, got := getBody("uploads/anon.txt"); string(got) != "anonymous" {
			t.Fatalf("anonymous upload = %q", got)
		}
	})
}

// zeros is an endless stream of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }
