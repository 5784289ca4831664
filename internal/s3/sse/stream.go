package sse

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

const (
	// ChunkSize is the plaintext size of every chunk but the last.
	ChunkSize = 64 << 10
	// TagSize is what sealing adds to each chunk (the GCM tag).
	TagSize = 16
	// KeySize is the size of a data key (AES-256).
	KeySize = 32

	sealedChunk = ChunkSize + TagSize
	nonceSize   = 12
	aadSize     = 9

	// maxPlain bounds plaintext sizes so that no size arithmetic can
	// overflow; it is far beyond anything S3 stores (5 TiB).
	maxPlain = int64(1) << 62

	// maxEmptyReads is how many (0, nil) reads in a row a source may
	// return before the encrypter gives up with io.ErrNoProgress.
	maxEmptyReads = 100
)

var (
	// ErrCorrupt means sealed bytes did not authenticate: the ciphertext
	// was modified, truncated, reordered or spliced, or the data key is
	// wrong. It is always wrapped with the index of the failing chunk.
	ErrCorrupt = errors.New("sse: encrypted object is corrupt")

	// ErrSizeMismatch means an encrypter's source yielded more or fewer
	// bytes than the size it was declared with.
	ErrSizeMismatch = errors.New("sse: body size does not match its declared size")
)

// chunks is the number of chunks of a plaintext of size plain: an empty
// plaintext is one empty chunk.
func chunks(plain int64) int64 {
	return max(1, (plain+ChunkSize-1)/ChunkSize)
}

// SealedSize is the exact size of the ciphertext of a plaintext of size
// plain. It panics if plain is negative or absurdly large (over 2^62).
func SealedSize(plain int64) int64 {
	if plain < 0 || plain > maxPlain {
		panic(fmt.Sprintf("sse: invalid plaintext size %d", plain))
	}
	return plain + TagSize*chunks(plain)
}

