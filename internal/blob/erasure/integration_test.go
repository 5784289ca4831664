package erasure_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/nimbuscloud/nimbus/internal/blob/drive"
	"github.com/nimbuscloud/nimbus/internal/blob/erasure"
	"github.com/nimbuscloud/nimbus/internal/blob/shard"
)

// cluster is RS(k,m) over k+m Local drives in a temp dir, with the glue
// the engine will own: shard names, shard IDs and the key.
type cluster struct {
	t      *testing.T
	c      *erasure.Coder
	drives []*drive.Local
	key    shard.Key
	obj    [16]byte
	bs     int
}

func newCluster(t *testing.T, k, m, bs int) *cluster {
	c, err := erasure.New(k, m, bs)
	if err != nil {
		t.Fatal(err)
	}
	cl := &cluster{t: t, c: c, bs: bs}
	root := t.TempDir()
	for i := range k + m {
		d, err := drive.NewLocal(filepath.Join(root, fmt.Sprintf("drive%d", i)))
		if err != nil {
			t.Fatal(err)
		}
		cl.drives = append(cl.drives, d)
	}
	for i := range cl.key {
		cl.key[i] = byte(i * 7)
	}
	cl.obj = [16]byte{0xab, 0xcd, 1, 2, 3}
	return cl
}

func (cl *cluster) name(i int) string { return fmt.Sprintf("%s.%d", hex.EncodeToString(cl.obj[:]), i) }

func (cl *cluster) shardOpts(i int, size int64) shard.Options {
	id := cl.obj
	id[15] = byte(i)
	return shard.Options{Key: cl.key, BlockSize: cl.bs, Size: cl.c.ShardSize(size), ID: id}
}

func (cl *cluster) path(i int) string {
	p, err := cl.drives[i].Path(cl.name(i))
	if err != nil {
		cl.t.Fatal(err)
	}
	return p
}

// put writes the object: drive temp file <- shard.Writer <- Encoder.
func (cl *cluster) put(data []byte) {
	ctx := context.Background()
	var dws []drive.Writer
	var sws []*shard.Writer
	ws := make([]io.Writer, cl.c.Shards())
	for i, d := range cl.drives {
		dw, err := d.Create(ctx, cl.name(i))
		if err != nil {
			cl.t.Fatal(err)
		}
		defer dw.Abort()
		sw := shard.NewWriter(dw, cl.shardOpts(i, int64(len(data))))
		dws, sws, ws[i] = append(dws, dw), append(sws, sw), sw
	}
	n, faults, err := cl.c.Encode(ctx, bytes.NewReader(data), ws, 0)
	if err != nil || n != int64(len(data)) || len(faults) > 0 {
		cl.t.Fatalf("Encode = %d, %v, %v", n, faults, err)
	}
	for i := range sws {
		if err := sws[i].Close(); err != nil {
			cl.t.Fatal(err)
		}
		if err := dws[i].Commit(); err != nil {
			cl.t.Fatal(err)
		}
	}
}

// open opens every shard that opens cleanly; the others are nil, with the
// reason in openFaults.
func (cl *cluster) open(size int64) (*erasure.Decoder, map[int]error) {
	ctx := context.Background()
	rs := make([]io.ReaderAt, cl.c.Shards())
	openFaults := map[int]error{}
	for i, d := range cl.drives {
		f, err := d.Open(ctx, cl.name(i))
		if err != nil {
			openFaults[i] = err
			continue
		}
		cl.t.Cleanup(func() { f.Close() })
		sr, err := shard.NewReader(f, f.Size(), cl.key)
		if err != nil {
			openFaults[i] = err
			continue
		}
		rs[i] = sr
	}
	dec, err := cl.c.NewDecoder(rs, size)
	if err != nil {
		cl.t.Fatal(err)
	}
	return dec, openFaults
}

func flipByte(t *testing.T, path string, off int64) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b [1]byte
	f.ReadAt(b[:], off)
	b[0] ^= 0x5a
	if _, err := f.WriteAt(b[:], off); err != nil {
		t.Fatal(err)
	}
}

// blockOff returns the file offset of a byte inside block blk of a shard.
func blockOff(bs, blk int) int64 {
	return shard.HeaderSize + int64(blk)*int64(bs+shard.DefaultAlgorithm.Size()) + 123
}

