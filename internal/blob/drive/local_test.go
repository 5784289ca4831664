package drive

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"
)

func newLocal(t *testing.T) *Local {
	t.Helper()
	l, err := NewLocal(filepath.Join(t.TempDir(), "d1"))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func put(t *testing.T, d Drive, name string, data []byte) {
	t.Helper()
	w, err := d.Create(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, d Drive, name string) []byte {
	t.Helper()
	r, err := d.Open(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(io.NewSectionReader(r, 0, r.Size()))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func listNames(t *testing.T, d Drive) []string {
	t.Helper()
	var names []string
	if err := d.List(context.Background(), func(i Info) error { names = append(names, i.Name); return nil }); err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	return names
}

func tempNames(t *testing.T, d Drive, cutoff time.Time) []TempInfo {
	t.Helper()
	var tis []TempInfo
	if err := d.ListTemp(context.Background(), cutoff, func(ti TempInfo) error { tis = append(tis, ti); return nil }); err != nil {
		t.Fatal(err)
	}
	return tis
}

func TestValidateName(t *testing.T) {
	good := []string{"abc", "0f1e2d3c.4", "ff-00_AZ.shard.3", "00" + string(bytes.Repeat([]byte("x"), MaxNameLen-2))}
	bad := []string{"", "a", "ab", "g0x", "AB0", "0a/b", "0a..b", "0a/../x", "../x", "0a\x00b", "0a b", "0a\\b",
		"00" + string(bytes.Repeat([]byte("x"), MaxNameLen-1)), "0a.."}
	for _, n := range good {
		if err := ValidateName(n); err != nil {
			t.Errorf("ValidateName(%q) = %v", n, err)
		}
	}
	l := newLocal(t)
	ctx := context.Background()
	for _, n := range bad {
		if err := ValidateName(n); !errors.Is(err, ErrInvalidName) {
			t.Errorf("ValidateName(%q) = %v, want ErrInvalidName", n, err)
		}
		if _, err := l.Create(ctx, n); !errors.Is(err, ErrInvalidName) {
			t.Errorf("Create(%q) = %v", n, err)
		}
		if _, err := l.Open(ctx, n); !errors.Is(err, ErrInvalidName) {
			t.Errorf("Open(%q) = %v", n, err)
		}
		if err := l.Delete(ctx, n); !errors.Is(err, ErrInvalidName) {
			t.Errorf("Delete(%q) = %v", n, err)
		}
	}
	for _, n := range []string{"", ".", "..", "../shards/00/abc", "a/b"} {
		if err := l.RemoveTemp(ctx, n); !errors.Is(err, ErrInvalidName) {
			t.Errorf("RemoveTemp(%q) = %v", n, err)
		}
	}
}

func TestCommitAbortLifecycle(t *testing.T) {
	l := newLocal(t)
	ctx := context.Background()

	// Uncommitted data is invisible.
	w, err := l.Create(ctx, "ab01.0")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("hello "))
	if _, err := l.Open(ctx, "ab01.0"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("open before commit: %v", err)
	}
	if got := listNames(t, l); len(got) != 0 {
		t.Fatalf("List before commit = %v", got)
	}
	w.Write([]byte("world"))
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil { // no-op after commit
		t.Fatal(err)
	}
	if err := w.Commit(); !errors.Is(err, ErrDone) {
		t.Fatalf("second commit: %v", err)
	}
	if _, err := w.Write([]byte("x")); !errors.Is(err, ErrDone) {
		t.Fatalf("write after commit: %v", err)
	}
	if got := get(t, l, "ab01.0"); string(got) != "hello world" {
		t.Fatalf("got %q", got)
	}
	p, _ := l.Path("ab01.0")
	if filepath.Base(filepath.Dir(p)) != "ab" {
		t.Fatalf("not fanned out: %s", p)
	}
	st, err := l.Stat(ctx, "ab01.0")
	if err != nil || st.Size != 11 || st.Name != "ab01.0" {
		t.Fatalf("Stat = %+v, %v", st, err)
	}

	// Abort leaves nothing behind, including in tmp/.
	w, _ = l.Create(ctx, "cd02.1")
	w.Write([]byte("junk"))
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Stat(ctx, "cd02.1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("aborted shard visible: %v", err)
	}
	if tis := tempNames(t, l, time.Now().Add(time.Hour)); len(tis) != 0 {
		t.Fatalf("temporaries after abort: %+v", tis)
	}

	// Commit replaces an existing shard atomically (heal rewrites).
	put(t, l, "ab01.0", []byte("v2"))
	if got := get(t, l, "ab01.0"); string(got) != "v2" {
		t.Fatalf("after replace: %q", got)
	}

	// Delete.
	if err := l.Delete(ctx, "ab01.0"); err != nil {
		t.Fatal(err)
	}
	if err := l.Delete(ctx, "ab01.0"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := l.Open(ctx, "ab01.0"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("open deleted: %v", err)
	}
}

func TestListAndTemporaries(t *testing.T) {
	l := newLocal(t)
	ctx := context.Background()
	want := []string{"00aa.0", "0fbb.1", "ff00.2", "ffzz.3"}
	for _, n := range want {
		put(t, l, n, []byte(n))
	}
	// Stray files in the tree are ignored by List.
	os.WriteFile(filepath.Join(l.Root(), shardsDir, "00", "zz-not-a-shard"), nil, 0o640)
	os.WriteFile(filepath.Join(l.Root(), shardsDir, "01", "00misplaced"), nil, 0o640)
	if got := listNames(t, l); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("List = %v, want %v", got, want)
	}
	stop := errors.New("stop")
	if err := l.List(ctx, func(Info) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("List stop: %v", err)
	}

	// Two writers left open: a crash leaves exactly this state.
	w1, _ := l.Create(ctx, "1234.0")
	w1.Write([]byte("partial"))
	w1Temp := tempNames(t, l, time.Now().Add(time.Minute))[0].TempName
	w2, _ := l.Create(ctx, "1234.0") // same shard, independent temp
	w2.Write([]byte("other"))
	old := time.Now().Add(-2 * time.Hour)
	tis := tempNames(t, l, time.Now().Add(time.Minute))
	if len(tis) != 2 || tis[0].Name != "1234.0" || tis[1].Name != "1234.0" || tis[0].TempName == tis[1].TempName {
		t.Fatalf("ListTemp = %+v", tis)
	}
	if got := tempNames(t, l, old); len(got) != 0 {
		t.Fatalf("fresh temporaries reported as old: %+v", got)
	}
	// Age w1's temp (a writer that died): only it is a GC candidate.
	os.Chtimes(filepath.Join(l.Root(), tmpDir, w1Temp), old.Add(-time.Hour), old.Add(-time.Hour))
	cands := tempNames(t, l, old)
	if len(cands) != 1 || cands[0].TempName != w1Temp {
		t.Fatalf("candidates = %+v", cands)
	}
	n, err := CleanTemp(ctx, l, old)
	if err != nil || n != 1 {
		t.Fatalf("CleanTemp = %d, %v", n, err)
	}
	// The surviving writer still commits; the collected one fails cleanly.
	if err := w2.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := get(t, l, "1234.0"); string(got) != "other" {
		t.Fatalf("committed %q", got)
	}
	if err := w1.Commit(); err == nil {
		t.Fatal("commit of a garbage-collected temp succeeded")
	}
	if _, err := l.Stat(ctx, "1234.0"); err != nil {
		t.Fatal(err)
	}
	if tis := tempNames(t, l, time.Now().Add(time.Hour)); len(tis) != 0 {
		t.Fatalf("temporaries left: %+v", tis)
	}
}

func TestConcurrentWriters(t *testing.T) {
	l := newLocal(t)
	const n = 64
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			name := fmt.Sprintf("%02x%04d.%d", i*7%256, i, i%6)
			w, err := l.Create(context.Background(), name)
			if err != nil {
				errs <- err
				return
			}
			defer w.Abort()
			data := bytes.Repeat([]byte{byte(i)}, 1000+i)
			for p := data; len(p) > 0; p = p[min(len(p), 100):] {
				if _, err := w.Write(p[:min(len(p), 100)]); err != nil {
					errs <- err
					return
				}
			}
			errs <- w.Commit()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	names := listNames(t, l)
	if len(names) != n {
		t.Fatalf("%d shards listed, want %d", len(names), n)
	}
	for _, name := range names {
		var i int
		fmt.Sscanf(name[2:6], "%d", &i)
		if got := get(t, l, name); !bytes.Equal(got, bytes.Repeat([]byte{byte(i)}, 1000+i)) {
			t.Fatalf("%s: wrong content", name)
		}
	}
}

func TestContextCancel(t *testing.T) {
	l := newLocal(t)
	ctx, cancel := context.WithCancel(context.Background())
	w, err := l.Create(ctx, "aa00.0")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("x"))
	cancel()
	if _, err := w.Write([]byte("y")); !errors.Is(err, context.Canceled) {
		t.Fatalf("write after cancel: %v", err)
	}
	if err := w.Commit(); !errors.Is(err, context.Canceled) {
		t.Fatalf("commit after cancel: %v", err)
	}
	if _, err := l.Stat(context.Background(), "aa00.0"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("cancelled write visible: %v", err)
	}
	if tis := tempNames(t, l, time.Now().Add(time.Hour)); len(tis) != 0 {
		t.Fatalf("cancelled write left a temp: %+v", tis)
	}
	if err := l.List(ctx, func(Info) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("List with cancelled ctx: %v", err)
	}
}

func TestProbeAndReopen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	l, err := NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	h, err := l.Probe(context.Background())
	if err != nil || h.TotalBytes == 0 || h.FreeBytes == 0 || h.FreeBytes > h.TotalBytes || h.Latency <= 0 {
		t.Fatalf("Probe = %+v, %v", h, err)
	}
	if tis := tempNames(t, l, time.Now().Add(time.Hour)); len(tis) != 0 {
		t.Fatalf("probe left %+v", tis)
	}
	put(t, l, "beef.1", []byte("persist"))
	l2, err := NewLocal(dir) // reopening an existing drive keeps its shards
	if err != nil {
		t.Fatal(err)
	}
	if got := get(t, l2, "beef.1"); string(got) != "persist" {
		t.Fatalf("after reopen: %q", got)
	}
	// A dead drive (directory gone) fails the probe.
	os.RemoveAll(dir)
	if _, err := l2.Probe(context.Background()); err == nil {
		t.Fatal("probe of a removed drive succeeded")
	}
}
