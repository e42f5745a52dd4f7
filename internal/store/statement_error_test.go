package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/chat"
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

// The errors that surface only when a row is read (a single-row query's Scan, a row of
// a list that fails to decode) name their statement too; "no row" stays sql.ErrNoRows.
func TestRowErrorsSayWhere(t *testing.T) {
	db := openSQLiteForTest(t)
	err := db.Read(context.Background(), func(ct chat.Tx) error {
		t := ct.(*tx)
		var n int
		if err := t.queryRow(`SELECT COUNT(*) FROM no_such_table`).Scan(&n); err == nil || !strings.HasPrefix(err.Error(), "store: no_such_table select: ") {
			return fmt.Errorf("single row: %v", err)
		}
		if err := t.queryRow(`SELECT name FROM schema_migrations WHERE name = ?`, "none").Scan(new(string)); err != sql.ErrNoRows {
			return fmt.Errorf("no row: %v, want sql.ErrNoRows itself", err)
		}
		if _, err := queryAll(t, scanString, `SELECT NULL FROM schema_migrations`); err == nil || !strings.HasPrefix(err.Error(), "store: schema_migrations select: ") {
			return fmt.Errorf("list: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
