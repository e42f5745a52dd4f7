package store

import "github.com/parley-chat/parley/internal/chat"

// DeleteUserMessages soft-deletes every message a user wrote, in every channel (a global
// ban that asks for it). Messages are not a cached table.
func (t *tx) DeleteUserMessages(userID string, at chat.Time) (int, error) {
	res, err := t.exec(`UPDATE messages SET is_deleted = 1, deleted_at = ?, updated_at = ?
		WHERE creator_id = ? AND is_deleted = 0`, at.Millis(), at.Millis(), userID)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
