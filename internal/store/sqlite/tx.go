package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/nimbuscloud/nimbus/internal/store"
	"github.com/nimbuscloud/nimbus/internal/store/internal/txguard"
)

// attempt runs fn once in a transaction on db and commits it.
func attempt(ctx context.Context, db *sql.DB, fn func(store.Tx) error) (err error) {
	stx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", ctxErr(ctx, mapErr(err)))
	}
	t := &tx{tx: stx}
	committed := false
	defer func() {
		if !committed {
			// After a context cancellation database/sql has already rolled back.
			_ = stx.Rollback()
		}
	}()
	if err := fn(t); err != nil {
		return err
	}
	if err := t.g.CloseAll(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	committed = true
	if err := stx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", ctxErr(ctx, mapErr(err)))
	}
	return nil
}

// ctxErr prefers the context's error: database/sql reports a cancelled
// transaction as sql.ErrTxDone.
func ctxErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w (%w)", cerr, err)
	}
	return err
}

// querier is what a tx runs its statements on: a *sql.Tx (Migrate), or the
// writer's *sql.Conn inside a group-commit savepoint (Update).
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

type tx struct {
	tx querier
	// ctx is the Update's context when the tx is one request of a group-commit
	// batch: the batch transaction is not bound to it, so the tx checks it
	// before every statement (a *sql.Tx bound to its context does the same).
	ctx context.Context
	g   txguard.Guard
}

// check returns the error a new statement must fail with, or nil.
func (t *tx) check() error {
	if err := t.g.Check(); err != nil {
		return err
	}
	if t.ctx != nil {
		if err := t.ctx.Err(); err != nil {
			return t.g.Fail(fmt.Errorf("sqlite: %w", err))
		}
	}
	return nil
}

func (t *tx) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	if err := t.check(); err != nil {
		return 0, err
	}
	res, err := t.tx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, t.g.Fail(ctxErr(ctx, mapErr(err)))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, t.g.Fail(mapErr(err))
	}
	return n, nil
}

func (t *tx) Query(ctx context.Context, query string, args ...any) (store.Rows, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	r, err := t.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, t.g.Fail(ctxErr(ctx, mapErr(err)))
	}
	out := &rows{r: r, t: t}
	t.g.Track(out)
	return out, nil
}

func (t *tx) QueryRow(ctx context.Context, query string, args ...any) store.Row {
	if err := t.check(); err != nil {
		return row{err: err}
	}
	r := t.tx.QueryRowContext(ctx, query, args...)
	if err := r.Err(); err != nil {
		// Record a failed statement now, not only when (if) fn calls Scan: a
		// failure may have rolled back the whole transaction (an interrupted
		// write), and no later statement of fn may run outside it.
		return row{err: t.g.Fail(ctxErr(ctx, mapErr(err)))}
	}
	return row{r: r, t: t, ctx: ctx}
}

type rows struct {
	r      *sql.Rows
	t      *tx
	closed bool
}

func (r *rows) Next() bool { return r.r.Next() }

func (r *rows) Scan(dest ...any) error {
	if err := r.r.Scan(dest...); err != nil {
		return r.t.g.Fail(mapErr(err))
	}
	return nil
}

func (r *rows) Err() error {
	if err := r.r.Err(); err != nil {
		return r.t.g.Fail(mapErr(err))
	}
	return nil
}

func (r *rows) Close() error {
	if !r.closed {
		r.closed = true
		r.t.g.Release(r)
		if err := r.r.Close(); err != nil {
			return r.t.g.Fail(mapErr(err))
		}
	}
	return r.Err()
}

type row struct {
	r   *sql.Row
	t   *tx
	ctx context.Context
	err error
}

func (r row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	if err := r.r.Scan(dest...); err != nil {
		return r.t.g.Fail(ctxErr(r.ctx, mapErr(err)))
	}
	return nil
}
