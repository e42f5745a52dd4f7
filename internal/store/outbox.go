package store

import (
	"context"
	"encoding/json"
	"fmt"
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
// their first event on (an advisory lock held until commit, through the WAL flush), so
// that 8 clients did no better than 1. Now each event proves, with the transaction ids
// PostgreSQL already keeps, that no lower seq can still commit:
//
//   - Transaction ids are handed out in increasing order. Each event is inserted in a
//     subtransaction of its own (outboxSavepoint), in a statement that first gives the
//     transaction its id (the WHERE of outboxInsert), then draws the seq, then writes
//     the row, which gives the subtransaction an id: the row's xmin.
//   - So a transaction that drew a lower seq had its id before this row's xmin was
//     handed out: its id is below the xmin.
//   - The relay reads the pending events together with the oldest transaction id still
//     running (the snapshot's xmin; PostgreSQL counts every transaction whose id is
//     below the newest one ended, and this row's ended). An event whose xmin is below
//     that id has no running transaction below it: every lower seq that will ever
//     commit has committed, and is in the relay's snapshot.
//   - The relay passes events in seq order up to the first one that does not pass yet.
//     A seq that rolled back is a gap that closes when its transaction ends.
//
// The order is seq order, and that is the order that matters: two units that touch the
// same channel (or user, or any row) take its row lock before they append events
// (append events last), so the second draws its seqs only after the first committed;
// a unit that starts after another's commit draws higher seqs than it. Units that share
// no row may commit in either order; their events come in seq order.
//
// The price: an event waits until every transaction that was running when it was
// written, in any database of the server, has ended. A long transaction (or a session
// idle in one) on the same PostgreSQL server delays events, never loses them; Parley's
// own write units last milliseconds. Each event costs a subtransaction (a unit that
// appends more than 64 makes other sessions' snapshots look its subtransactions up;
// units append one to a few).

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
	}
	_, err = t.exec(t.d.outboxInsert, e.Type, e.ChannelID, e.RoomID, string(users), boolInt(e.Network), string(data), at.Millis())
	return err
}

// OutboxEvent is chat's: the real-time layer reads it without importing the store.
type OutboxEvent = chat.OutboxEvent

// PendingEvents returns up to limit events after seq, in commit order (seq order, held
// back where a lower seq may still commit: see "Commit order without a lock").
//
// When the first pending event is held back, it waits for it (its transactions end in
// milliseconds), up to pendingWait; when later ones are, it waits a little for them
// too (heldWait), so that the tail of a burst does not wait for the relay's next wake.
func (db *DB) PendingEvents(ctx context.Context, after int64, limit int) ([]OutboxEvent, error) {
	var waited time.Duration
	pause := 500 * time.Microsecond
	for {
		out, held, err := db.pendingEvents(ctx, after, limit)
		if err != nil || !held || (len(out) > 0 && waited >= heldWait) || waited >= pendingWait {
			return out, err
		}
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
func (db *DB) pendingEvents(ctx context.Context, after int64, limit int) (out []OutboxEvent, held bool, err error) {
	// Committed events only: a read sees exactly those (on SQLite the writer's connection
	// may be inside a group commit's open transaction), on a held reader with the query
	// prepared once (the relay runs it after every commit). The oldest running
	// transaction is read in the same snapshot as the events.
	err = db.Read(ctx, func(ct chat.Tx) error {
		rows, err := ct.(*tx).query(`SELECT seq, type, channel_id, room_id, user_ids, network, data, created_at, `+db.d.outboxXid+`, `+db.d.outboxRunning+`
			FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			e, xid, running, err := scanOutboxEvent(rows)
			if err != nil {
				return err
			}
			// Transaction ids compare modulo 2^32 (a row's xmin has no epoch): the relay
			// deletes passed events within a second, long before 2^31 more transactions.
			if int32(uint32(running)-uint32(xid)) <= 0 {
				held = true
				break
			}
			out = append(out, e)
		}
		return rows.Err()
	})
	return out, held, err
}

// scanOutboxEvent reads an event, its transaction id and the oldest running transaction.
func scanOutboxEvent(s scanner) (e OutboxEvent, xid, running int64, err error) {
	var users, data string
	var network int
	var created int64
	err = s.Scan(&e.Seq, &e.Type, &e.ChannelID, &e.RoomID, &users, &network, &data, &created, &xid, &running)
	json.Unmarshal([]byte(users), &e.UserIDs)
	e.Network, e.RawData, e.CreatedAt = network == 1, json.RawMessage(data), chat.FromMillis(created)
	return e, xid, running, err
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
