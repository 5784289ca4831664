package erasure

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
)

var benchLayouts = [][3]int{{4, 2, 1 << 20}, {4, 2, 256 << 10}, {10, 4, 1 << 20}, {10, 4, 256 << 10}}

const benchSize = 64 << 20

func benchName(l [3]int) string { return fmt.Sprintf("RS(%d,%d)/block=%dKiB", l[0], l[1], l[2]>>10) }

// BenchmarkEncode: 64 MiB object into k+m discarding writers (MB/s of object).
func BenchmarkEncode(b *testing.B) {
	data := randBytes(rand.New(rand.NewPCG(1, 1)), benchSize)
	for _, l := range benchLayouts {
		b.Run(benchName(l), func(b *testing.B) {
			c, _ := New(l[0], l[1], l[2])
			ws := make([]io.Writer, c.Shards())
			for i := range ws {
				ws[i] = io.Discard
			}
			b.SetBytes(benchSize)
			for b.Loop() {
				if _, _, err := c.Encode(context.Background(), bytes.NewReader(data), ws, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecode: 64 MiB object read back with Copy, healthy and with m
// data shards missing (every stripe reconstructed).
func BenchmarkDecode(b *testing.B) {
	data := randBytes(rand.New(rand.NewPCG(1, 1)), benchSize)
	for _, l := range benchLayouts {
		c, _ := New(l[0], l[1], l[2])
		shards := encode(b, c, data)
		for _, degraded := range []bool{false, true} {
			name := benchName(l) + "/healthy"
			if degraded {
				name = benchName(l) + "/degraded"
			}
			b.Run(name, func(b *testing.B) {
				rs := readers(shards)
				if degraded {
					for i := range c.ParityShards() {
						rs[i] = nil
					}
				}
				b.SetBytes(benchSize)
				for b.Loop() {
					d, _ := c.NewDecoder(rs, benchSize)
					if _, err := d.Copy(context.Background(), io.Discard, 0, benchSize); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
