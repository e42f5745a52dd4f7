package store

// Backup and restore of the SQLite file. The consistency of a backup taken under a real
// write load is proved end to end in cmd/parley (backup_test.go); these tests hold the
// rules: a copy while the store serves, no restore over an open database, no restore of
// a damaged or foreign file, no overwriting of an existing backup.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestBackupWhileOpenRestoresTheCommittedRows(t *testing.T) {
	ctx := context.Background()
	db := openSQLiteForTest(t)
	for i := range 50 {
		if err := db.Write(ctx, setKey(fmt.Sprintf("k%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	dst := filepath.Join(t.TempDir(), "backup.db")
	if err := BackupSQLite(ctx, db.path(t), dst); err != nil {
		t.Fatal(err)
	}
	if err := BackupSQLite(ctx, db.path(t), dst); err == nil {
		t.Fatal("a second backup to the same file overwrote it")
	}
	target := filepath.Join(t.TempDir(), "restored.db")
	if err := RestoreSQLite(ctx, dst, target); err != nil {
		t.Fatal(err)
	}
	restored, err := OpenSQLite(ctx, target, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	if n, err := restored.Count(ctx, "settings", "key LIKE 'k%'"); err != nil || n != 50 {
		t.Fatalf("restored %d settings rows (err %v), want 50", n, err)
	}
}

func TestBackupOfAMissingDatabaseCreatesNothing(t *testing.T) {
	dir := t.TempDir()
	err := BackupSQLite(context.Background(), filepath.Join(dir, "none.db"), filepath.Join(dir, "b.db"))
	if err == nil {
		t.Fatal("backup of a missing database succeeded")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("left %d files behind: %v", len(entries), entries)
	}
}

func TestRestoreRefusesADatabaseInUse(t *testing.T) {
	ctx := context.Background()
	db := openSQLiteForTest(t)
	if err := db.Write(ctx, setKey("live")); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "other.db")
	otherDB, err := OpenSQLite(ctx, other, Options{})
	if err != nil {
		t.Fatal(err)
	}
	otherDB.Close()
	backup := filepath.Join(t.TempDir(), "b.db")
	if err := BackupSQLite(ctx, other, backup); err != nil {
		t.Fatal(err)
	}
	if err := RestoreSQLite(ctx, backup, db.path(t)); !errors.Is(err, ErrInUse) {
		t.Fatalf("restore over an open database: %v, want ErrInUse", err)
	}
	// The open store goes on unharmed, with its row.
	if err := db.Write(ctx, setKey("after")); err != nil {
		t.Fatal(err)
	}
	if n, err := db.Count(ctx, "settings", "key IN ('live', 'after')"); err != nil || n != 2 {
		t.Fatalf("the open store has %d of its 2 rows (err %v)", n, err)
	}
}

func TestRestoreRefusesADamagedOrForeignFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	target := filepath.Join(dir, "parley.db")
	db, err := OpenSQLite(ctx, target, Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Write(ctx, setKey("kept"))
	db.Close()

	garbage := filepath.Join(dir, "garbage.db")
	os.WriteFile(garbage, []byte("this is not a database, only some bytes"), 0o600)

	foreign := filepath.Join(dir, "foreign.db")
	f, done, err := openConn(ctx, foreign, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.ExecContext(ctx, `CREATE TABLE notes (x TEXT)`); err != nil {
		t.Fatal(err)
	}
	done()

	// A backup whose pages were damaged after it was written.
	damaged := filepath.Join(dir, "damaged.db")
	if err := BackupSQLite(ctx, target, damaged); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(damaged)
	for i := 4096 + 100; i < len(b) && i < 4096*3; i++ {
		b[i] ^= 0x5a
	}
	os.WriteFile(damaged, b, 0o600)

	newer := filepath.Join(dir, "newer.db")
	if err := BackupSQLite(ctx, target, newer); err != nil {
		t.Fatal(err)
	}
	n, done, err := openConn(ctx, newer, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.ExecContext(ctx, `INSERT INTO schema_migrations (name) VALUES ('9999_future.sql')`); err != nil {
		t.Fatal(err)
	}
	done()

	for _, bad := range []string{garbage, foreign, damaged, newer, filepath.Join(dir, "missing.db")} {
		if err := RestoreSQLite(ctx, bad, target); err == nil {
			t.Errorf("restore of %s succeeded", filepath.Base(bad))
		} else {
			t.Logf("%s: %v", filepath.Base(bad), err)
		}
	}
	db, err = OpenSQLite(ctx, target, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n, err := db.Count(ctx, "settings", "key = 'kept'"); err != nil || n != 1 {
		t.Fatalf("the refused restores changed the database: %d rows (err %v)", n, err)
	}
}

// path is the file the test store was opened on.
func (db *DB) path(t *testing.T) string {
	t.Helper()
	var seq int
	var name, file string
	if err := db.writer.QueryRow(`PRAGMA database_list`).Scan(&seq, &name, &file); err != nil {
		t.Fatal(err)
	}
	return file
}
