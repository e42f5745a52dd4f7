package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"runtime"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/parley-chat/parley/internal/chat"
)

// OpenPostgres connects to the PostgreSQL database at a postgres:// URL and migrates it.
// One pool serves reads and writes: PostgreSQL takes concurrent writers itself.
//
// The pool holds at most max(8, 4 × GOMAXPROCS) connections unless the URL says
// otherwise with pool_max_conns (the parameter pgxpool reads; it is taken out of the URL
// before connecting). Every node of a cluster has its own pool, so the sum over nodes
// must stay under the server's max_connections (100 by default).
func OpenPostgres(ctx context.Context, rawURL string) (*DB, error) {
	connURL, poolSize, err := poolSizeFromURL(rawURL)
	if err != nil {
		return nil, err
	}
	cfg, err := pgx.ParseConfig(connURL)
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL URL: %w", err)
	}
	pool := sql.OpenDB(stdlib.GetConnector(*cfg))
	pool.SetMaxOpenConns(poolSize)
	pool.SetMaxIdleConns(poolSize)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres %s@%s/%s: %w", cfg.User, cfg.Host, cfg.Database, err)
	}
	db := &DB{d: postgres, writer: pool, reader: pool, caches: noRowCaches()}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	db.work.hooksMaybe.Store(true) // the delivery insert rides in the event's statement
	return db, nil
}

// poolSizeFromURL takes pool_max_conns out of the URL, which the server would refuse as
// an unknown setting, and returns the pool size it asks for or the default.
func poolSizeFromURL(rawURL string) (string, int, error) {
	size := max(8, 4*runtime.GOMAXPROCS(0))
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", 0, fmt.Errorf("PostgreSQL URL: %w", err)
	}
	q := u.Query()
	if v := q.Get("pool_max_conns"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return "", 0, fmt.Errorf("PostgreSQL URL: pool_max_conns %q is not a positive number", v)
		}
		size = n
		q.Del("pool_max_conns")
		u.RawQuery = q.Encode()
	}
	return u.String(), size, nil
}

// pgRetryable tells whether PostgreSQL aborted a transaction that may succeed if run
// again: a serialization failure, a deadlock, a unique key that a concurrent
// transaction inserted after this one found it missing, or chat.ErrChanged (a unit
// that locks late found what it decided from changed). (A unique violation
// that is not a race fails again on every run, and its last error is returned.)
func pgRetryable(err error) bool {
	if errors.Is(err, chat.ErrChanged) { // a unit's late lock found its decision stale
		return true
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01" || pe.Code == "23505")
}

// pgClientError turns PostgreSQL's refusal of a NUL character or invalid UTF-8 (in a
// lookup key that checkArgs does not see) into the client's 400000.
func pgClientError(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && (pe.Code == "22021" || pe.Code == "22P05") {
		return errUnstorable
	}
	return err
}

// textColumn finds a column definition of type TEXT in a migration: the column name
// after the start of a line, an opening parenthesis, a comma or ADD COLUMN, then TEXT.
var textColumn = regexp.MustCompile(`(?m)((?:^|\(|,|ADD COLUMN|add column)\s*"?\w+"?\s+)TEXT\b`)

// collateC makes a migration's TEXT columns compare byte by byte, as SQLite's do.
func collateC(sql string) string {
	return textColumn.ReplaceAllString(sql, `${1}TEXT COLLATE "C"`)
}
