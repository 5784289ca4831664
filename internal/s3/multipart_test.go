package s3

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"strconv"
	"strings"
	"testing"

	"github.com/nimbuscloud/nimbus/internal/checksum"
)

// mpEnv is an env with a bucket and helpers for multipart uploads.
type mpEnv struct {
	*env
	t *testing.T
}

func newMP(t *testing.T) *mpEnv {
	e := newEnv(t)
	if err := e.s.CreateBucket(e.alice, "bk1", ""); err != nil {
		t.Fatal(err)
	}
	return &mpEnv{env: e, t: t}
}

func (m *mpEnv) create(key string, mod ...func(*CreateUploadInput)) string {
	m.t.Helper()
	in := CreateUploadInput{Bucket: "bk1", Key: key}
	for _, f := range mod {
		f(&in)
	}
	u, err := m.s.CreateMultipartUpload(m.alice, in)
	if err != nil {
		m.t.Fatal(err)
	}
	return u.UploadID
}

func (m *mpEnv) part(key, id string, n int, body []byte, mod ...func(*UploadPartInput)) (*Part, error) {
	in := UploadPartInput{UploadID: id, PartNumber: n, PutInput: PutInput{Bucket: "bk1", Key: key, Size: int64(len(body)), Body: bytes.NewReader(body)}}
	for _, f := range mod {
		f(&in)
	}
	return m.s.UploadPart(m.alice, in)
}

func (m *mpEnv) mustPart(key, id string, n int, body []byte, mod ...func(*UploadPartInput)) *Part {
	m.t.Helper()
	p, err := m.part(key, id, n, body, mod...)
	if err != nil {
		m.t.Fatal(err)
	}
	return p
}

func (m *mpEnv) complete(key, id string, parts ...*Part) (*Completed, error) {
	in := CompleteInput{Bucket: "bk1", Key: key, UploadID: id}
	for _, p := range parts {
		in.Parts = append(in.Parts, CompletedPart{Number: p.Number, ETag: `"` + p.ETag + `"`})
	}
	return m.s.CompleteMultipartUpload(m.alice, in)
}

func fill(n int, c byte) []byte { return bytes.Repeat([]byte{c}, n) }

func multipartETag(parts ...[]byte) string {
	h := md5.New()
	for _, p := range parts {
		s := md5.Sum(p)
		h.Write(s[:])
	}
	return hex.EncodeToString(h.Sum(nil)) + "-" + strconv.Itoa(len(parts))
}

