package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/media"
	"github.com/parley-chat/parley/internal/room"
)

// Helpers shared by the room and invitation tests.

// mkRoom creates a room as the token's user and returns it.
func (e *env) mkRoom(tok string, body map[string]any) map[string]any {
	e.t.Helper()
	return room0(e.do(req{method: "POST", path: "/api/v1/rooms", token: tok, body: body}).ok().JSON())
}

func room0(m map[string]any) map[string]any { return m["rooms"].([]any)[0].(map[string]any) }

// participantsOf maps a room's participants' userIds to their types.
func participantsOf(room map[string]any) map[string]string {
	out := map[string]string{}
	for _, p := range room["participants"].([]any) {
		pm := p.(map[string]any)
		out[pm["userId"].(string)] = pm["type"].(string)
	}
	return out
}

// outboxOf returns the outbox events of a type, oldest first.
func (e *env) outboxOf(typ chat.EventType) []chat.OutboxEvent {
	e.t.Helper()
	all, err := e.db.PendingEvents(context.Background(), 0, 100000)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []chat.OutboxEvent
	for _, ev := range all {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

// lastEvent returns the newest event of a type, failing when there is none.
func (e *env) lastEvent(typ chat.EventType) chat.OutboxEvent {
	e.t.Helper()
	evs := e.outboxOf(typ)
	if len(evs) == 0 {
		e.t.Fatalf("no %s event in the outbox", typ)
	}
	return evs[len(evs)-1]
}

// invite has the host invite a user to co-host; it returns the invitation id.
func (e *env) invite(hostTok, roomID, userID string) string {
	e.t.Helper()
	r := e.do(req{method: "POST", path: "/api/v1/invitations", token: hostTok, body: map[string]any{
		"type": "livestreamCohostInvite", "targetType": "room", "targetId": roomID, "userIds": []string{userID}}}).ok().JSON()
	return r["invitations"].([]any)[0].(map[string]any)["_id"].(string)
}

// cohost makes a user a co-host of a room through the invitation flow.
func (e *env) cohost(hostTok, roomID, userTok, userID string) {
	e.t.Helper()
	id := e.invite(hostTok, roomID, userID)
	e.do(req{method: "POST", path: "/api/v1/invitations/" + id + "/accept", token: userTok}).ok()
}

// fakeMedia stands in for a media server: it hands out tokens and records every call,
// to show what reaches the backend and what the domain refuses first.
type fakeMedia struct {
	mu      sync.Mutex
	tokens  []string // userIds given a token
	removed []string // internal ids cut off
	ended   []string // room ids
}

func (f *fakeMedia) CreateRoom(_ context.Context, r *room.Room) (string, error) {
	return "m-" + r.ID, nil
}

func (f *fakeMedia) BroadcasterToken(_ context.Context, r *room.Room, p room.RoomParticipant) (*room.BroadcasterData, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens = append(f.tokens, p.UserID)
	return &room.BroadcasterData{CoHostToken: "token-for-" + p.UserID, CoHostURL: "ws://127.0.0.1:7880"}, nil
}

func (f *fakeMedia) RemoveParticipant(_ context.Context, r *room.Room, userID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removed = append(f.removed, userID)
	return nil
}

func (f *fakeMedia) EndRoom(_ context.Context, r *room.Room) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ended = append(f.ended, r.ID)
	return nil
}

func withMedia(m room.Media) envOption { return func(c *envConfig) { c.media = m } }

func TestCreateRoomAnswersTheWholeRoom(t *testing.T) {
	e := newEnv(t, withMedia(media.None{}))
	tok, u := e.login("alice")
	m := e.do(req{method: "POST", path: "/api/v1/rooms", token: tok, body: map[string]any{
		"title": "Launch", "description": "our launch", "metadata": map[string]any{"k": 1}}}).ok().JSON()
	for _, k := range []string{"rooms", "roomChildrens", "users", "files"} {
		if _, ok := m[k].([]any); !ok {
			t.Fatalf("%s is not an array: %v", k, m)
		}
	}
	r := room0(m)
	id := r["_id"].(string)
	if r["roomId"] != id || r["publicId"] != id || !strings.HasSuffix(r["path"].(string), "/room/"+id) {
		t.Fatalf("ids: %v", r)
	}
	if r["status"] != "idle" || r["type"] != "directStreaming" || r["liveChatEnabled"] != true || r["liveChannelEnabled"] != true {
		t.Fatalf("defaults: %v", r)
	}
	if r["createdBy"] != "alice" || r["creatorInternalId"] != u["_id"] || r["title"] != "Launch" || r["description"] != "our launch" {
		t.Fatalf("creator and content: %v", r)
	}
	if got := participantsOf(r); len(got) != 1 || got["alice"] != "host" {
		t.Fatalf("participants: %v", r["participants"])
	}
	p := r["participants"].([]any)[0].(map[string]any)
	if p["userInternalId"] != u["_id"] || p["canManageProductTags"] != false {
		t.Fatalf("host participant: %v", p)
	}
	users := m["users"].([]any)
	if len(users) != 1 || users[0].(map[string]any)["userId"] != "alice" {
		t.Fatalf("users: %v", users)
	}
	// Amity's snake_case spelling is accepted and answered in the SDK's camelCase.
	r2 := e.mkRoom(tok, map[string]any{"title": "Duo", "type": "co_hosts", "liveChatEnabled": false})
	if r2["type"] != "coHosts" || r2["liveChatEnabled"] != false {
		t.Fatalf("co_hosts room: %v", r2)
	}
	if n := e.count("room_participants", "type = 'host'"); n != 2 {
		t.Fatalf("hosts: %d", n)
	}
}

func TestCreateRoomRefusesBadInput(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.login("alice")
	long := func(n int) string { return strings.Repeat("x", n) }
	cases := []struct {
		name   string
		body   any
		status int
		code   int
	}{
		{"missing title", map[string]any{"description": "d"}, 400, 400000},
		{"empty title", map[string]any{"title": ""}, 400, 400000},
		{"long title", map[string]any{"title": long(1001)}, 400, 400000},
		{"title wrong type", map[string]any{"title": 5}, 400, 400000},
		{"long description", map[string]any{"title": "t", "description": long(5001)}, 400, 400000},
		{"unknown type", map[string]any{"title": "t", "type": "stage"}, 400, 400000},
		{"type wrong type", map[string]any{"title": "t", "type": true}, 400, 400000},
		{"metadata not object", map[string]any{"title": "t", "metadata": []int{1}}, 400, 400000},
		{"liveChatEnabled wrong type", map[string]any{"title": "t", "liveChatEnabled": "yes"}, 400, 400000},
		{"long thumbnail", map[string]any{"title": "t", "thumbnailFileId": long(51)}, 400, 400000},
		{"long parent", map[string]any{"title": "t", "parentRoomId": long(51)}, 400, 400000},
		{"malformed", `{"title":`, 400, 400000},
		{"not an object", `["t"]`, 400, 400000},
		{"empty body", ``, 400, 400000},
		{"unknown thumbnail", map[string]any{"title": "t", "thumbnailFileId": "0123456789abcdef01234567"}, 404, 400400},
		{"unknown parent", map[string]any{"title": "t", "parentRoomId": "0123456789abcdef01234567"}, 404, 400400},
		{"parent not an id", map[string]any{"title": "t", "parentRoomId": "nope"}, 404, 400400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.in(t).do(req{method: "POST", path: "/api/v1/rooms", token: tok, body: c.body}).expect(c.status, c.code)
		})
	}
	e.do(req{method: "POST", path: "/api/v1/rooms", body: map[string]any{"title": "t"}}).expect(401, 400100)
	if n := e.count("rooms", ""); n != 0 {
		t.Fatalf("refused creations wrote %d rooms", n)
	}
	if n := e.count("room_participants", ""); n != 0 {
		t.Fatalf("refused creations wrote %d participants", n)
	}
}

