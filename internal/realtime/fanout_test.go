package realtime_test

import (
	"fmt"
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
	cases := []struct{ eventType, feed string }{
		{"channel.updated", "/smartfeed/%s/channels"},
		{"channel.membersAdded", "/smartfeed/%s/channels"},
		{"message-feed.created", "/smartfeed/%s/messagefeeds"},
		{"message.created", "/smartfeed/%s/messages"},
		{"message.reactionAdded", "/smartfeed/%s/messages"},
		{"marker.marked-message", "/marker/user/%s"},
	}
	for _, c := range cases {
		e.appendEvent(chat.Event{Type: c.eventType, ChannelID: cid, Data: map[string]any{"channels": []any{}}})
		for _, m := range []struct {
			c *client
			u user
		}{{ca, a}, {cb, b}} {
			r := m.c.next()
			want := n + fmt.Sprintf(c.feed, m.u.ID)
			if r.Msg.EventType != c.eventType || r.Topic != want {
				t.Errorf("%s: member %s got %s on %s, want it on %s", c.eventType, m.u.PublicID, r.Msg.EventType, r.Topic, want)
			}
			if r.Msg.Path != n+"/chat/"+cid {
				t.Errorf("%s: path %q", c.eventType, r.Msg.Path)
			}
		}
		// b also subscribed to the channel's path.
		if r := cb.next(); r.Topic != n+"/chat/"+cid || r.Msg.EventType != c.eventType {
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
