package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/nimbuscloud/nimbus/internal/store"
	"github.com/nimbuscloud/nimbus/internal/store/sqlite"
	"github.com/nimbuscloud/nimbus/internal/store/storetest"
)

// newDB gives each test its own database file; every open is a separate Store
// on that file, as a separate process would be.
func newDB(t testing.TB) func(testing.TB) store.Store {
	path := filepath.Join(t.TempDir(), "nimbus.db")
	return func(t testing.TB) store.Store {
		s, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatalf("open %s: %v", path, err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
}

func TestConformance(t *testing.T) { storetest.Run(t, newDB) }

func BenchmarkStore(b *testing.B) { storetest.Bench(b, newDB) }

func TestOpenSettings(t *testing.T) {
	ctx := context.Background()
	s := newDB(t)(t)
	var mode string
	var sync, fk int
	err := s.Update(ctx, func(tx store.Tx) error {
		if err := tx.QueryRow(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, "PRAGMA synchronous").Scan(&sync); err != nil {
			return err
		}
		return tx.QueryRow(ctx, "PRAGMA foreign_keys").Scan(&fk)
	})
	if err != nil {
		t.Fatal(err)
	}
	if mode != "wal" || sync != 2 || fk != 1 {
		t.Fatalf("journal_mode=%s synchronous=%d foreign_keys=%d; want wal, 2 (FULL), 1", mode, sync, fk)
	}
	var queryOnly int
	if err := s.View(ctx, func(tx store.Tx) error { return tx.QueryRow(ctx, "PRAGMA query_only").Scan(&queryOnly) }); err != nil || queryOnly != 1 {
		t.Fatalf("reader query_only = %d, %v; want 1", queryOnly, err)
	}
}

func TestOpenRejects(t *testing.T) {
	for _, p := range []string{"", ":memory:", "file:x.db", "x.db?mode=ro"} {
		if s, err := sqlite.Open(context.Background(), p); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", p)
		}
	}
}

// TestBusyAcrossProcesses holds the write lock from one Store and checks that a
// second Store on the same file gives up with ErrBusy once its budget is spent.
func TestBusyAcrossProcesses(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "busy.db")
	a, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := sqlite.Open(ctx, path, sqlite.WithBusyTimeout(20*time.Millisecond),
		sqlite.WithRetry(store.Retry{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	holding, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- a.Update(ctx, func(tx store.Tx) error {
			if _, err := tx.Exec(ctx, "CREATE TABLE IF NOT EXISTS t (x BIGINT)"); err != nil {
				return err
			}
			close(holding)
			<-release
			return nil
		})
	}()
	<-holding
	err = b.Update(ctx, func(tx store.Tx) error { return nil })
	close(release)
	if !errors.Is(err, store.ErrBusy) {
		t.Fatalf("Update while another process writes: %v; want ErrBusy", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := b.Update(ctx, func(tx store.Tx) error { _, err := tx.Exec(ctx, "INSERT INTO t VALUES (1)"); return err }); err != nil {
		t.Fatalf("Update after the lock was released: %v", err)
	}
}
