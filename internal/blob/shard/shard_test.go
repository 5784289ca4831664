package shard

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
)

var testKey = Key{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32}

func payload(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 99))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// build writes data as a shard with the given options (Size is set).
func build(t testing.TB, data []byte, opts Options) []byte {
	t.Helper()
	opts.Size = int64(len(data))
	var buf bytes.Buffer
	w := NewWriter(&buf, opts)
	// Write in odd-sized pieces to exercise block boundaries inside Write.
	for p := data; len(p) > 0; {
		n := min(len(p), 1+len(p)%37)
		if _, err := w.Write(p[:n]); err != nil {
			t.Fatalf("write: %v", err)
		}
		p = p[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if got, want := int64(buf.Len()), FileSize(int64(len(data)), opts.BlockSize, opts.Algorithm); got != want {
		t.Fatalf("file size %d, FileSize says %d", got, want)
	}
	return buf.Bytes()
}

func mustOpen(t testing.TB, file []byte) *Reader {
	t.Helper()
	r, err := NewReader(bytes.NewReader(file), int64(len(file)), testKey)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	return r
}

func TestRoundTrip(t *testing.T) {
	const bs = 64
	sizes := []int{0, 1, bs - 1, bs, bs + 1, 2*bs - 1, 2 * bs, 2*bs + 1, 10*bs + 7}
	for _, alg := range []Algorithm{HighwayHash256, BLAKE3, XXH3} {
		for _, n := range sizes {
			t.Run(fmt.Sprintf("%v/%d", alg, n), func(t *testing.T) {
				data := payload(n, uint64(n))
				file := build(t, data, Options{Key: testKey, Algorithm: alg, BlockSize: bs, ID: [16]byte{7}})
				r := mustOpen(t, file)
				if r.Size() != int64(n) || r.Header().Algorithm != alg || r.Header().BlockSize != bs {
					t.Fatalf("header %+v", r.Header())
				}
				got := make([]byte, n)
				if _, err := r.ReadAt(got, 0); err != nil {
					t.Fatalf("ReadAt: %v", err)
				}
				if !bytes.Equal(got, data) {
					t.Fatal("payload differs")
				}
				if bad, err := r.Verify(); err != nil || len(bad) != 0 {
					t.Fatalf("Verify = %v, %v", bad, err)
				}
				// io.SectionReader streaming reads everything back too.
				all, err := io.ReadAll(io.NewSectionReader(r, 0, r.Size()))
				if err != nil || !bytes.Equal(all, data) {
					t.Fatalf("section read: %v", err)
				}
			})
		}
	}
}

func TestDefaults(t *testing.T) {
	data := payload(3*DefaultBlockSize/2, 1)
	file := build(t, data, Options{Key: testKey})
	h := mustOpen(t, file).Header()
	if h.BlockSize != DefaultBlockSize || h.Algorithm != DefaultAlgorithm || h.Blocks() != 2 {
		t.Fatalf("header %+v", h)
	}
}

func TestRangeReads(t *testing.T) {
	const bs = 100
	data := payload(5*bs+30, 5)
	r := mustOpen(t, build(t, data, Options{Key: testKey, BlockSize: bs}))
	n := int64(len(data))
	tests := []struct {
		off, len int64
		wantEOF  bool
	}{
		{0, 1, false}, {0, bs, false}, {bs - 1, 2, false}, {bs, bs, false},
		{bs - 1, bs + 2, false}, {n - 1, 1, false}, {n - 30, 30, false},
		{n - 10, 20, true}, {n, 1, true}, {n + 5, 1, true}, {3, 0, false}, {0, n, false},
	}
	for _, tc := range tests {
		p := make([]byte, tc.len)
		got, err := r.ReadAt(p, tc.off)
		wantN := max(0, min(tc.len, n-tc.off))
		if int64(got) != wantN || (err == io.EOF) != tc.wantEOF || (err != nil && err != io.EOF) {
			t.Errorf("ReadAt(off=%d,len=%d) = %d, %v; want %d, eof=%v", tc.off, tc.len, got, err, wantN, tc.wantEOF)
			continue
		}
		if got > 0 && !bytes.Equal(p[:got], data[tc.off:tc.off+int64(got)]) {
			t.Errorf("ReadAt(off=%d,len=%d): wrong bytes", tc.off, tc.len)
		}
	}
}

// countingReaderAt records which file offsets were read.
type countingReaderAt struct {
	r     io.ReaderAt
	reads [][2]int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	c.reads = append(c.reads, [2]int64{off, int64(len(p))})
	return c.r.ReadAt(p, off)
}

func TestRangeReadTouchesOnlyNeededBlocks(t *testing.T) {
	const bs = 128
	data := payload(10*bs, 9)
	file := build(t, data, Options{Key: testKey, BlockSize: bs})
	c := &countingReaderAt{r: bytes.NewReader(file)}
	r, err := NewReader(c, int64(len(file)), testKey)
	if err != nil {
		t.Fatal(err)
	}
	c.reads = nil
	p := make([]byte, bs)
	if _, err := r.ReadAt(p, 4*bs+10); err != nil { // blocks 4 and 5
		t.Fatal(err)
	}
	h := r.Header()
	want := [][2]int64{{h.blockOffset(4), bs + 32}, {h.blockOffset(5), bs + 32}}
	if fmt.Sprint(c.reads) != fmt.Sprint(want) {
		t.Fatalf("reads %v, want %v", c.reads, want)
	}
}

func TestCorruptEachBlock(t *testing.T) {
	const bs = 64
	data := payload(4*bs+10, 3) // blocks 0..4, last partial
	file := build(t, data, Options{Key: testKey, BlockSize: bs})
	h := mustOpen(t, file).Header()
	for blk := 0; blk < h.Blocks(); blk++ {
		// Flip a byte in the data, then in the hash, of block blk.
		for _, pos := range []int64{h.blockOffset(blk) + int64(h.blockLen(blk)) - 1, h.blockOffset(blk) + int64(h.blockLen(blk))} {
			bad := bytes.Clone(file)
			bad[pos] ^= 0x40
			r := mustOpen(t, bad)
			_, err := r.ReadAt(make([]byte, len(data)), 0)
			var ce *CorruptError
			if !errors.As(err, &ce) || ce.Block != blk || !errors.Is(err, ErrCorrupt) {
				t.Fatalf("block %d pos %d: err = %v", blk, pos, err)
			}
			got, err := r.Verify()
			if err != nil || fmt.Sprint(got) != fmt.Sprint([]int{blk}) {
				t.Fatalf("Verify = %v, %v; want [%d]", got, err, blk)
			}
			// A range avoiding the block still reads fine.
			other := (blk + 1) % h.Blocks()
			p := make([]byte, h.blockLen(other))
			if _, err := r.ReadAt(p, int64(other)*bs); err != nil || !bytes.Equal(p, data[other*bs:other*bs+len(p)]) {
				t.Fatalf("read of healthy block %d: %v", other, err)
			}
		}
	}
}

func TestSwappedBlocksDetected(t *testing.T) {
	const bs = 64
	data := payload(2*bs, 4)
	file := build(t, data, Options{Key: testKey, BlockSize: bs})
	h := mustOpen(t, file).Header()
	bad := bytes.Clone(file)
	n := bs + h.HashSize
	b0 := h.blockOffset(0)
	copy(bad[b0:], file[b0+int64(n):b0+2*int64(n)])
	copy(bad[b0+int64(n):], file[b0:b0+int64(n)])
	if got, _ := mustOpen(t, bad).Verify(); fmt.Sprint(got) != "[0 1]" {
		t.Fatalf("Verify = %v", got)
	}
	// The same block under another shard ID does not verify either.
	other := build(t, data, Options{Key: testKey, BlockSize: bs, ID: [16]byte{1}})
	mixed := bytes.Clone(file)
	copy(mixed[b0:], other[b0:b0+int64(n)])
	if got, _ := mustOpen(t, mixed).Verify(); fmt.Sprint(got) != "[0]" {
		t.Fatalf("transplanted block: Verify = %v", got)
	}
}

func TestHeaderDamage(t *testing.T) {
	data := payload(300, 2)
	file := build(t, data, Options{Key: testKey, BlockSize: 128})
	for pos := range HeaderSize {
		bad := bytes.Clone(file)
		bad[pos] ^= 1
		_, err := NewReader(bytes.NewReader(bad), int64(len(bad)), testKey)
		var ce *CorruptError
		if !errors.As(err, &ce) || ce.Block != HeaderBlock {
			t.Fatalf("byte %d flipped: err = %v", pos, err)
		}
	}
	var wrong Key
	if _, err := NewReader(bytes.NewReader(file), int64(len(file)), wrong); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("wrong key: %v", err)
	}
	long := append(bytes.Clone(file), 0)
	if _, err := NewReader(bytes.NewReader(long), int64(len(long)), testKey); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("trailing byte: %v", err)
	}
}

