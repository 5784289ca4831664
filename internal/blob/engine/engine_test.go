package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"github.com/nimbuscloud/nimbus/internal/blob/drive"
	"github.com/nimbuscloud/nimbus/internal/blob/layout"
)

var classes = []string{layout.ClassStandard, layout.ClassStandardIA}

// stripe is the object bytes one stripe (or one replica block) holds.
func stripe(e *Engine, class string, bs int) int {
	l := e.layouts[class]
	if l.IsErasure() {
		return l.Data * bs
	}
	return bs
}

func TestDefaults(t *testing.T) {
	v := newEnv(t, 0)
	l := v.e.Layouts()
	if got := l[layout.ClassStandard].String(); got != "replicas(3)" {
		t.Errorf("STANDARD = %s", got)
	}
	if got := l[layout.ClassStandardIA].String(); got != "RS(4,2)" {
		t.Errorf("STANDARD_IA = %s", got)
	}
	st := v.e.Status()
	if len(st.Drives) != 6 {
		t.Fatalf("%d drives", len(st.Drives))
	}
	for _, d := range st.Drives {
		if !d.Healthy || d.FreeBytes == 0 {
			t.Errorf("drive %+v", d)
		}
	}
	if _, err := v.e.Put(context.Background(), "DEEP_ARCHIVE", 1, bytes.NewReader([]byte{1})); !errors.Is(err, ErrUnknownClass) {
		t.Errorf("unknown class: %v", err)
	}
	if _, err := Open(context.Background(), Config{Root: t.TempDir(), AZs: []string{"a"}}); err == nil {
		t.Error("one AZ accepted")
	}
}

func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, bs := range []int{4096, DefaultBlockSize} {
		v := newEnv(t, bs)
		for _, class := range classes {
			st := stripe(v.e, class, bs)
			sizes := []int{0, 1, 100, bs - 1, bs, bs + 1, st - 1, st, st + 1, 3*st + 7}
			if bs == DefaultBlockSize {
				sizes = append(sizes, 10<<20)
			}
			for _, size := range sizes {
				t.Run(fmt.Sprintf("bs=%d/%s/%d", bs, class, size), func(t *testing.T) {
					data := randBytes(rng, size)
					ref := v.put(t, class, data)
					if ref.Size() != int64(size) || ref.Class() != class || len(ref.ID()) != 32 {
						t.Fatalf("ref %v", ref)
					}
					v.mustEqual(t, ref, data)
					// Through the caller's encoding, as the S3 service stores it.
					b, err := ref.MarshalBinary()
					if err != nil {
						t.Fatal(err)
					}
					var back Ref
					if err := back.UnmarshalBinary(b); err != nil {
						t.Fatal(err)
					}
					v.mustEqual(t, back, data)
					v.e.waitPending(context.Background(), ref.id) // commits beyond the quorum
					if n := len(v.shardFiles(t, ref.ID())); n != ref.Layout().Shards() {
						t.Fatalf("%d shard files, want %d", n, ref.Layout().Shards())
					}
				})
			}
		}
	}
}

func TestRangeReads(t *testing.T) {
	const bs = 4096
	v := newEnv(t, bs)
	rng := rand.New(rand.NewPCG(3, 4))
	for _, class := range classes {
		st := stripe(v.e, class, bs)
		size := 5*st + 123
		data := randBytes(rng, size)
		ref := v.put(t, class, data)
		ranges := [][2]int{
			{0, 0}, {0, 1}, {0, size}, {size - 1, 1}, {size, 0},
			{bs - 1, 1}, {bs - 1, 2}, {bs, 1}, {bs - 10, bs + 20},
			{st - 1, 2}, {st, st}, {st - 1, st + 2}, {2*st + bs/2, 3}, {4 * st, size - 4*st},
			{size - 200, 200}, {1, size - 2},
		}
		for _, rg := range ranges {
			off, n := rg[0], rg[1]
			var buf bytes.Buffer
			got, err := v.e.Read(context.Background(), ref, &buf, int64(off), int64(n))
			if err != nil || got != int64(n) || !bytes.Equal(buf.Bytes(), data[off:off+n]) {
				t.Errorf("%s [%d,+%d): n=%d err=%v equal=%v", class, off, n, got, err, bytes.Equal(buf.Bytes(), data[off:off+n]))
			}
		}
		for _, rg := range [][2]int64{{-1, 1}, {0, int64(size) + 1}, {int64(size), 1}, {5, -1}, {int64(size) + 1, 0}} {
			if _, err := v.e.Read(context.Background(), ref, io.Discard, rg[0], rg[1]); !errors.Is(err, ErrRange) {
				t.Errorf("%s range %v: %v, want ErrRange", class, rg, err)
			}
		}
	}
}

