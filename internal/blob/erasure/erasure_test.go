package erasure

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"pgregory.net/rapid"
)

var errInjected = errors.New("injected corruption")

// badRange fails reads overlapping [from, to) of a shard payload, the way
// a shard.Reader reports a corrupt block.
type badRange struct {
	r        io.ReaderAt
	from, to int64
}

func (b badRange) ReadAt(p []byte, off int64) (int, error) {
	if off < b.to && off+int64(len(p)) > b.from {
		return 0, errInjected
	}
	return b.r.ReadAt(p, off)
}

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// tb is the part of testing.TB that *rapid.T also implements.
type tb interface {
	Helper()
	Fatalf(format string, args ...any)
}

func encode(t tb, c *Coder, data []byte) [][]byte {
	t.Helper()
	bufs := make([]*bytes.Buffer, c.Shards())
	ws := make([]io.Writer, c.Shards())
	for i := range bufs {
		bufs[i] = new(bytes.Buffer)
		ws[i] = bufs[i]
	}
	n, faults, err := c.Encode(context.Background(), bytes.NewReader(data), ws, 0)
	if err != nil || n != int64(len(data)) || len(faults) != 0 {
		t.Fatalf("Encode = %d, %v, %v", n, faults, err)
	}
	out := make([][]byte, len(bufs))
	for i, b := range bufs {
		out[i] = b.Bytes()
		if int64(len(out[i])) != c.ShardSize(int64(len(data))) {
			t.Fatalf("shard %d is %d bytes, ShardSize says %d", i, len(out[i]), c.ShardSize(int64(len(data))))
		}
	}
	return out
}

func readers(shards [][]byte) []io.ReaderAt {
	rs := make([]io.ReaderAt, len(shards))
	for i, s := range shards {
		rs[i] = bytes.NewReader(s)
	}
	return rs
}

func TestShardSizeAndPadding(t *testing.T) {
	c, _ := New(4, 2, 64)
	tests := []struct{ obj, shard int64 }{{0, 0}, {1, 1}, {4, 1}, {5, 2}, {255, 64}, {256, 64}, {257, 65}, {1000, 250}}
	for _, tc := range tests {
		if got := c.ShardSize(tc.obj); got != tc.shard {
			t.Errorf("ShardSize(%d) = %d, want %d", tc.obj, got, tc.shard)
		}
	}
}

func TestInvalid(t *testing.T) {
	for _, tc := range [][3]int{{0, 1, 64}, {1, -1, 64}, {200, 57, 64}, {4, 2, 1}} {
		if _, err := New(tc[0], tc[1], tc[2]); err == nil {
			t.Errorf("New%v accepted", tc)
		}
	}
	c, _ := New(2, 1, 64)
	if _, err := c.NewEncoder(make([]io.Writer, 2), 0); err == nil {
		t.Error("wrong writer count accepted")
	}
	if _, err := c.NewEncoder([]io.Writer{io.Discard, nil, nil}, 2); err == nil {
		t.Error("encoder below quorum accepted")
	}
	if _, err := c.NewDecoder(make([]io.ReaderAt, 2), 1); err == nil {
		t.Error("wrong reader count accepted")
	}
}

