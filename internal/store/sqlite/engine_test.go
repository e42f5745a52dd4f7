package sqlite

// The engine's own tests, on a table of their own (kv). Group commit: concurrent units
// share one transaction, and a unit that fails or panics undoes itself alone. The tests
// force several units into one batch without timing: the first unit holds the writer
// until the others are queued behind it.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/store/sqlite/sqlitetest"
)

// createKV is the Setup of every test engine: the one table the tests write.
func createKV(ctx context.Context, pool *sql.DB) error {
	_, err := pool.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)`)
	return err
}

func openForTest(t *testing.T, opt Options) *Engine {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "test.db"), opt)
}

func openAt(t *testing.T, path string, opt Options) *Engine {
	t.Helper()
	if opt.Synchronous == "" {
		opt.Synchronous = "NORMAL"
	}
	// The group-commit tests queue writers on purpose and count the batches they form; on
	// a loaded machine a batch could outlive the 10 ms age limit and split.
	opt.MaxBatchAge = time.Minute
	opt.Setup = createKV
	e, err := Open(context.Background(), path, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// unitFn is what Write runs.
type unitFn = func(Querier, *Batch) error

// setKey is a unit that writes one key.
func setKey(key string) unitFn {
	return func(q Querier, _ *Batch) error {
		_, err := q.ExecContext(context.Background(), `INSERT INTO kv (key, value) VALUES (?, '1')`, key)
		return err
	}
}

// batchOf runs first, then the others queued behind it so that all land in one batch
// (sqlitetest.BatchOf), and returns each one's outcome.
func batchOf(t *testing.T, e *Engine, first unitFn, others ...unitFn) (error, []error) {
	t.Helper()
	ctx := context.Background()
	rest := make([]func() error, len(others))
	for i, fn := range others {
		rest[i] = func() error { return e.Write(ctx, fn) }
	}
	return sqlitetest.BatchOf(t, func() int { return e.Stats().Queued }, func(hold func()) error {
		return e.Write(ctx, func(q Querier, b *Batch) error { hold(); return first(q, b) })
	}, rest...)
}

// exists reads key through a reader.
func exists(t *testing.T, e *Engine, key string) bool {
	t.Helper()
	var n int
	err := e.Read(context.Background(), func(q Querier) error {
		return q.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM kv WHERE key = ?`, key).Scan(&n)
	})
	if err != nil {
		t.Fatal(err)
	}
	return n == 1
}

