package httpapi_test

// What the official SDK sends and reads, found running it from browsers and held-out
// scenarios: forms Amity takes that Parley refused, and ids Parley answered in the wrong
// form.

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/room"
)

// A Chrome user agent as Facebook's in-app browser on Android sends it: 255 characters.
// Browsers send 100 to 250 and more; the web SDK logs in with deviceInfo.model =
// "gecko#" + navigator.userAgent.
const chromeInAppUA = "Mozilla/5.0 (Linux; Android 14; SM-S928B Build/UP1A.231005.007; wv) AppleWebKit/537.36 " +
	"(KHTML, like Gecko) Version/4.0 Chrome/126.0.6478.122 Mobile Safari/537.36 " +
	"[FB_IAB/FB4A;FBAV/471.0.0.35.80;IABMV/1;FBBV/613522815;FBDV/SM-S928B;FBLC/en_GB;FBMF/samsung]"

func TestLoginWithARealBrowserUserAgent(t *testing.T) {
	if n := len(chromeInAppUA); n < 250 {
		t.Fatalf("the user agent is %d characters, want 250 or more", n)
	}
	e := newEnv(t)
	login := func(info map[string]any) *resp {
		return e.do(req{method: "POST", path: "/api/v5/sessions", header: map[string]string{"X-API-Key": testAPIKey},
			body: map[string]any{"userId": "browser", "deviceId": "ascWebSdk#6f1c", "deviceInfo": info}})
	}
	// Exactly what the SDK's browser bundle sends.
	login(map[string]any{"kind": "web", "model": "gecko#" + chromeInAppUA, "sdkVersion": "v6.35.3-umd"}).ok()
	login(map[string]any{"kind": "web", "model": strings.Repeat("é", chat.MaxDeviceModelChars), "sdkVersion": strings.Repeat("v", chat.MaxSDKVersionChars)}).ok()
	for name, info := range map[string]map[string]any{
		"model too long":      {"kind": "web", "model": strings.Repeat("m", chat.MaxDeviceModelChars+1)},
		"sdkVersion too long": {"kind": "web", "sdkVersion": strings.Repeat("v", chat.MaxSDKVersionChars+1)},
		"model not a string":  {"kind": "web", "model": 7},
		"unknown kind":        {"kind": "toaster"},
	} {
		t.Run(name, func(t *testing.T) {
			e := e.in(t)
			before := e.count("sessions", "")
			login(info).expect(400, 400000)
			if e.count("sessions", "") != before {
				t.Fatal("a refused login made a session")
			}
		})
	}
}

func TestMentionedUsersInBothForms(t *testing.T) {
	f := newMsgFixture(t)
	e := f.e
	dave, daveU := e.user("dave")
	e.do(req{method: "POST", path: "/api/v3/channels/c/join", token: dave}).ok()
	for name, c := range map[string]struct {
		mention map[string]any
		user    userInfo
	}{
		// The SDK's own type (Amity.UserMention): {type:'user', userIds:[…]}.
		"userIds": {map[string]any{"type": "user", "userIds": []string{"bob"}}, f.bobU},
		// Amity's API form.
		"userPublicIds": {map[string]any{"type": "user", "userPublicIds": []string{"dave"}}, daveU},
	} {
		t.Run(name, func(t *testing.T) {
			e := e.in(t)
			body := text(f.feed, "hi @"+name)
			body["mentionedUsers"] = []any{c.mention}
			m := e.send(f.alice, body)
			got := fmt.Sprint(m["mentionedUsers"])
			if want := fmt.Sprintf("[map[type:user userPublicIds:[%s]]]", c.user["userId"]); got != want {
				t.Fatalf("mentionedUsers answered %s, want %s", got, want)
			}
			if n := e.count("feed_markers", "user_id = ? AND last_mentioned_segment = ?", c.user["_id"], m["segment"]); n != 1 {
				t.Fatalf("the mentioned member's marker was not moved (%d rows)", n)
			}
		})
	}
	// Both lists in one item count once; an unknown user is no one to notify.
	body := text(f.feed, "both")
	body["mentionedUsers"] = []any{map[string]any{"type": "user", "userIds": []string{"bob", "ghost"}, "userPublicIds": []string{"bob"}}}
	if got := fmt.Sprint(e.send(f.alice, body)["mentionedUsers"]); got != "[map[type:user userPublicIds:[bob ghost]]]" {
		t.Fatalf("merged: %s", got)
	}
	_ = dave
	for name, mention := range map[string]any{
		"userIds not a list":  map[string]any{"type": "user", "userIds": "bob"},
		"userIds empty":       map[string]any{"type": "user", "userIds": []string{}},
		"userIds item empty":  map[string]any{"type": "user", "userIds": []string{""}},
		"userIds item number": map[string]any{"type": "user", "userIds": []any{1}},
	} {
		t.Run(name, func(t *testing.T) {
			body := text(f.feed, "x")
			body["mentionedUsers"] = []any{mention}
			e.in(t).do(req{method: "POST", path: "/api/v5/messages", token: f.alice, body: body}).expect(400, 400000)
		})
	}
}

