package storetest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/nimbuscloud/nimbus/internal/store"
)

// benchRows is how many rows the read benchmarks choose from.
const benchRows = 10_000

// Bench runs the backend benchmarks as sub-benchmarks of b, each on a fresh
// database, and reports ops/s:
//
//	Insert             one Update per row (a durable commit each)
//	InsertParallel     the same from GOMAXPROCS goroutines (b.RunParallel)
//	PointRead          one View + QueryRow by primary key
//	PointReadParallel  the same from GOMAXPROCS goroutines
func Bench(b *testing.B, newDB NewDB) {
	value := make([]byte, 100)
	insert := func(b *testing.B, s store.Store, k string) {
		err := s.Update(context.Background(), func(tx store.Tx) error {
			_, err := tx.Exec(context.Background(), `INSERT INTO st_kv (k, v, n) VALUES (?, ?, ?)`, k, value, 1)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.Run("Insert", func(b *testing.B) {
		s, _ := openKV(b, newDB)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			insert(b, s, fmt.Sprintf("k%09d", i))
		}
		reportOps(b)
	})
	b.Run("InsertParallel", func(b *testing.B) {
		s, _ := openKV(b, newDB)
		var seq atomic.Int64
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				insert(b, s, fmt.Sprintf("k%09d", seq.Add(1)))
			}
		})
		reportOps(b)
	})
	read := func(b *testing.B, s store.Store, i int) {
		var n int64
		k := fmt.Sprintf("k%09d", i%benchRows)
		err := s.View(context.Background(), func(tx store.Tx) error {
			return tx.QueryRow(context.Background(), `SELECT n FROM st_kv WHERE k = ?`, k).Scan(&n)
		})
		if err != nil || n != 1 {
			b.Fatalf("read %s: %d, %v", k, n, err)
		}
	}
	b.Run("PointRead", func(b *testing.B) {
		s := loaded(b, newDB, value)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			read(b, s, i*7919)
		}
		reportOps(b)
	})
	b.Run("PointReadParallel", func(b *testing.B) {
		s := loaded(b, newDB, value)
		var seq atomic.Int64
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				read(b, s, int(seq.Add(7919)))
			}
		})
		reportOps(b)
	})
}

func loaded(b *testing.B, newDB NewDB, value []byte) store.Store {
	s, _ := openKV(b, newDB)
	ctx := context.Background()
	for start := 0; start < benchRows; start += 1000 {
		err := s.Update(ctx, func(tx store.Tx) error {
			for i := start; i < start+1000; i++ {
				if _, err := tx.Exec(ctx, `INSERT INTO st_kv (k, v, n) VALUES (?, ?, 1)`, fmt.Sprintf("k%09d", i), value); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return s
}

func reportOps(b *testing.B) {
	if e := b.Elapsed(); e > 0 {
		b.ReportMetric(float64(b.N)/e.Seconds(), "ops/s")
	}
}
