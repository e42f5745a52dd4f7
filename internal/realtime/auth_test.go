package realtime_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/eclipse/paho.mqtt.golang/packets"
	mochi "github.com/mochi-mqtt/server/v2/packets"
)

func TestLoginWithTokenOverWebSocketAndTCP(t *testing.T) {
	e := newEnv(t, envOptions{})
	u := e.login("u1")
	for _, transport := range []string{"ws", "tcp"} {
		// The SDK's shape: a long client id with '#', clean false, a will on WillMsg.
		c, err := e.dial(transport, u.ID, u.Token, sdkClientID(u, map[string]int{"ws": 0, "tcp": 1}[transport]))
		if err != nil {
			t.Fatalf("%s: valid login refused: %v", transport, err)
		}
		if got := c.subscribe(e.ownTopics(u)...); string(got) != string(make([]byte, 6)) {
			t.Errorf("%s: own topics granted %v, want all QoS 0", transport, got)
		}
	}
	if n := e.broker.Connected(); n != 2 {
		t.Errorf("connected = %d, want 2", n)
	}
}

// The SDK stops reconnecting only on CONNACK 2 (3.1.1) or 134/135 (MQTT 5): every
// refusal must be one of those, or a bad token makes it retry forever.
func TestLoginRefusedWithFinalCode(t *testing.T) {
	e := newEnv(t, envOptions{})
	u1, u2 := e.login("u1"), e.login("u2")
	revoked := e.login("u1")
	if s := e.http("DELETE", "/api/v4/sessions", revoked.Token, nil); s != 200 {
		t.Fatalf("logout: %d", s)
	}
	cases := []struct{ name, username, password string }{
		{"garbage token", u1.ID, "not-a-token"},
		{"empty password", u1.ID, ""},
		{"another user's token", u1.ID, u2.Token},
		{"public id as username", u1.PublicID, u1.Token},
		{"empty username", "", u1.Token},
		{"revoked token", u1.ID, revoked.Token},
	}
	for _, c := range cases {
		for _, transport := range []string{"ws", "tcp"} {
			_, err := e.dial(transport, c.username, c.password, "mqttjs_x#"+c.name)
			if !errors.Is(err, packets.ErrorRefusedIDRejected) {
				t.Errorf("%s over %s: got %v, want CONNACK 2 (identifier rejected)", c.name, transport, err)
			}
		}
		_, ack, err := dialRaw(e.tcp, 5, c.username, c.password, "v5-"+c.name)
		if err != nil && ack.FixedHeader.Type != mochi.Connack {
			t.Fatalf("%s over MQTT 5: %v", c.name, err)
		}
		if ack.ReasonCode != mochi.ErrNotAuthorized.Code {
			t.Errorf("%s over MQTT 5: CONNACK %#x, want 0x87 (not authorized)", c.name, ack.ReasonCode)
		}
	}
	if _, ack, err := dialRaw(e.tcp, 5, u1.ID, u1.Token, "v5-ok"); err != nil || ack.ReasonCode != 0 {
		t.Errorf("valid MQTT 5 login: %v, code %#x", err, ack.ReasonCode)
	}
	// mochi indexes the session just after sending CONNACK: wait for it.
	waitFor(t, "the valid login counted as the one connected client", func() bool { return e.broker.Connected() == 1 })
}