func TestChildRooms(t *testing.T) {
	e := newEnv(t)
	alice, _ := e.login("alice")
	bob, _ := e.login("bob")
	parent := e.mkRoom(alice, map[string]any{"title": "main stage"})
	pid := parent["_id"].(string)
	// Only the parent's host (or an admin) may hang a child under it.
	e.do(req{method: "POST", path: "/api/v1/rooms", token: bob, body: map[string]any{"title": "side", "parentRoomId": pid}}).expect(403, 400301)
	child := e.mkRoom(alice, map[string]any{"title": "side", "parentRoomId": pid})
	cid := child["_id"].(string)
	if child["parentRoomId"] != pid {
		t.Fatalf("child: %v", child)
	}
	if ev := e.lastEvent("room.didUpdate"); ev.RoomID != pid {
		t.Fatalf("the parent's watchers must hear of the new child: %+v", ev.Event)
	}
	m := e.do(req{method: "GET", path: "/api/v1/rooms/" + pid, token: bob}).ok().JSON()
	if ids := room0(m)["childRoomIds"].([]any); len(ids) != 1 || ids[0] != cid {
		t.Fatalf("childRoomIds: %v", ids)
	}
	kids := m["roomChildrens"].([]any)
	if len(kids) != 1 || kids[0].(map[string]any)["_id"] != cid || kids[0].(map[string]any)["parentRoomId"] != pid {
		t.Fatalf("roomChildrens: %v", kids)
	}
	// Rooms nest one level deep: no grandchildren, no parent becoming a child.
	e.do(req{method: "POST", path: "/api/v1/rooms", token: alice, body: map[string]any{"title": "x", "parentRoomId": cid}}).expect(403, 400300)
	other := e.mkRoom(alice, map[string]any{"title": "other"})
	e.do(req{method: "PUT", path: "/api/v1/rooms/" + pid, token: alice, body: map[string]any{"parentRoomId": other["_id"]}}).expect(403, 400300)
	e.do(req{method: "PUT", path: "/api/v1/rooms/" + pid, token: alice, body: map[string]any{"parentRoomId": pid}}).expect(403, 400300)
	// Detaching the child empties the parent's list.
	r := room0(e.do(req{method: "PUT", path: "/api/v1/rooms/" + cid, token: alice, body: map[string]any{"parentRoomId": ""}}).ok().JSON())
	if r["parentRoomId"] != nil {
		t.Fatalf("detached child: %v", r)
	}
	m = e.do(req{method: "GET", path: "/api/v1/rooms/" + pid, token: alice}).ok().JSON()
	if len(room0(m)["childRoomIds"].([]any)) != 0 || len(m["roomChildrens"].([]any)) != 0 {
		t.Fatalf("parent after detach: %v", m)
	}
}

