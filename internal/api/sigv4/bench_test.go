package sigv4

import (
	"bytes"
	"io"
	"testing"
)

// BenchmarkVerifyBytes: Parse + VerifyBytes of an SDK-signed STS
// GetCallerIdentity POST (key cache warm, as in steady state).
func BenchmarkVerifyBytes(b *testing.B) {
	s := stsPost()
	s.token = "FQoGZXIvYXdzEJr//////////wEaDEXAMPLETOKEN"
	r := sdkSign(b, s)
	v := verifierAt(signTime())
	b.ReportAllocs()
	for b.Loop() {
		a, err := Parse(r)
		if err != nil {
			b.Fatal(err)
		}
		if err := v.VerifyBytes(r, a, testSecret, s.body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyBytesParallel shows throughput across GOMAXPROCS cores.
func BenchmarkVerifyBytesParallel(b *testing.B) {
	s := stsPost()
	r := sdkSign(b, s)
	v := verifierAt(signTime())
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			a, err := Parse(r)
			if err != nil {
				b.Fatal(err)
			}
			if err := v.VerifyBytes(r, a, testSecret, s.body); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func benchStream(b *testing.B, c streamCase) {
	r, v := c.request(b)
	body, _ := io.ReadAll(r.Body)
	buf := make([]byte, 32<<10)
	b.SetBytes(int64(len(c.data)))
	b.ReportAllocs()
	for b.Loop() {
		r.Body = io.NopCloser(bytes.NewReader(body))
		a, err := Parse(r)
		if err != nil {
			b.Fatal(err)
		}
		p, err := v.VerifyStream(r, a, testSecret)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{p}, buf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStreamSigned64MiB: a 64 MiB STREAMING-AWS4-HMAC-SHA256-PAYLOAD
// body in 64 KiB signed chunks (SHA-256 of every byte plus an HMAC per chunk).
func BenchmarkStreamSigned64MiB(b *testing.B) {
	benchStream(b, streamCase{payload: StreamingPayload, data: make([]byte, 64<<20), chunk: 64 << 10, corruptAt: -1})
}

// BenchmarkStreamUnsignedCRC32 64MiB: STREAMING-UNSIGNED-PAYLOAD-TRAILER with a
// CRC32 trailer, 1 MiB chunks as botocore sends them.
func BenchmarkStreamUnsignedCRC32_64MiB(b *testing.B) {
	data := make([]byte, 64<<20)
	benchStream(b, streamCase{payload: StreamingUnsignedPayloadTrailer, data: data, chunk: 1 << 20, corruptAt: -1,
		declared: []string{"x-amz-checksum-crc32"}, trailers: []string{crcTrailerBytes(data)}})
}

func crcTrailerBytes(data []byte) string { return crcTrailer("CRC32", data) }