func checkSize(plain int64) error {
	if plain < 0 || plain > maxPlain {
		return fmt.Errorf("sse: invalid plaintext size %d", plain)
	}
	return nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("sse: data key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// chunkParams fills nonce and aad for chunk i: the nonce is the index
// (8 bytes big-endian) and 4 zero bytes; the associated data is the index
// and a final-chunk flag.
func chunkParams(nonce *[nonceSize]byte, aad *[aadSize]byte, i int64, final bool) {
	binary.BigEndian.PutUint64(nonce[:8], uint64(i))
	copy(aad[:8], nonce[:8])
	aad[8] = 0
	if final {
		aad[8] = 1
	}
}

// NewEncrypter returns a reader of the sealed form of the plainSize bytes
// that r yields, sealed under a fresh random data key, which it also
// returns; the caller wraps that key (WrapKey, WrapWithCustomerKey) and
// stores it with the object. Generating the key here means a key can
// never seal two streams, which the deterministic nonces require.
//
// The reader yields exactly SealedSize(plainSize) bytes. It holds one
// chunk in memory. Errors of r are returned unchanged (an error that r
// returns along with data wins over the data). If r yields fewer or more
// than plainSize bytes the reader fails with ErrSizeMismatch. The final
// chunk is sealed only once r has returned io.EOF, so the reader never
// returns io.EOF (nor the last byte of a valid stream) before r has.
func NewEncrypter(r io.Reader, plainSize int64) (io.Reader, []byte, error) {
	key := newDataKey()
	enc, err := newEncrypter(key, r, plainSize)
	if err != nil {
		return nil, nil, err
	}
	return enc, key, nil
}

// newEncrypter seals r under key. Callers outside tests must use
// NewEncrypter: a key must never seal two different streams.
func newEncrypter(key []byte, r io.Reader, plainSize int64) (*encrypter, error) {
	if err := checkSize(plainSize); err != nil {
		return nil, err
	}
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	// One chunk's buffer; a body of one chunk (small objects, which are
	// most) needs only its own size.
	bufCap := sealedChunk
	if chunks(plainSize) == 1 {
		bufCap = int(plainSize) + TagSize
	}
	return &encrypter{
		aead:   aead,
		src:    r,
		size:   plainSize,
		chunks: chunks(plainSize),
		buf:    make([]byte, 0, bufCap),
	}, nil
}

type encrypter struct {
	aead   cipher.AEAD
	src    io.Reader
	size   int64 // declared plaintext size
	chunks int64
	next   int64  // index of the next chunk to seal
	buf    []byte // one chunk, sealed in place
	out    []byte // the sealed bytes of buf not yet returned
	err    error  // sticky; io.EOF once everything was returned
	nonce  [nonceSize]byte
	aad    [aadSize]byte
	probe  [1]byte
}

func (e *encrypter) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for len(e.out) == 0 {
		if e.err != nil {
			return 0, e.err
		}
		if e.next == e.chunks {
			e.err = io.EOF
			continue
		}
		e.err = e.seal()
	}
	n := copy(p, e.out)
	e.out = e.out[n:]
	return n, nil
}

// seal reads, checks and seals the next chunk into e.out.
func (e *encrypter) seal() error {
	i := e.next
	final := i == e.chunks-1
	want := ChunkSize
	if final {
		want = int(e.size - i*ChunkSize)
	}
	pt := e.buf[:want]
	got, eof, err := e.fill(pt)
	if err != nil {
		return err
	}
	if got < want || (eof && !final) {
		return fmt.Errorf("%w: source ended after %d bytes, want %d", ErrSizeMismatch, i*ChunkSize+int64(got), e.size)
	}
	if final && !eof {
		if err := e.expectEOF(); err != nil {
			return err
		}
	}
	chunkParams(&e.nonce, &e.aad, i, final)
	e.out = e.aead.Seal(pt[:0], e.nonce[:], pt, e.aad[:])
	e.next++
	return nil
}

// fill reads into p until it is full or the source ends (eof) or fails
// (err, unchanged).
func (e *encrypter) fill(p []byte) (got int, eof bool, err error) {
	empty := 0
	for got < len(p) {
		n, err := e.src.Read(p[got:])
		got += n
		switch {
		case err == io.EOF:
			return got, true, nil
		case err != nil:
			return got, false, err
		case n == 0:
			if empty++; empty >= maxEmptyReads {
				return got, false, io.ErrNoProgress
			}
		default:
			empty = 0
		}
	}
	return got, false, nil
}

// expectEOF checks that the source has nothing after the declared size.
func (e *encrypter) expectEOF() error {
	for range maxEmptyReads {
		n, err := e.src.Read(e.probe[:])
		switch {
		case n > 0:
			return fmt.Errorf("%w: source has more than %d bytes", ErrSizeMismatch, e.size)
		case err == io.EOF:
			return nil
		case err != nil:
			return err
		}
	}
	return io.ErrNoProgress
}

// ReadFunc writes the ciphertext bytes [off, off+n) of an object to w, as
// a blob engine's ranged read does, and returns the first error of the
// source or of w.
type ReadFunc func(off, n int64, w io.Writer) error

// Decrypt writes the plaintext bytes [off, off+n) of an object of
// plainSize bytes sealed under key to w, and returns how many it wrote.
//
// It calls read once, for the ciphertext of the chunks covering the range
// and nothing else, and opens each chunk as its bytes arrive: memory is
// one chunk whatever the range. A chunk's plaintext reaches w only after
// its tag verified; a chunk that does not authenticate, or is missing
// because read wrote too few bytes, fails with ErrCorrupt wrapped with its
// index, and nothing of it is written. An error of w is returned
// unchanged, as is an error of read (unless the failure began in the
// writer Decrypt gave it, whose error then wins). A zero-length range of
// a non-empty object reads nothing; an empty object's one (empty) chunk
// is read and verified, so that a body truncated to nothing, or a row
// whose size was changed to 0, is ErrCorrupt.
//
// Cancellation is read's: it should stop when its context is done.
func Decrypt(key []byte, plainSize, off, n int64, w io.Writer, read ReadFunc) (int64, error) {
	if err := checkSize(plainSize); err != nil {
		return 0, err
	}
	if off < 0 || n < 0 || off > plainSize || n > plainSize-off {
		return 0, fmt.Errorf("sse: range [%d, +%d) is outside a %d-byte object", off, n, plainSize)
	}
	aead, err := newAEAD(key)
	if err != nil {
		return 0, err
	}
	if n == 0 && plainSize > 0 {
		return 0, nil
	}
	d := &decrypter{
		aead:   aead,
		w:      w,
		size:   plainSize,
		chunks: chunks(plainSize),
		next:   off / ChunkSize,
		last:   max(off, off+n-1) / ChunkSize,
		off:    off,
		end:    off + n,
	}
	// One chunk's buffer; a range within the final chunk (every range of
	// a small object) needs only that chunk's size.
	bufCap := sealedChunk
	if d.next == d.chunks-1 {
		bufCap = d.sealedLen(d.next)
	}
	d.buf = make([]byte, 0, bufCap)
	cOff := d.next * sealedChunk
	cEnd := d.last*sealedChunk + int64(d.sealedLen(d.last))
	rerr := read(cOff, cEnd-cOff, d)
	switch {
	case d.err != nil:
		return d.written, d.err
	case rerr != nil:
		return d.written, rerr
	case d.next <= d.last:
		return d.written, fmt.Errorf("%w: chunk %d is missing or truncated", ErrCorrupt, d.next)
	}
	return d.written, nil
}

// decrypter is the io.Writer Decrypt hands to its ReadFunc: it assembles
// sealed chunks, opens them and writes the wanted part of each to w.
type decrypter struct {
	aead     cipher.AEAD
	w        io.Writer
	size     int64 // plaintext size of the object
	chunks   int64
	next     int64 // index of the chunk being assembled
	last     int64 // index of the last chunk of the range
	off, end int64 // the plaintext range wanted
	buf      []byte
	written  int64
	err      error // sticky
	nonce    [nonceSize]byte
	aad      [aadSize]byte
}

// sealedLen is the ciphertext size of chunk i.
func (d *decrypter) sealedLen(i int64) int {
	if i == d.chunks-1 {
		return int(d.size-i*ChunkSize) + TagSize
	}
	return sealedChunk
}

func (d *decrypter) Write(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	total := len(p)
	for len(p) > 0 {
		if d.next > d.last {
			d.err = errors.New("sse: read wrote more ciphertext than was asked for")
			return total - len(p), d.err
		}
		need := d.sealedLen(d.next)
		if len(d.buf) == 0 && len(p) >= need {
			// A whole chunk in p: open it from there, sparing a copy.
			if d.err = d.open(p[:need]); d.err != nil {
				return total - len(p), d.err
			}
			p = p[need:]
			continue
		}
		k := copy(d.buf[len(d.buf):need], p)
		d.buf = d.buf[:len(d.buf)+k]
		p = p[k:]
		if len(d.buf) == need {
			if d.err = d.open(d.buf); d.err != nil {
				return total - len(p), d.err
			}
			d.buf = d.buf[:0]
		}
	}
	return total, nil
}

// open authenticates and decrypts chunk d.next from sealed into d.buf and
// writes the part of it in the wanted range to w.
func (d *decrypter) open(sealed []byte) error {
	i := d.next
	chunkParams(&d.nonce, &d.aad, i, i == d.chunks-1)
	pt, err := d.aead.Open(d.buf[:0], d.nonce[:], sealed, d.aad[:])
	if err != nil {
		return fmt.Errorf("%w: chunk %d does not authenticate", ErrCorrupt, i)
	}
	start := i * ChunkSize
	lo := max(d.off, start) - start
	hi := min(d.end, start+int64(len(pt))) - start
	d.next++
	if hi == lo {
		return nil
	}
	n, err := d.w.Write(pt[lo:hi])
	d.written += int64(n)
	if err == nil && int64(n) != hi-lo {
		err = io.ErrShortWrite
	}
	return err
}

// OpenInPlace authenticates and decrypts a whole sealed body held in
// memory, as a small object's row keeps it, without a second buffer: the
// plaintext overwrites sealed and is returned as its prefix. On error
// sealed is left partly overwritten.
func OpenInPlace(key []byte, plainSize int64, sealed []byte) ([]byte, error) {
	if err := checkSize(plainSize); err != nil {
		return nil, err
	}
	if want := SealedSize(plainSize); int64(len(sealed)) != want {
		return nil, fmt.Errorf("%w: %d sealed bytes for a %d-byte body, want %d", ErrCorrupt, len(sealed), plainSize, want)
	}
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	var nonce [nonceSize]byte
	var aad [aadSize]byte
	n := chunks(plainSize)
	for i := int64(0); i < n; i++ {
		lo := i * sealedChunk
		hi := min(lo+sealedChunk, int64(len(sealed)))
		chunkParams(&nonce, &aad, i, i == n-1)
		pt, err := aead.Open(sealed[lo:lo], nonce[:], sealed[lo:hi], aad[:])
		if err != nil {
			return nil, fmt.Errorf("%w: chunk %d does not authenticate", ErrCorrupt, i)
		}
		copy(sealed[i*ChunkSize:], pt) // chunk i's plaintext moves down to its place
	}
	return sealed[:plainSize], nil
}