func TestTruncation(t *testing.T) {
	const bs = 64
	data := payload(3*bs+5, 8)
	file := build(t, data, Options{Key: testKey, BlockSize: bs})
	h := mustOpen(t, file).Header()
	for cut := int64(len(file)) - 1; cut >= 0; cut-- {
		short := file[:cut]
		_, err := NewReader(bytes.NewReader(short), cut, testKey)
		want := HeaderBlock
		if cut >= HeaderSize {
			want = int((cut - HeaderSize) / int64(bs+h.HashSize))
		}
		var ce *CorruptError
		if !errors.As(err, &ce) || ce.Block != want {
			t.Fatalf("cut %d: err = %v, want block %d", cut, err, want)
		}
		if cut < HeaderSize {
			continue
		}
		// Inspect lists the intact blocks and the first incomplete one.
		_, st, err := Inspect(bytes.NewReader(short), cut, testKey)
		if err != nil || len(st) != want+1 || st[want].Err == nil {
			t.Fatalf("cut %d: Inspect = %+v, %v", cut, st, err)
		}
		for _, b := range st[:want] {
			if b.Err != nil {
				t.Fatalf("cut %d: intact block %d reported %v", cut, b.Index, b.Err)
			}
		}
	}
}

// shrinking is a file that lost its tail after NewReader.
type shrinking struct {
	b   []byte
	cut int64
}

