package httpapi_test

import (
	"context"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/chat"
)

func TestSendMessage(t *testing.T) {
	f := newMsgFixture(t)
	e := f.e
	body := text(f.feed, "hello")
	body["tags"], body["metadata"], body["referenceId"] = []string{"t"}, map[string]any{"k": 1}, "LOCAL_1"
	r := e.do(req{method: "POST", path: "/api/v5/messages", token: f.bob, body: body}).ok().JSON()
	m := first(r, "messages")
	want := map[string]any{"isDeleted": false, "creatorId": f.bobU.id(), "creatorPublicId": "bob", "channelId": f.feed,
		"channelPublicId": "c", "channelType": "community", "messageFeedId": f.feed, "segment": 1.0, "referenceId": "LOCAL_1",
		"dataType": "text", "childCount": 0.0, "flagCount": 0.0, "reactionCount": 0.0}
	for k, v := range want {
		if !reflect.DeepEqual(m[k], v) {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
	if m["data"].(map[string]any)["text"] != "hello" || m["metadata"].(map[string]any)["k"] != 1.0 || toStrings(m["tags"])[0] != "t" {
		t.Fatalf("content not kept: %v", m)
	}
	if !strings.HasSuffix(m["path"].(string), "/chat/"+f.feed+"/feed/"+f.feed+"/message/"+m["messageId"].(string)) {
		t.Fatalf("path %v", m["path"])
	}
	if len(r["users"].([]any)) != 1 || first(r, "users")["userId"] != "bob" {
		t.Fatalf("users: %v", r["users"])
	}
	// The channel counts it and shows it as its preview.
	ch := e.do(req{method: "GET", path: "/api/v3/channels/c", token: f.alice}).ok().JSON()
	c := first(ch, "channels")
	if c["messageCount"] != 1.0 || c["messagePreviewId"] != m["messageId"] {
		t.Fatalf("channel after a message: %v", c)
	}
	if p := first(ch, "messagePreviews"); p["messageId"] != m["messageId"] || p["creatorPublicId"] != "bob" || p["segment"] != 1.0 {
		t.Fatalf("preview: %v", p)
	}
	if info := first(ch, "messageFeedsInfo"); info["messageFeedId"] != f.feed || info["messagePreviewId"] != m["messageId"] {
		t.Fatalf("feed info: %v", info)
	}
	if n := e.events("message.created", f.feed, ""); n != 1 {
		t.Fatalf("%d message.created events", n)
	}
	// The previews are switched on in the chat settings the SDK reads at login.
	s := e.do(req{method: "GET", path: "/api/v3/network-settings/chat", token: f.bob}).ok().JSON()
	if s["messagePreview"].(map[string]any)["enabled"] != true {
		t.Fatalf("previews off: %v", s)
	}
	// Get one, and by ids: unknown ids are left out; ids may arrive encoded twice.
	id := m["messageId"].(string)
	got := first(e.do(req{method: "GET", path: "/api/v5/messages/" + id, token: f.alice}).ok().JSON(), "messages")
	if got["messageId"] != id || got["isDeleted"] != false {
		t.Fatalf("get: %v", got)
	}
	list := e.do(req{method: "GET", path: "/api/v5/messages/list?messageIds%5B%5D=" + url.QueryEscape(url.QueryEscape(id)) +
		"&messageIds%5B%5D=" + chat.NewID(), token: f.alice}).ok().JSON()
	if len(list["messages"].([]any)) != 1 {
		t.Fatalf("by ids: %v", list["messages"])
	}
	e.do(req{method: "GET", path: "/api/v5/messages/list", token: f.alice}).expect(400, 400000)
	e.do(req{method: "GET", path: "/api/v5/messages/" + chat.NewID(), token: f.alice}).expect(404, 400400)
}

func TestSendRules(t *testing.T) {
	f := newMsgFixture(t)
	e := f.e
	none := func() {
		t.Helper()
		if n := e.count("messages", ""); n != 0 {
			t.Fatalf("%d messages written", n)
		}
	}
	// Only members send.
	e.do(req{method: "POST", path: "/api/v5/messages", token: f.carol, body: text(f.feed, "x")}).expect(403, 400301)
	none()
	// A muted user.
	e.do(req{method: "PUT", path: "/api/v2/channel/c/users/mute", token: f.alice, body: map[string]any{"userIds": []string{"bob"}, "mutePeriod": 60000}}).ok()
	e.do(req{method: "POST", path: "/api/v5/messages", token: f.bob, body: text(f.feed, "x")}).expect(403, 400302)
	none()
	e.do(req{method: "PUT", path: "/api/v2/channel/c/users/mute", token: f.alice, body: map[string]any{"userIds": []string{"bob"}, "mutePeriod": 0}}).ok()
	// A muted channel: moderators still send.
	e.do(req{method: "PUT", path: "/api/v2/channel/c/mute", token: f.alice, body: map[string]any{"mutePeriod": -1}}).ok()
	e.do(req{method: "POST", path: "/api/v5/messages", token: f.bob, body: text(f.feed, "x")}).expect(403, 400303)
	none()
	e.send(f.alice, text(f.feed, "moderators may"))
	e.do(req{method: "PUT", path: "/api/v2/channel/c/mute", token: f.alice, body: map[string]any{"mutePeriod": 0}}).ok()
	bobs := e.send(f.bob, text(f.feed, "bob was here"))
	// A ban refuses with 400304 and soft-deletes the banned user's messages in the channel.
	e.do(req{method: "PUT", path: "/api/v3/channels/c/users/ban", token: f.alice, body: users("bob")}).ok()
	e.do(req{method: "POST", path: "/api/v5/messages", token: f.bob, body: text(f.feed, "x")}).expect(403, 400304)
	got := first(e.do(req{method: "GET", path: "/api/v5/messages/" + bobs["messageId"].(string), token: f.alice}).ok().JSON(), "messages")
	if got["isDeleted"] != true {
		t.Fatalf("banned user's message not deleted: %v", got)
	}
	if n := e.count("messages", ""); n != 2 {
		t.Fatalf("%d messages", n)
	}
	// Broadcast channels: only moderators send.
	b := e.createChannel(f.alice, map[string]any{"channelId": "b", "type": "broadcast", "userIds": []string{"carol"}})
	e.do(req{method: "POST", path: "/api/v5/messages", token: f.carol, body: text(internalID(b), "x")}).expect(403, 400301)
	e.send(f.alice, text(internalID(b), "news"))
	// A feed that does not exist.
	e.do(req{method: "POST", path: "/api/v5/messages", token: f.alice, body: text(chat.NewID(), "x")}).expect(404, 400400)
}

func TestRateLimit(t *testing.T) {
	f := newMsgFixture(t)
	e := f.e
	if err := e.db.SetRateLimit(context.Background(), f.feed, 3, 60, e.now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		e.send(f.bob, text(f.feed, fmt.Sprint(i)))
	}
	r := e.do(req{method: "POST", path: "/api/v5/messages", token: f.bob, body: text(f.feed, "too many")}).expect(429, 400311)
	_ = r
	if n := e.count("messages", ""); n != 3 {
		t.Fatalf("%d messages", n)
	}
	// Per user, and moderators are exempt.
	for i := 0; i < 5; i++ {
		e.send(f.alice, text(f.feed, "mod"))
	}
	// Once the limit's period is over, it no longer applies.
	if err := e.db.SetRateLimit(context.Background(), f.feed, 3, 60, e.now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	e.send(f.bob, text(f.feed, "free again"))
}

func TestSendBadInput(t *testing.T) {
	f := newMsgFixture(t)
	e := f.e
	img, file := e.file("image"), e.file("file")
	long := strings.Repeat("é", chat.MaxTextChars+1)
	bad := map[string]any{
		"malformed JSON":       `{"messageFeedId":`,
		"not an object":        `[1]`,
		"no feed":              map[string]any{"dataType": "text", "data": map[string]any{"text": "x"}},
		"no dataType":          map[string]any{"messageFeedId": f.feed, "data": map[string]any{"text": "x"}},
		"unknown dataType":     map[string]any{"messageFeedId": f.feed, "dataType": "poll", "data": map[string]any{"text": "x"}},
		"dataType not string":  map[string]any{"messageFeedId": f.feed, "dataType": 3, "data": map[string]any{"text": "x"}},
		"text missing":         map[string]any{"messageFeedId": f.feed, "dataType": "text", "data": map[string]any{}},
		"text empty":           text(f.feed, ""),
		"text too long":        text(f.feed, long),
		"text not a string":    map[string]any{"messageFeedId": f.feed, "dataType": "text", "data": map[string]any{"text": 5}},
		"data not an object":   map[string]any{"messageFeedId": f.feed, "dataType": "text", "data": "hello"},
		"image without file":   map[string]any{"messageFeedId": f.feed, "dataType": "image", "data": map[string]any{"caption": ""}},
		"custom without data":  map[string]any{"messageFeedId": f.feed, "dataType": "custom"},
		"custom too large":     map[string]any{"messageFeedId": f.feed, "dataType": "custom", "data": map[string]any{"x": strings.Repeat("a", chat.MaxCustomDataBytes)}},
		"too many tags":        map[string]any{"messageFeedId": f.feed, "dataType": "text", "data": map[string]any{"text": "x"}, "tags": strings.Split("a,b,c,d,e,f,g,h,i,j,k", ",")},
		"empty tag":            map[string]any{"messageFeedId": f.feed, "dataType": "text", "data": map[string]any{"text": "x"}, "tags": []string{""}},
		"metadata not object":  map[string]any{"messageFeedId": f.feed, "dataType": "text", "data": map[string]any{"text": "x"}, "metadata": []int{1}},
		"mention type unknown": map[string]any{"messageFeedId": f.feed, "dataType": "text", "data": map[string]any{"text": "x"}, "mentionedUsers": []any{map[string]any{"type": "role"}}},
		"mentions not a list":  map[string]any{"messageFeedId": f.feed, "dataType": "text", "data": map[string]any{"text": "x"}, "mentionedUsers": "bob"},
		"mention without ids":  map[string]any{"messageFeedId": f.feed, "dataType": "text", "data": map[string]any{"text": "x"}, "mentionedUsers": []any{map[string]any{"type": "user"}}},
		"image is a file":      map[string]any{"messageFeedId": f.feed, "dataType": "image", "data": map[string]any{"fileId": file}},
		"parent empty":         map[string]any{"messageFeedId": f.feed, "dataType": "text", "data": map[string]any{"text": "x"}, "parentId": ""},
	}
	for name, body := range bad {
		t.Run(name, func(t *testing.T) {
			e.in(t).do(req{method: "POST", path: "/api/v5/messages", token: f.bob, body: body}).expect(400, 400000)
		})
	}
	notFound := map[string]any{
		"unknown file":   map[string]any{"messageFeedId": f.feed, "dataType": "file", "data": map[string]any{"fileId": chat.NewID()}},
		"unknown parent": map[string]any{"messageFeedId": f.feed, "dataType": "text", "data": map[string]any{"text": "x"}, "parentId": chat.NewID()},
		"unknown feed":   text("nope", "x"),
	}
	for name, body := range notFound {
		t.Run(name, func(t *testing.T) {
			e.in(t).do(req{method: "POST", path: "/api/v5/messages", token: f.bob, body: body}).expect(404, 400400)
		})
	}
	if n := e.count("messages", ""); n != 0 {
		t.Fatalf("refused messages wrote %d rows", n)
	}
	if n := e.count("message_feeds", "last_segment > 0"); n != 0 {
		t.Fatalf("refused messages moved a counter")
	}
	// The accepted forms of each type.
	good := []map[string]any{
		text(f.feed, strings.Repeat("é", chat.MaxTextChars)),
		{"messageFeedId": f.feed, "dataType": "image", "data": map[string]any{"fileId": img, "caption": ""}},
		{"messageFeedId": f.feed, "dataType": "image", "fileId": img, "data": map[string]any{"caption": "top-level fileId"}},
		{"messageFeedId": f.feed, "dataType": "file", "data": map[string]any{"fileId": file, "caption": ""}},
		{"messageFeedId": f.feed, "dataType": "audio", "data": map[string]any{"fileId": file}},
		{"messageFeedId": f.feed, "dataType": "custom", "data": map[string]any{"x": strings.Repeat("a", chat.MaxCustomDataBytes-20)}},
		{"messageFeedId": f.feed, "dataType": "custom", "data": "just a string"},
	}
	for i, body := range good {
		m := e.send(f.bob, body)
		if m["segment"] != float64(i+1) {
			t.Fatalf("segment %v, want %d", m["segment"], i+1)
		}
	}
	r := e.do(req{method: "GET", path: "/api/v5/messages/list?messageIds%5B%5D=" + chat.NewID(), token: f.bob}).ok().JSON()
	if len(r["messages"].([]any)) != 0 {
		t.Fatal("unknown ids answered")
	}
	m := e.send(f.bob, map[string]any{"messageFeedId": f.feed, "dataType": "image", "data": map[string]any{"fileId": img}})
	p := e.do(req{method: "GET", path: "/api/v5/messages/" + m["messageId"].(string), token: f.bob}).ok().JSON()
	if len(p["files"].([]any)) != 1 || first(p, "files")["fileId"] != img {
		t.Fatalf("image message's file not in payload: %v", p["files"])
	}
}
