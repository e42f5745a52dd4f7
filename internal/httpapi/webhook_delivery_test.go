package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/webhook"
)

// TestWebhookRetries: a receiver that answers 500, or too late, gets the delivery again
// until it answers 2xx; the log shows the attempts and the last answer.
func TestWebhookRetries(t *testing.T) {
	e := newEnv(t)
	admin := e.adminToken()
	rc := newReceiver(t)
	rc.answer = func(r received, attempt int) int {
		switch {
		case r.Event == "message.didCreate" && attempt <= 2:
			return 500
		case r.Event == "message.didUpdate" && attempt == 1:
			time.Sleep(400 * time.Millisecond) // past the timeout: the dispatcher gave up on it
			return 200
		}
		return 200
	}
	w := e.register(admin, map[string]any{"url": rc.srv.URL, "eventTypes": []string{"message.didCreate", "message.didUpdate"}})
	id := w["webhookId"].(string)
	e.dispatch(webhook.Options{Timeout: 150 * time.Millisecond})
	alice, _ := e.user("alice")
	ch := e.createChannel(alice, map[string]any{"channelId": "c"})
	m := e.send(alice, text(internalID(ch), "one"))
	e.do(req{method: "PUT", path: "/api/v5/messages/" + m["messageId"].(string), token: alice, body: map[string]any{"data": map[string]any{"text": "two"}}}).ok()
	ds := e.deliveryLog(admin, id, func(ds []map[string]any) bool {
		return len(ds) == 2 && ds[0]["status"] == "delivered" && ds[1]["status"] == "delivered"
	})
	created, updated := ds[1], ds[0]
	if created["event"] != "message.didCreate" || created["attempts"] != 3.0 || created["lastStatusCode"] != 200.0 {
		t.Errorf("after two 500s: %v", created)
	}
	if updated["attempts"] != 2.0 {
		t.Errorf("after a timeout: %v", updated)
	}
	// The same delivery keeps its webhook-id over attempts; the update waited for the
	// create (one channel's queue).
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.seen[created["deliveryId"].(string)] != 3 || rc.seen[updated["deliveryId"].(string)] < 2 {
		t.Errorf("attempts seen by the receiver: %v", rc.seen)
	}
	if rc.got[0].Event != "message.didCreate" {
		t.Errorf("order: %s", events(rc.got))
	}
}

// TestWebhookDisable: an endpoint that fails for longer than DisableAfter is disabled,
// with webhook.didDisable on the admin topic (an endpoint that takes it); its deliveries
// that ran out of retries are failed, and a replay sends them once it is enabled again.
func TestWebhookDisable(t *testing.T) {
	e := newEnv(t)
	admin := e.adminToken()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }))
	defer down.Close()
	rc := newReceiver(t)
	bad := e.register(admin, map[string]any{"url": down.URL, "eventTypes": []string{"message.didCreate"}})
	e.register(admin, map[string]any{"url": rc.srv.URL, "eventTypes": []string{"webhook.didDisable"}})
	badID := bad["webhookId"].(string)
	var clk clock
	e.dispatch(webhook.Options{Clock: clk.now, RetryFor: 25 * time.Hour, DisableAfter: 24 * time.Hour})
	alice, _ := e.user("alice")
	ch := e.createChannel(alice, map[string]any{"channelId": "c"})
	e.send(alice, text(internalID(ch), "one"))
	e.deliveryLog(admin, badID, func(ds []map[string]any) bool { return len(ds) == 1 && ds[0]["attempts"].(float64) >= 2 })
	if got := e.do(req{method: "GET", path: "/api/v1/webhooks/" + badID, token: admin}).ok().JSON(); got["enabled"] != true || got["failingSince"] == nil {
		t.Fatalf("after a few failures: %v", got)
	}
	// A day later it still fails: disabled, and the admin topic hears of it.
	clk.advance(24*time.Hour + time.Minute)
	got := rc.wait("webhook.didDisable", func(g []received) bool { return len(g) == 1 })
	if d := got[0].Data; got[0].Event != "webhook.didDisable" || d["webhookId"] != badID || d["url"] != down.URL {
		t.Fatalf("disable event: %s", got[0].Body)
	}
	w := e.do(req{method: "GET", path: "/api/v1/webhooks/" + badID, token: admin}).ok().JSON()
	if w["enabled"] != false || w["disabledReason"] == "" {
		t.Fatalf("after a day of failures: %v", w)
	}
	// Retried for 25 h after its first attempt, then failed for good.
	clk.advance(2 * time.Hour)
	e.do(req{method: "PUT", path: "/api/v1/webhooks/" + badID, token: admin, body: map[string]any{"enabled": true}}).ok()
	ds := e.deliveryLog(admin, badID, func(ds []map[string]any) bool { return ds[0]["status"] == "failed" })
	if ds[0]["lastStatusCode"] != 503.0 {
		t.Fatalf("failed delivery: %v", ds[0])
	}
	// Enabled again and pointed at a receiver that works: a replay by id sends it.
	e.do(req{method: "PUT", path: "/api/v1/webhooks/" + badID, token: admin, body: map[string]any{"url": rc.srv.URL}}).ok()
	r := e.do(req{method: "POST", path: "/api/v1/webhooks/" + badID + "/replay", token: admin, body: map[string]any{"deliveryIds": []string{ds[0]["deliveryId"].(string), "999999", "x"}}}).ok().JSON()
	if r["replayed"] != 1.0 {
		t.Fatalf("replayed %v", r)
	}
	rc.wait("the replayed message", func(g []received) bool { return len(rc.byEvent(g, "message.didCreate")) == 1 })
}