func TestDelete(t *testing.T) {
	v := newEnv(t, 4096)
	for _, class := range classes {
		ref := v.put(t, class, randBytes(rand.New(rand.NewPCG(5, 6)), 50000))
		if err := v.e.Delete(context.Background(), ref); err != nil {
			t.Fatal(err)
		}
		if files := v.shardFiles(t, ref.ID()); len(files) != 0 {
			t.Fatalf("%s: shards left after delete: %v", class, files)
		}
		if _, err := v.e.Read(context.Background(), ref, io.Discard, 0, ref.Size()); !errors.Is(err, ErrUnreadable) {
			t.Fatalf("%s: read after delete: %v", class, err)
		}
		if err := v.e.Delete(context.Background(), ref); err != nil {
			t.Fatalf("second delete: %v", err)
		}
	}
}

// failingReader yields data then, instead of EOF, err (a verifying body
// whose signature or checksum did not match), or fails after `after` bytes.
type failingReader struct {
	data  []byte
	after int
	err   error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.after <= 0 {
		return 0, f.err
	}
	n := copy(p[:min(len(p), f.after)], f.data)
	f.data, f.after = f.data[n:], f.after-n
	return n, nil
}

func TestFailingBodyLeavesNothing(t *testing.T) {
	const bs = 4096
	v := newEnv(t, bs)
	rng := rand.New(rand.NewPCG(7, 8))
	errSig := errors.New("SignatureDoesNotMatch")
	for _, class := range classes {
		for _, size := range []int{0, 10, 3 * bs, 10 * stripe(v.e, class, bs)} {
			data := randBytes(rng, size)
			cases := []struct {
				name string
				r    io.Reader
				size int64
				want error
			}{
				{"error at end instead of EOF", &failingReader{data: data, after: size, err: errSig}, int64(size), errSig},
				{"short", bytes.NewReader(data), int64(size) + 1, ErrSize},
				{"long", io.MultiReader(bytes.NewReader(data), bytes.NewReader([]byte{1})), int64(size), ErrSize},
			}
			if size > 0 {
				cases = append(cases, struct {
					name string
					r    io.Reader
					size int64
					want error
				}{"error mid-body", &failingReader{data: data, after: size / 2, err: errSig}, int64(size), errSig})
			}
			for _, c := range cases {
				_, err := v.e.Put(context.Background(), class, c.size, c.r)
				if !errors.Is(err, c.want) {
					t.Errorf("%s %d %s: err %v, want %v", class, size, c.name, err, c.want)
				}
			}
		}
	}
	// Cancelled context.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := v.e.Put(ctx, layout.ClassStandard, 5, bytes.NewReader([]byte("hello"))); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled put: %v", err)
	}
	v.e.Close()
	if files := v.shardFiles(t, ""); len(files) != 0 {
		t.Fatalf("failed puts committed %d shards, e.g. %s", len(files), files[0])
	}
	if files := v.tempFiles(t); len(files) != 0 {
		t.Fatalf("failed puts left %d temp files, e.g. %s", len(files), files[0])
	}
}

func TestQuorumLost(t *testing.T) {
	v := newEnv(t, 4096)
	// Break two AZs' drives: tmp/ replaced by a file, so Create fails.
	for _, d := range layout.DefaultDrives(testAZs, 0) {
		if d.AZ == "a" {
			continue
		}
		breakDrive(t, v, d)
	}
	for _, class := range classes {
		_, err := v.e.Put(context.Background(), class, 3, bytes.NewReader([]byte("abc")))
		if !errors.Is(err, ErrQuorum) {
			t.Errorf("%s: %v, want ErrQuorum", class, err)
		}
	}
	v.e.Close()
	if files := v.shardFiles(t, ""); len(files) != 0 {
		t.Fatalf("shards left: %v", files)
	}
}