func TestGetRoom(t *testing.T) {
	e := newEnv(t)
	alice, _ := e.login("alice")
	bob, _ := e.login("bob")
	id := e.mkRoom(alice, map[string]any{"title": "t"})["_id"].(string)
	if r := room0(e.do(req{method: "GET", path: "/api/v1/rooms/" + id, token: bob}).ok().JSON()); r["_id"] != id {
		t.Fatalf("get: %v", r)
	}
	e.do(req{method: "GET", path: "/api/v1/rooms/0123456789abcdef01234567", token: bob}).expect(404, 400400)
	e.do(req{method: "GET", path: "/api/v1/rooms/not-an-id", token: bob}).expect(404, 400400)
	e.do(req{method: "GET", path: "/api/v1/rooms/" + strings.Repeat("a", 300), token: bob}).expect(404, 400400)
	e.do(req{method: "GET", path: "/api/v1/rooms/" + id}).expect(401, 400100)
}

func TestQueryRooms(t *testing.T) {
	e := newEnv(t)
	alice, _ := e.login("alice")
	var ids []string
	for i, typ := range []string{"directStreaming", "coHosts", "coHosts", "directStreaming", "coHosts"} {
		ids = append(ids, e.mkRoom(alice, map[string]any{"title": fmt.Sprint("r", i), "type": typ})["_id"].(string))
	}
	e.do(req{method: "POST", path: "/api/v1/rooms/" + ids[1] + "/stop", token: alice}).ok()
	e.do(req{method: "DELETE", path: "/api/v1/rooms/" + ids[4], token: alice}).ok()
	list := func(q string) []string {
		t.Helper()
		m := e.do(req{method: "GET", path: "/api/v1/rooms?" + q, token: alice}).ok().JSON()
		var out []string
		for _, r := range m["rooms"].([]any) {
			out = append(out, r.(map[string]any)["_id"].(string))
		}
		return out
	}
	if got := list(""); !slices.Equal(got, []string{ids[4], ids[3], ids[2], ids[1], ids[0]}) {
		t.Fatalf("newest first, deleted included: %v", got)
	}
	if got := list("sortBy=firstCreated&isDeleted=false"); !slices.Equal(got, ids[:4]) {
		t.Fatalf("oldest first, live only: %v", got)
	}
	if got := list("isDeleted=true"); !slices.Equal(got, []string{ids[4]}) {
		t.Fatalf("deleted only: %v", got)
	}
	if got := list("type=coHosts&isDeleted=false"); !slices.Equal(got, []string{ids[2], ids[1]}) {
		t.Fatalf("coHosts: %v", got)
	}
	if got := list("type=direct_streaming"); !slices.Equal(got, []string{ids[3], ids[0]}) {
		t.Fatalf("direct_streaming alias: %v", got)
	}
	if got := list("statuses[]=ended"); !slices.Equal(got, []string{ids[4], ids[1]}) {
		t.Fatalf("ended (deleting a room ends it): %v", got)
	}
	if got := list("statuses[]=idle&statuses[]=live&isDeleted=false"); !slices.Equal(got, []string{ids[3], ids[2], ids[0]}) {
		t.Fatalf("idle or live: %v", got)
	}
	// Keyset paging: the token remembers the page size and the position.
	m := e.do(req{method: "GET", path: "/api/v1/rooms?options[type]=pagination&options[limit]=2", token: alice}).ok().JSON()
	var seen []string
	for {
		for _, r := range m["rooms"].([]any) {
			seen = append(seen, r.(map[string]any)["_id"].(string))
		}
		next, _ := m["paging"].(map[string]any)["next"].(string)
		if next == "" {
			break
		}
		m = e.do(req{method: "GET", path: "/api/v1/rooms?options[token]=" + urlEscape(next), token: alice}).ok().JSON()
	}
	if !slices.Equal(seen, []string{ids[4], ids[3], ids[2], ids[1], ids[0]}) {
		t.Fatalf("pages: %v", seen)
	}
	for _, q := range []string{"type=stage", "statuses[]=bogus", "sortBy=alpha", "isDeleted=maybe", "options[limit]=0",
		"options[limit]=101", "options[token]=@@@", "options[type]=cursor",
		"statuses[]=idle&statuses[]=live&statuses[]=ended&statuses[]=idle&statuses[]=live&statuses[]=ended&statuses[]=idle&statuses[]=live&statuses[]=ended&statuses[]=idle&statuses[]=live"} {
		e.do(req{method: "GET", path: "/api/v1/rooms?" + q, token: alice}).expect(400, 400000)
	}
}

func urlEscape(s string) string {
	return strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D").Replace(s)
}

func TestUpdateRoom(t *testing.T) {
	e := newEnv(t)
	alice, _ := e.login("alice")
	bob, _ := e.login("bob")
	id := e.mkRoom(alice, map[string]any{"title": "before", "metadata": map[string]any{"a": 1}})["_id"].(string)
	path := "/api/v1/rooms/" + id
	r := room0(e.do(req{method: "PUT", path: path, token: alice, body: map[string]any{
		"title": "after", "description": "d", "metadata": map[string]any{"b": 2}, "liveChatEnabled": false}}).ok().JSON())
	if r["title"] != "after" || r["description"] != "d" || r["liveChatEnabled"] != false || r["metadata"].(map[string]any)["b"] != 2.0 {
		t.Fatalf("updated: %v", r)
	}
	if ev := e.lastEvent("room.didUpdate"); ev.RoomID != id || !strings.Contains(string(ev.RawData), `"title":"after"`) {
		t.Fatalf("didUpdate: %+v %s", ev.Event, ev.RawData)
	}
	// Amity's documented name for the chat switch works too.
	if r := room0(e.do(req{method: "PUT", path: path, token: alice, body: map[string]any{"channelEnabled": true}}).ok().JSON()); r["liveChatEnabled"] != true {
		t.Fatalf("channelEnabled: %v", r)
	}
	e.do(req{method: "PUT", path: path, token: bob, body: map[string]any{"title": "mine"}}).expect(403, 400301)
	for _, body := range []any{map[string]any{"title": ""}, map[string]any{"title": strings.Repeat("x", 1001)},
		map[string]any{"metadata": "x"}, map[string]any{"liveChatEnabled": 1}, `{`, `[]`} {
		e.do(req{method: "PUT", path: path, token: alice, body: body}).expect(400, 400000)
	}
	e.do(req{method: "PUT", path: "/api/v1/rooms/0123456789abcdef01234567", token: alice, body: map[string]any{"title": "x"}}).expect(404, 400400)
	// An admin may edit any room.
	admin := e.adminToken()
	e.do(req{method: "PUT", path: path, token: admin, body: map[string]any{"title": "moderated"}}).ok()
	if r := room0(e.do(req{method: "GET", path: path, token: bob}).ok().JSON()); r["title"] != "moderated" {
		t.Fatalf("after refusals: %v", r)
	}
}