// TestWebhookReplay re-sends a time range; the receiver sees the same webhook-ids again.
func TestWebhookReplay(t *testing.T) {
	e := newEnv(t)
	admin := e.adminToken()
	rc := newReceiver(t)
	w := e.register(admin, map[string]any{"url": rc.srv.URL, "eventTypes": []string{"message.didCreate"}})
	id := w["webhookId"].(string)
	e.dispatch(webhook.Options{})
	alice, _ := e.user("alice")
	ch := e.createChannel(alice, map[string]any{"channelId": "c"})
	for i := range 3 {
		e.send(alice, text(internalID(ch), fmt.Sprint(i)))
	}
	rc.wait("3 messages", func(g []received) bool { return len(g) == 3 })
	e.deliveryLog(admin, id, func(ds []map[string]any) bool { return ds[0]["status"] == "delivered" })
	e.clock.Advance(5 * time.Millisecond) // the mark is after the first three
	mark := e.now()
	e.clock.Advance(5 * time.Millisecond) // and before the fourth
	e.send(alice, text(internalID(ch), "3"))
	rc.wait("4 messages", func(g []received) bool { return len(g) == 4 })
	e.deliveryLog(admin, id, func(ds []map[string]any) bool { return len(ds) == 4 && ds[0]["status"] == "delivered" })
	r := e.do(req{method: "POST", path: "/api/v1/webhooks/" + id + "/replay", token: admin,
		body: map[string]any{"from": "2020-01-01T00:00:00.000Z", "to": mark.String()}}).ok().JSON()
	if r["replayed"] != 3.0 {
		t.Fatalf("replayed %v", r)
	}
	got := rc.wait("the replay", func(g []received) bool { return len(g) == 7 })
	for i := range 3 {
		if got[4+i].Header.Get("webhook-id") != got[i].Header.Get("webhook-id") || string(got[4+i].Body) != string(got[i].Body) {
			t.Errorf("replay %d differs from the first send", i)
		}
	}
}

