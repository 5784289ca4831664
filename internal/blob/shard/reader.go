package shard

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"
)

// Reader gives verified random access to a shard's payload. It is safe for
// concurrent use (as io.ReaderAt requires); each call reads and verifies
// only the blocks its range touches.
type Reader struct {
	r    io.ReaderAt
	size int64 // file size
	key  Key
	hdr  Header
	pool sync.Pool // *scratch
}

type scratch struct {
	h   hash.Hash
	buf []byte // one block + hash
	sum [maxHashSize]byte
}

// NewReader opens a shard of the given file size. It reads and verifies
// the header and checks the file size against it: a header that fails to
// verify (wrong key included) or a file longer than the header promises
// yields a *CorruptError with Block == HeaderBlock; a shorter (truncated)
// file yields a *CorruptError naming the first incomplete block. Blocks
// are verified as they are read.
func NewReader(r io.ReaderAt, size int64, key Key) (*Reader, error) {
	sr, err := open(r, size, key)
	if err != nil {
		return nil, err
	}
	if size < sr.hdr.FileSize() {
		return nil, &CorruptError{Block: sr.firstIncomplete(), Reason: fmt.Sprintf("truncated: file is %d bytes, header says %d", size, sr.hdr.FileSize())}
	}
	return sr, nil
}

// open verifies the header and rejects oversized files, but accepts
// truncated ones (for Inspect).
func open(r io.ReaderAt, size int64, key Key) (*Reader, error) {
	var b [HeaderSize]byte
	if size < HeaderSize {
		return nil, &CorruptError{Block: HeaderBlock, Reason: fmt.Sprintf("file of %d bytes is shorter than the header", size)}
	}
	if _, err := r.ReadAt(b[:], 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("shard: read header: %w", err)
	}
	hdr, err := decodeHeader(b[:])
	if err != nil {
		return nil, err
	}
	h, err := hdr.Algorithm.newHash(&key)
	if err != nil {
		return nil, err
	}
	var out [maxHashSize]byte
	want := sum(h, &hdr.ID, headerIndex, b[:headerFields], out[:])
	stored := b[headerFields : headerFields+hdr.HashSize]
	if subtle.ConstantTimeCompare(want, stored) != 1 {
		return nil, &CorruptError{Block: HeaderBlock, Reason: "header hash mismatch (damaged header or wrong key)"}
	}
	if !isZero(b[headerFields+hdr.HashSize:]) {
		return nil, &CorruptError{Block: HeaderBlock, Reason: "header padding set"}
	}
	if size > hdr.FileSize() {
		return nil, &CorruptError{Block: HeaderBlock, Reason: fmt.Sprintf("file is %d bytes, header says %d", size, hdr.FileSize())}
	}
	return &Reader{r: r, size: size, key: key, hdr: hdr}, nil
}

// firstIncomplete returns the index of the first block the file does not
// hold entirely (Blocks() if it holds them all).
func (r *Reader) firstIncomplete() int {
	full := (r.size - HeaderSize) / int64(r.hdr.BlockSize+r.hdr.HashSize)
	return int(min(full, int64(r.hdr.Blocks())))
}

// Header returns the verified header.
func (r *Reader) Header() Header { return r.hdr }

// Size returns the payload length.
func (r *Reader) Size() int64 { return r.hdr.PayloadLen }

func (r *Reader) getScratch() (*scratch, error) {
	if s, ok := r.pool.Get().(*scratch); ok {
		return s, nil
	}
	h, err := r.hdr.Algorithm.newHash(&r.key)
	if err != nil {
		return nil, err
	}
	// Never more than the file can hold: a tiny shard gets a tiny buffer.
	n := int(min(int64(r.hdr.BlockSize), r.hdr.PayloadLen))
	return &scratch{h: h, buf: make([]byte, n+r.hdr.HashSize)}, nil
}

