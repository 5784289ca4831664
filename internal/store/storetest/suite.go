package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nimbuscloud/nimbus/internal/store"
)

// NewDB creates a fresh, empty database for one test and returns open, which
// opens a new Store on that database each time it is called: two calls are two
// independent Stores sharing the data, as two processes would. open registers
// the Store's Close with t.Cleanup.
type NewDB func(t testing.TB) (open func(t testing.TB) store.Store)

// Run runs the whole suite as subtests of t.
func Run(t *testing.T, newDB NewDB) {
	tests := []struct {
		name string
		fn   func(t *testing.T, newDB NewDB)
	}{
		{"MigrateOnceInOrder", testMigrateOnceInOrder},
		{"MigrateFailureRollsBack", testMigrateFailureRollsBack},
		{"MigrateRejectsEditedHistory", testMigrateRejectsEditedHistory},
		{"MigrateConcurrent", testMigrateConcurrent},
		{"MigratePostgresOverride", testMigrateOverride},
		{"CRUD", testCRUD},
		{"UpsertAndReturning", testUpsertReturning},
		{"NotFound", testNotFound},
		{"Conflict", testConflict},
		{"ForeignKey", testForeignKey},
		{"AbortedTransaction", testAbortedTransaction},
		{"RollbackOnError", testRollbackOnError},
		{"RollbackOnPanic", testRollbackOnPanic},
		{"VisibilityAcrossStores", testVisibilityAcrossStores},
		{"SnapshotRead", testSnapshotRead},
		{"ViewDoesNotWaitForWriter", testViewDoesNotWaitForWriter},
		{"ViewIsReadOnly", testViewIsReadOnly},
		{"NoLostUpdates", testNoLostUpdates},
		{"ContextCancelled", testContextCancelled},
		{"BinaryRoundTrip", testBinaryRoundTrip},
		{"LargeValues", testLargeValues},
		{"Types", testTypes},
		{"PlaceholdersInLiterals", testPlaceholdersInLiterals},
		{"RowsLeftOpen", testRowsLeftOpen},
		{"Closed", testClosed},
		{"ModelProperty", testModelProperty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newDB)
		})
	}
}

// kvSchema is the table most checks use.
var kvSchema = store.Schema{
	Component: "storetest",
	Migrations: []store.Migration{
		{Version: 1, Name: "kv", SQL: `CREATE TABLE st_kv (k TEXT PRIMARY KEY, v BLOB, n BIGINT NOT NULL DEFAULT 0)`},
		{Version: 2, Name: "kv_n_index", SQL: `CREATE INDEX st_kv_n ON st_kv (n)`},
	},
}

func ctxFor(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// openKV opens a fresh database with kvSchema applied.
func openKV(t testing.TB, newDB NewDB) (store.Store, func(t testing.TB) store.Store) {
	t.Helper()
	open := newDB(t)
	s := open(t)
	if err := s.Migrate(ctxFor(t), kvSchema); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s, open
}

func put(t testing.TB, s store.Store, k string, v []byte, n int64) {
	t.Helper()
	err := s.Update(ctxFor(t), func(tx store.Tx) error {
		_, err := tx.Exec(ctxFor(t), `INSERT INTO st_kv (k, v, n) VALUES (?, ?, ?)`, k, v, n)
		return err
	})
	if err != nil {
		t.Fatalf("put %q: %v", k, err)
	}
}

// get returns the row for k, or ErrNotFound.
func get(ctx context.Context, s store.Store, k string) (v []byte, n int64, err error) {
	err = s.View(ctx, func(tx store.Tx) error {
		return tx.QueryRow(ctx, `SELECT v, n FROM st_kv WHERE k = ?`, k).Scan(&v, &n)
	})
	return v, n, err
}

func count(t testing.TB, s store.Store) int {
	t.Helper()
	var c int
	err := s.View(ctxFor(t), func(tx store.Tx) error {
		return tx.QueryRow(ctxFor(t), `SELECT COUNT(*) FROM st_kv`).Scan(&c)
	})
	if err != nil {
		t.Fatalf("count: %v", err)
	}
	return c
}

func wantIs(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("err = %v; want errors.Is(err, %v)", err, target)
	}
}
