package shard

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
)

// Options configure a Writer.
type Options struct {
	// Key keys the block hashes; readers need the same key.
	Key Key
	// Algorithm is the block hash; zero means DefaultAlgorithm.
	Algorithm Algorithm
	// BlockSize is the payload bytes per block; zero means DefaultBlockSize.
	BlockSize int
	// Size is the exact payload length the caller will write. It is
	// recorded in the header, Write refuses bytes beyond it and Close fails
	// if fewer were written, so a shard certifies its own completeness.
	Size int64
	// ID is an engine-chosen identity bound into every hash (typically
	// derived from the object version and shard index), so blocks and
	// headers cannot be transplanted between shards.
	ID [IDSize]byte
}

// ErrSize is returned when the bytes written do not match Options.Size.
var ErrSize = errors.New("shard: payload length differs from declared size")

// Writer streams a payload into the shard format. Data is passed through
// to the underlying writer as it arrives (the hash follows its block), so
// a Writer holds no payload buffer at all; callers wanting fewer syscalls
// should write in block-sized chunks or wrap w in a bufio.Writer.
type Writer struct {
	w       io.Writer
	hdr     Header
	h       hash.Hash
	err     error // sticky
	written int64 // payload bytes written
	inBlock int   // payload bytes of the current block already hashed
	block   uint64
	sumBuf  [maxHashSize]byte
	started bool
	closed  bool
}

// NewWriter returns a Writer producing a shard into w. Invalid options are
// reported by the first Write or Close.
func NewWriter(w io.Writer, opts Options) *Writer {
	sw := &Writer{w: w}
	if opts.Algorithm == 0 {
		opts.Algorithm = DefaultAlgorithm
	}
	if opts.BlockSize == 0 {
		opts.BlockSize = DefaultBlockSize
	}
	switch {
	case opts.BlockSize < MinBlockSize || opts.BlockSize > MaxBlockSize:
		sw.err = fmt.Errorf("shard: block size %d outside [%d, %d]", opts.BlockSize, MinBlockSize, MaxBlockSize)
	case opts.Size < 0:
		sw.err = fmt.Errorf("shard: negative size %d", opts.Size)
	}
	if sw.err != nil {
		return sw
	}
	h, err := opts.Algorithm.newHash(&opts.Key)
	if err != nil {
		sw.err = err
		return sw
	}
	sw.h = h
	sw.hdr = Header{
		Version:    Version,
		Algorithm:  opts.Algorithm,
		HashSize:   opts.Algorithm.Size(),
		BlockSize:  opts.BlockSize,
		PayloadLen: opts.Size,
		ID:         opts.ID,
	}
	return sw
}

func (w *Writer) writeHeader() error {
	var b [HeaderSize]byte
	w.hdr.encode(b[:])
	copy(b[headerFields:], sum(w.h, &w.hdr.ID, headerIndex, b[:headerFields], w.sumBuf[:]))
	w.started = true
	_, err := w.w.Write(b[:])
	return err
}

// beginBlock primes the hasher with the ID and block index.
func (w *Writer) beginBlock() {
	w.h.Reset()
	var pre [IDSize + 8]byte
	copy(pre[:], w.hdr.ID[:])
	binary.LittleEndian.PutUint64(pre[IDSize:], w.block)
	w.h.Write(pre[:])
}

// endBlock writes the hash of the finished block.
func (w *Writer) endBlock() error {
	s := w.h.Sum(w.sumBuf[:0])
	_, err := w.w.Write(s)
	w.block++
	w.inBlock = 0
	return err
}

// Write writes payload bytes.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.closed {
		return 0, errors.New("shard: write after close")
	}
	if int64(len(p)) > w.hdr.PayloadLen-w.written {
		w.err = fmt.Errorf("%w: writing past %d bytes", ErrSize, w.hdr.PayloadLen)
		return 0, w.err
	}
	if !w.started {
		if w.err = w.writeHeader(); w.err != nil {
			return 0, w.err
		}
	}
	n := 0
	for len(p) > 0 {
		if w.inBlock == 0 {
			w.beginBlock()
		}
		chunk := min(len(p), w.hdr.BlockSize-w.inBlock)
		w.h.Write(p[:chunk])
		m, err := w.w.Write(p[:chunk])
		n += m
		w.written += int64(m)
		if err == nil && m < chunk {
			err = io.ErrShortWrite
		}
		if err != nil {
			w.err = err
			return n, err
		}
		w.inBlock += chunk
		p = p[chunk:]
		if w.inBlock == w.hdr.BlockSize || w.written == w.hdr.PayloadLen {
			if w.err = w.endBlock(); w.err != nil {
				return n, w.err
			}
		}
	}
	return n, nil
}

// Close finishes the shard. It does not close the underlying writer. It
// fails with ErrSize if fewer than Options.Size bytes were written.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.err != nil {
		return w.err
	}
	if w.written != w.hdr.PayloadLen {
		w.err = fmt.Errorf("%w: wrote %d of %d bytes", ErrSize, w.written, w.hdr.PayloadLen)
		return w.err
	}
	if !w.started { // empty payload: header only
		w.err = w.writeHeader()
	}
	return w.err
}

// Header returns the header the Writer writes.
func (w *Writer) Header() Header { return w.hdr }
