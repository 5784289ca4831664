package s3

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nimbuscloud/nimbus/internal/caller"
	"github.com/nimbuscloud/nimbus/internal/checksum"
	"github.com/nimbuscloud/nimbus/internal/secret"
	"github.com/nimbuscloud/nimbus/internal/store/sqlite"
)

// fakeBlobs is an in-memory engine (unit tests only).
type fakeBlobs struct {
	mu   sync.Mutex
	n    int
	objs map[string][]byte
	// putHook, when set, runs first in every Put, which fails with its
	// error before reading anything; readHook runs first in every Read.
	putHook  func() error
	readHook func()
}

func (f *fakeBlobs) Put(ctx context.Context, class string, size int64, r io.Reader) (Blob, error) {
	f.mu.Lock()
	hook := f.putHook
	f.mu.Unlock()
	if hook != nil {
		if err := hook(); err != nil {
			return Blob{}, err
		}
	}
	var b bytes.Buffer
	if _, err := io.CopyN(&b, r, size); err != nil {
		return Blob{}, err
	}
	var one [1]byte
	if n, err := r.Read(one[:]); n > 0 || err != io.EOF { // the engine requires the body's clean end
		return Blob{}, fmt.Errorf("body did not end cleanly: %v", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	id := fmt.Sprintf("blob%04d", f.n)
	f.objs[id] = b.Bytes()
	return Blob{ID: id, Ref: []byte(id)}, nil
}

func (f *fakeBlobs) Read(ctx context.Context, ref []byte, w io.Writer, off, n int64) (int64, error) {
	f.mu.Lock()
	hook := f.readHook
	f.mu.Unlock()
	if hook != nil {
		hook()
	}
	f.mu.Lock()
	b, ok := f.objs[string(ref)]
	f.mu.Unlock()
	if !ok {
		return 0, errors.New("no such blob")
	}
	k, err := w.Write(b[off : off+n])
	return int64(k), err
}

func (f *fakeBlobs) Delete(ctx context.Context, ref []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.objs, string(ref))
	return nil
}

func (f *fakeBlobs) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.objs)
}

type decision struct{ action, resource, account string }

// fakeAuthz records every decision; it allows callers on their own
// account's resources and denies others (no bucket policies yet).
type fakeAuthz struct {
	mu  sync.Mutex
	log []decision
	// once runs, a single time, after the next decision on the action it
	// is keyed by (tests use it to interleave another request).
	once map[string]func()
	// policies are the resource policies passed, one per decision.
	policies []string
	// crossAccount allows callers of other accounts too.
	crossAccount bool
	// keys are the condition keys passed, one per decision.
	keys []map[string][]string
	// deny, when set, may deny a decision by its action and keys.
	deny func(action string, keys map[string][]string) error
}

func (a *fakeAuthz) AuthorizeWithPolicy(ctx context.Context, action, resource, account, policy string, keys map[string][]string) error {
	a.mu.Lock()
	a.log = append(a.log, decision{action, resource, account})
	a.policies = append(a.policies, policy)
	a.keys = append(a.keys, keys)
	cross := a.crossAccount
	deny := a.deny
	hook := a.once[action]
	delete(a.once, action)
	a.mu.Unlock()
	if hook != nil {
		defer hook()
	}
	c := caller.From(ctx)
	if c == nil || c.Anonymous() || (c.Principal.AccountID != account && !cross) {
		return errors.New("denied")
	}
	if deny != nil {
		return deny(action, keys)
	}
	return nil
}

func (a *fakeAuthz) last() decision {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.log[len(a.log)-1]
}

type env struct {
	s     *Service
	blobs *fakeBlobs
	az    *fakeAuthz
	alice context.Context
	bob   context.Context
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{blobs: &fakeBlobs{objs: map[string][]byte{}}, az: &fakeAuthz{}}
	clock := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	box, err := secret.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	e.s = New(st, e.blobs, e.az, Options{Region: "us-east-1", Now: func() time.Time { clock = clock.Add(time.Second); return clock }, Sealer: box})
	if err := e.s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	who := func(acct string) context.Context {
		return caller.With(ctx, &caller.Caller{Principal: caller.Principal{Type: caller.Root, AccountID: acct, ARN: "arn:aws:iam::" + acct + ":root"}})
	}
	e.alice, e.bob = who("111111111111"), who("222222222222")
	return e
}

