package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"

	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nimbuscloud/nimbus/internal/store"
)

func openGC(t testing.TB) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "gc.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	err = s.Migrate(ctx, store.Schema{Component: "gc", Migrations: []store.Migration{
		{Version: 1, Name: "kv", SQL: `CREATE TABLE gc_kv (k TEXT PRIMARY KEY, n BIGINT NOT NULL DEFAULT 0)`},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func insertKey(ctx context.Context, tx store.Tx, k string) error {
	_, err := tx.Exec(ctx, `INSERT INTO gc_kv (k) VALUES (?)`, k)
	return err
}

func keys(t testing.TB, s *Store) []string {
	t.Helper()
	var out []string
	err := s.View(context.Background(), func(tx store.Tx) error {
		out = out[:0]
		rows, err := tx.Query(context.Background(), `SELECT k FROM gc_kv ORDER BY k`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				return err
			}
			out = append(out, k)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// hold runs an Update whose fn blocks until release is closed, so that the
// Updates started meanwhile queue up and then run as one batch. It returns
// once the writer is busy with it.
func hold(t *testing.T, s *Store) (release func(), done <-chan error) {
	t.Helper()
	holding, rel := make(chan struct{}), make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		errc <- s.Update(context.Background(), func(tx store.Tx) error {
			close(holding)
			<-rel
			return nil
		})
	}()
	<-holding
	return func() { close(rel) }, errc
}

// waitQueued waits until n requests sit in the writer's queue.
func waitQueued(t *testing.T, s *Store, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(s.queue) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests queued; want %d", len(s.queue), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestGroupCommitMixedBatch runs successful and failing Updates in one batch:
// only the successful ones are visible and every caller gets its own result.
func TestGroupCommitMixedBatch(t *testing.T) {
	s := openGC(t)
	ctx := context.Background()
	var commits atomic.Int32
	s.beforeCommit = func() error { commits.Add(1); return nil }
	release, held := hold(t, s)

	boom := errors.New("boom")
	type outcome struct {
		err      error
		panicked any
		exited   bool
	}
	type call struct {
		name  string
		ctx   context.Context
		fn    func(ctx context.Context, tx store.Tx) error
		check func(t *testing.T, o outcome)
	}
	wantNil := func(t *testing.T, o outcome) {
		if o.err != nil || o.panicked != nil || o.exited {
			t.Errorf("got %+v; want success", o)
		}
	}
	wantErr := func(target error) func(t *testing.T, o outcome) {
		return func(t *testing.T, o outcome) {
			if !errors.Is(o.err, target) {
				t.Errorf("got %+v; want error %v", o, target)
			}
		}
	}
	queuedCtx, cancelQueued := context.WithCancel(ctx)
	inFnCtx, cancelInFn := context.WithCancel(ctx)
	calls := []call{
		{name: "ok1", fn: func(ctx context.Context, tx store.Tx) error { return insertKey(ctx, tx, "ok1") }, check: wantNil},
		{name: "fn-error", fn: func(ctx context.Context, tx store.Tx) error {
			if err := insertKey(ctx, tx, "fn-error"); err != nil {
				return err
			}
			return fmt.Errorf("service says no: %w", boom)
		}, check: wantErr(boom)},
		{name: "failed-statement", fn: func(ctx context.Context, tx store.Tx) error {
			if err := insertKey(ctx, tx, "failed-statement"); err != nil {
				return err
			}
			_ = insertKey(ctx, tx, "ok1x") // fine
			_ = insertKey(ctx, tx, "ok1x") // conflict, ignored on purpose
			return nil
		}, check: wantErr(store.ErrConflict)},
		{name: "ok2", fn: func(ctx context.Context, tx store.Tx) error { return insertKey(ctx, tx, "ok2") }, check: wantNil},
		{name: "panic", fn: func(ctx context.Context, tx store.Tx) error {
			if err := insertKey(ctx, tx, "panic"); err != nil {
				return err
			}
			panic("bug in fn")
		}, check: func(t *testing.T, o outcome) {
			if o.panicked != "bug in fn" {
				t.Errorf("got %+v; want the panic re-raised", o)
			}
		}},
		{name: "goexit", fn: func(ctx context.Context, tx store.Tx) error {
			if err := insertKey(ctx, tx, "goexit"); err != nil {
				return err
			}
			runtime.Goexit()
			return nil
		}, check: func(t *testing.T, o outcome) {
			if !o.exited {
				t.Errorf("got %+v; want Goexit", o)
			}
		}},
		{name: "cancelled-while-queued", ctx: queuedCtx, fn: func(ctx context.Context, tx store.Tx) error {
			return insertKey(ctx, tx, "cancelled-while-queued")
		}, check: wantErr(context.Canceled)},
		{name: "cancelled-in-fn", ctx: inFnCtx, fn: func(ctx context.Context, tx store.Tx) error {
			if err := insertKey(ctx, tx, "cancelled-in-fn"); err != nil {
				return err
			}
			cancelInFn()
			return nil
		}, check: wantErr(context.Canceled)},
		{name: "rows-left-open", fn: func(ctx context.Context, tx store.Tx) error {
			if _, err := tx.Query(ctx, `SELECT k FROM gc_kv`); err != nil {
				return err
			}
			return nil
		}, check: wantNil},
		{name: "ok3", fn: func(ctx context.Context, tx store.Tx) error { return insertKey(ctx, tx, "ok3") }, check: wantNil},
	}
	outcomes := make([]outcome, len(calls))
	var wg sync.WaitGroup
	for i, c := range calls {
		cctx := c.ctx
		if cctx == nil {
			cctx = ctx
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			returned := false
			defer func() {
				outcomes[i].panicked = recover()
				outcomes[i].exited = !returned && outcomes[i].panicked == nil
			}()
			outcomes[i].err = s.Update(cctx, func(tx store.Tx) error { return c.fn(cctx, tx) })
			returned = true
		}()
		waitQueued(t, s, i+1) // queue in order
	}
	cancelQueued()
	release()
	wg.Wait()
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	for i, c := range calls {
		t.Run(c.name, func(t *testing.T) { c.check(t, outcomes[i]) })
	}
	if got, want := strings.Join(keys(t, s), ","), "ok1,ok2,ok3"; got != want {
		t.Errorf("visible rows %s; want %s", got, want)
	}
	if n := commits.Load(); n != 2 {
		t.Errorf("%d commits; want 2 (the holder's, then one for the whole batch)", n)
	}
	if err := s.Update(ctx, func(tx store.Tx) error { return insertKey(ctx, tx, "after") }); err != nil {
		t.Fatalf("writer unusable after the batch: %v", err)
	}
}

// TestGroupCommitCommitFails checks a batch whose COMMIT fails acknowledges
// nobody and leaves nothing visible.
func TestGroupCommitCommitFails(t *testing.T) {
	s := openGC(t)
	ctx := context.Background()
	injected := errors.New("injected commit failure")
	var fail atomic.Bool
	s.beforeCommit = func() error {
		if fail.Load() {
			return injected
		}
		return nil
	}
	release, held := hold(t, s)
	const n = 5
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.Update(ctx, func(tx store.Tx) error { return insertKey(ctx, tx, fmt.Sprint("k", i)) })
		}()
	}
	waitQueued(t, s, n)
	fail.Store(true) // the holder's batch fails too
	release()
	wg.Wait()
	if err := <-held; !errors.Is(err, injected) {
		t.Errorf("holder: %v; want the commit failure", err)
	}
	for i, err := range errs {
		if !errors.Is(err, injected) {
			t.Errorf("request %d: %v; want the commit failure", i, err)
		}
	}
	if k := keys(t, s); len(k) != 0 {
		t.Fatalf("rows %v visible after a failed commit", k)
	}
	fail.Store(false)
	if err := s.Update(ctx, func(tx store.Tx) error { return insertKey(ctx, tx, "after") }); err != nil {
		t.Fatalf("writer unusable after a failed commit: %v", err)
	}
}

// TestGroupCommitInterruptedWrite cancels a request while its write statement
// runs. SQLite's answer to the interrupt is to roll back the whole batch
// transaction; the requests that had succeeded before it in the batch must
// not be acknowledged, but re-run, and the ones after it must not run outside
// a transaction.
func TestGroupCommitInterruptedWrite(t *testing.T) {
	s := openGC(t)
	ctx := context.Background()
	release, held := hold(t, s)
	var runsA, runsC atomic.Int32
	bctx, cancelB := context.WithCancel(ctx)
	defer cancelB()
	var errA, errB, errC error
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		errA = s.Update(ctx, func(tx store.Tx) error { runsA.Add(1); return insertKey(ctx, tx, "a") })
	}()
	waitQueued(t, s, 1)
	go func() {
		defer wg.Done()
		errB = s.Update(bctx, func(tx store.Tx) error {
			time.AfterFunc(50*time.Millisecond, cancelB)
			_, err := tx.Exec(bctx, `WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 50000000)
				INSERT INTO gc_kv (k) SELECT 'big' || i FROM c`)
			return err
		})
	}()
	waitQueued(t, s, 2)
	go func() {
		defer wg.Done()
		errC = s.Update(ctx, func(tx store.Tx) error { runsC.Add(1); return insertKey(ctx, tx, "c") })
	}()
	waitQueued(t, s, 3)
	release()
	wg.Wait()
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	if errA != nil || errC != nil {
		t.Fatalf("A: %v, C: %v; want both to succeed", errA, errC)
	}
	if !errors.Is(errB, context.Canceled) {
		t.Fatalf("B: %v; want context.Canceled", errB)
	}
	if got := strings.Join(keys(t, s), ","); got != "a,c" {
		t.Fatalf("visible rows %.200s; want a,c", got)
	}
	t.Logf("A ran %d times, C %d times (A twice: the interrupt rolled back the batch)", runsA.Load(), runsC.Load())
}

