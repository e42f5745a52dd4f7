package store

import (
	"database/sql"
	"errors"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/room"
)

func (t *tx) MediaEventApplied(id string) (bool, error) {
	var one int
	err := t.queryRow(`SELECT 1 FROM room_media_events WHERE id = ?`, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

func (t *tx) LastMediaStatusAt(roomID string) (chat.Time, error) {
	var at sql.NullInt64
	err := t.queryRow(`SELECT MAX(at) FROM room_media_events WHERE room_id = ? AND kind = ?`,
		roomID, room.MediaEventStatus).Scan(&at)
	return timeOf(at), err
}

func (t *tx) PutMediaEvent(e room.MediaEventRecord) error {
	_, err := t.exec(`INSERT INTO room_media_events (id, room_id, kind, at, applied_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`, e.ID, e.RoomID, e.Kind, e.At.Millis(), e.AppliedAt.Millis())
	return err
}

func (t *tx) PruneMediaEvents(kind string, before chat.Time) error {
	_, err := t.exec(`DELETE FROM room_media_events WHERE kind = ? AND applied_at < ?`, kind, before.Millis())
	return err
}
