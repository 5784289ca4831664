package s3

import (
	"errors"
	"testing"
	"time"
)

// lockEnv is a bucket with object lock enabled and a settable clock.
func lockEnv(t *testing.T, cfg LockConfig) (*env, *time.Time) {
	t.Helper()
	e := newEnv(t)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	e.s.now = func() time.Time { return now }
	if err := e.s.CreateBucket(e.alice, "locked", ""); err != nil {
		t.Fatal(err)
	}
	if err := e.s.PutBucketVersioning(e.alice, "locked", VersioningEnabled, ""); err != nil {
		t.Fatal(err)
	}
	if err := e.s.PutObjectLockConfiguration(e.alice, "locked", cfg); err != nil {
		t.Fatal(err)
	}
	return e, &now
}

func TestObjectLockEnforced(t *testing.T) {
	day := 24 * time.Hour
	cases := []struct {
		name      string
		put       func(*PutInput, time.Time)
		later     time.Duration // clock moves on before the delete
		bypass    bool
		wantError error // of DeleteObject by version
	}{
		{"no lock", func(*PutInput, time.Time) {}, 0, false, nil},
		{"governance", func(in *PutInput, now time.Time) { in.Retention = Retention{LockGovernance, now.Add(day)} }, 0, false, ErrAccessDenied},
		{"governance bypassed", func(in *PutInput, now time.Time) { in.Retention = Retention{LockGovernance, now.Add(day)} }, 0, true, nil},
		{"compliance", func(in *PutInput, now time.Time) { in.Retention = Retention{LockCompliance, now.Add(day)} }, 0, true, ErrAccessDenied},
		{"compliance expired", func(in *PutInput, now time.Time) { in.Retention = Retention{LockCompliance, now.Add(day)} }, 2 * day, false, nil},
		{"legal hold", func(in *PutInput, now time.Time) { in.LegalHold = true }, 400 * day, true, ErrAccessDenied},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, now := lockEnv(t, LockConfig{Enabled: true})
			p, err := e.put(t, e.alice, "locked", "k", "body", func(in *PutInput) { c.put(in, *now) })
			if err != nil {
				t.Fatal(err)
			}
			// A delete without a version only adds a marker: always allowed.
			if out, err := e.s.DeleteObject(e.alice, "locked", ObjectID{Key: "k"}, DeleteOptions{}); err != nil || !out.DeleteMarker {
				t.Fatalf("marker: %+v %v", out, err)
			}
			*now = now.Add(c.later)
			_, err = e.s.DeleteObject(e.alice, "locked", ObjectID{Key: "k", VersionID: p.VersionID}, DeleteOptions{BypassGovernance: c.bypass})
			if c.wantError == nil && err != nil || c.wantError != nil && !errors.Is(err, c.wantError) {
				t.Fatalf("delete version: %v, want %v", err, c.wantError)
			}
			_, _, gerr := e.get(t, e.alice, GetInput{Bucket: "locked", Key: "k", VersionID: p.VersionID})
			if (gerr == nil) != (c.wantError != nil) {
				t.Fatalf("version readable=%t after delete error %v", gerr == nil, err)
			}
			// DeleteObjects refuses the locked version and goes on.
			if c.wantError != nil {
				res, err := e.s.DeleteObjects(e.alice, "locked", []ObjectID{{Key: "k", VersionID: p.VersionID}, {Key: "other"}}, DeleteOptions{})
				if err != nil || !errors.Is(res[0].Err, ErrAccessDenied) || res[1].Err != nil {
					t.Fatalf("DeleteObjects: %+v %v", res, err)
				}
			}
		})
	}
}

