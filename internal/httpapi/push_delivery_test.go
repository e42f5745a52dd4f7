package httpapi_test

import (
	"context"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"
	"github.com/parley-chat/parley/internal/push"
)

// Push delivery against fake FCM, APNs (HTTP/2 over TLS) and Web Push services in the
// test process, from messages sent through the router into a real store.

// fakeCall is one request a fake provider received.
type fakeCall struct {
	Path   string
	Proto  int
	Header http.Header
	Body   []byte
}

// fake is a provider's server: it records requests and answers with next(call).
type fake struct {
	mu    sync.Mutex
	calls []fakeCall
	next  func(c fakeCall) (int, string)
}

func (f *fake) handler(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c := fakeCall{Path: r.URL.Path, Proto: r.ProtoMajor, Header: r.Header.Clone(), Body: body}
	f.mu.Lock()
	f.calls = append(f.calls, c)
	next := f.next
	f.mu.Unlock()
	status, answer := 200, "{}"
	if next != nil {
		status, answer = next(c)
	}
	w.WriteHeader(status)
	io.WriteString(w, answer)
}

func (f *fake) taken() []fakeCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.calls
	f.calls = nil
	return out
}

// pushKit is a server env with all three providers faked.
type pushKit struct {
	*env
	fcm, apns, web  *fake
	tokens          atomic.Int32 // OAuth2 tokens issued by the fake token endpoint
	router          push.Router
	now             atomic.Int64 // the dispatcher's clock, Unix ms
	webSub          func() string
	vapidPub        string
	fcmSrv, apnsSrv *httptest.Server
	webSrv          *httptest.Server
}

func newPushKit(t *testing.T) *pushKit {
	k := &pushKit{env: newEnv(t), fcm: &fake{}, apns: &fake{}, web: &fake{}}
	k.now.Store(time.Now().UnixMilli())

	// FCM and its OAuth2 token endpoint.
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if r.Form.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" || r.Form.Get("assertion") == "" {
			http.Error(w, "bad grant", 400)
			return
		}
		k.tokens.Add(1)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token":"fcm-access","token_type":"Bearer","expires_in":3600}`)
	})
	mux.HandleFunc("/", k.fcm.handler)
	k.fcmSrv = httptest.NewServer(mux)
	t.Cleanup(k.fcmSrv.Close)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	der, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	sa, _ := json.Marshal(map[string]string{"type": "service_account", "project_id": "proj-1", "private_key_id": "kid",
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": "parley@proj-1.iam.gserviceaccount.com", "token_uri": k.fcmSrv.URL + "/token"})
	fcm, err := push.NewFCM(sa, push.FCMOptions{Endpoint: k.fcmSrv.URL})
	if err != nil {
		t.Fatal(err)
	}

	// APNs: HTTP/2 over TLS.
	k.apnsSrv = httptest.NewUnstartedServer(http.HandlerFunc(k.apns.handler))
	k.apnsSrv.EnableHTTP2 = true
	k.apnsSrv.StartTLS()
	t.Cleanup(k.apnsSrv.Close)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p8, _ := x509.MarshalPKCS8PrivateKey(ecKey)
	keyFile := filepath.Join(t.TempDir(), "AuthKey.p8")
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}), 0o600)
	apns, err := push.NewAPNs(push.APNsOptions{KeyFile: keyFile, KeyID: "KEY123", TeamID: "TEAM45", Topic: "com.example.app",
		Host: k.apnsSrv.URL, HTTPClient: k.apnsSrv.Client()})
	if err != nil {
		t.Fatal(err)
	}

	// Web Push.
	k.webSrv = httptest.NewServer(http.HandlerFunc(k.web.handler))
	t.Cleanup(k.webSrv.Close)
	priv, pub, _ := webpush.GenerateVAPIDKeys()
	k.vapidPub = pub
	web, err := push.NewWebPush(push.WebPushOptions{PublicKey: pub, PrivateKey: priv, Subscriber: "mailto:ops@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	k.webSub = func() string {
		ua, _ := ecdh.P256().GenerateKey(rand.Reader)
		auth := make([]byte, 16)
		rand.Read(auth)
		s, _ := json.Marshal(map[string]any{"endpoint": k.webSrv.URL + "/sub/" + base64.RawURLEncoding.EncodeToString(auth[:6]),
			"keys": map[string]string{"p256dh": base64.RawURLEncoding.EncodeToString(ua.PublicKey().Bytes()),
				"auth": base64.RawURLEncoding.EncodeToString(auth)}})
		return string(s)
	}
	k.router = push.Router{Android: fcm, IOS: apns, Web: web}
	return k
}

