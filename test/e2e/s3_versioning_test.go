package e2e

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/nimbuscloud/nimbus/test/e2e/harness"
)

func getBody(t *testing.T, c *s3.Client, in *s3.GetObjectInput) (string, *s3.GetObjectOutput) {
	t.Helper()
	out, err := c.GetObject(context.Background(), in)
	if err != nil {
		t.Fatalf("GetObject %s@%s: %v", aws.ToString(in.Key), aws.ToString(in.VersionId), err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), out
}

// TestS3Versioning drives versioning through the SDK: version IDs on
// PUT/GET/HEAD/DELETE/Copy, delete markers (404 with the marker's
// headers, 405 by version ID), ListObjectVersions with paging, restoring
// an old version by copying it, suspension and the "null" version, and
// DeleteObjects by version.
func TestS3Versioning(t *testing.T) {
	s3VersioningScenario(t, harness.Start(t))
}

func s3VersioningScenario(t *testing.T, r *harness.Region) {
	ctx := context.Background()
	c := s3Client(r.AWSConfig())
	b := aws.String("versioned")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	v, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: b})
	if err != nil || v.Status != "" {
		t.Fatalf("new bucket versioning %q %v", v.Status, err)
	}
	// Unversioned: no version ID header.
	p0, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("pre"), Body: strings.NewReader("x")})
	if err != nil || p0.VersionId != nil {
		t.Fatalf("unversioned put: %v %v", aws.ToString(p0.VersionId), err)
	}
	_, err = c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: b,
		VersioningConfiguration: &types.VersioningConfiguration{Status: "Bogus"}})
	mustS3(t, err, "IllegalVersioningConfigurationException", 400)
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: b,
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	if v, _ := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: b}); v.Status != types.BucketVersioningStatusEnabled {
		t.Fatalf("versioning %q", v.Status)
	}
	key := aws.String("doc.txt")
	var ids []string
	bodies := []string{"one", strings.Repeat("two", 3000), "three"} // the second is engine-stored
	for _, body := range bodies {
		p, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: key, Body: strings.NewReader(body)})
		if err != nil || aws.ToString(p.VersionId) == "" {
			t.Fatalf("put: %v %v", p, err)
		}
		ids = append(ids, aws.ToString(p.VersionId))
	}
	for i, id := range ids {
		got, out := getBody(t, c, &s3.GetObjectInput{Bucket: b, Key: key, VersionId: aws.String(id)})
		if got != bodies[i] || aws.ToString(out.VersionId) != id {
			t.Fatalf("version %d: %d bytes, id %s", i, len(got), aws.ToString(out.VersionId))
		}
	}
	if got, out := getBody(t, c, &s3.GetObjectInput{Bucket: b, Key: key}); got != "three" || aws.ToString(out.VersionId) != ids[2] {
		t.Fatalf("latest %q %s", got, aws.ToString(out.VersionId))
	}
	// Delete: a marker; GET is 404 with x-amz-delete-marker; by ID 405.
	d, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: key})
	if err != nil || !aws.ToBool(d.DeleteMarker) || aws.ToString(d.VersionId) == "" {
		t.Fatalf("delete: %+v %v", d, err)
	}
	marker := aws.ToString(d.VersionId)
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: key})
	mustS3(t, err, "NoSuchKey", 404)
	var re *smithyhttp.ResponseError
	if !errors.As(err, &re) || re.Response.Header.Get("X-Amz-Delete-Marker") != "true" || re.Response.Header.Get("X-Amz-Version-Id") != marker {
		t.Fatalf("404 headers %v", re.Response.Header)
	}
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: key, VersionId: aws.String(marker)})
	if !errors.As(err, &re) || re.Response.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("HEAD of a marker: %v", err)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: key, VersionId: aws.String("AAAAAAAAAAAAAAAAAAAAAAAAAA")})
	mustS3(t, err, "NoSuchVersion", 404)
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: key, VersionId: aws.String("not-a-version")})
	mustS3(t, err, "InvalidArgument", 400)

	// ListObjectVersions, a page at a time.
	var seen []string
	var latest []bool
	var markers int
	in := &s3.ListObjectVersionsInput{Bucket: b, MaxKeys: aws.Int32(2)}
	for {
		out, err := c.ListObjectVersions(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range out.Versions {
			seen = append(seen, aws.ToString(v.Key)+"@"+aws.ToString(v.VersionId))
			latest = append(latest, aws.ToBool(v.IsLatest))
		}
		for _, m := range out.DeleteMarkers {
			markers++
			if aws.ToString(m.VersionId) != marker || !aws.ToBool(m.IsLatest) {
				t.Fatalf("marker %+v", m)
			}
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		in.KeyMarker, in.VersionIdMarker = out.NextKeyMarker, out.NextVersionIdMarker
	}
	want := []string{"doc.txt@" + ids[2], "doc.txt@" + ids[1], "doc.txt@" + ids[0], "pre@null"}
	if strings.Join(seen, ",") != strings.Join(want, ",") || markers != 1 || latest[0] || !latest[3] {
		t.Fatalf("versions %v latest %v markers %d", seen, latest, markers)
	}

	// Restore the second version by copying it over the key.
	cp, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: b, Key: key, CopySource: aws.String("versioned/doc.txt?versionId=" + ids[1])})
	if err != nil || aws.ToString(cp.CopySourceVersionId) != ids[1] || aws.ToString(cp.VersionId) == "" {
		t.Fatalf("copy: %+v %v", cp, err)
	}
	if got, _ := getBody(t, c, &s3.GetObjectInput{Bucket: b, Key: key}); got != bodies[1] {
		t.Fatalf("restored %d bytes", len(got))
	}
	// Tagging a specific version.
	if _, err := c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: b, Key: key, VersionId: aws.String(ids[0]),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("old"), Value: aws.String("yes")}}}}); err != nil {
		t.Fatal(err)
	}
	tg, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: b, Key: key, VersionId: aws.String(ids[0])})
	if err != nil || !sameTags(tg.TagSet, map[string]string{"old": "yes"}) || aws.ToString(tg.VersionId) != ids[0] {
		t.Fatalf("version tags %v %v", tg, err)
	}
	if tg, _ := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: b, Key: key}); len(tg.TagSet) != 0 {
		t.Fatalf("latest got the old version's tags: %v", tg.TagSet)
	}

	// DeleteObjects by version ID removes versions for good.
	del, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: b, Delete: &types.Delete{Objects: []types.ObjectIdentifier{
		{Key: key, VersionId: aws.String(ids[0])}, {Key: key, VersionId: aws.String(marker)}, {Key: aws.String("pre")},
	}}})
	if err != nil || len(del.Deleted) != 3 || len(del.Errors) != 0 {
		t.Fatalf("DeleteObjects %+v %v", del, err)
	}
	for _, dd := range del.Deleted {
		switch aws.ToString(dd.Key) {
		case "pre":
			if !aws.ToBool(dd.DeleteMarker) || aws.ToString(dd.DeleteMarkerVersionId) == "" {
				t.Fatalf("pre: %+v", dd)
			}
		default:
			if aws.ToString(dd.VersionId) == marker && !aws.ToBool(dd.DeleteMarker) {
				t.Fatalf("deleting the marker: %+v", dd)
			}
		}
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: key, VersionId: aws.String(ids[0])})
	mustS3(t, err, "NoSuchVersion", 404)

	// Suspended: the "null" version.
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: b,
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusSuspended}}); err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{"s1", "s2"} {
		p, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("s"), Body: strings.NewReader(body)})
		if err != nil || aws.ToString(p.VersionId) != "null" {
			t.Fatalf("suspended put: %v %v", aws.ToString(p.VersionId), err)
		}
	}
	lv, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: b, Prefix: aws.String("s")})
	if err != nil || len(lv.Versions) != 1 || aws.ToString(lv.Versions[0].VersionId) != "null" {
		t.Fatalf("suspended versions %+v %v", lv, err)
	}
	if got, _ := getBody(t, c, &s3.GetObjectInput{Bucket: b, Key: aws.String("s"), VersionId: aws.String("null")}); got != "s2" {
		t.Fatalf("null version %q", got)
	}
	// A bucket holding only versions is not empty.
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: b})
	mustS3(t, err, "BucketNotEmpty", 409)
}

