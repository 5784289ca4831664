package engine

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/nimbuscloud/nimbus/internal/blob/drive"
	"github.com/nimbuscloud/nimbus/internal/blob/shard"
)

// maxWriteBuf bounds the per-shard write buffer. A small shard is written
// in one write(2); a large one in block-sized writes.
const maxWriteBuf = 64 << 10

// Put streams exactly size bytes from r into a new object of the storage
// class and returns its Ref once a write quorum of shards is durable
// (fsynced and renamed, directory fsynced). It holds O(stripe) memory
// whatever the size. r must then report io.EOF: a reader that ends early,
// runs long or fails (a verifying body reports a bad signature or checksum
// instead of EOF) aborts every shard and Put returns the error. Shards
// beyond the quorum finish committing in the background; those that fail
// are healed later.
//
// The object exists for the caller only once it has stored the Ref in its
// metadata; until then the shards are orphans that Scrub collects after
// the grace period.
func (e *Engine) Put(ctx context.Context, class string, size int64, r io.Reader) (Ref, error) {
	l, ok := e.layouts[class]
	if !ok {
		return Ref{}, fmt.Errorf("%w: %q (have %v)", ErrUnknownClass, class, e.classes())
	}
	if size < 0 {
		return Ref{}, fmt.Errorf("%w: negative size %d", ErrSize, size)
	}
	ref := Ref{class: class, lay: l, size: size, blockSize: e.blockSize, shardSize: size}
	if _, err := rand.Read(ref.id[:]); err != nil {
		return Ref{}, fmt.Errorf("engine: object id: %w", err)
	}
	if l.IsErasure() {
		c, err := e.coder(l, e.blockSize)
		if err != nil {
			return Ref{}, err
		}
		ref.shardSize = c.ShardSize(size)
	}
	placed, err := e.set.Place(ref.ID(), l)
	if err != nil {
		return Ref{}, fmt.Errorf("engine: place: %w", err)
	}
	ref.drives = make([]string, len(placed))
	for i, d := range placed {
		ref.drives[i] = d.ID
	}
	e.c.puts.Add(1)

	// Shard writers outlive the caller's ctx once the quorum is reached
	// (the remaining commits finish in the background), so they get a
	// detached context; the caller's ctx is honoured by the body reader
	// and before the commit.
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	ws := make([]*shardWriter, len(placed))
	for i, d := range placed {
		w, err := e.createShard(wctx, ref, e.byID[d.ID], i)
		if err != nil {
			e.log.Warn("put: create shard", "object", ref.ID(), "shard", i, "drive", d.ID, "err", err)
			continue
		}
		ws[i] = w
	}
	abortAll := func() {
		for _, w := range ws {
			if w != nil {
				w.abort()
			}
		}
		cancel()
	}
	body := &exactReader{ctx: ctx, r: r, left: size}
	if l.IsErasure() {
		err = e.encode(ctx, ref, body, ws)
	} else {
		err = e.fanOut(ref, body, ws)
	}
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		abortAll()
		return Ref{}, err
	}
	if err := e.commit(ref, ws, l.Quorum(), cancel); err != nil {
		return Ref{}, err
	}
	return ref, nil
}

// exactReader passes through exactly left bytes of r and then requires
// io.EOF, so a body that is short, long or fails at its end (signature or
// checksum mismatch) never yields a committed object.
type exactReader struct {
	ctx  context.Context
	r    io.Reader
	left int64
}

func (x *exactReader) Read(p []byte) (int, error) {
	if err := x.ctx.Err(); err != nil {
		return 0, err
	}
	if x.left == 0 {
		var one [1]byte
		n, err := x.r.Read(one[:])
		if n > 0 {
			return 0, fmt.Errorf("%w: body longer than declared", ErrSize)
		}
		return 0, err
	}
	if int64(len(p)) > x.left {
		p = p[:x.left]
	}
	n, err := x.r.Read(p)
	x.left -= int64(n)
	if err == io.EOF && x.left > 0 {
		return n, fmt.Errorf("%w: body ended %d bytes early", ErrSize, x.left)
	}
	if err == io.EOF {
		err = nil // checked again at left == 0
	}
	return n, err
}

// shardWriter writes one shard: shard format -> buffer -> drive temp file.
type shardWriter struct {
	idx int
	dw  drive.Writer
	bw  *bufio.Writer
	sw  *shard.Writer
	err error // first write error (the shard is then dropped)
}

func (e *Engine) createShard(ctx context.Context, ref Ref, h *driveHandle, i int) (*shardWriter, error) {
	if h == nil {
		return nil, errors.New("engine: drive not in the set")
	}
	dw, err := h.d.Create(ctx, ref.shardName(i))
	if err != nil {
		return nil, err
	}
	fileSize := shard.FileSize(ref.shardSize, ref.blockSize, shard.DefaultAlgorithm)
	bw := bufio.NewWriterSize(dw, int(min(fileSize, maxWriteBuf)))
	sw := shard.NewWriter(bw, shard.Options{Key: e.key, BlockSize: ref.blockSize, Size: ref.shardSize, ID: ref.shardID(i)})
	return &shardWriter{idx: i, dw: dw, bw: bw, sw: sw}, nil
}

func (w *shardWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n, err := w.sw.Write(p)
	if err != nil {
		w.err = err
	}
	return n, err
}

// commit finishes the shard format, flushes and makes the file durable.
func (w *shardWriter) commit() error {
	if w.err != nil {
		w.dw.Abort()
		return w.err
	}
	if err := w.sw.Close(); err != nil {
		w.dw.Abort()
		return err
	}
	if err := w.bw.Flush(); err != nil {
		w.dw.Abort()
		return err
	}
	return w.dw.Commit()
}

