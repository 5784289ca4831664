package erasure

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Encoder splits an object stream into k+m shard streams, stripe by
// stripe. It holds one stripe of data plus its parity ((k+m)*blockSize
// bytes) regardless of object size, writes the shards of a stripe in
// parallel and drops a shard whose writer fails; it fails itself only when
// fewer than the write quorum of shards remain.
//
// The Encoder never closes the shard writers: the caller commits or aborts
// them according to Close's result and Faults.
type Encoder struct {
	c       *Coder
	ws      []io.Writer
	quorum  int
	buf     []byte   // k*blockSize stripe data
	parity  [][]byte // m buffers of blockSize
	shards  [][]byte // per-stripe views
	n       int      // bytes buffered in buf
	total   int64
	stripes int64
	faults  []Fault // indexed by shard; Err nil when healthy
	err     error   // sticky
	closed  bool
}

// NewEncoder returns an Encoder writing shard i to ws[i]; len(ws) must be
// k+m. A nil writer is a shard placed on an unavailable drive. quorum is
// the minimum number of shards that must be fully written (k <= quorum <=
// k+m); zero means k+m.
func (c *Coder) NewEncoder(ws []io.Writer, quorum int) (*Encoder, error) {
	if len(ws) != c.Shards() {
		return nil, fmt.Errorf("erasure: %d shard writers, want %d", len(ws), c.Shards())
	}
	if quorum == 0 {
		quorum = c.Shards()
	}
	if quorum < c.k || quorum > c.Shards() {
		return nil, fmt.Errorf("erasure: write quorum %d outside [%d, %d]", quorum, c.k, c.Shards())
	}
	e := &Encoder{
		c:      c,
		ws:     ws,
		quorum: quorum,
		buf:    make([]byte, c.StripeSize()),
		parity: make([][]byte, c.m),
		shards: make([][]byte, c.Shards()),
		faults: make([]Fault, c.Shards()),
	}
	for i := range e.parity {
		e.parity[i] = make([]byte, c.blockSize)
	}
	for i, w := range ws {
		e.faults[i].Shard = i
		if w == nil {
			e.faults[i].Err = errors.New("erasure: no writer for shard")
		}
	}
	if err := e.checkQuorum(); err != nil {
		return nil, err
	}
	return e, nil
}

func (e *Encoder) healthy() int {
	n := 0
	for _, f := range e.faults {
		if f.Err == nil {
			n++
		}
	}
	return n
}

func (e *Encoder) checkQuorum() error {
	if h := e.healthy(); h < e.quorum {
		return fmt.Errorf("erasure: write quorum lost: %d of %d shards healthy, need %d: %w",
			h, e.c.Shards(), e.quorum, errors.Join(e.faultErrs()...))
	}
	return nil
}

func (e *Encoder) faultErrs() []error {
	var errs []error
	for _, f := range e.faults {
		if f.Err != nil {
			errs = append(errs, fmt.Errorf("shard %d: %w", f.Shard, f.Err))
		}
	}
	return errs
}

// Write buffers p, emitting every stripe as it fills.
func (e *Encoder) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	if e.closed {
		return 0, errors.New("erasure: write after close")
	}
	n := 0
	for len(p) > 0 {
		c := copy(e.buf[e.n:], p)
		e.n += c
		n += c
		p = p[c:]
		if e.n == len(e.buf) {
			if err := e.flush(); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// ReadFrom reads r to EOF straight into the stripe buffer (no extra copy).
// It does not Close the Encoder.
func (e *Encoder) ReadFrom(r io.Reader) (int64, error) {
	var total int64
	for e.err == nil {
		if e.closed {
			return total, errors.New("erasure: write after close")
		}
		m, err := io.ReadFull(r, e.buf[e.n:])
		e.n += m
		total += int64(m)
		if e.n == len(e.buf) {
			if ferr := e.flush(); ferr != nil {
				return total, ferr
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
	return total, e.err
}

// Close encodes and writes the final partial stripe. The object length is
// then Written(); the caller records it (decoding needs it to trim the
// padding).
func (e *Encoder) Close() error {
	if e.closed {
		return e.err
	}
	e.closed = true
	if e.err == nil && e.n > 0 {
		e.flush()
	}
	return e.err
}

// Written returns the object bytes accepted so far.
func (e *Encoder) Written() int64 { return e.total + int64(e.n) }

// Faults returns the shards that failed (nil writer or write error). The
// engine completes the object at reduced redundancy and schedules a heal.
func (e *Encoder) Faults() []Fault {
	var out []Fault
	for _, f := range e.faults {
		if f.Err != nil {
			out = append(out, f)
		}
	}
	return out
}

// flush encodes the buffered bytes as one stripe and writes all shards.
func (e *Encoder) flush() error {
	c := e.c
	dataLen := e.n
	chunk := c.blockSize
	if dataLen < len(e.buf) {
		chunk = (dataLen + c.k - 1) / c.k
		clear(e.buf[dataLen : chunk*c.k])
	}
	for i := range c.k {
		e.shards[i] = e.buf[i*chunk : (i+1)*chunk]
	}
	for j := range c.m {
		e.shards[c.k+j] = e.parity[j][:chunk]
	}
	if err := c.encodeStripe(e.shards); err != nil {
		e.err = fmt.Errorf("erasure: encode: %w", err)
		return e.err
	}
	var wg sync.WaitGroup
	for i, w := range e.ws {
		if e.faults[i].Err != nil {
			continue
		}
		wg.Go(func() {
			if _, err := w.Write(e.shards[i]); err != nil {
				e.faults[i].Err = err // each goroutine owns its index
			}
		})
	}
	wg.Wait()
	e.total += int64(dataLen)
	e.stripes++
	e.n = 0
	if err := e.checkQuorum(); err != nil {
		e.err = err
	}
	return e.err
}

// Encode copies r into shard writers ws through an Encoder with the given
// write quorum, stopping when ctx is cancelled. It returns the object
// length and the failed shards.
func (c *Coder) Encode(ctx context.Context, r io.Reader, ws []io.Writer, quorum int) (int64, []Fault, error) {
	e, err := c.NewEncoder(ws, quorum)
	if err != nil {
		return 0, nil, err
	}
	if _, err = e.ReadFrom(ctxReader{ctx, r}); err != nil && e.err == nil {
		e.err = err // do not flush a partial stripe of an aborted stream
	}
	if cerr := e.Close(); err == nil {
		err = cerr
	}
	return e.Written(), e.Faults(), err
}

// ctxReader stops a copy loop when ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (r ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}