// TestS3VersioningCLI runs the aws CLI's s3api versioning commands.
func TestS3VersioningCLI(t *testing.T) {
	r := harness.Start(t)
	run := func(args ...string) string {
		t.Helper()
		out, errOut, code := r.CLI(t, args...)
		if code != 0 {
			t.Fatalf("aws %v: %d %s", args, code, errOut)
		}
		return out
	}
	run("s3api", "create-bucket", "--bucket", "clivers")
	run("s3api", "put-bucket-versioning", "--bucket", "clivers", "--versioning-configuration", "Status=Enabled")
	if out := run("s3api", "get-bucket-versioning", "--bucket", "clivers"); !strings.Contains(out, `"Enabled"`) {
		t.Fatalf("get-bucket-versioning: %s", out)
	}
	run("s3api", "put-object", "--bucket", "clivers", "--key", "k", "--body", "/etc/hostname")
	run("s3api", "put-object", "--bucket", "clivers", "--key", "k", "--body", "/etc/hostname")
	run("s3api", "delete-object", "--bucket", "clivers", "--key", "k")
	out := run("s3api", "list-object-versions", "--bucket", "clivers")
	if strings.Count(out, `"VersionId"`) != 3 || !strings.Contains(out, `"DeleteMarkers"`) {
		t.Fatalf("list-object-versions: %s", out)
	}
}
