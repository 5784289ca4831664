package shard

import (
	"bytes"
	"fmt"
	"io"
	"testing"
)

var benchAlgs = []Algorithm{HighwayHash256, BLAKE3, XXH3}

// BenchmarkHash measures the raw block hash over 1 MiB blocks.
func BenchmarkHash(b *testing.B) {
	block := payload(DefaultBlockSize, 1)
	for _, alg := range benchAlgs {
		b.Run(alg.String(), func(b *testing.B) {
			h, _ := alg.newHash(&testKey)
			var out [maxHashSize]byte
			var id [IDSize]byte
			b.SetBytes(int64(len(block)))
			for i := 0; b.Loop(); i++ {
				sum(h, &id, uint64(i), block, out[:])
			}
		})
	}
}

// BenchmarkWrite streams 16 MiB through a Writer into io.Discard.
func BenchmarkWrite(b *testing.B) {
	data := payload(16<<20, 1)
	for _, alg := range benchAlgs {
		for _, bs := range []int{256 << 10, 1 << 20} {
			b.Run(fmt.Sprintf("%v/block=%dKiB", alg, bs>>10), func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					w := NewWriter(io.Discard, Options{Key: testKey, Algorithm: alg, BlockSize: bs, Size: int64(len(data))})
					for p := data; len(p) > 0; p = p[bs:] {
						w.Write(p[:bs])
					}
					if err := w.Close(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkRead reads a 16 MiB shard back in 1 MiB ReadAt calls (verified).
func BenchmarkRead(b *testing.B) {
	data := payload(16<<20, 1)
	for _, alg := range benchAlgs {
		b.Run(alg.String(), func(b *testing.B) {
			file := build(b, data, Options{Key: testKey, Algorithm: alg})
			r := mustOpen(b, file)
			p := make([]byte, 1<<20)
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				for off := int64(0); off < r.Size(); off += int64(len(p)) {
					if _, err := r.ReadAt(p, off); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// BenchmarkReadSmallRange reads 4 KiB at random-ish offsets: the cost is one
// verified block per read, which is why blocks should not be too large.
func BenchmarkReadSmallRange(b *testing.B) {
	data := payload(16<<20, 1)
	for _, bs := range []int{64 << 10, 256 << 10, 1 << 20} {
		b.Run(fmt.Sprintf("block=%dKiB", bs>>10), func(b *testing.B) {
			file := build(b, data, Options{Key: testKey, BlockSize: bs})
			r, _ := NewReader(bytes.NewReader(file), int64(len(file)), testKey)
			p := make([]byte, 4096)
			for i := 0; b.Loop(); i++ {
				off := int64(i*7919*4096) % (int64(len(data)) - 4096)
				if _, err := r.ReadAt(p, off); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
