package store

import (
	"context"
	"errors"
	"time"
)

// Backend names returned by Store.Backend.
const (
	BackendSQLite   = "sqlite"
	BackendPostgres = "postgres"
)

// Store is the metadata database a service keeps its rows in. It is safe for
// concurrent use by many goroutines, and several Stores (in one process or many)
// may share one database.
type Store interface {
	// Update runs fn in a read-write transaction and commits it when fn returns
	// nil. fn may run more than once (after a serialization failure, deadlock or
	// SQLITE_BUSY), so it must have no effects outside the transaction; on the
	// final failure Update returns an error wrapping ErrBusy. An error returned
	// by fn rolls the transaction back and is returned as is.
	Update(ctx context.Context, fn func(Tx) error) error
	// View runs fn in a read-only transaction that sees one consistent snapshot.
	// It does not wait for writers. fn may also be re-run.
	View(ctx context.Context, fn func(Tx) error) error
	// Migrate applies the schema's migrations that the database has not seen,
	// in version order, each in its own transaction together with its row in the
	// schema_migrations table. It is idempotent and safe when several processes
	// call it at once against one database.
	Migrate(ctx context.Context, s Schema) error
	// Backend reports BackendSQLite or BackendPostgres.
	Backend() string
	// Close releases the Store's connections. It does not wait for running
	// transactions to finish; callers stop using the Store first.
	Close() error
}

// Tx is one transaction. It is valid only inside the fn it was passed to and is
// not safe for concurrent use. Queries use the portable SQL subset documented in
// the package comment, with ? placeholders.
//
// A failed statement aborts the transaction on every backend (as PostgreSQL does):
// every later call returns an error wrapping the first failure, and the transaction
// is rolled back even if fn returns nil. ErrNotFound from Row.Scan is not a failure.
// Rows must be closed before the next statement runs.
type Tx interface {
	// Exec runs a statement and returns the number of rows it affected.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	// Query runs a statement that returns rows.
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	// QueryRow runs a statement expected to return at most one row; its error,
	// if any, is reported by Row.Scan.
	QueryRow(ctx context.Context, query string, args ...any) Row
}

// Rows iterates over a query's result, like database/sql.Rows.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	// Err reports the error, if any, that ended the iteration.
	Err() error
	// Close is idempotent and returns Err.
	Close() error
}

// Row is the result of Tx.QueryRow.
type Row interface {
	// Scan copies the first row's columns into dest and returns ErrNotFound when
	// there is no row.
	Scan(dest ...any) error
}

// Errors every backend maps its driver's errors to. Backends wrap them together
// with the driver error, so test with errors.Is.
var (
	// ErrNotFound: QueryRow matched no row.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict: a unique or primary-key constraint was violated.
	ErrConflict = errors.New("store: conflict")
	// ErrForeignKey: a foreign-key constraint was violated (the referenced row is
	// missing, or a row still referenced was deleted). Services map it to
	// DependencyViolation-style errors.
	ErrForeignKey = errors.New("store: foreign key violation")
	// ErrBusy: a transaction kept failing with serialization failures, deadlocks
	// or lock timeouts until the retry budget ran out.
	ErrBusy = errors.New("store: busy")
	// ErrClosed: the Store was closed.
	ErrClosed = errors.New("store: closed")
)

// Retry bounds how Update and View re-run a transaction that failed for a
// transient reason. Delays grow exponentially from BaseDelay to MaxDelay with
// full jitter; waiting honours the context.
type Retry struct {
	MaxAttempts int           // total runs of fn, at least 1
	BaseDelay   time.Duration // delay before the second run
	MaxDelay    time.Duration // cap on one delay
}

// DefaultRetry is sized for contended counters: 30 runs, 1ms doubling to 50ms,
// which gives up after roughly a second of continuous conflict.
func DefaultRetry() Retry {
	return Retry{MaxAttempts: 30, BaseDelay: time.Millisecond, MaxDelay: 50 * time.Millisecond}
}
