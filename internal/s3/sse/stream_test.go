package sse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"
)

// testKey is a fixed data key, so that ciphertexts are reproducible.
func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

// plaintext returns n bytes that differ from chunk to chunk and byte to
// byte, so that a misplaced byte shows.
func plaintext(n int64) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i*7 + i/ChunkSize*13)
	}
	return p
}

func seal(t testing.TB, key, plain []byte) []byte {
	t.Helper()
	enc, err := newEncrypter(key, bytes.NewReader(plain), int64(len(plain)))
	if err != nil {
		t.Fatal(err)
	}
	ct, err := io.ReadAll(enc)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(ct)) != SealedSize(int64(len(plain))) {
		t.Fatalf("ciphertext is %d bytes, SealedSize says %d", len(ct), SealedSize(int64(len(plain))))
	}
	return ct
}

// piecewise writes p to w in pieces of the given size (0: all at once),
// as a blob engine streaming a range would.
func piecewise(w io.Writer, p []byte, piece int) error {
	if piece <= 0 {
		piece = len(p) + 1
	}
	for len(p) > 0 {
		k := min(piece, len(p))
		if _, err := w.Write(p[:k]); err != nil {
			return err
		}
		p = p[k:]
	}
	return nil
}

// rangeCall records the ciphertext range Decrypt asked for.
type rangeCall struct{ off, n int64 }

// decrypt decrypts [off, off+n) of ct, served in pieces of piece bytes
// (clipped to what ct holds), and returns the plaintext written and the
// ranges read asked for.
func decrypt(key, ct []byte, size, off, n int64, piece int) ([]byte, []rangeCall, error) {
	var out bytes.Buffer
	var calls []rangeCall
	written, err := Decrypt(key, size, off, n, &out, func(cOff, cLen int64, w io.Writer) error {
		calls = append(calls, rangeCall{cOff, cLen})
		lo, hi := min(cOff, int64(len(ct))), min(cOff+cLen, int64(len(ct)))
		return piecewise(w, ct[lo:hi], piece)
	})
	if written != int64(out.Len()) {
		return nil, nil, fmt.Errorf("Decrypt reported %d bytes written, wrote %d", written, out.Len())
	}
	return out.Bytes(), calls, err
}

// coveringRange is the ciphertext range of the chunks spanning [off, off+n).
func coveringRange(size, off, n int64) rangeCall {
	first, last := off/ChunkSize, (off+n-1)/ChunkSize
	start := first * (ChunkSize + TagSize)
	end := min(SealedSize(size), (last+1)*(ChunkSize+TagSize))
	return rangeCall{start, end - start}
}