// TestRoundTripProperty: random layouts and lengths; delete, truncate or
// corrupt any <= m shards (whole shards or single stripes); every range
// decodes byte-exact, and the broken shards are reported.
func TestRoundTripProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		k := rapid.IntRange(1, 8).Draw(t, "k")
		m := rapid.IntRange(0, 4).Draw(t, "m")
		bs := rapid.SampledFrom([]int{64, 100, 256}).Draw(t, "bs")
		c, err := New(k, m, bs)
		if err != nil {
			t.Fatal(err)
		}
		n := rapid.IntRange(0, 6*k*bs+3).Draw(t, "n")
		rng := rand.New(rand.NewPCG(uint64(n), uint64(k*31+m)))
		data := randBytes(rng, n)
		shards := encode(t, c, data)
		rs := readers(shards)

		lost := rapid.SliceOfNDistinct(rapid.IntRange(0, k+m-1), 0, m, rapid.ID[int]).Draw(t, "lost")
		shardSize := c.ShardSize(int64(n))
		for _, i := range lost {
			switch rapid.IntRange(0, 3).Draw(t, fmt.Sprintf("how%d", i)) {
			case 0:
				rs[i] = nil
			case 1:
				rs[i] = badRange{rs[i], 0, 1 << 62}
			case 2: // truncated
				cut := rapid.Int64Range(0, max(0, shardSize-1)).Draw(t, "cut")
				rs[i] = bytes.NewReader(shards[i][:cut])
			case 3: // one corrupt "block" somewhere
				at := rapid.Int64Range(0, max(0, shardSize-1)).Draw(t, "at")
				rs[i] = badRange{rs[i], at, at + 1}
			}
		}
		d, err := c.NewDecoder(rs, int64(n))
		if err != nil {
			t.Fatal(err)
		}
		got := make([]byte, n)
		if _, err := d.ReadAt(got, 0); err != nil {
			t.Fatalf("full read: %v (lost %v)", err, lost)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("full read differs (lost %v)", lost)
		}
		for range 5 {
			off := rapid.IntRange(0, n).Draw(t, "off")
			l := rapid.IntRange(0, n-off).Draw(t, "len")
			p := make([]byte, l)
			if _, err := d.ReadAt(p, int64(off)); err != nil {
				t.Fatalf("ReadAt(%d,%d): %v", off, l, err)
			}
			if !bytes.Equal(p, data[off:off+l]) {
				t.Fatalf("ReadAt(%d,%d) differs", off, l)
			}
			var w bytes.Buffer
			if _, err := d.Copy(context.Background(), &w, int64(off), int64(l)); err != nil || !bytes.Equal(w.Bytes(), data[off:off+l]) {
				t.Fatalf("Copy(%d,%d): %v", off, l, err)
			}
		}
		// Faults only ever name shards we broke.
		for _, f := range d.Faults() {
			if !contains(lost, f.Shard) {
				t.Fatalf("healthy shard %d reported: %v", f.Shard, f.Err)
			}
		}
		// Rebuilding every broken shard restores it byte-identical.
		if len(lost) > 0 && n > 0 {
			dst := make([]io.Writer, k+m)
			bufs := map[int]*bytes.Buffer{}
			for _, i := range lost {
				bufs[i] = new(bytes.Buffer)
				dst[i] = bufs[i]
			}
			if _, err := c.Reconstruct(context.Background(), rs, int64(n), dst); err != nil {
				t.Fatalf("Reconstruct %v: %v", lost, err)
			}
			for i, b := range bufs {
				if !bytes.Equal(b.Bytes(), shards[i]) {
					t.Fatalf("rebuilt shard %d differs", i)
				}
			}
		}
	})
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestTooManyLost: losing more than m shards of a stripe is a clear error.
func TestTooManyLost(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		k := rapid.IntRange(1, 6).Draw(t, "k")
		m := rapid.IntRange(0, 3).Draw(t, "m")
		c, _ := New(k, m, 64)
		n := rapid.IntRange(k*64, 4*k*64).Draw(t, "n") // every data shard holds object bytes
		data := randBytes(rand.New(rand.NewPCG(1, uint64(n))), n)
		rs := readers(encode(t, c, data))
		lost := rapid.SliceOfNDistinct(rapid.IntRange(0, k+m-1), m+1, m+1, rapid.ID[int]).Draw(t, "lost")
		for _, i := range lost {
			rs[i] = nil
		}
		d, _ := c.NewDecoder(rs, int64(n))
		// Some reads may still succeed (all needed data shards present);
		// the whole object cannot unless every lost shard is parity.
		_, err := d.ReadAt(make([]byte, n), 0)
		allParity := true
		for _, i := range lost {
			allParity = allParity && i >= k
		}
		if allParity {
			if err != nil {
				t.Fatalf("only parity lost, read failed: %v", err)
			}
			return
		}
		if !errors.Is(err, ErrTooFewShards) {
			t.Fatalf("err = %v, want ErrTooFewShards", err)
		}
		if _, err := c.Reconstruct(context.Background(), rs, int64(n), oneWriter(k+m, lost[0])); !errors.Is(err, ErrTooFewShards) {
			t.Fatalf("Reconstruct err = %v", err)
		}
	})
}