func (k *pushKit) dispatcher(p push.Provider) *push.Dispatcher {
	return push.New(k.svc, p, push.Options{Clock: func() time.Time { return time.UnixMilli(k.now.Load()) },
		BaseBackoff: time.Second, MaxBackoff: 4 * time.Second, RetryFor: time.Minute, Logger: quiet})
}

// round runs one dispatcher round and waits for its attempts.
func (k *pushKit) round(d *push.Dispatcher) {
	d.Round(context.Background())
	d.Wait()
}

func (k *pushKit) register(token, userID, deviceID, platform, devToken string) {
	k.t.Helper()
	k.do(req{method: "POST", path: "/v1/notification", token: token, body: registerBody(userID, deviceID, platform, devToken)}).ok()
}

// pushChannel logs alice and the members in, registers an Android device "tok-<id>" for
// each member, has alice create channel "c" with them, and sends the channel.created
// pushes: the fakes start empty. It returns alice's token, the channel, the dispatcher
// and the members' tokens.
func (k *pushKit) pushChannel(members ...string) (string, map[string]any, *push.Dispatcher, map[string]string) {
	k.t.Helper()
	alice, _ := k.user("alice")
	tokens := map[string]string{}
	for _, m := range members {
		tokens[m], _ = k.user(m)
		k.register(tokens[m], m, m+"-phone", "android", "tok-"+m)
	}
	ch := k.createChannel(alice, map[string]any{"channelId": "c", "userIds": members})
	d := k.dispatcher(k.router)
	k.round(d)
	k.fcm.taken()
	return alice, ch, d, tokens
}

func fcmToken(c fakeCall) string {
	var m struct {
		Message struct {
			Token string `json:"token"`
		} `json:"message"`
	}
	json.Unmarshal(c.Body, &m)
	return m.Message.Token
}

var quiet = slog.New(slog.DiscardHandler)

const apnsHex = "aa11bb22cc33"