// readBlock reads block i into s.buf and verifies it, returning its data.
func (r *Reader) readBlock(i int, s *scratch) ([]byte, error) {
	n := r.hdr.blockLen(i)
	off := r.hdr.blockOffset(i)
	need := int64(n + r.hdr.HashSize)
	if off+need > r.size {
		return nil, &CorruptError{Block: i, Reason: "truncated"}
	}
	buf := s.buf[:need]
	if m, err := r.r.ReadAt(buf, off); m < len(buf) {
		if err == nil || errors.Is(err, io.EOF) {
			return nil, &CorruptError{Block: i, Reason: "truncated"}
		}
		return nil, fmt.Errorf("shard: read block %d: %w", i, err)
	}
	data := buf[:n]
	want := sum(s.h, &r.hdr.ID, uint64(i), data, s.sum[:])
	if subtle.ConstantTimeCompare(want, buf[n:]) != 1 {
		return nil, &CorruptError{Block: i, Reason: "hash mismatch"}
	}
	return data, nil
}

// ReadAt reads len(p) payload bytes at off, verifying every block touched.
// It returns io.EOF when the range extends past the payload, and a
// *CorruptError (errors.Is ErrCorrupt) when a touched block fails.
func (r *Reader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("shard: negative offset")
	}
	if off >= r.hdr.PayloadLen {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	s, err := r.getScratch()
	if err != nil {
		return 0, err
	}
	defer r.pool.Put(s)
	bs := int64(r.hdr.BlockSize)
	n := 0
	for n < len(p) && off < r.hdr.PayloadLen {
		i := int(off / bs)
		data, err := r.readBlock(i, s)
		if err != nil {
			return n, err
		}
		c := copy(p[n:], data[off-int64(i)*bs:])
		n += c
		off += int64(c)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Verify reads and checks every block. It returns the indexes of the
// corrupt blocks (hash mismatch, or cut short if the file shrank after
// NewReader); err is non-nil only for I/O failures that are not
// corruption.
func (r *Reader) Verify() ([]int, error) {
	s, err := r.getScratch()
	if err != nil {
		return nil, err
	}
	defer r.pool.Put(s)
	var bad []int
	for i := range r.hdr.Blocks() {
		if _, err := r.readBlock(i, s); err != nil {
			if !errors.Is(err, ErrCorrupt) {
				return bad, err
			}
			bad = append(bad, i)
		}
	}
	return bad, nil
}

// BlockStatus describes one block as found by Inspect.
type BlockStatus struct {
	Index  int
	Offset int64 // file offset of the block's data
	Len    int   // payload bytes in the block
	Err    error // nil when the block verifies
}

// Inspect decodes a shard for diagnosis (the admin decoder tool). Unlike
// NewReader it reports what it can of a damaged shard. With a header that
// fails to verify, it returns the unverified decode (zero if unparseable),
// no blocks and the header's CorruptError. Otherwise it checks every
// block the file holds; a truncated file's list ends with the first
// incomplete block (its Err says so), and the returned error is nil.
func Inspect(r io.ReaderAt, size int64, key Key) (Header, []BlockStatus, error) {
	sr, err := open(r, size, key)
	if err != nil {
		var b [HeaderSize]byte
		if size >= HeaderSize {
			if _, rerr := r.ReadAt(b[:], 0); rerr == nil || errors.Is(rerr, io.EOF) {
				hdr, _ := decodeHeader(b[:])
				return hdr, nil, err
			}
		}
		return Header{}, nil, err
	}
	s, err := sr.getScratch()
	if err != nil {
		return sr.hdr, nil, err
	}
	n := min(sr.firstIncomplete()+1, sr.hdr.Blocks())
	st := make([]BlockStatus, n)
	for i := range st {
		_, berr := sr.readBlock(i, s)
		st[i] = BlockStatus{Index: i, Offset: sr.hdr.blockOffset(i), Len: sr.hdr.blockLen(i), Err: berr}
	}
	return sr.hdr, st, nil
}