func TestDeleteRoom(t *testing.T) {
	e := newEnv(t)
	alice, _ := e.login("alice")
	bob, _ := e.login("bob")
	id := e.mkRoom(alice, map[string]any{"title": "t"})["_id"].(string)
	path := "/api/v1/rooms/" + id
	e.do(req{method: "DELETE", path: path, token: bob}).expect(403, 400301)
	e.do(req{method: "DELETE", path: path, token: alice}).ok()
	r := room0(e.do(req{method: "GET", path: path, token: bob}).ok().JSON())
	if r["isDeleted"] != true || r["deletedBy"] != "alice" || r["deletedAt"] == nil || r["status"] != "ended" {
		t.Fatalf("deleted room: %v", r)
	}
	// A deleted room takes no more changes.
	e.do(req{method: "DELETE", path: path, token: alice}).expect(404, 400400)
	e.do(req{method: "PUT", path: path, token: alice, body: map[string]any{"title": "x"}}).expect(404, 400400)
	e.do(req{method: "POST", path: path + "/stop", token: alice}).expect(404, 400400)
	e.do(req{method: "GET", path: path + "/token", token: alice}).expect(404, 400400)
	e.do(req{method: "DELETE", path: "/api/v1/rooms/nope", token: alice}).expect(404, 400400)
	ok, err := e.rooms.CanReadRoom(context.Background(), "0123456789abcdef01234567", id)
	if err != nil || ok {
		t.Fatalf("a deleted room is not watchable: %v %v", ok, err)
	}
}

func TestStopRoom(t *testing.T) {
	fm := &fakeMedia{}
	e := newEnv(t, withMedia(fm))
	alice, _ := e.login("alice")
	bob, _ := e.login("bob")
	id := e.mkRoom(alice, map[string]any{"title": "t"})["_id"].(string)
	path := "/api/v1/rooms/" + id + "/stop"
	e.do(req{method: "POST", path: path, token: bob}).expect(403, 400301)
	r := room0(e.do(req{method: "POST", path: path, token: alice}).ok().JSON())
	if r["status"] != "ended" || r["endedAt"] == nil {
		t.Fatalf("stopped: %v", r)
	}
	if ev := e.lastEvent("room.endBroadcasting"); ev.RoomID != id {
		t.Fatalf("endBroadcasting: %+v", ev.Event)
	}
	if !slices.Equal(fm.ended, []string{id}) {
		t.Fatalf("the media server must hang up: %v", fm.ended)
	}
	e.do(req{method: "POST", path: path, token: alice}).expect(403, 400300)
	e.do(req{method: "POST", path: "/api/v1/rooms/0123456789abcdef01234567/stop", token: alice}).expect(404, 400400)
}