func TestIntegrationRS42OverLocalDrives(t *testing.T) {
	const bs = 256 << 10 // stripe = 1 MiB, so 10 stripes
	cl := newCluster(t, 4, 2, bs)
	data := make([]byte, 10<<20)
	rng := rand.New(rand.NewPCG(10, 20))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	size := int64(len(data))
	cl.put(data)

	orig1, err := os.ReadFile(cl.path(1))
	if err != nil {
		t.Fatal(err)
	}
	orig0, _ := os.ReadFile(cl.path(0))
	// Damage: shard 1 deleted, shard 0 corrupt in stripe 2, parity shard 4
	// corrupt in stripe 7. No stripe loses more than m=2.
	if err := cl.drives[1].Delete(context.Background(), cl.name(1)); err != nil {
		t.Fatal(err)
	}
	flipByte(t, cl.path(0), blockOff(bs, 2))
	flipByte(t, cl.path(4), blockOff(bs, 7))

	dec, openFaults := cl.open(size)
	if len(openFaults) != 1 || !errors.Is(openFaults[1], drive.ErrNotFound) {
		t.Fatalf("open faults %v", openFaults)
	}
	var got bytes.Buffer
	if _, err := dec.Copy(context.Background(), &got, 0, size); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), data) {
		t.Fatal("full read differs")
	}
	ranges := [][2]int64{{0, 1}, {2<<20 - 5, 10}, {2 << 20, 1 << 20}, {7<<20 + 300000, 4096}, {size - 1, 1}, {size - 3<<20, 3 << 20}, {5, size - 10}}
	for _, r := range ranges {
		p := make([]byte, r[1])
		if _, err := dec.ReadAt(p, r[0]); err != nil || !bytes.Equal(p, data[r[0]:r[0]+r[1]]) {
			t.Fatalf("range %v: %v", r, err)
		}
	}
	faults := dec.Faults()
	if len(faults) != 3 || faults[0].Shard != 0 || faults[1].Shard != 1 || faults[2].Shard != 4 ||
		!errors.Is(faults[0].Err, shard.ErrCorrupt) || !errors.Is(faults[2].Err, shard.ErrCorrupt) {
		t.Fatalf("faults = %+v", faults)
	}
	var ce *shard.CorruptError
	if !errors.As(faults[0].Err, &ce) || ce.Block != 2 {
		t.Fatalf("shard 0 fault %v, want block 2", faults[0].Err)
	}

	// Heal: rebuild shards 0, 1 and 4 in one pass through fresh shard
	// writers, committed over the damaged files.
	ctx := context.Background()
	rs := make([]io.ReaderAt, 6)
	for i := range 6 {
		if f, err := cl.drives[i].Open(ctx, cl.name(i)); err == nil {
			defer f.Close()
			if sr, err := shard.NewReader(f, f.Size(), cl.key); err == nil {
				rs[i] = sr
			}
		}
	}
	dst := make([]io.Writer, 6)
	var dws []drive.Writer
	var sws []*shard.Writer
	for _, i := range []int{0, 1, 4} {
		dw, err := cl.drives[i].Create(ctx, cl.name(i))
		if err != nil {
			t.Fatal(err)
		}
		defer dw.Abort()
		sw := shard.NewWriter(dw, cl.shardOpts(i, size))
		dst[i] = sw
		dws, sws = append(dws, dw), append(sws, sw)
	}
	srcFaults, err := cl.c.Reconstruct(ctx, rs, size, dst)
	if err != nil || len(srcFaults) != 0 {
		t.Fatalf("Reconstruct = %v, %v", srcFaults, err)
	}
	for j := range sws {
		if err := sws[j].Close(); err != nil {
			t.Fatal(err)
		}
		if err := dws[j].Commit(); err != nil {
			t.Fatal(err)
		}
	}
	if healed, _ := os.ReadFile(cl.path(1)); !bytes.Equal(healed, orig1) {
		t.Fatal("rebuilt shard 1 file is not byte-identical")
	}
	if healed, _ := os.ReadFile(cl.path(0)); !bytes.Equal(healed, orig0) {
		t.Fatal("rebuilt shard 0 file is not byte-identical")
	}
	// The scrubber's view: every shard verifies; reads are clean.
	for i := range 6 {
		f, _ := cl.drives[i].Open(ctx, cl.name(i))
		sr, err := shard.NewReader(f, f.Size(), cl.key)
		if err != nil {
			t.Fatal(err)
		}
		if bad, err := sr.Verify(); err != nil || len(bad) != 0 {
			t.Fatalf("shard %d Verify = %v, %v", i, bad, err)
		}
		f.Close()
	}
	dec, _ = cl.open(size)
	got.Reset()
	if _, err := dec.Copy(ctx, &got, 0, size); err != nil || !bytes.Equal(got.Bytes(), data) || len(dec.Faults()) != 0 {
		t.Fatalf("after heal: %v, faults %v", err, dec.Faults())
	}
}

