package engine

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nimbuscloud/nimbus/internal/blob/layout"
)

// breakDrive makes Create fail on a drive (its tmp/ becomes a file).
func breakDrive(t *testing.T, v *env, d layout.Drive) {
	t.Helper()
	tmp := filepath.Join(v.root, d.AZ, d.ID, "tmp")
	if err := os.RemoveAll(tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tmp, nil, 0o600); err != nil {
		t.Fatal(err)
	}
}

type object struct {
	ref  Ref
	data []byte
}

// putMany writes n objects of random sizes (up to maxSize) alternating
// between the classes, including empty and one-byte objects.
func putMany(t *testing.T, v *env, rng *rand.Rand, n, maxSize int) []object {
	t.Helper()
	var objs []object
	for i := range n {
		size := rng.IntN(maxSize)
		switch i {
		case 0, 1:
			size = 0
		case 2, 3:
			size = 1
		}
		data := randBytes(rng, size)
		objs = append(objs, object{v.put(t, classes[i%2], data), data})
	}
	// Put returns once a write quorum is durable; let the remaining
	// shards land before tests count or damage files.
	for _, o := range objs {
		if err := v.e.waitPending(context.Background(), o.ref.id); err != nil {
			t.Fatal(err)
		}
	}
	return objs
}

func (v *env) checkAll(t *testing.T, objs []object) {
	t.Helper()
	for _, o := range objs {
		v.mustEqual(t, o.ref, o.data)
	}
}

func catalogOf(objs []object) *catalog {
	c := newCatalog()
	for _, o := range objs {
		c.add(o.ref)
	}
	return c
}

func TestAZLoss(t *testing.T) {
	v := newEnv(t, 4096)
	rng := rand.New(rand.NewPCG(11, 12))
	objs := putMany(t, v, rng, 30, 100_000)
	cat := catalogOf(objs)

	// Lose every drive of AZ b.
	if err := os.RemoveAll(filepath.Join(v.root, "b")); err != nil {
		t.Fatal(err)
	}
	v.checkAll(t, objs)

	// Writes still reach their quorum (replicas 2 of 3, RS(4,2) 4 of 6).
	more := putMany(t, v, rng, 6, 50_000)
	v.checkAll(t, more)
	for _, o := range more {
		cat.add(o.ref)
	}
	objs = append(objs, more...)

	// A scrub sees the AZ down and cannot heal onto it.
	rep, err := v.e.Scrub(context.Background(), cat)
	if err != nil {
		t.Fatal(err)
	}
	st := v.e.Status()
	down := 0
	for _, d := range st.Drives {
		if !d.Healthy {
			down++
			if d.AZ != "b" {
				t.Errorf("drive %s in AZ %s unhealthy: %s", d.ID, d.AZ, d.Err)
			}
		}
	}
	if down != 2 || rep.Missing == 0 || rep.Degraded != int64(len(objs)) || rep.Lost != 0 {
		t.Fatalf("down=%d report %+v", down, rep)
	}
	if st.ReducedRedundancyObjects != len(objs) || st.ReducedRedundancyBytes == 0 {
		t.Errorf("status %+v", st)
	}

	// The drives come back (empty); the restarted engine heals everything.
	v.reopen(t)
	rep, err = v.e.Scrub(context.Background(), cat)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Missing == 0 || rep.Healed != rep.Missing || rep.Degraded != 0 || rep.Corrupt != 0 {
		t.Fatalf("after return: %+v", rep)
	}
	rep, err = v.e.Scrub(context.Background(), cat)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Missing != 0 || rep.Corrupt != 0 || rep.Healed != 0 {
		t.Fatalf("re-scrub: %+v", rep)
	}
	if st := v.e.Status(); st.ReducedRedundancyBytes != 0 {
		t.Errorf("reduced redundancy bytes %d after heal", st.ReducedRedundancyBytes)
	}
	// Every object now survives losing a different AZ.
	if err := os.RemoveAll(filepath.Join(v.root, "c")); err != nil {
		t.Fatal(err)
	}
	v.checkAll(t, objs)
}