func TestPushDeliveryToProviders(t *testing.T) {
	k := newPushKit(t)
	alice, _ := k.user("alice")
	bob, _ := k.user("bob")
	carol, _ := k.user("carol")
	dave, _ := k.user("dave")
	erin, _ := k.user("erin")
	frank, _ := k.user("frank")
	_, _ = k.user("gina") // member without a device
	ch := k.createChannel(alice, map[string]any{"channelId": "c", "displayName": "Team", "userIds": []string{"bob", "carol", "dave", "erin", "frank", "gina"}})
	k.register(alice, "alice", "alice-phone", "android", "tok-alice") // the sender: never pushed to
	k.register(bob, "bob", "bob-phone", "android", "tok-bob")
	k.register(carol, "carol", "carol-phone", "ios", apnsHex)
	sub := k.webSub()
	k.register(dave, "dave", "dave-browser", "web", sub)
	k.register(erin, "erin", "erin-phone", "android", "tok-erin")
	k.register(frank, "frank", "frank-phone", "android", "tok-frank")
	// erin mutes the channel; frank switches message pushes off but keeps mentions.
	k.do(req{method: "POST", path: "/api/v3/notification/setting", token: erin, body: map[string]any{"level": "channel", "channelId": "c", "isPushNotifiable": false}}).ok()
	k.do(req{method: "POST", path: "/api/v3/notification/setting", token: frank, body: map[string]any{"level": "user",
		"notifiableEvents": []any{map[string]any{"name": "message.created", "isPushNotifiable": false}}}}).ok()
	d := k.dispatcher(k.router)
	k.round(d) // the channel.created push (members but the creator) goes first
	k.fcm.taken()
	k.apns.taken()
	k.web.taken()

	body := text(internalID(ch), "hello team")
	body["mentionedUsers"] = []any{map[string]any{"type": "user", "userIds": []string{"frank"}}}
	msg := k.send(alice, body)
	if n := k.count("push_jobs", "1 = 1"); n != 1 {
		t.Fatalf("a message wrote %d push jobs, want 1 (no deliveries on the request path)", n)
	}
	if n := k.count("push_deliveries", "1 = 1"); n != 0 {
		t.Fatalf("deliveries written on the request path: %d", n)
	}
	k.round(d)

	fcmCalls := k.fcm.taken()
	got := map[string]map[string]any{}
	for _, c := range fcmCalls {
		if c.Path != "/v1/projects/proj-1/messages:send" || c.Header.Get("Authorization") != "Bearer fcm-access" {
			t.Fatalf("FCM request %s with %q", c.Path, c.Header.Get("Authorization"))
		}
		var m map[string]any
		json.Unmarshal(c.Body, &m)
		got[fcmToken(c)] = m["message"].(map[string]any)
	}
	if len(got) != 2 || got["tok-bob"] == nil || got["tok-frank"] == nil {
		t.Fatalf("FCM got pushes for %v, want tok-bob and tok-frank only (not the sender, not the muted)", keys(got))
	}
	bobMsg := got["tok-bob"]
	if n := bobMsg["notification"].(map[string]any); n["title"] != "User alice" || n["body"] != "hello team" {
		t.Fatalf("FCM notification %v", n)
	}
	data := bobMsg["data"].(map[string]any)
	if data["eventName"] != "message.created" || data["channelId"] != "c" || data["messageId"] != msg["messageId"] || data["userId"] != "alice" {
		t.Fatalf("FCM data %v", data)
	}
	if got["tok-frank"]["data"].(map[string]any)["eventName"] != "text-mention-message.created" {
		t.Fatalf("frank's push is not a mention: %v", got["tok-frank"]["data"])
	}

	apnsCalls := k.apns.taken()
	if len(apnsCalls) != 1 {
		t.Fatalf("APNs calls %d, want 1", len(apnsCalls))
	}
	a := apnsCalls[0]
	if a.Proto != 2 || a.Path != "/3/device/"+apnsHex || a.Header.Get("apns-topic") != "com.example.app" ||
		a.Header.Get("apns-push-type") != "alert" || a.Header.Get("apns-collapse-id") == "" ||
		!strings.HasPrefix(a.Header.Get("authorization"), "bearer ey") {
		t.Fatalf("APNs request HTTP/%d %s %v", a.Proto, a.Path, a.Header)
	}
	var ap struct {
		APS struct {
			Alert struct{ Title, Body string } `json:"alert"`
		} `json:"aps"`
		EventName string `json:"eventName"`
	}
	json.Unmarshal(a.Body, &ap)
	if ap.APS.Alert.Title != "User alice" || ap.APS.Alert.Body != "hello team" || ap.EventName != "message.created" {
		t.Fatalf("APNs payload %s", a.Body)
	}

	webCalls := k.web.taken()
	if len(webCalls) != 1 {
		t.Fatalf("web push calls %d, want 1", len(webCalls))
	}
	w := webCalls[0]
	var s struct{ Endpoint string }
	json.Unmarshal([]byte(sub), &s)
	if !strings.HasSuffix(s.Endpoint, w.Path) || w.Header.Get("Content-Encoding") != "aes128gcm" || w.Header.Get("TTL") != "86400" ||
		!strings.HasPrefix(w.Header.Get("Authorization"), "vapid t=") || !strings.Contains(w.Header.Get("Authorization"), "k="+k.vapidPub) ||
		w.Header.Get("Topic") == "" || len(w.Body) < 100 {
		t.Fatalf("web push request %s %v (%d bytes)", w.Path, w.Header, len(w.Body))
	}
	if n := k.count("push_deliveries", "1 = 1"); n != 0 {
		t.Fatalf("%d deliveries left after sending", n)
	}
	if k.tokens.Load() != 1 {
		t.Fatalf("OAuth2 tokens fetched %d, want 1 (cached)", k.tokens.Load())
	}
}

