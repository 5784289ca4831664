package s3

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nimbuscloud/nimbus/internal/store"
)

// corrupt overwrites a stored inline body.
func (e *env) corrupt(t *testing.T, query string, args ...any) {
	t.Helper()
	err := e.s.st.Update(context.Background(), func(tx store.Tx) error {
		n, err := tx.Exec(context.Background(), query, args...)
		if err == nil && n != 1 {
			t.Fatalf("corrupted %d rows", n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A body kept in its row is verified on read: a corrupt one is an internal
// error (500), never bytes, for GET and for a copy of it; HEAD still works.
func TestInlineBodyVerified(t *testing.T) {
	e := newEnv(t)
	e.s.CreateBucket(e.alice, "bk1", "")
	e.put(t, e.alice, "bk1", "k", "hello inline")
	e.put(t, e.alice, "bk1", "ok", "fine")
	if n, bad, err := e.s.VerifyInline(context.Background()); err != nil || n != 2 || bad != 0 {
		t.Fatalf("VerifyInline: %d %d %v", n, bad, err)
	}
	e.corrupt(t, `UPDATE s3_objects SET inline_body = ? WHERE bucket = 'bk1' AND object_key = 'k'`, []byte("hellO inline"))

	o, err := e.s.GetObject(e.alice, GetInput{Bucket: "bk1", Key: "k"})
	if !errors.Is(err, ErrCorruptBody) || o != nil {
		t.Fatalf("GET of a corrupt inline body: %v %v", o, err)
	}
	if errors.As(err, new(*clientError)) {
		t.Fatal("corruption reported as a client error")
	}
	if _, err := e.s.GetObject(e.alice, GetInput{Bucket: "bk1", Key: "k", Range: &Range{First: 0, Last: 1}}); !errors.Is(err, ErrCorruptBody) {
		t.Fatalf("ranged GET: %v", err)
	}
	if _, err := e.s.CopyObject(e.alice, CopyInput{SrcBucket: "bk1", SrcKey: "k", Bucket: "bk1", Key: "copy"}); !errors.Is(err, ErrCorruptBody) {
		t.Fatalf("copy of a corrupt body: %v", err)
	}
	if _, err := e.s.GetObject(e.alice, GetInput{Bucket: "bk1", Key: "k", Head: true}); err != nil {
		t.Fatalf("HEAD: %v", err)
	}
	if body, _, err := e.get(t, e.alice, GetInput{Bucket: "bk1", Key: "ok"}); err != nil || body != "fine" {
		t.Fatalf("intact body: %q %v", body, err)
	}
	if n, bad, err := e.s.VerifyInline(context.Background()); err != nil || n != 2 || bad != 1 {
		t.Fatalf("VerifyInline: %d %d %v", n, bad, err)
	}
}

// The inline parts of a multipart object are verified against their MD5s.
func TestInlinePartVerified(t *testing.T) {
	m := newMP(t)
	id := m.create("mp")
	p := m.mustPart("mp", id, 1, fill(100, 'p'))
	if _, err := m.complete("mp", id, p); err != nil {
		t.Fatal(err)
	}
	if body, _, err := m.get(t, m.alice, GetInput{Bucket: "bk1", Key: "mp"}); err != nil || body != string(fill(100, 'p')) {
		t.Fatalf("GET: %v", err)
	}
	m.corrupt(t, `UPDATE s3_parts SET inline_body = ? WHERE upload_id = ?`, fill(100, 'q'), id)
	if _, err := m.s.GetObject(m.alice, GetInput{Bucket: "bk1", Key: "mp"}); !errors.Is(err, ErrCorruptBody) {
		t.Fatalf("GET of a corrupt inline part: %v", err)
	}
	if _, err := m.s.GetObject(m.alice, GetInput{Bucket: "bk1", Key: "mp", PartNumber: 1}); !errors.Is(err, ErrCorruptBody) {
		t.Fatalf("GET partNumber=1 of a corrupt inline part: %v", err)
	}
	if n, bad, err := m.s.VerifyInline(context.Background()); err != nil || n != 1 || bad != 1 {
		t.Fatalf("VerifyInline: %d %d %v", n, bad, err)
	}
}

// hookStore runs afterView after every View (tests only).
type hookStore struct {
	store.Store
	afterView func()
}

func (h *hookStore) View(ctx context.Context, fn func(store.Tx) error) error {
	err := h.Store.View(ctx, fn)
	if h.afterView != nil {
		h.afterView()
	}
	return err
}

// A GET racing constant overwrites returns one whole version, never an
// error: here the key is overwritten after every read the GET makes.
func TestGetRacingOverwrites(t *testing.T) {
	e := newEnv(t)
	e.s.CreateBucket(e.alice, "bk1", "")
	const size = 5000 // in the engine
	e.put(t, e.alice, "bk1", "k", strings.Repeat("a", size))
	hs := &hookStore{Store: e.s.st}
	e.s.st = hs
	var busy bool
	next := byte('b')
	hs.afterView = func() {
		if busy {
			return
		}
		busy = true
		defer func() { busy = false }()
		if _, err := e.put(t, e.alice, "bk1", "k", strings.Repeat(string(next), size)); err != nil {
			t.Errorf("overwrite: %v", err)
		}
		next++
	}
	o, err := e.s.GetObject(e.alice, GetInput{Bucket: "bk1", Key: "k"})
	hs.afterView = nil
	if err != nil {
		t.Fatalf("GET racing overwrites: %v", err)
	}
	var b bytes.Buffer
	if _, err := o.WriteTo(e.alice, &b); err != nil {
		t.Fatal(err)
	}
	if b.Len() != size || strings.Count(b.String(), b.String()[:1]) != size {
		t.Fatalf("GET returned a mixed or short body (%d bytes)", b.Len())
	}
	o.Close()
	if e.blobs.count() != 1 {
		t.Fatalf("%d blobs after the GET ended, want 1", e.blobs.count())
	}
}

// A copy whose engine Put fails early returns only after its reader
// goroutine has left the engine's Read (the source stays pinned until
// then).
func TestCopyWaitsForReader(t *testing.T) {
	for _, part := range []bool{false, true} {
		name := "CopyObject"
		if part {
			name = "UploadPartCopy"
		}
		t.Run(name, func(t *testing.T) {
			m := newMP(t)
			m.put(t, m.alice, "bk1", "src", strings.Repeat("s", 5000))
			id := m.create("dst")
			var readDone atomic.Bool
			entered := make(chan struct{})
			m.blobs.putHook = func() error {
				<-entered // fail once the reader is inside Read
				return errors.New("engine full")
			}
			m.blobs.readHook = func() {
				close(entered)
				time.Sleep(50 * time.Millisecond)
				readDone.Store(true)
			}
			var err error
			if part {
				_, err = m.s.UploadPartCopy(m.alice, UploadPartCopyInput{Bucket: "bk1", Key: "dst", UploadID: id, PartNumber: 1, SrcBucket: "bk1", SrcKey: "src"})
			} else {
				_, err = m.s.CopyObject(m.alice, CopyInput{SrcBucket: "bk1", SrcKey: "src", Bucket: "bk1", Key: "dst"})
			}
			if err == nil {
				t.Fatal("copy succeeded with a failing engine")
			}
			if !readDone.Load() {
				t.Fatal("copy returned while its reader was still in the engine's Read")
			}
		})
	}
}

// GETs running alongside a writer that keeps overwriting a key each read
// one whole version, and no body outlives its last reader.
func TestGetConcurrentOverwrites(t *testing.T) {
	e := newEnv(t)
	e.s.CreateBucket(e.alice, "bk1", "")
	const size = 5000
	e.put(t, e.alice, "bk1", "k", strings.Repeat("a", size))
	stop := make(chan struct{})
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		for c := byte('b'); ; c = 'a' + (c-'a'+1)%26 {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := e.put(t, e.alice, "bk1", "k", strings.Repeat(string(c), size)); err != nil {
				t.Errorf("overwrite: %v", err)
				return
			}
		}
	}()
	for i := 0; i < 200; i++ {
		body, _, err := e.get(t, e.alice, GetInput{Bucket: "bk1", Key: "k"})
		if err != nil {
			t.Fatalf("GET %d: %v", i, err)
		}
		if len(body) != size || strings.Count(body, body[:1]) != size {
			t.Fatalf("GET %d returned a mixed or short body", i)
		}
	}
	close(stop)
	<-writerDone
	if e.blobs.count() != 1 {
		t.Fatalf("%d blobs after the last GET, want 1", e.blobs.count())
	}
}
