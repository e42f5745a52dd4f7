package realtime_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/chat"
)

const cid = "cccccccccccccccccccccccc"

// Each event family reaches connected members on the topic the SDK expects it on, and
// the channel's path; non-members hear nothing.
func TestChannelEventsReachMembersFeedsAndPath(t *testing.T) {
	ch := newFakeChannels()
	e := newEnv(t, envOptions{channels: ch})
	a, b, outsider, offline := e.login("a"), e.login("b"), e.login("outsider"), e.login("offline")
	ch.set(cid, a.ID, b.ID, offline.ID)
	ca, cb, co := e.connect("ws", a), e.connect("tcp", b), e.connect("ws", outsider)
	ca.subscribe(e.ownTopics(a)...)
	cb.subscribe(append(e.ownTopics(b), e.net()+"/chat/"+cid+"/#")...)
	co.subscribe(e.ownTopics(outsider)...)
	n := e.net()
	cases := []struct {
		eventType chat.EventType
		feed      string
	}{
		{"channel.updated", "/smartfeed/%s/channels"},
		{"channel.membersAdded", "/smartfeed/%s/channels"},
		{"message-feed.created", "/smartfeed/%s/messagefeeds"},
		{"message.created", "/smartfeed/%s/messages"},
		{"message.reactionAdded", "/smartfeed/%s/messages"},
		{chat.EventMarkerUserFeedUpdated, "/marker/user/%s"},
	}
	for _, c := range cases {
		e.appendEvent(chat.Event{Type: c.eventType, ChannelID: cid, Data: map[string]any{"channels": []any{}}})
		for _, m := range []struct {
			c *client
			u user
		}{{ca, a}, {cb, b}} {
			r := m.c.next()
			want := n + fmt.Sprintf(c.feed, m.u.ID)
			if r.Msg.EventType != string(c.eventType) || r.Topic != want {
				t.Errorf("%s: member %s got %s on %s, want it on %s", c.eventType, m.u.PublicID, r.Msg.EventType, r.Topic, want)
			}
			if r.Msg.Path != n+"/chat/"+cid {
				t.Errorf("%s: path %q", c.eventType, r.Msg.Path)
			}
		}
		// b also subscribed to the channel's path.
		if r := cb.next(); r.Topic != n+"/chat/"+cid || r.Msg.EventType != string(c.eventType) {
			t.Errorf("%s on the channel path: got %s on %s", c.eventType, r.Msg.EventType, r.Topic)
		}
	}
	// The outsider's first message is their own event, not the channel's.
	e.appendEvent(chat.Event{Type: "user.updated", UserIDs: []string{outsider.ID}, Data: map[string]any{}})
	if r := co.next(); r.Msg.EventType != "user.updated" {
		t.Errorf("non-member received %s on %s", r.Msg.EventType, r.Topic)
	}
}

// A banned user learns of the ban on their own feed, and loses the channel's path at
// once: no further channel event reaches them, and they cannot subscribe again.
func TestBanCutsChannelSubscription(t *testing.T) {
	ch := newFakeChannels()
	e := newEnv(t, envOptions{channels: ch})
	mod, bad := e.login("mod"), e.login("bad")
	ch.set(cid, mod.ID, bad.ID)
	cm, cb := e.connect("ws", mod), e.connect("ws", bad)
	n := e.net()
	path := n + "/chat/" + cid + "/#"
	cm.subscribe(append(e.ownTopics(mod), path)...)
	if got := cb.subscribe(append(e.ownTopics(bad), path, n+"/chat/"+cid)...); got[6] != 0 || got[7] != 0 {
		t.Fatalf("member's channel subscriptions granted %v", got)
	}
	ch.remove(cid, bad.ID) // the ban committed
	start := time.Now()
	e.appendEvent(chat.Event{Type: "channel.banned", ChannelID: cid, UserIDs: []string{bad.ID}, Data: map[string]any{"channelUsers": []any{}}})
	if r := cb.next(); r.Msg.EventType != "channel.banned" || r.Topic != n+"/smartfeed/"+bad.ID+"/channels" {
		t.Fatalf("banned user got %s on %s, want channel.banned on their channels feed", r.Msg.EventType, r.Topic)
	}
	t.Logf("ban reached the banned user %v after commit", time.Since(start))
	e.appendEvent(chat.Event{Type: "message.created", ChannelID: cid, Data: map[string]any{"messages": []any{}}})
	e.appendEvent(chat.Event{Type: "user.updated", UserIDs: []string{bad.ID}, Data: map[string]any{}})
	if r := cb.next(); r.Msg.EventType != "user.updated" {
		t.Errorf("banned user still receives the channel: %s on %s", r.Msg.EventType, r.Topic)
	}
	if got := cb.subscribe(path); got[0] != 0x80 {
		t.Errorf("banned user re-subscribed to the channel path: granted %d", got[0])
	}
	// The moderator still hears everything, on both topics.
	for _, want := range []string{"channel.banned", "channel.banned", "message.created", "message.created"} {
		if r := cm.next(); r.Msg.EventType != want {
			t.Errorf("moderator got %s, want %s", r.Msg.EventType, want)
		}
	}
}