// TestRefusedLoginsAreLogged: each refused login is one line saying who tried from
// where and why, and never the password (an access token).
func TestRefusedLoginsAreLogged(t *testing.T) {
	e := newEnv(t, envOptions{})
	u1, u2 := e.login("u1"), e.login("u2")
	cases := []struct{ clientID, username, password, reason string }{
		{"c-garbage", u1.ID, "not-a-token-secret", "token refused"},
		{"c-other", u1.ID, u2.Token, "username is not the token's user"},
	}
	for _, c := range cases {
		if _, err := e.dial("tcp", c.username, c.password, c.clientID); err == nil {
			t.Fatalf("%s: login accepted", c.clientID)
		}
	}
	if _, err := e.dial("tcp", u1.ID, u1.Token, "c-ok"); err != nil {
		t.Fatal(err)
	}
	logs := e.logs.String()
	var lines []string
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, `msg="mqtt login refused"`) {
			lines = append(lines, l)
		}
	}
	if len(lines) != len(cases) {
		t.Fatalf("want %d refusal lines, got:\n%s", len(cases), logs)
	}
	for i, c := range cases {
		for _, want := range []string{"client=" + c.clientID, "username=" + c.username, "remote=127.0.0.1:", c.reason} {
			if !strings.Contains(lines[i], want) {
				t.Errorf("refusal line %q lacks %q", lines[i], want)
			}
		}
	}
	for _, secret := range []string{"not-a-token-secret", u1.Token, u2.Token} {
		if strings.Contains(logs, secret) {
			t.Fatalf("a password is in the log:\n%s", logs)
		}
	}
}

func TestSubscriptionsOutsideOwnTopicsGetQoS128(t *testing.T) {
	ch := newFakeChannels()
	e := newEnv(t, envOptions{channels: ch})
	u1, u2 := e.login("u1"), e.login("u2")
	const mine, theirs = "aaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbb"
	ch.set(mine, u1.ID)
	ch.set(theirs, u2.ID)
	c := e.connect("ws", u1)
	n := e.net()
	granted := []string{
		n + "/chat/" + mine, n + "/chat/" + mine + "/#", n + "/chat/" + mine + "/" + mine,
		n + "/marker/channel/" + "my-channel" + "/message/" + mine,
	}
	refused := []string{
		n + "/smartfeed/" + u2.ID + "/messages", n + "/smartfeed/" + u2.ID + "/channels",
		n + "/user/" + u2.ID, n + "/marker/user/" + u2.ID,
		n + "/smartfeed/+/messages", n + "/#", "#", "+", n + "/+", "$SYS/#", "WillMsg",
		n + "/chat/" + theirs, n + "/chat/" + theirs + "/#", n + "/chat/+/#", n + "/chat/#",
		n + "/marker/channel/x/message/" + theirs, n + "/room/#", n + "/room/" + mine + "/#", "other-net/user/" + u1.ID,
		"$share/g/" + n + "/smartfeed/" + u1.ID + "/messages",
	}
	for i, code := range c.subscribe(granted...) {
		if code != 0 {
			t.Errorf("subscribe %s: granted %d, want 0", granted[i], code)
		}
	}
	for i, code := range c.subscribe(refused...) {
		if code != 0x80 {
			t.Errorf("subscribe %s: granted %d, want 128", refused[i], code)
		}
	}
	// MQTT 5 clients are refused the same way.
	raw, _, err := dialRaw(e.tcp, 5, u1.ID, u1.Token, "raw5")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.conn.Close()
	if code, err := raw.subscribe(n + "/smartfeed/" + u2.ID + "/messages"); err != nil || code != 0x80 {
		t.Errorf("MQTT 5 subscribe to another user's smartfeed: %#x, %v; want 0x80", code, err)
	}
}

func TestClientsCannotPublish(t *testing.T) {
	e := newEnv(t, envOptions{})
	u := e.login("u1")
	listener := e.connect("ws", u)
	listener.subscribe(e.ownTopics(u)...)
	sender, err := e.dial("tcp", u.ID, u.Token, sdkClientID(u, 1))
	if err != nil {
		t.Fatal(err)
	}
	n := e.net()
	for _, topic := range append(e.ownTopics(u), "WillMsg") {
		tok := sender.c.Publish(topic, 0, false, `{"eventType":"user.deleted","data":{}}`)
		tok.Wait()
	}
	// A legitimate event afterwards must be the first thing the listener hears.
	if s := e.http("PUT", "/api/v3/users", u.Token, map[string]any{"userId": u.PublicID, "displayName": "After"}); s != 200 {
		t.Fatalf("update user: %d", s)
	}
	if r := listener.next(); r.Msg.EventType != "user.updated" || r.Topic != n+"/user/"+u.ID {
		t.Errorf("first message: %s on %s, want user.updated on the user topic (a client publish got through)", r.Msg.EventType, r.Topic)
	}
	// A QoS 1 publish from a 3.1.1 client cannot be refused with a PUBACK code: the
	// broker closes the connection.
	sender.c.Publish(n+"/user/"+u.ID, 1, false, `{}`)
	select {
	case <-sender.lost:
	case <-time.After(5 * time.Second):
		t.Error("QoS 1 publish did not close the connection")
	}
}

