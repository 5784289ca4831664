package sigv4

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"

	"github.com/nimbuscloud/nimbus/internal/checksum"
)

// Limits on the aws-chunked framing. An SDK chunk line is at most
// "<16 hex>;chunk-signature=<64 hex>"; a trailer line is a checksum header.
const (
	bufSize         = 4 << 10
	maxChunkLine    = 256
	maxTrailerLine  = 1 << 10
	maxTrailerLines = 16
)

const (
	chunkSigPrefix   = "AWS4-HMAC-SHA256-PAYLOAD\n"
	trailerSigPrefix = "AWS4-HMAC-SHA256-TRAILER\n"
	chunkSigExt      = ";chunk-signature="
	trailerSigName   = "x-amz-trailer-signature"
)

type chunkState int

const (
	stHeader  chunkState = iota // expecting "<hex-size>[;chunk-signature=<sig>]\r\n"
	stData                      // inside a chunk's data
	stCRLF                      // expecting the CRLF after a chunk's data
	stTrailer                   // after the zero-size chunk: trailer lines, then an empty line
	stDone                      // clean end; Read returns io.EOF
)

// chunkedReader decodes an aws-chunked body, verifying chunk signatures
// (signed modes), trailer signature and trailing checksums. Memory is the
// bufio buffer plus a few hashes, whatever the chunk size.
type chunkedReader struct {
	br       *bufio.Reader
	state    chunkState
	err      error // sticky
	maxChunk int64
	declared int64 // x-amz-decoded-content-length, -1 if absent
	decoded  int64
	left     int64 // bytes left in the current chunk

	trailers bool // trailer section allowed
	sums     []trailerSum
	trailer  http.Header

	// Signed modes only.
	signed    bool
	mac       hash.Hash // HMAC-SHA256 with the signing key
	prefix    []byte    // "<amzdate>\n<scope>\n"
	prev      []byte    // previous signature, hex
	chunkHash hash.Hash // sha256 of the current chunk's data
	chunkSig  [64]byte  // signature on the current chunk line, hex
	sum       [sha256.Size]byte
	sumHex    [64]byte
	// Byte forms of the fixed string-to-sign parts, so hashing them does
	// not allocate per chunk.
	chunkKind, trailerKind, middle []byte
}

// Fixed parts of the chunk and trailer strings to sign.
const chunkSigMiddle = "\n" + emptySHA256 + "\n"

type trailerSum struct {
	alg  checksum.Algorithm
	name string
	h    hash.Hash
	seen bool
}

func newChunkMAC(key []byte) hash.Hash { return hmac.New(sha256.New, key) }

func (c *chunkedReader) init(body io.Reader) {
	c.br = bufio.NewReaderSize(body, bufSize)
	c.chunkKind = []byte(chunkSigPrefix)
	c.trailerKind = []byte(trailerSigPrefix)
	c.middle = []byte(chunkSigMiddle)
}

func (c *chunkedReader) Read(p []byte) (int, error) {
	for c.err == nil {
		switch c.state {
		case stHeader:
			c.err = c.readChunkLine()
		case stData:
			if len(p) == 0 {
				return 0, nil
			}
			n, err := c.readData(p)
			if err != nil {
				c.err = err
			}
			return n, err
		case stCRLF:
			c.err = c.expectCRLF()
		case stTrailer:
			c.err = c.readTrailers()
		case stDone:
			return 0, io.EOF
		}
	}
	return 0, c.err
}

