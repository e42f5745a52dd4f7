package store

import "context"

// Count counts rows of a table that match a condition: the store's tests use it to prove
// that a refused write wrote nothing. Tests of other packages use storetest.Count.
func (db *DB) Count(ctx context.Context, table, where string, args ...any) (int, error) {
	q := "SELECT COUNT(*) FROM " + table
	if where != "" {
		q += " WHERE " + where
	}
	var n int
	err := db.writer.QueryRowContext(ctx, db.d.rebind(q), args...).Scan(&n)
	return n, err
}

// Statements counts the statements run through the store's transactions so far (tests
// count what one call costs).
func (db *DB) Statements() int64 { return db.work.statements.Load() }
