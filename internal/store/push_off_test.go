package store_test

import (
	"testing"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/store/storetest"
)

// TestPushOffWritesNoJobs: with no push provider (Options.NoPushJobs) an event that
// pushes writes its outbox row and no push job; with push on it writes both. On
// PostgreSQL the event's statement is the one data-modifying WITH, so both of its shapes
// are covered.
func TestPushOffWritesNoJobs(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			storetest.Require(t, d)
			for _, off := range []bool{false, true} {
				db := storetest.OpenAt(t, storetest.Target(t, d), store.Options{Synchronous: "NORMAL", NoPushJobs: off})
				ev := chat.Event{Type: chat.EventChannelCreated, ChannelID: "ch1",
					Data: &chat.ChannelPayload{Channels: []chat.Channel{{ID: "ch1", ChannelID: "c", Type: "community"}}}}
				var ok bool
				if ev.Push, ok = chat.PushJobFor(ev); !ok { // what the domain hands the store
					t.Fatal("the event must be one that pushes")
				}
				write(t, db, func(tx chat.Tx) error { return tx.AppendEvent(ev) })
				jobs, events := storetest.Count(t, db, "push_jobs", ""), storetest.Count(t, db, "outbox", "")
				want := 1
				if off {
					want = 0
				}
				if events != 1 || jobs != want {
					t.Fatalf("push off %v: %d events, %d push jobs; want 1 and %d", off, events, jobs, want)
				}
			}
		})
	}
}