func TestMultipartLifecycle(t *testing.T) {
	m := newMP(t)
	id := m.create("big", func(in *CreateUploadInput) {
		in.Metadata = map[string]string{"color": "blue"}
		in.Headers.ContentType = "text/plain"
		in.ChecksumAlgorithm = "CRC32"
	})
	if d := m.az.last(); d.action != "s3:PutObject" {
		t.Fatalf("create authorized %+v", d)
	}
	a, b, c := fill(MinPartSize, 'a'), fill(MinPartSize, 'b'), []byte("tail")
	m.mustPart("big", id, 1, fill(MinPartSize, 'x')) // replaced below
	p1 := m.mustPart("big", id, 1, a)
	if p1.ChecksumAlgorithm != checksum.CRC32 {
		t.Fatalf("part checksum %s", p1.ChecksumAlgorithm)
	}
	p2 := m.mustPart("big", id, 2, b)
	p3 := m.mustPart("big", id, 3, c)
	m.mustPart("big", id, 4, fill(10, 'z')) // uploaded, not listed: dropped
	if n := m.blobs.count(); n != 2 {       // a and b; c and part 4 are inline, the replaced x is deleted
		t.Fatalf("blobs %d", n)
	}
	l, err := m.s.ListParts(m.alice, ListPartsInput{Bucket: "bk1", Key: "big", UploadID: id, MaxParts: 2})
	if err != nil || len(l.Parts) != 2 || !l.IsTruncated || l.NextPartNumberMarker != 2 || l.Parts[0].ETag != p1.ETag {
		t.Fatalf("list parts %+v %v", l, err)
	}
	if d := m.az.last(); d.action != "s3:ListMultipartUploadParts" {
		t.Fatalf("list parts authorized %+v", d)
	}
	l, _ = m.s.ListParts(m.alice, ListPartsInput{Bucket: "bk1", Key: "big", UploadID: id, PartNumberMarker: 2})
	if len(l.Parts) != 2 || l.IsTruncated || l.Parts[0].Number != 3 {
		t.Fatalf("list parts page 2 %+v", l)
	}
	var live []string
	m.s.LiveBlobs(context.Background(), func(ref []byte) error { live = append(live, string(ref)); return nil })
	if len(live) != 2 {
		t.Fatalf("catalog during upload %v", live)
	}
	if ok, _ := m.s.BlobLive(context.Background(), live[0]); !ok {
		t.Fatal("part blob not live")
	}

	done, err := m.complete("big", id, p1, p2, p3)
	if err != nil {
		t.Fatal(err)
	}
	if want := multipartETag(a, b, c); done.ETag != want || done.Size != int64(2*MinPartSize+4) {
		t.Fatalf("etag %s want %s size %d", done.ETag, want, done.Size)
	}
	comp := crc32.NewIEEE()
	for _, p := range [][]byte{a, b, c} {
		h := crc32.NewIEEE()
		h.Write(p)
		comp.Write(h.Sum(nil))
	}
	if want := checksum.Encode(comp.Sum(nil)) + "-3"; done.Checksum != want || done.ChecksumType != "COMPOSITE" {
		t.Fatalf("checksum %s %s want %s", done.Checksum, done.ChecksumType, want)
	}
	if _, err := m.complete("big", id, p1, p2, p3); !errors.Is(err, ErrNoSuchUpload) {
		t.Fatalf("second complete: %v", err)
	}
	whole := string(a) + string(b) + string(c)
	got, o, err := m.get(t, m.alice, GetInput{Bucket: "bk1", Key: "big"})
	if err != nil || got != whole || o.ContentType != "text/plain" || o.Metadata["color"] != "blue" || o.PartsCount != 3 {
		t.Fatalf("get whole: %v %+v", err, o)
	}
	// A range across the first part boundary touches only parts 1 and 2.
	got, o, err = m.get(t, m.alice, GetInput{Bucket: "bk1", Key: "big", Range: &Range{First: MinPartSize - 3, Last: MinPartSize + 2}})
	if err != nil || got != "aaabbb" || len(o.parts) != 2 {
		t.Fatalf("range: %q %v %d", got, err, len(o.parts))
	}
	got, _, err = m.get(t, m.alice, GetInput{Bucket: "bk1", Key: "big", Range: &Range{First: -1, Last: -1, Suffix: 6}})
	if err != nil || got != "bbtail" {
		t.Fatalf("suffix: %q %v", got, err)
	}
	got, o, err = m.get(t, m.alice, GetInput{Bucket: "bk1", Key: "big", PartNumber: 3})
	if err != nil || got != "tail" || o.Start != 2*MinPartSize || !o.Partial {
		t.Fatalf("part 3: %q %v", got, err)
	}
	if _, _, err := m.get(t, m.alice, GetInput{Bucket: "bk1", Key: "big", PartNumber: 4}); !errors.Is(err, ErrInvalidPartNumber) {
		t.Fatalf("part 4: %v", err)
	}
	live = live[:0]
	m.s.LiveBlobs(context.Background(), func(ref []byte) error { live = append(live, string(ref)); return nil })
	if len(live) != 2 || m.blobs.count() != 2 {
		t.Fatalf("catalog after complete %v, blobs %d", live, m.blobs.count())
	}
	// Overwriting deletes every part after the commit.
	if _, err := m.put(t, m.alice, "bk1", "big", strings.Repeat("n", 5000)); err != nil {
		t.Fatal(err)
	}
	if ok, _ := m.s.BlobLive(context.Background(), live[0]); ok || m.blobs.count() != 1 {
		t.Fatalf("parts survive an overwrite: blobs %d", m.blobs.count())
	}
}

