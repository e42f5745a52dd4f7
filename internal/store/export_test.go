package store

import (
	"context"
	"io/fs"
	"strconv"

	"github.com/parley-chat/parley/internal/chat"
)

// Migrations exposes the embedded migrations to the conformance suite.
func Migrations() fs.FS { return migrations }

// IncrementLocked adds one to a numeric setting, reading it with the dialect's row lock
// (forUpdate) first, as domain rules that read a row to decide a write do.
func IncrementLocked(db *DB, key string) error {
	return db.Write(context.Background(), func(ct chat.Tx) error {
		t := ct.(*tx)
		var v string
		if err := t.queryRow(`SELECT value FROM settings WHERE key = ?`+t.d.forUpdate, key).Scan(&v); err != nil {
			return err
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return err
		}
		_, err = t.exec(`UPDATE settings SET value = ? WHERE key = ?`, strconv.Itoa(n+1), key)
		return err
	})
}

// LeaveUnlessLast sets setting me to "0" unless other is not "1": a rule that reads one
// row to decide a write to another (the last moderator may not leave). It locks both
// rows it reads with forUpdate, which is what keeps two of them from both leaving.
func LeaveUnlessLast(db *DB, me, other string) error {
	return db.Write(context.Background(), func(ct chat.Tx) error {
		t := ct.(*tx)
		type kv struct{ k, v string }
		rows, err := queryAll(t, func(s scanner) (kv, error) {
			var r kv
			return r, s.Scan(&r.k, &r.v)
		}, `SELECT key, value FROM settings WHERE key IN (?, ?) ORDER BY key`+t.d.forUpdate, me, other)
		values := map[string]string{}
		for _, r := range rows {
			values[r.k] = r.v
		}
		if err != nil || values[other] != "1" {
			return err
		}
		_, err = t.exec(`UPDATE settings SET value = '0' WHERE key = ?`, me)
		return err
	})
}

// AppendEventReadingWAL appends an event and then reads, in the same unit, the unit's
// synchronous_commit and the WAL's insert position (PostgreSQL only).
func AppendEventReadingWAL(db *DB) (syncCommit, lsn string, err error) {
	err = db.Write(context.Background(), func(ct chat.Tx) error {
		t := ct.(*tx)
		if err := t.AppendEvent(chat.Event{Type: "wal", Data: 1}); err != nil {
			return err
		}
		return t.queryRow(`SELECT current_setting('synchronous_commit'), pg_current_wal_insert_lsn()::text`).Scan(&syncCommit, &lsn)
	})
	return syncCommit, lsn, err
}

// FlushedPast tells whether the WAL is on disk up to lsn (PostgreSQL only).
func FlushedPast(db *DB, lsn string) (bool, error) {
	var ok bool
	err := db.writer.QueryRowContext(context.Background(), `SELECT pg_current_wal_flush_lsn() >= CAST($1 AS pg_lsn)`, lsn).Scan(&ok)
	return ok, err
}
