package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// readerPool hands out held reader connections.
type readerPool struct {
	pool  *sql.DB
	conns chan *conn
}

func newReaderPool(ctx context.Context, pool *sql.DB, n int) (*readerPool, error) {
	p := &readerPool{pool: pool, conns: make(chan *conn, n)}
	for i := 0; i < n; i++ {
		c, err := newConn(ctx, pool)
		if err != nil {
			p.close()
			return nil, err
		}
		p.conns <- c
	}
	return p, nil
}

func (p *readerPool) close() {
	for {
		select {
		case c := <-p.conns:
			c.close()
		default:
			return
		}
	}
}

// read runs fn in a read transaction on a held reader: one snapshot for all its queries.
// It returns once every commit the snapshot may hold is durable (durable.wait).
func (p *readerPool) read(ctx context.Context, durable *walSyncer, fn func(Querier) error) (err error) {
	var c *conn
	select {
	case c = <-p.conns:
	case <-ctx.Done():
		return ctx.Err()
	}
	lazy := &lazyRead{c: c}
	defer func() {
		// However fn ends (an error, a panic, a test's FailNow), end the transaction
		// before the connection goes back.
		healthy := true
		if lazy.begun {
			end := "ROLLBACK"
			if lazy.done && err == nil {
				end = "COMMIT"
			}
			e := c.control(end)
			if e != nil && err == nil {
				err = fmt.Errorf("%s: %w", end, e)
			}
			healthy = e == nil
		}
		p.release(c, healthy)
		if err == nil {
			err = durable.wait(durable.begun.Load())
		}
	}()
	err = fn(lazy)
	lazy.done = true
	return err
}

// lazyRead begins a reader's transaction at its first statement: a read that the
// caller's caches answer whole runs no SQL at all, and BEGIN and COMMIT were 6% of such
// a read's CPU.
type lazyRead struct {
	c           *conn
	begun, done bool
}

func (l *lazyRead) begin() error {
	if l.begun {
		return nil
	}
	if err := l.c.control("BEGIN"); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	l.begun = true
	return nil
}

func (l *lazyRead) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if err := l.begin(); err != nil {
		return nil, err
	}
	return l.c.ExecContext(ctx, q, args...)
}

func (l *lazyRead) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if err := l.begin(); err != nil {
		return nil, err
	}
	return l.c.QueryContext(ctx, q, args...)
}

func (l *lazyRead) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	// A *sql.Row cannot carry BEGIN's error; the statement then runs on its own and
	// reports whatever the connection's state makes of it.
	l.begin()
	return l.c.QueryRowContext(ctx, q, args...)
}

// release puts a connection back, or a fresh one in its place when it may be unusable.
func (p *readerPool) release(c *conn, healthy bool) {
	if !healthy {
		c.close()
		fresh, err := newConn(context.Background(), p.pool)
		if err != nil {
			// Keep the pool its size: the broken one will fail its next use and be
			// replaced then.
			fresh = c
		}
		c = fresh
	}
	p.conns <- c
}