func TestMultipartDeleteWhileReading(t *testing.T) {
	m := newMP(t)
	id := m.create("k")
	a, b := fill(MinPartSize, 'a'), fill(5000, 'b')
	p1, p2 := m.mustPart("k", id, 1, a), m.mustPart("k", id, 2, b)
	if _, err := m.complete("k", id, p1, p2); err != nil {
		t.Fatal(err)
	}
	o, err := m.s.GetObject(m.alice, GetInput{Bucket: "bk1", Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.s.DeleteObject(m.alice, "bk1", ObjectID{Key: "k"}, DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := o.WriteTo(m.alice, &buf); err != nil || buf.Len() != len(a)+len(b) {
		t.Fatalf("read after delete: %v", err)
	}
	if m.blobs.count() != 2 {
		t.Fatal("parts deleted under a reader")
	}
	o.Close()
	if m.blobs.count() != 0 {
		t.Fatalf("blobs %d after close", m.blobs.count())
	}
}

func TestMultipartErrors(t *testing.T) {
	m := newMP(t)
	id := m.create("k")
	for _, n := range []int{0, 10001} {
		if _, err := m.part("k", id, n, []byte("x")); !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("part %d: %v", n, err)
		}
	}
	if _, err := m.part("k", "nope", 1, []byte("x")); !errors.Is(err, ErrNoSuchUpload) {
		t.Fatalf("unknown upload: %v", err)
	}
	if _, err := m.part("other", id, 1, []byte("x")); !errors.Is(err, ErrNoSuchUpload) {
		t.Fatalf("upload of another key: %v", err)
	}
	if _, err := m.s.UploadPart(m.bob, UploadPartInput{UploadID: id, PartNumber: 1, PutInput: PutInput{Bucket: "bk1", Key: "k", Size: 1, Body: strings.NewReader("x")}}); !errors.Is(err, ErrAccessDenied) && err == nil {
		t.Fatal("bob uploaded a part")
	}
	if _, err := m.part("k", id, 1, []byte("xy"), func(in *UploadPartInput) { in.ContentMD5 = "AAAAAAAAAAAAAAAAAAAAAA==" }); !errors.Is(err, ErrBadDigest) {
		t.Fatalf("bad md5: %v", err)
	}
	small := m.mustPart("k", id, 1, fill(100, 's'))
	big := m.mustPart("k", id, 2, fill(MinPartSize, 'b'))
	last := m.mustPart("k", id, 3, []byte("end"))
	if _, err := m.complete("k", id, big, small); !errors.Is(err, ErrInvalidPartOrder) {
		t.Fatalf("order: %v", err)
	}
	if _, err := m.complete("k", id, small, small); !errors.Is(err, ErrInvalidPartOrder) {
		t.Fatalf("duplicate: %v", err)
	}
	if _, err := m.complete("k", id, small, big, last); !errors.Is(err, ErrEntityTooSmall) {
		t.Fatalf("too small: %v", err)
	}
	wrong := *big
	wrong.ETag = strings.Repeat("0", 32)
	if _, err := m.complete("k", id, &wrong, last); !errors.Is(err, ErrInvalidPart) {
		t.Fatalf("etag: %v", err)
	}
	missing := &Part{Number: 7, ETag: big.ETag}
	if _, err := m.complete("k", id, big, missing); !errors.Is(err, ErrInvalidPart) {
		t.Fatalf("missing: %v", err)
	}
	if _, err := m.s.CompleteMultipartUpload(m.alice, CompleteInput{Bucket: "bk1", Key: "k", UploadID: id}); !errors.Is(err, ErrMalformedXML) {
		t.Fatalf("empty: %v", err)
	}
	// If-None-Match: * fails when the key exists.
	m.put(t, m.alice, "bk1", "k", "exists")
	if _, err := m.s.CompleteMultipartUpload(m.alice, CompleteInput{Bucket: "bk1", Key: "k", UploadID: id, IfNoneMatch: "*",
		Parts: []CompletedPart{{Number: 2, ETag: big.ETag}, {Number: 3, ETag: last.ETag}}}); !errors.Is(err, ErrPreconditionFailed) {
		t.Fatalf("if-none-match: %v", err)
	}
	// Checksum algorithm mismatch with the upload's.
	cid := m.create("c", func(in *CreateUploadInput) { in.ChecksumAlgorithm = "SHA256" })
	if _, err := m.part("c", cid, 1, []byte("x"), func(in *UploadPartInput) { in.SDKAlgorithm = "CRC32" }); !errors.Is(err, ErrInvalidRequest) {
		t.Fatalf("checksum mismatch: %v", err)
	}
	if _, err := m.s.CreateMultipartUpload(m.alice, CreateUploadInput{Bucket: "bk1", Key: "c", StorageClass: "NOPE"}); !errors.Is(err, ErrInvalidStorageClass) {
		t.Fatalf("class: %v", err)
	}
	if _, err := m.s.CreateMultipartUpload(m.alice, CreateUploadInput{Bucket: "nobucket", Key: "c"}); !errors.Is(err, ErrNoSuchBucket) {
		t.Fatalf("bucket: %v", err)
	}
}

func TestMultipartAbortAndList(t *testing.T) {
	m := newMP(t)
	ids := map[string]string{}
	for _, k := range []string{"a/1", "a/2", "b", "c/x/y", "d"} {
		ids[k] = m.create(k)
	}
	m.mustPart("b", ids["b"], 1, fill(MinPartSize, 'b'))
	m.mustPart("b", ids["b"], 2, fill(MinPartSize, 'c'))
	l, err := m.s.ListMultipartUploads(m.alice, ListUploadsInput{Bucket: "bk1"})
	if err != nil || len(l.Uploads) != 5 || l.IsTruncated {
		t.Fatalf("list %+v %v", l, err)
	}
	if d := m.az.last(); d.action != "s3:ListBucketMultipartUploads" {
		t.Fatalf("list authorized %+v", d)
	}
	l, _ = m.s.ListMultipartUploads(m.alice, ListUploadsInput{Bucket: "bk1", Delimiter: "/"})
	if len(l.Uploads) != 2 || len(l.CommonPrefixes) != 2 || l.CommonPrefixes[0] != "a/" || l.CommonPrefixes[1] != "c/" {
		t.Fatalf("delimiter %+v", l)
	}
	l, _ = m.s.ListMultipartUploads(m.alice, ListUploadsInput{Bucket: "bk1", Prefix: "a/"})
	if len(l.Uploads) != 2 || l.Uploads[0].Key != "a/1" {
		t.Fatalf("prefix %+v", l)
	}
	// Pages of two, by markers.
	var keys []string
	in := ListUploadsInput{Bucket: "bk1", MaxUploads: 2}
	for range 5 {
		l, err = m.s.ListMultipartUploads(m.alice, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range l.Uploads {
			keys = append(keys, u.Key)
		}
		if !l.IsTruncated {
			break
		}
		in.KeyMarker, in.UploadIDMarker = l.NextKeyMarker, l.NextUploadIDMarker
	}
	if strings.Join(keys, ",") != "a/1,a/2,b,c/x/y,d" {
		t.Fatalf("pages %v", keys)
	}
	l, _ = m.s.ListMultipartUploads(m.alice, ListUploadsInput{Bucket: "bk1", KeyMarker: "b"})
	if len(l.Uploads) != 2 || l.Uploads[0].Key != "c/x/y" {
		t.Fatalf("key-marker %+v", l)
	}

	if err := m.s.AbortMultipartUpload(m.alice, "bk1", "b", ids["b"]); err != nil {
		t.Fatal(err)
	}
	if d := m.az.last(); d.action != "s3:AbortMultipartUpload" {
		t.Fatalf("abort authorized %+v", d)
	}
	if m.blobs.count() != 0 {
		t.Fatalf("abort left %d blobs", m.blobs.count())
	}
	if err := m.s.AbortMultipartUpload(m.alice, "bk1", "b", ids["b"]); !errors.Is(err, ErrNoSuchUpload) {
		t.Fatalf("second abort: %v", err)
	}
	if _, err := m.part("b", ids["b"], 1, []byte("x")); !errors.Is(err, ErrNoSuchUpload) {
		t.Fatalf("part after abort: %v", err)
	}
	// Deleting the bucket aborts what is left.
	m.mustPart("d", ids["d"], 1, fill(MinPartSize, 'd'))
	if err := m.s.DeleteBucket(m.alice, "bk1"); err != nil {
		t.Fatal(err)
	}
	if m.blobs.count() != 0 {
		t.Fatalf("bucket delete left %d blobs", m.blobs.count())
	}
}

func TestUploadPartCopy(t *testing.T) {
	m := newMP(t)
	src := append(fill(MinPartSize, 'a'), fill(100, 'b')...)
	if _, err := m.put(t, m.alice, "bk1", "src", string(src)); err != nil {
		t.Fatal(err)
	}
	id := m.create("dst")
	cp := func(n int, r *Range, mod ...func(*UploadPartCopyInput)) (*Part, error) {
		in := UploadPartCopyInput{Bucket: "bk1", Key: "dst", UploadID: id, PartNumber: n, SrcBucket: "bk1", SrcKey: "src", Range: r}
		for _, f := range mod {
			f(&in)
		}
		return m.s.UploadPartCopy(m.alice, in)
	}
	p1, err := cp(1, &Range{First: 0, Last: MinPartSize - 1})
	if err != nil {
		t.Fatal(err)
	}
	p2, err := cp(2, &Range{First: MinPartSize - 2, Last: MinPartSize + 99})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cp(3, &Range{First: 0, Last: int64(len(src))}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("range past the end: %v", err)
	}
	if _, err := cp(3, nil, func(in *UploadPartCopyInput) { in.Source.IfMatch = `"nope"` }); !errors.Is(err, ErrPreconditionFailed) {
		t.Fatalf("copy-source-if-match: %v", err)
	}
	if _, err := cp(3, nil, func(in *UploadPartCopyInput) { in.SrcKey = "missing" }); !errors.Is(err, ErrNoSuchKey) {
		t.Fatalf("missing source: %v", err)
	}
	if _, err := m.complete("dst", id, p1, p2); err != nil {
		t.Fatal(err)
	}
	want := string(src[:MinPartSize]) + string(src[MinPartSize-2:MinPartSize+100])
	if got, _, err := m.get(t, m.alice, GetInput{Bucket: "bk1", Key: "dst"}); err != nil || got != want {
		t.Fatalf("copied object differs: %v", err)
	}
	// A multipart object as the source of a ranged part copy.
	id = m.create("dst2")
	p, err := m.s.UploadPartCopy(m.alice, UploadPartCopyInput{Bucket: "bk1", Key: "dst2", UploadID: id, PartNumber: 1,
		SrcBucket: "bk1", SrcKey: "dst", Range: &Range{First: MinPartSize - 5, Last: MinPartSize + 4}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.complete("dst2", id, p); err != nil {
		t.Fatal(err)
	}
	if got, _, err := m.get(t, m.alice, GetInput{Bucket: "bk1", Key: "dst2"}); err != nil || got != want[MinPartSize-5:MinPartSize+5] {
		t.Fatalf("copy from multipart: %q %v", got, err)
	}
}

func TestCopyMultipartSource(t *testing.T) {
	m := newMP(t)
	id := m.create("src", func(in *CreateUploadInput) { in.ChecksumAlgorithm = "CRC32" })
	a, b := fill(MinPartSize, 'a'), []byte("end")
	p1, p2 := m.mustPart("src", id, 1, a), m.mustPart("src", id, 2, b)
	if _, err := m.complete("src", id, p1, p2); err != nil {
		t.Fatal(err)
	}
	put, err := m.s.CopyObject(m.alice, CopyInput{SrcBucket: "bk1", SrcKey: "src", Bucket: "bk1", Key: "dst"})
	whole := append(append([]byte{}, a...), b...)
	crc := checksum.New(checksum.CRC32)
	crc.Write(whole)
	// The copy is one body: a plain MD5 ETag and a full-object checksum.
	if sum := md5.Sum(whole); err != nil || put.ETag != hex.EncodeToString(sum[:]) || put.Checksum != checksum.Encode(crc.Sum(nil)) {
		t.Fatalf("copy: %+v %v", put, err)
	}
	if got, _, err := m.get(t, m.alice, GetInput{Bucket: "bk1", Key: "dst"}); err != nil || got != string(whole) {
		t.Fatalf("copy body: %v", err)
	}
}