func TestGroupCommitUndoesOnlyTheFailingUnit(t *testing.T) {
	e := openForTest(t, Options{})
	s0 := e.Stats()
	refused := errors.New("refused by the domain")
	firstErr, errs := batchOf(t, e, setKey("a"),
		func(q Querier, b *Batch) error {
			if err := setKey("b")(q, b); err != nil { // written, then undone with its unit
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
		if got := exists(t, e, key); got != want {
			t.Errorf("key %s exists: %v, want %v", key, got, want)
		}
	}
	s := e.Stats()
	if s.Units-s0.Units != 3 || s.Commits-s0.Commits != 1 {
		t.Errorf("%d units in %d commits, want 3 in 1 (one batch)", s.Units-s0.Units, s.Commits-s0.Commits)
	}
}

func TestGroupCommitUndoesOnlyThePanickingUnit(t *testing.T) {
	e := openForTest(t, Options{})
	firstErr, errs := batchOf(t, e, setKey("a"),
		func(q Querier, b *Batch) error {
			setKey("b")(q, b)
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
		if got := exists(t, e, key); got != want {
			t.Errorf("key %s exists: %v, want %v", key, got, want)
		}
	}
	// The writer is still usable.
	if err := e.Write(context.Background(), setKey("e")); err != nil || !exists(t, e, "e") {
		t.Fatalf("write after a panic: %v", err)
	}
}

// A unit that breaks a constraint is undone alone: SQLite rolls back the statement, the
// savepoint the rest of the unit, and the batch commits the others.
func TestGroupCommitConstraintErrorInOneUnit(t *testing.T) {
	e := openForTest(t, Options{})
	if err := e.Write(context.Background(), setKey("dup")); err != nil {
		t.Fatal(err)
	}
	firstErr, errs := batchOf(t, e, setKey("a"),
		func(q Querier, b *Batch) error {
			if err := setKey("b")(q, b); err != nil {
				return err
			}
			return setKey("dup")(q, b) // unique key: fails
		},
		setKey("c"),
	)
	if firstErr != nil || errs[1] != nil || errs[0] == nil {
		t.Fatalf("units a, b, c: %v %v %v, want nil, an error, nil", firstErr, errs[0], errs[1])
	}
	for key, want := range map[string]bool{"a": true, "b": false, "c": true, "dup": true} {
		if got := exists(t, e, key); got != want {
			t.Errorf("key %s exists: %v, want %v", key, got, want)
		}
	}
}

// Units of one batch see the changes of the units before them, share its Batch, and the
// commit hooks see that batch once, before and after its COMMIT.
func TestGroupCommitUnitsSeeEarlierUnitsOfTheBatch(t *testing.T) {
	var mu sync.Mutex
	var hooked []string
	e := openForTest(t, Options{Hooks: Hooks{
		BeforeCommit: func(b *Batch) { mu.Lock(); hooked = append(hooked, fmt.Sprint("before ", b.Data)); mu.Unlock() },
		AfterCommit:  func(b *Batch) { mu.Lock(); hooked = append(hooked, fmt.Sprint("after ", b.Data)); mu.Unlock() },
	}})
	var seen int
	var batches []*Batch
	record := func(fn unitFn) unitFn {
		return func(q Querier, b *Batch) error {
			batches = append(batches, b) // units run one at a time, on the writer goroutine
			if b.Data == nil {
				b.Data = 0
			}
			b.Data = b.Data.(int) + 1
			return fn(q, b)
		}
	}
	firstErr, errs := batchOf(t, e, record(setKey("a")),
		record(func(q Querier, _ *Batch) error {
			return q.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM kv WHERE key = 'a'`).Scan(&seen)
		}),
	)
	if firstErr != nil || errs[0] != nil {
		t.Fatalf("units: %v %v", firstErr, errs[0])
	}
	if seen != 1 {
		t.Errorf("the second unit saw %d rows of the first one's insert, want 1", seen)
	}
	if len(batches) != 2 || batches[0] != batches[1] {
		t.Errorf("the units ran in %d batches, want one shared", len(batches))
	}
	if fmt.Sprint(hooked) != "[before 2 after 2]" {
		t.Errorf("hooks saw %v, want [before 2 after 2]", hooked)
	}
}

// A unit whose request was cancelled while it waited for the writer never runs; one
// cancelled while running still runs to the end (an interrupted statement would roll back
// the whole shared transaction).
func TestGroupCommitCancelledUnits(t *testing.T) {
	e := openForTest(t, Options{})
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	if err := e.Write(gone, setKey("never")); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled write: %v, want context.Canceled", err)
	}
	running, cancelRunning := context.WithCancel(context.Background())
	err := e.Write(running, func(q Querier, _ *Batch) error {
		cancelRunning()
		_, err := q.ExecContext(running, `INSERT INTO kv (key, value) VALUES ('finished', '1')`)
		return err
	})
	if err != nil || !exists(t, e, "finished") || exists(t, e, "never") {
		t.Fatalf("write cancelled while running: %v", err)
	}
}

// With synchronous=FULL the engine fsyncs the WAL itself, after releasing the writer:
// the next batch runs during the fsync, while neither a Write nor a Read that saw the
// commit answers before the fsync is done.
func TestWALSyncRunsOutsideTheWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "test.db")
	ctx := context.Background()
	for reopen := 0; reopen < 2; reopen++ { // the second open finds no WAL file: Close removed it
		e, err := Open(ctx, path, Options{Synchronous: "FULL", Setup: createKV})
		if err != nil {
			t.Fatal(err)
		}
		if e.w.wal.file == nil {
			t.Fatal("FULL: the engine does not own the WAL fsync")
		}
		var level int
		if err := e.w.conn.conn.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&level); err != nil || level != 1 {
			t.Fatalf("writer synchronous = %d (%v), want 1 (NORMAL)", level, err)
		}
		if err := e.Write(ctx, setKey(fmt.Sprintf("open%d", reopen))); err != nil {
			t.Fatal(err)
		}
		e.Close()
	}

	e := openAt(t, path, Options{Synchronous: "FULL"})
	entered, release := make(chan struct{}, 8), make(chan struct{})
	var failNext bool
	var mu sync.Mutex
	e.w.wal.fsync = func() error {
		entered <- struct{}{}
		<-release
		mu.Lock()
		defer mu.Unlock()
		if failNext {
			return errors.New("disk gone")
		}
		return nil
	}
	syncs0 := e.Stats().Syncs

	done := make(chan string, 3)
	go func() {
		if err := e.Write(ctx, setKey("a")); err != nil {
			t.Error(err)
		}
		done <- "write a"
	}()
	<-entered // a's batch committed and waits for the disk, the writer is free

	ranB := make(chan struct{})
	go func() {
		err := e.Write(ctx, func(q Querier, b *Batch) error {
			close(ranB)
			return setKey("b")(q, b)
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
		err := e.Read(ctx, func(q Querier) error {
			var n int
			err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM kv WHERE key = 'a'`).Scan(&n)
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
	if n := e.Stats().Syncs - syncs0; n < 1 {
		t.Errorf("Stats counted %d fsyncs, want at least 1", n)
	}

	// A failed fsync fails its writes and every write after it: nothing is durable any more.
	mu.Lock()
	failNext = true
	mu.Unlock()
	if err := e.Write(ctx, setKey("c")); err == nil {
		t.Fatal("a write whose fsync failed was acknowledged")
	}
	mu.Lock()
	failNext = false
	mu.Unlock()
	if err := e.Write(ctx, setKey("d")); err == nil {
		t.Fatal("a write after a failed fsync was acknowledged")
	}
}

// Write returns only after its batch's commit: once it has returned, a reader sees the
// row, and Stats counts one commit per lone write.
func TestWriteReturnsAfterTheCommit(t *testing.T) {
	e := openForTest(t, Options{})
	s0 := e.Stats()
	for i := 0; i < 20; i++ {
		key := fmt.Sprintf("k%d", i)
		if err := e.Write(context.Background(), setKey(key)); err != nil {
			t.Fatal(err)
		}
		if !exists(t, e, key) {
			t.Fatalf("%s: a read after Write returned does not see it", key)
		}
	}
	if s := e.Stats(); s.Units-s0.Units != 20 || s.Commits-s0.Commits != 20 {
		t.Errorf("20 lone writes: %d units in %d commits, want 20 in 20", s.Units-s0.Units, s.Commits-s0.Commits)
	}
}

// A write that comes after Close (a late request during shutdown) fails; it does not
// panic or hang.
func TestWriteAfterCloseFails(t *testing.T) {
	e := openForTest(t, Options{})
	if err := e.Write(context.Background(), setKey("before")); err != nil {
		t.Fatal(err)
	}
	e.Close()
	done := make(chan error, 1)
	go func() { done <- e.Write(context.Background(), setKey("after")) }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("a write after Close answered %v, want ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a write after Close hangs")
	}
}