func (e *env) put(t *testing.T, ctx context.Context, bucket, key, body string, mod ...func(*PutInput)) (*Put, error) {
	t.Helper()
	in := PutInput{Bucket: bucket, Key: key, Size: int64(len(body)), Body: strings.NewReader(body)}
	for _, m := range mod {
		m(&in)
	}
	return e.s.PutObject(ctx, in)
}

func (e *env) get(t *testing.T, ctx context.Context, in GetInput) (string, *Object, error) {
	t.Helper()
	o, err := e.s.GetObject(ctx, in)
	if err != nil {
		return "", o, err
	}
	defer o.Close()
	var b bytes.Buffer
	if _, err := o.WriteTo(ctx, &b); err != nil {
		t.Fatal(err)
	}
	return b.String(), o, nil
}

func mustCode(t *testing.T, err error, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("got %v, want %v", err, want)
	}
}

func TestBuckets(t *testing.T) {
	e := newEnv(t)
	if err := e.s.CreateBucket(e.alice, "photos", ""); err != nil {
		t.Fatal(err)
	}
	if d := e.az.last(); d != (decision{"s3:CreateBucket", "arn:aws:s3:::photos", "111111111111"}) {
		t.Fatalf("decision %+v", d)
	}
	if err := e.s.CreateBucket(e.alice, "photos", ""); err != nil {
		t.Fatalf("us-east-1 re-create by owner: %v (want 200)", err)
	}
	mustCode(t, e.s.CreateBucket(e.bob, "photos", ""), ErrBucketAlreadyExists)
	mustCode(t, e.s.CreateBucket(e.alice, "Bad_Name", ""), ErrInvalidBucketName)
	mustCode(t, e.s.CreateBucket(e.alice, "other", "us-east-1"), ErrInvalidLocation)
	mustCode(t, e.s.CreateBucket(e.alice, "other", "eu-west-1"), ErrIllegalLocation)
	mustCode(t, e.s.CreateBucket(e.alice, "other", "nowhere"), ErrInvalidLocation)
	mustCode(t, e.s.CreateBucket(context.Background(), "anon", ""), ErrAccessDenied)

	owner, bs, err := e.s.ListBuckets(e.alice)
	if err != nil || owner != "111111111111" || len(bs) != 1 || bs[0].Name != "photos" {
		t.Fatalf("alice's buckets: %v %v", bs, err)
	}
	if _, bs, _ := e.s.ListBuckets(e.bob); len(bs) != 0 {
		t.Fatalf("bob sees %v", bs)
	}
	if d := e.az.last(); d.action != "s3:ListAllMyBuckets" || d.resource != "*" {
		t.Fatalf("decision %+v", d)
	}
	if _, err := e.s.Bucket(e.bob, "photos", "s3:ListBucket"); err == nil || e.az.last().account != "111111111111" {
		t.Fatalf("bob's HeadBucket: %v %+v", err, e.az.last())
	}
	_, err = e.s.Bucket(e.alice, "missing", "s3:ListBucket")
	mustCode(t, err, ErrNoSuchBucket)

	if _, err := e.put(t, e.alice, "photos", "k", "v"); err != nil {
		t.Fatal(err)
	}
	mustCode(t, e.s.DeleteBucket(e.alice, "photos"), ErrBucketNotEmpty)
	if _, err := e.s.DeleteObject(e.alice, "photos", ObjectID{Key: "k"}, DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := e.s.DeleteBucket(e.alice, "photos"); err != nil {
		t.Fatal(err)
	}
	mustCode(t, e.s.DeleteBucket(e.alice, "photos"), ErrNoSuchBucket)
}

func TestBucketAlreadyOwnedOutsideUSEast1(t *testing.T) {
	e := newEnv(t)
	e.s.region = "eu-west-1"
	if err := e.s.CreateBucket(e.alice, "b-eu", "eu-west-1"); err != nil {
		t.Fatal(err)
	}
	mustCode(t, e.s.CreateBucket(e.alice, "b-eu", "eu-west-1"), ErrBucketAlreadyOwnedByYou)
	mustCode(t, e.s.CreateBucket(e.alice, "b-eu2", ""), ErrIllegalLocation)
}

func TestPutGetInlineAndEngine(t *testing.T) {
	e := newEnv(t)
	e.s.CreateBucket(e.alice, "bk1", "")
	small, big := "hello", strings.Repeat("0123456789", 1000) // 5 B inline, 10 kB in the engine
	for _, body := range []string{small, big} {
		put, err := e.put(t, e.alice, "bk1", "k/"+fmt.Sprint(len(body)), body, func(in *PutInput) {
			in.ContentType, in.Metadata = "text/plain", map[string]string{"color": "blue"}
		})
		if err != nil {
			t.Fatal(err)
		}
		sum := md5.Sum([]byte(body))
		if put.ETag != fmt.Sprintf("%x", sum) || put.ChecksumAlgorithm != checksum.CRC64NVME {
			t.Fatalf("put %+v", put)
		}
		got, o, err := e.get(t, e.alice, GetInput{Bucket: "bk1", Key: "k/" + fmt.Sprint(len(body))})
		if err != nil || got != body || o.ContentType != "text/plain" || o.Metadata["color"] != "blue" {
			t.Fatalf("get: %v %q %+v", err, got[:min(len(got), 20)], o)
		}
		got, o, err = e.get(t, e.alice, GetInput{Bucket: "bk1", Key: "k/" + fmt.Sprint(len(body)), Range: &Range{First: -1, Last: -1, Suffix: 3}})
		if err != nil || got != body[len(body)-3:] || !o.Partial || o.Start != int64(len(body)-3) {
			t.Fatalf("suffix range: %v %q %+v", err, got, o)
		}
	}
	if e.blobs.count() != 1 {
		t.Fatalf("engine holds %d blobs, want 1 (small body inline)", e.blobs.count())
	}
	// overwrite: the old body goes after the commit
	if _, err := e.put(t, e.alice, "bk1", "k/10000", big+"!"); err != nil {
		t.Fatal(err)
	}
	if e.blobs.count() != 1 {
		t.Fatalf("engine holds %d blobs after overwrite, want 1", e.blobs.count())
	}
	got, _, _ := e.get(t, e.alice, GetInput{Bucket: "bk1", Key: "k/10000"})
	if got != big+"!" {
		t.Fatal("overwrite not visible")
	}
	_, _, err := e.get(t, e.bob, GetInput{Bucket: "bk1", Key: "k/5"})
	if err == nil {
		t.Fatal("bob read alice's object")
	}
	_, _, err = e.get(t, e.alice, GetInput{Bucket: "bk1", Key: "nope"})
	mustCode(t, err, ErrNoSuchKey)
}

func TestPutRejectsBadBodies(t *testing.T) {
	e := newEnv(t)
	e.s.CreateBucket(e.alice, "bk1", "")
	body := strings.Repeat("x", 9000)
	wrongMD5 := base64.StdEncoding.EncodeToString(make([]byte, 16))
	crc := checksum.New(checksum.CRC32)
	crc.Write([]byte(body))
	goodCRC := checksum.Encode(crc.Sum(nil))
	tests := []struct {
		name string
		mod  func(*PutInput)
		want error
	}{
		{"wrong md5", func(in *PutInput) { in.ContentMD5 = wrongMD5 }, ErrBadDigest},
		{"bad md5", func(in *PutInput) { in.ContentMD5 = "nope" }, ErrInvalidDigest},
		{"wrong crc32", func(in *PutInput) { in.Checksums = map[checksum.Algorithm]string{checksum.CRC32: "AAAAAA=="} }, ErrBadDigest},
		{"wrong trailer", func(in *PutInput) {
			in.TrailerAlgorithm = checksum.CRC32
			in.Trailer = func() map[string]string { return map[string]string{"x-amz-checksum-crc32": "AAAAAA=="} }
		}, ErrBadDigest},
		{"short body", func(in *PutInput) { in.Size = 10000 }, ErrIncompleteBody},
		{"failing body", func(in *PutInput) { in.Body = io.MultiReader(strings.NewReader("abc"), errReader{}) }, errCut},
		{"key too long", func(in *PutInput) { in.Key = strings.Repeat("k", 1025) }, ErrKeyTooLong},
		{"metadata", func(in *PutInput) { in.Metadata = map[string]string{"m": strings.Repeat("v", 2048)} }, ErrMetadataTooLarge},
		{"class", func(in *PutInput) { in.StorageClass = "DEEP_ARCHIVE" }, ErrInvalidStorageClass},
		{"no length", func(in *PutInput) { in.Size = -1 }, ErrMissingContentLength},
		{"no bucket", func(in *PutInput) { in.Bucket = "nope" }, ErrNoSuchBucket},
	}
	for _, tt := range tests {
		_, err := e.put(t, e.alice, "bk1", "k", body, tt.mod)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}
	if e.blobs.count() != 0 {
		t.Fatalf("%d blobs left behind", e.blobs.count())
	}
	if _, _, err := e.get(t, e.alice, GetInput{Bucket: "bk1", Key: "k"}); !errors.Is(err, ErrNoSuchKey) {
		t.Fatalf("a failed PUT left an object: %v", err)
	}
	put, err := e.put(t, e.alice, "bk1", "k", body, func(in *PutInput) {
		in.Checksums = map[checksum.Algorithm]string{checksum.CRC32: goodCRC}
	})
	if err != nil || put.Checksum != goodCRC {
		t.Fatalf("good crc32: %v %+v", err, put)
	}
	_, err = e.put(t, e.alice, "bk1", "k", body, func(in *PutInput) { in.IfNoneMatch = "*" })
	mustCode(t, err, ErrPreconditionFailed)
	if e.blobs.count() != 1 {
		t.Fatalf("%d blobs after conditional failure", e.blobs.count())
	}
}

var errCut = errors.New("client went away")

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errCut }