// The seed endpoint: removing a participant, in the body form and the 7.x path form.
func TestRemoveParticipant(t *testing.T) {
	fm := &fakeMedia{}
	e := newEnv(t, withMedia(fm))
	alice, au := e.login("alice")
	bob, bu := e.login("bob")
	carol, _ := e.login("carol")
	dave, _ := e.login("dave")
	id := e.mkRoom(alice, map[string]any{"title": "duo", "type": "coHosts"})["_id"].(string)
	e.cohost(alice, id, bob, "bob")
	e.cohost(alice, id, dave, "dave")
	body := "/api/v1/rooms/" + id + "/participants"
	remove := func(tok string, b any) *resp {
		return e.do(req{method: "DELETE", path: body, token: tok, body: b})
	}
	// Bad input is 400000, whoever asks.
	for _, b := range []any{map[string]any{}, map[string]any{"participantUserId": ""},
		map[string]any{"participantUserId": strings.Repeat("b", 51)}, map[string]any{"participantUserId": 7},
		`{"participantUserId":`, `"bob"`, ``} {
		remove(alice, b).expect(400, 400000)
	}
	remove(alice, map[string]any{"participantUserId": strings.Repeat("b", 51)}).expect(400, 400000)
	// Unknown room.
	e.do(req{method: "DELETE", path: "/api/v1/rooms/0123456789abcdef01234567/participants", token: alice,
		body: map[string]any{"participantUserId": "bob"}}).expect(404, 400400)
	e.do(req{method: "DELETE", path: "/api/v1/rooms/not-a-room/participants", token: alice,
		body: map[string]any{"participantUserId": "bob"}}).expect(404, 400400)
	// Anyone but the host or an admin: 400301, co-hosts included.
	remove(carol, map[string]any{"participantUserId": "bob"}).expect(403, 400301)
	remove(dave, map[string]any{"participantUserId": "bob"}).expect(403, 400301)
	remove(bob, map[string]any{"participantUserId": "alice"}).expect(403, 400301)
	// The host cannot be removed, not even by themselves.
	remove(alice, map[string]any{"participantUserId": "alice"}).expect(403, 400300)
	// Not a participant: a user who exists, and one who does not.
	remove(alice, map[string]any{"participantUserId": "carol"}).expect(404, 400400)
	remove(alice, map[string]any{"participantUserId": "ghost"}).expect(404, 400400)
	if n := e.count("room_participants", "room_id = ?", id); n != 3 {
		t.Fatalf("refusals changed participants: %d", n)
	}
	if len(e.outboxOf("room.participantRemoved")) != 0 || len(fm.removed) != 0 {
		t.Fatal("refusals published or cut someone off")
	}

	// The host removes bob: 200 with the Rooms payload, bob gone, event published.
	m := remove(alice, map[string]any{"participantUserId": "bob"}).ok().JSON()
	for _, k := range []string{"rooms", "roomChildrens", "users", "files"} {
		if _, ok := m[k].([]any); !ok {
			t.Fatalf("%s is not an array: %v", k, m)
		}
	}
	if got := participantsOf(room0(m)); len(got) != 2 || got["alice"] != "host" || got["dave"] != "coHost" {
		t.Fatalf("after removal: %v", got)
	}
	ev := e.lastEvent("room.participantRemoved")
	if ev.RoomID != id || !slices.Contains(ev.UserIDs, bu["_id"].(string)) || !slices.Contains(ev.UserIDs, au["_id"].(string)) {
		t.Fatalf("participantRemoved routing: %+v", ev.Event)
	}
	var data struct {
		Rooms      []map[string]any `json:"rooms"`
		Users      []map[string]any `json:"users"`
		EventActor struct {
			UserInternalID string `json:"userInternalId"`
		} `json:"eventActor"`
	}
	json.Unmarshal(ev.RawData, &data)
	if len(data.Rooms) != 1 || data.Rooms[0]["_id"] != id || data.EventActor.UserInternalID != bu["_id"] {
		t.Fatalf("participantRemoved payload: %s", ev.RawData)
	}
	if !slices.Equal(fm.removed, []string{bu["_id"].(string)}) {
		t.Fatalf("the media server must cut bob off: %v", fm.removed)
	}
	// Removing bob again: no longer a participant.
	remove(alice, map[string]any{"participantUserId": "bob"}).expect(404, 400400)

	// The 7.x path form, same rules.
	path := body + "/"
	e.do(req{method: "DELETE", path: path + "dave", token: carol}).expect(403, 400301)
	e.do(req{method: "DELETE", path: path + "alice", token: alice}).expect(403, 400300)
	e.do(req{method: "DELETE", path: path + "carol", token: alice}).expect(404, 400400)
	e.do(req{method: "DELETE", path: path + strings.Repeat("d", 51), token: alice}).expect(400, 400000)
	e.do(req{method: "DELETE", path: "/api/v1/rooms/0123456789abcdef01234567/participants/dave", token: alice}).expect(404, 400400)
	// An admin may remove too.
	admin := e.adminToken()
	if got := participantsOf(room0(e.do(req{method: "DELETE", path: path + "dave", token: admin}).ok().JSON())); len(got) != 1 {
		t.Fatalf("after admin removal: %v", got)
	}
	if n := len(e.outboxOf("room.participantRemoved")); n != 2 {
		t.Fatalf("participantRemoved events: %d", n)
	}
}

// A removed co-host gets no broadcaster token until invited again: the domain refuses
// before the media backend is asked.
func TestRemovedCohostGetsNoTokenUntilReinvited(t *testing.T) {
	fm := &fakeMedia{}
	e := newEnv(t, withMedia(fm))
	alice, _ := e.login("alice")
	bob, _ := e.login("bob")
	carol, _ := e.login("carol")
	id := e.mkRoom(alice, map[string]any{"title": "duo", "type": "coHosts"})["_id"].(string)
	token := "/api/v1/rooms/" + id + "/token"
	e.cohost(alice, id, bob, "bob")
	var got room.BroadcasterData
	e.do(req{method: "GET", path: token, token: bob}).ok().Decode(&got)
	if got.CoHostToken != "token-for-bob" || got.CoHostURL == "" {
		t.Fatalf("co-host token: %+v", got)
	}
	e.do(req{method: "GET", path: token, token: alice}).ok()
	e.do(req{method: "GET", path: token, token: carol}).expect(403, 400301)

	e.do(req{method: "DELETE", path: "/api/v1/rooms/" + id + "/participants/bob", token: alice}).ok()
	e.do(req{method: "GET", path: token, token: bob}).expect(403, 400301)
	if !slices.Equal(fm.tokens, []string{"bob", "alice"}) {
		t.Fatalf("refused requests must not reach the media server: %v", fm.tokens)
	}
	// Invited again and accepted: bob may broadcast again.
	e.cohost(alice, id, bob, "bob")
	e.do(req{method: "GET", path: token, token: bob}).ok()
	// Once the room has ended nobody broadcasts.
	e.do(req{method: "POST", path: "/api/v1/rooms/" + id + "/stop", token: alice}).ok()
	e.do(req{method: "GET", path: token, token: alice}).expect(403, 400300)
	e.do(req{method: "GET", path: token, token: bob}).expect(403, 400300)
	if len(fm.tokens) != 3 {
		t.Fatalf("tokens issued: %v", fm.tokens)
	}
}

