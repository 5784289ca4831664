// Package txguard gives every backend's Tx the same failure semantics: the
// first failed statement aborts the transaction (as PostgreSQL does), later
// statements report that failure, and result sets left open are closed before
// commit. It owns no I/O and must never swallow an error.
package txguard

import (
	"errors"
	"fmt"
	"io"

	"github.com/nimbuscloud/nimbus/internal/store"
)

// Guard is embedded in a backend's transaction. The zero value is ready.
type Guard struct {
	failed error
	open   []io.Closer
}

// Check returns the error a new statement must fail with, or nil: the failure
// that aborted the transaction, or a Rows still open (PostgreSQL cannot run a
// statement while a result set streams; SQLite could, but portable code must not).
func (g *Guard) Check() error {
	if g.failed != nil {
		return fmt.Errorf("store: transaction aborted by an earlier error: %w", g.failed)
	}
	if len(g.open) > 0 {
		return errors.New("store: a Rows is still open; close it before the next statement")
	}
	return nil
}

// Fail records err (unless it is nil or store.ErrNotFound) as the failure that
// aborts the transaction and returns err.
func (g *Guard) Fail(err error) error {
	if err != nil && g.failed == nil && !errors.Is(err, store.ErrNotFound) {
		g.failed = err
	}
	return err
}

// Err is the failure that aborted the transaction, or nil.
func (g *Guard) Err() error { return g.failed }

// Track registers an open result set; Release forgets it once closed.
func (g *Guard) Track(c io.Closer) { g.open = append(g.open, c) }

// Release forgets c.
func (g *Guard) Release(c io.Closer) {
	for i, o := range g.open {
		if o == c {
			g.open = append(g.open[:i], g.open[i+1:]...)
			return
		}
	}
}

// CloseAll closes every result set still open, recording any error as a failure.
func (g *Guard) CloseAll() error {
	for len(g.open) > 0 {
		c := g.open[len(g.open)-1]
		// Close calls Release, which shrinks g.open.
		if err := c.Close(); err != nil {
			g.Fail(err)
		}
		g.Release(c)
	}
	return g.failed
}