func TestConditionsAndRanges(t *testing.T) {
	e := newEnv(t)
	e.s.CreateBucket(e.alice, "bk1", "")
	put, _ := e.put(t, e.alice, "bk1", "k", "0123456789")
	lm := put.LastModified.Truncate(time.Second)
	tests := []struct {
		name string
		c    Conditions
		r    *Range
		want error
		body string
	}{
		{"if-match ok", Conditions{IfMatch: `"` + put.ETag + `"`}, nil, nil, "0123456789"},
		{"if-match fails", Conditions{IfMatch: `"x"`}, nil, ErrPreconditionFailed, ""},
		{"if-match beats unmodified-since", Conditions{IfMatch: "*", IfUnmodifiedSince: lm.Add(-time.Hour)}, nil, nil, "0123456789"},
		{"unmodified-since fails", Conditions{IfUnmodifiedSince: lm.Add(-time.Hour)}, nil, ErrPreconditionFailed, ""},
		{"none-match", Conditions{IfNoneMatch: put.ETag}, nil, ErrNotModified, ""},
		{"none-match beats modified-since", Conditions{IfNoneMatch: put.ETag, IfModifiedSince: lm.Add(-time.Hour)}, nil, ErrNotModified, ""},
		{"modified-since", Conditions{IfModifiedSince: lm}, nil, ErrNotModified, ""},
		{"412 before 304", Conditions{IfMatch: "x", IfNoneMatch: put.ETag}, nil, ErrPreconditionFailed, ""},
		{"range", Conditions{}, &Range{First: 2, Last: 4}, nil, "234"},
		{"open range", Conditions{}, &Range{First: 7, Last: -1}, nil, "789"},
		{"range past end clamps", Conditions{}, &Range{First: 8, Last: 100}, nil, "89"},
		{"suffix larger than size", Conditions{}, &Range{First: -1, Last: -1, Suffix: 50}, nil, "0123456789"},
		{"range beyond size", Conditions{}, &Range{First: 10, Last: 20}, ErrInvalidRange, ""},
		{"empty suffix", Conditions{}, &Range{First: -1, Last: -1, Suffix: 0}, ErrInvalidRange, ""},
	}
	for _, tt := range tests {
		got, o, err := e.get(t, e.alice, GetInput{Bucket: "bk1", Key: "k", Conditions: tt.c, Range: tt.r})
		if !errors.Is(err, tt.want) || (tt.want == nil && got != tt.body) {
			t.Errorf("%s: got %q %v, want %q %v", tt.name, got, err, tt.body, tt.want)
		}
		if tt.want != nil && o == nil {
			t.Errorf("%s: no object returned with the error (headers need it)", tt.name)
		}
	}
}