func (c *chunkedReader) readChunkLine() error {
	line, err := c.readLine(maxChunkLine)
	if err != nil {
		return err
	}
	sizeHex, ext, hasExt := bytes.Cut(line, []byte(";"))
	size, ok := parseHexSize(sizeHex)
	if !ok {
		return wrap(ErrMalformedChunk, "invalid chunk size %q", trimForMsg(string(sizeHex)))
	}
	if size > c.maxChunk {
		return wrap(ErrMalformedChunk, "chunk size %d exceeds the limit of %d", size, c.maxChunk)
	}
	if c.signed {
		ext := line[len(sizeHex):]
		if len(ext) != len(chunkSigExt)+64 || string(ext[:len(chunkSigExt)]) != chunkSigExt || !isHexBytes(ext[len(chunkSigExt):]) {
			return wrap(ErrMalformedChunk, "chunk line needs ;chunk-signature=<64 hex>")
		}
		copy(c.chunkSig[:], ext[len(chunkSigExt):])
		c.chunkHash.Reset()
	} else if hasExt {
		return wrap(ErrMalformedChunk, "unexpected chunk extension %q", trimForMsg(string(ext)))
	}
	if c.declared >= 0 && size > c.declared-c.decoded {
		return wrap(ErrDecodedLengthMismatch, "chunks exceed x-amz-decoded-content-length %d", c.declared)
	}
	if size > 0 {
		c.left, c.state = size, stData
		return nil
	}
	// The zero-size chunk ends the data.
	if c.signed {
		if err := c.checkChunkSig(); err != nil {
			return err
		}
	}
	if c.declared >= 0 && c.decoded != c.declared {
		return wrap(ErrDecodedLengthMismatch, "decoded %d bytes, x-amz-decoded-content-length is %d", c.decoded, c.declared)
	}
	c.state = stTrailer
	return nil
}

// parseHexSize parses 1-16 hex digits without sign or prefix.
func parseHexSize(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 16 {
		return 0, false
	}
	var n uint64
	for _, ch := range b {
		var d byte
		switch {
		case ch >= '0' && ch <= '9':
			d = ch - '0'
		case ch >= 'a' && ch <= 'f':
			d = ch - 'a' + 10
		case ch >= 'A' && ch <= 'F':
			d = ch - 'A' + 10
		default:
			return 0, false
		}
		n = n<<4 | uint64(d)
	}
	if n > 1<<62 {
		return 0, false
	}
	return int64(n), true
}

func (c *chunkedReader) readData(p []byte) (int, error) {
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.br.Read(p)
	c.left -= int64(n)
	c.decoded += int64(n)
	data := p[:n]
	if c.signed {
		c.chunkHash.Write(data)
	}
	for i := range c.sums {
		c.sums[i].h.Write(data)
	}
	if c.left == 0 {
		c.state = stCRLF
		if c.signed {
			if err := c.checkChunkSig(); err != nil {
				return n, err
			}
		}
		return n, nil
	}
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return n, truncated()
	}
	return n, err
}

func isHexBytes(b []byte) bool {
	for _, ch := range b {
		if !(ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'f' || ch >= 'A' && ch <= 'F') {
			return false
		}
	}
	return true
}

// hashEqualHexBytes compares sum with hex digits hx in constant time.
func hashEqualHexBytes(sum, hx []byte) bool {
	var buf [sha256.Size]byte
	if len(sum) != len(buf) || len(hx) != 2*len(buf) {
		return false
	}
	if _, err := hex.Decode(buf[:], hx); err != nil {
		return false
	}
	return hmac.Equal(buf[:], sum)
}

func truncated() error {
	return fmt.Errorf("%w: %w", ErrMalformedChunk, io.ErrUnexpectedEOF)
}

// checkChunkSig checks the current chunk's signature and advances the chain.
func (c *chunkedReader) checkChunkSig() error {
	hex.Encode(c.sumHex[:], c.chunkHash.Sum(c.sum[:0]))
	c.mac.Reset()
	c.mac.Write(c.chunkKind)
	c.mac.Write(c.prefix)
	c.mac.Write(c.prev)
	c.mac.Write(c.middle)
	c.mac.Write(c.sumHex[:])
	if !hashEqualHexBytes(c.mac.Sum(c.sum[:0]), c.chunkSig[:]) {
		return wrap(ErrChunkSignatureMismatch, "chunk signature does not match")
	}
	c.prev = append(c.prev[:0], c.chunkSig[:]...)
	return nil
}

func (c *chunkedReader) expectCRLF() error {
	var b [2]byte
	if _, err := io.ReadFull(c.br, b[:]); err != nil {
		return truncated()
	}
	if b != [2]byte{'\r', '\n'} {
		return wrap(ErrMalformedChunk, "chunk data is not followed by CRLF")
	}
	c.state = stHeader
	return nil
}

