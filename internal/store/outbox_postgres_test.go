package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/store/storetest"
)

// On PostgreSQL writers append events without waiting for each other, so a later seq
// can commit while an earlier one is still running. The relay must not pass it until
// the earlier one has ended, or it would never see the earlier one (outbox.go, "Commit
// order without a lock").
func TestOutboxHoldsEventsBehindARunningWriter(t *testing.T) {
	storetest.Require(t, "postgres")
	forSoleWriter(t, func(t *testing.T, db *store.DB) {
		commit := holdWrite(t, db, func(tx chat.Tx) error { return tx.AppendEvent(chat.Event{Type: "first", Data: 1}) })
		write(t, db, func(tx chat.Tx) error { return tx.AppendEvent(chat.Event{Type: "second", Data: 2}) })

		short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		if evs, err := db.PendingEvents(short, 0, 10); err != nil || len(evs) != 0 {
			t.Fatalf("while the first writer runs: %v %v, want nothing", types(evs), err)
		}
		if err := commit(); err != nil {
			t.Fatal(err)
		}
		evs, err := db.PendingEvents(ctx, 0, 10)
		if err != nil || len(evs) != 2 || evs[0].Type != "first" || evs[1].Type != "second" {
			t.Fatalf("after both committed: %v %v, want [first second]", types(evs), err)
		}
	})
}

// forSoleWriter runs a test on a store that shares its database with other processes and
// on one that is its only writer (Options.SoleWriter: the relay bounds what it passes
// by this process's own writers, without pg_locks).
func forSoleWriter(t *testing.T, test func(t *testing.T, db *store.DB)) {
	for _, sole := range []bool{false, true} {
		t.Run(map[bool]string{false: "shared", true: "sole writer"}[sole], func(t *testing.T) {
			test(t, storetest.OpenAt(t, storetest.Target(t, "postgres"), store.Options{Synchronous: "NORMAL", SoleWriter: sole}))
		})
	}
}

// The concurrent relay test, on a sole writer (conformance_test.go runs it shared).
func TestOutboxConcurrentRelaySoleWriter(t *testing.T) {
	storetest.Require(t, "postgres")
	testOutboxConcurrentRelay(t, storetest.OpenAt(t, storetest.Target(t, "postgres"), store.Options{Synchronous: "NORMAL", SoleWriter: true}))
}

// A transaction that appends no event, however long it runs, does not hold events back.
func TestOutboxPassesEventsBesideALongTransaction(t *testing.T) {
	storetest.Require(t, "postgres")
	forSoleWriter(t, func(t *testing.T, db *store.DB) {
		holdWrite(t, db, func(tx chat.Tx) error { return tx.PutSetting("long", "x") }) // it has a transaction id
		write(t, db, func(tx chat.Tx) error { return tx.AppendEvent(chat.Event{Type: "e", Data: 1}) })

		short, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		defer cancel()
		if evs, err := db.PendingEvents(short, 0, 10); err != nil || len(evs) != 1 {
			t.Fatalf("beside a long transaction: %v %v, want [e]", types(evs), err)
		}
	})
}

// holdWrite runs fn in a write transaction that stays open until commit is called (at
// the latest when the test ends, so that a failure leaves no writer waiting); commit
// returns Write's error.
func holdWrite(t *testing.T, db *store.DB, fn func(chat.Tx) error) (commit func() error) {
	ran, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- db.Write(ctx, func(tx chat.Tx) error {
			if err := fn(tx); err != nil {
				return err
			}
			close(ran)
			<-release
			return nil
		})
	}()
	var once sync.Once
	var err error
	commit = func() error {
		once.Do(func() { close(release); err = <-done })
		return err
	}
	t.Cleanup(func() { commit() })
	select {
	case <-ran:
	case err := <-done:
		done <- err // for commit, which the cleanup calls
		t.Fatalf("the held write failed: %v", err)
	}
	return commit
}

func types(evs []chat.OutboxEvent) []string {
	var out []string
	for _, e := range evs {
		out = append(out, string(e.Type))
	}
	return out
}

// A unit that appends events commits without waiting for the WAL flush, so that its row
// locks go at once, and Write waits for the flush before it returns (outbox.go,
// "Durable before told"): what the unit wrote is on disk when its caller is answered.
func TestEventUnitsReleaseLocksBeforeTheFlushAndWriteWaitsForIt(t *testing.T) {
	storetest.Require(t, "postgres")
	db := storetest.Open(t, "postgres")
	for range 20 {
		syncCommit, lsn, err := store.AppendEventReadingWAL(db)
		if err != nil {
			t.Fatal(err)
		}
		if syncCommit != "off" {
			t.Fatalf("synchronous_commit %q in a unit that appended an event, want off", syncCommit)
		}
		if ok, err := store.FlushedPast(db, lsn); err != nil || !ok {
			t.Fatalf("after Write returned, the WAL is not flushed past the unit's writes (%v)", err)
		}
	}
}
