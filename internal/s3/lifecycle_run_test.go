package s3

import (
	"strings"
	"testing"
	"time"

	"github.com/nimbuscloud/nimbus/internal/s3/lifecycle"
)

// lifecycleEnv is a bucket with a lifecycle configuration and a settable
// clock starting at 2026-01-02 03:04 UTC.
func lifecycleEnv(t *testing.T, versioning string, rules string) (*env, *time.Time) {
	t.Helper()
	e := newEnv(t)
	now := time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)
	e.s.now = func() time.Time { return now }
	if err := e.s.CreateBucket(e.alice, "lcb", ""); err != nil {
		t.Fatal(err)
	}
	if versioning != "" {
		if err := e.s.PutBucketVersioning(e.alice, "lcb", versioning, ""); err != nil {
			t.Fatal(err)
		}
	}
	doc := `<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` + rules + `</LifecycleConfiguration>`
	if err := e.s.PutBucketLifecycle(e.alice, "lcb", []byte(doc)); err != nil {
		t.Fatal(err)
	}
	return e, &now
}

func (e *env) apply(t *testing.T, now time.Time) LifecycleStats {
	t.Helper()
	st, err := e.s.ApplyLifecycle(e.alice, now, lifecycle.Clock{})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestLifecycleExpiresAndTransitions(t *testing.T) {
	e, now := lifecycleEnv(t, "", `
<Rule><ID>tmp</ID><Status>Enabled</Status><Filter><Prefix>tmp/</Prefix></Filter><Expiration><Days>1</Days></Expiration></Rule>
<Rule><ID>cold</ID><Status>Enabled</Status><Filter><Prefix>logs/</Prefix></Filter><Transition><Days>30</Days><StorageClass>STANDARD_IA</StorageClass></Transition></Rule>`)
	big := strings.Repeat("L", 9000) // engine-stored
	for _, k := range []string{"tmp/a", "keep", "logs/big"} {
		if _, err := e.put(t, e.alice, "lcb", k, big); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.put(t, e.alice, "lcb", "logs/small", "tiny"); err != nil {
		t.Fatal(err)
	}
	// Due at midnight UTC after ModTime + 1 day: 2026-01-04 00:00.
	if st := e.apply(t, time.Date(2026, 1, 3, 23, 59, 0, 0, time.UTC)); st != (LifecycleStats{}) {
		t.Fatalf("acted early: %+v", st)
	}
	if st := e.apply(t, time.Date(2026, 1, 4, 0, 0, 0, 0, time.UTC)); st.Expired != 1 || st.Transitioned != 0 {
		t.Fatalf("day 2: %+v", st)
	}
	_, _, err := e.get(t, e.alice, GetInput{Bucket: "lcb", Key: "tmp/a"})
	mustCode(t, err, ErrNoSuchKey)
	if e.blobs.count() != 2 {
		t.Fatalf("expired body kept: %d blobs", e.blobs.count())
	}
	*now = time.Date(2026, 2, 5, 0, 0, 0, 0, time.UTC)
	if st := e.apply(t, *now); st.Transitioned != 2 || st.Expired != 0 {
		t.Fatalf("day 34: %+v", st)
	}
	for _, k := range []string{"logs/big", "logs/small"} {
		body, o, err := e.get(t, e.alice, GetInput{Bucket: "lcb", Key: k})
		if err != nil || o.StorageClass != "STANDARD_IA" || (k == "logs/big" && body != big) {
			t.Fatalf("%s after transition: class %s, %d bytes, %v", k, o.StorageClass, len(body), err)
		}
	}
	if e.blobs.count() != 2 {
		t.Fatalf("transition leaked the old body: %d blobs", e.blobs.count())
	}
	// Already transitioned: a second pass does nothing.
	if st := e.apply(t, *now); st != (LifecycleStats{}) {
		t.Fatalf("second pass: %+v", st)
	}
}

func TestLifecycleNoncurrentAndMarkers(t *testing.T) {
	e, now := lifecycleEnv(t, VersioningEnabled, `
<Rule><ID>nc</ID><Status>Enabled</Status><Filter></Filter>
 <Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>
 <NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>1</NewerNoncurrentVersions></NoncurrentVersionExpiration>
 <AbortIncompleteMultipartUpload><DaysAfterInitiation>2</DaysAfterInitiation></AbortIncompleteMultipartUpload>
</Rule>`)
	var vids []string
	for _, body := range []string{"v1", "v2", "v3", "v4"} {
		p, err := e.put(t, e.alice, "lcb", "k", body)
		if err != nil {
			t.Fatal(err)
		}
		vids = append(vids, p.VersionID)
	}
	// A delete of a key that never existed leaves a lone delete marker.
	if _, err := e.s.DeleteObject(e.alice, "lcb", ObjectID{Key: "solo"}, DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	u, err := e.s.CreateMultipartUpload(e.alice, CreateUploadInput{Bucket: "lcb", Key: "upload"})
	if err != nil {
		t.Fatal(err)
	}
	// Three days on: v1 and v2 go (noncurrent, with the newest
	// noncurrent version v3 kept), the lone marker is removed and the
	// upload aborted; a second pass finds nothing left to do.
	*now = now.AddDate(0, 0, 3)
	if st := e.apply(t, *now); st != (LifecycleStats{VersionsDeleted: 2, MarkersRemoved: 1, UploadsAborted: 1}) {
		t.Fatalf("pass 1: %+v", st)
	}
	if st := e.apply(t, *now); st != (LifecycleStats{}) {
		t.Fatalf("pass 2: %+v", st)
	}
	out, err := e.s.ListObjectVersions(e.alice, VersionsInput{Bucket: "lcb", MaxKeys: 100})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range out.Versions {
		got = append(got, v.Key+"@"+v.VersionID)
	}
	if strings.Join(got, ",") != "k@"+vids[3]+",k@"+vids[2] {
		t.Fatalf("left: %v (want v4, v3)", got)
	}
	_, err = e.s.ListParts(e.alice, ListPartsInput{Bucket: "lcb", Key: "upload", UploadID: u.UploadID})
	mustCode(t, err, ErrNoSuchUpload)
}

func TestLifecycleSkipsLockedVersions(t *testing.T) {
	e, now := lifecycleEnv(t, VersioningEnabled, `
<Rule><ID>nc</ID><Status>Enabled</Status><Filter></Filter><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays></NoncurrentVersionExpiration></Rule>`)
	if err := e.s.PutObjectLockConfiguration(e.alice, "lcb", LockConfig{Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.put(t, e.alice, "lcb", "k", "old", func(in *PutInput) { in.Retention = Retention{LockCompliance, now.AddDate(0, 0, 10)} }); err != nil {
		t.Fatal(err)
	}
	if _, err := e.put(t, e.alice, "lcb", "k", "new"); err != nil {
		t.Fatal(err)
	}
	if st := e.apply(t, now.AddDate(0, 0, 3)); st.Locked != 1 || st.VersionsDeleted != 0 {
		t.Fatalf("locked: %+v", st)
	}
	if st := e.apply(t, now.AddDate(0, 0, 11)); st.VersionsDeleted != 1 {
		t.Fatalf("after retention: %+v", st)
	}
}

func TestLifecycleConfigurationAPI(t *testing.T) {
	e := newEnv(t)
	e.s.CreateBucket(e.alice, "lcb", "")
	_, err := e.s.GetBucketLifecycle(e.alice, "lcb")
	mustCode(t, err, ErrNoSuchLifecycle)
	err = e.s.PutBucketLifecycle(e.alice, "lcb", []byte(`<LifecycleConfiguration><Rule><Status>Enabled</Status></Rule></LifecycleConfiguration>`))
	if le, ok := err.(*lifecycle.Error); !ok || le.Code == "" {
		t.Fatalf("bad rule: %v", err)
	}
	if err := e.s.PutBucketLifecycle(e.bob, "lcb", []byte(`x`)); err == nil {
		t.Fatal("bob set alice's lifecycle")
	}
	good := `<LifecycleConfiguration><Rule><ID>r</ID><Status>Enabled</Status><Filter><Prefix>a</Prefix></Filter><Expiration><Days>3</Days></Expiration></Rule></LifecycleConfiguration>`
	if err := e.s.PutBucketLifecycle(e.alice, "lcb", []byte(good)); err != nil {
		t.Fatal(err)
	}
	doc, err := e.s.GetBucketLifecycle(e.alice, "lcb")
	if err != nil || !strings.Contains(string(doc), "<Days>3</Days>") {
		t.Fatalf("stored %s %v", doc, err)
	}
	if err := e.s.DeleteBucketLifecycle(e.alice, "lcb"); err != nil {
		t.Fatal(err)
	}
	_, err = e.s.GetBucketLifecycle(e.alice, "lcb")
	mustCode(t, err, ErrNoSuchLifecycle)
}