// TestGroupCommitNoLostIncrements: many concurrent read-modify-write Updates
// share batches; the counter must equal the number of Updates.
func TestGroupCommitNoLostIncrements(t *testing.T) {
	s := openGC(t)
	ctx := context.Background()
	var commits atomic.Int32
	s.beforeCommit = func() error { commits.Add(1); return nil }
	if err := s.Update(ctx, func(tx store.Tx) error { return insertKey(ctx, tx, "counter") }); err != nil {
		t.Fatal(err)
	}
	const workers, each = 32, 40
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				err := s.Update(ctx, func(tx store.Tx) error {
					var n int64
					if err := tx.QueryRow(ctx, `SELECT n FROM gc_kv WHERE k = ?`, "counter").Scan(&n); err != nil {
						return err
					}
					_, err := tx.Exec(ctx, `UPDATE gc_kv SET n = ? WHERE k = ?`, n+1, "counter")
					return err
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var n int64
	if err := s.View(ctx, func(tx store.Tx) error {
		return tx.QueryRow(ctx, `SELECT n FROM gc_kv WHERE k = ?`, "counter").Scan(&n)
	}); err != nil {
		t.Fatal(err)
	}
	if n != workers*each {
		t.Fatalf("counter = %d; want %d", n, workers*each)
	}
	t.Logf("%d increments in %d commits", n, commits.Load()-1)
}

// TestGroupCommitClose: Updates queued behind a running one get ErrClosed (or
// commit) when the Store closes; none hangs.
func TestGroupCommitClose(t *testing.T) {
	s := openGC(t)
	ctx := context.Background()
	release, held := hold(t, s)
	const n = 4
	errs := make(chan error, n)
	for i := range n {
		go func() { errs <- s.Update(ctx, func(tx store.Tx) error { return insertKey(ctx, tx, fmt.Sprint(i)) }) }()
	}
	waitQueued(t, s, n)
	s.Close()
	release()
	<-held
	for range n {
		if err := <-errs; err != nil && !errors.Is(err, store.ErrClosed) {
			t.Errorf("queued Update after Close: %v", err)
		}
	}
}

// BenchmarkInsertParallel32 is InsertParallel with 32 writers whatever
// GOMAXPROCS is: a busy S3 front end has many concurrent small PUTs.
func BenchmarkInsertParallel32(b *testing.B) {
	s := openGC(b)
	var seq atomic.Int64
	b.SetParallelism((32 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			k := fmt.Sprintf("k%09d", seq.Add(1))
			if err := s.Update(ctx, func(tx store.Tx) error { return insertKey(ctx, tx, k) }); err != nil {
				b.Error(err)
				return
			}
		}
	})
	if e := b.Elapsed(); e > 0 {
		b.ReportMetric(float64(b.N)/e.Seconds(), "ops/s")
	}
}
