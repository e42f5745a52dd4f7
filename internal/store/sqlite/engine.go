package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" driver
)

// Options tune the engine. The zero value is the default of each.
type Options struct {
	// Synchronous is SQLite's synchronous pragma: FULL (the default) makes every
	// acknowledged write survive a power loss; NORMAL survives a process crash only.
	Synchronous string
	// Readers is how many reader connections are held: reads run in parallel up to this
	// many (default 8).
	Readers int
	// MaxBatchAge bounds how long a batch stays open while writes keep queuing behind it
	// (default 10 ms).
	MaxBatchAge time.Duration
	// Setup runs on the writer's pool once the file is open and before the engine holds
	// its connections: the caller's migrations.
	Setup func(ctx context.Context, pool *sql.DB) error
	Hooks
}

// Hooks are told about commits. Both run on the writer goroutine, just before and just
// after the COMMIT of a batch that kept at least one unit (AfterCommit also when that
// COMMIT failed): no unit runs and no other batch commits in between.
type Hooks struct {
	BeforeCommit, AfterCommit func(*Batch)
}

// Stats are the engine's running totals, for metrics and tests.
type Stats struct {
	Units, Commits int64   // write units kept, and the transactions they committed in
	Syncs          int64   // fsyncs of the WAL (zero with synchronous=NORMAL)
	SyncSeconds    float64 // their time in all
	Queued         int     // Write calls waiting for the writer now
}

// Engine is an open SQLite database: one held writer connection that commits
// concurrent writes in groups, and a pool of held readers.
type Engine struct {
	writer, reader *sql.DB // the pools the held connections come from
	w              *groupWriter
	readers        *readerPool
}

const defaultReaders = 8

// Open opens (creating if needed) the database file at path, runs opt.Setup, and takes
// the writer and reader connections.
func Open(ctx context.Context, path string, opt Options) (*Engine, error) {
	if opt.Synchronous == "" {
		opt.Synchronous = "FULL"
	}
	if opt.Readers <= 0 {
		opt.Readers = defaultReaders
	}
	if opt.MaxBatchAge <= 0 {
		opt.MaxBatchAge = maxBatchAge
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	// The database is the owner's alone: created 0600 here (an empty file is an empty
	// database), SQLite gives its -wal and -shm files the database file's mode.
	f, err := os.OpenFile(abs, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", abs, err)
	}
	f.Close()
	// temp_store(MEMORY): the sub-journal every savepoint (one per write unit) and every
	// multi-row statement keeps goes to memory, not to a temp file written with a
	// syscall per page.
	common := "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=temp_store(2)"
	writer, err := sql.Open("sqlite", "file:"+abs+"?"+common+"&_pragma=journal_mode(WAL)&_pragma=synchronous("+opt.Synchronous+")&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	// One connection for the group writer, one spare for direct uses (Setup runs on it
	// before the writer holds its own).
	writer.SetMaxOpenConns(2)
	writer.SetMaxIdleConns(2)
	writer.SetConnMaxLifetime(0)
	if err := writer.PingContext(ctx); err != nil {
		writer.Close()
		return nil, fmt.Errorf("open %s: %w", abs, err)
	}
	e := &Engine{writer: writer}
	if opt.Setup != nil {
		if err := opt.Setup(ctx, writer); err != nil {
			writer.Close()
			return nil, err
		}
	}
	reader, err := sql.Open("sqlite", "file:"+abs+"?"+common+"&_pragma=query_only(1)")
	if err != nil {
		writer.Close()
		return nil, err
	}
	reader.SetMaxOpenConns(opt.Readers)
	reader.SetMaxIdleConns(opt.Readers)
	reader.SetConnMaxLifetime(0)
	e.reader = reader
	wc, err := newConn(ctx, writer)
	if err != nil {
		e.Close()
		return nil, err
	}
	wal, err := ownWALSync(ctx, wc, abs, opt.Synchronous)
	if err != nil {
		wc.close()
		e.Close()
		return nil, err
	}
	e.w = newGroupWriter(wc, wal, opt.Hooks, opt.MaxBatchAge)
	if e.readers, err = newReaderPool(ctx, reader, opt.Readers); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// Close closes every connection. Reads and writes must have ended; a Write that comes
// after fails with ErrClosed.
func (e *Engine) Close() error {
	if e.readers != nil {
		e.readers.close()
	}
	var err error
	if e.w != nil {
		e.w.stop() // the writer goroutine, the connection's only user, has ended
		err = errors.Join(e.w.conn.close(), e.w.wal.close())
	}
	err = errors.Join(err, e.writer.Close())
	if e.reader != nil {
		err = errors.Join(err, e.reader.Close())
	}
	return err
}

// Pool is the writer's pool, with one spare connection for direct uses outside Read and
// Write (a ping, a count in a test, a backup check): it sees committed data only.
func (e *Engine) Pool() *sql.DB { return e.writer }

// Read runs fn in a read transaction on a held reader: every statement sees one
// snapshot, taken at fn's first statement. Read returns once every commit that snapshot
// may hold is on disk.
func (e *Engine) Read(ctx context.Context, fn func(Querier) error) error {
	return e.readers.read(ctx, e.w.wal, fn)
}

// Write runs fn as one unit of a write batch (group commit): fn's error or panic undoes
// fn's work alone and comes back to the caller; Write returns nil only once the batch's
// commit is on disk. fn sees the changes of the units before it in its batch, its
// statements never see ctx's cancellation, and b is the batch it runs in (for the
// caller's own record, Batch.Data).
func (e *Engine) Write(ctx context.Context, fn func(q Querier, b *Batch) error) error {
	return e.w.write(ctx, fn)
}

// Stats returns the running totals.
func (e *Engine) Stats() Stats {
	return Stats{
		Units:       e.w.units.Load(),
		Commits:     e.w.commits.Load(),
		Syncs:       e.w.wal.syncs.Load(),
		SyncSeconds: float64(e.w.wal.syncNanos.Load()) / 1e9,
		Queued:      int(e.w.queued.Load()),
	}
}