func TestCopy(t *testing.T) {
	e := newEnv(t)
	e.s.CreateBucket(e.alice, "bk1", "")
	e.s.CreateBucket(e.alice, "bk2", "")
	big := strings.Repeat("z", 6000)
	e.put(t, e.alice, "bk1", "src", big, func(in *PutInput) { in.Metadata = map[string]string{"a": "1"}; in.ContentType = "x/y" })
	put, err := e.s.CopyObject(e.alice, CopyInput{SrcBucket: "bk1", SrcKey: "src", Bucket: "bk2", Key: "dst"})
	if err != nil {
		t.Fatal(err)
	}
	got, o, _ := e.get(t, e.alice, GetInput{Bucket: "bk2", Key: "dst"})
	if got != big || o.Metadata["a"] != "1" || o.ContentType != "x/y" || o.ETag != put.ETag {
		t.Fatalf("copy: %+v", o)
	}
	_, err = e.s.CopyObject(e.alice, CopyInput{SrcBucket: "bk1", SrcKey: "src", Bucket: "bk1", Key: "src"})
	mustCode(t, err, ErrInvalidRequest)
	if _, err := e.s.CopyObject(e.alice, CopyInput{SrcBucket: "bk1", SrcKey: "src", Bucket: "bk1", Key: "src", Replace: true, Metadata: map[string]string{"b": "2"}}); err != nil {
		t.Fatal(err)
	}
	_, o, _ = e.get(t, e.alice, GetInput{Bucket: "bk1", Key: "src"})
	if o.Metadata["b"] != "2" || o.Metadata["a"] != "" || o.ContentType != "" {
		t.Fatalf("replace: %+v", o)
	}
	_, err = e.s.CopyObject(e.alice, CopyInput{SrcBucket: "bk1", SrcKey: "src", Bucket: "bk2", Key: "x", Source: Conditions{IfNoneMatch: o.ETag}})
	mustCode(t, err, ErrPreconditionFailed)
	_, err = e.s.CopyObject(e.bob, CopyInput{SrcBucket: "bk1", SrcKey: "src", Bucket: "bk2", Key: "x"})
	if err == nil {
		t.Fatal("bob copied into alice's bucket")
	}
	if e.blobs.count() != 2 {
		t.Fatalf("blobs %d, want 2", e.blobs.count())
	}
}

