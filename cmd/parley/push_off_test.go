package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/store/storetest"
)

// TestServeWithoutPushWritesNoPushJobs: the store a server opens writes push jobs only
// when a push provider is configured (docs/push.md, "Push off").
func TestServeWithoutPushWritesNoPushJobs(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flags []string
		jobs  int
	}{
		{"push off", nil, 0},
		{"push webhook", []string{"-push-webhook-url=http://127.0.0.1:9/push"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg, err := parseConfig(append([]string{"-data-dir=" + dir, "-db="}, tc.flags...))
			if err != nil {
				t.Fatal(err)
			}
			if off, r := cfg.Push.off(), mustRouter(t, cfg.Push); off == r.Configured() {
				t.Fatalf("off() %v disagrees with the router (configured %v)", off, r.Configured())
			}
			db, err := openStore(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			ev := chat.Event{Type: chat.EventChannelCreated, ChannelID: "ch1",
				Data: &chat.ChannelPayload{Channels: []chat.Channel{{ID: "ch1", ChannelID: "c", Type: "community"}}}}
			ev.Push, _ = chat.PushJobFor(ev) // what the domain hands the store
			if err := db.Write(context.Background(), func(tx chat.Tx) error { return tx.AppendEvent(ev) }); err != nil {
				t.Fatal(err)
			}
			db.Close()
			again := storetest.OpenAt(t, filepath.Join(dir, "parley.db"), store.Options{})
			if n := storetest.Count(t, again, "push_jobs", ""); n != tc.jobs {
				t.Fatalf("%d push jobs, want %d", n, tc.jobs)
			}
		})
	}
}

func mustRouter(t *testing.T, p pushConfig) interface{ Configured() bool } {
	t.Helper()
	r, err := p.router()
	if err != nil {
		t.Fatal(err)
	}
	return r
}
