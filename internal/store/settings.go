package store

import (
	"database/sql"
	"errors"
)

// Setting reads a network setting. In a write transaction the row is locked; when it is
// missing, the unit queues on the key behind any unit that may be creating it and looks
// again, so that two nodes starting together agree on one network id.
func (t *tx) Setting(key string) (string, bool, error) {
	v, ok, err := t.setting(key)
	if err != nil || ok || !t.write {
		return v, ok, err
	}
	if err := t.lockKey("settings:" + key); err != nil {
		return "", false, err
	}
	return t.setting(key)
}

func (t *tx) setting(key string) (string, bool, error) {
	var v string
	err := t.queryRow(`SELECT value FROM settings WHERE key = ?`+t.lockRow(), key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return v, err == nil, err
}

func (t *tx) PutSetting(key, value string) error {
	// Held to commit, so that a unit that found the setting missing waits for this one.
	if err := t.lockKey("settings:" + key); err != nil {
		return err
	}
	_, err := t.exec(`INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}
