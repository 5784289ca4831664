package layout

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// genDrives draws a drive set of 1-5 AZs with 0-8 drives each (at least one
// drive), IDs unique but not in AZ order.
func genDrives(t *rapid.T, label string) []Drive {
	nAZ := rapid.IntRange(1, 5).Draw(t, label+"AZs")
	var drives []Drive
	for a := range nAZ {
		n := rapid.IntRange(0, 8).Draw(t, fmt.Sprintf("%sAZ%d", label, a))
		for range n {
			drives = append(drives, Drive{AZ: string(rune('a' + a))})
		}
	}
	if len(drives) == 0 {
		drives = append(drives, Drive{AZ: "a"})
	}
	perm := rapid.Permutation(drives).Draw(t, label+"order")
	for i := range perm {
		perm[i].ID = fmt.Sprintf("d%02d", i+1)
	}
	return perm
}

// genFittingLayout draws a layout Validate accepts on drives, falling back
// to a default layout when the drawn one does not fit; it skips drive sets
// with one AZ, where nothing fits.
func genFittingLayout(t *rapid.T, drives []Drive) Layout {
	if l := genLayout(t); Validate(l, drives) == nil {
		return l
	}
	m, err := DefaultLayouts(drives)
	if err != nil {
		t.Skip("no layout fits: ", err)
	}
	return m[rapid.SampledFrom([]string{ClassStandard, ClassStandardIA}).Draw(t, "class")]
}

func genLayout(t *rapid.T) Layout {
	if rapid.Bool().Draw(t, "erasure") {
		return ReedSolomon(rapid.IntRange(1, 12).Draw(t, "K"), rapid.IntRange(1, 5).Draw(t, "M"))
	}
	return Replicated(rapid.IntRange(2, 5).Draw(t, "N"))
}

// testKeys returns n object keys.
func testKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("bucket/object-%d", i)
	}
	return keys
}

// assertPlacement asserts what Validate promises for one placement.
func assertPlacement(t *rapid.T, key string, l Layout, drives, got []Drive) {
	if len(got) != l.Shards() {
		t.Fatalf("%s: %d drives for %v", key, len(got), l)
	}
	perAZ := map[string]int{}
	seen := map[string]bool{}
	for _, d := range got {
		if seen[d.ID] {
			t.Fatalf("%s: drive %s used twice: %v", key, d.ID, got)
		}
		seen[d.ID] = true
		if !slices.Contains(drives, d) {
			t.Fatalf("%s: drive %v not in the set", key, d)
		}
		perAZ[d.AZ]++
	}
	for az, n := range perAZ {
		if n > l.MaxPerAZ() {
			t.Fatalf("%s: %d shards of %v in AZ %s", key, n, l, az)
		}
		if l.Shards()-n < l.ReadQuorum() {
			t.Fatalf("%s: losing AZ %s leaves %d shards of %v", key, az, l.Shards()-n, l)
		}
	}
}

// Any drive set Validate accepts gets placements that obey the AZ rule;
// Place fails exactly when Validate does; results do not depend on the order
// of the drives, and DriveSet.Place agrees with Place.
func TestPropertyPlacement(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		drives := genDrives(t, "")
		l := genLayout(t)
		verr := Validate(l, drives)
		set, err := NewDriveSet(drives)
		if err != nil {
			t.Fatalf("NewDriveSet: %v", err)
		}
		shuffled, _ := NewDriveSet(rapid.Permutation(drives).Draw(t, "shuffled"))
		for _, key := range testKeys(50) {
			got, err := set.Place(key, l)
			if verr != nil {
				if err == nil || err.Error() != verr.Error() || !errors.Is(err, ErrAZRule) {
					t.Fatalf("Validate: %v; Place: %v", verr, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Validate accepted %v but Place: %v", l, err)
			}
			assertPlacement(t, key, l, drives, got)
			again, _ := Place(key, l, drives)
			other, _ := shuffled.Place(key, l)
			if !slices.Equal(got, again) || !slices.Equal(got, other) {
				t.Fatalf("%s: not deterministic: %v / %v / %v", key, got, again, other)
			}
		}
	})
}

// oneSwap reports whether after is before with exactly one drive replaced,
// as a set (shard numbering aside).
func oneSwap(before, after []Drive) (out, in Drive, ok bool) {
	var outs, ins []Drive
	for _, d := range before {
		if !slices.Contains(after, d) {
			outs = append(outs, d)
		}
	}
	for _, d := range after {
		if !slices.Contains(before, d) {
			ins = append(ins, d)
		}
	}
	if len(outs) != 1 || len(ins) != 1 {
		return Drive{}, Drive{}, false
	}
	return outs[0], ins[0], true
}

