package httpapi_test

import (
	"testing"

	"github.com/parley-chat/parley/internal/chat"
)

func TestEditAndDeleteMessage(t *testing.T) {
	f := newMsgFixture(t)
	e := f.e
	m := e.send(f.bob, text(f.feed, "first"))
	id := m["messageId"].(string)
	path := "/api/v5/messages/" + id
	// The creator edits; editing someone else's message needs EDIT_MESSAGE.
	e.do(req{method: "PUT", path: path, token: f.carol, body: map[string]any{"data": map[string]any{"text": "x"}}}).expect(403, 400301)
	other := e.send(f.alice, text(f.feed, "alice's"))
	e.do(req{method: "PUT", path: "/api/v5/messages/" + other["messageId"].(string), token: f.bob, body: map[string]any{"data": map[string]any{"text": "x"}}}).expect(403, 400301)
	for name, body := range map[string]any{
		"malformed":      `{"data":`,
		"empty text":     map[string]any{"data": map[string]any{"text": ""}},
		"text as number": map[string]any{"data": map[string]any{"text": 1}},
		"tags too many":  map[string]any{"tags": []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"}},
		"metadata list":  map[string]any{"metadata": []int{1}},
	} {
		t.Run(name, func(t *testing.T) {
			e.in(t).do(req{method: "PUT", path: path, token: f.bob, body: body}).expect(400, 400000)
		})
	}
	if got := first(e.do(req{method: "GET", path: path, token: f.bob}).ok().JSON(), "messages"); got["data"].(map[string]any)["text"] != "first" || got["editedAt"] != nil {
		t.Fatalf("refused edits changed the message: %v", got)
	}
	up := first(e.do(req{method: "PUT", path: path, token: f.bob, body: map[string]any{"data": map[string]any{"text": "edited"}, "tags": []string{"x"}}}).ok().JSON(), "messages")
	if up["data"].(map[string]any)["text"] != "edited" || up["editedAt"] == nil || up["segment"] != 1.0 || toStrings(up["tags"])[0] != "x" {
		t.Fatalf("edit: %v", up)
	}
	// A moderator edits anyone's.
	e.do(req{method: "PUT", path: path, token: f.alice, body: map[string]any{"metadata": map[string]any{"by": "mod"}}}).ok()
	// Delete: others need DELETE_MESSAGE; the answer carries the message deleted, and it
	// stays readable.
	e.do(req{method: "DELETE", path: "/api/v5/messages/" + other["messageId"].(string), token: f.bob}).expect(403, 400301)
	d := first(e.do(req{method: "DELETE", path: path, token: f.bob}).ok().JSON(), "messages")
	if d["isDeleted"] != true || d["deletedAt"] == nil {
		t.Fatalf("delete answer: %v", d)
	}
	if g := first(e.do(req{method: "GET", path: path, token: f.bob}).ok().JSON(), "messages"); g["isDeleted"] != true {
		t.Fatalf("deleted message: %v", g)
	}
	e.do(req{method: "PUT", path: path, token: f.bob, body: map[string]any{"data": map[string]any{"text": "again"}}}).expect(404, 400400)
	e.do(req{method: "DELETE", path: "/api/v5/messages/" + other["messageId"].(string), token: f.alice}).ok()
	if n := e.events("message.deleted", f.feed, ""); n != 2 {
		t.Fatalf("%d message.deleted events", n)
	}
	if n := e.events("message.updated", f.feed, ""); n != 2 {
		t.Fatalf("%d message.updated events", n)
	}
	e.do(req{method: "DELETE", path: "/api/v5/messages/" + chat.NewID(), token: f.alice}).expect(404, 400400)
}

func TestFlags(t *testing.T) {
	f := newMsgFixture(t)
	e := f.e
	e.do(req{method: "PUT", path: "/api/v3/channels/c", token: f.alice,
		body: map[string]any{"messageAutoDeleteEnabled": true, "autoDeleteMessageByFlagLimit": 2}}).ok()
	e.do(req{method: "POST", path: "/api/v3/channels/c/users", token: f.alice, body: users("carol")}).ok()
	m := e.send(f.bob, text(f.feed, "spam"))
	path := "/api/v5/messages/" + m["messageId"].(string) + "/flags"
	flagged := func(tok string) bool {
		return e.do(req{method: "GET", path: path, token: tok}).ok().JSON()["result"].(bool)
	}
	r := first(e.do(req{method: "POST", path: path, token: f.alice}).ok().JSON(), "messages")
	if r["flagCount"] != 1.0 || !flagged(f.alice) || flagged(f.carol) {
		t.Fatalf("after one flag: %v", r)
	}
	// Flagging twice counts once.
	if r := first(e.do(req{method: "POST", path: path, token: f.alice}).ok().JSON(), "messages"); r["flagCount"] != 1.0 {
		t.Fatalf("flag twice: %v", r)
	}
	r = first(e.do(req{method: "DELETE", path: path, token: f.alice}).ok().JSON(), "messages")
	if r["flagCount"] != 0.0 || flagged(f.alice) {
		t.Fatalf("after unflag: %v", r)
	}
	e.do(req{method: "POST", path: path, token: f.alice}).ok()
	e.do(req{method: "POST", path: path, token: f.carol, body: map[string]any{"reason": "spam"}}).ok()
	g := first(e.do(req{method: "GET", path: "/api/v5/messages/" + m["messageId"].(string), token: f.bob}).ok().JSON(), "messages")
	if g["flagCount"] != 2.0 || g["isDeleted"] != true {
		t.Fatalf("the flag limit did not delete: %v", g)
	}
	if e.events("message.flagged", f.feed, "") != 3 || e.events("message.unflagged", f.feed, "") != 1 {
		t.Fatal("flag events")
	}
	e.do(req{method: "POST", path: path, token: f.alice, body: `{"reason":`}).expect(400, 400000)
	e.do(req{method: "POST", path: "/api/v5/messages/" + chat.NewID() + "/flags", token: f.alice}).expect(404, 400400)
}

func TestMentionsAndMarkers(t *testing.T) {
	f := newMsgFixture(t)
	e := f.e
	for i := 0; i < 3; i++ {
		e.send(f.alice, text(f.feed, "hi"))
	}
	mention := text(f.feed, "@bob")
	mention["mentionedUsers"] = []any{map[string]any{"type": "user", "userPublicIds": []string{"bob", "carol", "ghost"}}}
	e.send(f.alice, mention)
	// bob has 4 unread and is mentioned; the sender has none unread.
	markers := e.do(req{method: "GET", path: "/api/v1/markers/channels?channelIds%5B%5D=" + f.feed, token: f.bob}).ok().JSON()
	em := first(markers, "userEntityMarkers")
	if em["unreadCount"] != 4.0 || em["isMentioned"] != true {
		t.Fatalf("bob's channel marker: %v", em)
	}
	own := e.do(req{method: "GET", path: "/api/v1/markers/channels?channelIds%5B%5D=" + f.feed, token: f.alice}).ok().JSON()
	if first(own, "userEntityMarkers")["unreadCount"] != 0.0 {
		t.Fatalf("sender's own messages unread: %v", own)
	}
	ch := e.do(req{method: "GET", path: "/api/v3/channels/c", token: f.bob}).ok().JSON()
	if cu := first(ch, "channelUsers"); cu["lastMentionedSegment"] != 4.0 || cu["readToSegment"] != 0.0 {
		t.Fatalf("bob's membership: %v", cu)
	}
	fm := e.do(req{method: "GET", path: "/api/v1/markers/message-feeds?messageFeedIds%5B%5D=" + f.feed +
		"&options%5Btoken%5D=eyJza2lwIjowLCJsaW1pdCI6MTAwfQ%3D%3D", token: f.bob}).ok().JSON()
	if first(fm, "userFeedMarkers")["unreadCount"] != 4.0 || first(fm, "feedMarkers")["lastSegment"] != 4.0 {
		t.Fatalf("feed markers: %v", fm)
	}
	if u := first(e.do(req{method: "GET", path: "/api/v1/markers/userMarker", token: f.bob}).ok().JSON(), "userMarkers"); u["unreadCount"] != 4.0 {
		t.Fatalf("user marker: %v", u)
	}
	// Read up to 2, then the rest; positions never move back.
	e.do(req{method: "PUT", path: "/api/v1/markers/message-feeds/" + f.feed + "/mark-read", token: f.bob, body: map[string]any{"readToSegment": 2}}).ok()
	r := e.do(req{method: "PUT", path: "/api/v1/markers/message-feeds/" + f.feed + "/mark-read", token: f.bob, body: map[string]any{"readToSegment": 1}}).ok().JSON()
	if first(r, "userFeedMarkers")["readToSegment"] != 2.0 || first(r, "userFeedMarkers")["unreadCount"] != 2.0 {
		t.Fatalf("read to 2: %v", r)
	}
	e.do(req{method: "PUT", path: "/api/v1/markers/message-feeds/" + f.feed + "/mark-read", token: f.bob, body: map[string]any{"readToSegment": -1}}).expect(400, 400000)
	e.do(req{method: "PUT", path: "/api/v1/markers/message-feeds/" + f.feed + "/mark-read", token: f.bob, body: `{"readToSegment":"x"}`}).expect(400, 400000)
	r = e.do(req{method: "PUT", path: "/api/v1/markers/channels/" + f.feed + "/mark-read", token: f.bob}).ok().JSON()
	if em := first(r, "userEntityMarkers"); em["unreadCount"] != 0.0 || em["isMentioned"] != false {
		t.Fatalf("after mark-read: %v", em)
	}
	if cu := first(e.do(req{method: "GET", path: "/api/v3/channels/c", token: f.bob}).ok().JSON(), "channelUsers"); cu["readToSegment"] != 4.0 {
		t.Fatalf("readToSegment in the membership: %v", cu)
	}
	if n := e.count("outbox", "type = 'marker.userFeed-updated' AND user_ids LIKE ?", "%"+f.bobU.id()+"%"); n != 2 {
		t.Fatalf("%d marker events", n)
	}
	// Non-members cannot mark; a channel mention marks every member.
	e.do(req{method: "PUT", path: "/api/v1/markers/channels/" + f.feed + "/mark-read", token: f.carol}).expect(403, 400301)
	all := text(f.feed, "@all")
	all["mentionedUsers"] = []any{map[string]any{"type": "channel"}}
	e.send(f.alice, all)
	if em := first(e.do(req{method: "GET", path: "/api/v1/markers/channels?channelIds%5B%5D=" + f.feed, token: f.bob}).ok().JSON(), "userEntityMarkers"); em["isMentioned"] != true || em["unreadCount"] != 1.0 {
		t.Fatalf("channel mention: %v", em)
	}
	// 7.x seen.
	e.do(req{method: "POST", path: "/api/v3/channels/seen", token: f.bob, body: map[string]any{"channels": []any{map[string]any{"channelId": "c", "readToSegment": 5}}}}).ok()
	if u := first(e.do(req{method: "POST", path: "/api/v1/markers/sync", token: f.bob, body: map[string]any{"deviceLastSyncAt": "x"}}).ok().JSON(), "userMarkers"); u["unreadCount"] != 0.0 {
		t.Fatalf("after seen: %v", u)
	}
	e.do(req{method: "POST", path: "/api/v3/channels/seen", token: f.bob, body: map[string]any{"channels": []any{map[string]any{}}}}).expect(400, 400000)
}

func TestMessageMarkersAlwaysAnswer(t *testing.T) {
	f := newMsgFixture(t)
	e := f.e
	m := e.send(f.alice, text(f.feed, "read me"))
	id := m["messageId"].(string)
	conv := e.do(req{method: "POST", path: "/api/v3/channels/conversation", token: f.alice, body: map[string]any{"userIds": []string{"bob"}}}).ok().JSON()
	private := e.send(f.alice, text(internalID(first(conv, "channels")), "secret"))
	for _, query := range []string{
		"messageIds%5B%5D=" + id,
		"messageIds%5B%5D=" + id + "&messageIds%5B%5D=" + chat.NewID() + "&messageIds%5B%5D=not-an-id&messageIds%5B%5D=" + private["messageId"].(string),
		"",
		"messageIds%5B%5D=%25%25%25",
	} {
		r := e.do(req{method: "GET", path: "/api/v1/markers/messages?" + query, token: f.carol}).ok().JSON()
		for _, cm := range r["contentMarkers"].([]any) {
			if cm.(map[string]any)["contentId"] != id {
				t.Fatalf("%s: carol sees markers of a message she cannot read: %v", query, cm)
			}
		}
	}
	e.do(req{method: "PUT", path: "/api/v1/markers/message-feeds/" + f.feed + "/mark-read", token: f.bob}).ok()
	r := e.do(req{method: "GET", path: "/api/v1/markers/messages?messageIds%5B%5D=" + id, token: f.alice}).ok().JSON()
	if cm := first(r, "contentMarkers"); cm["readCount"] != 1.0 || cm["deliveredCount"] != 1.0 || cm["segment"] != 1.0 {
		t.Fatalf("content marker: %v", cm)
	}
	readers := e.do(req{method: "GET", path: "/api/v1/markers/messages/" + id + "/read-users", token: f.alice}).ok().JSON()
	if got := toStrings(readers["publicUserIds"]); len(got) != 1 || got[0] != "bob" {
		t.Fatalf("read users: %v", readers)
	}
	e.do(req{method: "PUT", path: "/api/v1/markers/message-feeds/" + f.feed + "/mark-delivering", token: f.bob, body: map[string]any{"messageId": id}}).ok()
	e.do(req{method: "PUT", path: "/api/v1/markers/message-feeds/" + f.feed + "/mark-delivering", token: f.bob, body: map[string]any{}}).expect(400, 400000)
	e.do(req{method: "GET", path: "/api/v1/markers/messages/" + id + "/delivered-users", token: f.alice}).ok()
	for _, p := range []string{"start-reading", "stop-reading"} {
		e.do(req{method: "POST", path: "/api/v1/markers/message-feeds/" + f.feed + "/" + p, token: f.bob}).ok()
	}
	e.do(req{method: "POST", path: "/api/v1/markers/message-feeds/reading", token: f.bob, body: map[string]any{"messageFeedIds": []string{f.feed}}}).ok()
	e.do(req{method: "GET", path: "/api/v1/markers/user-message-feed?channelIds%5B%5D=" + f.feed, token: f.bob}).ok()
}

func TestReactions(t *testing.T) {
	f := newMsgFixture(t)
	e := f.e
	m := e.send(f.bob, text(f.feed, "react"))
	id := m["messageId"].(string)
	body := func(name string) map[string]any {
		return map[string]any{"referenceId": id, "referenceType": "message", "reactionName": name, "referenceVersion": 5}
	}
	added := e.do(req{method: "POST", path: "/api/v2/reactions", token: f.alice, body: body("like")}).ok().JSON()["addedId"]
	again := e.do(req{method: "POST", path: "/api/v2/reactions", token: f.alice, body: body("like")}).ok().JSON()["addedId"]
	if added != again {
		t.Fatalf("a repeated reaction made a new one: %v %v", added, again)
	}
	e.do(req{method: "POST", path: "/api/v2/reactions", token: f.bob, body: body("like")}).ok()
	e.do(req{method: "POST", path: "/api/v2/reactions", token: f.bob, body: body("love")}).ok()
	g := first(e.do(req{method: "GET", path: "/api/v5/messages/" + id, token: f.bob}).ok().JSON(), "messages")
	if g["reactionCount"] != 3.0 || g["reactions"].(map[string]any)["like"] != 2.0 || len(g["myReactions"].([]any)) != 2 {
		t.Fatalf("counts: %v", g)
	}
	e.do(req{method: "POST", path: "/api/v2/reactions", token: f.carol, body: body("like")}).expect(403, 400301)
	for name, b := range map[string]any{
		"no name":      map[string]any{"referenceId": id, "referenceType": "message"},
		"bad type":     map[string]any{"referenceId": id, "referenceType": "post", "reactionName": "x"},
		"long name":    body(string(make([]byte, 101))),
		"malformed":    `{"referenceId":`,
		"name numeric": map[string]any{"referenceId": id, "referenceType": "message", "reactionName": 1},
	} {
		t.Run(name, func(t *testing.T) {
			e.in(t).do(req{method: "POST", path: "/api/v2/reactions", token: f.bob, body: b}).expect(400, 400000)
		})
	}
	list := e.do(req{method: "GET", path: "/api/v3/reactions?referenceId=" + id + "&referenceType=message&referenceVersion=5&options%5Blimit%5D=2", token: f.bob}).ok().JSON()
	if rs := first(list, "reactions")["reactors"].([]any); len(rs) != 2 {
		t.Fatalf("first page: %v", rs)
	}
	next, _ := paging(list)
	rest := e.do(req{method: "GET", path: "/api/v3/reactions?referenceId=" + id + "&referenceType=message&" + tokenQuery(next), token: f.bob}).ok().JSON()
	if rs := first(rest, "reactions")["reactors"].([]any); len(rs) != 1 {
		t.Fatalf("second page: %v", rs)
	}
	removed := e.do(req{method: "DELETE", path: "/api/v2/reactions", token: f.alice, body: body("like")}).ok().JSON()["removedId"]
	if removed != added {
		t.Fatalf("removed %v, want %v", removed, added)
	}
	e.do(req{method: "DELETE", path: "/api/v2/reactions", token: f.alice, body: body("like")}).expect(404, 400400)
	if e.events("message.reactionAdded", f.feed, "") != 3 || e.events("message.reactionRemoved", f.feed, "") != 1 {
		t.Fatal("reaction events")
	}
	if n := e.count("message_reactions", ""); n != 2 {
		t.Fatalf("%d reactions", n)
	}
}

func TestMessageFeeds(t *testing.T) {
	f := newMsgFixture(t)
	e := f.e
	// The default feed answers for any channel, before any message.
	d := e.do(req{method: "GET", path: "/api/v5/message-feeds/" + f.feed, token: f.bob}).ok().JSON()
	if df := first(d, "messageFeeds"); df["messageFeedId"] != f.feed || df["channelPublicId"] != "c" || df["childCount"] != 0.0 {
		t.Fatalf("default feed: %v", df)
	}
	m := e.send(f.bob, text(f.feed, "preview"))
	d = e.do(req{method: "GET", path: "/api/v5/message-feeds/" + f.feed, token: f.bob}).ok().JSON()
	if df := first(d, "messageFeeds"); df["childCount"] != 1.0 || df["lastMessageId"] != m["messageId"] || len(d["messages"].([]any)) != 1 {
		t.Fatalf("default feed after a message: %v", d)
	}
	created := e.do(req{method: "POST", path: "/api/v5/message-feeds", token: f.bob, body: map[string]any{"channelId": f.feed, "name": "thread"}}).ok().JSON()
	sub := first(created, "messageFeeds")["messageFeedId"].(string)
	e.do(req{method: "POST", path: "/api/v5/message-feeds", token: f.carol, body: map[string]any{"channelId": "c", "name": "x"}}).expect(403, 400301)
	e.do(req{method: "POST", path: "/api/v5/message-feeds", token: f.bob, body: map[string]any{"channelId": "c"}}).expect(400, 400000)
	// Each feed numbers its own messages.
	if s := e.send(f.alice, text(sub, "in thread")); s["segment"] != 1.0 || s["messageFeedId"] != sub {
		t.Fatalf("sub-channel message: %v", s)
	}
	if c := first(e.do(req{method: "GET", path: "/api/v3/channels/c", token: f.bob}).ok().JSON(), "channels"); c["messageCount"] != 2.0 {
		t.Fatalf("channel counts messages of all its feeds: %v", c["messageCount"])
	}
	list := e.do(req{method: "GET", path: "/api/v5/message-feeds/channel/" + f.feed + "?options%5Blimit%5D=1", token: f.bob}).ok().JSON()
	next, _ := paging(list)
	if first(list, "messageFeeds")["messageFeedId"] != f.feed || next == "" {
		t.Fatalf("feeds page 1: %v", list)
	}
	list = e.do(req{method: "GET", path: "/api/v5/message-feeds/channel/" + f.feed + "?" + tokenQuery(next), token: f.bob}).ok().JSON()
	if first(list, "messageFeeds")["messageFeedId"] != sub {
		t.Fatalf("feeds page 2: %v", list)
	}
	ex := e.do(req{method: "GET", path: "/api/v5/message-feeds/channel/c?excludeDefaultMessageFeed=true", token: f.bob}).ok().JSON()
	if len(ex["messageFeeds"].([]any)) != 1 {
		t.Fatalf("excludeDefault: %v", ex)
	}
	byIDs := e.do(req{method: "GET", path: "/api/v5/message-feeds/list?messageFeedIds%5B%5D=" + sub + "&messageFeedIds%5B%5D=" + chat.NewID(), token: f.bob}).ok().JSON()
	if len(byIDs["messageFeeds"].([]any)) != 1 {
		t.Fatalf("by ids: %v", byIDs)
	}
	e.do(req{method: "PUT", path: "/api/v5/message-feeds/" + sub, token: f.alice, body: map[string]any{"name": "renamed"}}).ok()
	e.do(req{method: "PUT", path: "/api/v5/message-feeds/" + sub, token: f.carol, body: map[string]any{"name": "x"}}).expect(403, 400301)
	e.do(req{method: "PUT", path: "/api/v5/message-feeds/" + sub, token: f.bob, body: map[string]any{"name": ""}}).expect(400, 400000)
	e.do(req{method: "DELETE", path: "/api/v5/message-feeds/" + f.feed, token: f.alice}).expect(403, 400300)
	e.do(req{method: "DELETE", path: "/api/v5/message-feeds/" + sub + "?permanent=false", token: f.bob}).ok()
	e.do(req{method: "GET", path: "/api/v5/message-feeds/" + sub, token: f.bob}).expect(404, 400400)
	e.do(req{method: "POST", path: "/api/v5/messages", token: f.bob, body: text(sub, "x")}).expect(404, 400400)
	for _, typ := range []string{"message-feed.created", "message-feed.updated", "message-feed.deleted"} {
		if e.events(typ, f.feed, "") != 1 {
			t.Fatalf("no %s event", typ)
		}
	}
}