func (s *shrinking) ReadAt(p []byte, off int64) (int, error) {
	return bytes.NewReader(s.b[:s.cut]).ReadAt(p, off)
}

func TestTruncatedAfterOpen(t *testing.T) {
	const bs = 64
	data := payload(4*bs, 8)
	file := build(t, data, Options{Key: testKey, BlockSize: bs})
	f := &shrinking{b: file, cut: int64(len(file))}
	r, err := NewReader(f, int64(len(file)), testKey)
	if err != nil {
		t.Fatal(err)
	}
	f.cut -= 10 // now block 3 is cut short
	var ce *CorruptError
	if _, err := r.ReadAt(make([]byte, 4), 3*bs); !errors.As(err, &ce) || ce.Block != 3 {
		t.Fatalf("read of cut block: %v", err)
	}
	if bad, err := r.Verify(); err != nil || fmt.Sprint(bad) != "[3]" {
		t.Fatalf("Verify = %v, %v", bad, err)
	}
}

func TestWriterSizeMismatch(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, Options{Key: testKey, Size: 10})
	w.Write([]byte("12345"))
	if err := w.Close(); !errors.Is(err, ErrSize) {
		t.Fatalf("short: %v", err)
	}
	w = NewWriter(&buf, Options{Key: testKey, Size: 3})
	if _, err := w.Write([]byte("1234")); !errors.Is(err, ErrSize) {
		t.Fatalf("long: %v", err)
	}
	if err := NewWriter(&buf, Options{BlockSize: 3}).Close(); err == nil {
		t.Fatal("tiny block size accepted")
	}
}

func TestInspect(t *testing.T) {
	const bs = 64
	file := build(t, payload(3*bs, 1), Options{Key: testKey, BlockSize: bs})
	file[HeaderSize+bs+mustOpen(t, file).Header().HashSize+5] ^= 1 // block 1
	h, st, err := Inspect(bytes.NewReader(file), int64(len(file)), testKey)
	if err != nil || h.Blocks() != 3 || len(st) != 3 || st[0].Err != nil || st[1].Err == nil || st[2].Err != nil {
		t.Fatalf("Inspect = %+v %+v %v", h, st, err)
	}
	file[0] = 'X'
	if _, _, err := Inspect(bytes.NewReader(file), int64(len(file)), testKey); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("bad magic: %v", err)
	}
}

func FuzzShardReader(f *testing.F) {
	f.Add(build(f, nil, Options{Key: testKey, BlockSize: 64}))
	f.Add(build(f, payload(200, 1), Options{Key: testKey, BlockSize: 64}))
	f.Add(build(f, payload(100, 2), Options{Key: testKey, BlockSize: 64, Algorithm: XXH3}))
	f.Add([]byte(Magic))
	f.Fuzz(func(t *testing.T, file []byte) {
		r, err := NewReader(bytes.NewReader(file), int64(len(file)), testKey)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("non-corrupt error: %v", err)
			}
			return
		}
		p := make([]byte, min(r.Size(), 1<<16)+1)
		_, err = r.ReadAt(p, 0)
		if err != nil && err != io.EOF && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("ReadAt: %v", err)
		}
		if _, err := r.Verify(); err != nil {
			t.Fatalf("Verify: %v", err)
		}
		Inspect(bytes.NewReader(file), int64(len(file)), testKey)
	})
}

// FuzzShardReaderSigned lets the fuzzer choose header fields and body while
// the header hash is made valid, so it explores the block logic behind the
// header check (which FuzzShardReader rarely gets past).
func FuzzShardReaderSigned(f *testing.F) {
	f.Add(uint8(1), uint32(64), uint64(200), payload(200+4*32, 1))
	f.Add(uint8(3), uint32(64), uint64(0), []byte{})
	f.Add(uint8(2), uint32(100), uint64(1<<40), payload(50, 2))
	f.Fuzz(func(t *testing.T, alg uint8, bs uint32, plen uint64, body []byte) {
		h := Header{Version: Version, Algorithm: Algorithm(alg), HashSize: Algorithm(alg).Size(), BlockSize: int(bs), PayloadLen: int64(plen)}
		var hb [HeaderSize]byte
		h.encode(hb[:])
		if hs, err := h.Algorithm.newHash(&testKey); err == nil {
			var out [maxHashSize]byte
			copy(hb[headerFields:], sum(hs, &h.ID, headerIndex, hb[:headerFields], out[:]))
		}
		file := append(hb[:], body...)
		r, err := NewReader(bytes.NewReader(file), int64(len(file)), testKey)
		if err == nil {
			p := make([]byte, min(r.Size(), 1<<16)+1)
			if _, err := r.ReadAt(p, 0); err != nil && err != io.EOF && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("ReadAt: %v", err)
			}
			if _, err := r.Verify(); err != nil {
				t.Fatalf("Verify: %v", err)
			}
		} else if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("NewReader: %v", err)
		}
		Inspect(bytes.NewReader(file), int64(len(file)), testKey)
	})
}
