package realtime_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/realtime"
	"github.com/parley-chat/parley/internal/store/storetest"
)

// The relay publishes at least once, in commit order, and a restart (here: stopping it
// mid-batch) neither loses nor reorders events, including those committed while it was
// down.
func TestRelayRestartLosesAndReordersNothing(t *testing.T) {
	e := newEnv(t, envOptions{noRelay: true})
	u := e.login("u1")
	c := e.connect("tcp", u)
	c.subscribe(e.net() + "/user/" + u.ID)
	const before, during = 300, 50
	for i := range before {
		e.appendEvent(chat.Event{Type: "user.updated", UserIDs: []string{u.ID}, Data: map[string]int{"i": i}})
	}

	var got []int
	read := func() int {
		var d struct{ I int }
		r := c.next()
		if err := json.Unmarshal(r.Msg.Data, &d); err != nil {
			t.Fatal(err)
		}
		got = append(got, d.I)
		return d.I
	}
	// The first relay "crashes" after publishing the batch that passes seq 100 but
	// before confirming it: that batch must be published again, nothing after it lost.
	ctx, crash := context.WithCancel(context.Background())
	first := realtime.NewRelay(e.broker, crashingOutbox{Outbox: e.db, at: 100, crash: crash, crashed: new(atomic.Bool)})
	first.Batch = 7
	first.Run(ctx) // returns after the crash
	for i := before; i < before+during; i++ {
		e.appendEvent(chat.Event{Type: "user.updated", UserIDs: []string{u.ID}, Data: map[string]int{"i": i}})
	}
	second := realtime.NewRelay(e.broker, e.db)
	second.Batch = 7
	e.startRelay(second)

	seen := map[int]bool{}
	for _, v := range got {
		seen[v] = true
	}
	for len(seen) < before+during {
		seen[read()] = true
	}
	// In order: every value is at most one past the highest seen so far (a restart may
	// repeat a tail, never skip ahead), and first sightings come as 0, 1, 2, …
	high, next, dups := -1, 0, 0
	for _, v := range got {
		if v > high+1 {
			t.Fatalf("event %d arrived before %d: %v", v, high+1, got)
		}
		if v == next {
			next++
		} else {
			dups++
		}
		high = max(high, v)
	}
	if next != before+during {
		t.Fatalf("first sightings reached %d of %d", next, before+during)
	}
	if dups == 0 {
		t.Error("the unconfirmed batch was not sent again")
	}
	t.Logf("%d events, %d re-sent after the restart", before+during, dups)
	waitFor(t, "outbox drained", func() bool { return count(t, e, "outbox") == 0 })
}

// crashingOutbox cancels the relay when it is about to confirm a batch through seq at
// or beyond at, so the confirmation never happens.
// crashingOutbox "crashes" the relay when it confirms through seq at: its context ends,
// and from then on nothing it does reaches the database (a crashed process confirms
// nothing more, not even on its way out).
type crashingOutbox struct {
	realtime.Outbox
	at      int64
	crash   func()
	crashed *atomic.Bool
}

func (o crashingOutbox) DeleteEventsThrough(ctx context.Context, seq int64) error {
	if seq >= o.at || o.crashed.Load() {
		o.crashed.Store(true)
		o.crash()
		return errors.New("crashed")
	}
	return o.Outbox.DeleteEventsThrough(ctx, seq)
}

func count(t *testing.T, e *env, table string) int {
	return storetest.Count(t, e.db, table, "")
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Events whose type starts with internal. drive the nodes and never reach clients.
func TestInternalEventsAreNotPublished(t *testing.T) {
	e := newEnv(t, envOptions{})
	u := e.login("u1")
	c := e.connect("ws", u)
	c.subscribe(e.ownTopics(u)...)
	e.appendEvent(chat.Event{Type: "internal.somethingNodesDo", UserIDs: []string{u.ID}, Network: true, Data: map[string]string{"secret": "x"}})
	e.appendEvent(chat.Event{Type: "user.updated", UserIDs: []string{u.ID}, Data: map[string]string{}})
	if r := c.next(); r.Msg.EventType != "user.updated" {
		t.Errorf("client received %s", r.Msg.EventType)
	}
}

// user.deleted-style events with Network set go to the network topic.
func TestNetworkEventsReachEveryone(t *testing.T) {
	e := newEnv(t, envOptions{})
	u1, u2 := e.login("u1"), e.login("u2")
	c1, c2 := e.connect("ws", u1), e.connect("tcp", u2)
	c1.subscribe(e.ownTopics(u1)...)
	c2.subscribe(e.ownTopics(u2)...)
	e.appendEvent(chat.Event{Type: "user.deleted", Network: true, Data: map[string]any{"users": []any{}}})
	for _, c := range []*client{c1, c2} {
		if r := c.next(); r.Topic != e.net() || r.Msg.EventType != "user.deleted" {
			t.Errorf("got %s on %s", r.Msg.EventType, r.Topic)
		}
	}
}

func TestMetrics(t *testing.T) {
	e := newEnv(t, envOptions{})
	u := e.login("u1")
	c := e.connect("ws", u)
	c.subscribe(e.ownTopics(u)...)
	e.http("PUT", "/api/v3/users", u.Token, map[string]any{"userId": "u1", "displayName": "M"})
	c.next()
	// The relay counts an event once its fan-out returned, which can be just after the
	// client got it.
	want := []string{
		"parley_mqtt_clients_connected 1", "parley_mqtt_events_published_total 1",
		"parley_mqtt_fanout_seconds_count 1", "parley_mqtt_event_delay_seconds_count 1",
	}
	waitFor(t, "the event's metrics", func() bool {
		res, err := http.Get(e.srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		for _, w := range want {
			if !strings.Contains(string(body), w) {
				return false
			}
		}
		return true
	})
}

// Published events are deleted from the outbox at most every ConfirmEvery, and all of
// them when the relay stops: a restart then sends nothing again.
func TestRelayConfirmsLazilyAndWhenItStops(t *testing.T) {
	e := newEnv(t, envOptions{noRelay: true})
	u := e.login("u1")
	c := e.connect("tcp", u)
	c.subscribe(e.net() + "/user/" + u.ID)
	r := realtime.NewRelay(e.broker, e.db)
	r.ConfirmEvery = time.Hour
	e.appendEvent(chat.Event{Type: "user.updated", UserIDs: []string{u.ID}, Data: map[string]int{"i": 0}})
	e.startRelay(r)
	c.next()
	waitFor(t, "the first batch confirmed", func() bool { return count(t, e, "outbox") == 0 })
	for i := 1; i <= 3; i++ {
		e.appendEvent(chat.Event{Type: "user.updated", UserIDs: []string{u.ID}, Data: map[string]int{"i": i}})
	}
	for range 3 {
		c.next()
	}
	if n := count(t, e, "outbox"); n != 3 {
		t.Fatalf("%d events left in the outbox right after publishing, want all 3 (the next confirmation is an hour away)", n)
	}
	e.stopRelay()
	if n := count(t, e, "outbox"); n != 0 {
		t.Fatalf("%d published events left in the outbox after the relay stopped", n)
	}
}
