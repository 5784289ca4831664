package sqlite

import (
	"context"
	"database/sql/driver"
	"errors"
	"strings"

	msqlite "modernc.org/sqlite"
)

// maxCachedStmts bounds the prepared statements one connection keeps;
// services use a fixed set of query strings, so the bound only guards
// against SQL built dynamically.
const maxCachedStmts = 256

// cachingConnector opens modernc connections that keep their prepared
// statements. Parsing SQL on every query was a quarter of the CPU of a
// small S3 PUT. The cache lives in the connection (database/sql never uses
// a connection from two goroutines at once), so it needs no lock and cannot
// wait for a connection the caller's transaction already holds.
type cachingConnector struct {
	inner driver.Connector
}

func newConnector(dsn string) (driver.Connector, error) {
	c, err := msqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return cachingConnector{inner: c}, nil
}

func (c cachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return newCachingConn(conn)
}

func (c cachingConnector) Driver() driver.Driver { return c.inner.Driver() }

// fullConn is what modernc's connections implement and the wrapper passes on.
type fullConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

type cachingConn struct {
	fullConn
	stmts map[string]driver.Stmt
}

func newCachingConn(c driver.Conn) (driver.Conn, error) {
	fc, ok := c.(fullConn)
	if !ok {
		c.Close()
		return nil, errors.New("sqlite: driver connection lacks context methods")
	}
	return &cachingConn{fullConn: fc, stmts: map[string]driver.Stmt{}}, nil
}

// ExecContext runs scripts (SQL with a ';', as migrations are) directly
// and sends every other statement, BEGIN and COMMIT included, through the
// cached prepared statements (driver.ErrSkip makes database/sql prepare).
func (c *cachingConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	if len(args) > 0 || !strings.Contains(q, ";") {
		return nil, driver.ErrSkip
	}
	return c.fullConn.ExecContext(ctx, q, args)
}

// QueryContext: as ExecContext.
func (c *cachingConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	if len(args) > 0 || !strings.Contains(q, ";") {
		return nil, driver.ErrSkip
	}
	return c.fullConn.QueryContext(ctx, q, args)
}

func (c *cachingConn) Prepare(q string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), q)
}

func (c *cachingConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	if st, ok := c.stmts[q]; ok {
		return keptStmt{st.(fullStmt)}, nil
	}
	st, err := c.fullConn.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	fs, ok := st.(fullStmt)
	if !ok || len(c.stmts) >= maxCachedStmts {
		return st, nil
	}
	c.stmts[q] = st
	return keptStmt{fs}, nil
}

func (c *cachingConn) Close() error {
	for q, st := range c.stmts {
		st.Close()
		delete(c.stmts, q)
	}
	return c.fullConn.Close()
}

// fullStmt is what modernc's statements implement.
type fullStmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

// keptStmt is a cached statement handed to database/sql: its Close is a
// no-op, the connection closes it when it closes.
type keptStmt struct{ fullStmt }

func (keptStmt) Close() error { return nil }