// TestWebhookOrdering: one channel's events reach an endpoint one at a time in commit
// order, even when attempts fail at random; other channels go on meanwhile, within the
// endpoint's concurrency limit.
func TestWebhookOrdering(t *testing.T) {
	e := newEnv(t)
	admin := e.adminToken()
	var mu sync.Mutex
	busy := map[string]int{} // channel → attempts under way
	maxBusy, total, maxTotal := 0, 0, 0
	rc := newReceiver(t)
	rc.answer = func(r received, attempt int) int {
		ch := r.Data["messages"].([]any)[0].(map[string]any)["channelId"].(string)
		mu.Lock()
		busy[ch]++
		total++
		maxBusy, maxTotal = max(maxBusy, busy[ch]), max(maxTotal, total)
		mu.Unlock()
		time.Sleep(time.Duration(rand.IntN(3)) * time.Millisecond)
		mu.Lock()
		busy[ch]--
		total--
		mu.Unlock()
		if rand.IntN(4) == 0 {
			return 500
		}
		return 200
	}
	e.register(admin, map[string]any{"url": rc.srv.URL, "eventTypes": []string{"message.didCreate"}, "maxConcurrency": 3})
	e.dispatch(webhook.Options{})
	alice, _ := e.user("alice")
	const channels, perChannel = 4, 15
	feeds := make([]string, channels)
	for i := range feeds {
		feeds[i] = internalID(e.createChannel(alice, map[string]any{"channelId": fmt.Sprint("c", i)}))
	}
	var wg sync.WaitGroup
	for _, feed := range feeds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perChannel {
				e.send(alice, text(feed, fmt.Sprint(i)))
			}
		}()
	}
	wg.Wait()
	got := rc.wait("every message", func(g []received) bool { return len(g) == channels*perChannel })
	next := map[string]float64{}
	for _, g := range got {
		m := g.Data["messages"].([]any)[0].(map[string]any)
		ch, seg := m["channelId"].(string), m["segment"].(float64)
		if seg != next[ch]+1 {
			t.Fatalf("channel %s: segment %v after %v", ch, seg, next[ch])
		}
		next[ch] = seg
	}
	if maxBusy != 1 || maxTotal > 3 {
		t.Fatalf("at most %d attempts at once for one channel (want 1), %d for the endpoint (limit 3)", maxBusy, maxTotal)
	}
	t.Logf("up to %d attempts at once", maxTotal)
}