func TestUserUpdatedReachesOwnTopicOnly(t *testing.T) {
	e := newEnv(t, envOptions{})
	u1, u2 := e.login("u1"), e.login("u2")
	c1, c2 := e.connect("ws", u1), e.connect("tcp", u2)
	c1.subscribe(e.ownTopics(u1)...)
	c2.subscribe(e.ownTopics(u2)...)
	if s := e.http("PUT", "/api/v3/users", u1.Token, map[string]any{"userId": "u1", "displayName": "New name"}); s != 200 {
		t.Fatalf("update: %d", s)
	}
	r := c1.next()
	n := e.net()
	if r.Topic != n+"/user/"+u1.ID || r.Msg.EventType != "user.updated" {
		t.Fatalf("got %s on %s", r.Msg.EventType, r.Topic)
	}
	if r.Msg.NetworkID != n || r.Msg.Path != n+"/user/"+u1.ID || r.Msg.Version == "" {
		t.Errorf("envelope: %+v", r.Msg)
	}
	if _, err := time.Parse(time.RFC3339, r.Msg.SentTime); err != nil {
		t.Errorf("sentTime %q: %v", r.Msg.SentTime, err)
	}
	if !strings.Contains(string(r.Msg.Data), `"displayName":"New name"`) || !strings.Contains(string(r.Msg.Data), `"users":[`) {
		t.Errorf("data is not the UserPayload: %s", r.Msg.Data)
	}
	// u2 hears nothing of it: their next message is their own update.
	e.http("PUT", "/api/v3/users", u2.Token, map[string]any{"userId": "u2", "displayName": "Two"})
	if r := c2.next(); !strings.Contains(string(r.Msg.Data), `"Two"`) {
		t.Errorf("u2 received another user's event: %s", r.Msg.Data)
	}
}

func TestRevokedSessionIsDisconnected(t *testing.T) {
	e := newEnv(t, envOptions{})
	a, b := e.login("u1"), e.login("u1") // two sessions of one user
	ca := e.connect("ws", a)
	cb, err := e.dial("tcp", b.ID, b.Token, sdkClientID(b, 1))
	if err != nil {
		t.Fatal(err)
	}
	cb.subscribe(e.ownTopics(b)...)
	start := time.Now()
	if s := e.http("DELETE", "/api/v4/sessions", a.Token, nil); s != 200 {
		t.Fatalf("logout: %d", s)
	}
	select {
	case <-ca.lost:
		t.Logf("revoked session's connection closed %v after the logout answered", time.Since(start))
	case <-time.After(10 * time.Second):
		t.Fatal("revoked session still connected")
	}
	// Reconnecting with the revoked token is refused for good.
	if _, err := e.dial("ws", a.ID, a.Token, sdkClientID(a, 0)); !errors.Is(err, packets.ErrorRefusedIDRejected) {
		t.Errorf("reconnect with revoked token: %v", err)
	}
	// The other session is untouched.
	e.http("PUT", "/api/v3/users", b.Token, map[string]any{"userId": "u1", "displayName": "Still here"})
	if r := cb.next(); r.Msg.EventType != "user.updated" {
		t.Errorf("other session got %s", r.Msg.EventType)
	}
	select {
	case err := <-cb.lost:
		t.Errorf("other session lost: %v", err)
	default:
	}
}

