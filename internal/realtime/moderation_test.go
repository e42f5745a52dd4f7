package realtime_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/eclipse/paho.mqtt.golang/packets"
)

// A global ban reaches the banned user's own topic, then closes every connection of the
// user; a reconnect is refused.
func TestGlobalBanIsHeardThenDisconnects(t *testing.T) {
	e := newEnv(t, envOptions{})
	a, b := e.login("u1"), e.login("u1")
	ca := e.connect("ws", a)
	cb, err := e.dial("tcp", b.ID, b.Token, sdkClientID(b, 1))
	if err != nil {
		t.Fatal(err)
	}
	ca.subscribe(e.ownTopics(a)...)
	if s := e.http("POST", "/api/v2/users/ban", e.admin().Token, map[string]any{"userId": "u1"}); s != 200 {
		t.Fatalf("ban: %d", s)
	}
	r := ca.nextOf("user.didGlobalBan")
	if r.Topic != e.net()+"/user/"+a.ID || !strings.Contains(string(r.Msg.Data), `"isGlobalBan":true`) {
		t.Fatalf("user.didGlobalBan on %s: %s", r.Topic, r.Msg.Data)
	}
	for _, c := range []*client{ca, cb} {
		select {
		case <-c.lost:
		case <-time.After(10 * time.Second):
			t.Fatal("a client of the banned user is still connected")
		}
	}
	if _, err := e.dial("ws", a.ID, a.Token, sdkClientID(a, 0)); !errors.Is(err, packets.ErrorRefusedIDRejected) {
		t.Errorf("reconnect while banned: %v", err)
	}
}

// Flag events go to the flagger's own topic; block events to both users'.
func TestUserSafetyEventsOnOwnTopics(t *testing.T) {
	e := newEnv(t, envOptions{})
	u1, u2 := e.login("u1"), e.login("u2")
	c1, c2 := e.connect("ws", u1), e.connect("tcp", u2)
	c1.subscribe(e.ownTopics(u1)...)
	c2.subscribe(e.ownTopics(u2)...)
	if s := e.http("POST", "/api/v4/me/flags/u2", u1.Token, nil); s != 200 {
		t.Fatalf("flag: %d", s)
	}
	r := c1.nextOf("user.flagged")
	if r.Topic != e.net()+"/user/"+u1.ID || !strings.Contains(string(r.Msg.Data), `"flagCount":1`) {
		t.Fatalf("user.flagged on %s: %s", r.Topic, r.Msg.Data)
	}
	if s := e.http("DELETE", "/api/v4/me/flags/u2", u1.Token, nil); s != 200 {
		t.Fatalf("unflag: %d", s)
	}
	if r := c1.nextOf("user.unflagged"); !strings.Contains(string(r.Msg.Data), `"flagCount":0`) {
		t.Fatalf("user.unflagged: %s", r.Msg.Data)
	}
	admin := e.admin()
	ca := e.connect("ws", admin)
	ca.subscribe(e.ownTopics(admin)...)
	if s := e.http("DELETE", "/api/v2/users/u2/flags", admin.Token, nil); s != 200 {
		t.Fatalf("clear: %d", s)
	}
	ca.nextOf("user.flagCleared")

	if s := e.http("POST", "/api/v4/me/user-blocks/u2", u1.Token, nil); s != 200 {
		t.Fatalf("block: %d", s)
	}
	for _, c := range []*client{c1, c2} {
		if r := c.nextOf("user.blocked"); !strings.Contains(string(r.Msg.Data), `"status":"blocked"`) {
			t.Fatalf("user.blocked: %s", r.Msg.Data)
		}
	}
	// u2 heard nothing of the flags.
	for {
		select {
		case r := <-c2.msgs:
			if strings.HasPrefix(r.Msg.EventType, "user.flag") || r.Msg.EventType == "user.unflagged" {
				t.Fatalf("the flagged user heard %s", r.Msg.EventType)
			}
			continue
		default:
		}
		break
	}
}

// admin is the network's admin user with a server-key token.
func (e *env) admin() user {
	e.t.Helper()
	tok, err := e.svc.IssueAdminToken(e.t.(*testing.T).Context(), "sk")
	if err != nil {
		e.t.Fatal(err)
	}
	_, m := e.httpJSON("GET", "/api/v3/users/_parley_admin", tok.AdminToken, nil)
	return user{ID: m["users"].([]any)[0].(map[string]any)["_id"].(string), PublicID: "_parley_admin", Token: tok.AdminToken}
}
