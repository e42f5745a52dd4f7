// Package store keeps Parley's state in SQL: one implementation, two dialects (SQLite,
// embedded and the default, and PostgreSQL for clusters), and embedded migrations.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/parley-chat/parley/internal/chat"
	_ "modernc.org/sqlite"
)

//go:embed migrations/*.sql
var migrations embed.FS

// dialect holds every difference between the two SQL engines, so that nothing else in
// this package branches on which one it runs on.
type dialect struct {
	name   string
	autoID string // an auto-incrementing integer primary key
	// numbered placeholders ($1, $2…) instead of ?
	numbered bool
	// forUpdate ends a SELECT that must hold its rows until the transaction ends; SQLite's
	// single writer already serialises write transactions.
	forUpdate string
}

var (
	sqlite   = dialect{name: "sqlite", autoID: "INTEGER PRIMARY KEY AUTOINCREMENT"}
	postgres = dialect{name: "postgres", autoID: "BIGSERIAL PRIMARY KEY", numbered: true, forUpdate: " FOR UPDATE"}
)

// rebind turns the ? placeholders every query is written with into the dialect's own.
func (d dialect) rebind(q string) string {
	if !d.numbered {
		return q
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// DB is the store. On SQLite it holds one writer connection (SQLite admits one writer at
// a time; queuing in Go is cheaper than SQLITE_BUSY retries) and a pool of readers.
type DB struct {
	d      dialect
	writer *sql.DB
	reader *sql.DB
}

// Options tune the SQLite file.
type Options struct {
	// Synchronous is SQLite's synchronous pragma: FULL (the default) makes every
	// acknowledged write survive a power loss; NORMAL survives a process crash only.
	Synchronous string
}

// OpenSQLite opens (creating if needed) the database file at path and migrates it.
func OpenSQLite(ctx context.Context, path string, opt Options) (*DB, error) {
	if opt.Synchronous == "" {
		opt.Synchronous = "FULL"
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	common := "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)"
	writer, err := sql.Open("sqlite", "file:"+abs+"?"+common+"&_pragma=journal_mode(WAL)&_pragma=synchronous("+opt.Synchronous+")&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	if err := writer.PingContext(ctx); err != nil {
		writer.Close()
		return nil, fmt.Errorf("open %s: %w", abs, err)
	}
	db := &DB{d: sqlite, writer: writer}
	if err := db.migrate(ctx); err != nil {
		writer.Close()
		return nil, err
	}
	reader, err := sql.Open("sqlite", "file:"+abs+"?"+common+"&_pragma=query_only(1)")
	if err != nil {
		writer.Close()
		return nil, err
	}
	reader.SetMaxOpenConns(8)
	reader.SetMaxIdleConns(8)
	db.reader = reader
	return db, nil
}

// Close closes every connection.
func (db *DB) Close() error {
	err := db.writer.Close()
	if db.reader != nil && db.reader != db.writer {
		err = errors.Join(err, db.reader.Close())
	}
	return err
}

// Ping tells whether the database answers, for readiness checks.
func (db *DB) Ping(ctx context.Context) error { return db.writer.PingContext(ctx) }

// migrate applies, in order and each in its own transaction, the embedded migrations
// the database has not seen yet.
func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.writer.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		base := filepath.Base(name)
		var seen int
		if err := db.writer.QueryRowContext(ctx, db.d.rebind(`SELECT COUNT(*) FROM schema_migrations WHERE name = ?`), base).Scan(&seen); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if seen > 0 {
			continue
		}
		body, _ := migrations.ReadFile(name)
		text := strings.ReplaceAll(string(body), "{{autoid}}", db.d.autoID)
		tx, err := db.writer.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		for _, stmt := range splitStatements(text) {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				tx.Rollback()
				return fmt.Errorf("migration %s: %w", base, err)
			}
		}
		if _, err := tx.ExecContext(ctx, db.d.rebind(`INSERT INTO schema_migrations (name) VALUES (?)`), base); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %s: %w", base, err)
		}
	}
	return nil
}

// splitStatements cuts a migration at semicolons that end a line, skipping comments.
func splitStatements(text string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(t, ";") {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	if strings.TrimSpace(cur.String()) != "" {
		out = append(out, cur.String())
	}
	return out
}

// Read runs fn in a transaction on a reader connection.
func (db *DB) Read(ctx context.Context, fn func(chat.Tx) error) error {
	return db.run(ctx, db.reader, fn)
}

// Write runs fn in a transaction on the writer; fn's error rolls everything back.
func (db *DB) Write(ctx context.Context, fn func(chat.Tx) error) error {
	return db.run(ctx, db.writer, fn)
}

func (db *DB) run(ctx context.Context, conn *sql.DB, fn func(chat.Tx) error) error {
	sqltx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	t := &tx{ctx: ctx, tx: sqltx, d: db.d}
	if err := fn(t); err != nil {
		sqltx.Rollback()
		return err
	}
	if err := sqltx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// tx implements chat.Tx; its methods live in one file per resource.
type tx struct {
	ctx context.Context
	tx  *sql.Tx
	d   dialect
}

func (t *tx) exec(q string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(t.ctx, t.d.rebind(q), args...)
}

func (t *tx) query(q string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(t.ctx, t.d.rebind(q), args...)
}

func (t *tx) queryRow(q string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(t.ctx, t.d.rebind(q), args...)
}

// placeholders returns "?, ?, …" for n values.
func placeholders(n int) string {
	if n == 0 {
		return "NULL"
	}
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// anys converts strings to query arguments.
func anys(v []string) []any {
	out := make([]any, len(v))
	for i, s := range v {
		out[i] = s
	}
	return out
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// queryAll runs a query inside t and reads every row with scan.
func queryAll[T any](t *tx, scan func(scanner) (T, error), q string, args ...any) ([]T, error) {
	rows, err := t.query(q, args...)
	return collect(rows, err, scan)
}

// collect reads every row with scan.
func collect[T any](rows *sql.Rows, err error, scan func(scanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// one reads a single row, nil when there is none.
func one[T any](row *sql.Row, scan func(scanner) (T, error)) (*T, error) {
	v, err := scan(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &v, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func nullMillis(t chat.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Millis()
}

func timeOf(ms sql.NullInt64) chat.Time {
	if !ms.Valid {
		return chat.Time{}
	}
	return chat.FromMillis(ms.Int64)
}

func scanString(s scanner) (string, error) {
	var v string
	return v, s.Scan(&v)
}

// Count counts rows of a table that match a condition. Tests use it to prove that a
// refused request wrote nothing; it is not for request paths.
func (db *DB) Count(ctx context.Context, table, where string, args ...any) (int, error) {
	q := "SELECT COUNT(*) FROM " + table
	if where != "" {
		q += " WHERE " + where
	}
	var n int
	err := db.writer.QueryRowContext(ctx, db.d.rebind(q), args...).Scan(&n)
	return n, err
}