func TestListObjects(t *testing.T) {
	e := newEnv(t)
	e.s.CreateBucket(e.alice, "bk1", "")
	keys := []string{"a.txt", "dir/1", "dir/2", "dir/sub/3", "dir2/x", "e", "photos/2024/a", "photos/2024/b", "photos/2025/c", "z"}
	for _, k := range keys {
		e.put(t, e.alice, "bk1", k, "v")
	}
	list := func(in ListInput) *ListOutput {
		t.Helper()
		in.Bucket = "bk1"
		if in.MaxKeys == 0 {
			in.MaxKeys = 1000
		}
		out, err := e.s.ListObjects(e.alice, in)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	names := func(out *ListOutput) string {
		var s []string
		for _, x := range out.Entries {
			s = append(s, x.Key)
		}
		return strings.Join(s, ",") + "|" + strings.Join(out.CommonPrefixes, ",")
	}
	if got := names(list(ListInput{Delimiter: "/"})); got != "a.txt,e,z|dir/,dir2/,photos/" {
		t.Fatalf("delimiter: %s", got)
	}
	if got := names(list(ListInput{Prefix: "photos/", Delimiter: "/"})); got != "|photos/2024/,photos/2025/" {
		t.Fatalf("prefix+delimiter: %s", got)
	}
	if got := names(list(ListInput{Prefix: "dir/"})); got != "dir/1,dir/2,dir/sub/3|" {
		t.Fatalf("prefix: %s", got)
	}
	if got := names(list(ListInput{StartAfter: "dir/2"})); got != "dir/sub/3,dir2/x,e,photos/2024/a,photos/2024/b,photos/2025/c,z|" {
		t.Fatalf("start-after: %s", got)
	}
	// paginate two at a time with a delimiter: every entry exactly once
	var all []string
	in := ListInput{Delimiter: "/", MaxKeys: 2}
	for page := 0; ; page++ {
		out := list(in)
		if n := len(out.Entries) + len(out.CommonPrefixes); n > 2 || (n == 0 && out.IsTruncated) {
			t.Fatalf("page %d has %d entries", page, n)
		}
		all = append(all, names(out))
		if !out.IsTruncated {
			break
		}
		in.ContinuationToken = out.NextContinuationToken
	}
	flat := map[string]int{}
	for _, p := range all {
		for _, part := range strings.FieldsFunc(p, func(r rune) bool { return r == ',' || r == '|' }) {
			flat[part]++
		}
	}
	for _, want := range []string{"a.txt", "dir/", "dir2/", "e", "photos/", "z"} {
		if flat[want] != 1 {
			t.Fatalf("%s listed %d times in %v", want, flat[want], all)
		}
	}
	if d := e.az.last(); d.action != "s3:ListBucket" || d.resource != "arn:aws:s3:::bk1" {
		t.Fatalf("decision %+v", d)
	}
	if out, err := e.s.ListObjects(e.alice, ListInput{Bucket: "bk1", MaxKeys: 0}); err != nil || out.IsTruncated || len(out.Entries) != 0 {
		t.Fatalf("max-keys 0: %+v %v", out, err)
	}
	_, err := e.s.ListObjects(e.alice, ListInput{Bucket: "bk1", MaxKeys: 10, ContinuationToken: "garbage!"})
	mustCode(t, err, ErrInvalidArgument)
}

func TestDeleteObjectsAndCatalog(t *testing.T) {
	e := newEnv(t)
	e.s.CreateBucket(e.alice, "bk1", "")
	big := strings.Repeat("q", 5000)
	e.put(t, e.alice, "bk1", "a", big)
	e.put(t, e.alice, "bk1", "b", "small")
	var live []string
	e.s.LiveBlobs(context.Background(), func(ref []byte) error { live = append(live, string(ref)); return nil })
	if len(live) != 1 {
		t.Fatalf("live %v", live)
	}
	if ok, _ := e.s.BlobLive(context.Background(), live[0]); !ok {
		t.Fatal("not live")
	}
	res, err := e.s.DeleteObjects(e.alice, "bk1", ids("a", "b", "missing", strings.Repeat("k", 1025)), DeleteOptions{})
	if err != nil || len(res) != 4 || res[0].Err != nil || res[2].Err != nil || !errors.Is(res[3].Err, ErrKeyTooLong) {
		t.Fatalf("%+v %v", res, err)
	}
	if ok, _ := e.s.BlobLive(context.Background(), live[0]); ok || e.blobs.count() != 0 {
		t.Fatal("deleted blob still live")
	}
	res, _ = e.s.DeleteObjects(e.bob, "bk1", ids("x"), DeleteOptions{})
	if res[0].Err == nil {
		t.Fatal("bob deleted in alice's bucket")
	}
}

// A GET that started before an overwrite reads the old body whole; the
// old body is deleted when the GET ends.
func TestReadPinsBody(t *testing.T) {
	e := newEnv(t)
	e.s.CreateBucket(e.alice, "bk1", "")
	old := strings.Repeat("o", 5000)
	e.put(t, e.alice, "bk1", "k", old)
	o, err := e.s.GetObject(e.alice, GetInput{Bucket: "bk1", Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	e.put(t, e.alice, "bk1", "k", strings.Repeat("n", 5000))
	var b bytes.Buffer
	if _, err := o.WriteTo(e.alice, &b); err != nil || b.String() != old {
		t.Fatalf("old body: %v", err)
	}
	if e.blobs.count() != 2 {
		t.Fatalf("blobs %d, want 2 while pinned", e.blobs.count())
	}
	o.Close()
	if e.blobs.count() != 1 {
		t.Fatalf("blobs %d, want 1 after close", e.blobs.count())
	}
}

// ids names the latest versions of keys.
func ids(keys ...string) []ObjectID {
	out := make([]ObjectID, len(keys))
	for i, k := range keys {
		out[i] = ObjectID{Key: k}
	}
	return out
}
