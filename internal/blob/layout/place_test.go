package layout

import (
	"fmt"
	"slices"
	"testing"
)

// Over a balanced drive set every drive holds its fair share of shards.
func TestPlaceBalance(t *testing.T) {
	drives := DefaultDrives([]string{"a", "b", "c"}, 30)
	set, err := NewDriveSet(drives)
	if err != nil {
		t.Fatal(err)
	}
	keys := testKeys(30000)
	for _, l := range []Layout{Replicated(3), ReedSolomon(4, 2), ReedSolomon(8, 4)} {
		load := map[string]int{}
		first := map[string]int{} // shard 0 (primary replica / first data shard)
		for _, k := range keys {
			got, err := set.Place(k, l)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range got {
				load[d.ID]++
			}
			first[got[0].ID]++
		}
		mean := float64(len(keys)*l.Shards()) / float64(len(drives))
		for _, d := range drives {
			if dev := float64(load[d.ID])/mean - 1; dev > 0.05 || dev < -0.05 {
				t.Errorf("%v: drive %s holds %d shards, mean %.0f (%+.1f%%)", l, d.ID, load[d.ID], mean, 100*dev)
			}
			if dev := float64(first[d.ID])*float64(len(drives))/float64(len(keys)) - 1; dev > 0.15 || dev < -0.15 {
				t.Errorf("%v: drive %s holds shard 0 of %d keys (%+.1f%%)", l, d.ID, first[d.ID], 100*dev)
			}
		}
	}
}

// Adding one drive to a balanced set moves about shards/drives of all
// shards: Rebalance moves exactly the new drive's share; Place's own shard
// numbering moves a few more (logged, for the record).
func TestAddDriveMovement(t *testing.T) {
	drives := DefaultDrives([]string{"a", "b", "c"}, 30)
	more := append(slices.Clone(drives), Drive{ID: "d31", AZ: "a"})
	keys := testKeys(20000)
	for _, l := range []Layout{Replicated(3), ReedSolomon(4, 2), ReedSolomon(8, 4)} {
		changedKeys, placeMoves, rebalanceMoves := 0, 0, 0
		for _, k := range keys {
			before, _ := Place(k, l, drives)
			after, _ := Place(k, l, more)
			if slices.Equal(before, after) {
				continue
			}
			changedKeys++
			for i := range before {
				if before[i] != after[i] {
					placeMoves++
				}
			}
			_, moved, _ := Rebalance(before, after)
			rebalanceMoves += len(moved)
		}
		total := float64(len(keys) * l.Shards())
		// The new drive's fair share: its AZ holds Shards/3 of each key
		// spread over 11 drives.
		fair := float64(l.Shards()) / 3 / 11
		got := float64(rebalanceMoves) / float64(len(keys))
		t.Logf("%v: %d of %d keys changed (%.1f%%); shards moved: rebalance %.2f%%, place numbering %.2f%%; fair share %.2f shards/key, got %.3f",
			l, changedKeys, len(keys), 100*float64(changedKeys)/float64(len(keys)),
			100*float64(rebalanceMoves)/total, 100*float64(placeMoves)/total, fair, got)
		if got > 1.1*fair || got < 0.9*fair {
			t.Errorf("%v: %.3f shards moved per key, fair share %.3f", l, got, fair)
		}
	}
}

func TestRebalanceLayoutChange(t *testing.T) {
	if _, _, err := Rebalance(make([]Drive, 3), make([]Drive, 6)); err == nil {
		t.Fatal("Rebalance across shard counts succeeded")
	}
}

func benchDrives(n int) []Drive {
	return DefaultDrives([]string{"a", "b", "c", "d"}, n)
}

// BenchmarkPlace: 14 shards (RS(10,4), four AZs) and 3 replicas over 100 and
// 1000 drives, through a prepared DriveSet (the engine's hot path).
func BenchmarkPlace(b *testing.B) {
	for _, l := range []Layout{ReedSolomon(10, 4), Replicated(3)} {
		for _, n := range []int{100, 1000} {
			set, err := NewDriveSet(benchDrives(n))
			if err != nil {
				b.Fatal(err)
			}
			keys := testKeys(1024)
			b.Run(fmt.Sprintf("%v/drives=%d", l, n), func(b *testing.B) {
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					if _, err := set.Place(keys[i&1023], l); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
		}
	}
}

// BenchmarkPlaceOneShot: the package function, which validates and hashes
// the drive set on every call.
func BenchmarkPlaceOneShot(b *testing.B) {
	for _, n := range []int{100, 1000} {
		drives := benchDrives(n)
		b.Run(fmt.Sprintf("RS(10,4)/drives=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Place("bucket/key", ReedSolomon(10, 4), drives); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDurability(b *testing.B) {
	for b.Loop() {
		Durability(ReedSolomon(10, 4), 16, 4, 0, 86400e9)
	}
}