func TestConcurrentPutReadDelete(t *testing.T) {
	v := newEnv(t, 4096)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 99))
			for i := range 12 {
				class := classes[(g+i)%2]
				data := randBytes(rng, rng.IntN(40000))
				ref, err := v.e.Put(context.Background(), class, int64(len(data)), bytes.NewReader(data))
				if err != nil {
					errs <- err
					return
				}
				var buf bytes.Buffer
				if _, err := v.e.Read(context.Background(), ref, &buf, 0, ref.Size()); err != nil || !bytes.Equal(buf.Bytes(), data) {
					errs <- fmt.Errorf("read back %s: %v", ref, err)
					return
				}
				if i%2 == 0 {
					if err := v.e.Delete(context.Background(), ref); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	v.e.Close()
	// 8 goroutines x 6 kept objects.
	st := v.e.Status()
	if st.Puts != 96 || st.Deletes != 48 {
		t.Errorf("puts %d deletes %d", st.Puts, st.Deletes)
	}
}

func TestRefEncoding(t *testing.T) {
	v := newEnv(t, 4096)
	ref := v.put(t, layout.ClassStandardIA, []byte("hello"))
	b, err := ref.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 64 {
		t.Errorf("encoded ref is %d bytes", len(b))
	}
	var back Ref
	if err := back.UnmarshalBinary(b); err != nil || back.String() != ref.String() {
		t.Fatalf("round trip: %v %v", back, err)
	}
	for i := range len(b) {
		if err := new(Ref).UnmarshalBinary(b[:i]); !errors.Is(err, ErrInvalidRef) {
			t.Errorf("prefix %d accepted: %v", i, err)
		}
	}
	if err := new(Ref).UnmarshalBinary(append(b, 0)); !errors.Is(err, ErrInvalidRef) {
		t.Error("trailing byte accepted")
	}
	bad := append([]byte{}, b...)
	bad[0] = 2
	if err := new(Ref).UnmarshalBinary(bad); !errors.Is(err, ErrInvalidRef) {
		t.Error("version 2 accepted")
	}
	if _, err := (Ref{}).MarshalBinary(); !errors.Is(err, ErrInvalidRef) {
		t.Error("zero ref marshalled")
	}
	if err := drive.ValidateName(ref.shardName(5)); err != nil {
		t.Error(err)
	}
	if id, i, ok := parseShardName(ref.shardName(5)); !ok || i != 5 || id != ref.id {
		t.Error("parseShardName")
	}
}

func FuzzRefUnmarshal(f *testing.F) {
	r := Ref{class: "STANDARD", lay: layout.Replicated(3), size: 10, blockSize: 4096, shardSize: 10, drives: []string{"d01", "d02", "d03"}}
	b, _ := r.MarshalBinary()
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		var r Ref
		if err := r.UnmarshalBinary(data); err != nil {
			return
		}
		out, err := r.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded ref does not encode: %v", err)
		}
		var again Ref
		if err := again.UnmarshalBinary(out); err != nil || again.String() != r.String() {
			t.Fatalf("re-decode: %v", err)
		}
	})
}

// patternReader yields n bytes of a cheap pattern without holding them.
type patternReader struct{ n, off int64 }

func (p *patternReader) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	b = b[:min(int64(len(b)), p.n-p.off)]
	for i := range b {
		b[i] = byte((p.off + int64(i)) * 7 >> 3)
	}
	p.off += int64(len(b))
	return len(b), nil
}

// TestMemoryIndependentOfSize checks that Put and Read of a 64 MiB object
// allocate O(stripe), not O(object).
func TestMemoryIndependentOfSize(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("writes 64 MiB objects; allocation figures are meaningless under -race")
	}
	const size = 64 << 20
	v := newEnv(t, 0)
	for _, class := range classes {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		ref, err := v.e.Put(context.Background(), class, size, &patternReader{n: size})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.e.Read(context.Background(), ref, io.Discard, 0, size); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
			t.Errorf("%s: Put+Read of 64 MiB allocated %d MiB", class, alloc>>20)
		} else {
			t.Logf("%s: Put+Read of 64 MiB allocated %.1f MiB", class, float64(alloc)/(1<<20))
		}
	}
}
