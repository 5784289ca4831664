package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nimbuscloud/nimbus/internal/store"
	"github.com/nimbuscloud/nimbus/internal/store/internal/sqltext"
	"github.com/nimbuscloud/nimbus/internal/store/internal/txguard"
)

// attempt runs fn once in a transaction and commits it.
func attempt(ctx context.Context, pool *pgxpool.Pool, opts pgx.TxOptions, fn func(store.Tx) error) error {
	ptx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", ctxErr(ctx, mapErr(err)))
	}
	t := &tx{tx: ptx}
	committed := false
	defer func() {
		if !committed {
			// Rollback must reach the server even when ctx is done; if it cannot,
			// pgx closes the connection, which also aborts the transaction.
			_ = ptx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if err := fn(t); err != nil {
		return err
	}
	if err := t.g.CloseAll(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	committed = true
	if err := ptx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: commit: %w", ctxErr(ctx, mapErr(err)))
	}
	return nil
}

func ctxErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w (%w)", cerr, err)
	}
	return err
}

// rebind rewrites ? placeholders; statements without arguments are sent as
// they are (and through the simple protocol, so they may hold several statements).
func rebind(query string, args []any) string {
	if len(args) == 0 {
		return query
	}
	q, _ := sqltext.Rebind(query)
	return q
}

type tx struct {
	tx pgx.Tx
	g  txguard.Guard
}

func (t *tx) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	if err := t.g.Check(); err != nil {
		return 0, err
	}
	tag, err := t.tx.Exec(ctx, rebind(query, args), args...)
	if err != nil {
		return 0, t.g.Fail(ctxErr(ctx, mapErr(err)))
	}
	return tag.RowsAffected(), nil
}

func (t *tx) Query(ctx context.Context, query string, args ...any) (store.Rows, error) {
	if err := t.g.Check(); err != nil {
		return nil, err
	}
	r, err := t.tx.Query(ctx, rebind(query, args), args...)
	if err != nil {
		return nil, t.g.Fail(ctxErr(ctx, mapErr(err)))
	}
	out := &rows{r: r, t: t, ctx: ctx}
	t.g.Track(out)
	return out, nil
}

func (t *tx) QueryRow(ctx context.Context, query string, args ...any) store.Row {
	if err := t.g.Check(); err != nil {
		return row{err: err}
	}
	return row{r: t.tx.QueryRow(ctx, rebind(query, args), args...), t: t, ctx: ctx}
}

type rows struct {
	r      pgx.Rows
	t      *tx
	ctx    context.Context
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
		return r.t.g.Fail(ctxErr(r.ctx, mapErr(err)))
	}
	return nil
}

func (r *rows) Close() error {
	if !r.closed {
		r.closed = true
		r.r.Close()
		r.t.g.Release(r)
	}
	return r.Err()
}

type row struct {
	r   pgx.Row
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
