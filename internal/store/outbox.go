package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/chat"
)

// Commit order without a lock.
//
// The relay reads the outbox in seq order and remembers only the last seq it passed, so
// it must never pass a seq while a lower one may still commit. SQLite's single writer
// commits in seq order. PostgreSQL draws seqs from a sequence when a transaction
// inserts, and transactions commit in any order: the relay may see seq 11 committed
// while 10 is still running. Parley used to make writers commit one at a time from
// their first event on (an exclusive advisory lock held until commit, through the WAL
// flush), so that 8 clients did no better than 1. Now each event proves, with the
// transaction ids PostgreSQL keeps, that no lower seq can still commit:
//
//  1. A writer first gets its transaction id, then takes the outbox-writer lock in
//     shared mode (writers never wait for each other; it is held until commit), then
//     starts a subtransaction and inserts the event: the seq is drawn, then the row is
//     written, which hands the subtransaction an id, the row's xmin (outboxSavepoint,
//     outboxInsert). Ids are handed out in increasing order.
//  2. So a writer T that drew a lower seq than event E held the writer lock, and had
//     its id, before E's xmin was handed out: T's id is below E's xmin.
//  3. The relay first reads (outboxWriters) the transaction ids of the writers holding
//     the lock now, and an id X below which every id had been handed out; then, in a
//     later snapshot, the pending events. It passes E if E's xmin is below X and below
//     the id of every writer it saw. Then any T of step 2 took the lock before E's xmin
//     was handed out, so before the relay looked at the lock: T either held it then
//     (and E waits, as T's id is below E's xmin), or had already ended, and then its
//     events are in the relay's later snapshot, or never will be (it rolled back).
//  4. The relay passes events in seq order up to the first that does not pass yet. A
//     seq that rolled back is a gap that closes once its writer has ended.
//
// The order is seq order, and that is the order that matters: two units that touch the
// same channel (or user, or any row) take its row lock before they append events
// (append events last), so the second draws its seqs only after the first committed;
// a unit that starts after another's commit draws higher seqs than it. Units that share
// no row may commit in either order; their events come in seq order.
//
// The sole writer's shortcut. When this process is the only one writing the database
// (Options.SoleWriter: a single node), it knows its writers without asking PostgreSQL: a
// unit registers just before the statement that draws its first seq, records that seq,
// and leaves once its transaction has committed or rolled back (work.passBound). Seqs
// rise in the order they are drawn, so every seq up to the highest recorded one was
// drawn before it was recorded, by a unit registered by then: one still running bounds
// what passes by its first seq; the others have ended, and their events are in any later
// snapshot, or never will be. So the relay passes, with its one SELECT and no pg_locks
// read, the events up to that bound; when a unit is registered without a recorded seq,
// or an event lies past the bound, it reads the long way above.
//
// An event waits only for the writers that were appending events when it was written
// (milliseconds), never for unrelated transactions; the writer lock is per schema,
// like everything of one Parley. Each event costs a subtransaction (a unit that appends
// more than 64 makes other sessions' snapshots look its subtransactions up; units
// append one to a few) and the same two round trips as the exclusive lock did.

// Durable before told.
//
// Units that append events are the ones that change shared rows (a channel's counters, a
// feed's segment), and on PostgreSQL a row lock is held until the commit has been
// flushed to the WAL: units on one channel would queue through each other's disk flush
// and could never commit faster than one flush at a time. So such a unit commits with
// synchronous_commit off (its locks go at once) and then waits for the flush in a
// statement of its own (dialect.durable), which PostgreSQL group-commits with the
// flushes of the other units waiting beside it. What that changes, and why it is safe:
//
//   - Write returns only after the flush: an answered request is on disk, as before.
//   - A transaction that commits after an unflushed one has its commit record later in
//     the WAL, so a write that depends on it (a later unit on the channel, the push and
//     webhook claims) is never durable without it.
//   - The relay runs dialect.durable after reading events and before passing them
//     (PendingEvents): no client hears of an event that a crash could still undo. When
//     this process is the only writer (Options.SoleWriter) it skips the flush if, read
//     after the events, no unit of the process is between its commit and the end of its
//     own flush (work.unflushed, counted from before the commit): every event the read
//     saw was committed by a unit that had counted itself by then, so it has flushed.
//   - A plain read may see a unit's rows for the few milliseconds between its commit and
//     its flush; a crash in that window undoes a change that a reader saw but that no
//     writer was told had happened.

