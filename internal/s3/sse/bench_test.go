package sse

import (
	"fmt"
	"io"
	"runtime"
	"testing"
)

// zeros is an endless source of zero bytes that allocates nothing.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// sink discards what it is written. Unlike io.Discard it has no
// ReadFrom, whose pooled buffers would add allocations unrelated to sse.
type sink struct{}

func (sink) Write(p []byte) (int, error) { return len(p), nil }

// encryptStream seals size zero bytes into a sink, read 32 KiB at a time.
func encryptStream(tb testing.TB, size int64) {
	enc, err := newEncrypter(testKey(1), io.LimitReader(zeros{}, size), size)
	if err != nil {
		tb.Fatal(err)
	}
	if n, err := io.CopyBuffer(sink{}, enc, make([]byte, 32<<10)); err != nil || n != SealedSize(size) {
		tb.Fatalf("encrypt: %d bytes, %v", n, err)
	}
}

// decryptStream decrypts [off, off+n) of size zero bytes into a sink,
// the ciphertext being sealed on the fly as a blob engine would stream
// it, in 32 KiB writes.
func decryptStream(tb testing.TB, size, off, n int64) {
	key := testKey(1)
	written, err := Decrypt(key, size, off, n, sink{}, func(cOff, cLen int64, w io.Writer) error {
		enc, err := newEncrypter(key, io.LimitReader(zeros{}, size), size)
		if err != nil {
			return err
		}
		if _, err := io.CopyBuffer(sink{}, io.LimitReader(enc, cOff), make([]byte, 32<<10)); err != nil {
			return err
		}
		_, err = io.CopyBuffer(w, io.LimitReader(enc, cLen), make([]byte, 32<<10))
		return err
	})
	if err != nil || written != n {
		tb.Fatalf("decrypt: %d bytes, %v", written, err)
	}
}

// allocs measures one run of f: heap allocations and bytes allocated.
func allocs(f func()) (count, bytes uint64) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.Mallocs - before.Mallocs, after.TotalAlloc - before.TotalAlloc
}

// TestMemoryIndependentOfSize streams 1 MiB and 1 GiB through the
// encrypter and through Decrypt (whole and ranged) and checks that both
// allocate a few chunks' worth in a few dozen allocations. 1 GiB is
// 16384 chunks, so anything allocated per chunk would show thousandfold;
// the bound on the count leaves room for the runtime's own few.
func TestMemoryIndependentOfSize(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 1 GiB several times")
	}
	const small, large = 1 << 20, 1 << 30
	const (
		budget    = 8 * sealedChunk // bytes: a few chunk buffers and ciphers
		maxAllocs = 48
	)
	cases := []struct {
		name string
		run  func(size int64)
	}{
		{"encrypt", func(size int64) { encryptStream(t, size) }},
		{"decrypt", func(size int64) { decryptStream(t, size, 0, size) }},
		{"decrypt range", func(size int64) { decryptStream(t, size, size/2-7, size/2) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.run(small) // warm up
			nSmall, bSmall := allocs(func() { c.run(small) })
			nLarge, bLarge := allocs(func() { c.run(large) })
			t.Logf("1 MiB: %d allocs, %d bytes; 1 GiB: %d allocs, %d bytes", nSmall, bSmall, nLarge, bLarge)
			if nSmall > maxAllocs || nLarge > maxAllocs || bSmall > budget || bLarge > budget {
				t.Fatalf("want at most %d allocations and %d bytes per stream: 1 MiB %d/%d B, 1 GiB %d/%d B",
					maxAllocs, budget, nSmall, bSmall, nLarge, bLarge)
			}
		})
	}
}

const benchSize = 64 << 20

func BenchmarkEncrypt(b *testing.B) {
	for _, size := range []int64{1 << 20, benchSize} {
		b.Run(fmt.Sprintf("%dMiB", size>>20), func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				encryptStream(b, size)
			}
		})
	}
}

func BenchmarkDecrypt(b *testing.B) {
	key := testKey(1)
	ct := seal(b, key, make([]byte, benchSize))
	for _, piece := range []int{32 << 10, 1 << 20} {
		b.Run(fmt.Sprintf("64MiB/writes=%dKiB", piece>>10), func(b *testing.B) {
			b.SetBytes(benchSize)
			b.ReportAllocs()
			for b.Loop() {
				n, err := Decrypt(key, benchSize, 0, benchSize, sink{}, func(cOff, cLen int64, w io.Writer) error {
					return piecewise(w, ct[cOff:cOff+cLen], piece)
				})
				if err != nil || n != benchSize {
					b.Fatal(n, err)
				}
			}
		})
	}
}