// With the none backend the rule still runs first: the removed co-host is refused for
// who they are (400301), the host for the missing media server (400300).
func TestTokenWithoutMediaServer(t *testing.T) {
	e := newEnv(t, withMedia(media.None{}))
	alice, _ := e.login("alice")
	bob, _ := e.login("bob")
	id := e.mkRoom(alice, map[string]any{"title": "duo", "type": "coHosts"})["_id"].(string)
	token := "/api/v1/rooms/" + id + "/token"
	e.cohost(alice, id, bob, "bob")
	r := e.do(req{method: "GET", path: token, token: alice}).expect(403, 400300)
	if !strings.Contains(string(r.Body), "No media server is configured") {
		t.Fatalf("host: %s", r.Body)
	}
	e.do(req{method: "GET", path: token, token: bob}).expect(403, 400300)
	e.do(req{method: "DELETE", path: "/api/v1/rooms/" + id + "/participants/bob", token: alice}).ok()
	r = e.do(req{method: "GET", path: token, token: bob}).expect(403, 400301)
	if strings.Contains(string(r.Body), "media server") {
		t.Fatalf("the removed co-host must be refused before the backend: %s", r.Body)
	}
	// The same without any backend configured at all.
	e2 := newEnv(t)
	tok, _ := e2.login("x")
	rid := e2.mkRoom(tok, map[string]any{"title": "t"})["_id"].(string)
	e2.do(req{method: "GET", path: "/api/v1/rooms/" + rid + "/token", token: tok}).expect(403, 400300)
	// And the room stays idle: nothing moves it without a media server.
	if r := room0(e.do(req{method: "GET", path: "/api/v1/rooms/" + id, token: alice}).ok().JSON()); r["status"] != "idle" {
		t.Fatalf("status: %v", r["status"])
	}
}

func TestLeaveRoom(t *testing.T) {
	e := newEnv(t)
	alice, _ := e.login("alice")
	bob, bu := e.login("bob")
	carol, _ := e.login("carol")
	id := e.mkRoom(alice, map[string]any{"title": "duo", "type": "coHosts"})["_id"].(string)
	path := "/api/v1/rooms/" + id + "/leave"
	e.cohost(alice, id, bob, "bob")
	e.do(req{method: "POST", path: path, token: alice}).expect(403, 400300)
	e.do(req{method: "POST", path: path, token: carol}).expect(403, 400301)
	if got := participantsOf(room0(e.do(req{method: "POST", path: path, token: bob}).ok().JSON())); len(got) != 1 {
		t.Fatalf("after leave: %v", got)
	}
	ev := e.lastEvent("room.participantLeft")
	if ev.RoomID != id || !slices.Contains(ev.UserIDs, bu["_id"].(string)) || !strings.Contains(string(ev.RawData), bu["_id"].(string)) {
		t.Fatalf("participantLeft: %+v %s", ev.Event, ev.RawData)
	}
	e.do(req{method: "POST", path: path, token: bob}).expect(403, 400301)
	e.do(req{method: "POST", path: "/api/v1/rooms/0123456789abcdef01234567/leave", token: bob}).expect(404, 400400)
}

func TestUpdateParticipant(t *testing.T) {
	e := newEnv(t)
	alice, _ := e.login("alice")
	bob, _ := e.login("bob")
	e.login("carol")
	id := e.mkRoom(alice, map[string]any{"title": "duo", "type": "coHosts"})["_id"].(string)
	e.cohost(alice, id, bob, "bob")
	path := "/api/v1/rooms/" + id + "/participants/"
	r := room0(e.do(req{method: "PUT", path: path + "bob", token: alice, body: map[string]any{"canManageProductTags": true}}).ok().JSON())
	for _, p := range r["participants"].([]any) {
		pm := p.(map[string]any)
		if want := pm["userId"] == "bob"; pm["canManageProductTags"] != want {
			t.Fatalf("participants: %v", r["participants"])
		}
	}
	if ev := e.lastEvent("room.didUpdate"); ev.RoomID != id {
		t.Fatalf("didUpdate: %+v", ev.Event)
	}
	for _, b := range []any{map[string]any{}, map[string]any{"canManageProductTags": "yes"}, `{`} {
		e.do(req{method: "PUT", path: path + "bob", token: alice, body: b}).expect(400, 400000)
	}
	e.do(req{method: "PUT", path: path + "bob", token: bob, body: map[string]any{"canManageProductTags": false}}).expect(403, 400301)
	e.do(req{method: "PUT", path: path + "carol", token: alice, body: map[string]any{"canManageProductTags": true}}).expect(404, 400400)
	e.do(req{method: "PUT", path: path + strings.Repeat("c", 51), token: alice, body: map[string]any{"canManageProductTags": true}}).expect(400, 400000)
}

