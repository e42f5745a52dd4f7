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
	db := storetest.Open(t, "postgres")
	appended, release, firstDone := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		firstDone <- db.Write(ctx, func(tx chat.Tx) error {
			if err := tx.AppendEvent(chat.Event{Type: "first", Data: 1}); err != nil {
				return err
			}
			close(appended)
			<-release
			return nil
		})
	}()
	var once sync.Once
	finish := func() { once.Do(func() { close(release) }) }
	defer finish() // a failure below must not leave the first writer waiting
	<-appended
	write(t, db, func(tx chat.Tx) error { return tx.AppendEvent(chat.Event{Type: "second", Data: 2}) })

	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if evs, err := db.PendingEvents(short, 0, 10); err != nil || len(evs) != 0 {
		t.Fatalf("while the first writer runs: %v %v, want nothing", types(evs), err)
	}
	finish()
	if err := <-firstDone; err != nil {
		t.Fatal(err)
	}
	evs, err := db.PendingEvents(ctx, 0, 10)
	if err != nil || len(evs) != 2 || evs[0].Type != "first" || evs[1].Type != "second" {
		t.Fatalf("after both committed: %v %v, want [first second]", types(evs), err)
	}
}

func types(evs []store.OutboxEvent) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}

// A transaction that appends no event, however long it runs, does not hold events back.
func TestOutboxPassesEventsBesideALongTransaction(t *testing.T) {
	storetest.Require(t, "postgres")
	db := storetest.Open(t, "postgres")
	started, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- db.Write(ctx, func(tx chat.Tx) error {
			if err := tx.PutSetting("long", "x"); err != nil { // it has a transaction id
				return err
			}
			close(started)
			<-release
			return nil
		})
	}()
	var once sync.Once
	finish := func() { once.Do(func() { close(release) }) }
	defer func() { finish(); <-done }()
	<-started
	write(t, db, func(tx chat.Tx) error { return tx.AppendEvent(chat.Event{Type: "e", Data: 1}) })

	short, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	if evs, err := db.PendingEvents(short, 0, 10); err != nil || len(evs) != 1 {
		t.Fatalf("beside a long transaction: %v %v, want [e]", types(evs), err)
	}
}
