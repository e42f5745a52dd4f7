package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/parley-chat/parley/internal/chat"
	engine "github.com/parley-chat/parley/internal/store/sqlite"
)

// The store on SQLite: the engine (internal/store/sqlite, whose doc tells how it holds
// its connections, commits concurrent writes in groups and fsyncs the WAL) runs the
// transactions; the store gives each a tx, keeps the row caches, and hooks their drops
// onto the engine's commits.

// OpenSQLite opens (creating if needed) the database file at path and migrates it.
func OpenSQLite(ctx context.Context, path string, opt Options) (*DB, error) {
	return openSQLite(ctx, path, opt, 0)
}

// openSQLite is OpenSQLite with the engine's bound on a batch's age (0: its default);
// tests that count the batches they form lift it, so that a loaded machine cannot split
// them.
func openSQLite(ctx context.Context, path string, opt Options, maxBatchAge time.Duration) (*DB, error) {
	db := &DB{d: sqlite, caches: newRowCaches()}
	e, err := engine.Open(ctx, path, engine.Options{
		Synchronous: opt.Synchronous,
		MaxBatchAge: maxBatchAge,
		Setup: func(ctx context.Context, pool *sql.DB) error {
			db.writer = pool
			return db.migrate(ctx)
		},
		// A batch that changed cached rows drops them before and after its COMMIT
		// (rowCaches.beginCommit).
		Hooks: engine.Hooks{
			BeforeCommit: func(b *engine.Batch) {
				if d := dirtyOf(b); d != nil {
					db.caches.beginCommit(d)
				}
			},
			AfterCommit: func(b *engine.Batch) {
				if d := dirtyOf(b); d != nil {
					db.caches.endCommit(d)
				}
			},
		},
	})
	if err != nil {
		return nil, err
	}
	db.lite, db.writer = e, e.Pool()
	if err := db.loadHooksMaybe(ctx); err != nil {
		e.Close()
		return nil, err
	}
	return db, nil
}

// dirtyOf is the record of the cached rows a batch's units changed, nil when none did.
func dirtyOf(b *engine.Batch) *dirtyRows {
	if d, _ := b.Data.(*dirtyRows); d != nil && !d.empty() {
		return d
	}
	return nil
}

// readSQLite runs fn on one of the engine's readers. The caches' generation is taken
// before the snapshot (the engine begins it at the first statement): see rowCaches.
func (db *DB) readSQLite(ctx context.Context, fn func(chat.Tx) error) error {
	return db.lite.Read(ctx, func(q engine.Querier) error {
		return fn(&tx{ctx: ctx, q: q, d: db.d, caches: db.caches, gen: db.caches.gen.Load(), noPushJobs: db.noPushJobs, work: &db.work})
	})
}

// writeSQLite runs fn as one unit of the engine's group commit. The unit records the
// cached rows it changes in its batch's record, which the commit hooks drop.
func (db *DB) writeSQLite(ctx context.Context, fn func(chat.Tx) error) error {
	var last *tx // the run that committed (a unit may run again after a rollback)
	err := db.lite.Write(ctx, func(q engine.Querier, b *engine.Batch) error {
		dirty, _ := b.Data.(*dirtyRows)
		if dirty == nil {
			dirty = new(dirtyRows)
			b.Data = dirty
		}
		// The generation cannot move while the unit runs: commits happen on the writer
		// goroutine, between units. (q runs every statement without ctx's cancellation.)
		t := &tx{ctx: ctx, q: q, d: db.d, write: true, caches: db.caches, gen: db.caches.gen.Load(), dirty: dirty,
			noPushJobs: db.noPushJobs, work: &db.work}
		last = t
		return db.d.clientError(fn(t))
	})
	if err == nil && last != nil {
		db.noteWork(last)
	}
	return err
}

// SyncStats tells how many fsyncs of the WAL the SQLite writer made and how long they
// took in all (zero on PostgreSQL and with synchronous=NORMAL).
func (db *DB) SyncStats() (syncs int64, seconds float64) {
	if db.lite == nil {
		return 0, 0
	}
	s := db.lite.Stats()
	return s.Syncs, s.SyncSeconds
}

// WriteStats tells how many write units the SQLite writer committed in how many
// transactions (zero on PostgreSQL, where each unit is its own transaction).
func (db *DB) WriteStats() (units, commits int64) {
	if db.lite == nil {
		return 0, 0
	}
	s := db.lite.Stats()
	return s.Units, s.Commits
}
