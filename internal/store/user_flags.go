package store

import "github.com/parley-chat/parley/internal/chat"

// User flags (chat/user_flag.go). A user's flag_count moves with its flag rows, by an
// atomic UPDATE in the same transaction; users rows are cached, so each write marks it.

func (t *tx) PutUserFlag(userID, flaggerID, reason string, at chat.Time) (bool, error) {
	res, err := t.exec(`INSERT INTO user_flags (user_id, flagger_id, reason, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (user_id, flagger_id) DO NOTHING`, userID, flaggerID, reason, at.Millis())
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

func (t *tx) RemoveUserFlag(userID, flaggerID string) (bool, error) {
	res, err := t.exec(`DELETE FROM user_flags WHERE user_id = ? AND flagger_id = ?`, userID, flaggerID)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

func (t *tx) HasUserFlag(userID, flaggerID string) (bool, error) {
	var n int
	err := t.queryRow(`SELECT COUNT(*) FROM user_flags WHERE user_id = ? AND flagger_id = ?`, userID, flaggerID).Scan(&n)
	return n > 0, err
}

// AddUserFlagCount moves a user's flag_count by delta and returns the new count.
func (t *tx) AddUserFlagCount(userID string, delta int, at chat.Time) (int, error) {
	t.dirtyUser(userID)
	var n int
	err := t.queryRow(`UPDATE users SET flag_count = flag_count + ?, updated_at = ? WHERE id = ? RETURNING flag_count`,
		delta, at.Millis(), userID).Scan(&n)
	return n, err
}

// ClearUserFlags deletes every flag of a user and sets its count to 0; it returns how
// many flags there were.
func (t *tx) ClearUserFlags(userID string, at chat.Time) (int, error) {
	res, err := t.exec(`DELETE FROM user_flags WHERE user_id = ?`, userID)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	t.dirtyUser(userID)
	if _, err := t.exec(`UPDATE users SET flag_count = 0, updated_at = ? WHERE id = ?`, at.Millis(), userID); err != nil {
		return 0, err
	}
	return int(n), nil
}