// Removing a drive changes only placements that used it, each by swapping
// that drive for one other; Rebalance then moves exactly one shard.
func TestPropertyRemoveDrive(t *testing.T) {
	keys := testKeys(300)
	rapid.Check(t, func(t *rapid.T) {
		drives := genDrives(t, "")
		gone := rapid.SampledFrom(drives).Draw(t, "remove")
		rest := slices.DeleteFunc(slices.Clone(drives), func(d Drive) bool { return d == gone })
		l := genFittingLayout(t, drives)
		if Validate(l, rest) != nil {
			t.Skip("layout does not fit without the drive")
		}
		for _, key := range keys {
			before, _ := Place(key, l, drives)
			after, _ := Place(key, l, rest)
			assertPlacement(t, key, l, rest, after)
			if !slices.Contains(before, gone) {
				if !slices.Equal(before, after) {
					t.Fatalf("%s did not use %v but moved: %v -> %v", key, gone, before, after)
				}
				continue
			}
			if out, _, ok := oneSwap(before, after); !ok || out != gone {
				t.Fatalf("%s: removing %v: %v -> %v is not one swap", key, gone, before, after)
			}
			next, moved, err := Rebalance(before, after)
			if err != nil || len(moved) != 1 || before[moved[0]] != gone {
				t.Fatalf("%s: Rebalance %v -> %v: %v %v %v", key, before, after, next, moved, err)
			}
			assertPlacement(t, key, l, rest, next)
		}
	})
}

// Adding a drive changes only placements that now use it, each by one swap,
// and the new drive takes its fair share: by symmetry within an AZ, the
// fraction of keys choosing it is E[shards in its AZ per key] / (drives in
// its AZ), which is shards/drives when AZs are balanced.
func TestPropertyAddDrive(t *testing.T) {
	keys := testKeys(300)
	rapid.Check(t, func(t *rapid.T) {
		drives := genDrives(t, "")
		l := genFittingLayout(t, drives)
		added := Drive{ID: "new", AZ: string(rune('a' + rapid.IntRange(0, 5).Draw(t, "az")))}
		more := append(slices.Clone(drives), added)
		if err := Validate(l, more); err != nil {
			t.Fatalf("adding a drive broke Validate: %v", err)
		}
		azDrives, azShards, using := 0, 0, 0
		for _, d := range more {
			if d.AZ == added.AZ {
				azDrives++
			}
		}
		for _, key := range keys {
			before, _ := Place(key, l, drives)
			after, _ := Place(key, l, more)
			assertPlacement(t, key, l, more, after)
			for _, d := range after {
				if d.AZ == added.AZ {
					azShards++
				}
			}
			if !slices.Contains(after, added) {
				if !slices.Equal(before, after) {
					t.Fatalf("%s does not use %v but moved: %v -> %v", key, added, before, after)
				}
				continue
			}
			using++
			if _, in, ok := oneSwap(before, after); !ok || in != added {
				t.Fatalf("%s: adding %v: %v -> %v is not one swap", key, added, before, after)
			}
			if _, moved, _ := Rebalance(before, after); len(moved) != 1 {
				t.Fatalf("%s: Rebalance moves %v", key, moved)
			}
		}
		k := float64(len(keys))
		want := float64(azShards) / k / float64(azDrives)
		got := float64(using) / k
		// 5 standard deviations of a binomial proportion, plus slack for the
		// estimate of want itself.
		if tol := 5*math.Sqrt(want*(1-want)/k) + 0.02; math.Abs(got-want) > tol {
			t.Fatalf("new drive in %d keys of %v (%.3f), fair share %.3f +- %.3f", using, len(keys), got, want, tol)
		}
	})
}

// ParseLayout reads back what String writes.
func TestPropertyLayoutString(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		l := genLayout(t)
		if rapid.Bool().Draw(t, "quorum") {
			l.WriteQuorum = rapid.IntRange(l.ReadQuorum(), l.Shards()).Draw(t, "W")
		}
		got, err := ParseLayout(l.String())
		if err != nil || got != l {
			t.Fatalf("ParseLayout(%q) = %v, %v; want %v", l.String(), got, err, l)
		}
	})
}

func FuzzParseLayout(f *testing.F) {
	for _, s := range []string{"RS(10,4)", "replicas(3)", "rs(4,2,w=5)", "replicas(3,w=2)", "RS(", "replicas()"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLayout(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidLayout) {
				t.Fatalf("%q: error %v does not wrap ErrInvalidLayout", s, err)
			}
			return
		}
		if err := l.Check(); err != nil {
			t.Fatalf("%q parsed to invalid %v: %v", s, l, err)
		}
		if again, err := ParseLayout(l.String()); err != nil || again != l {
			t.Fatalf("%q -> %v -> %v, %v", s, l, again, err)
		}
	})
}
