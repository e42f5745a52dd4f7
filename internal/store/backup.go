package store

// Backups of the SQLite file, for `parley backup` and `parley restore`. They open the
// file with their own connection, so they run from another process beside a serving
// node. PostgreSQL has its own tools (pg_dump, pg_restore), which the binary points to.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrInUse is returned by RestoreSQLite when another connection has the database open:
// a server still running on it.
var ErrInUse = errors.New("the database is in use (stop every parley process using it first)")

// BackupSQLite writes a consistent copy of the SQLite database at dbPath to dst while
// the server keeps running. VACUUM INTO reads one snapshot (a WAL read transaction), so
// the copy holds every transaction committed before it began and no part of any later
// one; writers go on meanwhile. The copy is written beside dst, synced, checked, and only
// then renamed to dst, so dst never holds a partial file. dst must not exist.
func BackupSQLite(ctx context.Context, dbPath, dst string) error {
	if _, err := os.Stat(dbPath); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	if _, err := os.Lstat(dst); err == nil {
		return fmt.Errorf("%s exists: choose a new file name", dst)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), filepath.Base(dst)+".partial-*")
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	tmp.Close()
	os.Remove(tmpName) // VACUUM INTO wants to create the file itself
	defer os.Remove(tmpName)

	// mode=rw: never create an empty database where there was none. (query_only would
	// refuse VACUUM INTO; the connection runs that one statement.)
	src, done, err := openConn(ctx, dbPath, "mode=rw&_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer done()
	if _, err := src.ExecContext(ctx, `VACUUM INTO ?`, tmpName); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	// VACUUM INTO does not sync what it wrote.
	if err := syncFile(tmpName); err != nil {
		return err
	}
	if err := CheckSQLite(ctx, tmpName); err != nil {
		return fmt.Errorf("the backup failed its check: %w", err)
	}
	if err := os.Rename(tmpName, dst); err != nil {
		return err
	}
	return syncFile(filepath.Dir(dst))
}

// RestoreSQLite replaces the database at dbPath (created when missing) with the backup
// at src, after checking src. It refuses with ErrInUse while any other connection has
// dbPath open, and holds an exclusive lock from that check to the end, so no server can
// open the database half restored. The pages are copied by SQLite's backup API.
func RestoreSQLite(ctx context.Context, src, dbPath string) error {
	if err := CheckSQLite(ctx, src); err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	if err := os.MkdirAll(filepath.Dir(dbPath), 0o750); err != nil {
		return err
	}
	conn, done, err := openConn(ctx, dbPath, "_pragma=busy_timeout(0)")
	if err != nil {
		return err
	}
	defer done()
	// Leaving WAL mode needs every other connection closed: a running server keeps its
	// connections open, so this is the in-use test. In exclusive locking mode the lock
	// taken by the first write is then held until this connection closes.
	var mode string
	if _, err := conn.ExecContext(ctx, `PRAGMA locking_mode=EXCLUSIVE`); err != nil {
		return err
	}
	if err := conn.QueryRowContext(ctx, `PRAGMA journal_mode=DELETE`).Scan(&mode); err != nil {
		return inUse(err)
	}
	if _, err := conn.ExecContext(ctx, `BEGIN EXCLUSIVE; COMMIT`); err != nil {
		return inUse(err)
	}
	err = conn.Raw(func(dc any) error {
		r, ok := dc.(interface {
			NewRestore(string) (*msqlite.Backup, error)
		})
		if !ok {
			return errors.New("the SQLite driver has no backup API")
		}
		b, err := r.NewRestore(src)
		if err != nil {
			return err
		}
		if _, err := b.Step(-1); err != nil {
			b.Finish()
			return err
		}
		return b.Finish()
	})
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	return integrity(ctx, conn)
}

// CheckSQLite tells whether the file is a sound Parley database this binary can open:
// SQLite's integrity and foreign-key checks pass, and it holds no migration newer than
// the binary's.
func CheckSQLite(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err != nil {
		return err
	}
	conn, done, err := openConn(ctx, path, "mode=ro")
	if err != nil {
		return err
	}
	defer done()
	if err := integrity(ctx, conn); err != nil {
		return err
	}
	rows, err := conn.QueryContext(ctx, `SELECT name FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("not a Parley database: %w", err)
	}
	applied, err := collect(rows, nil, scanString)
	if err != nil {
		return err
	}
	known, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	for _, name := range applied {
		if !slices.Contains(known, "migrations/"+name) {
			return fmt.Errorf("it was written by a newer Parley (migration %s is unknown here)", name)
		}
	}
	return nil
}

// integrity runs SQLite's integrity and foreign-key checks.
func integrity(ctx context.Context, conn *sql.Conn) error {
	rows, err := conn.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return err
	}
	problems, err := collect(rows, nil, scanString)
	if err != nil {
		return err
	}
	if len(problems) != 1 || problems[0] != "ok" {
		return fmt.Errorf("integrity check: %s", strings.Join(problems, "; "))
	}
	var table string
	var rowid sql.NullInt64
	var parent string
	var fk int
	err = conn.QueryRowContext(ctx, `PRAGMA foreign_key_check`).Scan(&table, &rowid, &parent, &fk)
	if err == nil {
		return fmt.Errorf("foreign key check: a row of %s points to a missing row of %s", table, parent)
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	return nil
}

// openConn opens one connection of its own to the SQLite file; done closes it.
func openConn(ctx context.Context, path, params string) (conn *sql.Conn, done func(), err error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, nil, err
	}
	db, err := sql.Open("sqlite", "file:"+abs+"?"+params)
	if err != nil {
		return nil, nil, err
	}
	if conn, err = db.Conn(ctx); err != nil {
		db.Close()
		return nil, nil, err
	}
	return conn, func() { conn.Close(); db.Close() }, nil
}

// inUse turns SQLite's "database is locked" into ErrInUse.
func inUse(err error) error {
	var se *msqlite.Error
	if errors.As(err, &se) && (se.Code()&0xff == sqlite3.SQLITE_BUSY || se.Code()&0xff == sqlite3.SQLITE_LOCKED) {
		return ErrInUse
	}
	return err
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