// A persistent session that comes back after losing access does not get the channel
// back through its stored subscriptions.
func TestReconnectRechecksStoredSubscriptions(t *testing.T) {
	ch := newFakeChannels()
	e := newEnv(t, envOptions{channels: ch})
	u := e.login("u")
	ch.set(cid, u.ID)
	c := e.connect("tcp", u)
	c.subscribe(append(e.ownTopics(u), e.net()+"/chat/"+cid+"/#")...)
	c.c.Disconnect(0) // clean: false: the session and its subscriptions stay
	ch.remove(cid, u.ID)
	c = e.connect("tcp", u) // same client id
	e.appendEvent(chat.Event{Type: "message.created", ChannelID: cid, Data: map[string]any{}})
	e.appendEvent(chat.Event{Type: "user.updated", UserIDs: []string{u.ID}, Data: map[string]any{}})
	if r := c.next(); r.Msg.EventType != "user.updated" {
		t.Errorf("after reconnect got %s on %s", r.Msg.EventType, r.Topic)
	}
}

// Through the real domain: channel and message events of the HTTP API reach members'
// feeds and the target users, and a ban cuts the banned user's channel path.
func TestChannelLifecycleOverTheRealDomain(t *testing.T) {
	e := newEnv(t, envOptions{})
	a, b, c := e.login("a"), e.login("b"), e.login("c")
	ca, cb, cc := e.connect("ws", a), e.connect("tcp", b), e.connect("ws", c)
	ca.subscribe(e.ownTopics(a)...)
	cc.subscribe(e.ownTopics(c)...)
	n := e.net()
	status, out := e.httpJSON("POST", "/api/v3/channels", a.Token, map[string]any{"channelId": "room-1", "type": "community", "userIds": []string{"b"}})
	if status != 200 {
		t.Fatalf("create channel: %d %v", status, out)
	}
	chID := out["channels"].([]any)[0].(map[string]any)["channelInternalId"].(string)
	path := n + "/chat/" + chID
	if r := ca.nextOf("channel.created"); r.Topic != n+"/smartfeed/"+a.ID+"/channels" {
		t.Errorf("channel.created on %s", r.Topic)
	}
	if got := cb.subscribe(append(e.ownTopics(b), path+"/#")...); got[6] != 0 {
		t.Fatalf("member's channel path refused: %v", got)
	}
	if got := cc.subscribe(path + "/#"); got[0] != 0 { // community channels are open to read
		t.Fatalf("community channel path refused to a non-member: %v", got)
	}

	send := func(text string) {
		t.Helper()
		if s, out := e.httpJSON("POST", "/api/v5/messages", a.Token, map[string]any{"messageFeedId": chID, "dataType": "text", "data": map[string]string{"text": text}}); s != 200 {
			t.Fatalf("send: %d %v", s, out)
		}
	}
	// A sub-channel subscriber (the SDK's getSubChannelTopic: <feed path>/#) hears the
	// messages of that feed, though it never subscribed to the channel's path.
	feedSub, err := e.dial("tcp", a.ID, a.Token, sdkClientID(a, 1)) // a second tab of a
	if err != nil {
		t.Fatal(err)
	}
	if got := feedSub.subscribe(path + "/feed/" + chID + "/#"); got[0] != 0 {
		t.Fatalf("sub-channel path refused to a member: %v", got)
	}
	send("hello")
	if r := feedSub.nextOf("message.created"); !strings.HasPrefix(r.Topic, path+"/feed/"+chID+"/message/") {
		t.Errorf("sub-channel subscriber got message.created on %s", r.Topic)
	}
	for _, m := range []struct {
		c *client
		u user
	}{{ca, a}, {cb, b}} {
		r := m.c.nextOf("message.created")
		if r.Topic != n+"/smartfeed/"+m.u.ID+"/messages" && !strings.HasPrefix(r.Topic, path+"/") {
			t.Errorf("message.created for %s on %s", m.u.PublicID, r.Topic)
		}
	}
	// Under the channel's path a message event stands at the message's own path, so
	// that channel, sub-channel and message subscribers all match it with one publish.
	if r := cc.nextOf("message.created"); !strings.HasPrefix(r.Topic, path+"/feed/"+chID+"/message/") {
		t.Errorf("reader's message.created on %s, want the message's path under the channel", r.Topic)
	}

	// Added: the new member hears it on their own feed.
	if s := e.http("POST", "/api/v3/channels/room-1/users", a.Token, map[string]any{"userIds": []string{"c"}}); s != 200 {
		t.Fatalf("add: %d", s)
	}
	if r := cc.nextOf("channel.membersAdded"); r.Topic != n+"/smartfeed/"+c.ID+"/channels" && r.Topic != path {
		t.Errorf("membersAdded on %s", r.Topic)
	}
	// The relay's member cache took c in with the event: c's own feed now carries the
	// channel's messages (c also reads the channel's path, so skip those copies).
	send("welcome c")
	for r := cc.nextOf("message.created"); r.Topic != n+"/smartfeed/"+c.ID+"/messages"; r = cc.nextOf("message.created") {
	}

	// Banned: b learns it on their own feed, then hears nothing more of the channel.
	if s := e.http("PUT", "/api/v3/channels/room-1/users/ban", a.Token, map[string]any{"userIds": []string{"b"}}); s != 200 {
		t.Fatalf("ban: %d", s)
	}
	for {
		r := cb.next()
		if r.Msg.EventType == "channel.banned" {
			if r.Topic != n+"/smartfeed/"+b.ID+"/channels" {
				t.Errorf("banned user heard the ban on %s, want their channels feed", r.Topic)
			}
			break
		}
	}
	send("after the ban")
	e.http("PUT", "/api/v3/users", b.Token, map[string]any{"userId": "b", "displayName": "B"})
	for r := cb.next(); r.Msg.EventType != "user.updated"; r = cb.next() {
		if r.Msg.EventType == "message.created" {
			t.Errorf("banned user received a message on %s", r.Topic)
		}
	}
	if got := cb.subscribe(path + "/#"); got[0] != 0x80 {
		t.Errorf("banned user re-subscribed to the channel path: %d", got[0])
	}

	// Left: members hear channel.left.
	if s := e.http("DELETE", "/api/v3/channels/room-1/leave", c.Token, nil); s != 200 {
		t.Fatalf("leave: %d", s)
	}
	ca.nextOf("channel.left")
}

