package store

import (
	"database/sql"

	"github.com/parley-chat/parley/internal/chat"
)

func (t *tx) InsertSession(s *chat.Session) error {
	_, err := t.exec(`INSERT INTO sessions (id, user_id, device_id, issued_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		s.ID, s.UserID, s.DeviceID, s.IssuedAt.Millis(), s.ExpiresAt.Millis())
	return err
}

func (t *tx) SessionByID(id string) (*chat.Session, error) {
	return one(t.queryRow(`SELECT id, user_id, device_id, issued_at, expires_at, revoked_at FROM sessions WHERE id = ?`, id),
		func(s scanner) (chat.Session, error) {
			var v chat.Session
			var issued, expires int64
			var revoked sql.NullInt64
			err := s.Scan(&v.ID, &v.UserID, &v.DeviceID, &issued, &expires, &revoked)
			v.IssuedAt, v.ExpiresAt, v.RevokedAt = chat.FromMillis(issued), chat.FromMillis(expires), timeOf(revoked)
			return v, err
		})
}

func (t *tx) RevokeSession(id string, at chat.Time) error {
	_, err := t.exec(`UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, at.Millis(), id)
	return err
}

func (t *tx) RevokeUserSessions(userID string, at chat.Time) ([]string, error) {
	ids, err := queryAll(t, scanString, `SELECT id FROM sessions WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ?`, userID, at.Millis())
	if err != nil {
		return nil, err
	}
	_, err = t.exec(`UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`, at.Millis(), userID)
	return ids, err
}
