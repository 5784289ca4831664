package checksum

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc64"
	"math/rand/v2"
	"strings"
	"testing"
)

func sum(a Algorithm, data []byte) string {
	h := New(a)
	h.Write(data)
	return Encode(h.Sum(nil))
}

func TestKnownVectors(t *testing.T) {
	hello := []byte("hello world")
	check := []byte("123456789")
	for _, tc := range []struct {
		name string
		alg  Algorithm
		data []byte
		want string
	}{
		// "hello world" vectors from aws-sdk-go-v2 service/internal/checksum tests.
		{"sdk crc32", CRC32, hello, "DUoRhQ=="},
		{"sdk crc32c", CRC32C, hello, "yZRlqg=="},
		{"sdk crc64nvme", CRC64NVME, hello, "jSnVw/bqjr4="},
		{"sdk sha1", SHA1, hello, "Kq5sNclPz7QV2+lfQIuc6R7oRu0="},
		{"sdk sha256", SHA256, hello, "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="},
		// CRC catalogue check values of "123456789".
		{"check crc32", CRC32, check, Encode(be32(0xcbf43926))},
		{"check crc32c", CRC32C, check, Encode(be32(0xe3069283))},
		{"check crc64nvme", CRC64NVME, check, Encode(binary.BigEndian.AppendUint64(nil, 0xae8b14860a799888))},
		// Empty input.
		{"empty crc32", CRC32, nil, "AAAAAA=="},
		{"empty crc64nvme", CRC64NVME, nil, "AAAAAAAAAAA="},
		{"empty sha256", SHA256, nil, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="},
		// zlib.crc32(b"abc") == 0x352441c2.
		{"abc crc32", CRC32, []byte("abc"), "NSRBwg=="},
		// The AWS sigv4-streaming-trailers example: 66560 bytes of 'a'.
		{"aws doc crc32c", CRC32C, bytes.Repeat([]byte("a"), 66560), "sOO8/Q=="},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := sum(tc.alg, tc.data); got != tc.want {
				t.Errorf("%s(%q...) = %s, want %s", tc.alg, trunc(tc.data), got, tc.want)
			}
		})
	}
}

func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

func trunc(b []byte) []byte {
	if len(b) > 16 {
		return b[:16]
	}
	return b
}

// TestCRC64NVMEMatchesStdlib cross-checks the slicing-by-8 implementation
// against hash/crc64 with the reversed NVME polynomial, across lengths and
// split writes.
func TestCRC64NVMEMatchesStdlib(t *testing.T) {
	tab := crc64.MakeTable(crc64nvmeReversed)
	if got := crc64.Checksum([]byte("123456789"), tab); got != 0xae8b14860a799888 {
		t.Fatalf("hash/crc64 check value = %#x", got)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 7, 8, 9, 63, 64, 65, 2047, 2048, 4099, 100000} {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		want := crc64.Checksum(data, tab)
		h := newCRC64NVME()
		split := 0
		if n > 0 {
			split = rng.IntN(n)
		}
		h.Write(data[:split])
		h.Write(data[split:])
		if h.Sum64() != want {
			t.Errorf("n=%d: got %#x want %#x", n, h.Sum64(), want)
		}
		if !bytes.Equal(h.Sum(nil), binary.BigEndian.AppendUint64(nil, want)) {
			t.Errorf("n=%d: Sum not big-endian", n)
		}
		h.Reset()
		if h.Sum64() != 0 {
			t.Errorf("Reset did not clear")
		}
	}
}

func TestNames(t *testing.T) {
	for _, a := range Algorithms() {
		if !a.Valid() || New(a) == nil || Size(a) != New(a).Size() {
			t.Errorf("%s: inconsistent", a)
		}
		got, err := ParseAlgorithm(strings.ToLower(string(a)))
		if err != nil || got != a {
			t.Errorf("ParseAlgorithm(lower %s) = %v, %v", a, got, err)
		}
		h := HeaderName(a)
		if h != strings.ToLower(h) || !strings.HasPrefix(h, HeaderPrefix) {
			t.Errorf("HeaderName(%s) = %q", a, h)
		}
		got, err = FromHeader(strings.ToUpper(h))
		if err != nil || got != a {
			t.Errorf("FromHeader(%q) = %v, %v", h, got, err)
		}
	}
	if HeaderName(CRC64NVME) != "x-amz-checksum-crc64nvme" {
		t.Errorf("HeaderName(CRC64NVME) = %q", HeaderName(CRC64NVME))
	}
	for _, bad := range []string{"", "MD5", "SHA512", "crc", "CRC32 "} {
		if _, err := ParseAlgorithm(bad); !errors.Is(err, ErrUnknownAlgorithm) {
			t.Errorf("ParseAlgorithm(%q) err = %v", bad, err)
		}
	}
	for _, bad := range []string{"", "x-amz-checksum-", "x-amz-checksum-md5", "x-amz-checksum-mode", "content-md5", "x-amz-crc32"} {
		if _, err := FromHeader(bad); !errors.Is(err, ErrUnknownAlgorithm) {
			t.Errorf("FromHeader(%q) err = %v", bad, err)
		}
	}
	if New("MD5") != nil || Size("MD5") != 0 || Algorithm("MD5").Valid() {
		t.Error("unknown algorithm accepted")
	}
}

func TestDecode(t *testing.T) {
	if b, err := Decode(CRC32, "NSRBwg=="); err != nil || !bytes.Equal(b, be32(0x352441c2)) {
		t.Errorf("Decode = %x, %v", b, err)
	}
	for _, tc := range []struct {
		alg Algorithm
		v   string
	}{
		{CRC32, ""},
		{CRC32, "NSRBwg="},
		{CRC32, "NSRBwg=!"},
		{CRC32, "AAAAAAAAAAA="}, // a crc64 value
		{SHA1, "NSRBwg=="},
		{"MD5", "NSRBwg=="},
		{CRC32, "NSRBwh=="}, // non-canonical padding bits
	} {
		if _, err := Decode(tc.alg, tc.v); err == nil {
			t.Errorf("Decode(%s, %q) accepted", tc.alg, tc.v)
		}
	}
}

func BenchmarkCRC64NVME(b *testing.B) {
	data := make([]byte, 1<<20)
	b.SetBytes(int64(len(data)))
	h := newCRC64NVME()
	for b.Loop() {
		h.Write(data)
	}
}
