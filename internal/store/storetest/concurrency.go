package storetest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nimbuscloud/nimbus/internal/store"
)

func testVisibilityAcrossStores(t *testing.T, newDB NewDB) {
	ctx := ctxFor(t)
	s1, open := openKV(t, newDB)
	s2 := open(t)
	if err := s2.Migrate(ctx, kvSchema); err != nil { // already applied by s1: no-op
		t.Fatal(err)
	}
	put(t, s1, "from-1", []byte("one"), 1)
	if v, _, err := get(ctx, s2, "from-1"); err != nil || string(v) != "one" {
		t.Fatalf("s2 sees %q, %v after s1 committed", v, err)
	}
	put(t, s2, "from-2", []byte("two"), 2)
	if v, _, err := get(ctx, s1, "from-2"); err != nil || string(v) != "two" {
		t.Fatalf("s1 sees %q, %v after s2 committed", v, err)
	}
	// A Store opened after the writes (a restarted process) sees them too.
	s3 := open(t)
	if c := count(t, s3); c != 2 {
		t.Fatalf("new Store counts %d rows; want 2", c)
	}
}

// testSnapshotRead checks that a View sees one snapshot even when another
// Store commits while it runs.
func testSnapshotRead(t *testing.T, newDB NewDB) {
	ctx := ctxFor(t)
	s1, open := openKV(t, newDB)
	s2 := open(t)
	put(t, s1, "a", nil, 1)
	var first, second int
	var wrote atomic.Bool
	err := s2.View(ctx, func(tx store.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM st_kv`).Scan(&first); err != nil {
			return err
		}
		if !wrote.Swap(true) {
			put(t, s1, "b", nil, 2)
		}
		return tx.QueryRow(ctx, `SELECT COUNT(*) FROM st_kv`).Scan(&second)
	})
	if err != nil {
		t.Fatal(err)
	}
	if first != 1 || second != 1 {
		t.Fatalf("View saw %d then %d rows; want 1 and 1 (one snapshot)", first, second)
	}
	if c := count(t, s2); c != 2 {
		t.Fatalf("next View counts %d; want 2", c)
	}
}

// testViewDoesNotWaitForWriter holds a write transaction open and checks that
// reads on the same and on another Store still complete.
func testViewDoesNotWaitForWriter(t *testing.T, newDB NewDB) {
	ctx := ctxFor(t)
	s1, open := openKV(t, newDB)
	s2 := open(t)
	put(t, s1, "a", nil, 1)
	holding, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	var once sync.Once
	go func() {
		done <- s1.Update(ctx, func(tx store.Tx) error {
			if _, err := tx.Exec(ctx, `UPDATE st_kv SET n = 99 WHERE k = ?`, "a"); err != nil {
				return err
			}
			once.Do(func() { close(holding) })
			<-release
			return nil
		})
	}()
	<-holding
	for i, s := range []store.Store{s1, s2} {
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, n, err := get(rctx, s, "a")
		cancel()
		if err != nil || n != 1 {
			t.Errorf("store %d: View during a write returned n=%d, %v; want 1 (the committed value)", i+1, n, err)
		}
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, n, _ := get(ctx, s2, "a"); n != 99 {
		t.Fatalf("after commit n = %d; want 99", n)
	}
}

func testViewIsReadOnly(t *testing.T, newDB NewDB) {
	ctx := ctxFor(t)
	s, _ := openKV(t, newDB)
	err := s.View(ctx, func(tx store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO st_kv (k, n) VALUES (?, 1)`, "sneaky")
		return err
	})
	if err == nil {
		t.Fatal("write inside View succeeded")
	}
	if c := count(t, s); c != 0 {
		t.Fatalf("write inside View is visible: %d rows", c)
	}
}

// testNoLostUpdates runs read-modify-write increments from many goroutines on
// two Stores. Without serializable transactions and retries some increments
// would be lost (or fail); the final value must equal the number of Updates.
func testNoLostUpdates(t *testing.T, newDB NewDB) {
	ctx := ctxFor(t)
	s1, open := openKV(t, newDB)
	s2 := open(t)
	put(t, s1, "counter", nil, 0)
	const workersPerStore, perWorker = 4, 25
	var runs atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 2*workersPerStore)
	for _, s := range []store.Store{s1, s2} {
		for range workersPerStore {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range perWorker {
					err := s.Update(ctx, func(tx store.Tx) error {
						runs.Add(1)
						var n int64
						if err := tx.QueryRow(ctx, `SELECT n FROM st_kv WHERE k = ?`, "counter").Scan(&n); err != nil {
							return err
						}
						_, err := tx.Exec(ctx, `UPDATE st_kv SET n = ? WHERE k = ?`, n+1, "counter")
						return err
					})
					if err != nil {
						errs <- err
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("increment: %v", err)
	}
	_, n, err := get(ctx, s1, "counter")
	if err != nil {
		t.Fatal(err)
	}
	want := int64(2 * workersPerStore * perWorker)
	if n != want {
		t.Fatalf("counter = %d; want %d (lost updates)", n, want)
	}
	t.Logf("%d increments took %d transaction runs", want, runs.Load())
}

func testContextCancelled(t *testing.T, newDB NewDB) {
	ctx := ctxFor(t)
	s, _ := openKV(t, newDB)
	put(t, s, "x", nil, 0)

	// Already cancelled: fn never runs.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	ran := false
	err := s.Update(cctx, func(store.Tx) error { ran = true; return nil })
	wantIs(t, err, context.Canceled)
	if ran {
		t.Error("fn ran under a cancelled context")
	}
	wantIs(t, s.View(cctx, func(store.Tx) error { return nil }), context.Canceled)

	// Cancelled while fn runs: nothing commits even though fn returns nil.
	cctx, cancel = context.WithCancel(ctx)
	err = s.Update(cctx, func(tx store.Tx) error {
		if _, err := tx.Exec(cctx, `INSERT INTO st_kv (k, n) VALUES (?, 1)`, "cancelled"); err != nil {
			return err
		}
		cancel()
		return nil
	})
	wantIs(t, err, context.Canceled)
	if _, _, err := get(ctx, s, "cancelled"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("row from a cancelled Update is visible: %v", err)
	}

	// A deadline expires while waiting for another writer's lock.
	holding, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	var once sync.Once
	go func() {
		done <- s.Update(ctx, func(tx store.Tx) error {
			if _, err := tx.Exec(ctx, `UPDATE st_kv SET n = n + 1 WHERE k = ?`, "x"); err != nil {
				return err
			}
			once.Do(func() { close(holding) })
			<-release
			return nil
		})
	}()
	<-holding
	start := time.Now()
	dctx, dcancel := context.WithTimeout(ctx, 200*time.Millisecond)
	err = s.Update(dctx, func(tx store.Tx) error {
		_, err := tx.Exec(dctx, `UPDATE st_kv SET n = n + 100 WHERE k = ?`, "x")
		return err
	})
	dcancel()
	wantIs(t, err, context.DeadlineExceeded)
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Update took %v to notice its deadline", d)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, n, _ := get(ctx, s, "x"); n != 1 {
		t.Fatalf("x = %d; want 1", n)
	}
	put(t, s, "still-works", nil, 0)
}
