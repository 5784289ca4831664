package s3

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// afterAuthz makes fn run once, right after the next decision on action.
func (e *env) afterAuthz(action string, fn func()) {
	e.az.mu.Lock()
	defer e.az.mu.Unlock()
	if e.az.once == nil {
		e.az.once = map[string]func(){}
	}
	e.az.once[action] = fn
}

// recreate has alice delete her bucket and bob create one of the same name.
func (e *env) recreate(t *testing.T, bucket string, bobKeys ...string) func() {
	return func() {
		if err := e.s.DeleteBucket(e.alice, bucket); err != nil {
			t.Errorf("delete bucket: %v", err)
			return
		}
		if err := e.s.CreateBucket(e.bob, bucket, ""); err != nil {
			t.Errorf("bob create: %v", err)
			return
		}
		for _, k := range bobKeys {
			if _, err := e.put(t, e.bob, bucket, k, "bob's"); err != nil {
				t.Errorf("bob put: %v", err)
			}
		}
	}
}

// A write authorized against a bucket must not commit into another bucket
// that re-used its name (here: another account's) meanwhile.
func TestCommitChecksBucketIdentity(t *testing.T) {
	for _, size := range []int{10, 5000} { // inline and engine bodies
		t.Run(fmt.Sprintf("put%d", size), func(t *testing.T) {
			e := newEnv(t)
			e.s.CreateBucket(e.alice, "x1x", "")
			e.afterAuthz("s3:PutObject", e.recreate(t, "x1x"))
			_, err := e.put(t, e.alice, "x1x", "k", strings.Repeat("a", size))
			mustCode(t, err, ErrNoSuchBucket)
			if _, _, err := e.get(t, e.bob, GetInput{Bucket: "x1x", Key: "k"}); !errors.Is(err, ErrNoSuchKey) {
				t.Fatalf("alice's object landed in bob's bucket: %v", err)
			}
			if e.blobs.count() != 0 {
				t.Fatalf("%d blobs left", e.blobs.count())
			}
		})
	}
	t.Run("copy", func(t *testing.T) {
		e := newEnv(t)
		e.s.CreateBucket(e.alice, "src", "")
		e.s.CreateBucket(e.alice, "x1x", "")
		e.put(t, e.alice, "src", "k", strings.Repeat("c", 5000))
		e.afterAuthz("s3:PutObject", e.recreate(t, "x1x"))
		_, err := e.s.CopyObject(e.alice, CopyInput{SrcBucket: "src", SrcKey: "k", Bucket: "x1x", Key: "k"})
		mustCode(t, err, ErrNoSuchBucket)
		if _, _, err := e.get(t, e.bob, GetInput{Bucket: "x1x", Key: "k"}); !errors.Is(err, ErrNoSuchKey) {
			t.Fatalf("alice's copy landed in bob's bucket: %v", err)
		}
		if e.blobs.count() != 1 {
			t.Fatalf("%d blobs, want only the source's", e.blobs.count())
		}
	})
	t.Run("delete", func(t *testing.T) {
		e := newEnv(t)
		e.s.CreateBucket(e.alice, "x1x", "")
		e.afterAuthz("s3:DeleteObject", e.recreate(t, "x1x", "k"))
		_, err := e.s.DeleteObject(e.alice, "x1x", ObjectID{Key: "k"}, DeleteOptions{})
		mustCode(t, err, ErrNoSuchBucket)
		if body, _, err := e.get(t, e.bob, GetInput{Bucket: "x1x", Key: "k"}); err != nil || body != "bob's" {
			t.Fatalf("alice deleted bob's object: %q %v", body, err)
		}
	})
	t.Run("delete objects", func(t *testing.T) {
		e := newEnv(t)
		e.s.CreateBucket(e.alice, "x1x", "")
		e.afterAuthz("s3:DeleteObject", e.recreate(t, "x1x", "k"))
		_, err := e.s.DeleteObjects(e.alice, "x1x", ids("k"), DeleteOptions{})
		mustCode(t, err, ErrNoSuchBucket)
		if body, _, err := e.get(t, e.bob, GetInput{Bucket: "x1x", Key: "k"}); err != nil || body != "bob's" {
			t.Fatalf("alice deleted bob's object: %q %v", body, err)
		}
	})
	t.Run("create upload", func(t *testing.T) {
		e := newEnv(t)
		e.s.CreateBucket(e.alice, "x1x", "")
		e.afterAuthz("s3:PutObject", e.recreate(t, "x1x"))
		_, err := e.s.CreateMultipartUpload(e.alice, CreateUploadInput{Bucket: "x1x", Key: "k"})
		mustCode(t, err, ErrNoSuchBucket)
	})
}
