package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Bounds of one group commit: it ends once nobody is waiting to join it, or at these.
const (
	maxBatchUnits = 64
	maxBatchAge   = 10 * time.Millisecond
)

// ErrClosed answers a write that comes after Close.
var ErrClosed = errors.New("store closed")

// Batch is one write transaction of the group writer and the units that joined it.
type Batch struct {
	// Data is the caller's own record of what the batch's units did (the store keeps the
	// cached rows they changed in it), from its first unit to its commit hooks. The
	// engine never looks inside.
	Data any

	units  int
	seq    int64 // its commit's number (walSyncer), 0 until it commits
	opened time.Time
	done   chan struct{} // closed once the batch committed or failed
	err    error         // set before done closes
}

// groupWriter runs write units on the one writer connection, batching concurrent ones
// into one transaction (group commit; doc.go tells the whole story).
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
type groupWriter struct {
	conn   *conn
	wal    *walSyncer // makes each commit durable, off the writer goroutine
	hooks  Hooks
	queued atomic.Int32  // Write calls waiting for the writer
	maxAge time.Duration // a batch older than this commits even with writers queued
	batch  *Batch        // the open transaction, nil when none
	uq     unitQuerier   // what the running unit runs statements on (one unit at a time)

	work     chan *unit    // to the writer goroutine (run)
	quit     chan struct{} // closed by stop
	syncs    chan *Batch   // committed batches, to the syncer goroutine
	stopped  chan struct{} // closed once both goroutines ended
	stopOnce sync.Once

	commits, units atomic.Int64 // for Stats
}

// unit is one Write call's unit of work, and what became of it.
type unit struct {
	ctx      context.Context
	fn       func(Querier, *Batch) error
	batch    *Batch // the batch it joined, when it was kept
	err      error  // its error, when it was undone
	panicked any    // its panic, when it panicked (raised again in the caller)
	ran      chan struct{}
}

func newGroupWriter(c *conn, wal *walSyncer, hooks Hooks, maxAge time.Duration) *groupWriter {
	w := &groupWriter{conn: c, wal: wal, hooks: hooks, maxAge: maxAge,
		work: make(chan *unit), quit: make(chan struct{}), syncs: make(chan *Batch, 64), stopped: make(chan struct{})}
	go w.run()
	go w.syncer()
	return w
}

func (w *groupWriter) write(ctx context.Context, fn func(Querier, *Batch) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	u := &unit{ctx: ctx, fn: fn, ran: make(chan struct{})}
	w.queued.Add(1)
	select {
	case w.work <- u:
	case <-w.quit: // a write that comes after Close (a late request) fails, nothing more
		w.queued.Add(-1)
		return ErrClosed
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
			if w.batch != nil {
				w.syncs <- w.commitBatch()
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
func (w *groupWriter) runUnit(u *unit) (committed *Batch) {
	defer func() {
		if p := recover(); p != nil {
			u.panicked = p
		}
		if b := w.batch; b != nil && (w.queued.Load() == 0 || b.units >= maxBatchUnits || time.Since(b.opened) >= w.maxAge) {
			committed = w.commitBatch()
		}
	}()
	u.batch, u.err = w.joinBatch(u.ctx, u.fn)
	return nil
}

// joinBatch runs fn as one unit of the open batch and returns that batch, or fn's
// error when the unit was undone (a panic undoes it too, and goes on up).
func (w *groupWriter) joinBatch(ctx context.Context, fn func(Querier, *Batch) error) (joined *Batch, err error) {
	if w.batch == nil {
		if err := w.conn.control("BEGIN IMMEDIATE"); err != nil {
			return nil, fmt.Errorf("begin: %w", err)
		}
		w.batch = &Batch{opened: time.Now(), done: make(chan struct{})}
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
	// Statements never see the caller's cancellation (unitQuerier).
	w.uq = unitQuerier{w.conn, context.WithoutCancel(ctx)}
	if err := fn(&w.uq, w.batch); err != nil {
		return nil, err
	}
	if err := w.conn.control("RELEASE unit"); err != nil {
		return nil, err
	}
	kept = true
	w.batch.units++
	w.units.Add(1)
	return w.batch, nil
}

// commitBatch ends the open batch and returns it; the syncer makes it durable
// (wal.sync) and then closes its done.
func (w *groupWriter) commitBatch() *Batch {
	b := w.batch
	w.batch = nil
	if b.units == 0 { // every unit of it was undone: nothing to make durable
		b.err = w.conn.control("ROLLBACK")
	} else {
		if w.hooks.BeforeCommit != nil {
			w.hooks.BeforeCommit(b)
		}
		b.seq = w.wal.begin()
		if err := w.conn.control("COMMIT"); err != nil {
			w.conn.control("ROLLBACK")
			b.err = fmt.Errorf("commit: %w", err)
		}
		w.wal.written(b.seq)
		if w.hooks.AfterCommit != nil {
			w.hooks.AfterCommit(b)
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

// unitQuerier runs a unit's statements on the writer connection with the unit's context
// stripped of its cancellation, whatever context the caller passes: SQLite answers an
// interrupted write by rolling back the whole transaction, every other unit's work with it.
type unitQuerier struct {
	c   *conn
	ctx context.Context // context.WithoutCancel of the unit's
}

func (u *unitQuerier) ExecContext(_ context.Context, q string, args ...any) (sql.Result, error) {
	return u.c.ExecContext(u.ctx, q, args...)
}

func (u *unitQuerier) QueryContext(_ context.Context, q string, args ...any) (*sql.Rows, error) {
	return u.c.QueryContext(u.ctx, q, args...)
}

func (u *unitQuerier) QueryRowContext(_ context.Context, q string, args ...any) *sql.Row {
	return u.c.QueryRowContext(u.ctx, q, args...)
}
