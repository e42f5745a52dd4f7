package store

// The store on the SQLite engine. The engine's own behaviour (group commit, the WAL
// fsync) is tested in internal/store/sqlite; these helpers let the store's tests force
// several units into one batch without timing: the first unit holds the writer until
// the others are queued behind it.

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/chat"
	engine "github.com/parley-chat/parley/internal/store/sqlite"
	"github.com/parley-chat/parley/internal/store/sqlite/sqlitetest"
)

func openSQLiteForTest(t *testing.T) *DB {
	t.Helper()
	// The group-commit tests queue writers on purpose and count the batches they form; on
	// a loaded machine a batch could outlive the 10 ms age limit and split.
	db, err := openSQLite(context.Background(), filepath.Join(t.TempDir(), "parley.db"), Options{Synchronous: "NORMAL"}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// setKey is a unit that writes one setting.
func setKey(key string) func(chat.Tx) error {
	return func(ct chat.Tx) error {
		_, err := ct.(*tx).exec(`INSERT INTO settings (key, value) VALUES (?, '1')`, key)
		return err
	}
}

// batchOf runs first, then the others queued behind it so that all land in one batch
// (sqlitetest.BatchOf), and returns each one's outcome.
func batchOf(t *testing.T, db *DB, first func(chat.Tx) error, others ...func(chat.Tx) error) (error, []error) {
	t.Helper()
	ctx := context.Background()
	rest := make([]func() error, len(others))
	for i, fn := range others {
		rest[i] = func() error { return db.Write(ctx, fn) }
	}
	return sqlitetest.BatchOf(t, func() int { return int(db.lite.Stats().Queued) }, func(hold func()) error {
		return db.Write(ctx, func(ct chat.Tx) error { hold(); return first(ct) })
	}, rest...)
}

// Reads see only committed batches, and a read's statements are prepared once per
// connection and reused.
func TestReadsSeeCommittedWrites(t *testing.T) {
	db := openSQLiteForTest(t)
	for i := 0; i < 50; i++ {
		key := fmt.Sprintf("k%d", i)
		if err := db.Write(context.Background(), setKey(key)); err != nil {
			t.Fatal(err)
		}
		err := db.Read(context.Background(), func(ct chat.Tx) error {
			v, _, err := ct.Setting(key)
			if err == nil && v != "1" {
				err = fmt.Errorf("setting %s = %q after its write, want 1", key, v)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// A write that comes after Close (a late request during shutdown) fails; it does not
// panic or hang.
func TestWriteAfterCloseFails(t *testing.T) {
	db, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "parley.db"), Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Write(context.Background(), setKey("before")); err != nil {
		t.Fatal(err)
	}
	db.Close()
	done := make(chan error, 1)
	go func() { done <- db.Write(context.Background(), setKey("after")) }()
	select {
	case err := <-done:
		if !errors.Is(err, engine.ErrClosed) {
			t.Fatalf("a write after Close answered %v, want engine.ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a write after Close hangs")
	}
}