func TestReactionsNameReactorsByPublicID(t *testing.T) {
	f := newMsgFixture(t)
	e := f.e
	id := e.send(f.alice, text(f.feed, "react"))["messageId"].(string)
	e.do(req{method: "POST", path: "/api/v2/reactions", token: f.bob,
		body: map[string]any{"referenceId": id, "referenceType": "message", "reactionName": "like", "referenceVersion": 5}}).ok()
	list := e.do(req{method: "GET", path: "/api/v3/reactions?referenceId=" + id + "&referenceType=message&referenceVersion=5", token: f.alice}).ok().JSON()
	r := first(list, "reactions")["reactors"].([]any)[0].(map[string]any)
	// The SDK's reactor.user looks the user up in its cache by userId, the public id.
	if r["userId"] != "bob" || r["userPublicId"] != "bob" || r["userInternalId"] != f.bobU["_id"] {
		t.Fatalf("reactor: %v", r)
	}
	// The reaction event: the SDK keeps myReactions when reactions[0].userId is its own userId.
	ev := e.lastEvent("message.reactionAdded")
	if !strings.Contains(string(ev.RawData), `"reactionName":"like","userId":"bob","userPublicId":"bob"`) {
		t.Fatalf("reaction event names the reactor by internal id: %s", ev.RawData)
	}
}

func TestLiveRoomsIsNotARoomID(t *testing.T) {
	e := newEnv(t)
	alice, _ := e.login("alice")
	bob, _ := e.login("bob")
	var ids []string
	for i := range 3 {
		ids = append(ids, e.mkRoom(alice, map[string]any{"title": fmt.Sprint("r", i)})["_id"].(string))
	}
	for _, id := range ids[:2] {
		if err := e.rooms.ApplyMediaStatus(context.Background(), room.MediaStatus{RoomID: id, Status: "live"}); err != nil {
			t.Fatal(err)
		}
	}
	list := func(q string) (ids []string, page map[string]any) {
		t.Helper()
		page = e.do(req{method: "GET", path: "/api/v1/rooms/lives?" + q, token: bob}).ok().JSON()
		for _, r := range page["rooms"].([]any) {
			ids = append(ids, r.(map[string]any)["_id"].(string))
		}
		return ids, page
	}
	// What the SDK sends.
	got, page := list("targetTypes%5B%5D=all&options%5Blimit%5D=100&options%5BsortBy%5D=lastCreated")
	if fmt.Sprint(got) != fmt.Sprint([]string{ids[1], ids[0]}) {
		t.Fatalf("live rooms, newest first: %v", got)
	}
	if posts, ok := page["posts"].([]any); !ok || len(posts) != 0 {
		t.Fatalf("posts: %v", page["posts"])
	}
	if got, _ := list("options%5BsortBy%5D=firstCreated&options%5Blimit%5D=1"); fmt.Sprint(got) != fmt.Sprint(ids[:1]) {
		t.Fatalf("oldest first, one: %v", got)
	}
	if got, _ := list("targetTypes%5B%5D=community"); len(got) != 0 {
		t.Fatalf("no room here targets a community: %v", got)
	}
	for _, q := range []string{"targetTypes%5B%5D=galaxy", "options%5BsortBy%5D=alpha", "options%5Blimit%5D=0", "options%5Btoken%5D=@@"} {
		t.Run(q, func(t *testing.T) {
			e.in(t).do(req{method: "GET", path: "/api/v1/rooms/lives?" + q, token: bob}).expect(400, 400000)
		})
	}
}