// readTrailers reads "name:value\r\n" lines up to an empty line, verifies
// the trailer signature (signed modes) and checksums, then requires EOF.
func (c *chunkedReader) readTrailers() error {
	var sigHash hash.Hash
	if c.signed {
		sigHash = sha256.New()
	}
	var trailerSig []byte
	for n := 0; ; n++ {
		line, err := c.readLine(maxTrailerLine)
		if err != nil {
			return err
		}
		if len(line) == 0 {
			break
		}
		if !c.trailers {
			return wrap(ErrMalformedTrailer, "trailers are not allowed with STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
		}
		if n >= maxTrailerLines || trailerSig != nil {
			return wrap(ErrMalformedTrailer, "unexpected trailer line after %d lines", n)
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return wrap(ErrMalformedTrailer, "trailer line is not name:value")
		}
		lname := string(bytes.ToLower(bytes.TrimSpace(name)))
		value = bytes.TrimSpace(value)
		if c.signed && lname == trailerSigName {
			if !isHexSHA256(string(value)) {
				return wrap(ErrMalformedTrailer, "x-amz-trailer-signature must be 64 hex characters")
			}
			trailerSig = bytes.Clone(value)
			continue
		}
		if err := c.takeTrailer(lname, string(value)); err != nil {
			return err
		}
		if c.signed {
			sigHash.Write(line)
			sigHash.Write([]byte("\n"))
		}
	}
	if c.signed && c.trailers {
		if trailerSig == nil {
			return wrap(ErrMalformedTrailer, "missing x-amz-trailer-signature")
		}
		hex.Encode(c.sumHex[:], sigHash.Sum(c.sum[:0]))
		c.mac.Reset()
		c.mac.Write(c.trailerKind)
		c.mac.Write(c.prefix)
		c.mac.Write(c.prev)
		c.mac.Write(c.middle[:1])
		c.mac.Write(c.sumHex[:])
		if !hashEqualHexBytes(c.mac.Sum(c.sum[:0]), trailerSig) {
			return wrap(ErrChunkSignatureMismatch, "trailer signature does not match")
		}
	}
	for _, s := range c.sums {
		if !s.seen {
			return wrap(ErrMalformedTrailer, "declared trailer %s was not sent", s.name)
		}
	}
	for _, s := range c.sums {
		want, err := checksum.Decode(s.alg, c.trailer.Get(s.name))
		if err != nil {
			return wrap(ErrMalformedTrailer, "value for %s trailing header is invalid", s.name)
		}
		if !hmac.Equal(s.h.Sum(nil), want) {
			return wrap(ErrBadDigest, "the %s you specified did not match the calculated checksum", s.alg)
		}
	}
	if _, err := c.br.ReadByte(); err != io.EOF {
		if err != nil {
			return err
		}
		return wrap(ErrMalformedChunk, "data after the end of the aws-chunked body")
	}
	c.state = stDone
	return nil
}

// takeTrailer records a declared trailer.
func (c *chunkedReader) takeTrailer(name, value string) error {
	for i := range c.sums {
		s := &c.sums[i]
		if s.name != name {
			continue
		}
		if s.seen {
			return wrap(ErrMalformedTrailer, "trailer %s sent twice", name)
		}
		s.seen = true
		if c.trailer == nil {
			c.trailer = make(http.Header, len(c.sums))
		}
		c.trailer.Set(name, value)
		return nil
	}
	return wrap(ErrMalformedTrailer, "trailer %q was not declared in x-amz-trailer", trimForMsg(name))
}

// readLine returns the next CRLF-terminated line without its CRLF. The
// result aliases the bufio buffer until the next read.
func (c *chunkedReader) readLine(limit int) ([]byte, error) {
	line, err := c.br.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		return nil, wrap(ErrMalformedChunk, "line longer than %d bytes", limit)
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return nil, truncated()
	case err != nil:
		return nil, err
	}
	if len(line) > limit+2 {
		return nil, wrap(ErrMalformedChunk, "line longer than %d bytes", limit)
	}
	if len(line) < 2 || line[len(line)-2] != '\r' {
		return nil, wrap(ErrMalformedChunk, "line does not end in CRLF")
	}
	return line[:len(line)-2], nil
}