// keys are the map's keys, sorted.
func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// A failed attempt is retried after its back-off, not before; a dead token's device is
// removed and nothing is sent to it again.
func TestPushRetryAndDeadTokens(t *testing.T) {
	k := newPushKit(t)
	alice, _ := k.user("alice")
	bob, bobU := k.user("bob")
	carol, carolU := k.user("carol")
	ch := k.createChannel(alice, map[string]any{"channelId": "c", "userIds": []string{"bob", "carol"}})
	k.register(bob, "bob", "bob-phone", "android", "tok-bob")
	k.register(bob, "bob", "bob-old", "android", "tok-dead")
	k.register(carol, "carol", "carol-phone", "ios", apnsHex)
	d := k.dispatcher(k.router)
	k.round(d)
	k.fcm.taken()
	k.apns.taken()

	var bobFails atomic.Int32
	k.fcm.next = func(c fakeCall) (int, string) {
		switch fcmToken(c) {
		case "tok-dead":
			return 404, `{"error":{"code":404,"status":"NOT_FOUND","message":"Requested entity was not found.","details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"UNREGISTERED"}]}}`
		case "tok-bob":
			if bobFails.Add(1) <= 2 {
				return 503, `{"error":{"code":503,"status":"UNAVAILABLE","message":"try later"}}`
			}
		}
		return 200, `{"name":"projects/proj-1/messages/1"}`
	}
	k.apns.next = func(fakeCall) (int, string) { return 410, `{"reason":"Unregistered","timestamp":1700000000000}` }
	k.send(alice, text(internalID(ch), "one"))
	k.round(d)
	if c := k.fcm.taken(); len(c) != 2 {
		t.Fatalf("first round: %d FCM calls, want 2", len(c))
	}
	if k.count("push_devices", "device_id = 'bob-old'") != 0 || k.count("push_devices", "user_id = ?", carolU.id()) != 0 {
		t.Fatal("dead tokens (FCM UNREGISTERED, APNs 410 Unregistered) must remove their devices")
	}
	if k.count("push_devices", "user_id = ?", bobU.id()) != 1 || k.count("push_deliveries", "device_id = 'bob-phone' AND attempts = 1") != 1 {
		t.Fatal("bob's failed delivery must wait for a retry")
	}
	k.round(d) // not due yet: the back-off is at least half a second
	if c := k.fcm.taken(); len(c) != 0 {
		t.Fatalf("retried %d times before the back-off", len(c))
	}
	for i, want := range []int{1, 1} {
		k.now.Add(10_000)
		k.round(d)
		if c := k.fcm.taken(); len(c) != want || fcmToken(c[0]) != "tok-bob" {
			t.Fatalf("retry %d: %d calls", i+1, len(c))
		}
	}
	if n := k.count("push_deliveries", "1 = 1"); n != 0 {
		t.Fatalf("delivery left after success: %d", n)
	}
	if bobFails.Load() != 3 {
		t.Fatalf("bob's push attempted %d times, want 3", bobFails.Load())
	}
	// Given up after RetryFor.
	k.fcm.next = func(fakeCall) (int, string) { return 500, `{}` }
	k.send(alice, text(internalID(ch), "two"))
	k.round(d)
	k.now.Add(2 * 60_000)
	k.round(d)
	if n := k.count("push_deliveries", "1 = 1"); n != 0 {
		t.Fatalf("a delivery older than RetryFor is still queued: %d", n)
	}
	if k.count("push_devices", "device_id = 'bob-phone'") != 1 {
		t.Fatal("an outage must not remove a device")
	}
}

// Messages that pile up for a device before they are sent coalesce: the device gets the
// newest one per channel.
func TestPushCoalescesPerDevice(t *testing.T) {
	k := newPushKit(t)
	alice, ch, d, _ := k.pushChannel("bob")
	for _, s := range []string{"one", "two", "three"} {
		k.send(alice, text(internalID(ch), s))
	}
	k.round(d)
	calls := k.fcm.taken()
	if len(calls) != 1 || !strings.Contains(string(calls[0].Body), `"body":"three"`) {
		t.Fatalf("want one push with the newest message, got %d", len(calls))
	}
}

// Several dispatchers (nodes) working the same queue send each push once.
func TestPushOneDeliveryAcrossDispatchers(t *testing.T) {
	k := newPushKit(t)
	alice, _ := k.user("alice")
	var ids []string
	for i := range 20 {
		id := "u" + string(rune('a'+i))
		tok, _ := k.user(id)
		k.register(tok, id, "dev-"+id, "android", "tok-"+id)
		ids = append(ids, id)
	}
	ch := k.createChannel(alice, map[string]any{"channelId": "c", "userIds": ids})
	var wg sync.WaitGroup
	var ds []*push.Dispatcher
	for range 3 {
		ds = append(ds, push.New(k.svc, k.router, push.Options{PageSize: 3, Logger: quiet}))
	}
	run := func() {
		for range 3 {
			for _, d := range ds {
				wg.Add(1)
				go func() { defer wg.Done(); k.round(d) }()
			}
			wg.Wait()
		}
	}
	run() // channel.created, sent before the message: else the two coalesce
	k.send(alice, text(internalID(ch), "hi"))
	for range 3 {
		for _, d := range ds {
			wg.Add(1)
			go func() { defer wg.Done(); k.round(d) }()
		}
		wg.Wait()
	}
	seen := map[string]int{}
	for _, c := range k.fcm.taken() {
		var m struct {
			Message struct {
				Token string
				Data  map[string]string
			}
		}
		json.Unmarshal(c.Body, &m)
		seen[m.Message.Token+" "+m.Message.Data["eventName"]]++
	}
	for _, id := range ids {
		for _, ev := range []string{"channel.created", "message.created"} {
			if n := seen["tok-"+id+" "+ev]; n != 1 {
				t.Fatalf("%s got %s %d times, want once", id, ev, n)
			}
		}
	}
}

