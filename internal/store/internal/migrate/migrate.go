// Package migrate applies a store.Schema through any backend's transactions.
// It owns the schema_migrations table layout and the apply loop; backends own
// locking and isolation (their Begin must serialize concurrent migrators, e.g.
// SQLite's BEGIN IMMEDIATE, or a PostgreSQL advisory lock taken in Prelude under
// READ COMMITTED). It must never apply a migration outside a transaction.
package migrate

import (
	"context"
	"fmt"
	"time"

	"github.com/nimbuscloud/nimbus/internal/store"
)

// Runner describes how one backend runs migrations.
type Runner struct {
	// Begin runs fn in a transaction that excludes other migrators; it may re-run fn.
	Begin func(ctx context.Context, fn func(store.Tx) error) error
	// Prelude, when set, runs first in every migration transaction (a lock).
	Prelude string
	// SQL returns the text to run for m in this backend's dialect.
	SQL func(m store.Migration) string
	// Now returns the applied_at time; time.Now when nil.
	Now func() time.Time
}

const createTable = `CREATE TABLE IF NOT EXISTS ` + store.MigrationsTable + ` (
	component  TEXT   NOT NULL,
	version    BIGINT NOT NULL,
	name       TEXT   NOT NULL,
	applied_at BIGINT NOT NULL,
	PRIMARY KEY (component, version)
)`

// Apply applies s's pending migrations one transaction at a time, re-reading
// the applied set inside each transaction so concurrent migrators never apply
// a migration twice.
func (r Runner) Apply(ctx context.Context, s store.Schema) error {
	if err := s.Validate(); err != nil {
		return err
	}
	now := r.Now
	if now == nil {
		now = time.Now
	}
	if err := r.Begin(ctx, func(tx store.Tx) error {
		if err := r.prelude(ctx, tx); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, createTable)
		return err
	}); err != nil {
		return fmt.Errorf("store: create %s: %w", store.MigrationsTable, err)
	}
	for {
		var applied *store.Migration
		err := r.Begin(ctx, func(tx store.Tx) error {
			applied = nil
			if err := r.prelude(ctx, tx); err != nil {
				return err
			}
			done, err := appliedVersions(ctx, tx, s.Component)
			if err != nil {
				return err
			}
			pending, err := s.Pending(done)
			if err != nil || len(pending) == 0 {
				return err
			}
			m := pending[0]
			if _, err := tx.Exec(ctx, r.SQL(m)); err != nil {
				return fmt.Errorf("store: migrate %s to version %d (%s): %w", s.Component, m.Version, m.Name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO `+store.MigrationsTable+` (component, version, name, applied_at) VALUES (?, ?, ?, ?)`,
				s.Component, m.Version, m.Name, now().UnixMilli()); err != nil {
				return fmt.Errorf("store: record migration %s/%d: %w", s.Component, m.Version, err)
			}
			applied = &m
			return nil
		})
		if err != nil {
			return err
		}
		if applied == nil {
			return nil
		}
	}
}

func (r Runner) prelude(ctx context.Context, tx store.Tx) error {
	if r.Prelude == "" {
		return nil
	}
	rows, err := tx.Query(ctx, r.Prelude)
	if err != nil {
		return fmt.Errorf("store: migration lock: %w", err)
	}
	for rows.Next() {
	}
	return rows.Close()
}

func appliedVersions(ctx context.Context, tx store.Tx, component string) (map[int]string, error) {
	rows, err := tx.Query(ctx, `SELECT version, name FROM `+store.MigrationsTable+` WHERE component = ?`, component)
	if err != nil {
		return nil, fmt.Errorf("store: read %s: %w", store.MigrationsTable, err)
	}
	defer rows.Close()
	out := map[int]string{}
	for rows.Next() {
		var v int
		var name string
		if err := rows.Scan(&v, &name); err != nil {
			return nil, fmt.Errorf("store: read %s: %w", store.MigrationsTable, err)
		}
		out[v] = name
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: read %s: %w", store.MigrationsTable, err)
	}
	return out, nil
}
