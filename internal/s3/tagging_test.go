package s3

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func tags(kv ...string) []Tag {
	var out []Tag
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, Tag{Key: kv[i], Value: kv[i+1]})
	}
	return out
}

func withTags(t []Tag) func(*PutInput) { return func(in *PutInput) { in.Tags = t } }

func (e *env) tagsOf(t *testing.T, bucket, key string) []Tag {
	t.Helper()
	got, err := e.s.GetObjectTagging(e.alice, bucket, ObjectID{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func (a *fakeAuthz) lastKeys() map[string][]string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.keys[len(a.keys)-1]
}

func TestTagValidation(t *testing.T) {
	eleven := make([]string, 0, 22)
	for i := range 11 {
		eleven = append(eleven, string(rune('a'+i)), "v")
	}
	fifty1 := make([]string, 0, 102)
	for i := range 51 {
		fifty1 = append(fifty1, strings.Repeat("k", i+1), "v")
	}
	for _, tc := range []struct {
		name   string
		tags   []Tag
		bucket bool
		want   error
	}{
		{"ten ok", tags(eleven[:20]...), false, nil},
		{"eleven", tags(eleven...), false, ErrBadRequest},
		{"fifty one on a bucket", tags(fifty1...), true, ErrInvalidTag},
		{"fifty on a bucket", tags(fifty1[:100]...), true, nil},
		{"key 128", tags(strings.Repeat("k", 128), "v"), false, nil},
		{"key 129", tags(strings.Repeat("k", 129), "v"), false, ErrInvalidTag},
		{"value 256", tags("k", strings.Repeat("v", 256)), false, nil},
		{"value 257", tags("k", strings.Repeat("v", 257)), false, ErrInvalidTag},
		// U+1F600 is two UTF-16 units (and four UTF-8 bytes).
		{"key 64 astral", tags(strings.Repeat("😀", 64), "v"), false, nil},
		{"key 65 astral", tags(strings.Repeat("😀", 65), "v"), false, ErrInvalidTag},
		{"value 128 astral", tags("k", strings.Repeat("😀", 128)), false, nil},
		{"value 129 astral", tags("k", strings.Repeat("😀", 129)), false, ErrInvalidTag},
		{"duplicate key", tags("k", "1", "k", "2"), false, ErrInvalidTag},
		{"empty key", tags("", "v"), false, ErrInvalidTag},
		{"empty value ok", tags("k", ""), false, nil},
		{"aws prefix", tags("aws:x", "v"), true, ErrInvalidTag},
	} {
		t.Run(tc.name, func(t *testing.T) {
			check := checkObjectTags
			if tc.bucket {
				check = checkBucketTags
			}
			err := check(tc.tags)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestParseTaggingHeader(t *testing.T) {
	got, err := ParseTaggingHeader("a=1&b%20c=x%26y&empty=&bare")
	if err != nil {
		t.Fatal(err)
	}
	if want := tags("a", "1", "b c", "x&y", "empty", "", "bare", ""); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for _, bad := range []string{"a=1&a=2", "a=%zz"} {
		if _, err := ParseTaggingHeader(bad); !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("%q: got %v, want InvalidArgument", bad, err)
		}
	}
}

func TestObjectTaggingLifecycle(t *testing.T) {
	e := newEnv(t)
	e.s.CreateBucket(e.alice, "bk1", "")

	// Tags given at upload, read back with the object and by GetObjectTagging.
	if _, err := e.put(t, e.alice, "bk1", "k", "one", withTags(tags("a", "1", "b", "2"))); err != nil {
		t.Fatal(err)
	}
	if d := e.az.log[len(e.az.log)-1]; d.action != "s3:PutObjectTagging" {
		t.Fatalf("last decision %+v, want s3:PutObjectTagging", d)
	}
	if k := e.az.lastKeys(); !reflect.DeepEqual(k["s3:RequestObjectTagKeys"], []string{"a", "b"}) || k["s3:RequestObjectTag/a"][0] != "1" {
		t.Fatalf("request keys %v", k)
	}
	_, o, err := e.get(t, e.alice, GetInput{Bucket: "bk1", Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(o.Tags, tags("a", "1", "b", "2")) {
		t.Fatalf("object tags %+v", o.Tags)
	}
	if k := e.az.lastKeys(); k["s3:ExistingObjectTag/b"][0] != "2" {
		t.Fatalf("GetObject keys %v", k)
	}

	// Put/Get/DeleteObjectTagging.
	if err := e.s.PutObjectTagging(e.alice, "bk1", ObjectID{Key: "k"}, tags("c", "3")); err != nil {
		t.Fatal(err)
	}
	if k := e.az.lastKeys(); k["s3:ExistingObjectTag/a"][0] != "1" || k["s3:RequestObjectTag/c"][0] != "3" {
		t.Fatalf("PutObjectTagging keys %v", k)
	}
	if got := e.tagsOf(t, "bk1", "k"); !reflect.DeepEqual(got, tags("c", "3")) {
		t.Fatalf("after put %+v", got)
	}
	mustCode(t, e.s.PutObjectTagging(e.alice, "bk1", ObjectID{Key: "k"}, tags("k", "1", "k", "2")), ErrInvalidTag)
	if err := e.s.DeleteObjectTagging(e.alice, "bk1", ObjectID{Key: "k"}); err != nil {
		t.Fatal(err)
	}
	if got := e.tagsOf(t, "bk1", "k"); len(got) != 0 {
		t.Fatalf("after delete %+v", got)
	}
	mustCode(t, e.s.PutObjectTagging(e.alice, "bk1", ObjectID{Key: "missing"}, tags("a", "1")), ErrNoSuchKey)
	_, err = e.s.GetObjectTagging(e.alice, "bk1", ObjectID{Key: "missing"})
	mustCode(t, err, ErrNoSuchKey)
	if _, err := e.s.GetObjectTagging(e.bob, "bk1", ObjectID{Key: "k"}); err == nil {
		t.Fatal("bob read alice's tags")
	}

	// An overwrite replaces the tags with the new upload's (none here).
	e.s.PutObjectTagging(e.alice, "bk1", ObjectID{Key: "k"}, tags("old", "x"))
	e.put(t, e.alice, "bk1", "k", "two")
	if got := e.tagsOf(t, "bk1", "k"); len(got) != 0 {
		t.Fatalf("overwrite kept tags %+v", got)
	}
	e.put(t, e.alice, "bk1", "k", "three", withTags(tags("new", "y")))
	if got := e.tagsOf(t, "bk1", "k"); !reflect.DeepEqual(got, tags("new", "y")) {
		t.Fatalf("overwrite tags %+v", got)
	}
	// Deleting the object deletes its tags: a new object at the key has none.
	if _, err := e.s.DeleteObject(e.alice, "bk1", ObjectID{Key: "k"}, DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if k := e.az.lastKeys(); k["s3:ExistingObjectTag/new"][0] != "y" {
		t.Fatalf("DeleteObject keys %v", k)
	}
	e.put(t, e.alice, "bk1", "k", "four")
	if got := e.tagsOf(t, "bk1", "k"); len(got) != 0 {
		t.Fatalf("recreated object has tags %+v", got)
	}
	// Too many tags at upload stores nothing.
	_, err = e.put(t, e.alice, "bk1", "k2", "x", withTags(tags("1", "", "2", "", "3", "", "4", "", "5", "", "6", "", "7", "", "8", "", "9", "", "10", "", "11", "")))
	mustCode(t, err, ErrBadRequest)
}

func TestCopyTaggingDirective(t *testing.T) {
	e := newEnv(t)
	e.s.CreateBucket(e.alice, "bk1", "")
	e.put(t, e.alice, "bk1", "src", "body", withTags(tags("a", "1")))
	e.put(t, e.alice, "bk1", "dst", "old", withTags(tags("gone", "1")))
	if _, err := e.s.CopyObject(e.alice, CopyInput{SrcBucket: "bk1", SrcKey: "src", Bucket: "bk1", Key: "dst"}); err != nil {
		t.Fatal(err)
	}
	if got := e.tagsOf(t, "bk1", "dst"); !reflect.DeepEqual(got, tags("a", "1")) {
		t.Fatalf("COPY tags %+v", got)
	}
	if _, err := e.s.CopyObject(e.alice, CopyInput{SrcBucket: "bk1", SrcKey: "src", Bucket: "bk1", Key: "dst2", ReplaceTags: true, Tags: tags("b", "2")}); err != nil {
		t.Fatal(err)
	}
	if got := e.tagsOf(t, "bk1", "dst2"); !reflect.DeepEqual(got, tags("b", "2")) {
		t.Fatalf("REPLACE tags %+v", got)
	}
	if _, err := e.s.CopyObject(e.alice, CopyInput{SrcBucket: "bk1", SrcKey: "src", Bucket: "bk1", Key: "dst3", ReplaceTags: true}); err != nil {
		t.Fatal(err)
	}
	if got := e.tagsOf(t, "bk1", "dst3"); len(got) != 0 {
		t.Fatalf("REPLACE with none %+v", got)
	}
	_, err := e.s.CopyObject(e.alice, CopyInput{SrcBucket: "bk1", SrcKey: "src", Bucket: "bk1", Key: "dst4", ReplaceTags: true, Tags: tags("", "x")})
	mustCode(t, err, ErrInvalidTag)
}

func TestMultipartTags(t *testing.T) {
	m := newMP(t)
	m.put(t, m.alice, "bk1", "obj", "old", withTags(tags("old", "1")))
	id := m.create("obj", func(in *CreateUploadInput) { in.Tags = tags("mp", "yes") })
	// Until Complete the current object keeps its own tags.
	if got := m.tagsOf(t, "bk1", "obj"); !reflect.DeepEqual(got, tags("old", "1")) {
		t.Fatalf("before complete %+v", got)
	}
	p := m.mustPart("obj", id, 1, []byte("hello"))
	if _, err := m.complete("obj", id, p); err != nil {
		t.Fatal(err)
	}
	if got := m.tagsOf(t, "bk1", "obj"); !reflect.DeepEqual(got, tags("mp", "yes")) {
		t.Fatalf("after complete %+v", got)
	}
	_, err := m.s.CreateMultipartUpload(m.alice, CreateUploadInput{Bucket: "bk1", Key: "obj", Tags: tags("a", "1", "a", "2")})
	mustCode(t, err, ErrInvalidTag)
	// A pending upload keeps the tags it was created with.
	m.create("pending", func(in *CreateUploadInput) { in.Tags = tags("p", "1") })
	l, err := m.s.ListMultipartUploads(m.alice, ListUploadsInput{Bucket: "bk1"})
	if err != nil || len(l.Uploads) != 1 || !reflect.DeepEqual(l.Uploads[0].Tags, tags("p", "1")) {
		t.Fatalf("list %+v %v", l, err)
	}
}

func TestExistingObjectTagDenies(t *testing.T) {
	e := newEnv(t)
	e.s.CreateBucket(e.alice, "bk1", "")
	e.put(t, e.alice, "bk1", "secret", "s", withTags(tags("secret", "yes")))
	e.put(t, e.alice, "bk1", "open", "o")
	e.az.deny = func(action string, keys map[string][]string) error {
		if action == "s3:GetObject" && len(keys["s3:ExistingObjectTag/secret"]) == 1 && keys["s3:ExistingObjectTag/secret"][0] == "yes" {
			return errors.New("denied by tag")
		}
		return nil
	}
	if _, _, err := e.get(t, e.alice, GetInput{Bucket: "bk1", Key: "secret"}); err == nil {
		t.Fatal("tagged object was read")
	}
	if _, _, err := e.get(t, e.alice, GetInput{Bucket: "bk1", Key: "secret", Head: true}); err == nil {
		t.Fatal("tagged object was headed")
	}
	if got, _, err := e.get(t, e.alice, GetInput{Bucket: "bk1", Key: "open"}); err != nil || got != "o" {
		t.Fatalf("untagged object: %q %v", got, err)
	}
	// Copying the tagged object reads it: denied too.
	if _, err := e.s.CopyObject(e.alice, CopyInput{SrcBucket: "bk1", SrcKey: "secret", Bucket: "bk1", Key: "leak"}); err == nil {
		t.Fatal("tagged object was copied")
	}
}

func TestBucketTagging(t *testing.T) {
	e := newEnv(t)
	e.s.CreateBucket(e.alice, "bk1", "")
	_, err := e.s.GetBucketTagging(e.alice, "bk1")
	mustCode(t, err, ErrNoSuchTagSet)
	if err := e.s.PutBucketTagging(e.alice, "bk1", tags("team", "infra", "env", "prod")); err != nil {
		t.Fatal(err)
	}
	if d := e.az.last(); d.action != "s3:PutBucketTagging" {
		t.Fatalf("decision %+v", d)
	}
	got, err := e.s.GetBucketTagging(e.alice, "bk1")
	if err != nil || !reflect.DeepEqual(got, tags("team", "infra", "env", "prod")) {
		t.Fatalf("got %+v %v", got, err)
	}
	if _, err := e.s.GetBucketTagging(e.bob, "bk1"); err == nil {
		t.Fatal("bob read alice's bucket tags")
	}
	mustCode(t, e.s.PutBucketTagging(e.alice, "bk1", tags("a", "1", "a", "2")), ErrInvalidTag)
	if err := e.s.DeleteBucketTagging(e.alice, "bk1"); err != nil {
		t.Fatal(err)
	}
	_, err = e.s.GetBucketTagging(e.alice, "bk1")
	mustCode(t, err, ErrNoSuchTagSet)
	mustCode(t, e.s.PutBucketTagging(e.alice, "nope", tags("a", "1")), ErrNoSuchBucket)
}

// FuzzParseTaggingHeader: the x-amz-tagging parser never panics, and what
// it accepts has unique keys.
func FuzzParseTaggingHeader(f *testing.F) {
	for _, s := range []string{"a=1&b=2", "a%20b=c%26d", "a=1&a=2", "=", "&&", "%zz=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTaggingHeader(s)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, tg := range got {
			if seen[tg.Key] {
				t.Fatalf("%q: duplicate key %q accepted", s, tg.Key)
			}
			seen[tg.Key] = true
		}
	})
}
