package store

import (
	"context"
	"sync"
	"sync/atomic"
)

// What a commit left for the background senders (see internal/dispatch, "Background
// work"): the commit hook asks TakeWork and wakes a sender only when its work was
// written, so that with no webhook endpoint and no push provider an event costs the
// senders nothing.
type work struct {
	bits atomic.Uint32 // workWebhooks | workPush, set after a commit that wrote them

	// hooksMaybe: an enabled webhook endpoint may exist. On SQLite (one process, one
	// writer) it is exact enough to skip the delivery insert when false: it is set at open
	// from the table and by every write of an endpoint, and never cleared while open. On
	// PostgreSQL the insert is part of the event's one statement and costs no round trip.
	hooksMaybe atomic.Bool

	// unflushed counts the units between their commit and the end of their wait for the
	// WAL flush (PostgreSQL, "Durable before told"); soleWriter is Options.SoleWriter.
	unflushed  atomic.Int64
	soleWriter bool

	statements atomic.Int64 // run through a tx (exec, query, queryRow): tests count them

	// The units of this process appending events (SoleWriter on PostgreSQL), for the
	// relay's bound without pg_locks ("Commit order without a lock", the sole writer's
	// shortcut): each from before it draws a seq until its transaction has ended, with
	// the first seq it drew (0 until known); maxSeq is the highest seq any recorded.
	mu      sync.Mutex
	running map[*tx]int64
	maxSeq  int64
}

// appending registers a unit before it draws its first seq.
func (w *work) appending(t *tx) {
	w.mu.Lock()
	if w.running == nil {
		w.running = map[*tx]int64{}
	}
	w.running[t] = 0
	w.mu.Unlock()
}

// drew records the seq a registered unit's event got.
func (w *work) drew(t *tx, seq int64) {
	w.mu.Lock()
	if first, ok := w.running[t]; ok && first == 0 {
		w.running[t] = seq
	}
	w.maxSeq = max(w.maxSeq, seq)
	w.mu.Unlock()
}

// ended unregisters a unit once its transaction committed or rolled back.
func (w *work) ended(t *tx) {
	w.mu.Lock()
	delete(w.running, t)
	w.mu.Unlock()
}

// passBound is a seq through which every event is committed or rolled back for good,
// when it can be told without asking PostgreSQL; ok false when a unit may have drawn a
// seq it has not recorded yet. Every seq up to maxSeq was drawn before maxSeq was
// recorded (a sequence's values rise in the order they are drawn), by units registered
// before they drew: those still running bound it by their first seq; the rest have ended.
func (w *work) passBound() (bound int64, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	bound = w.maxSeq
	for _, first := range w.running {
		if first == 0 {
			return 0, false
		}
		bound = min(bound, first-1)
	}
	return bound, true
}

const (
	workWebhooks uint32 = 1 << iota
	workPush
)

// TakeWork tells, and forgets, whether commits since the last call wrote webhook
// deliveries or push jobs. The commit hook calls it after every commit with events.
func (db *DB) TakeWork() (webhooks, push bool) {
	b := db.work.bits.Swap(0)
	return b&workWebhooks != 0, b&workPush != 0
}

// noteWork records, after its commit, what a unit wrote for the senders.
func (db *DB) noteWork(t *tx) {
	var b uint32
	if t.wroteHooks {
		b |= workWebhooks
	}
	if t.wrotePush {
		b |= workPush
	}
	if b != 0 {
		db.work.bits.Or(b)
	}
}

// loadHooksMaybe reads whether an enabled webhook endpoint exists (SQLite's open).
func (db *DB) loadHooksMaybe(ctx context.Context) error {
	var n int
	if err := db.writer.QueryRowContext(ctx, `SELECT COUNT(*) FROM webhook_endpoints WHERE enabled = 1`).Scan(&n); err != nil {
		return err
	}
	db.work.hooksMaybe.Store(n > 0)
	return nil
}
