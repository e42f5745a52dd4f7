// Package store keeps Parley's state in SQL: one implementation, two dialects (SQLite,
// embedded and the default, and PostgreSQL for clusters), and embedded migrations.
package store

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/parley-chat/parley/internal/chat"
	engine "github.com/parley-chat/parley/internal/store/sqlite"
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
	// textColumns rewrites a migration's TEXT columns to the dialect's text type: on
	// PostgreSQL they compare byte by byte (COLLATE "C"), as SQLite's do, so that every
	// ORDER BY and keyset comparison on text gives the same order on both engines
	// whatever the database's locale.
	textColumns func(sql string) string
	// writeTx and readTx are the options of Write and Read transactions. PostgreSQL runs
	// writes READ COMMITTED and makes them safe with row locks: a unit that reads a row
	// it will change, or whose value decides a write, reads it with forUpdate (the
	// store's single-row lookups do so by themselves in write transactions, see
	// tx.lockRow), so that concurrent units on the same row queue as SQLite's single
	// writer makes them, and counters change with atomic UPDATE … SET n = n + 1. (REPEATABLE
	// READ or SERIALIZABLE would abort every unit that waited for a hot row, such as a
	// live channel's message counter, and rerun it: many times the work under load.)
	// Reads run REPEATABLE READ READ ONLY: one snapshot, as a SQLite reader sees.
	writeTx, readTx sql.TxOptions
	// forUpdate ends a SELECT of rows the transaction reads in order to change them or to
	// decide a write: on PostgreSQL it locks them until commit (SQLite's writer already
	// runs write transactions one at a time).
	forUpdate string
	// keyLock locks a name (one ? argument) until commit, standing in for a row that does
	// not exist yet: whoever finds it missing and may create it queues on its name.
	keyLock string
	// retryable tells whether a failed write transaction may simply be run again.
	retryable func(error) bool
	// clientError turns an engine error caused by the client's input into the chat
	// error to answer, and leaves any other error as it is.
	clientError func(error) error
	// How events enter the outbox and when the relay may pass them (outbox.go, "Commit
	// order without a lock"). On PostgreSQL outboxSavepoint gives the transaction its id,
	// takes the shared outbox-writer lock and starts a subtransaction for the event;
	// outboxInsert draws the seq and writes the row, whose xmin (outboxXid) is the
	// subtransaction's id; outboxWriters reads an id below which every transaction id had
	// been handed out (the snapshot's xmax) and the ids of the transactions holding the
	// writer lock. SQLite's single writer commits in seq order: outboxWriters is empty and
	// every committed event passes.
	outboxSavepoint, outboxInsert, outboxXid, outboxWriters string
	// durable, run on its own (autocommit), returns once every transaction that
	// committed before it is on disk: a unit that appended events commits without
	// waiting for the WAL flush (outboxSavepoint turns synchronous_commit off, so the
	// unit's row locks are released before the flush), and Write and the relay run
	// durable before anyone is told of them (outbox.go, "Durable before told"). Empty:
	// every commit waits for its own flush (SQLite).
	durable string
	// writingWith: a WITH may hold INSERTs (PostgreSQL), so an event, its push job and
	// its webhook deliveries go in one statement (AppendEvent).
	writingWith bool
	// migrationLock runs first in every migration transaction, so that nodes starting
	// together on one database migrate it once.
	migrationLock string
	// relayLock tries, once, the session lock that makes one node the outbox relay
	// (leader.go); it answers true when granted. Empty: the lease needs no lock (SQLite).
	relayLock string
}

// Key of PostgreSQL's migration lock (a fixed number that nothing else uses).
const (
	migrationLockKey = 0x7061726c6579_02 // "parley" 2
)