// TestWebhookOneNodeAtATime: two dispatchers on one database (two nodes) never attempt a
// delivery at the same time, and each delivery answered 200 is sent once.
func TestWebhookOneNodeAtATime(t *testing.T) {
	e := newEnv(t)
	admin := e.adminToken()
	rc := newReceiver(t)
	var mu sync.Mutex
	inFlight := map[string]bool{}
	overlap := 0
	rc.answer = func(r received, attempt int) int {
		id := r.Header.Get("webhook-id")
		mu.Lock()
		if inFlight[id] {
			overlap++
		}
		inFlight[id] = true
		mu.Unlock()
		time.Sleep(time.Millisecond)
		mu.Lock()
		delete(inFlight, id)
		mu.Unlock()
		return 200
	}
	e.register(admin, map[string]any{"url": rc.srv.URL, "eventTypes": []string{"message.didCreate"}, "maxConcurrency": 8})
	e.dispatch(webhook.Options{})
	second := webhook.New(e.svc, webhook.Options{Poll: 5 * time.Millisecond})
	done := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { second.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	alice, _ := e.user("alice")
	for i := range 8 {
		feed := internalID(e.createChannel(alice, map[string]any{"channelId": fmt.Sprint("c", i)}))
		for j := range 5 {
			e.send(alice, text(feed, fmt.Sprint(j)))
		}
	}
	rc.wait("40 messages", func(g []received) bool { return len(g) == 40 })
	time.Sleep(100 * time.Millisecond)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for id, n := range rc.seen {
		if n != 1 {
			t.Errorf("delivery %s sent %d times", id, n)
		}
	}
	if overlap > 0 {
		t.Fatalf("%d attempts overlapped another of the same delivery", overlap)
	}
}

// TestPreSendHook: allow, deny with an Amity code, change the text, and the default
// action when the hook is late (fail open, then fail closed).
func TestPreSendHook(t *testing.T) {
	e := newEnv(t, func(c *envConfig) { c.PreSend = webhook.NewPreSend(nil, nil) })
	admin := e.adminToken()
	alice, _ := e.user("alice")
	feed := internalID(e.createChannel(alice, map[string]any{"channelId": "c"}))
	var mu sync.Mutex
	var last received
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body []byte
		body, _ = io.ReadAll(r.Body)
		var in chat.PreSendRequest
		json.Unmarshal(body, &in)
		mu.Lock()
		last = received{Header: r.Header.Clone(), Body: body, Event: in.EventName}
		mu.Unlock()
		var text struct {
			Text string `json:"text"`
		}
		json.Unmarshal(in.Data.Data, &text)
		switch text.Text {
		case "spam":
			w.Write([]byte(`{"action":"deny","message":"No spam.","code":400302}`))
		case "odd code":
			w.Write([]byte(`{"action":"deny","code":123}`))
		case "darn":
			w.Write([]byte(`{"action":"allow","data":{"text":"d**n"}}`))
		case "erase":
			w.Write([]byte(`{"action":"allow","data":{"text":""}}`))
		case "slow":
			time.Sleep(500 * time.Millisecond) // past the 200 ms timeout: this answer is never read
			w.Write([]byte(`{"action":"allow","data":{"text":"late"}}`))
		case "garbage":
			w.Write([]byte(`not json`))
		default:
			w.Write([]byte(`{"action":"allow"}`))
		}
	}))
	defer hook.Close()
	// No hook configured: messages go through.
	e.send(alice, text(feed, "spam"))
	cfg := e.do(req{method: "GET", path: "/api/v3/network-settings/prehook", token: admin}).ok().JSON()
	if cfg["enabled"] != false || cfg["defaultAction"] != "allow" || cfg["timeout"] != 1500.0 {
		t.Fatalf("default settings: %v", cfg)
	}
	for _, body := range []any{
		map[string]any{"timeout": 10},
		map[string]any{"defaultAction": "maybe"},
		map[string]any{"callbackUrl": "gopher://x"},
		map[string]any{"enabled": true}, // no URL
		map[string]any{"secret": "short"},
		`[`,
	} {
		e.do(req{method: "PUT", path: "/api/v3/network-settings/prehook", token: admin, body: body}).expect(400, 400000)
	}
	e.do(req{method: "PUT", path: "/api/v3/network-settings/prehook", token: alice, body: map[string]any{"enabled": false}}).expect(403, 400301)
	cfg = e.do(req{method: "PUT", path: "/api/v3/network-settings/prehook", token: admin,
		body: map[string]any{"enabled": true, "callbackUrl": hook.URL, "timeout": 200}}).ok().JSON()
	secret := cfg["secret"].(string)

	m := e.send(alice, text(feed, "hello"))
	if m["data"].(map[string]any)["text"] != "hello" {
		t.Fatalf("allowed: %v", m)
	}
	mu.Lock()
	verify(t, secret, last)
	var in map[string]any
	json.Unmarshal(last.Body, &in)
	mu.Unlock()
	if in["eventName"] != "message.shouldCreate" || in["actor"].(map[string]any)["userId"] != "alice" || in["data"].(map[string]any)["messageFeedId"] != feed {
		t.Fatalf("hook request: %v", in)
	}
	before := e.count("messages", "")
	e.do(req{method: "POST", path: "/api/v5/messages", token: alice, body: text(feed, "spam")}).expect(403, 400302)
	e.do(req{method: "POST", path: "/api/v5/messages", token: alice, body: text(feed, "odd code")}).expect(403, 400300)
	if m := e.send(alice, text(feed, "darn")); m["data"].(map[string]any)["text"] != "d**n" {
		t.Fatalf("changed text: %v", m)
	}
	// A change is checked like the client's own text.
	e.do(req{method: "POST", path: "/api/v5/messages", token: alice, body: text(feed, "erase")}).expect(400, 400000)
	// Late or nonsense: fail open by default.
	if m := e.send(alice, text(feed, "slow")); m["data"].(map[string]any)["text"] != "slow" {
		t.Fatalf("fail open: %v", m)
	}
	e.send(alice, text(feed, "garbage"))
	if n := e.count("messages", ""); n != before+3 {
		t.Fatalf("%d messages stored, want %d", n, before+3)
	}
	// Fail closed.
	e.do(req{method: "PUT", path: "/api/v3/network-settings/prehook", token: admin, body: map[string]any{"defaultAction": "deny"}}).ok()
	e.do(req{method: "POST", path: "/api/v5/messages", token: alice, body: text(feed, "slow")}).expect(403, 400300)
	e.do(req{method: "POST", path: "/api/v5/messages", token: alice, body: text(feed, "garbage")}).expect(403, 400300)
	e.send(alice, text(feed, "fine"))
	// Disabled: no call.
	e.do(req{method: "PUT", path: "/api/v3/network-settings/prehook", token: admin, body: map[string]any{"enabled": false}}).ok()
	e.send(alice, text(feed, "spam"))
}
