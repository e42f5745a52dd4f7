package store_test

import (
	"testing"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/store/storetest"
)

// TestUnconfiguredSendersCostNoStatement: with no webhook endpoint registered and no push
// provider, an event that would push and be sent to webhooks costs the statements of an
// event that does neither, and the commit leaves the senders nothing to wake for. With an
// endpoint registered, the same event writes a delivery and wakes the webhook sender.
func TestUnconfiguredSendersCostNoStatement(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			storetest.Require(t, d)
			db := storetest.OpenAt(t, storetest.Target(t, d), store.Options{Synchronous: "NORMAL", NoPushJobs: true})
			plain := chat.Event{Type: "plain", ChannelID: "ch0", Data: 1}
			ev := chat.Event{Type: chat.EventChannelCreated, ChannelID: "ch1",
				Data: &chat.ChannelPayload{Channels: []chat.Channel{{ID: "ch1", ChannelID: "c", Type: "community"}}}}
			ev.Push, _ = chat.PushJobFor(ev) // what the domain hands the store
			ev.Webhooks = chat.WebhookEventsOf(ev.Type)
			if ev.Push == nil || len(ev.Webhooks) == 0 {
				t.Fatal("the event must be one that pushes and is sent to webhooks")
			}
			cost := func(e chat.Event) int64 {
				before := db.Statements()
				write(t, db, func(tx chat.Tx) error { return tx.AppendEvent(e) })
				return db.Statements() - before
			}
			db.TakeWork()
			if p, e := cost(plain), cost(ev); e != p {
				t.Fatalf("unconfigured: the event cost %d statements, one with nothing to send %d", e, p)
			}
			if hooks, push := db.TakeWork(); hooks || push {
				t.Fatalf("unconfigured: commits left work for webhooks %v, push %v", hooks, push)
			}
			write(t, db, func(tx chat.Tx) error {
				return tx.InsertWebhookEndpoint(&chat.WebhookEndpoint{ID: "wh1", URL: "http://127.0.0.1:1/", Secret: "s", Enabled: true, MaxConcurrency: 1})
			})
			db.TakeWork()
			cost(ev)
			if hooks, push := db.TakeWork(); !hooks || push {
				t.Fatalf("with an endpoint: work for webhooks %v (want true), push %v (want false)", hooks, push)
			}
			if n := storetest.Count(t, db, "webhook_deliveries", ""); n == 0 {
				t.Fatal("with an endpoint: no delivery written")
			}
		})
	}
}
