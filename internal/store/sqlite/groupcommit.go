package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/nimbuscloud/nimbus/internal/store"
)

// Group commit: concurrent Updates share one transaction and one fsync.
//
// The Store's writer goroutine (writeLoop) takes the first queued request
// plus whatever else is already queued (at most maxBatch), runs BEGIN
// IMMEDIATE once and then, for each request in turn, opens SAVEPOINT req and
// hands the connection to the request's own goroutine (the caller of Update),
// which runs fn and hands back its outcome. A failed fn (error, failed
// statement, cancelled context, panic, runtime.Goexit) is undone with
// ROLLBACK TO req; RELEASE req, so only that request's effects go; a
// successful one is kept with RELEASE req. Then one COMMIT, and only after it
// returns (the WAL is fsynced, synchronous=FULL) are the successful callers
// told so. Failed callers return as soon as their savepoint is handed back:
// nothing of theirs can commit. A caller whose fn succeeded waits for the
// COMMIT even if its context ends meanwhile: once its work may be durable, an
// error must not be reported for it.
//
// fn runs in the caller's goroutine, not the writer's: a panic unwinds the
// caller's stack with its original trace, t.Fatal inside fn works, and the
// writer never runs user code. The hand-over (two channel operations per
// request) is the only cost, microseconds against a millisecond fsync.
//
// Cancellation. The batch transaction is bound to no request's context: BEGIN,
// SAVEPOINT, RELEASE, ROLLBACK TO and COMMIT run under context.Background.
// A request's statements run under the context fn passes, and tx.check fails
// them once the request's own context is done, so cancelling one request
// fails only that request's fn. A request whose context ends while queued
// leaves the queue (Update returns at once); one whose context is done when
// its turn comes is skipped with the context's error.
//
// modernc.org/sqlite implements cancellation of a running statement with
// sqlite3_interrupt, and SQLite answers an interrupted INSERT, UPDATE or
// DELETE inside an explicit transaction by rolling back the whole transaction
// (sqlite3VdbeHalt: SQLITE_INTERRUPT on a non-read-only statement calls
// sqlite3RollbackAll), savepoints and other requests' work included, and
// returning to autocommit. So a cancellation can destroy the batch. That is
// made safe, not prevented:
//   - the interrupted statement fails, and txguard records every statement
//     failure (QueryRow's too, eagerly), so fn can run no further statement,
//     which in autocommit mode would commit on its own;
//   - the writer ends every request with RELEASE req or ROLLBACK TO req, which
//     fail ("no such savepoint") once the transaction is gone; that failure,
//     or any other failure of the batch's own statements, marks the batch
//     lost: the writer runs ROLLBACK, sends no further request a turn (a
//     SAVEPOINT in autocommit mode would open a new transaction), and gives
//     every request that had succeeded errTxLost, which is transient, so
//     Update re-runs its fn under the retry policy. No request is
//     acknowledged unless COMMIT succeeded, and COMMIT itself fails outside a
//     transaction, a second line of defence.
//
// If BEGIN fails (SQLITE_BUSY after busy_timeout because another process
// writes) or COMMIT fails, no request committed: each gets the error, and
// Update's retry loop re-submits those for which it is transient.

// maxBatch bounds how many Updates share one transaction.
const maxBatch = 64

// savepoint is the name of every request's savepoint; requests run one after
// another, so one name suffices.
const savepoint = "nimbus_req"

// errTxLost: the batch transaction was rolled back (or its state is unknown)
// after this request's fn had succeeded; nothing committed, so the request is
// re-run.
var errTxLost = errors.New("sqlite: group-commit transaction rolled back")

// Request states; the writer and the caller race to move a queued request.
const (
	reqQueued int32 = iota
	reqClaimed
	reqAbandoned
)

type request struct {
	ctx   context.Context
	state atomic.Int32
	// toCaller carries, from the writer, either the turn (conn set: the
	// savepoint is open, run fn on conn) or the request's final result.
	toCaller chan message
	// toWriter carries fn's outcome back: nil to keep its work, else undo it.
	toWriter chan error
}

type message struct {
	conn *sql.Conn // non-nil: your turn
	err  error
}

// errFnAborted tells the writer that fn panicked or called runtime.Goexit.
var errFnAborted = errors.New("sqlite: fn did not return")

// update implements Store.Update: one attempt through the writer.
func (s *Store) update(ctx context.Context, fn func(store.Tx) error) error {
	r := &request{ctx: ctx, toCaller: make(chan message, 1), toWriter: make(chan error, 1)}
	select {
	case s.queue <- r:
	case <-ctx.Done():
		return fmt.Errorf("sqlite: %w", ctx.Err())
	case <-s.exited:
		return store.ErrClosed
	}
	var m message
	select {
	case m = <-r.toCaller:
	case <-ctx.Done():
		if r.state.CompareAndSwap(reqQueued, reqAbandoned) {
			return fmt.Errorf("sqlite: %w", ctx.Err())
		}
		m = <-r.toCaller // claimed: the writer answers soon
	case <-s.exited:
		if r.state.CompareAndSwap(reqQueued, reqAbandoned) {
			return store.ErrClosed
		}
		m = <-r.toCaller
	}
	if m.conn == nil {
		return m.err
	}
	if err := ctx.Err(); err != nil {
		r.toWriter <- err
		return fmt.Errorf("sqlite: %w", err)
	}
	t := &tx{tx: m.conn, ctx: ctx}
	returned := false
	defer func() {
		if !returned { // panic or Goexit: undo fn's work and let it unwind
			_ = t.g.CloseAll()
			r.toWriter <- errFnAborted
		}
	}()
	err := fn(t)
	returned = true
	if cerr := t.g.CloseAll(); err == nil {
		err = cerr // a failed statement aborts fn's work even if fn returns nil
	}
	if err == nil {
		if cerr := ctx.Err(); cerr != nil {
			err = fmt.Errorf("sqlite: %w", cerr)
		}
	}
	r.toWriter <- err
	if err != nil {
		return err // rolled back whatever happens to the batch
	}
	return (<-r.toCaller).err // after COMMIT
}

