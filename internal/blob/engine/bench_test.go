package engine

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"testing"
)

// Benchmarks run on real drive directories in a temp dir (fsync on), with
// the default layouts (replicas(3), RS(4,2)) and 256 KiB blocks:
//
//	go test -run '^$' -bench . -benchtime 3x ./internal/blob/engine/
//
// MB/s figures are logical object bytes.

func benchPut(b *testing.B, size int) {
	for _, class := range classes {
		b.Run(class, func(b *testing.B) {
			v := newEnv(b, 0)
			data := randBytes(rand.New(rand.NewPCG(1, 1)), size)
			b.SetBytes(int64(size))
			b.ResetTimer()
			for b.Loop() {
				ref, err := v.e.Put(context.Background(), class, int64(size), bytes.NewReader(data))
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := v.e.Delete(context.Background(), ref); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}

func BenchmarkPut64MiB(b *testing.B) { benchPut(b, 64<<20) }

func BenchmarkRead64MiB(b *testing.B) {
	const size = 64 << 20
	for _, class := range classes {
		b.Run(class, func(b *testing.B) {
			v := newEnv(b, 0)
			ref := v.put(b, class, randBytes(rand.New(rand.NewPCG(1, 1)), size))
			b.SetBytes(size)
			b.ResetTimer()
			for b.Loop() {
				if _, err := v.e.Read(context.Background(), ref, io.Discard, 0, size); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPut4KiB measures small-object Put throughput at 32 concurrent
// Puts (every shard fsynced, file and directory).
func BenchmarkPut4KiB(b *testing.B) {
	for _, class := range classes {
		b.Run(class, func(b *testing.B) {
			v := newEnv(b, 0)
			data := randBytes(rand.New(rand.NewPCG(1, 1)), 4096)
			b.SetBytes(4096)
			b.SetParallelism(32)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := v.e.Put(context.Background(), class, 4096, bytes.NewReader(data)); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
		})
	}
}

// BenchmarkRead4KiB reads whole 4 KiB objects (1,000 of them, warm page
// cache) at 32 concurrent reads.
func BenchmarkRead4KiB(b *testing.B) {
	for _, class := range classes {
		b.Run(class, func(b *testing.B) {
			v := newEnv(b, 0)
			rng := rand.New(rand.NewPCG(1, 1))
			refs := make([]Ref, 1000)
			for i := range refs {
				refs[i] = v.put(b, class, randBytes(rng, 4096))
			}
			b.SetBytes(4096)
			b.SetParallelism(32)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := rand.IntN(len(refs))
				for pb.Next() {
					i = (i + 7) % len(refs)
					if _, err := v.e.Read(context.Background(), refs[i], io.Discard, 0, 4096); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
		})
	}
}
