package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nimbuscloud/nimbus/internal/store"
	"github.com/nimbuscloud/nimbus/internal/store/internal/migrate"
	"github.com/nimbuscloud/nimbus/internal/store/internal/retry"
	"github.com/nimbuscloud/nimbus/internal/store/internal/sqltext"
)

// migrationLockKey is the pg_advisory_xact_lock key every nimbus migrator
// takes, in every database: ASCII "nimbusmg".
const migrationLockKey int64 = 0x6e696d6275736d67

// Store is a store.Store on a PostgreSQL database through a pgx connection pool.
type Store struct {
	pool   *pgxpool.Pool
	retry  store.Retry
	closed atomic.Bool
}

var _ store.Store = (*Store)(nil)

type config struct {
	maxConns int32
	retry    store.Retry
}

// Option configures Open.
type Option func(*config)

// WithMaxConns caps the pool (default: pgxpool's, max(4, NumCPU), or the DSN's
// pool_max_conns).
func WithMaxConns(n int32) Option { return func(c *config) { c.maxConns = n } }

// WithRetry replaces store.DefaultRetry.
func WithRetry(r store.Retry) Option { return func(c *config) { c.retry = r } }

// Open connects to the database named by dsn, a postgres:// URL or a libpq
// keyword/value string; pgxpool parameters such as pool_max_conns and
// PostgreSQL run-time parameters such as search_path may be given in it.
// Open checks the connection before returning.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	cfg := config{retry: store.DefaultRetry()}
	for _, o := range opts {
		o(&cfg)
	}
	pc, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// The parse error may quote the DSN, password included; do not wrap it.
		return nil, errors.New("postgres: open: cannot parse the DSN")
	}
	if cfg.maxConns > 0 {
		pc.MaxConns = cfg.maxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open %s@%s:%d/%s: %w", pc.ConnConfig.User, pc.ConnConfig.Host, pc.ConnConfig.Port, pc.ConnConfig.Database, err)
	}
	return &Store{pool: pool, retry: cfg.retry}, nil
}

// Backend implements store.Store.
func (s *Store) Backend() string { return store.BackendPostgres }

// Close implements store.Store.
func (s *Store) Close() error {
	if !s.closed.Swap(true) {
		s.pool.Close()
	}
	return nil
}

// Update implements store.Store at SERIALIZABLE isolation: the outcome is as if
// transactions ran one at a time, or one fails with 40001 and is re-run.
func (s *Store) Update(ctx context.Context, fn func(store.Tx) error) error {
	return s.run(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable, AccessMode: pgx.ReadWrite}, fn)
}

// View implements store.Store as a READ ONLY REPEATABLE READ transaction: one
// snapshot, never blocked by writers, never a serialization failure. (It may
// observe the read-only anomaly that SERIALIZABLE READ ONLY would prevent; use
// Update for reads that feed a decision written elsewhere.)
func (s *Store) View(ctx context.Context, fn func(store.Tx) error) error {
	return s.run(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
}

func (s *Store) run(ctx context.Context, opts pgx.TxOptions, fn func(store.Tx) error) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	return retry.Do(ctx, s.retry, transient, func() error { return attempt(ctx, s.pool, opts, fn) })
}

// Migrate implements store.Store. Every migration transaction runs at READ
// COMMITTED and first takes a transaction-scoped advisory lock, so migrators in
// other processes wait, then see what the lock holder committed.
func (s *Store) Migrate(ctx context.Context, sc store.Schema) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	return migrate.Runner{
		Begin: func(ctx context.Context, fn func(store.Tx) error) error {
			return s.run(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, fn)
		},
		Prelude: fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", migrationLockKey),
		SQL: func(m store.Migration) string {
			if m.Postgres != "" {
				return m.Postgres
			}
			return sqltext.PostgresTypes(m.SQL)
		},
	}.Apply(ctx, sc)
}

// SQLSTATE codes this package acts on.
const (
	codeUniqueViolation      = "23505"
	codeForeignKeyViolation  = "23503"
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
)

// transient reports whether a failed attempt is worth re-running.
func transient(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == codeSerializationFailure || pe.Code == codeDeadlockDetected
	}
	return false
}

// mapErr wraps driver errors with the store's sentinels.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: %w", store.ErrNotFound, err)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case codeUniqueViolation:
			return fmt.Errorf("%w: %w", store.ErrConflict, err)
		case codeForeignKeyViolation:
			return fmt.Errorf("%w: %w", store.ErrForeignKey, err)
		}
	}
	return fmt.Errorf("postgres: %w", err)
}