// Webhook mode posts Amity's push-notification payload to the operator's URL.
func TestPushWebhookMode(t *testing.T) {
	k := newPushKit(t)
	hook := &fake{}
	srv := httptest.NewServer(http.HandlerFunc(hook.handler))
	defer srv.Close()
	alice, _ := k.user("alice")
	bob, _ := k.user("bob")
	k.register(bob, "bob", "bob-phone", "ios", apnsHex)
	ch := k.createChannel(alice, map[string]any{"channelId": "c", "displayName": "Team", "userIds": []string{"bob"}})
	d := k.dispatcher(push.Router{Webhook: &push.Webhook{URL: srv.URL + "/push"}})
	k.round(d)
	k.send(alice, text(internalID(ch), "hi bob"))
	k.round(d)
	calls := hook.taken()
	if len(calls) != 2 || len(k.apns.taken()) != 0 {
		t.Fatalf("webhook calls %d, want channel.created and message.created", len(calls))
	}
	var p push.WebhookPayload
	json.Unmarshal(calls[1].Body, &p)
	if p.EventType != "push-notification.created" || p.Version != "v3" || p.NetworkID == "" || p.ID == "" ||
		p.SenderID != "alice" || p.Data.EventName != "message.created" || p.Data.Body != "hi bob" || p.Data.ChannelID != "c" ||
		len(p.Data.TargetIDs) != 1 || p.Data.TargetIDs[0] != "bob" || p.Device.Platform != "ios" || p.Device.Token != apnsHex || !p.Data.Notify {
		t.Fatalf("webhook payload %s", calls[1].Body)
	}
	var first push.WebhookPayload
	json.Unmarshal(calls[0].Body, &first)
	if first.Data.EventName != "channel.created" || first.Data.Title != "Team" {
		t.Fatalf("channel.created payload %s", calls[0].Body)
	}
}

// With no provider configured push is off, yet the queue drains: nothing piles up.
func TestPushOffDrainsQueue(t *testing.T) {
	e := newEnv(t)
	alice, _ := e.user("alice")
	bob, _ := e.user("bob")
	e.do(req{method: "POST", path: "/v1/notification", token: bob, body: registerBody("bob", "bob-phone", "android", "tok-bob")}).ok()
	ch := e.createChannel(alice, map[string]any{"channelId": "c", "userIds": []string{"bob"}})
	e.send(alice, text(internalID(ch), "hi"))
	if e.count("push_jobs", "1 = 1") != 2 {
		t.Fatal("want the jobs of channel.created and message.created")
	}
	d := push.New(e.svc, push.Router{}, push.Options{Logger: quiet})
	d.Round(context.Background())
	d.Wait()
	if n := e.count("push_jobs", "1 = 1") + e.count("push_deliveries", "1 = 1"); n != 0 {
		t.Fatalf("%d rows left in the push queue with push off", n)
	}
	if e.count("push_devices", "1 = 1") != 1 {
		t.Fatal("push off must keep registered devices")
	}
}

// A member who blocked the sender is not pushed what the sender does.
func TestPushSkipsWhoBlockedTheSender(t *testing.T) {
	k := newPushKit(t)
	alice, ch, d, tokens := k.pushChannel("bob", "carol")
	k.do(req{method: "POST", path: "/api/v4/me/user-blocks/alice", token: tokens["bob"]}).ok()
	k.send(alice, text(internalID(ch), "hi"))
	k.round(d)
	calls := k.fcm.taken()
	if len(calls) != 1 || fcmToken(calls[0]) != "tok-carol" {
		t.Fatalf("want carol's push only, got %d calls", len(calls))
	}
}
