package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/nimbuscloud/nimbus/internal/store"
	"github.com/nimbuscloud/nimbus/internal/store/internal/migrate"
	"github.com/nimbuscloud/nimbus/internal/store/internal/retry"
)

// Store is a store.Store on one SQLite database file.
type Store struct {
	path   string
	w      *sql.DB // exactly one connection: the writer
	r      *sql.DB // readers, query_only
	retry  store.Retry
	closed atomic.Bool

	// Group commit (groupcommit.go): Update queues requests for the writer
	// goroutine, which Open starts and Close stops.
	queue  chan *request
	stop   chan struct{} // closed by Close
	exited chan struct{} // closed by the writer goroutine when it returns
	// beforeCommit, when set (by tests), runs before a batch's COMMIT; an
	// error fails the batch as a failed COMMIT would.
	beforeCommit func() error
}

var _ store.Store = (*Store)(nil)

type config struct {
	readers     int
	busyTimeout time.Duration
	retry       store.Retry
	synchronous string
}

// Option configures Open.
type Option func(*config)

// WithReaders sets the size of the reader pool (default max(4, GOMAXPROCS)).
func WithReaders(n int) Option { return func(c *config) { c.readers = n } }

// WithBusyTimeout sets how long a statement waits for another process's lock
// before failing with SQLITE_BUSY (default 5s); Update then retries.
func WithBusyTimeout(d time.Duration) Option { return func(c *config) { c.busyTimeout = d } }

// WithRetry replaces store.DefaultRetry.
func WithRetry(r store.Retry) Option { return func(c *config) { c.retry = r } }

// WithSynchronousNormal trades durability for speed: with WAL, commits survive a
// process crash but the last ones may be lost on power failure or kernel crash.
// Only for benchmarks and throwaway data; nimbus itself never sets it.
func WithSynchronousNormal() Option { return func(c *config) { c.synchronous = "NORMAL" } }

// Open opens (creating if needed) the database file at path, puts it in WAL
// mode and makes its creation durable. The directory must exist or be creatable.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	cfg := config{
		readers:     max(4, runtime.GOMAXPROCS(0)),
		busyTimeout: 5 * time.Second,
		retry:       store.DefaultRetry(),
		synchronous: "FULL",
	}
	for _, o := range opts {
		o(&cfg)
	}
	if path == "" || strings.ContainsAny(path, "?#") || strings.HasPrefix(path, "file:") || path == ":memory:" {
		return nil, fmt.Errorf("sqlite: open %q: want a plain file path", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	dir := filepath.Dir(abs)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	_, statErr := os.Stat(abs)
	created := errors.Is(statErr, os.ErrNotExist)

	s := &Store{path: abs, retry: cfg.retry}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", cfg.busyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous("+cfg.synchronous+")")
	q.Set("_txlock", "immediate")
	wc, err := newConnector(abs + "?" + q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	s.w = sql.OpenDB(wc)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	s.w.SetConnMaxIdleTime(0)

	var mode string
	if err := s.w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		s.w.Close()
		return nil, fmt.Errorf("sqlite: open %q: %w", path, mapErr(err))
	}
	if !strings.EqualFold(mode, "wal") {
		s.w.Close()
		return nil, fmt.Errorf("sqlite: open %q: journal_mode is %q, want wal", path, mode)
	}
	if created {
		// SQLite fsyncs the directory when it creates the WAL, but not for the
		// main file; do it so a freshly created database survives a crash.
		if err := syncDir(dir); err != nil {
			s.w.Close()
			return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
		}
	}

	rq := url.Values{}
	rq.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", cfg.busyTimeout.Milliseconds()))
	rq.Add("_pragma", "foreign_keys(1)")
	rq.Add("_pragma", "query_only(1)")
	// Readers map the database file and keep a larger page cache than
	// SQLite's 2 MiB default: a small GET reads its row, inline body
	// included, from memory instead of through a pread per page.
	rq.Add("_pragma", "mmap_size(268435456)")
	rq.Add("_pragma", "cache_size(-16384)")
	rq.Set("_txlock", "deferred")
	rc, err := newConnector(abs + "?" + rq.Encode())
	if err == nil {
		s.r = sql.OpenDB(rc)
	}
	if err != nil {
		s.w.Close()
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	s.r.SetMaxOpenConns(cfg.readers)
	s.r.SetMaxIdleConns(cfg.readers)
	s.r.SetConnMaxLifetime(0)
	s.r.SetConnMaxIdleTime(0)
	if err := s.r.PingContext(ctx); err != nil {
		s.r.Close()
		s.w.Close()
		return nil, fmt.Errorf("sqlite: open %q: %w", path, mapErr(err))
	}
	s.queue = make(chan *request, 2*maxBatch)
	s.stop = make(chan struct{})
	s.exited = make(chan struct{})
	go s.writeLoop()
	return s, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", dir, err)
	}
	return nil
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Backend implements store.Store.
func (s *Store) Backend() string { return store.BackendSQLite }

// Close implements store.Store.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	close(s.stop)
	return errors.Join(s.r.Close(), s.w.Close())
}