func TestViewerBans(t *testing.T) {
	e := newEnv(t)
	alice, au := e.login("alice")
	bob, _ := e.login("bob")
	carol, cu := e.login("carol")
	dave, du := e.login("dave")
	id := e.mkRoom(alice, map[string]any{"title": "duo", "type": "coHosts"})["_id"].(string)
	e.cohost(alice, id, bob, "bob")
	path := "/api/v1/rooms/" + id + "/viewer-bans"
	ban := func(tok string, b any) *resp { return e.do(req{method: "POST", path: path, token: tok, body: b}) }
	for _, b := range []any{map[string]any{}, map[string]any{"userIds": []string{}}, map[string]any{"userIds": "carol"},
		map[string]any{"userIds": []string{""}}, map[string]any{"userIds": []string{strings.Repeat("c", 51)}},
		map[string]any{"userIds": make([]string, 101)}, `{`} {
		ban(alice, b).expect(400, 400000)
	}
	ban(carol, map[string]any{"userIds": []string{"dave"}}).expect(403, 400301)
	ban(bob, map[string]any{"userIds": []string{"dave"}}).expect(403, 400301)
	ban(alice, map[string]any{"userIds": []string{"dave", "ghost"}}).expect(404, 400400)
	ban(alice, map[string]any{"userIds": []string{"bob"}}).expect(403, 400306)
	ban(alice, map[string]any{"userIds": []string{"alice"}}).expect(403, 400306)
	if n := e.count("room_viewer_bans", ""); n != 0 {
		t.Fatalf("refused bans wrote %d rows", n)
	}
	e.do(req{method: "POST", path: "/api/v1/rooms/0123456789abcdef01234567/viewer-bans", token: alice, body: map[string]any{"userIds": []string{"carol"}}}).expect(404, 400400)

	ban(alice, map[string]any{"userIds": []string{"carol", "dave", "carol"}}).ok()
	ev := e.lastEvent("room.usersBanned")
	if ev.RoomID != id || !slices.Contains(ev.UserIDs, cu["_id"].(string)) || !strings.Contains(string(ev.RawData), `"userIds"`) {
		t.Fatalf("usersBanned: %+v %s", ev.Event, ev.RawData)
	}
	ban(alice, map[string]any{"userIds": []string{"carol"}}).ok() // already banned: a no-op
	if n := len(e.outboxOf("room.usersBanned")); n != 1 {
		t.Fatalf("usersBanned events: %d", n)
	}
	// A banned viewer cannot read the room, does not see it listed, and may not subscribe.
	e.do(req{method: "GET", path: "/api/v1/rooms/" + id, token: carol}).expect(403, 400301)
	e.do(req{method: "GET", path: "/api/v1/rooms/" + id + "/recorded", token: carol}).expect(403, 400301)
	if rooms := e.do(req{method: "GET", path: "/api/v1/rooms", token: carol}).ok().JSON()["rooms"].([]any); len(rooms) != 0 {
		t.Fatalf("a banned viewer sees: %v", rooms)
	}
	if rooms := e.do(req{method: "GET", path: "/api/v1/rooms", token: bob}).ok().JSON()["rooms"].([]any); len(rooms) != 1 {
		t.Fatalf("others see: %v", rooms)
	}
	ctx := context.Background()
	if ok, err := e.rooms.CanReadRoom(ctx, cu["_id"].(string), id); err != nil || ok {
		t.Fatalf("banned viewer may read: %v %v", ok, err)
	}
	if ok, err := e.rooms.CanReadRoom(ctx, au["_id"].(string), id); err != nil || !ok {
		t.Fatalf("host may not read: %v %v", ok, err)
	}
	if ok, _ := e.rooms.CanReadRoom(ctx, au["_id"].(string), "not-an-id"); ok {
		t.Fatal("an unknown room is readable")
	}
	// The host cannot co-host with a banned viewer.
	e.do(req{method: "POST", path: "/api/v1/invitations", token: alice, body: map[string]any{
		"type": "livestreamCohostInvite", "targetType": "room", "targetId": id, "userIds": []string{"carol"}}}).expect(403, 400304)

	// The list, newest first, one per page.
	e.do(req{method: "GET", path: path, token: carol}).expect(403, 400301)
	m := e.do(req{method: "GET", path: path + "?options[limit]=1", token: alice}).ok().JSON()
	bans := m["roomBannedUsers"].([]any)
	if len(bans) != 1 || room0(m)["_id"] != id {
		t.Fatalf("bans page: %v", m)
	}
	first := bans[0].(map[string]any)
	if first["banBy"] != au["_id"] || first["banByPublicId"] != "alice" {
		t.Fatalf("ban: %v", first)
	}
	next := m["paging"].(map[string]any)["next"].(string)
	m = e.do(req{method: "GET", path: path + "?options[token]=" + urlEscape(next), token: alice}).ok().JSON()
	second := m["roomBannedUsers"].([]any)[0].(map[string]any)
	got := []string{first["userPublicId"].(string), second["userPublicId"].(string)}
	slices.Sort(got)
	if !slices.Equal(got, []string{"carol", "dave"}) {
		t.Fatalf("both bans across pages: %v", got)
	}
	if _, more := m["paging"].(map[string]any)["next"]; more {
		t.Fatalf("a third page: %v", m["paging"])
	}
	var names []string
	for _, u := range m["users"].([]any) {
		names = append(names, u.(map[string]any)["userId"].(string))
	}
	if !slices.Contains(names, second["userPublicId"].(string)) {
		t.Fatalf("the banned user is in users: %v", names)
	}

	// Unban: someone not banned is 400316 and nothing changes.
	unban := func(tok string, b any) *resp { return e.do(req{method: "DELETE", path: path, token: tok, body: b}) }
	unban(alice, map[string]any{"userIds": []string{"carol", "bob"}}).expect(403, 400316)
	unban(carol, map[string]any{"userIds": []string{"carol"}}).expect(403, 400301)
	unban(alice, map[string]any{}).expect(400, 400000)
	if n := e.count("room_viewer_bans", ""); n != 2 {
		t.Fatalf("refused unbans changed bans: %d", n)
	}
	unban(alice, map[string]any{"userIds": []string{"carol"}}).ok()
	if ev := e.lastEvent("room.usersUnbanned"); ev.RoomID != id || !slices.Equal(ev.UserIDs, []string{cu["_id"].(string)}) {
		t.Fatalf("usersUnbanned: %+v", ev.Event)
	}
	e.do(req{method: "GET", path: "/api/v1/rooms/" + id, token: carol}).ok()
	unban(alice, map[string]any{"userIds": []string{"carol"}}).expect(403, 400316)
	_ = dave
	_ = du
}

