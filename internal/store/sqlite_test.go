package store

// Group commit on SQLite: concurrent units share one transaction, and a unit that fails
// or panics undoes itself alone. The tests force several units into one batch without
// timing: the first unit holds the writer until the others are queued behind it.

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/chat"
)

func openSQLiteForTest(t *testing.T) *DB {
	t.Helper()
	db, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "parley.db"), Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	// The group-commit tests queue writers on purpose and count the batches they form; on
	// a loaded machine a batch could outlive the 10 ms age limit and split.
	db.w.maxAge = time.Minute
	return db
}

// setKey is a unit that writes one setting.
func setKey(key string) func(chat.Tx) error {
	return func(ct chat.Tx) error {
		_, err := ct.(*tx).exec(`INSERT INTO settings (key, value) VALUES (?, '1')`, key)
		return err
	}
}

// waitQueued waits until n Write calls are queued behind the running unit.
func waitQueued(t *testing.T, db *DB, n int32) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for db.w.queued.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d writes queued, want %d", db.w.queued.Load(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// batchOf runs first, then the others queued behind it so that all land in one batch,
// and returns each one's outcome (others in order of their index; a panic is reported
// as an error naming it).
func batchOf(t *testing.T, db *DB, first func(chat.Tx) error, others ...func(chat.Tx) error) (error, []error) {
	t.Helper()
	var firstErr error
	errs := make([]error, len(others))
	var wg sync.WaitGroup
	started := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		firstErr = db.Write(context.Background(), func(ct chat.Tx) error {
			close(started)
			waitQueued(t, db, int32(len(others)))
			return first(ct)
		})
	}()
	<-started
	for i, fn := range others {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if p := recover(); p != nil {
					errs[i] = fmt.Errorf("panic: %v", p)
				}
			}()
			errs[i] = db.Write(context.Background(), fn)
		}()
	}
	wg.Wait()
	return firstErr, errs
}

func settingExists(t *testing.T, db *DB, key string) bool {
	t.Helper()
	n, err := db.Count(context.Background(), "settings", "key = ?", key)
	if err != nil {
		t.Fatal(err)
	}
	return n == 1
}

func TestGroupCommitUndoesOnlyTheFailingUnit(t *testing.T) {
	db := openSQLiteForTest(t)
	units0, commits0 := db.WriteStats()
	refused := errors.New("refused by the domain")
	firstErr, errs := batchOf(t, db, setKey("a"),
		func(ct chat.Tx) error {
			if err := setKey("b")(ct); err != nil { // written, then undone with its unit
				return err
			}
			return refused
		},
		setKey("c"),
		setKey("d"),
	)
	if firstErr != nil || errs[1] != nil || errs[2] != nil {
		t.Fatalf("units a, c, d: %v %v %v, want nil", firstErr, errs[1], errs[2])
	}
	if !errors.Is(errs[0], refused) {
		t.Fatalf("unit b: %v, want its own error", errs[0])
	}
	for key, want := range map[string]bool{"a": true, "b": false, "c": true, "d": true} {
		if got := settingExists(t, db, key); got != want {
			t.Errorf("setting %s exists: %v, want %v", key, got, want)
		}
	}
	units, commits := db.WriteStats()
	if units-units0 != 3 || commits-commits0 != 1 {
		t.Errorf("%d units in %d commits, want 3 in 1 (one batch)", units-units0, commits-commits0)
	}
}

func TestGroupCommitUndoesOnlyThePanickingUnit(t *testing.T) {
	db := openSQLiteForTest(t)
	firstErr, errs := batchOf(t, db, setKey("a"),
		func(ct chat.Tx) error {
			setKey("b")(ct)
			panic("bug in a unit")
		},
		setKey("c"),
	)
	if firstErr != nil || errs[1] != nil {
		t.Fatalf("units a, c: %v %v, want nil", firstErr, errs[1])
	}
	if errs[0] == nil || errs[0].Error() != "panic: bug in a unit" {
		t.Fatalf("unit b: %v, want its panic", errs[0])
	}
	for key, want := range map[string]bool{"a": true, "b": false, "c": true} {
		if got := settingExists(t, db, key); got != want {
			t.Errorf("setting %s exists: %v, want %v", key, got, want)
		}
	}
	// The writer is still usable.
	if err := db.Write(context.Background(), setKey("e")); err != nil || !settingExists(t, db, "e") {
		t.Fatalf("write after a panic: %v", err)
	}
}