var (
	sqlite = dialect{
		name:         "sqlite",
		autoID:       "INTEGER PRIMARY KEY AUTOINCREMENT",
		textColumns:  func(s string) string { return s },
		retryable:    func(error) bool { return false },
		clientError:  func(err error) error { return err },
		outboxInsert: `INSERT INTO outbox (type, channel_id, room_id, user_ids, network, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		outboxXid:    "0",
	}
	postgres = dialect{
		name:        "postgres",
		autoID:      "BIGSERIAL PRIMARY KEY",
		numbered:    true,
		textColumns: collateC,
		writeTx:     sql.TxOptions{Isolation: sql.LevelReadCommitted},
		forUpdate:   " FOR UPDATE",
		keyLock:     "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))",
		readTx:      sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true},
		retryable:   pgRetryable,
		clientError: pgClientError,
		// One round trip (no arguments: pgx sends it as a simple query). The WHERE runs
		// before the lock is taken: the transaction has its id while it holds the lock.
		outboxSavepoint: `SELECT pg_advisory_xact_lock_shared(hashtextextended('parley outbox ' || current_schema(), 0))
			WHERE pg_current_xact_id() IS NOT NULL; SET LOCAL synchronous_commit = off; SAVEPOINT outbox_event`,
		// A transaction of its own that writes a WAL record (a transactional logical
		// message: nothing reads it unless a logical-decoding client asks for its
		// prefix) commits with a flush up to its commit record, which is after every
		// earlier commit's; other flushes in flight are group-committed with it. (A
		// transaction that only takes an id writes no WAL of its own, and PostgreSQL
		// then commits it without waiting for any flush.)
		durable:     `SELECT pg_logical_emit_message(true, 'parley durable', '')`,
		writingWith: true,
		outboxInsert: `INSERT INTO outbox (type, channel_id, room_id, user_ids, network, data, created_at)
			SELECT ?, ?, ?, ?, CAST(? AS INTEGER), ?, CAST(? AS BIGINT)`,
		outboxXid: "xmin::text::bigint",
		// pg_locks keeps a bigint advisory key's high half in classid and its low half in
		// objid; every transaction holds an exclusive lock on its own id (and on those of
		// its subtransactions).
		outboxWriters: `WITH k AS (SELECT hashtextextended('parley outbox ' || current_schema(), 0) AS k)
			SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint, COALESCE((
				SELECT string_agg(x.transactionid::text, ',')
				FROM k, pg_locks a JOIN pg_locks x ON x.pid = a.pid AND x.locktype = 'transactionid' AND x.granted
				WHERE a.locktype = 'advisory' AND a.granted AND a.objsubid = 1
				  AND a.database = (SELECT oid FROM pg_database WHERE datname = current_database())
				  AND a.classid = ((k.k >> 32) & 4294967295)::oid AND a.objid = (k.k & 4294967295)::oid), '')`,
		migrationLock: "SELECT pg_advisory_xact_lock(" + strconv.Itoa(migrationLockKey) + ")",
		// Keyed by schema: advisory locks are per database, and each schema is its own Parley.
		relayLock: "SELECT pg_try_advisory_lock(hashtextextended('parley relay ' || current_schema(), 0))",
	}
)

// rebind turns the ? placeholders every query is written with into the dialect's own.
// A ? inside a quoted string literal is left alone.
func (d dialect) rebind(q string) string {
	if !d.numbered {
		return q
	}
	if v, ok := rebound.Load(q); ok {
		return v.(string)
	}
	r := rebindText(q)
	if reboundCount.Add(1) <= maxRebound {
		rebound.Store(q, r)
	}
	return r
}

// rebound caches rebind's answers: every statement is rebound on every call (a twentieth
// of a PostgreSQL write's CPU), from a set of texts that is nearly fixed. IN lists make
// one text per length, so the cache stops growing at maxRebound.
var (
	rebound      sync.Map
	reboundCount atomic.Int64
)

const maxRebound = 4096

func rebindText(q string) string {
	var b strings.Builder
	n := 0
	quoted := false
	for i := 0; i < len(q); i++ {
		switch {
		case q[i] == '\'':
			quoted = !quoted
		case q[i] == '?' && !quoted:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// DB is the store. On SQLite the engine (internal/store/sqlite) runs its transactions:
// one writer that commits concurrent writes in groups, and a pool of readers.
type DB struct {
	d dialect
	// The pools: on PostgreSQL one pool for both; on SQLite writer is the engine's spare
	// connection for the few direct uses (migrations, Ping) and reader is unused.
	writer *sql.DB
	reader *sql.DB
	lite   *engine.Engine // SQLite only: Read and Write run on it
	caches *rowCaches     // row_cache.go; never nil: the no-op twin on PostgreSQL

	noPushJobs bool // Options.NoPushJobs
	work       work // what commits left the background senders (work.go)
}

// Options tune the SQLite file.
type Options struct {
	// Synchronous is SQLite's synchronous pragma: FULL (the default) makes every
	// acknowledged write survive a power loss; NORMAL survives a process crash only.
	Synchronous string

	// NoPushJobs: no push provider is configured on this network, so events write no
	// push job (docs/push.md, "Push off"). Every node of a cluster is configured alike.
	NoPushJobs bool

	// SoleWriter: this process is the only one writing the database (no cluster). On
	// PostgreSQL the relay then skips its WAL flush when no unit of this process is
	// between its commit and its own flush ("Durable before told").
	SoleWriter bool
}

// Open opens the store a PARLEY_DB value names: a postgres:// or postgresql:// URL, or
// else the path of a SQLite file (opt tunes SQLite only).
func Open(ctx context.Context, target string, opt Options) (*DB, error) {
	var db *DB
	var err error
	if IsPostgresURL(target) {
		db, err = OpenPostgres(ctx, target)
	} else {
		db, err = OpenSQLite(ctx, target, opt)
	}
	if err != nil {
		return nil, err
	}
	db.noPushJobs = opt.NoPushJobs
	db.work.soleWriter = opt.SoleWriter
	return db, nil
}

// IsPostgresURL tells whether a PARLEY_DB value names a PostgreSQL database.
func IsPostgresURL(target string) bool {
	return strings.HasPrefix(target, "postgres://") || strings.HasPrefix(target, "postgresql://")
}

// Dialect names the engine: "sqlite" or "postgres".
func (db *DB) Dialect() string { return db.d.name }

// Close closes every connection. Reads and writes must have ended.
func (db *DB) Close() error {
	if db.lite != nil {
		return db.lite.Close()
	}
	return db.writer.Close() // PostgreSQL: the one pool
}

// Ping tells whether the database answers, for readiness checks.
func (db *DB) Ping(ctx context.Context) error { return db.writer.PingContext(ctx) }

// migrate applies, in order and each in its own transaction, the embedded migrations
// the database has not seen yet. Each transaction first takes the dialect's migration
// lock and then looks at schema_migrations, so that nodes starting together on one
// PostgreSQL database apply each migration once (SQLite's BEGIN IMMEDIATE does the same).
func (db *DB) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		if err := db.migrateOne(ctx, name); err != nil {
			return err
		}
	}
	return nil
}

func (db *DB) migrateOne(ctx context.Context, name string) error {
	base := filepath.Base(name)
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %s: %w", base, err)
	}
	defer tx.Rollback()
	if db.d.migrationLock != "" {
		if _, err := tx.ExecContext(ctx, db.d.migrationLock); err != nil {
			return fmt.Errorf("migration %s: lock: %w", base, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var seen int
	if err := tx.QueryRowContext(ctx, db.d.rebind(`SELECT COUNT(*) FROM schema_migrations WHERE name = ?`), base).Scan(&seen); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if seen > 0 {
		return nil
	}
	body, _ := migrations.ReadFile(name)
	text := db.d.textColumns(strings.ReplaceAll(string(body), "{{autoid}}", db.d.autoID))
	for _, stmt := range splitStatements(text) {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("migration %s: %w", base, err)
		}
	}
	if _, err := tx.ExecContext(ctx, db.d.rebind(`INSERT INTO schema_migrations (name) VALUES (?)`), base); err != nil {
		return fmt.Errorf("migration %s: %w", base, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migration %s: %w", base, err)
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

// Read runs fn in a read-only transaction on a reader connection: it sees one snapshot.
func (db *DB) Read(ctx context.Context, fn func(chat.Tx) error) error {
	if db.lite != nil {
		return db.readSQLite(ctx, fn)
	}
	return db.run(ctx, db.reader, &db.d.readTx, false, fn)
}

// maxWriteAttempts bounds how often Write runs a transaction that keeps colliding.
const maxWriteAttempts = 10

// Write runs fn in a write transaction; fn's error rolls everything back.
//
// Write transactions keep SQLite's single-writer guarantees on PostgreSQL too, through
// row locks (see dialect.writeTx) and by running fn again on a fresh transaction when
// PostgreSQL aborts it: a deadlock between row locks, a serialization failure, or a
// unique key that a concurrent unit inserted after this one found it missing (two first
// logins of one user: the rerun finds the user). So fn may run more than once: it must
// only act through its Tx and set variables of its caller, and leave every other side
// effect (caches, channels, logs) until Write has returned nil.
//
// On SQLite, concurrent writes share one transaction and one commit (group commit, see
// internal/store/sqlite): fn's error or panic undoes fn's work alone, and Write returns nil only
// once the shared commit is durable.
func (db *DB) Write(ctx context.Context, fn func(chat.Tx) error) error {
	if db.lite != nil {
		return db.writeSQLite(ctx, fn)
	}
	for attempt := 1; ; attempt++ {
		err := db.run(ctx, db.writer, &db.d.writeTx, true, fn)
		if err == nil || attempt == maxWriteAttempts || !db.d.retryable(err) {
			return err
		}
		// Wait a little, more after each collision, with jitter so the same
		// transactions do not collide again in lockstep.
		wait := time.Duration(attempt) * time.Millisecond
		wait += time.Duration(rand.Int64N(int64(wait)))
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

func (db *DB) run(ctx context.Context, conn *sql.DB, opts *sql.TxOptions, write bool, fn func(chat.Tx) error) error {
	sqltx, err := conn.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	// Roll back however fn ends, a panic or a test's FailNow included: a transaction left
	// open would hold its connection (SQLite's only writer) and its locks for ever.
	defer sqltx.Rollback()
	t := &tx{ctx: ctx, q: sqltx, d: db.d, write: write, caches: db.caches, noPushJobs: db.noPushJobs, work: &db.work}
	defer func() {
		if t.registered {
			db.work.ended(t) // after the commit or the rollback: its seqs are settled
		}
	}()
	if err := fn(t); err != nil {
		return db.d.clientError(err)
	}
	if t.flushAfter {
		// Counted from before the commit to the end of the flush: the relay skips its own
		// flush only when no unit is in between (PendingEvents).
		db.work.unflushed.Add(1)
		defer db.work.unflushed.Add(-1)
	}
	if err := sqltx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if t.flushAfter {
		// Committed already: the request's end must not cut the wait short, and an error
		// here must not rerun the unit.
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), db.d.durable); err != nil {
			return fmt.Errorf("commit flush: %w", err)
		}
	}
	db.noteWork(t)
	return nil
}

// tx implements chat.Tx; its methods live in one file per resource.
type tx struct {
	ctx   context.Context
	q     querier // a *sql.Tx, or the SQLite engine's connection inside its transaction
	d     dialect
	write bool // a Write transaction, which locks what it reads to change

	// The row caches (row_cache.go; the no-op twin on PostgreSQL) and their generation
	// before the transaction's snapshot; for a write, the record of the cached rows it
	// changes (on SQLite, its batch's, which the commit drops).
	caches *rowCaches
	gen    uint64
	dirty  *dirtyRows

	// flushAfter: the unit appended events on PostgreSQL and committed without waiting
	// for the WAL flush; run waits for it (dialect.durable) before Write returns.
	flushAfter bool

	// registered: the unit is in work.running (SoleWriter on PostgreSQL) until run ends.
	registered bool

	// absentMembers are the membership keys MembershipsForUpdate found missing and no
	// statement has inserted yet (PostgreSQL).
	absentMembers map[string]bool

	noPushJobs bool  // the DB's: events write no push job
	work       *work // the DB's (work.go)
	// wroteHooks, wrotePush: the unit wrote webhook deliveries, a push job.
	wroteHooks, wrotePush bool
}

// querier runs statements: a *sql.Tx, or what the SQLite engine gives a read or a unit.
type querier = engine.Querier

// lockRow ends a single-row lookup: in a write transaction the row is locked until
// commit (FOR UPDATE on PostgreSQL), because the unit may read it in order to change it
// or to decide a write; in a read transaction nothing.
func (t *tx) lockRow() string {
	if t.write {
		return t.d.forUpdate
	}
	return ""
}

// lockKey queues this write transaction, until it ends, behind any other that locked
// the same name: the lock of a row that may not exist yet (a setting about to be
// created). A no-op on SQLite and in read transactions.
func (t *tx) lockKey(name string) error {
	if !t.write || t.d.keyLock == "" {
		return nil
	}
	_, err := t.exec(t.d.keyLock, name)
	return err
}

func (t *tx) exec(q string, args ...any) (sql.Result, error) {
	if err := checkArgs(args); err != nil {
		return nil, err
	}
	t.work.statements.Add(1)
	r, err := t.q.ExecContext(t.ctx, t.d.rebind(q), args...)
	if err != nil {
		return nil, statementError(q, err)
	}
	return r, nil
}

func (t *tx) query(q string, args ...any) (*sql.Rows, error) {
	if err := checkArgs(args); err != nil {
		return nil, err
	}
	t.work.statements.Add(1)
	rows, err := t.q.QueryContext(t.ctx, t.d.rebind(q), args...)
	if err != nil {
		return nil, statementError(q, err)
	}
	return rows, nil
}

// statementError says where a failed statement came from, "store: <table> <verb>: …",
// so that a logged 500000 names it. The engine's error stays inside (errors.Is/As).
func statementError(q string, err error) error {
	return fmt.Errorf("store: %s: %w", statementName(q), err)
}

// statementName is a statement's table and verb ("users insert"), or its first word.
func statementName(q string) string {
	f := strings.Fields(q)
	if len(f) == 0 {
		return "statement"
	}
	verb := strings.ToLower(f[0])
	table := ""
	switch verb {
	case "insert", "delete": // INSERT INTO t, DELETE FROM t
		if len(f) > 2 {
			table = f[2]
		}
	case "update":
		if len(f) > 1 {
			table = f[1]
		}
	case "select", "with":
		for i, w := range f[:len(f)-1] {
			if strings.EqualFold(w, "FROM") {
				table = f[i+1]
				break
			}
		}
	}
	if table = strings.Trim(table, "(),"); table == "" {
		return verb
	}
	return table + " " + verb
}

func (t *tx) queryRow(q string, args ...any) row {
	t.work.statements.Add(1)
	return row{t.q.QueryRowContext(t.ctx, t.d.rebind(q), args...), q}
}

// row is a *sql.Row whose Scan says where a failure came from, as tx.exec and tx.query
// do. sql.ErrNoRows, which callers compare against as the answer "none", stays bare.
type row struct {
	r *sql.Row
	q string
}

func (r row) Scan(dest ...any) error {
	err := r.r.Scan(dest...)
	if err != nil && err != sql.ErrNoRows {
		return statementError(r.q, err)
	}
	return err
}

// errUnstorable answers text that no database can hold the same way: PostgreSQL refuses
// NUL characters and invalid UTF-8, so both dialects refuse them in what they write or
// search for, and the client gets a 400000 rather than a 500000.
var errUnstorable = &chat.Error{Code: chat.CodeBadRequest, Message: "Invalid parameters.",
	Detail: []string{"text must be valid UTF-8 without NUL characters"}}

func checkArgs(args []any) error {
	for _, a := range args {
		var s string
		switch v := a.(type) {
		case string:
			s = v
		case *string:
			if v == nil {
				continue
			}
			s = *v
		default:
			continue
		}
		if strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) {
			return errUnstorable
		}
	}
	return nil
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
	if err != nil {
		return nil, err // already says where
	}
	out, err := collect(rows, nil, scan)
	if err != nil {
		return nil, statementError(q, err) // a row that failed to read, or the cursor's error
	}
	return out, nil
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

// one reads a single row (from tx.queryRow), nil when there is none.
func one[T any](row scanner, scan func(scanner) (T, error)) (*T, error) {
	v, err := scan(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// stringList decodes a TEXT column holding a JSON array of strings. The empty array, by
// far the most common value, skips the JSON decoder (rows are decoded on every read).
func stringList(s string, v *[]string) {
	if s == "[]" {
		*v = []string{}
		return
	}
	json.Unmarshal([]byte(s), v)
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

// AppliedMigrations counts the schema migrations applied to the database (`parley
// migrate` reports it).
func (db *DB) AppliedMigrations(ctx context.Context) (int, error) {
	var n int
	err := db.writer.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n)
	if err != nil {
		return 0, statementError(`SELECT FROM schema_migrations`, err)
	}
	return n, nil
}