// The media server moves the status: idle → live → waitingReconnect → live → ended →
// recorded, terminated from anywhere; anything else is refused and changes nothing.
func TestRoomStatusMachine(t *testing.T) {
	e := newEnv(t)
	alice, _ := e.login("alice")
	id := e.mkRoom(alice, map[string]any{"title": "t"})["_id"].(string)
	ctx := context.Background()
	apply := func(status string) error {
		return e.rooms.ApplyMediaStatus(ctx, room.MediaStatus{RoomID: id, Status: status})
	}
	status := func() map[string]any {
		return room0(e.do(req{method: "GET", path: "/api/v1/rooms/" + id, token: alice}).ok().JSON())
	}
	refused := func(s string, code chat.Code) {
		t.Helper()
		err := apply(s)
		if ce, ok := chat.AsError(err); !ok || ce.Code != code {
			t.Fatalf("%s: want %d, got %v", s, code, err)
		}
	}
	refused("recorded", chat.CodeForbidden)
	refused("idle", chat.CodeBadRequest)
	refused("bogus", chat.CodeBadRequest)
	e.do(req{method: "GET", path: "/api/v1/rooms/" + id + "/recorded", token: alice}).expect(404, 400400)
	url := "https://media.example/live.m3u8"
	if err := e.rooms.ApplyMediaStatus(ctx, room.MediaStatus{RoomID: id, Status: "live", LivePlaybackURL: &url}); err != nil {
		t.Fatal(err)
	}
	if r := status(); r["status"] != "live" || r["liveAt"] == nil || r["livePlaybackUrl"] != url {
		t.Fatalf("live: %v", r)
	}
	for _, s := range []string{"waitingReconnect", "live", "waiting_reconnect", "live", "ended"} {
		if err := apply(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	refused("live", chat.CodeForbidden)
	if r := status(); r["status"] != "ended" || r["endedAt"] == nil || r["durationSeconds"] == nil || r["livePlaybackUrl"] != nil {
		t.Fatalf("ended: %v", r)
	}
	if err := e.rooms.ApplyMediaStatus(ctx, room.MediaStatus{RoomID: id, Status: "recorded",
		RecordedPlaybackInfos: []room.PlaybackInfo{{URL: "https://media.example/rec.m3u8", ThumbnailURL: "https://media.example/rec.png"}}}); err != nil {
		t.Fatal(err)
	}
	var rec room.RecordedURL
	e.do(req{method: "GET", path: "/api/v1/rooms/" + id + "/recorded", token: alice}).ok().Decode(&rec)
	if rec.URL != "https://media.example/rec.m3u8" || len(rec.RecordedURLs) != 1 {
		t.Fatalf("recorded: %+v", rec)
	}
	if err := apply("terminated"); err != nil {
		t.Fatal(err)
	}
	refused("terminated", chat.CodeForbidden)
	if status()["status"] != "terminated" {
		t.Fatal("not terminated")
	}
	for typ, n := range map[chat.EventType]int{"room.startBroadcasting": 3, "room.waitingReconnect": 2, "room.endBroadcasting": 1,
		"room.recordedAvailable": 1, "room.terminated": 1} {
		if got := len(e.outboxOf(typ)); got != n {
			t.Fatalf("%s events: %d, want %d", typ, got, n)
		}
	}
	if err := e.rooms.ApplyMediaStatus(ctx, room.MediaStatus{RoomID: "0123456789abcdef01234567", Status: "live"}); err == nil {
		t.Fatal("an unknown room moved")
	}
}

// Room lists are keyset-paged: a page deep in the list costs what the first one costs.
// The figures are printed, never asserted (shared machines are noisy).
func TestRoomListPageCostAtDepth(t *testing.T) {
	if testing.Short() {
		t.Skip("fills 2,000 rooms")
	}
	e := newEnv(t)
	tok, _ := e.login("alice")
	ctx := context.Background()
	c, err := e.svc.Authenticate(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	const n = 2000
	start := time.Now()
	title := "r"
	for i := 0; i < n; i++ {
		if _, err := e.rooms.CreateRoom(ctx, c, room.CreateRoomInput{Title: &title}); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("created %d rooms in %v (%v each)", n, time.Since(start).Round(time.Millisecond), (time.Since(start) / n).Round(time.Microsecond))
	page := func(q string) (time.Duration, string) {
		const runs = 20
		var next string
		began := time.Now()
		for i := 0; i < runs; i++ {
			m := e.do(req{method: "GET", path: "/api/v1/rooms?options[limit]=100" + q, token: tok}).ok().JSON()
			next, _ = m["paging"].(map[string]any)["next"].(string)
		}
		return time.Since(began) / runs, next
	}
	first, next := page("")
	// Walk to the last page, then time it.
	for i := 0; i < n/100-2; i++ {
		m := e.do(req{method: "GET", path: "/api/v1/rooms?options[token]=" + urlEscape(next), token: tok}).ok().JSON()
		next = m["paging"].(map[string]any)["next"].(string)
	}
	last, _ := page("&options[token]=" + urlEscape(next))
	t.Logf("GET /api/v1/rooms, 100 per page of %d: first page %v, last page %v (HTTP round trip, OpenAPI validation included)", n, first.Round(time.Microsecond), last.Round(time.Microsecond))
}