// writeLoop is the Store's writer goroutine: it runs batches until Close.
func (s *Store) writeLoop() {
	defer close(s.exited)
	batch := make([]*request, 0, maxBatch)
	for {
		select {
		case <-s.stop:
			s.failQueued()
			return
		case r := <-s.queue:
			batch = append(batch[:0], r)
		}
		select {
		case <-s.stop: // Close won the race with the queue
			if batch[0].state.CompareAndSwap(reqQueued, reqClaimed) {
				batch[0].toCaller <- message{err: store.ErrClosed}
			}
			s.failQueued()
			return
		default:
		}
	drain:
		for len(batch) < maxBatch {
			select {
			case r := <-s.queue:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		s.runBatch(batch)
		clear(batch)
	}
}

// failQueued answers every request still queued with ErrClosed.
func (s *Store) failQueued() {
	for {
		select {
		case r := <-s.queue:
			if r.state.CompareAndSwap(reqQueued, reqClaimed) {
				r.toCaller <- message{err: store.ErrClosed}
			}
		default:
			return
		}
	}
}

// runBatch runs batch in one transaction; see the comment at the top.
func (s *Store) runBatch(batch []*request) {
	bg := context.Background()
	claim := func(r *request) bool { return r.state.CompareAndSwap(reqQueued, reqClaimed) }
	failAll := func(err error) {
		for _, r := range batch {
			if claim(r) {
				r.toCaller <- message{err: err}
			}
		}
	}
	conn, err := s.w.Conn(bg)
	if err != nil {
		if s.closed.Load() {
			err = store.ErrClosed
		}
		failAll(fmt.Errorf("sqlite: begin: %w", err))
		return
	}
	defer conn.Close()
	if _, err := conn.ExecContext(bg, "BEGIN IMMEDIATE"); err != nil {
		failAll(fmt.Errorf("sqlite: begin: %w", mapErr(err)))
		return
	}
	// A batch of one needs no savepoint: fn's failure rolls back the whole
	// transaction. This keeps the uncontended Update as cheap as before.
	single := len(batch) == 1
	var ok []*request // fn succeeded, waiting for COMMIT
	var lost error
	for _, r := range batch {
		if !claim(r) {
			continue // its caller gave up while it was queued
		}
		if lost != nil {
			r.toCaller <- message{err: lost}
			continue
		}
		if !single {
			if _, err := conn.ExecContext(bg, "SAVEPOINT "+savepoint); err != nil {
				lost = fmt.Errorf("%w: savepoint: %w", errTxLost, mapErr(err))
				r.toCaller <- message{err: lost}
				continue
			}
		}
		r.toCaller <- message{conn: conn}
		fnErr := <-r.toWriter
		switch {
		case fnErr == nil:
			if !single {
				if _, err := conn.ExecContext(bg, "RELEASE "+savepoint); err != nil {
					lost = fmt.Errorf("%w: release: %w", errTxLost, mapErr(err))
				}
			}
			ok = append(ok, r)
		case single:
			// The caller has returned fn's error already; nobody else waits.
			lost = fmt.Errorf("%w: its only fn failed", errTxLost)
		default:
			// The caller has returned fn's error already: whether the savepoint
			// or (on failure here) the whole batch is rolled back, nothing of it
			// commits.
			if _, err := conn.ExecContext(bg, "ROLLBACK TO "+savepoint); err != nil {
				lost = fmt.Errorf("%w: rollback to savepoint: %w", errTxLost, mapErr(err))
			} else if _, err := conn.ExecContext(bg, "RELEASE "+savepoint); err != nil {
				lost = fmt.Errorf("%w: release: %w", errTxLost, mapErr(err))
			}
		}
	}
	result := lost
	if result == nil {
		if s.beforeCommit != nil {
			result = s.beforeCommit()
		}
		if result == nil {
			if _, err := conn.ExecContext(bg, "COMMIT"); err != nil {
				result = fmt.Errorf("sqlite: commit: %w", mapErr(err))
			}
		}
	}
	if result != nil {
		rollback(conn)
	}
	for _, r := range ok {
		r.toCaller <- message{err: result}
	}
}

// rollback ends whatever transaction conn may still have open. If that fails
// for another reason than there being none, the connection is discarded so
// the next batch starts on a fresh one rather than inside a stale transaction.
func rollback(conn *sql.Conn) {
	_, err := conn.ExecContext(context.Background(), "ROLLBACK")
	if err == nil || strings.Contains(err.Error(), "no transaction is active") {
		return
	}
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
}