func TestSealedSize(t *testing.T) {
	tests := []struct{ plain, sealed int64 }{
		{0, 16},
		{1, 17},
		{ChunkSize - 1, ChunkSize + 15},
		{ChunkSize, ChunkSize + 16},
		{ChunkSize + 1, ChunkSize + 1 + 32},
		{3*ChunkSize + 17, 3*ChunkSize + 17 + 64},
		{5 << 40, 5<<40 + 16*(5<<40/ChunkSize)},
	}
	for _, tt := range tests {
		if got := SealedSize(tt.plain); got != tt.sealed {
			t.Errorf("SealedSize(%d) = %d, want %d", tt.plain, got, tt.sealed)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := []int64{0, 1, ChunkSize - 1, ChunkSize, ChunkSize + 1, 3*ChunkSize + 17, 7*ChunkSize + rng.Int64N(ChunkSize)}
	for _, size := range sizes {
		for _, piece := range []int{0, 1, 4093, ChunkSize + TagSize, 3 * ChunkSize} {
			if piece == 1 && size > 3*ChunkSize+17 {
				continue // slow and adds nothing
			}
			t.Run(fmt.Sprintf("size=%d/piece=%d", size, piece), func(t *testing.T) {
				key := testKey(byte(size))
				plain := plaintext(size)
				ct := seal(t, key, plain)
				if size > 0 && bytes.Contains(ct, plain[:min(size, 32)]) {
					t.Fatal("ciphertext contains the plaintext")
				}
				got, calls, err := decrypt(key, ct, size, 0, size, piece)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, plain) {
					t.Fatal("round trip changed the bytes")
				}
				if len(calls) != 1 || calls[0] != (rangeCall{0, int64(len(ct))}) {
					t.Fatalf("read calls %v, want one of the whole ciphertext", calls)
				}
			})
		}
	}
}

// checkRange decrypts one range and checks the bytes and that read was
// asked for exactly the chunks covering it.
func checkRange(t *testing.T, key, ct, plain []byte, off, n int64, piece int) {
	t.Helper()
	size := int64(len(plain))
	got, calls, err := decrypt(key, ct, size, off, n, piece)
	if err != nil {
		t.Fatalf("[%d, +%d) of %d: %v", off, n, size, err)
	}
	if !bytes.Equal(got, plain[off:off+n]) {
		t.Fatalf("[%d, +%d) of %d: wrong bytes", off, n, size)
	}
	switch {
	case size == 0 && (len(calls) != 1 || calls[0] != rangeCall{0, TagSize}):
		t.Fatalf("empty object: read called %v, want its one empty chunk read", calls)
	case size > 0 && n == 0 && len(calls) != 0:
		t.Fatalf("[%d, +0): read called %v for an empty range", off, calls)
	case n > 0 && (len(calls) != 1 || calls[0] != coveringRange(size, off, n)):
		t.Fatalf("[%d, +%d) of %d: read called %v, want %v", off, n, size, calls, coveringRange(size, off, n))
	}
}

func TestRangesExhaustiveSmall(t *testing.T) {
	for _, size := range []int64{0, 1, 2, 17, 64} {
		key := testKey(9)
		plain := plaintext(size)
		ct := seal(t, key, plain)
		for off := int64(0); off <= size; off++ {
			for n := int64(0); off+n <= size; n++ {
				checkRange(t, key, ct, plain, off, n, 5)
			}
		}
	}
}

// TestRangesChunkBoundaries takes every range whose ends lie on or next
// to a chunk boundary: exhaustive over the cases a chunked format can get
// wrong.
func TestRangesChunkBoundaries(t *testing.T) {
	for _, size := range []int64{ChunkSize, 2*ChunkSize + 1, 3*ChunkSize + 17} {
		key := testKey(3)
		plain := plaintext(size)
		ct := seal(t, key, plain)
		var points []int64
		for b := int64(0); b <= size+1; b += ChunkSize {
			for _, p := range []int64{b - 1, b, b + 1} {
				if p >= 0 && p <= size {
					points = append(points, p)
				}
			}
		}
		points = append(points, size-1, size)
		for _, from := range points {
			for _, to := range points {
				if from <= to {
					checkRange(t, key, ct, plain, from, to-from, 1000)
				}
			}
		}
	}
}

func TestRangesRandomLarge(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	size := 40*ChunkSize + rng.Int64N(ChunkSize)
	key := testKey(4)
	plain := plaintext(size)
	ct := seal(t, key, plain)
	for range 300 {
		off := rng.Int64N(size + 1)
		n := rng.Int64N(min(size-off, 5*ChunkSize) + 1)
		pieces := []int{0, 1 + rng.IntN(3*ChunkSize), ChunkSize + TagSize}
		checkRange(t, key, ct, plain, off, n, pieces[rng.IntN(len(pieces))])
	}
}

// corrupt expects ErrCorrupt naming chunk bad, with exactly the plaintext
// of the chunks before it written.
func corrupt(t *testing.T, key, ct []byte, size int64, plain []byte, bad int64) {
	t.Helper()
	for _, piece := range []int{0, 100, ChunkSize + TagSize} {
		got, _, err := decrypt(key, ct, size, 0, size, piece)
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("piece %d: err = %v, want ErrCorrupt", piece, err)
		}
		if want := fmt.Sprintf("chunk %d ", bad); !strings.Contains(err.Error(), want) {
			t.Fatalf("piece %d: err = %v, want it to name chunk %d", piece, err, bad)
		}
		if wantN := min(bad*ChunkSize, int64(len(plain))); !bytes.Equal(got, plain[:wantN]) {
			t.Fatalf("piece %d: wrote %d bytes, want the %d before chunk %d", piece, len(got), wantN, bad)
		}
	}
}

