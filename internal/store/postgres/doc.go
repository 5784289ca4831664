// Package postgres is the store.Store backend for several nimbus front ends
// sharing one PostgreSQL (13+) database, through github.com/jackc/pgx/v5 and
// its pgxpool. It owns the pool, isolation levels, SQLSTATE mapping and the
// ? -> $n placeholder rewrite; it must never be imported by a service (only by
// the composition root and tests), never run Update below SERIALIZABLE, and
// never log or wrap the DSN (it may hold a password).
//
// Update runs at SERIALIZABLE, so read-check-write sequences such as capacity
// reservation cannot oversubscribe: one of two conflicting transactions fails
// with 40001 and is re-run. 40001 and 40P01 are retried with backoff; 23505 maps
// to store.ErrConflict, 23503 to store.ErrForeignKey. View runs READ ONLY at
// REPEATABLE READ: a stable snapshot that never blocks and never fails to
// serialize.
//
// Migrate takes pg_advisory_xact_lock in each migration transaction (READ
// COMMITTED, so after waiting it sees what the previous holder committed), which
// makes concurrent start-up of several servers safe. DDL is transactional on
// PostgreSQL, so a failed migration leaves nothing behind.
//
// Tests and benchmarks need a database: scripts/testpg.sh start <dir> prints a
// DSN for NIMBUS_TEST_POSTGRES. Each test runs in its own schema (search_path
// in the DSN) that is dropped afterwards.
//
// Store benchmark figures (ops/s, go test -bench . -benchtime=2s):
//
//	                        fsync=off   fsync=on (TESTPG_DURABLE=1)
//	Insert (Update per row)      2129       1848
//	InsertParallel               5755       3150
//	PointRead (View+QueryRow)    5869
//	PointReadParallel            7600
//
// PostgreSQL 15 on the same 2 vCPU VM as the benchmark, over TCP loopback; a
// View is three round trips (BEGIN READ ONLY, SELECT, COMMIT).
package postgres
