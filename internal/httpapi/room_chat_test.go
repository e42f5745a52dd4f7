package httpapi_test

import (
	"context"
	"strings"
	"testing"
)

// liveChannel reads a room's chat through the channel API, the way the SDK's
// room.getLiveChat() does.
func (e *env) liveChannel(tok, channelID string) map[string]any {
	e.t.Helper()
	m := e.do(req{method: "GET", path: "/api/v3/channels/" + channelID, token: tok}).ok().JSON()
	return m["channels"].([]any)[0].(map[string]any)
}

func TestRoomLiveChat(t *testing.T) {
	e := newEnv(t)
	alice, _ := e.login("alice")
	bob, bu := e.login("bob")
	ctx := context.Background()

	// A room is created with its chat: a public live channel attached to it, both ways.
	r := e.mkRoom(alice, map[string]any{"title": "Launch night"})
	id := r["_id"].(string)
	chID, _ := r["liveChannelId"].(string)
	if chID == "" || r["liveChannelEnabled"] != true {
		t.Fatalf("room without chat: %v", r)
	}
	ch := e.liveChannel(bob, chID)
	if ch["type"] != "live" || ch["attachedTo"].(map[string]any)["roomId"] != id || ch["displayName"] != "Launch night" || ch["isPublic"] != true {
		t.Fatalf("live channel: %v", ch)
	}
	if e.count("outbox", "type = 'channel.created' AND channel_id = ?", ch["channelInternalId"]) != 1 {
		t.Fatal("no channel.created event")
	}
	// Viewers may read it.
	if ok, err := e.svc.CanReadChannel(ctx, bu["_id"].(string), ch["channelInternalId"].(string)); err != nil || !ok {
		t.Fatalf("a viewer cannot read the room's chat: %v %v", ok, err)
	}

	// Without chat: no channel; switching it on later makes one.
	quiet := e.mkRoom(alice, map[string]any{"title": "quiet", "liveChatEnabled": false})
	qid := quiet["_id"].(string)
	if quiet["liveChannelId"] != nil || e.count("channels", "attached_room_id = ?", qid) != 0 {
		t.Fatalf("chat made anyway: %v", quiet)
	}
	on := room0(e.do(req{method: "PUT", path: "/api/v1/rooms/" + qid, token: alice, body: map[string]any{"liveChatEnabled": true}}).ok().JSON())
	if on["liveChannelId"] == nil || e.liveChannel(alice, on["liveChannelId"].(string))["attachedTo"].(map[string]any)["roomId"] != qid {
		t.Fatalf("chat switched on: %v", on)
	}
	// Switching it off keeps the channel and its messages; only the flag changes.
	off := room0(e.do(req{method: "PUT", path: "/api/v1/rooms/" + qid, token: alice, body: map[string]any{"liveChatEnabled": false}}).ok().JSON())
	if off["liveChannelId"] != on["liveChannelId"] || off["liveChannelEnabled"] != false {
		t.Fatalf("chat switched off: %v", off)
	}

	// A refused room creation makes no channel either.
	before := e.count("channels", "")
	e.do(req{method: "POST", path: "/api/v1/rooms", token: alice, body: map[string]any{"title": "t", "thumbnailFileId": "0123456789abcdef01234567"}}).expect(404, 400400)
	if e.count("channels", "") != before {
		t.Fatal("a refused room left a channel behind")
	}
}

// The 7.x SDK's getLiveChat() on a room without chat: POST /api/v3/channels with
// {type: 'live', roomId}.
func TestChannelCreatedForARoom(t *testing.T) {
	e := newEnv(t)
	alice, _ := e.login("alice")
	bob, _ := e.login("bob")
	id := e.mkRoom(alice, map[string]any{"title": "quiet", "liveChatEnabled": false})["_id"].(string)
	post := func(tok string, body any) *resp {
		return e.do(req{method: "POST", path: "/api/v3/channels", token: tok, body: body})
	}
	for _, b := range []any{
		map[string]any{"type": "community", "roomId": id},
		map[string]any{"roomId": id},
		map[string]any{"type": "live", "roomId": ""},
		map[string]any{"type": "live", "roomId": strings.Repeat("r", 51)},
		map[string]any{"type": "live", "roomId": 5},
	} {
		post(alice, b).expect(400, 400000)
	}
	post(alice, map[string]any{"type": "live", "roomId": "0123456789abcdef01234567"}).expect(404, 400400)
	post(bob, map[string]any{"type": "live", "roomId": id}).expect(403, 400301)
	if n := e.count("channels", ""); n != 0 {
		t.Fatalf("refusals made %d channels", n)
	}
	m := post(alice, map[string]any{"type": "live", "roomId": id, "postId": nil}).ok().JSON()
	ch := m["channels"].([]any)[0].(map[string]any)
	if ch["attachedTo"].(map[string]any)["roomId"] != id || ch["type"] != "live" || ch["isPublic"] != true {
		t.Fatalf("room channel: %v", ch)
	}
	r := room0(e.do(req{method: "GET", path: "/api/v1/rooms/" + id, token: bob}).ok().JSON())
	if r["liveChannelId"] != ch["channelId"] || r["liveChatEnabled"] != true {
		t.Fatalf("room after its chat was made: %v", r)
	}
	if ev := e.lastEvent("room.didUpdate"); ev.RoomID != id {
		t.Fatalf("room.didUpdate: %+v", ev.Event)
	}
	post(alice, map[string]any{"type": "live", "roomId": id}).expect(409, 400900)
	if n := e.count("channels", "attached_room_id = ?", id); n != 1 {
		t.Fatalf("channels of the room: %d", n)
	}
}