// An admin revoking every session of a user cuts all their connections.
func TestRevokeUserDisconnectsAllTheirClients(t *testing.T) {
	e := newEnv(t, envOptions{})
	a, b := e.login("u1"), e.login("u1")
	ca, cb := e.connect("ws", a), e.connect("tcp", user{ID: b.ID, Token: b.Token, PublicID: "u1-tab2"})
	admin, err := e.svc.IssueAdminToken(t.Context(), "sk")
	if err != nil {
		t.Fatal(err)
	}
	if s := e.http("DELETE", "/api/v4/sessions/users/u1", admin.AdminToken, nil); s != 200 {
		t.Fatalf("revoke: %d", s)
	}
	for _, c := range []*client{ca, cb} {
		select {
		case <-c.lost:
		case <-time.After(10 * time.Second):
			t.Fatal("a client of the revoked user is still connected")
		}
	}
}

// Client ids are per user: reusing someone's client id neither takes over their
// persistent session nor kicks them out.
func TestClientIDsDoNotCrossUsers(t *testing.T) {
	e := newEnv(t, envOptions{})
	u1, u2 := e.login("u1"), e.login("u2")
	victim := e.connect("ws", u1)
	victim.subscribe(e.ownTopics(u1)...)
	thief, err := e.dial("tcp", u2.ID, u2.Token, sdkClientID(u1, 0))
	if err != nil {
		t.Fatal(err)
	}
	e.http("PUT", "/api/v3/users", u1.Token, map[string]any{"userId": "u1", "displayName": "Mine"})
	if r := victim.next(); r.Msg.EventType != "user.updated" {
		t.Errorf("victim got %s", r.Msg.EventType)
	}
	select {
	case r := <-thief.msgs:
		t.Errorf("thief received %s on %s", r.Msg.EventType, r.Topic)
	case <-victim.lost:
		t.Error("victim was kicked out")
	case <-time.After(200 * time.Millisecond):
	}
}

// The 7.x SDK subscribes to <net>/videostreaming at every login and retries a refusal:
// clients may read it (Parley publishes nothing there yet), never publish on it.
func TestVideostreamingTopicIsReadOnly(t *testing.T) {
	e := newEnv(t, envOptions{})
	u := e.login("u1")
	n := e.net()
	listener := e.connect("ws", u)
	granted := []string{n + "/videostreaming", n + "/user/" + u.ID}
	for i, code := range listener.subscribe(granted...) {
		if code != 0 {
			t.Errorf("subscribe %s: granted %d, want 0", granted[i], code)
		}
	}
	refused := []string{n + "/videostreaming/#", n + "/videostreaming/x", n + "/videostreaming/+", "other-net/videostreaming", "videostreaming"}
	for i, code := range listener.subscribe(refused...) {
		if code != 0x80 {
			t.Errorf("subscribe %s: granted %d, want 128", refused[i], code)
		}
	}
	raw, _, err := dialRaw(e.tcp, 5, u.ID, u.Token, "raw5")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.conn.Close()
	if code, err := raw.subscribe(n + "/videostreaming"); err != nil || code != 0 {
		t.Errorf("MQTT 5 subscribe to videostreaming: %#x, %v; want 0", code, err)
	}

	sender, err := e.dial("tcp", u.ID, u.Token, sdkClientID(u, 1))
	if err != nil {
		t.Fatal(err)
	}
	sender.c.Publish(n+"/videostreaming", 0, false, `{"eventType":"room.didUpdate","data":{}}`).Wait()
	// A legitimate event afterwards must be the first thing the listener hears.
	if s := e.http("PUT", "/api/v3/users", u.Token, map[string]any{"userId": u.PublicID, "displayName": "After"}); s != 200 {
		t.Fatalf("update user: %d", s)
	}
	if r := listener.next(); r.Msg.EventType != "user.updated" || r.Topic != n+"/user/"+u.ID {
		t.Errorf("first message: %s on %s, want user.updated on the user topic (a client publish got through)", r.Msg.EventType, r.Topic)
	}
}