func TestObjectLockRetentionChanges(t *testing.T) {
	e, now := lockEnv(t, LockConfig{Enabled: true, Mode: LockGovernance, Days: 10})
	p, err := e.put(t, e.alice, "locked", "k", "body")
	if err != nil {
		t.Fatal(err)
	}
	id := ObjectID{Key: "k", VersionID: p.VersionID}
	r, err := e.s.GetObjectRetention(e.alice, "locked", id)
	if err != nil || r.Mode != LockGovernance || !r.Until.Equal(now.AddDate(0, 0, 10)) {
		t.Fatalf("default retention %+v %v", r, err)
	}
	later := now.AddDate(0, 0, 20)
	sooner := now.AddDate(0, 0, 5)
	steps := []struct {
		r      Retention
		bypass bool
		want   error
	}{
		{Retention{LockGovernance, sooner}, false, ErrAccessDenied}, // shortening governance needs the bypass
		{Retention{LockGovernance, sooner}, true, nil},
		{Retention{LockCompliance, later}, false, nil},            // extending is always allowed
		{Retention{LockGovernance, later}, true, ErrAccessDenied}, // compliance cannot be weakened
		{Retention{LockCompliance, now.AddDate(0, 0, 5)}, false, ErrAccessDenied},
		{Retention{}, true, ErrAccessDenied},
		{Retention{LockCompliance, now.Add(-time.Hour)}, false, ErrInvalidArgument},
		{Retention{"FOREVER", later}, false, ErrMalformedXML},
	}
	for i, s := range steps {
		err := e.s.PutObjectRetention(e.alice, "locked", id, s.r, DeleteOptions{BypassGovernance: s.bypass})
		if s.want == nil && err != nil || s.want != nil && !errors.Is(err, s.want) {
			t.Fatalf("step %d %+v: %v, want %v", i, s.r, err, s.want)
		}
	}
	if r, _ := e.s.GetObjectRetention(e.alice, "locked", id); r.Mode != LockCompliance || !r.Until.Equal(later) {
		t.Fatalf("final retention %+v", r)
	}
	// Legal hold round trip on the latest version (no version ID).
	if err := e.s.PutObjectLegalHold(e.alice, "locked", ObjectID{Key: "k"}, true); err != nil {
		t.Fatal(err)
	}
	if on, err := e.s.GetObjectLegalHold(e.alice, "locked", id); err != nil || !on {
		t.Fatalf("legal hold %t %v", on, err)
	}
	o, err := e.s.GetObject(e.alice, GetInput{Bucket: "locked", Key: "k", Head: true})
	if err != nil || !o.LegalHold || o.LockMode != LockCompliance {
		t.Fatalf("HEAD lock %+v %v", o, err)
	}
	// Versioning cannot be suspended under object lock.
	mustCode(t, e.s.PutBucketVersioning(e.alice, "locked", VersioningSuspended, ""), ErrInvalidBucketState)
}

func TestObjectLockBadRequests(t *testing.T) {
	e := newEnv(t)
	e.s.CreateBucket(e.alice, "plain", "")
	// Lock configuration needs versioning.
	mustCode(t, e.s.PutObjectLockConfiguration(e.alice, "plain", LockConfig{Enabled: true}), ErrInvalidBucketState)
	_, err := e.s.GetObjectLockConfiguration(e.alice, "plain")
	mustCode(t, err, ErrNoLockConfiguration)
	// A locked write into a bucket without object lock.
	_, err = e.put(t, e.alice, "plain", "k", "x", func(in *PutInput) { in.LegalHold = true })
	mustCode(t, err, ErrInvalidRequest)
	_, err = e.put(t, e.alice, "plain", "k", "x", func(in *PutInput) { in.Retention = Retention{Mode: LockGovernance} })
	mustCode(t, err, ErrInvalidArgument)
	for _, c := range []LockConfig{{}, {Enabled: true, Mode: "X", Days: 1}, {Enabled: true, Mode: LockCompliance, Days: 1, Years: 1}, {Enabled: true, Mode: LockCompliance}} {
		if err := checkLockConfig(c); err == nil {
			t.Errorf("config %+v accepted", c)
		}
	}
	if e.blobs.count() != 0 {
		t.Fatal("refused writes stored bodies")
	}
}