func oneWriter(n, i int) []io.Writer {
	ws := make([]io.Writer, n)
	ws[i] = io.Discard
	return ws
}

// failWriter fails after limit bytes.
type failWriter struct{ limit int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.limit < len(p) {
		return 0, errors.New("disk full")
	}
	w.limit -= len(p)
	return len(p), nil
}

func TestEncoderQuorum(t *testing.T) {
	c, _ := New(4, 2, 64)
	data := randBytes(rand.New(rand.NewPCG(1, 2)), 4*64*5+17)
	mk := func(bad ...int) ([]io.Writer, []*bytes.Buffer) {
		ws := make([]io.Writer, 6)
		bufs := make([]*bytes.Buffer, 6)
		for i := range ws {
			bufs[i] = new(bytes.Buffer)
			ws[i] = bufs[i]
		}
		for _, i := range bad {
			ws[i] = &failWriter{limit: 100}
		}
		return ws, bufs
	}
	// One failing shard with quorum 5: succeeds, fault reported, decodable.
	ws, bufs := mk(2)
	n, faults, err := c.Encode(context.Background(), bytes.NewReader(data), ws, 5)
	if err != nil || n != int64(len(data)) || len(faults) != 1 || faults[0].Shard != 2 {
		t.Fatalf("Encode = %d, %+v, %v", n, faults, err)
	}
	rs := make([]io.ReaderAt, 6)
	for i, b := range bufs {
		if i != 2 {
			rs[i] = bytes.NewReader(b.Bytes())
		}
	}
	d, _ := c.NewDecoder(rs, n)
	got := make([]byte, n)
	if _, err := d.ReadAt(got, 0); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("decode after degraded write: %v", err)
	}
	// Two failing shards with quorum 5: fails.
	ws, _ = mk(1, 4)
	if _, _, err := c.Encode(context.Background(), bytes.NewReader(data), ws, 5); err == nil {
		t.Fatal("write below quorum succeeded")
	}
	// Cancelled context stops the copy and does not flush a partial stripe.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ws, bufs = mk()
	if _, _, err := c.Encode(ctx, bytes.NewReader(data), ws, 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled encode: %v", err)
	}
	if bufs[0].Len() != 0 {
		t.Fatal("cancelled encode wrote data")
	}
}

// TestWriterFormMatchesReaderForm: Write in odd pieces == ReadFrom.
func TestWriterFormMatchesReaderForm(t *testing.T) {
	c, _ := New(3, 2, 64)
	data := randBytes(rand.New(rand.NewPCG(3, 4)), 3*64*4+5)
	want := encode(t, c, data)
	bufs := make([]*bytes.Buffer, 5)
	ws := make([]io.Writer, 5)
	for i := range ws {
		bufs[i] = new(bytes.Buffer)
		ws[i] = bufs[i]
	}
	e, _ := c.NewEncoder(ws, 0)
	for p := data; len(p) > 0; {
		k := min(len(p), 1+len(p)%53)
		e.Write(p[:k])
		p = p[k:]
	}
	if err := e.Close(); err != nil || e.Written() != int64(len(data)) {
		t.Fatalf("Close = %v, written %d", err, e.Written())
	}
	for i := range want {
		if !bytes.Equal(bufs[i].Bytes(), want[i]) {
			t.Fatalf("shard %d differs between Write and ReadFrom forms", i)
		}
	}
}