func TestTamper(t *testing.T) {
	const size = 3*ChunkSize + 17 // chunks 0..2 full, chunk 3 of 17 bytes
	key := testKey(1)
	plain := plaintext(size)
	ct := seal(t, key, plain)
	chunkAt := func(i int) int { return i * (ChunkSize + TagSize) }

	t.Run("bit flips", func(t *testing.T) {
		for i := range 4 {
			end := min(chunkAt(i+1), len(ct))
			for _, pos := range []int{chunkAt(i), chunkAt(i) + 5, end - TagSize - 1, end - TagSize, end - 1} {
				bad := bytes.Clone(ct)
				bad[pos] ^= 0x10
				corrupt(t, key, bad, size, plain, int64(i))
			}
		}
	})
	t.Run("final chunk dropped", func(t *testing.T) {
		bad := ct[:chunkAt(3)]
		corrupt(t, key, bad, size, plain, 3)        // the row's size still says 4 chunks
		corrupt(t, key, bad, 3*ChunkSize, plain, 2) // the size edited too: chunk 2 is not final
		corrupt(t, key, ct[:chunkAt(1)], ChunkSize, plain, 0)
	})
	t.Run("truncated mid-chunk", func(t *testing.T) {
		corrupt(t, key, ct[:len(ct)-1], size, plain, 3)
		corrupt(t, key, ct[:chunkAt(2)+7], size, plain, 2)
	})
	t.Run("empty object truncated to nothing", func(t *testing.T) {
		corrupt(t, key, nil, 0, nil, 0)
		got, _, err := decrypt(key, nil, 1, 0, 1, 0)
		if !errors.Is(err, ErrCorrupt) || len(got) != 0 {
			t.Fatalf("got %q, %v; want ErrCorrupt", got, err)
		}
		// The empty chunk authenticates as itself only.
		empty := seal(t, key, nil)
		if _, _, err := decrypt(key, empty, 0, 0, 0, 0); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("chunks swapped", func(t *testing.T) {
		bad := bytes.Clone(ct)
		copy(bad[chunkAt(0):], ct[chunkAt(1):chunkAt(2)])
		copy(bad[chunkAt(1):], ct[chunkAt(0):chunkAt(1)])
		corrupt(t, key, bad, size, plain, 0)
	})
	t.Run("chunk duplicated", func(t *testing.T) {
		bad := bytes.Clone(ct)
		copy(bad[chunkAt(2):], ct[chunkAt(1):chunkAt(2)])
		corrupt(t, key, bad, size, plain, 2)
	})
	t.Run("chunk spliced from another object", func(t *testing.T) {
		other := seal(t, testKey(2), plain)
		bad := bytes.Clone(ct)
		copy(bad[chunkAt(1):], other[chunkAt(1):chunkAt(2)])
		corrupt(t, key, bad, size, plain, 1)
	})
	t.Run("size enlarged", func(t *testing.T) {
		corrupt(t, key, ct, size+1, plain, 3)
		corrupt(t, key, ct, 4*ChunkSize+1, plain, 3)
	})
	t.Run("wrong key", func(t *testing.T) {
		corrupt(t, testKey(2), ct, size, plain, 0)
	})
	t.Run("range over a bad chunk", func(t *testing.T) {
		bad := bytes.Clone(ct)
		bad[chunkAt(2)+3] ^= 1
		got, _, err := decrypt(key, bad, size, ChunkSize+10, ChunkSize, 0)
		if !errors.Is(err, ErrCorrupt) || !bytes.Equal(got, plain[ChunkSize+10:2*ChunkSize]) {
			t.Fatalf("got %d bytes, %v; want chunk 1's tail then ErrCorrupt", len(got), err)
		}
		// A range that avoids the bad chunk does not read it.
		checkRange(t, key, bad, plain, 3*ChunkSize, 17, 0)
	})
}

func TestDecryptArguments(t *testing.T) {
	key := testKey(1)
	noRead := func(int64, int64, io.Writer) error { t.Fatal("read called"); return nil }
	tests := []struct {
		name         string
		key          []byte
		size, off, n int64
	}{
		{"short key", key[:16], 10, 0, 10},
		{"negative size", key, -1, 0, 0},
		{"huge size", key, maxPlain + 1, 0, 0},
		{"negative offset", key, 10, -1, 2},
		{"negative length", key, 10, 2, -1},
		{"past the end", key, 10, 5, 6},
		{"offset past the end", key, 10, 11, 0},
		{"overflowing length", key, 10, 5, 1<<63 - 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := Decrypt(tt.key, tt.size, tt.off, tt.n, io.Discard, noRead)
			if err == nil || errors.Is(err, ErrCorrupt) || n != 0 {
				t.Fatalf("Decrypt = %d, %v; want an argument error", n, err)
			}
		})
	}
}

func TestDecryptErrors(t *testing.T) {
	key := testKey(1)
	const size = 2*ChunkSize + 5
	plain := plaintext(size)
	ct := seal(t, key, plain)
	errRead := errors.New("disk on fire")

	t.Run("read error", func(t *testing.T) {
		_, err := Decrypt(key, size, 0, size, io.Discard, func(off, n int64, w io.Writer) error {
			w.Write(ct[:100])
			return errRead
		})
		if err != errRead {
			t.Fatalf("err = %v, want the read error unchanged", err)
		}
	})
	t.Run("writer error", func(t *testing.T) {
		errW := errors.New("client went away")
		w := &failWriter{after: ChunkSize + 3, err: errW}
		n, err := Decrypt(key, size, 0, size, w, func(off, n int64, dw io.Writer) error {
			if err := piecewise(dw, ct, 1000); err != nil {
				return fmt.Errorf("engine: %w", err) // engines wrap what they saw
			}
			return nil
		})
		if err != errW || n != ChunkSize+3 {
			t.Fatalf("Decrypt = %d, %v; want %d, the writer's error unchanged", n, err, ChunkSize+3)
		}
	})
	t.Run("read writes too much", func(t *testing.T) {
		_, err := Decrypt(key, size, 0, ChunkSize, io.Discard, func(off, n int64, w io.Writer) error {
			return piecewise(w, ct[off:off+n+1], 0)
		})
		if err == nil || errors.Is(err, ErrCorrupt) {
			t.Fatalf("err = %v, want a contract error", err)
		}
	})
	t.Run("corrupt chunk wins over read's wrapping", func(t *testing.T) {
		bad := bytes.Clone(ct)
		bad[10] ^= 1
		_, err := Decrypt(key, size, 0, size, io.Discard, func(off, n int64, w io.Writer) error {
			if _, err := w.Write(bad); err != nil {
				return errRead
			}
			return nil
		})
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("err = %v, want ErrCorrupt", err)
		}
	})
}

