package store

import (
	"context"

	"github.com/parley-chat/parley/internal/chat"
)

// EndLeaseSession ends, from db, the server session that holds a relay lease's lock, as
// PostgreSQL does when the holder's node dies or its connection breaks.
func EndLeaseSession(db *DB, lease chat.Lease) error {
	l := lease.(*Lease)
	var pid int
	if err := l.conn.QueryRowContext(context.Background(), `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		return err
	}
	_, err := db.writer.ExecContext(context.Background(), `SELECT pg_terminate_backend($1)`, pid)
	return err
}