func TestIntegrationTooManyLost(t *testing.T) {
	const bs = 64 << 10
	cl := newCluster(t, 4, 2, bs)
	data := make([]byte, 4*bs*5) // 5 stripes
	for i := range data {
		data[i] = byte(i * 13)
	}
	size := int64(len(data))
	cl.put(data)
	// Stripe 3 loses shards 1 (deleted), 2 and 3 (corrupt): 3 > m.
	cl.drives[1].Delete(context.Background(), cl.name(1))
	flipByte(t, cl.path(2), blockOff(bs, 3))
	flipByte(t, cl.path(3), blockOff(bs, 3))
	dec, _ := cl.open(size)
	stripe := int64(4 * bs)
	if _, err := dec.ReadAt(make([]byte, stripe), 3*stripe); !errors.Is(err, erasure.ErrTooFewShards) {
		t.Fatalf("read of stripe 3: %v", err)
	}
	// A range of stripe 3 held only by healthy shard 0 still reads.
	if p := make([]byte, 10); func() error { _, err := dec.ReadAt(p, 3*stripe+5); return err }() != nil || !bytes.Equal(p, data[3*stripe+5:3*stripe+15]) {
		t.Fatal("range on the healthy shard of a lost stripe failed")
	}
	// Other stripes still read (1 loss each).
	p := make([]byte, 3*stripe)
	if _, err := dec.ReadAt(p, 0); err != nil || !bytes.Equal(p, data[:3*stripe]) {
		t.Fatalf("stripes 0-2: %v", err)
	}
	p = make([]byte, stripe)
	if _, err := dec.ReadAt(p, 4*stripe); err != nil || !bytes.Equal(p, data[4*stripe:]) {
		t.Fatalf("stripe 4: %v", err)
	}
}

// BenchmarkPipeline: the full engine I/O path without disks: RS over
// shard.Writers (HighwayHash-256, block = erasure block) into memory, then
// a degraded read (m data shards missing) through shard.Readers.
func BenchmarkPipeline(b *testing.B) {
	const size = 64 << 20
	data := make([]byte, size)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	var key shard.Key
	for _, l := range [][2]int{{4, 2}, {10, 4}} {
		const bs = 1 << 20
		c, _ := erasure.New(l[0], l[1], bs)
		opts := shard.Options{Key: key, BlockSize: bs, Size: c.ShardSize(size)}
		bufs := make([]*bytes.Buffer, c.Shards())
		encode := func(keep bool) {
			ws := make([]io.Writer, c.Shards())
			sws := make([]*shard.Writer, c.Shards())
			for i := range ws {
				var out io.Writer = io.Discard
				if keep {
					bufs[i] = bytes.NewBuffer(make([]byte, 0, shard.FileSize(opts.Size, bs, 0)))
					out = bufs[i]
				}
				sws[i] = shard.NewWriter(out, opts)
				ws[i] = sws[i]
			}
			if _, _, err := c.Encode(context.Background(), bytes.NewReader(data), ws, 0); err != nil {
				b.Fatal(err)
			}
			for _, sw := range sws {
				if err := sw.Close(); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.Run(fmt.Sprintf("RS(%d,%d)/encode", l[0], l[1]), func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				encode(false) // shards to io.Discard: CPU cost only
			}
		})
		encode(true)
		b.Run(fmt.Sprintf("RS(%d,%d)/degraded-decode", l[0], l[1]), func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				rs := make([]io.ReaderAt, c.Shards())
				for i := c.ParityShards(); i < c.Shards(); i++ {
					sr, err := shard.NewReader(bytes.NewReader(bufs[i].Bytes()), int64(bufs[i].Len()), key)
					if err != nil {
						b.Fatal(err)
					}
					rs[i] = sr
				}
				d, _ := c.NewDecoder(rs, size)
				if _, err := d.Copy(context.Background(), io.Discard, 0, size); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
