package httpapi_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func inviteBody(roomID string, userIDs ...string) map[string]any {
	return map[string]any{"type": "livestreamCohostInvite", "targetType": "room", "targetId": roomID, "userIds": userIDs}
}

// The whole co-host flow: invite, see it, accept, co-host; reject; cancel.
func TestCohostInvitationFlow(t *testing.T) {
	e := newEnv(t)
	alice, au := e.login("alice")
	bob, bu := e.login("bob")
	carol, cu := e.login("carol")
	dave, _ := e.login("dave")
	id := e.mkRoom(alice, map[string]any{"title": "duo", "type": "coHosts"})["_id"].(string)

	// Invite bob: the invitation in the SDK's shape, with both users.
	m := e.do(req{method: "POST", path: "/api/v1/invitations", token: alice, body: inviteBody(id, "bob")}).ok().JSON()
	inv := m["invitations"].([]any)[0].(map[string]any)
	invID := inv["_id"].(string)
	want := map[string]any{
		"invitationId": invID, "networkId": e.svc.NetworkID(), "type": "livestreamCohostInvite", "targetType": "room",
		"targetId": id, "userId": bu["_id"], "status": "pending", "respondedAt": nil, "createdBy": au["_id"],
		"invitedUserId": "bob", "invitedUserPublicId": "bob", "invitedUserInternalId": bu["_id"],
		"inviterUserId": "alice", "inviterUserPublicId": "alice", "inviterUserInternalId": au["_id"], "communityId": nil,
	}
	for k, v := range want {
		if inv[k] != v {
			t.Fatalf("invitation %s = %v, want %v (%v)", k, inv[k], v, inv)
		}
	}
	if n := len(m["users"].([]any)); n != 2 {
		t.Fatalf("users: %v", m["users"])
	}
	ev := e.lastEvent("room.didCohostInvite")
	if ev.RoomID != id || !slices.Contains(ev.UserIDs, bu["_id"].(string)) || !strings.Contains(string(ev.RawData), invID) {
		t.Fatalf("didCohostInvite: %+v %s", ev.Event, ev.RawData)
	}

	// Bob finds it the way the SDK looks for it; the host sees the room's list.
	mine := e.do(req{method: "GET", path: "/api/v1/invitations/me?targetId=" + id + "&targetType=room&type=livestreamCohostInvite", token: bob}).ok().JSON()
	if list := mine["invitations"].([]any); len(list) != 1 || list[0].(map[string]any)["_id"] != invID {
		t.Fatalf("bob's invitations: %v", mine)
	}
	if list := e.do(req{method: "GET", path: "/api/v1/invitations/me", token: carol}).ok().JSON()["invitations"].([]any); len(list) != 0 {
		t.Fatalf("carol's invitations: %v", list)
	}
	roomList := "/api/v1/invitations?targetId=" + id + "&targetType=room&type=livestreamCohostInvite&statuses[]=pending"
	if list := e.do(req{method: "GET", path: roomList, token: alice}).ok().JSON()["invitations"].([]any); len(list) != 1 {
		t.Fatalf("room's invitations: %v", list)
	}
	e.do(req{method: "GET", path: roomList, token: carol}).expect(403, 400301)

	// Only bob answers his invitation.
	e.do(req{method: "POST", path: "/api/v1/invitations/" + invID + "/accept", token: carol}).expect(403, 400301)
	e.do(req{method: "POST", path: "/api/v1/invitations/" + invID + "/accept", token: alice}).expect(403, 400301)
	e.do(req{method: "POST", path: "/api/v1/invitations/" + invID + "/accept", token: bob}).ok()
	r := room0(e.do(req{method: "GET", path: "/api/v1/rooms/" + id, token: carol}).ok().JSON())
	if got := participantsOf(r); got["bob"] != "coHost" || got["alice"] != "host" {
		t.Fatalf("after accept: %v", got)
	}
	acc := e.lastEvent("room.didCohostInviteAccept")
	var accData struct {
		Invitations []map[string]any `json:"invitations"`
	}
	json.Unmarshal(acc.RawData, &accData)
	if acc.RoomID != id || !slices.Contains(acc.UserIDs, au["_id"].(string)) || accData.Invitations[0]["status"] != "approved" || accData.Invitations[0]["respondedAt"] == nil {
		t.Fatalf("didCohostInviteAccept: %+v %s", acc.Event, acc.RawData)
	}
	if joined := e.lastEvent("room.participantJoined"); joined.RoomID != id || !strings.Contains(string(joined.RawData), `"eventActor":{"userInternalId":"`+bu["_id"].(string)) {
		t.Fatalf("participantJoined: %+v %s", joined.Event, joined.RawData)
	}
	// Answered invitations take no second answer.
	e.do(req{method: "POST", path: "/api/v1/invitations/" + invID + "/accept", token: bob}).expect(403, 400300)
	e.do(req{method: "POST", path: "/api/v1/invitations/" + invID + "/reject", token: bob}).expect(403, 400300)
	e.do(req{method: "DELETE", path: "/api/v1/invitations/" + invID, token: alice}).expect(403, 400300)

	// Carol rejects.
	carolInv := e.invite(alice, id, "carol")
	e.do(req{method: "POST", path: "/api/v1/invitations/" + carolInv + "/reject", token: dave}).expect(403, 400301)
	e.do(req{method: "POST", path: "/api/v1/invitations/" + carolInv + "/reject", token: carol}).ok()
	if rej := e.lastEvent("room.didCohostInviteReject"); rej.RoomID != id || !slices.Contains(rej.UserIDs, cu["_id"].(string)) {
		t.Fatalf("didCohostInviteReject: %+v", rej.Event)
	}
	if got := participantsOf(room0(e.do(req{method: "GET", path: "/api/v1/rooms/" + id, token: carol}).ok().JSON())); len(got) != 2 {
		t.Fatalf("a rejection adds nobody: %v", got)
	}

	// Dave's invitation is cancelled by the host; dave can no longer accept it.
	daveInv := e.invite(alice, id, "dave")
	e.do(req{method: "DELETE", path: "/api/v1/invitations/" + daveInv, token: dave}).expect(403, 400301)
	e.do(req{method: "DELETE", path: "/api/v1/invitations/" + daveInv, token: bob}).expect(403, 400301)
	e.do(req{method: "DELETE", path: "/api/v1/invitations/" + daveInv, token: alice}).ok()
	if cancel := e.lastEvent("room.didCohostInviteCancel"); cancel.RoomID != id || !strings.Contains(string(cancel.RawData), `"status":"cancelled"`) {
		t.Fatalf("didCohostInviteCancel: %+v %s", cancel.Event, cancel.RawData)
	}
	e.do(req{method: "POST", path: "/api/v1/invitations/" + daveInv + "/accept", token: dave}).expect(403, 400300)

	// The room's list in both orders, one page at a time, and filtered by status.
	seen := func(q string) []string {
		t.Helper()
		var out []string
		m := e.do(req{method: "GET", path: "/api/v1/invitations?targetId=" + id + "&targetType=room&options[limit]=1" + q, token: bob}).ok().JSON()
		for {
			for _, inv := range m["invitations"].([]any) {
				out = append(out, inv.(map[string]any)["_id"].(string))
			}
			next, _ := m["paging"].(map[string]any)["next"].(string)
			if next == "" {
				return out
			}
			m = e.do(req{method: "GET", path: "/api/v1/invitations?targetId=" + id + "&targetType=room&options[token]=" + urlEscape(next) + q, token: bob}).ok().JSON()
		}
	}
	if got := seen("&sortBy=firstCreated"); !slices.Equal(got, []string{invID, carolInv, daveInv}) {
		t.Fatalf("oldest first: %v", got)
	}
	if got := seen(""); !slices.Equal(got, []string{daveInv, carolInv, invID}) {
		t.Fatalf("newest first: %v", got)
	}
	if got := seen("&statuses[]=rejected&statuses[]=cancelled&sortOrder=asc&sortBy=createdAt"); !slices.Equal(got, []string{carolInv, daveInv}) {
		t.Fatalf("answered ones: %v", got)
	}
	// An admin may list any room's invitations.
	e.do(req{method: "GET", path: roomList, token: e.adminToken()}).ok()
}