// AppendEvent writes an event to the outbox inside the caller's transaction. Append
// events after every row lock the unit takes (last): see "Commit order without a lock".
func (t *tx) AppendEvent(e chat.Event) error {
	data, err := encodeEventData(e.Data)
	if err != nil {
		return fmt.Errorf("encode event %s: %w", e.Type, err)
	}
	users, _ := json.Marshal(nonNil(e.UserIDs))
	at := e.CreatedAt
	if at.IsZero() {
		at = chat.Now()
	}
	if t.d.outboxSavepoint != "" {
		if _, err := t.exec(t.d.outboxSavepoint); err != nil {
			return fmt.Errorf("outbox savepoint: %w", err)
		}
		t.flushAfter = t.d.durable != ""
	}
	args := []any{e.Type, e.ChannelID, e.RoomID, string(users), boolInt(e.Network), string(data), at.Millis()}
	if t.d.writingWith {
		return t.appendInOneStatement(e, data, at, args)
	}
	if _, err := t.exec(t.d.outboxInsert, args...); err != nil {
		return err
	}
	// Same transaction: an event exists iff its push job and its webhook deliveries do.
	if err := t.enqueuePush(e, at); err != nil {
		return err
	}
	return t.enqueueWebhooks(e, data, at)
}

// appendInOneStatement writes the event, its push job and its webhook deliveries with
// one statement (PostgreSQL's data-modifying WITH): the unit holds its channel's row
// lock meanwhile, and each round trip saved is time the next unit on the channel does
// not wait.
func (t *tx) appendInOneStatement(e chat.Event, data []byte, at chat.Time, args []any) error {
	q := `WITH ev AS (` + t.d.outboxInsert + ` RETURNING seq)`
	push, pushArgs, ok, err := t.pushJobInsert(e, at)
	if err != nil {
		return err
	}
	if ok {
		q += `, pj AS (` + push + `)`
		args = append(args, pushArgs...)
	}
	key := orderKey(e)
	hooks, hookArgs, ok := webhookInsert(e, key, data, at)
	// The event's seq ("s" and the number) and the endpoints written to ("e" and the id).
	if ok {
		q += `, wh AS (` + hooks + `) SELECT 's' || CAST(seq AS TEXT) FROM ev UNION ALL SELECT 'e' || endpoint_id FROM wh`
		args = append(args, hookArgs...)
	} else {
		q += ` SELECT 's' || CAST(seq AS TEXT) FROM ev`
	}
	if t.work.soleWriter && !t.registered {
		// Just before the statement that draws its first seq; run ends it.
		t.registered = true
		t.work.appending(t)
	}
	got, err := queryAll(t, scanString, q, args...)
	if err != nil {
		return err
	}
	var endpoints []string
	for _, g := range got {
		switch {
		case strings.HasPrefix(g, "s"):
			seq, err := strconv.ParseInt(g[1:], 10, 64)
			if err != nil {
				return fmt.Errorf("store: outbox seq %q: %w", g, err)
			}
			if t.registered {
				t.work.drew(t, seq)
			}
		case strings.HasPrefix(g, "e"):
			endpoints = append(endpoints, g[1:])
		}
	}
	return t.promoteWebhookQueues(endpoints, key)
}

// PendingEvents returns up to limit events after seq, in commit order (seq order, held
// back where a lower seq may still commit: see "Commit order without a lock").
//
// When the first pending event is held back, it waits for it (its transactions end in
// milliseconds), up to pendingWait; when later ones are, it waits a little for them
// too (heldWait), so that the tail of a burst does not wait for the relay's next wake.
func (db *DB) PendingEvents(ctx context.Context, after int64, limit int) ([]chat.OutboxEvent, error) {
	out, err := db.pendingInOrder(ctx, after, limit)
	// Read after the events: a unit counts itself from before its commit to the end of its
	// own flush, so when none of this process is in between, and no other process writes
	// (Options.SoleWriter), every event read is on disk already.
	skip := db.work.soleWriter && db.work.unflushed.Load() == 0
	if err == nil && len(out) > 0 && db.d.durable != "" && !skip {
		// Their units may have committed without waiting for the flush ("Durable before
		// told"): no event leaves before it is on disk.
		if _, err := db.writer.ExecContext(ctx, db.d.durable); err != nil {
			return nil, statementError(db.d.durable, err)
		}
	}
	return out, err
}

// pendingInOrder is PendingEvents without the wait for durability.
func (db *DB) pendingInOrder(ctx context.Context, after int64, limit int) ([]chat.OutboxEvent, error) {
	var waited time.Duration
	var passed []chat.OutboxEvent // what the last read passed
	pause := 500 * time.Microsecond
	for {
		out, held, err := db.pendingEvents(ctx, after, limit)
		if err != nil && waited > 0 && ctx.Err() != nil {
			return passed, nil // ended while waiting: answer what passed
		}
		if err != nil || !held || (len(out) > 0 && waited >= heldWait) || waited >= pendingWait {
			return out, err
		}
		passed = out
		select {
		case <-ctx.Done():
			return out, nil
		case <-time.After(pause):
		}
		waited += pause
		pause = min(2*pause, 8*time.Millisecond)
	}
}

const (
	pendingWait = time.Second
	heldWait    = 5 * time.Millisecond
)

