package store

import (
	"database/sql"
	"errors"
	"testing"
)

// A failed statement names its table and verb, and keeps the engine's error inside.
func TestStatementErrorSaysWhere(t *testing.T) {
	for q, want := range map[string]string{
		"INSERT INTO users (id) VALUES (?)":             "store: users insert: sql: no rows in result set",
		"UPDATE channels SET n = n + 1 WHERE id = ?":    "store: channels update: sql: no rows in result set",
		"DELETE FROM outbox WHERE seq <= ?":             "store: outbox delete: sql: no rows in result set",
		"SELECT a, b\n\t\tFROM channel_members m WHERE": "store: channel_members select: sql: no rows in result set",
		"SAVEPOINT outbox_event":                        "store: savepoint: sql: no rows in result set",
	} {
		err := statementError(q, sql.ErrNoRows)
		if err.Error() != want || !errors.Is(err, sql.ErrNoRows) {
			t.Errorf("%q: %v, want %q wrapping the engine's error", q, err, want)
		}
	}
}
