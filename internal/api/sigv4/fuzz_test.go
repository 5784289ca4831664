package sigv4

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"hash"
	"io"
	"testing"

	"github.com/nimbuscloud/nimbus/internal/checksum"
)

func FuzzParseAuthorization(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-date, Signature=" + goodSig)
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c/d/e,SignedHeaders=,Signature=")
	f.Add("AWS a:b")
	f.Add("AWS4-ECDSA-P256-SHA256 x")
	f.Add("AWS4-HMAC-SHA256 ,,,=,==")
	f.Fuzz(func(t *testing.T, h string) {
		a, err := ParseAuthorization(h)
		if err != nil {
			if a != nil {
				t.Fatal("auth returned with error")
			}
			return
		}
		if len(a.Signature) != 64 || a.AccessKeyID == "" || a.Region == "" || a.Service == "" || !containsSorted(a.SignedHeaders, "host") {
			t.Fatalf("accepted incomplete auth %+v", a)
		}
	})
}

// FuzzChunkedReader feeds arbitrary bytes to the decoder in each mode. It
// must never panic or hang, must fail with one of its sentinels (or succeed),
// and must never return more bytes than the chunk sizes announce.
func FuzzChunkedReader(f *testing.F) {
	f.Add([]byte("3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n\r\n"), uint8(0))
	f.Add([]byte("3\r\nabc\r\n0\r\n\r\n"), uint8(0))
	f.Add(docChunked().body()[:200], uint8(1))
	f.Add([]byte("0;chunk-signature="+goodSig+"\r\nx-amz-checksum-crc32:AAAAAA==\r\nx-amz-trailer-signature:"+goodSig+"\r\n\r\n"), uint8(2))
	f.Add([]byte("ffffffffffffffff\r\n"), uint8(0))
	f.Fuzz(func(t *testing.T, body []byte, mode uint8) {
		c := &chunkedReader{maxChunk: 1 << 20, declared: -1}
		switch mode % 3 {
		case 0:
			c.trailers = true
		case 1, 2:
			c.signed = true
			c.trailers = mode%3 == 2
			c.mac = newChunkMAC([]byte("k"))
			c.prefix = []byte("20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n")
			c.prev = []byte(goodSig)
			c.chunkHash = newSHA256()
		}
		if mode&4 != 0 {
			c.declared = int64(mode)
		}
		if c.trailers {
			if err := c.setDeclaredTrailers([]string{checksum.HeaderName(checksum.CRC32)}); err != nil {
				t.Fatal(err)
			}
		}
		c.init(bytes.NewReader(body))
		out, err := io.ReadAll(c)
		if len(out) > len(body) {
			t.Fatalf("decoded %d bytes from %d", len(out), len(body))
		}
		if err == nil {
			return
		}
		for _, s := range []error{ErrMalformedChunk, ErrChunkSignatureMismatch, ErrMalformedTrailer, ErrBadDigest, ErrDecodedLengthMismatch} {
			if errors.Is(err, s) {
				return
			}
		}
		t.Fatalf("unexpected error %v", err)
	})
}

func newSHA256() hash.Hash { return sha256.New() }