func TestCorruptionScrubAndHeal(t *testing.T) {
	v := newEnv(t, 4096)
	rng := rand.New(rand.NewPCG(13, 14))
	objs := putMany(t, v, rng, 120, 60_000)
	cat := catalogOf(objs)

	// Damage 5% of the shard files, at most Tolerance per object: flip
	// random bytes in some, truncate others.
	files := v.shardFiles(t, "")
	rng.Shuffle(len(files), func(i, j int) { files[i], files[j] = files[j], files[i] })
	perObject := map[string]int{}
	want := len(files) / 20
	damaged := 0
	for _, p := range files {
		if damaged == want {
			break
		}
		id := strings.SplitN(filepath.Base(p), ".", 2)[0]
		if perObject[id] == 2 { // both layouts tolerate 2
			continue
		}
		perObject[id]++
		damaged++
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if damaged%3 == 0 {
			b = b[:rng.IntN(len(b))]
		} else {
			for range 1 + rng.IntN(3) {
				b[rng.IntN(len(b))] ^= byte(1 + rng.IntN(255))
			}
		}
		if err := os.WriteFile(p, b, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	if damaged < 20 {
		t.Fatalf("only %d files damaged", damaged)
	}

	v.checkAll(t, objs)

	rep, err := v.e.Scrub(context.Background(), cat)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Corrupt != int64(damaged) || rep.Missing != 0 || rep.Healed != int64(damaged) || rep.Degraded != 0 || rep.Lost != 0 {
		t.Fatalf("damaged %d, report %+v", damaged, rep)
	}
	if rep.Objects != int64(len(objs)) || rep.Shards != int64(len(files)) {
		t.Fatalf("scanned %d objects %d shards, want %d %d", rep.Objects, rep.Shards, len(objs), len(files))
	}
	rep, err = v.e.Scrub(context.Background(), cat)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Corrupt != 0 || rep.Missing != 0 || rep.Healed != 0 {
		t.Fatalf("re-scrub: %+v", rep)
	}
	st := v.e.Status()
	if st.CorruptionsFound != int64(damaged) || st.HealsDone != int64(damaged) || st.ObjectsScanned != 2*int64(len(objs)) ||
		st.ReducedRedundancyBytes != 0 || st.DegradedReads == 0 {
		t.Fatalf("status %+v", st)
	}
	v.checkAll(t, objs)
}

func TestOrphansAndTemps(t *testing.T) {
	v := newEnv(t, 4096)
	rng := rand.New(rand.NewPCG(15, 16))
	live := putMany(t, v, rng, 6, 20_000)
	cat := catalogOf(live)
	// Puts the caller never committed (crashed before its metadata commit).
	orphanSTD := v.put(t, layout.ClassStandard, randBytes(rng, 5000))
	orphanIA := v.put(t, layout.ClassStandardIA, randBytes(rng, 5000))
	// A write killed mid-way: a temp file.
	tmp := filepath.Join(v.root, "a", "d01", "tmp", orphanSTD.ID()+".9.0123456789abcdef.tmp")
	if err := os.WriteFile(tmp, []byte("partial"), 0o640); err != nil {
		t.Fatal(err)
	}

	// Young orphans survive (they may belong to a Put in flight).
	rep, err := v.e.Scrub(context.Background(), cat)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Orphans != 0 || rep.Temps != 0 {
		t.Fatalf("young orphans collected: %+v", rep)
	}

	v.clock.Advance(DefaultGrace + time.Minute)
	rep, err = v.e.Scrub(context.Background(), cat)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(orphanSTD.Layout().Shards() + orphanIA.Layout().Shards()); rep.Orphans != want || rep.Temps != 1 {
		t.Fatalf("orphans %d (want %d) temps %d (want 1)", rep.Orphans, want, rep.Temps)
	}
	for _, o := range []Ref{orphanSTD, orphanIA} {
		if files := v.shardFiles(t, o.ID()); len(files) != 0 {
			t.Errorf("orphan shards left: %v", files)
		}
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("temp file left: %v", err)
	}
	v.checkAll(t, live)
	if n := len(v.shardFiles(t, "")); n != 3*3+3*6 {
		t.Errorf("%d shard files left, want %d", n, 3*3+3*6)
	}
	if st := v.e.Status(); st.OrphansRemoved != rep.Orphans || st.TempsRemoved != 1 {
		t.Errorf("status %+v", st)
	}
}

func TestRunScrubberDrainsHealQueue(t *testing.T) {
	v := newEnv(t, 4096)
	rng := rand.New(rand.NewPCG(17, 18))
	objs := putMany(t, v, rng, 10, 30_000)
	cat := catalogOf(objs)
	// Remove the shard each read would use first, then read: every read
	// is degraded and queues a heal.
	objs = objs[2:] // an empty object reads nothing, so finds nothing
	for _, o := range objs {
		first := 0
		if !o.ref.Layout().IsErasure() {
			first = replicaOrder(o.ref, nil)[0]
		}
		p := filepath.Join(v.root, v.e.byID[o.ref.drives[first]].info.AZ, o.ref.drives[first], "shards", o.ref.ID()[:2], o.ref.shardName(first))
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
	v.checkAll(t, objs)
	if st := v.e.Status(); st.HealQueue != len(objs) || st.ReducedRedundancyObjects != len(objs) {
		t.Fatalf("queue %d degraded %d", st.HealQueue, st.ReducedRedundancyObjects)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { v.e.RunScrubber(ctx, cat, time.Hour); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for v.e.Status().HealsDone < int64(len(objs)) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	st := v.e.Status()
	if st.HealsDone != int64(len(objs)) || st.ReducedRedundancyObjects != 0 {
		t.Fatalf("heals %d degraded %d", st.HealsDone, st.ReducedRedundancyObjects)
	}
	if n := len(v.shardFiles(t, "")); n != 5*3+5*6 { // the empty objects' shards included
		t.Fatalf("%d shard files after heal", n)
	}
}

func TestHealOntoReplacementDrive(t *testing.T) {
	v := newEnv(t, 4096)
	rng := rand.New(rand.NewPCG(19, 20))
	objs := putMany(t, v, rng, 20, 30_000)
	// Drive d06 (AZ c) is retired and d07 (AZ c) takes its place.
	drives := layout.DefaultDrives(testAZs, 0)
	drives[5] = layout.Drive{ID: "d07", AZ: "c"}
	v.cfg.Drives = drives
	v.reopen(t)
	v.checkAll(t, objs) // degraded where d06 held a shard
	moved := 0
	for _, o := range objs {
		n, err := v.e.Heal(context.Background(), o.ref)
		if err != nil {
			t.Fatal(err)
		}
		moved += n
	}
	if moved == 0 {
		t.Fatal("no shard lived on d06?")
	}
	// Everything now reads with AZ a gone, using the shards on d07.
	if err := os.RemoveAll(filepath.Join(v.root, "a")); err != nil {
		t.Fatal(err)
	}
	v.checkAll(t, objs)
}
