package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parley-chat/parley/internal/chat"
)

// SQLite runs on connections the store holds for its whole life rather than on
// database/sql's pool, for two reasons the profiles gave:
//
//   - Prepared statements. database/sql prepares a query again on every call outside a
//     *sql.Stmt, and SQLite's parser was a third of a read request's CPU. Each held
//     connection keeps its statements prepared (sqliteConn.stmts).
//   - Group commit. With synchronous=FULL every commit is an fsync, and one writer
//     connection commits one transaction at a time. The writer (groupWriter) runs the
//     units of concurrent Write calls one after another in one SQLite transaction, each
//     under a savepoint of its own, and commits once for all of them: one fsync for many
//     acknowledged writes. Each caller is answered only after that commit, so an
//     acknowledged write still survives a crash or power loss.
//   - The fsync outside the lock (walSyncer). SQLite would fsync the WAL inside COMMIT,
//     while it holds the one writer, so no unit could run during the disk's wait. The
//     writer commits with synchronous=NORMAL instead (the frames reach the WAL file, not
//     the disk) and the store fsyncs the WAL file itself after letting go of the writer:
//     the next batch runs while the previous one reaches the disk. A Write still returns
//     only once its commit is on disk, and a Read that saw a commit waits for it too, so
//     no answer and no event carries data that a power loss could take back.

// maxCachedStmts bounds the statements one connection keeps prepared. Queries with IN
// lists have one text per list length, so the set is not fixed; past the bound the
// connection simply starts over.
const maxCachedStmts = 512

// sqliteConn is one held SQLite connection and its prepared statements. It is used by
// one goroutine at a time (a reader checked out of the pool, or the writer under its
// lock). A query's rows must be closed before the same query text runs again on the
// connection (queryAll and one do), since both would share one prepared statement.
type sqliteConn struct {
	conn  *sql.Conn
	stmts map[string]*sql.Stmt
}

func newSQLiteConn(ctx context.Context, pool *sql.DB) (*sqliteConn, error) {
	c, err := pool.Conn(ctx)
	if err != nil {
		return nil, err
	}
	return &sqliteConn{conn: c, stmts: map[string]*sql.Stmt{}}, nil
}

func (c *sqliteConn) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
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

func (c *sqliteConn) closeStmts() {
	for q, s := range c.stmts {
		s.Close()
		delete(c.stmts, q)
	}
}

func (c *sqliteConn) close() error {
	c.closeStmts()
	return c.conn.Close()
}

func (c *sqliteConn) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	s, err := c.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
}

func (c *sqliteConn) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	s, err := c.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

func (c *sqliteConn) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
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
func (c *sqliteConn) control(q string) error {
	_, err := c.ExecContext(context.Background(), q)
	return err
}

// readerPool hands out held reader connections.
type readerPool struct {
	pool  *sql.DB
	conns chan *sqliteConn
}

