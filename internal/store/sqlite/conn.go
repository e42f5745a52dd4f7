package sqlite

import (
	"context"
	"database/sql"
)

// maxCachedStmts bounds the statements one connection keeps prepared. Queries with IN
// lists have one text per list length, so the set is not fixed; past the bound the
// connection simply starts over.
const maxCachedStmts = 512

// Querier runs statements: what a read or a write unit is given. Its rows must be closed
// before the same query text runs again on it, since both would share one prepared
// statement.
type Querier interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// conn is one held SQLite connection and its prepared statements. It is used by one
// goroutine at a time (a reader checked out of the pool, or the writer goroutine).
type conn struct {
	conn  *sql.Conn
	stmts map[string]*sql.Stmt
}

func newConn(ctx context.Context, pool *sql.DB) (*conn, error) {
	c, err := pool.Conn(ctx)
	if err != nil {
		return nil, err
	}
	return &conn{conn: c, stmts: map[string]*sql.Stmt{}}, nil
}

func (c *conn) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if s, ok := c.stmts[q]; ok {
		return s, nil
	}
	if len(c.stmts) >= maxCachedStmts {
		c.closeStmts()
	}
	s, err := c.conn.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	c.stmts[q] = s
	return s, nil
}

func (c *conn) closeStmts() {
	for q, s := range c.stmts {
		s.Close()
		delete(c.stmts, q)
	}
}

func (c *conn) close() error {
	c.closeStmts()
	return c.conn.Close()
}

func (c *conn) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	s, err := c.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
}

func (c *conn) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	s, err := c.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

func (c *conn) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	s, err := c.stmt(ctx, q)
	if err != nil {
		// A *sql.Row cannot be made to hold an error: let the connection prepare the
		// query again and report the same error through its Row.
		return c.conn.QueryRowContext(ctx, q, args...)
	}
	return s.QueryRowContext(ctx, args...)
}

// control runs a transaction control statement. It never takes the caller's context:
// a statement interrupted by a cancelled request would leave the connection inside a
// transaction (or, for the shared write transaction, end everyone's units).
func (c *conn) control(q string) error {
	_, err := c.ExecContext(context.Background(), q)
	return err
}