type failWriter struct {
	n, after int
	err      error
}

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n+len(p) > w.after {
		k := w.after - w.n
		w.n = w.after
		return k, w.err
	}
	w.n += len(p)
	return len(p), nil
}

func TestNewEncrypter(t *testing.T) {
	plain := plaintext(ChunkSize + 9)
	enc1, key1, err := NewEncrypter(bytes.NewReader(plain), int64(len(plain)))
	if err != nil {
		t.Fatal(err)
	}
	_, key2, err := NewEncrypter(bytes.NewReader(plain), int64(len(plain)))
	if err != nil {
		t.Fatal(err)
	}
	if len(key1) != KeySize || bytes.Equal(key1, key2) || bytes.Equal(key1, make([]byte, KeySize)) {
		t.Fatalf("data keys %x and %x: want two distinct random %d-byte keys", key1, key2, KeySize)
	}
	ct, err := io.ReadAll(enc1)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := decrypt(key1, ct, int64(len(plain)), 0, int64(len(plain)), 0)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("round trip under the returned key: %v", err)
	}
	if _, _, err := NewEncrypter(bytes.NewReader(nil), -1); err == nil {
		t.Fatal("negative size accepted")
	}
}

// TestEncrypterIsAReader runs testing/iotest's reader checks over sources
// that split, merge and delay their EOF differently.
func TestEncrypterIsAReader(t *testing.T) {
	for _, size := range []int64{0, 1, ChunkSize, 2*ChunkSize + 3} {
		key := testKey(5)
		plain := plaintext(size)
		want := seal(t, key, plain)
		sources := map[string]func() io.Reader{
			"plain":    func() io.Reader { return bytes.NewReader(plain) },
			"one byte": func() io.Reader { return iotest.OneByteReader(bytes.NewReader(plain)) },
			"data+EOF": func() io.Reader { return iotest.DataErrReader(bytes.NewReader(plain)) },
			"half":     func() io.Reader { return iotest.HalfReader(bytes.NewReader(plain)) },
		}
		for name, src := range sources {
			t.Run(fmt.Sprintf("%d/%s", size, name), func(t *testing.T) {
				enc, err := newEncrypter(key, src(), size)
				if err != nil {
					t.Fatal(err)
				}
				if err := iotest.TestReader(enc, want); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// eofWatch is a source that records whether it has returned io.EOF.
type eofWatch struct {
	r   io.Reader
	eof bool
}

func (w *eofWatch) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	if err == io.EOF {
		w.eof = true
	}
	return n, err
}

func TestEncrypterNoEOFBeforeSource(t *testing.T) {
	for _, size := range []int64{0, 5, ChunkSize, 3*ChunkSize + 1} {
		for _, buf := range []int{1, 16, ChunkSize + TagSize, 1 << 20} {
			src := &eofWatch{r: iotest.OneByteReader(bytes.NewReader(plaintext(size)))}
			enc, err := newEncrypter(testKey(1), src, size)
			if err != nil {
				t.Fatal(err)
			}
			var total int64
			p := make([]byte, buf)
			for {
				n, err := enc.Read(p)
				total += int64(n)
				if err == io.EOF {
					if !src.eof {
						t.Fatalf("size %d buf %d: io.EOF before the source's", size, buf)
					}
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if total == SealedSize(size) && !src.eof {
					t.Fatalf("size %d buf %d: last byte out before the source's io.EOF", size, buf)
				}
			}
			if total != SealedSize(size) {
				t.Fatalf("size %d: %d bytes, want %d", size, total, SealedSize(size))
			}
		}
	}
}

// errSource yields data and then err, optionally with the last data.
type errSource struct {
	data     []byte
	err      error
	withData bool
}

func (s *errSource) Read(p []byte) (int, error) {
	if len(s.data) == 0 {
		return 0, s.err
	}
	n := copy(p, s.data)
	s.data = s.data[n:]
	if len(s.data) == 0 && s.withData {
		return n, s.err
	}
	return n, nil
}

type stallSource struct{}

func (stallSource) Read([]byte) (int, error) { return 0, nil }

func TestEncrypterSourceFaults(t *testing.T) {
	errDigest := errors.New("content-md5 mismatch")
	const size = 2*ChunkSize + 100
	plain := plaintext(size)
	tests := []struct {
		name   string
		src    io.Reader
		want   error // matched with errors.Is; identity for source errors
		same   bool  // the source's error must come back unchanged
		maxOut int64 // at most this many ciphertext bytes before the error
	}{
		{"error mid-stream", &errSource{data: plain[:1000], err: errDigest}, errDigest, true, 0},
		{"error with data mid-stream", &errSource{data: plain[:ChunkSize+1], err: errDigest, withData: true}, errDigest, true, ChunkSize + TagSize},
		{"error instead of EOF", &errSource{data: plain, err: errDigest}, errDigest, true, 2 * (ChunkSize + TagSize)},
		{"error with the last data", &errSource{data: plain, err: errDigest, withData: true}, errDigest, true, 2 * (ChunkSize + TagSize)},
		{"short mid-chunk", bytes.NewReader(plain[:size-1]), ErrSizeMismatch, false, 2 * (ChunkSize + TagSize)},
		{"short at a chunk boundary", bytes.NewReader(plain[:2*ChunkSize]), ErrSizeMismatch, false, 2 * (ChunkSize + TagSize)},
		{"empty", bytes.NewReader(nil), ErrSizeMismatch, false, 0},
		{"long by one", bytes.NewReader(append(bytes.Clone(plain), 0)), ErrSizeMismatch, false, 2 * (ChunkSize + TagSize)},
		{"long by a chunk", bytes.NewReader(append(bytes.Clone(plain), plaintext(ChunkSize)...)), ErrSizeMismatch, false, 2 * (ChunkSize + TagSize)},
		{"stalled", stallSource{}, io.ErrNoProgress, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, err := newEncrypter(testKey(1), tt.src, size)
			if err != nil {
				t.Fatal(err)
			}
			out, err := io.ReadAll(enc)
			if !errors.Is(err, tt.want) || (tt.same && err != tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if int64(len(out)) > tt.maxOut {
				t.Fatalf("%d ciphertext bytes out before the error, want at most %d (the final chunk must not be sealed)", len(out), tt.maxOut)
			}
			// The error sticks.
			if n, err2 := enc.Read(make([]byte, 10)); n != 0 || err2 != err {
				t.Fatalf("next Read = %d, %v; want 0, %v", n, err2, err)
			}
		})
	}
	t.Run("long empty object", func(t *testing.T) {
		enc, _ := newEncrypter(testKey(1), strings.NewReader("x"), 0)
		if out, err := io.ReadAll(enc); !errors.Is(err, ErrSizeMismatch) || len(out) != 0 {
			t.Fatalf("got %d bytes, %v; want ErrSizeMismatch and nothing", len(out), err)
		}
	})
}