func newReaderPool(ctx context.Context, pool *sql.DB, n int) (*readerPool, error) {
	p := &readerPool{pool: pool, conns: make(chan *sqliteConn, n)}
	for i := 0; i < n; i++ {
		c, err := newSQLiteConn(ctx, pool)
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
func (p *readerPool) read(ctx context.Context, d dialect, durable *walSyncer, caches *rowCaches, fn func(chat.Tx) error) (err error) {
	var c *sqliteConn
	select {
	case c = <-p.conns:
	case <-ctx.Done():
		return ctx.Err()
	}
	gen := caches.gen.Load() // before the snapshot: see rowCaches
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
		if err == nil && durable != nil {
			err = durable.wait(durable.begun.Load())
		}
	}()
	err = fn(&tx{ctx: ctx, q: lazy, d: d, caches: caches, gen: gen})
	lazy.done = true
	return err
}

// lazyRead begins a reader's transaction at its first statement: a read that the row
// caches answer whole (a channel, the caller's membership, users) runs no SQL at all, and
// BEGIN and COMMIT were 6% of such a read's CPU.
type lazyRead struct {
	c           *sqliteConn
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
func (p *readerPool) release(c *sqliteConn, healthy bool) {
	if !healthy {
		c.close()
		fresh, err := newSQLiteConn(context.Background(), p.pool)
		if err != nil {
			// Keep the pool its size: the broken one will fail its next use and be
			// replaced then.
			fresh = c
		}
		c = fresh
	}
	p.conns <- c
}

// Bounds of one group commit: it ends once nobody is waiting to join it, or at these.
const (
	maxBatchUnits = 64
	maxBatchAge   = 10 * time.Millisecond
)

// groupWriter runs write units on the one writer connection, batching concurrent ones
// into one transaction (group commit).
//
// One goroutine, the writer (run), takes the units of Write calls in the order they come
// and runs each inside the open transaction (opening one if there is none) under
// SAVEPOINT unit, then releases the savepoint; a unit that fails (or panics) rolls back
// to its savepoint, undoing only itself, and its caller gets the error (or the panic) at
// once. After each unit the writer commits the transaction if no other unit is waiting
// (it would join this batch) or the batch is full, and hands the committed batch to the
// syncer goroutine (syncs), which fsyncs it while the writer goes on. A unit that
// succeeded waits for its batch to be durable and answers its outcome: if the commit
// fails, every unit of the batch fails, and none of them was acknowledged.
//
// Units run on the writer's goroutine rather than each on its caller's under a mutex:
// with eight callers, a mutex handed the writer from one woken goroutine to the next,
// and the writer sat idle while each waited for a core.
//
// The units of one batch see each other's changes, and commit or fail together, so what
// a unit read from an earlier unit is durable when it is.
type groupWriter struct {
	conn   *sqliteConn
	wal    *walSyncer    // makes each commit durable, off the writer goroutine
	caches *rowCaches    // drops the rows a batch changed when it commits
	queued atomic.Int32  // Write calls waiting for the writer
	maxAge time.Duration // a batch older than this commits even with writers queued
	batch  *batch        // the open transaction, nil when none

	work     chan *unit    // to the writer goroutine (run)
	quit     chan struct{} // closed by stop
	syncs    chan *batch   // committed batches, to the syncer goroutine
	stopped  chan struct{} // closed once both goroutines ended
	stopOnce sync.Once

	// Figures for tests and benchmarks.
	commits, units atomic.Int64
}

// batch is one open transaction and the units that joined it.
type batch struct {
	units  int
	seq    int64 // its commit's number (walSyncer), 0 until it commits
	opened time.Time
	dirty  dirtyRows     // cached rows its units changed (rowCaches)
	done   chan struct{} // closed once the batch committed or failed
	err    error         // set before done closes
}

// unit is one Write call's unit of work, and what became of it.
type unit struct {
	ctx      context.Context
	d        dialect
	fn       func(chat.Tx) error
	batch    *batch // the batch it joined, when it was kept
	err      error  // its error, when it was undone
	panicked any    // its panic, when it panicked (raised again in the caller)
	ran      chan struct{}
}

func newGroupWriter(conn *sqliteConn, wal *walSyncer, caches *rowCaches) *groupWriter {
	w := &groupWriter{conn: conn, wal: wal, caches: caches, maxAge: maxBatchAge,
		work: make(chan *unit), quit: make(chan struct{}), syncs: make(chan *batch, 64), stopped: make(chan struct{})}
	go w.run()
	go w.syncer()
	return w
}

func (w *groupWriter) write(ctx context.Context, d dialect, fn func(chat.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	u := &unit{ctx: ctx, d: d, fn: fn, ran: make(chan struct{})}
	w.queued.Add(1)
	select {
	case w.work <- u:
	case <-w.quit: // a write that comes after Close (a late request) fails, nothing more
		w.queued.Add(-1)
		return errStoreClosed
	}
	<-u.ran
	if u.panicked != nil {
		panic(u.panicked)
	}
	if u.err != nil {
		return u.err
	}
	<-u.batch.done
	return u.batch.err
}

// errStoreClosed answers a write that comes after Close.
var errStoreClosed = errors.New("store closed")

// run is the writer goroutine: it runs units until stop.
func (w *groupWriter) run() {
	defer close(w.syncs)
	for {
		select {
		case u := <-w.work:
			w.queued.Add(-1)
			committed := w.runUnit(u)
			close(u.ran)
			if committed != nil {
				w.syncs <- committed
			}
		case <-w.quit:
			// A batch left open for a caller that then gave up at Close still commits.
			var last *batch
			if w.batch != nil {
				last = w.commitBatch()
			}
			if last != nil {
				w.syncs <- last
			}
			return
		}
	}
}

// syncer makes committed batches durable, in commit order, and answers their units.
func (w *groupWriter) syncer() {
	defer close(w.stopped)
	for b := range w.syncs {
		if err := w.wal.sync(b.seq); err != nil && b.err == nil {
			b.err = err
		}
		close(b.done)
	}
}

// stop ends both goroutines; no Write may be under way or come after. Once is enough.
func (w *groupWriter) stop() {
	w.stopOnce.Do(func() { close(w.quit) })
	<-w.stopped
}

// runUnit runs u as one unit of the open batch, recording the batch it joined or its
// error or panic, and returns the batch it committed, if it was the unit's turn to.
func (w *groupWriter) runUnit(u *unit) (committed *batch) {
	defer func() {
		if p := recover(); p != nil {
			u.panicked = p
		}
		if b := w.batch; b != nil && (w.queued.Load() == 0 || b.units >= maxBatchUnits || time.Since(b.opened) >= w.maxAge) {
			committed = w.commitBatch()
		}
	}()
	u.batch, u.err = w.joinBatch(u.ctx, u.d, u.fn)
	return nil
}

// joinBatch runs fn as one unit of the open batch and returns that batch, or fn's
// error when the unit was undone (a panic undoes it too, and goes on up).
func (w *groupWriter) joinBatch(ctx context.Context, d dialect, fn func(chat.Tx) error) (joined *batch, err error) {
	if w.batch == nil {
		if err := w.conn.control("BEGIN IMMEDIATE"); err != nil {
			return nil, fmt.Errorf("begin: %w", err)
		}
		w.batch = &batch{opened: time.Now(), done: make(chan struct{})}
	}
	if err := w.conn.control("SAVEPOINT unit"); err != nil {
		w.abortBatch(err)
		return nil, err
	}
	kept := false
	defer func() {
		if kept || w.batch == nil {
			return
		}
		// The unit failed or panicked: undo it alone. If even that fails, the
		// transaction is in no known state and the whole batch fails.
		if e := w.conn.control("ROLLBACK TO unit"); e != nil {
			w.abortBatch(e)
		} else if e := w.conn.control("RELEASE unit"); e != nil {
			w.abortBatch(e)
		}
	}()
	// Statements never see the caller's cancellation: SQLite answers an interrupted
	// write by rolling back the whole transaction, every other unit's work with it.
	if err := fn(&tx{ctx: context.WithoutCancel(ctx), q: w.conn, d: d, write: true, caches: w.caches, batch: w.batch}); err != nil {
		return nil, d.clientError(err)
	}
	if err := w.conn.control("RELEASE unit"); err != nil {
		return nil, err
	}
	kept = true
	w.batch.units++
	w.units.Add(1)
	return w.batch, nil
}

// commitBatch ends the open batch and returns it; the caller makes it durable
// (wal.sync) and then closes its done, after releasing mu.
func (w *groupWriter) commitBatch() *batch {
	b := w.batch
	w.batch = nil
	if b.units == 0 { // every unit of it was undone: nothing to make durable
		b.err = w.conn.control("ROLLBACK")
	} else {
		if !b.dirty.empty() {
			w.caches.beginCommit(&b.dirty) // from now on readers read these rows from the database
		}
		b.seq = w.wal.begin()
		if err := w.conn.control("COMMIT"); err != nil {
			w.conn.control("ROLLBACK")
			b.err = fmt.Errorf("commit: %w", err)
		}
		w.wal.written(b.seq)
		if !b.dirty.empty() {
			w.caches.endCommit(&b.dirty)
		}
	}
	w.commits.Add(1)
	return b
}

// abortBatch ends the open batch with err: all of its units fail.
func (w *groupWriter) abortBatch(err error) {
	b := w.batch
	w.batch = nil
	w.conn.control("ROLLBACK")
	b.err = fmt.Errorf("write transaction: %w", err)
	close(b.done)
}

// walSyncer makes the writer's commits durable by fsyncing the WAL file (see the top of
// this file). Commits are numbered in order: begin numbers one before its COMMIT runs,
// written records that its frames are in the file, and sync(n) returns once commit n is
// on disk. One fsync covers every commit written before it starts, so concurrent syncs
// share one, as the commits of a batch share one COMMIT.
//
// With file nil (synchronous other than FULL, or EXTRA, where durability was not asked
// for) every commit counts as durable once written.
type walSyncer struct {
	file                  *os.File
	fsync                 func() error // file.Sync; tests stand in for the disk
	begun, wrote, durable atomic.Int64
	syncMu                sync.Mutex    // one fsync at a time
	mu                    sync.Mutex    // guards changed and failed
	changed               chan struct{} // closed and replaced whenever durable moves
	failed                error         // a failed fsync: nothing after it is durable

	syncs, syncNanos atomic.Int64 // fsyncs done and their time, for /metrics
}

func newWALSyncer(file *os.File) *walSyncer {
	s := &walSyncer{file: file, changed: make(chan struct{})}
	if file != nil {
		s.fsync = file.Sync
	}
	return s
}

// ownWALSync sets up the writer connection c of the database file at path for the
// synchronous level asked for. For FULL and EXTRA the store does the WAL's fsync itself:
// the connection commits with NORMAL and the returned syncer holds the WAL file open
// (SQLite keeps that file, the same inode, while any connection is open; a checkpoint
// fsyncs it before copying frames into the database file, and NORMAL keeps that). The
// directory is fsynced once so that the WAL file itself survives a power loss.
func ownWALSync(ctx context.Context, c *sqliteConn, path, level string) (*walSyncer, error) {
	if l := strings.ToUpper(level); l != "FULL" && l != "EXTRA" {
		return newWALSyncer(nil), nil
	}
	if _, err := c.conn.ExecContext(ctx, "PRAGMA synchronous=NORMAL"); err != nil {
		return nil, fmt.Errorf("writer synchronous: %w", err)
	}
	// The WAL file exists once the journal mode is WAL and something was written
	// (migrations always write): open it, or make SQLite create it.
	f, err := os.Open(path + "-wal")
	if errors.Is(err, os.ErrNotExist) {
		// A write creates it: set user_version to what it is.
		var v int
		if err = c.conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err == nil {
			if _, err = c.conn.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version=%d", v)); err == nil {
				f, err = os.Open(path + "-wal")
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open the WAL for fsync: %w", err)
	}
	if dir, err := os.Open(filepath.Dir(path)); err == nil {
		err = dir.Sync()
		dir.Close()
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("fsync %s: %w", filepath.Dir(path), err)
		}
	}
	return newWALSyncer(f), nil
}

func (s *walSyncer) begin() int64 { return s.begun.Add(1) }

func (s *walSyncer) written(seq int64) { s.wrote.Store(seq) }

// sync makes commit seq durable (and every commit before it).
func (s *walSyncer) sync(seq int64) error {
	if s.durable.Load() >= seq {
		return nil
	}
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	if s.durable.Load() >= seq {
		return nil
	}
	through := s.wrote.Load() // >= seq: its writer called written before sync
	var err error
	if s.fsync != nil {
		start := time.Now()
		err = s.fsync()
		s.syncNanos.Add(int64(time.Since(start)))
		s.syncs.Add(1)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		// Like PostgreSQL, trust nothing after a failed fsync: the kernel may have
		// dropped the dirty pages, and a retry could report success for lost data.
		if s.failed == nil {
			s.failed = fmt.Errorf("fsync of the SQLite WAL failed; restart the server: %w", err)
		}
	} else if s.failed == nil {
		s.durable.Store(through)
	}
	close(s.changed)
	s.changed = make(chan struct{})
	return s.failed
}

// wait returns once commit seq is durable. Readers call it with the number of the
// last commit begun after their snapshot ended, which covers every commit they saw; the
// writer of that commit does the fsync, so wait only waits.
func (s *walSyncer) wait(seq int64) error {
	for {
		if s.durable.Load() >= seq {
			return nil
		}
		s.mu.Lock()
		ch, failed := s.changed, s.failed
		s.mu.Unlock()
		if failed != nil {
			return failed
		}
		if s.durable.Load() >= seq {
			return nil
		}
		<-ch
	}
}

// SyncStats tells how many fsyncs of the WAL the SQLite writer made and how long they
// took in all (zero on PostgreSQL and with synchronous=NORMAL).
func (db *DB) SyncStats() (syncs int64, seconds float64) {
	if db.w == nil {
		return 0, 0
	}
	return db.w.wal.syncs.Load(), float64(db.w.wal.syncNanos.Load()) / 1e9
}

// WriteStats tells how many write units the SQLite writer committed in how many
// transactions (zero on PostgreSQL, where each unit is its own transaction).
func (db *DB) WriteStats() (units, commits int64) {
	if db.w == nil {
		return 0, 0
	}
	return db.w.units.Load(), db.w.commits.Load()
}