// A unit that breaks a constraint is undone alone: SQLite rolls back the statement, the
// savepoint the rest of the unit, and the batch commits the others.
func TestGroupCommitConstraintErrorInOneUnit(t *testing.T) {
	db := openSQLiteForTest(t)
	if err := db.Write(context.Background(), setKey("dup")); err != nil {
		t.Fatal(err)
	}
	firstErr, errs := batchOf(t, db, setKey("a"),
		func(ct chat.Tx) error {
			if err := setKey("b")(ct); err != nil {
				return err
			}
			return setKey("dup")(ct) // unique key: fails
		},
		setKey("c"),
	)
	if firstErr != nil || errs[1] != nil || errs[0] == nil {
		t.Fatalf("units a, b, c: %v %v %v, want nil, an error, nil", firstErr, errs[0], errs[1])
	}
	for key, want := range map[string]bool{"a": true, "b": false, "c": true, "dup": true} {
		if got := settingExists(t, db, key); got != want {
			t.Errorf("setting %s exists: %v, want %v", key, got, want)
		}
	}
}

// A unit whose request was cancelled while it waited for the writer never runs; one
// cancelled while running still runs to the end (an interrupted statement would roll back
// the whole shared transaction).
func TestGroupCommitCancelledUnits(t *testing.T) {
	db := openSQLiteForTest(t)
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	if err := db.Write(gone, setKey("never")); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled write: %v, want context.Canceled", err)
	}
	running, cancelRunning := context.WithCancel(context.Background())
	err := db.Write(running, func(ct chat.Tx) error {
		cancelRunning()
		return setKey("finished")(ct)
	})
	if err != nil || !settingExists(t, db, "finished") || settingExists(t, db, "never") {
		t.Fatalf("write cancelled while running: %v", err)
	}
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

// With synchronous=FULL the store fsyncs the WAL itself, after releasing the writer: the
// next batch runs during the fsync, while neither a Write nor a Read that saw the commit
// answers before the fsync is done.
func TestWALSyncRunsOutsideTheWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "parley.db")
	ctx := context.Background()
	for reopen := 0; reopen < 2; reopen++ { // the second open finds no WAL file: Close removed it
		db, err := OpenSQLite(ctx, path, Options{Synchronous: "FULL"})
		if err != nil {
			t.Fatal(err)
		}
		if db.w.wal.file == nil {
			t.Fatal("FULL: the store does not own the WAL fsync")
		}
		var level int
		if err := db.w.conn.conn.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&level); err != nil || level != 1 {
			t.Fatalf("writer synchronous = %d (%v), want 1 (NORMAL)", level, err)
		}
		if err := db.Write(ctx, setKey(fmt.Sprintf("open%d", reopen))); err != nil {
			t.Fatal(err)
		}
		db.Close()
	}

	db, err := OpenSQLite(ctx, path, Options{Synchronous: "FULL"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	entered, release := make(chan struct{}, 8), make(chan struct{})
	var failNext bool
	var mu sync.Mutex
	db.w.wal.fsync = func() error {
		entered <- struct{}{}
		<-release
		mu.Lock()
		defer mu.Unlock()
		if failNext {
			return errors.New("disk gone")
		}
		return nil
	}

	done := make(chan string, 3)
	go func() {
		if err := db.Write(ctx, setKey("a")); err != nil {
			t.Error(err)
		}
		done <- "write a"
	}()
	<-entered // a's batch committed and waits for the disk, the writer is free

	ranB := make(chan struct{})
	go func() {
		err := db.Write(ctx, func(ct chat.Tx) error {
			close(ranB)
			return setKey("b")(ct)
		})
		if err != nil {
			t.Error(err)
		}
		done <- "write b"
	}()
	select {
	case <-ranB:
	case <-time.After(10 * time.Second):
		t.Fatal("a second write did not run while the first one's fsync was under way")
	}
	seen := make(chan int, 1)
	go func() {
		err := db.Read(ctx, func(ct chat.Tx) error {
			var n int
			err := ct.(*tx).queryRow(`SELECT COUNT(*) FROM settings WHERE key = 'a'`).Scan(&n)
			seen <- n
			return err
		})
		if err != nil {
			t.Error(err)
		}
		done <- "read"
	}()
	if n := <-seen; n != 1 {
		t.Fatalf("the read saw %d rows of the committed write, want 1", n)
	}
	select {
	case what := <-done:
		t.Fatalf("%s answered before the fsync of what it wrote or saw", what)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	for i := 0; i < 3; i++ {
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("writes or the read still wait after the fsync")
		}
	}

	// A failed fsync fails its writes and every write after it: nothing is durable any more.
	mu.Lock()
	failNext = true
	mu.Unlock()
	if err := db.Write(ctx, setKey("c")); err == nil {
		t.Fatal("a write whose fsync failed was acknowledged")
	}
	mu.Lock()
	failNext = false
	mu.Unlock()
	if err := db.Write(ctx, setKey("d")); err == nil {
		t.Fatal("a write after a failed fsync was acknowledged")
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
		if !errors.Is(err, errStoreClosed) {
			t.Fatalf("a write after Close answered %v, want errStoreClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a write after Close hangs")
	}
}