// accessCuts reads parley_mqtt_access_cuts_total.
func (e *env) accessCuts(t *testing.T) int {
	t.Helper()
	mfs, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "parley_mqtt_access_cuts_total" {
			return int(mf.GetMetric()[0].GetCounter().GetValue())
		}
	}
	t.Fatal("no parley_mqtt_access_cuts_total")
	return 0
}

// A ban cuts the banned user's access once: its own row says it cuts, and no second
// event repeats the work.
func TestBanCutsAccessOnce(t *testing.T) {
	e := newEnv(t, envOptions{})
	a, b := e.login("a"), e.login("b")
	ca, cb := e.connect("ws", a), e.connect("tcp", b)
	ca.subscribe(e.ownTopics(a)...)
	status, out := e.httpJSON("POST", "/api/v3/channels", a.Token, map[string]any{"channelId": "once", "type": "community", "userIds": []string{"b"}})
	if status != 200 {
		t.Fatalf("create channel: %d %v", status, out)
	}
	chID := out["channels"].([]any)[0].(map[string]any)["channelInternalId"].(string)
	if got := cb.subscribe(e.net() + "/chat/" + chID + "/#"); got[0] != 0 {
		t.Fatalf("member's channel path refused: %v", got)
	}
	before := e.accessCuts(t)
	if s := e.http("PUT", "/api/v3/channels/once/users/ban", a.Token, map[string]any{"userIds": []string{"b"}}); s != 200 {
		t.Fatalf("ban: %d", s)
	}
	ca.nextOf("channel.banned")
	// An event committed after the ban, heard: the relay has passed everything before it.
	e.http("PUT", "/api/v3/users", a.Token, map[string]any{"userId": "a", "displayName": "A"})
	ca.nextOf("user.updated")
	if got := e.accessCuts(t) - before; got != 1 {
		t.Errorf("a ban cut access %d times, want 1", got)
	}
}