// Update implements store.Store: fn runs inside a savepoint of a BEGIN
// IMMEDIATE transaction on the single writer connection, which concurrent
// Updates of this Store share and commit together (group commit, see
// groupcommit.go). Writers in this process queue for the writer goroutine;
// writers in other processes wait up to the busy timeout, then retry.
func (s *Store) Update(ctx context.Context, fn func(store.Tx) error) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	return retry.Do(ctx, s.retry, transient, func() error { return s.update(ctx, fn) })
}

// View implements store.Store: fn runs in a deferred transaction on a reader
// connection, which in WAL mode reads a snapshot without waiting for the writer.
func (s *Store) View(ctx context.Context, fn func(store.Tx) error) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	return retry.Do(ctx, s.retry, transient, func() error { return s.view(ctx, fn) })
}

// view runs fn once in a read transaction on a reader connection. It
// drives BEGIN and COMMIT itself rather than through a *sql.Tx: both are
// then cached prepared statements, run without the caller's context (a
// cancellable context costs the driver a watcher goroutine per statement,
// and neither statement of a deferred read transaction waits for a lock),
// while fn's statements run with it. On a small GET this was a tenth of
// the server's CPU.
func (s *Store) view(ctx context.Context, fn func(store.Tx) error) error {
	conn, err := s.r.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", ctxErr(ctx, mapErr(err)))
	}
	defer conn.Close()
	bg := context.Background()
	if _, err := conn.ExecContext(bg, "BEGIN"); err != nil {
		return fmt.Errorf("sqlite: begin: %w", mapErr(err))
	}
	t := &tx{tx: conn, ctx: ctx}
	ferr := fn(t)
	if cerr := t.g.CloseAll(); ferr == nil {
		ferr = cerr
	}
	if err := ctx.Err(); ferr == nil && err != nil {
		ferr = fmt.Errorf("sqlite: %w", err)
	}
	end := "COMMIT"
	if ferr != nil {
		end = "ROLLBACK"
	}
	if _, err := conn.ExecContext(bg, end); err != nil {
		// A connection still inside a transaction must not return to the
		// pool: ErrBadConn from Raw makes database/sql close it.
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		if ferr == nil {
			ferr = fmt.Errorf("sqlite: commit: %w", mapErr(err))
		}
	}
	return ferr
}

func (s *Store) run(ctx context.Context, db *sql.DB, fn func(store.Tx) error) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	return retry.Do(ctx, s.retry, transient, func() error { return attempt(ctx, db, fn) })
}

// Migrate implements store.Store. Each migration runs in its own BEGIN
// IMMEDIATE transaction, which excludes other processes' migrators.
func (s *Store) Migrate(ctx context.Context, sc store.Schema) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	return migrate.Runner{
		// Not group-committed: a migration runs alone in its own transaction.
		Begin: func(ctx context.Context, fn func(store.Tx) error) error { return s.run(ctx, s.w, fn) },
		SQL:   func(m store.Migration) string { return m.SQL },
	}.Apply(ctx, sc)
}

// transient reports whether a failed attempt is worth re-running.
func transient(err error) bool {
	if errors.Is(err, errTxLost) {
		return true
	}
	var se *msqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return true
	}
	return false
}

// mapErr wraps driver errors with the store's sentinels.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %w", store.ErrNotFound, err)
	}
	var se *msqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE:
			return fmt.Errorf("%w: %w", store.ErrConflict, err)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("%w: %w", store.ErrForeignKey, err)
		}
	}
	return fmt.Errorf("sqlite: %w", err)
}