// pendingEvents reads once; held tells that committed events after the last one returned
// are held back.
func (db *DB) pendingEvents(ctx context.Context, after int64, limit int) (out []chat.OutboxEvent, held bool, err error) {
	passes := func(int64) bool { return true }
	if bound, ok := db.work.passBound(); ok && db.work.soleWriter && db.d.outboxWriters != "" {
		// This process is the only writer and knows which seqs are settled: no pg_locks
		// read. An event past the bound sends the read the long way.
		out, held, err = db.readPending(ctx, after, limit, func(int64) bool { return true }, bound)
		if err != nil || !held {
			return out, false, err
		}
	}
	if db.d.outboxWriters != "" {
		// Before the snapshot that reads the events, in a statement of its own (step 3).
		var below int64
		var writers string
		if err := db.reader.QueryRowContext(ctx, db.d.outboxWriters).Scan(&below, &writers); err != nil {
			return nil, false, statementError("SELECT FROM pg_locks", err)
		}
		ids, err := parseIDs(writers)
		if err != nil {
			return nil, false, err
		}
		passes = func(xid int64) bool {
			if !xidBefore(xid, below) {
				return false
			}
			for _, w := range ids {
				if xidBefore(w, xid) {
					return false
				}
			}
			return true
		}
	}
	return db.readPending(ctx, after, limit, passes, 1<<62)
}

// readPending reads the events after seq in seq order, up to the first whose writer
// passes does not pass or whose seq is above bound (held).
func (db *DB) readPending(ctx context.Context, after int64, limit int, passes func(xid int64) bool, bound int64) (out []chat.OutboxEvent, held bool, err error) {
	// Committed events only: a read sees exactly those (on SQLite the writer's connection
	// may be inside a group commit's open transaction), on a held reader with the query
	// prepared once (the relay runs it after every commit). On PostgreSQL the one SELECT
	// runs on its own (autocommit): its snapshot is its statement's, later than the
	// writers' read above, and no BEGIN and COMMIT are spent around it.
	const q = `SELECT seq, type, channel_id, room_id, user_ids, network, data, created_at, %s
			FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?`
	read := db.Read
	if db.d.outboxWriters != "" { // PostgreSQL
		read = func(ctx context.Context, fn func(chat.Tx) error) error {
			return fn(&tx{ctx: ctx, q: db.reader, d: db.d, caches: db.caches, work: &db.work})
		}
	}
	err = read(ctx, func(ct chat.Tx) error {
		rows, err := ct.(*tx).query(fmt.Sprintf(q, db.d.outboxXid), after, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			e, xid, err := scanOutboxEvent(rows)
			if err != nil {
				return err
			}
			if e.Seq > bound || !passes(xid) {
				held = true
				break
			}
			out = append(out, e)
		}
		return rows.Err()
	})
	return out, held, err
}

// xidBefore compares PostgreSQL transaction ids as 32-bit numbers modulo 2^32 (a row's
// xmin has no epoch): events are deleted within a second of passing, long before 2^31
// more transactions.
func xidBefore(a, b int64) bool { return int32(uint32(a)-uint32(b)) < 0 }

// parseIDs reads a comma-separated list of transaction ids.
func parseIDs(s string) ([]int64, error) {
	if s == "" {
		return nil, nil
	}
	var ids []int64
	for _, f := range strings.Split(s, ",") {
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("store: outbox writers: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// scanOutboxEvent reads an event and the id of the transaction that wrote it.
func scanOutboxEvent(s scanner) (e chat.OutboxEvent, xid int64, err error) {
	var users, data string
	var network int
	var created int64
	err = s.Scan(&e.Seq, &e.Type, &e.ChannelID, &e.RoomID, &users, &network, &data, &created, &xid)
	json.Unmarshal([]byte(users), &e.UserIDs)
	e.Network, e.RawData, e.CreatedAt = network == 1, json.RawMessage(data), chat.FromMillis(created)
	return e, xid, err
}

// DeleteEventsThrough removes delivered events up to and including seq.
func (db *DB) DeleteEventsThrough(ctx context.Context, seq int64) error {
	// Through Write, so that on SQLite it joins a group commit rather than competing for
	// the write lock from another connection.
	return db.Write(ctx, func(ct chat.Tx) error {
		_, err := ct.(*tx).exec(`DELETE FROM outbox WHERE seq <= ?`, seq)
		return err
	})
}

// encodeEventData encodes an event's data, or takes the bytes a payload already holds
// (chat.ChannelPayload.Encoded: the same payload is the answer too, encoded once). A
// payload that writes its own JSON (chat.ChannelPayload.AppendJSON, the same bytes as
// json.Marshal) does so without reflection.
func encodeEventData(v any) ([]byte, error) {
	if p, ok := v.(interface{ Encoded() []byte }); ok {
		if b := p.Encoded(); b != nil {
			return b, nil
		}
	}
	if p, ok := v.(interface {
		AppendJSON(b []byte) ([]byte, error)
	}); ok {
		return p.AppendJSON(nil)
	}
	return json.Marshal(v)
}
