package httpapi_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/webhook"
)

// receiver is an operator's webhook endpoint in the test process. It checks nothing
// itself: it records every request, and answers what answer says.
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	got    []received
	answer func(r received, attempt int) int // HTTP status; nil: 200
	seen   map[string]int                    // webhook-id → attempts
	wake   chan struct{}
}

type received struct {
	Header http.Header
	Body   []byte
	Event  string
	Data   map[string]any
	At     time.Time
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{t: t, seen: map[string]int{}, wake: make(chan struct{}, 1)}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var env struct {
			Event string         `json:"event"`
			Data  map[string]any `json:"data"`
		}
		json.Unmarshal(body, &env)
		got := received{Header: r.Header.Clone(), Body: body, Event: env.Event, Data: env.Data, At: time.Now()}
		rc.mu.Lock()
		id := r.Header.Get("webhook-id")
		rc.seen[id]++
		attempt := rc.seen[id]
		answer := rc.answer
		rc.mu.Unlock()
		status := 200
		if answer != nil {
			status = answer(got, attempt)
		}
		if status == 200 {
			rc.mu.Lock()
			rc.got = append(rc.got, got)
			rc.mu.Unlock()
		}
		w.WriteHeader(status)
		select {
		case rc.wake <- struct{}{}:
		default:
		}
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

// wait returns the requests answered 200 once cond holds for them (10 s at most).
func (rc *receiver) wait(what string, cond func([]received) bool) []received {
	rc.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		rc.mu.Lock()
		got := append([]received{}, rc.got...)
		rc.mu.Unlock()
		if cond(got) {
			return got
		}
		select {
		case <-rc.wake:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			rc.t.Fatalf("waited 10 s for %s; got %d deliveries: %s", what, len(got), events(got))
		}
	}
}

func events(got []received) string {
	var out []string
	for _, g := range got {
		out = append(out, g.Event)
	}
	return strings.Join(out, " ")
}

func (rc *receiver) byEvent(got []received, event string) []received {
	var out []received
	for _, g := range got {
		if g.Event == event {
			out = append(out, g)
		}
	}
	return out
}

// clock is a test's time: the real time plus an offset the test moves forward.
type clock struct{ offset atomic.Int64 }

func (c *clock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) advance(d time.Duration) { c.offset.Add(int64(d)) }

// dispatch runs a webhook dispatcher on the env's service until the test ends.
func (e *env) dispatch(opt webhook.Options) *webhook.Dispatcher {
	if opt.Poll == 0 {
		opt.Poll = 20 * time.Millisecond
	}
	if opt.BaseBackoff == 0 {
		opt.BaseBackoff, opt.MaxBackoff = time.Millisecond, 5*time.Millisecond
	}
	d := webhook.New(e.svc, opt)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	e.svc.OnCommit(d.Wake)
	e.t.Cleanup(func() { cancel(); <-done })
	return d
}

// register makes an endpoint through the API and returns it.
func (e *env) register(admin string, body map[string]any) map[string]any {
	e.t.Helper()
	return e.do(req{method: "POST", path: "/api/v1/webhooks", token: admin, body: body}).ok().JSON()
}

// verify checks a delivery's signatures with HMACs computed here, independently of the
// webhook package: Amity's over the body, and Standard Webhooks' over id.timestamp.body.
func verify(t *testing.T, secret string, g received) {
	t.Helper()
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(g.Body)
	if want := base64.StdEncoding.EncodeToString(m.Sum(nil)); g.Header.Get("x-amity-signature") != want {
		t.Errorf("%s: x-amity-signature %q, want %q", g.Event, g.Header.Get("x-amity-signature"), want)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if !strings.HasPrefix(secret, "whsec_") || err != nil {
		key = []byte(secret)
	}
	id, ts := g.Header.Get("webhook-id"), g.Header.Get("webhook-timestamp")
	m = hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "." + string(g.Body)))
	if want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil)); g.Header.Get("webhook-signature") != want {
		t.Errorf("%s: webhook-signature %q, want %q", g.Event, g.Header.Get("webhook-signature"), want)
	}
	if n, err := strconv.ParseInt(ts, 10, 64); err != nil || time.Since(time.Unix(n, 0)).Abs() > time.Minute {
		t.Errorf("%s: webhook-timestamp %q", g.Event, ts)
	}
	if id == "" || g.Header.Get("Content-Type") != "application/json" {
		t.Errorf("%s: headers %v", g.Event, g.Header)
	}
}

