package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/parley-chat/parley/internal/chat"
)

// AppendEvent writes an event to the outbox inside the caller's transaction. On
// PostgreSQL it first takes the outbox lock, held until commit, so that seq order is
// commit order: append events last in a transaction, to hold the lock briefly.
func (t *tx) AppendEvent(e chat.Event) error {
	data, err := encodeEventData(e.Data)
	if err != nil {
		return fmt.Errorf("encode event %s: %w", e.Type, err)
	}
	if t.d.outboxLock != "" {
		if _, err := t.exec(t.d.outboxLock); err != nil {
			return fmt.Errorf("outbox lock: %w", err)
		}
	}
	users, _ := json.Marshal(nonNil(e.UserIDs))
	at := e.CreatedAt
	if at.IsZero() {
		at = chat.Now()
	}
	_, err = t.exec(`INSERT INTO outbox (type, channel_id, room_id, user_ids, network, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		e.Type, e.ChannelID, e.RoomID, string(users), boolInt(e.Network), string(data), at.Millis())
	if err != nil {
		return err
	}
	return t.enqueueWebhooks(e, data, at) // same transaction: an event exists iff its deliveries do
}

// OutboxEvent is an event as stored, its data still encoded.
type OutboxEvent struct {
	chat.Event
	RawData json.RawMessage
}

// PendingEvents returns up to limit events after seq, in commit order.
func (db *DB) PendingEvents(ctx context.Context, after int64, limit int) ([]OutboxEvent, error) {
	// Committed events only: a read sees exactly those (on SQLite the writer's connection
	// may be inside a group commit's open transaction), on a held reader with the query
	// prepared once (the relay runs it after every commit).
	var out []OutboxEvent
	err := db.Read(ctx, func(ct chat.Tx) error {
		var err error
		out, err = queryAll(ct.(*tx), scanOutboxEvent, `SELECT seq, type, channel_id, room_id, user_ids, network, data, created_at
			FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
		return err
	})
	return out, err
}

func scanOutboxEvent(s scanner) (OutboxEvent, error) {
	var e OutboxEvent
	var users, data string
	var network int
	var created int64
	err := s.Scan(&e.Seq, &e.Type, &e.ChannelID, &e.RoomID, &users, &network, &data, &created)
	json.Unmarshal([]byte(users), &e.UserIDs)
	e.Network, e.RawData, e.CreatedAt = network == 1, json.RawMessage(data), chat.FromMillis(created)
	return e, err
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