func (w *shardWriter) abort() { w.dw.Abort() }

// healthy counts writers that are still usable.
func healthy(ws []*shardWriter) int {
	n := 0
	for _, w := range ws {
		if w != nil && w.err == nil {
			n++
		}
	}
	return n
}

// fanOut copies the body to every replica writer from one read of it:
// while the replicas write block n in parallel, block n+1 is read.
// Replicas that fail are dropped; it fails when fewer than the write
// quorum remain.
func (e *Engine) fanOut(ref Ref, body io.Reader, ws []*shardWriter) error {
	quorum := ref.lay.Quorum()
	if h := healthy(ws); h < quorum {
		return fmt.Errorf("%w: %d of %d replicas could be created, need %d", ErrQuorum, h, len(ws), quorum)
	}
	chunk := int(min(int64(ref.blockSize), max(ref.size, 1)))
	bufs := [2][]byte{make([]byte, chunk), nil}
	if ref.size > int64(chunk) {
		bufs[1] = make([]byte, chunk)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	for left, cur := ref.size, 0; left > 0; cur ^= 1 {
		buf := bufs[cur][:min(left, int64(chunk))]
		if _, err := io.ReadFull(body, buf); err != nil {
			return err
		}
		left -= int64(len(buf))
		wg.Wait() // the previous block is written everywhere
		if h := healthy(ws); h < quorum {
			return fmt.Errorf("%w: %d of %d replicas writable, need %d", ErrQuorum, h, len(ws), quorum)
		}
		for _, w := range ws {
			if w != nil && w.err == nil {
				wg.Go(func() { w.Write(buf) })
			}
		}
	}
	wg.Wait()
	if _, err := io.ReadFull(body, make([]byte, 1)); err != io.EOF {
		if err == nil || err == io.ErrUnexpectedEOF {
			err = fmt.Errorf("%w: body longer than declared", ErrSize)
		}
		return err
	}
	if h := healthy(ws); h < quorum {
		return fmt.Errorf("%w: %d of %d replicas writable, need %d", ErrQuorum, h, len(ws), quorum)
	}
	return nil
}

// encode erasure-codes the body into the shard writers.
func (e *Engine) encode(ctx context.Context, ref Ref, body io.Reader, ws []*shardWriter) error {
	c, err := e.coder(ref.lay, ref.blockSize)
	if err != nil {
		return err
	}
	iws := make([]io.Writer, len(ws))
	for i, w := range ws {
		if w != nil {
			iws[i] = w
		}
	}
	n, faults, err := c.Encode(ctx, body, iws, ref.lay.Quorum())
	for _, f := range faults {
		if w := ws[f.Shard]; w != nil && w.err == nil {
			w.err = f.Err
		}
	}
	if err != nil {
		if errors.Is(err, ErrSize) || ctx.Err() != nil {
			return err
		}
		if healthy(ws) < ref.lay.Quorum() {
			return fmt.Errorf("%w: %w", ErrQuorum, err)
		}
		return err
	}
	if n != ref.size {
		return fmt.Errorf("%w: read %d of %d bytes", ErrSize, n, ref.size)
	}
	return nil
}

// commit makes the shards durable in parallel and returns once quorum of
// them are committed. The rest finish in the background (tracked in
// e.pending so Read, Heal, Delete and Scrub wait for or skip them); a
// shard that fails there, or was dropped earlier, is queued for heal. If
// the quorum cannot be reached, shards already committed are deleted
// again and ErrQuorum is returned.
func (e *Engine) commit(ref Ref, ws []*shardWriter, quorum int, cancel context.CancelFunc) error {
	type result struct {
		i   int
		err error
	}
	results := make(chan result, len(ws))
	live := 0
	for i, w := range ws {
		if w == nil {
			continue
		}
		if w.err != nil {
			w.abort()
			continue
		}
		live++
		go func() { results <- result{i, w.commit()} }()
	}
	partial := live < len(ws)
	var committed []int
	var errs []error
	got := 0
	for got < live && len(committed) < quorum && len(committed)+(live-got) >= quorum {
		res := <-results
		got++
		if res.err != nil {
			partial = true
			errs = append(errs, fmt.Errorf("shard %d: %w", res.i, res.err))
			continue
		}
		committed = append(committed, res.i)
	}
	if len(committed) < quorum {
		for ; got < live; got++ {
			if res := <-results; res.err == nil {
				committed = append(committed, res.i)
			}
		}
		cancel()
		handles := e.resolve(ref)
		for _, i := range committed {
			if h := handles[i]; h != nil {
				h.d.Delete(context.Background(), ref.shardName(i))
			}
		}
		return fmt.Errorf("%w: %d of %d shards durable, need %d: %w", ErrQuorum, len(committed), len(ws), quorum, errors.Join(errs...))
	}
	if got == live {
		cancel()
		if partial {
			e.c.degradedPuts.Add(1)
			e.enqueueFreshHeal(ref)
		}
		return nil
	}
	done := make(chan struct{})
	e.mu.Lock()
	e.pending[ref.id] = done
	e.mu.Unlock()
	e.bg.Go(func() {
		defer cancel()
		for ; got < live; got++ {
			if res := <-results; res.err != nil {
				partial = true
				e.log.Warn("put: background shard commit failed", "object", ref.ID(), "shard", res.i, "err", res.err)
			}
		}
		e.mu.Lock()
		delete(e.pending, ref.id)
		e.mu.Unlock()
		close(done)
		if partial {
			e.c.degradedPuts.Add(1)
			e.enqueueFreshHeal(ref)
		}
	})
	return nil
}