// deliveryLog reads an endpoint's delivery log (100 newest) until cond holds (10 s).
func (e *env) deliveryLog(admin, id string, cond func([]map[string]any) bool) []map[string]any {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var page struct {
			Deliveries []map[string]any `json:"deliveries"`
		}
		e.do(req{method: "GET", path: "/api/v1/webhooks/" + id + "/deliveries?options%5Blimit%5D=100", token: admin}).ok().Decode(&page)
		if cond(page.Deliveries) {
			return page.Deliveries
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("delivery log never got there: %v", page.Deliveries)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func ids(list any, key string) []string {
	var out []string
	for _, v := range list.([]any) {
		out = append(out, v.(map[string]any)[key].(string))
	}
	return out
}

func TestWebhookAdmin(t *testing.T) {
	e := newEnv(t)
	admin := e.adminToken()
	alice, _ := e.user("alice")
	// Only global admins.
	e.do(req{method: "POST", path: "/api/v1/webhooks", token: alice, body: map[string]any{"url": "http://127.0.0.1:1/x"}}).expect(403, 400301)
	e.do(req{method: "GET", path: "/api/v1/webhooks", token: alice}).expect(403, 400301)
	e.do(req{method: "GET", path: "/api/v3/network-settings/prehook", token: alice}).expect(403, 400301)
	// Bad input is a 400000 that writes nothing.
	for _, body := range []any{
		map[string]any{},
		map[string]any{"url": "ftp://127.0.0.1/x"},
		map[string]any{"url": "not a url"},
		map[string]any{"url": "http://127.0.0.1:1/x", "secret": "short"},
		map[string]any{"url": "http://127.0.0.1:1/x", "eventTypes": []string{"message.didExplode"}},
		map[string]any{"url": "http://127.0.0.1:1/x", "maxConcurrency": 0},
		map[string]any{"url": "http://127.0.0.1:1/x", "maxConcurrency": 65},
		map[string]any{"url": 5},
		`{"url":`,
	} {
		e.do(req{method: "POST", path: "/api/v1/webhooks", token: admin, body: body}).expect(400, 400000)
	}
	if n := e.count("webhook_endpoints", ""); n != 0 {
		t.Fatalf("%d endpoints after refusals", n)
	}
	// Register: a generated secret in the Standard Webhooks form.
	w := e.register(admin, map[string]any{"url": "http://127.0.0.1:1/a", "eventTypes": []string{"message.didCreate"}})
	if !strings.HasPrefix(w["secret"].(string), "whsec_") || w["enabled"] != true || w["maxConcurrency"] != 4.0 {
		t.Fatalf("registered: %v", w)
	}
	id := w["webhookId"].(string)
	w2 := e.register(admin, map[string]any{"url": "https://127.0.0.1:1/b", "secret": "0123456789abcdef-given", "enabled": false, "maxConcurrency": 2})
	if w2["secret"] != "0123456789abcdef-given" || w2["enabled"] != false || len(w2["eventTypes"].([]any)) != 0 {
		t.Fatalf("registered with a secret: %v", w2)
	}
	// List, paged; get.
	page := e.do(req{method: "GET", path: "/api/v1/webhooks?options%5Blimit%5D=1", token: admin}).ok().JSON()
	if got := ids(page["webhooks"], "webhookId"); !reflect.DeepEqual(got, []string{id}) {
		t.Fatalf("first page %v", got)
	}
	next := page["paging"].(map[string]any)["next"].(string)
	page = e.do(req{method: "GET", path: "/api/v1/webhooks?options%5Btoken%5D=" + next, token: admin}).ok().JSON()
	if got := ids(page["webhooks"], "webhookId"); !reflect.DeepEqual(got, []string{w2["webhookId"].(string)}) {
		t.Fatalf("second page %v", got)
	}
	if got := e.do(req{method: "GET", path: "/api/v1/webhooks/" + id, token: admin}).ok().JSON(); got["url"] != "http://127.0.0.1:1/a" {
		t.Fatalf("get: %v", got)
	}
	// Update, rotate, delete.
	up := e.do(req{method: "PUT", path: "/api/v1/webhooks/" + id, token: admin, body: map[string]any{"eventTypes": []string{"channel.didCreate", "v5.message.didCreate"}, "enabled": false}}).ok().JSON()
	if !reflect.DeepEqual(up["eventTypes"], []any{"channel.didCreate", "v5.message.didCreate"}) || up["enabled"] != false || up["url"] != w["url"] {
		t.Fatalf("updated: %v", up)
	}
	e.do(req{method: "PUT", path: "/api/v1/webhooks/" + id, token: admin, body: map[string]any{"url": ""}}).expect(400, 400000)
	rot := e.do(req{method: "POST", path: "/api/v1/webhooks/" + id + "/rotate-secret", token: admin}).ok().JSON()
	if rot["secret"] == w["secret"] || !strings.HasPrefix(rot["secret"].(string), "whsec_") {
		t.Fatalf("rotated: %v", rot)
	}
	e.do(req{method: "DELETE", path: "/api/v1/webhooks/" + id, token: admin}).ok()
	e.do(req{method: "GET", path: "/api/v1/webhooks/" + id, token: admin}).expect(404, 400400)
	e.do(req{method: "PUT", path: "/api/v1/webhooks/" + id, token: admin, body: map[string]any{}}).expect(404, 400400)
	e.do(req{method: "GET", path: "/api/v1/webhooks/" + id + "/deliveries", token: admin}).expect(404, 400400)
	e.do(req{method: "POST", path: "/api/v1/webhooks/" + id + "/replay", token: admin, body: map[string]any{"deliveryIds": []string{"1"}}}).expect(404, 400400)
	// Replay needs ids, or a time range, not both.
	id2 := w2["webhookId"].(string)
	for _, body := range []any{
		map[string]any{},
		map[string]any{"from": "2026-01-01T00:00:00.000Z"},
		map[string]any{"deliveryIds": []string{"1"}, "from": "2026-01-01T00:00:00.000Z", "to": "2026-01-02T00:00:00.000Z"},
		map[string]any{"from": "2026-01-02T00:00:00.000Z", "to": "2026-01-01T00:00:00.000Z"},
		map[string]any{"from": "yesterday", "to": "2026-01-01T00:00:00.000Z"},
	} {
		e.do(req{method: "POST", path: "/api/v1/webhooks/" + id2 + "/replay", token: admin, body: body}).expect(400, 400000)
	}
}

// TestWebhookPayloads drives one event of every type a webhook is sent for through the
// API, and checks each delivery's payload and both signatures.
func TestWebhookPayloads(t *testing.T) {
	e := newEnv(t)
	admin := e.adminToken()
	rc := newReceiver(t)
	w := e.register(admin, map[string]any{"url": rc.srv.URL + "/hook"})
	secret := w["secret"].(string)
	e.dispatch(webhook.Options{})

	alice, _ := e.user("alice")
	bob, bobU := e.user("bob")
	carol, _ := e.user("carol")
	ch := e.createChannel(alice, map[string]any{"channelId": "c", "type": "community", "userIds": []string{"bob"}})
	feed := internalID(ch)
	e.do(req{method: "POST", path: "/api/v3/channels/c/join", token: carol}).ok()
	e.do(req{method: "DELETE", path: "/api/v3/channels/c/users", token: alice, body: users("carol")}).ok()
	e.do(req{method: "POST", path: "/api/v3/channels/c/users", token: alice, body: users("carol")}).ok()
	e.do(req{method: "PUT", path: "/api/v3/channels/c", token: alice, body: map[string]any{"displayName": "Renamed"}}).ok()
	sent := e.do(req{method: "POST", path: "/api/v5/messages", token: bob, body: text(feed, "hello")}).ok().JSON()
	m := first(sent, "messages")
	mid := m["messageId"].(string)
	e.do(req{method: "PUT", path: "/api/v5/messages/" + mid, token: bob, body: map[string]any{"data": map[string]any{"text": "hello!"}}}).ok()
	e.do(req{method: "POST", path: "/api/v2/reactions", token: alice, body: map[string]any{"referenceId": mid, "referenceType": "message", "reactionName": "like", "referenceVersion": 5}}).ok()
	e.do(req{method: "DELETE", path: "/api/v2/reactions", token: alice, body: map[string]any{"referenceId": mid, "referenceType": "message", "reactionName": "like", "referenceVersion": 5}}).ok()
	e.do(req{method: "POST", path: "/api/v5/messages/" + mid + "/flags", token: alice}).ok()
	e.do(req{method: "DELETE", path: "/api/v5/messages/" + mid + "/flags", token: alice}).ok()
	e.do(req{method: "DELETE", path: "/api/v5/messages/" + mid, token: bob}).ok()
	e.do(req{method: "PUT", path: "/api/v3/users", token: bob, body: map[string]any{"displayName": "Robert"}}).ok()
	e.do(req{method: "POST", path: "/api/v4/me/flags/carol", token: bob}).ok()
	e.do(req{method: "DELETE", path: "/api/v4/me/flags/carol", token: bob}).ok()
	e.do(req{method: "PUT", path: "/api/v3/channels/c/users/ban", token: alice, body: users("carol")}).ok()
	e.do(req{method: "DELETE", path: "/api/v3/channels/c/leave", token: bob}).ok()
	e.do(req{method: "DELETE", path: "/api/v3/channels/c", token: alice}).ok()

	want := []string{"channel.didCreate", "channel.didJoin", "channel.didRemoveUsers", "channel.didAddUsers", "channel.didUpdate",
		"message.didCreate", "v5.message.didCreate", "message.didUpdate", "v5.message.didUpdate", "message.didAddReaction",
		"message.didRemoveReaction", "message.didFlag", "message.didUnflag", "message.didDelete", "v5.message.didDelete",
		"user.didUpdate", "user.didFlag", "user.didUnflag", "channel.didBan", "channel.didLeave", "channel.didClose"}
	got := rc.wait("every event", func(g []received) bool { return len(g) >= len(want) })
	var names []string
	for _, g := range got {
		names = append(names, g.Event)
		verify(t, secret, g)
	}
	// One channel's events arrive in commit order (user events are queues of their own).
	var channelOrder []string
	for _, n := range names {
		if !strings.HasPrefix(n, "user.") {
			channelOrder = append(channelOrder, n)
		}
	}
	var wantOrder []string
	for _, n := range want {
		if !strings.HasPrefix(n, "user.") {
			wantOrder = append(wantOrder, n)
		}
	}
	if !reflect.DeepEqual(channelOrder, wantOrder) {
		t.Fatalf("events\n got %v\nwant %v", channelOrder, wantOrder)
	}
	one := func(event string) map[string]any {
		g := rc.byEvent(got, event)
		if len(g) != 1 {
			t.Fatalf("%d %s deliveries", len(g), event)
		}
		return g[0].Data
	}
	shape := func(event string, want ...string) map[string]any {
		t.Helper()
		d := one(event)
		if !reflect.DeepEqual(keys(d), want) {
			t.Errorf("%s data keys %v, want %v", event, keys(d), want)
		}
		return d
	}
	// Channel events: Amity's `channel` list, the users, and the users concerned (for a
	// new channel the creator, whose membership the event carries).
	d := shape("channel.didCreate", "channel", "userIds", "users")
	if ids(d["channel"], "channelId")[0] != "c" || !reflect.DeepEqual(d["userIds"], []any{"alice"}) {
		t.Errorf("channel.didCreate: %v", d)
	}
	for ev, who := range map[string]string{"channel.didJoin": "carol", "channel.didRemoveUsers": "carol", "channel.didAddUsers": "carol", "channel.didBan": "carol", "channel.didLeave": "bob"} {
		if d := shape(ev, "channel", "userIds", "users"); !reflect.DeepEqual(d["userIds"], []any{who}) || ids(d["channel"], "channelId")[0] != "c" {
			t.Errorf("%s: %v", ev, d)
		}
	}
	if d := shape("channel.didUpdate", "channel", "users"); first(d, "channel")["displayName"] != "Renamed" {
		t.Errorf("channel.didUpdate: %v", d)
	}
	if d := shape("channel.didClose", "channel"); first(d, "channel")["isDeleted"] != true {
		t.Errorf("channel.didClose: %v", d)
	}
	// Message events: v3 carries messages and users; v5 the whole payload.
	d = shape("message.didCreate", "messages", "users")
	if !reflect.DeepEqual(first(d, "messages"), m) || first(d, "users")["userId"] != "bob" {
		t.Errorf("message.didCreate message\n got %v\nwant %v", first(d, "messages"), m)
	}
	d = shape("v5.message.didCreate", "files", "messageFeeds", "messages", "reactions", "users")
	if !reflect.DeepEqual(first(d, "messages"), m) {
		t.Errorf("v5.message.didCreate: %v", d)
	}
	if d := shape("message.didUpdate", "messages", "users"); first(d, "messages")["data"].(map[string]any)["text"] != "hello!" {
		t.Errorf("message.didUpdate: %v", d)
	}
	shape("v5.message.didUpdate", "files", "messageFeeds", "messages", "reactions", "users")
	if d := shape("message.didDelete", "messages", "users"); first(d, "messages")["isDeleted"] != true {
		t.Errorf("message.didDelete: %v", d)
	}
	shape("v5.message.didDelete", "files", "messageFeeds", "messages", "reactions", "users")
	for _, ev := range []string{"message.didAddReaction", "message.didRemoveReaction"} {
		d := shape(ev, "messages", "reactor", "users")
		if !reflect.DeepEqual(d["reactor"], map[string]any{"userId": "alice", "reactionName": "like"}) || first(d, "messages")["messageId"] != mid {
			t.Errorf("%s: %v", ev, d)
		}
	}
	if d := shape("message.didFlag", "messages", "users"); first(d, "messages")["flagCount"] != 1.0 {
		t.Errorf("message.didFlag: %v", d)
	}
	shape("message.didUnflag", "messages", "users")
	if d := shape("user.didUpdate", "files", "users"); first(d, "users")["displayName"] != "Robert" || first(d, "users")["_id"] != bobU.id() {
		t.Errorf("user.didUpdate: %v", d)
	}
	for _, ev := range []string{"user.didFlag", "user.didUnflag"} {
		if d := shape(ev, "files", "users"); first(d, "users")["userId"] != "carol" {
			t.Errorf("%s: %v", ev, d)
		}
	}
	// The exact bytes: the envelope is {"event","data"} and nothing else.
	g := rc.byEvent(got, "channel.didClose")[0]
	var env map[string]json.RawMessage
	json.Unmarshal(g.Body, &env)
	if len(env) != 2 || string(env["event"]) != `"channel.didClose"` {
		t.Errorf("envelope %s", g.Body)
	}
	// The log shows every delivery, newest first, delivered at the first attempt.
	ds := e.deliveryLog(admin, w["webhookId"].(string), func(ds []map[string]any) bool { return len(ds) == len(want) && ds[0]["status"] != "pending" })
	for _, d := range ds {
		if d["status"] != "delivered" || d["attempts"] != 1.0 || d["lastStatusCode"] != 200.0 {
			t.Errorf("log entry %v", d)
		}
	}
	if last := ds[0]; last["event"] != "channel.didClose" {
		t.Errorf("newest first: %v", last)
	}
}

// TestWebhookFilter: an endpoint gets the events it names, and a disabled one nothing.
func TestWebhookFilter(t *testing.T) {
	e := newEnv(t)
	admin := e.adminToken()
	e.register(admin, map[string]any{"url": "http://127.0.0.1:1/v5", "eventTypes": []string{"v5.message.didCreate"}})
	e.register(admin, map[string]any{"url": "http://127.0.0.1:1/off", "enabled": false})
	alice, _ := e.user("alice")
	ch := e.createChannel(alice, map[string]any{"channelId": "c"})
	e.send(alice, text(internalID(ch), "one"))
	if n := e.count("webhook_deliveries", ""); n != 1 {
		t.Fatalf("%d deliveries, want the one v5.message.didCreate", n)
	}
	if n := e.count("webhook_deliveries", "event = ?", "v5.message.didCreate"); n != 1 {
		t.Fatalf("wrong event")
	}
}

// TestWebhookClearFlag: an admin clearing every flag of a message is sent as Amity's
// message.didClearflag (its spelling), with the message, now unflagged, and its author.
func TestWebhookClearFlag(t *testing.T) {
	e := newEnv(t)
	admin := e.adminToken()
	rc := newReceiver(t)
	e.register(admin, map[string]any{"url": rc.srv.URL + "/hook", "eventTypes": []string{"message.didClearflag"}})
	e.dispatch(webhook.Options{})

	alice, _ := e.user("alice")
	bob, _ := e.user("bob")
	feed := internalID(e.createChannel(alice, map[string]any{"channelId": "c", "type": "community", "userIds": []string{"bob"}}))
	mid := e.send(bob, text(feed, "hello"))["messageId"].(string)
	e.do(req{method: "POST", path: "/api/v5/messages/" + mid + "/flags", token: alice}).ok()
	e.do(req{method: "DELETE", path: "/api/v5/messages/" + mid + "/flags/all", token: admin}).ok()

	got := rc.wait("the clear", func(g []received) bool { return len(g) >= 1 })
	if len(got) != 1 || got[0].Event != "message.didClearflag" {
		t.Fatalf("deliveries: %s", events(got))
	}
	d := got[0].Data
	if !reflect.DeepEqual(keys(d), []string{"messages", "users"}) || first(d, "messages")["messageId"] != mid ||
		first(d, "messages")["flagCount"] != 0.0 || first(d, "users")["userId"] != "bob" {
		t.Fatalf("message.didClearflag data: %v", d)
	}
}