func TestInvitationRefusals(t *testing.T) {
	e := newEnv(t)
	alice, _ := e.login("alice")
	bob, _ := e.login("bob")
	carol, _ := e.login("carol")
	duo := e.mkRoom(alice, map[string]any{"title": "duo", "type": "coHosts"})["_id"].(string)
	solo := e.mkRoom(alice, map[string]any{"title": "solo"})["_id"].(string)
	post := func(tok string, body any) *resp {
		return e.do(req{method: "POST", path: "/api/v1/invitations", token: tok, body: body})
	}
	long := strings.Repeat("u", 51)
	bad := []any{
		map[string]any{"targetType": "room", "targetId": duo, "userIds": []string{"bob"}},
		map[string]any{"type": "communityMemberInvite", "targetType": "room", "targetId": duo, "userIds": []string{"bob"}},
		map[string]any{"type": "livestreamCohostInvite", "targetType": "community", "targetId": duo, "userIds": []string{"bob"}},
		map[string]any{"type": "livestreamCohostInvite", "targetId": duo, "userIds": []string{"bob"}},
		map[string]any{"type": "livestreamCohostInvite", "targetType": "room", "userIds": []string{"bob"}},
		map[string]any{"type": "livestreamCohostInvite", "targetType": "room", "targetId": "", "userIds": []string{"bob"}},
		map[string]any{"type": "livestreamCohostInvite", "targetType": "room", "targetId": duo},
		inviteBody(duo),
		inviteBody(duo, ""),
		inviteBody(duo, long),
		inviteBody(duo, make([]string, 101)...),
		map[string]any{"type": 1, "targetType": "room", "targetId": duo, "userIds": []string{"bob"}},
		map[string]any{"type": "livestreamCohostInvite", "targetType": "room", "targetId": duo, "userIds": "bob"},
		`{"type":`, `[]`, ``,
	}
	for i, b := range bad {
		if r := post(alice, b); r.Status != 400 || r.Code() != 400000 {
			t.Fatalf("bad body %d: %d %s", i, r.Status, r.Body)
		}
	}
	post(alice, inviteBody("0123456789abcdef01234567", "bob")).expect(404, 400400)
	post(alice, inviteBody("not-a-room", "bob")).expect(404, 400400)
	post(alice, inviteBody(duo, "bob", "ghost")).expect(404, 400400)
	post(bob, inviteBody(duo, "carol")).expect(403, 400301)
	post(alice, inviteBody(solo, "bob")).expect(403, 400300) // only coHosts rooms take co-hosts
	post(alice, inviteBody(duo, "alice")).expect(403, 400300)
	if n := e.count("invitations", ""); n != 0 {
		t.Fatalf("refusals wrote %d invitations", n)
	}
	if n := len(e.outboxOf("room.didCohostInvite")); n != 0 {
		t.Fatalf("refusals published %d events", n)
	}
	// One pending invitation per user, and none for a co-host.
	e.invite(alice, duo, "bob")
	post(alice, inviteBody(duo, "bob")).expect(409, 400900)
	post(alice, inviteBody(duo, "carol", "bob")).expect(409, 400900)
	e.cohost(alice, duo, carol, "carol")
	post(alice, inviteBody(duo, "carol")).expect(409, 400900)
	if n := e.count("invitations", ""); n != 2 {
		t.Fatalf("invitations: %d", n)
	}

	// Answers: unknown ids are 400400.
	for _, id := range []string{"0123456789abcdef01234567", "nope"} {
		e.do(req{method: "POST", path: "/api/v1/invitations/" + id + "/accept", token: bob}).expect(404, 400400)
		e.do(req{method: "POST", path: "/api/v1/invitations/" + id + "/reject", token: bob}).expect(404, 400400)
		e.do(req{method: "DELETE", path: "/api/v1/invitations/" + id, token: alice}).expect(404, 400400)
	}
	// A room that has ended takes no co-hosts: pending invitations can no longer be
	// accepted, and no new ones are made.
	mine := e.do(req{method: "GET", path: "/api/v1/invitations/me?statuses[]=pending", token: bob}).ok().JSON()["invitations"].([]any)
	bobInv := mine[0].(map[string]any)["_id"].(string)
	e.do(req{method: "POST", path: "/api/v1/rooms/" + duo + "/stop", token: alice}).ok()
	e.do(req{method: "POST", path: "/api/v1/invitations/" + bobInv + "/accept", token: bob}).expect(403, 400300)
	e.login("dave")
	post(alice, inviteBody(duo, "dave")).expect(403, 400300)
	// Rejecting still works, so the invitee can clear it.
	e.do(req{method: "POST", path: "/api/v1/invitations/" + bobInv + "/reject", token: bob}).ok()

	// List parameters.
	for _, q := range []string{"targetType=room", "targetId=" + duo, "targetId=" + duo + "&targetType=community",
		"targetId=" + duo + "&targetType=room&type=communityMemberInvite", "targetId=" + duo + "&targetType=room&statuses[]=open",
		"targetId=" + duo + "&targetType=room&sortBy=respondedAt", "targetId=" + duo + "&targetType=room&sortOrder=up",
		"targetId=" + duo + "&targetType=room&options[limit]=500", "targetId=" + duo + "&targetType=room&options[token]=@@"} {
		e.do(req{method: "GET", path: "/api/v1/invitations?" + q, token: alice}).expect(400, 400000)
	}
	e.do(req{method: "GET", path: "/api/v1/invitations?targetType=room&targetId=0123456789abcdef01234567", token: alice}).expect(404, 400400)
	e.do(req{method: "GET", path: "/api/v1/invitations/me?type=bogus", token: alice}).expect(400, 400000)
	e.do(req{method: "GET", path: "/api/v1/invitations/me"}).expect(401, 400100)
}
