package httpapi_test

import (
	"fmt"
	"testing"
)

func TestGlobalBanCutsEverySessionAndRefusesLogin(t *testing.T) {
	e := newEnv(t)
	admin := e.adminToken()
	alice, _ := e.user("alice")
	bob, bobU := e.user("bob")
	bob2, _ := e.user("bob") // a second device
	e.createChannel(alice, map[string]any{"channelId": "c", "userIds": []string{"bob"}})
	feed := internalID(e.channel(alice, "c"))
	e.send(bob, text(feed, "one"))
	e.send(bob, text(feed, "two"))
	e.send(alice, text(feed, "alice's"))

	// Who may ban: not a plain user, not a channel moderator (alice moderates c).
	e.do(req{method: "POST", path: "/api/v2/users/ban", token: alice, body: map[string]any{"userId": "bob"}}).expect(403, 400301)
	e.do(req{method: "POST", path: "/api/v2/users/ban", token: admin, body: map[string]any{"userId": "_parley_admin"}}).expect(403, 400306)
	e.do(req{method: "POST", path: "/api/v2/users/ban", token: admin, body: map[string]any{"userId": "ghost"}}).expect(404, 400400)
	e.do(req{method: "POST", path: "/api/v2/users/ban", token: admin, body: map[string]any{}}).expect(400, 400000)
	e.do(req{method: "POST", path: "/api/v2/users/ban", token: admin, body: map[string]any{"userId": "bob", "deleteMessages": "yes"}}).expect(400, 400000)
	e.do(req{method: "POST", path: "/api/v2/users/unban", token: admin, body: map[string]any{"userId": "bob", "deleteMessages": true}}).expect(400, 400000)
	e.do(req{method: "POST", path: "/api/v2/users/unban", token: admin, body: map[string]any{"userId": "bob"}}).expect(403, 400316)
	if e.count("users", "is_global_ban = 1") != 0 || e.count("moderation_audit", "") != 0 || e.count("sessions", "revoked_at IS NOT NULL") != 0 {
		t.Fatal("a refused ban wrote")
	}

	m := e.do(req{method: "POST", path: "/api/v2/users/ban", token: admin,
		body: map[string]any{"userId": "bob", "deleteMessages": true, "reason": "spam wave"}}).ok().JSON()
	if m["users"].([]any)[0].(map[string]any)["isGlobalBan"] != true {
		t.Fatalf("ban answer: %v", m)
	}
	// Every session answers 400312 at once, REST included (MQTT: realtime tests).
	e.do(req{method: "GET", path: "/api/v3/users/alice", token: bob}).expect(403, 400312)
	e.do(req{method: "GET", path: "/api/v3/users/alice", token: bob2}).expect(403, 400312)
	e.do(req{method: "POST", path: "/api/v5/sessions", header: map[string]string{"X-API-Key": testAPIKey},
		body: map[string]any{"userId": "bob", "deviceId": "d"}}).expect(403, 400312)
	if n := e.count("sessions", "user_id = ? AND revoked_at IS NULL", bobU.id()); n != 0 {
		t.Fatalf("%d sessions of bob still live", n)
	}
	if n := e.count("messages", "creator_id = ? AND is_deleted = 0", bobU.id()); n != 0 {
		t.Fatalf("%d of bob's messages survived", n)
	}
	if e.count("messages", "is_deleted = 0") != 1 {
		t.Fatal("alice's message was deleted")
	}
	if e.count("outbox", "type = 'user.didGlobalBan' AND user_ids LIKE ?", "%"+bobU.id()+"%") != 1 ||
		e.count("outbox", "type = 'internal.sessionsRevoked' AND user_ids LIKE ?", "%"+bobU.id()+"%") != 1 {
		t.Fatal("ban events")
	}
	e.do(req{method: "POST", path: "/api/v2/users/ban", token: admin, body: map[string]any{"userId": "bob"}}).expect(409, 400900)

	// Unban: the cut sessions stay cut (400100), a new login works.
	e.do(req{method: "POST", path: "/api/v2/users/unban", token: admin, body: map[string]any{"userId": "bob", "reason": "appeal"}}).ok()
	e.do(req{method: "GET", path: "/api/v3/users/alice", token: bob}).expect(401, 400100)
	again, _ := e.user("bob")
	e.do(req{method: "GET", path: "/api/v3/users/alice", token: again}).ok()

	entries := e.do(req{method: "GET", path: "/api/v1/moderation/audit-log?targetId=bob", token: admin}).ok().JSON()["auditEntries"].([]any)
	if len(entries) != 2 {
		t.Fatalf("audit entries of bob: %v", entries)
	}
	unban, ban := entries[0].(map[string]any), entries[1].(map[string]any)
	if unban["action"] != "user.globalUnban" || unban["reason"] != "appeal" || ban["action"] != "user.globalBan" ||
		ban["reason"] != "spam wave" || ban["actorId"] != "_parley_admin" || ban["detail"].(map[string]any)["deletedMessages"] != 2.0 {
		t.Fatalf("audit entries: %v", entries)
	}
}

func TestAuditLogIsForAdminsAndPagesByActorAndTarget(t *testing.T) {
	e := newEnv(t)
	admin := e.adminToken()
	alice, _ := e.user("alice")
	for i := 0; i < 5; i++ {
		e.user(fmt.Sprintf("u%d", i))
		e.do(req{method: "POST", path: "/api/v2/users/ban", token: admin, body: map[string]any{"userId": fmt.Sprintf("u%d", i)}}).ok()
	}
	e.do(req{method: "GET", path: "/api/v1/moderation/audit-log", token: alice}).expect(403, 400301)
	e.do(req{method: "GET", path: "/api/v1/moderation/audit-log?options%5Btoken%5D=x", token: admin}).expect(400, 400000)
	var order []string
	path := "/api/v1/moderation/audit-log?actorId=_parley_admin&options%5Blimit%5D=2"
	for path != "" {
		m := e.do(req{method: "GET", path: path, token: admin}).ok().JSON()
		for _, x := range m["auditEntries"].([]any) {
			order = append(order, x.(map[string]any)["targetId"].(string))
		}
		path = ""
		if next, _ := m["paging"].(map[string]any)["next"].(string); next != "" {
			path = "/api/v1/moderation/audit-log?actorId=_parley_admin&" + tokenQuery(next)
		}
	}
	if fmt.Sprint(order) != "[u4 u3 u2 u1 u0]" {
		t.Fatalf("audit log newest first: %v", order)
	}
	if m := e.do(req{method: "GET", path: "/api/v1/moderation/audit-log?actorId=alice", token: admin}).ok().JSON(); len(m["auditEntries"].([]any)) != 0 {
		t.Fatalf("alice moderated nothing: %v", m)
	}
}

// Every moderation act in a channel lands in the audit log, in its own transaction: a
// refused act leaves no entry.
func TestChannelModerationActsAreAudited(t *testing.T) {
	e := newEnv(t)
	admin := e.adminToken()
	alice, _ := e.user("alice") // moderator of c
	bob, _ := e.user("bob")
	e.user("carol")
	e.createChannel(alice, map[string]any{"channelId": "c", "userIds": []string{"bob", "carol"}})
	feed := internalID(e.channel(alice, "c"))
	audit := func(where string, args ...any) int { return e.count("moderation_audit", where, args...) }
	long := fmt.Sprintf("%01001d", 0) // one character over the limit

	// Refused acts: no permission, bad reason, one target not banned.
	e.do(req{method: "PUT", path: "/api/v3/channels/c/users/ban", token: bob, body: map[string]any{"userIds": []string{"carol"}}}).expect(403, 400301)
	e.do(req{method: "PUT", path: "/api/v3/channels/c/users/ban", token: alice, body: map[string]any{"userIds": []string{"carol"}, "reason": long}}).expect(400, 400000)
	e.do(req{method: "PUT", path: "/api/v3/channels/c/users/unban", token: alice, body: map[string]any{"userIds": []string{"carol"}}}).expect(403, 400316)
	e.do(req{method: "PUT", path: "/api/v2/channel/c/users/mute", token: alice, body: map[string]any{"userIds": []string{"carol"}, "mutePeriod": 1000, "reason": 7}}).expect(400, 400000)
	if n := audit(""); n != 0 {
		t.Fatalf("refused acts wrote %d audit entries", n)
	}

	e.do(req{method: "PUT", path: "/api/v3/channels/c/users/ban", token: alice, body: map[string]any{"userIds": []string{"carol"}, "reason": "abuse"}}).ok()
	e.do(req{method: "PUT", path: "/api/v3/channels/c/users/unban", token: alice, body: map[string]any{"userIds": []string{"carol"}}}).ok()
	e.do(req{method: "PUT", path: "/api/v2/channel/c/users/mute", token: alice, body: map[string]any{"userIds": []string{"bob"}, "mutePeriod": 60000, "reason": "cool off"}}).ok()
	e.do(req{method: "PUT", path: "/api/v2/channel/c/mute", token: alice, body: map[string]any{"mutePeriod": 0}}).ok()
	e.do(req{method: "POST", path: "/api/v3/channels/c/users/roles", token: alice, body: map[string]any{"role": "channel-moderator", "userIds": []string{"bob"}}}).ok()
	e.do(req{method: "DELETE", path: "/api/v3/channels/c/users/roles", token: alice, body: map[string]any{"role": "channel-moderator", "userIds": []string{"bob"}, "reason": "done"}}).ok()
	e.do(req{method: "PUT", path: "/api/v3/users", token: admin, body: map[string]any{"userId": "bob", "roles": []string{"global-admin"}, "reason": "promoted"}}).ok()
	// A moderator's delete is audited, the author's own is not.
	own := e.send(alice, text(feed, "mine"))
	theirs := e.send(admin, text(feed, "the admin's"))
	e.do(req{method: "DELETE", path: "/api/v5/messages/" + own["messageId"].(string), token: alice}).ok()
	e.do(req{method: "DELETE", path: "/api/v5/messages/" + theirs["messageId"].(string), token: alice, body: map[string]any{"reason": "off topic"}}).ok()

	for _, c := range []struct {
		where string
		args  []any
	}{
		{"action = 'channel.ban' AND target_id = 'carol' AND channel_id = 'c' AND reason = 'abuse' AND actor_id = 'alice'", nil},
		{"action = 'channel.unban' AND target_id = 'carol' AND reason = ''", nil},
		{"action = 'channel.userMute' AND target_id = 'bob' AND reason = 'cool off'", nil},
		{"action = 'channel.mute' AND target_type = 'channel' AND target_id = 'c'", nil},
		{"action = 'channel.roleAdd' AND target_id = 'bob' AND detail LIKE '%channel-moderator%'", nil},
		{"action = 'channel.roleRemove' AND target_id = 'bob' AND reason = 'done'", nil},
		{"action = 'user.roles' AND target_id = 'bob' AND reason = 'promoted' AND detail LIKE '%global-admin%'", nil},
		{"action = 'message.delete' AND target_id = ? AND reason = 'off topic' AND detail LIKE '%_parley_admin%'", []any{theirs["messageId"]}},
	} {
		if n := audit(c.where, c.args...); n != 1 {
			t.Errorf("%d audit entries where %s", n, c.where)
		}
	}
	if n := audit("action = 'message.delete' AND target_id = ?", own["messageId"]); n != 0 {
		t.Errorf("an author's own delete was audited")
	}
	if n := audit(""); n != 8 {
		t.Errorf("%d audit entries, want 8", n)
	}
	// By target, through the API.
	m := e.do(req{method: "GET", path: "/api/v1/moderation/audit-log?targetId=carol", token: admin}).ok().JSON()
	if got := len(m["auditEntries"].([]any)); got != 2 {
		t.Fatalf("carol's entries: %v", m)
	}
}

func TestDeleteUser(t *testing.T) {
	e := newEnv(t)
	admin := e.adminToken()
	alice, _ := e.user("alice")
	bob, bobU := e.user("bob")
	e.user("carol")
	e.createChannel(alice, map[string]any{"channelId": "c1", "userIds": []string{"bob", "carol"}})
	e.createChannel(alice, map[string]any{"channelId": "c2", "userIds": []string{"bob"}})
	e.createChannel(alice, map[string]any{"channelId": "c3", "userIds": []string{"carol"}})
	e.send(bob, text(internalID(e.channel(bob, "c1")), "hello"))
	e.send(bob, text(internalID(e.channel(bob, "c2")), "there"))

	// Who may: global admins only; not the admin user itself.
	e.do(req{method: "DELETE", path: "/api/v4/users/bob?deleteAll=true", token: alice}).expect(403, 400301)
	e.do(req{method: "DELETE", path: "/api/v4/users/bob?deleteAll=maybe", token: admin}).expect(400, 400000)
	e.do(req{method: "DELETE", path: "/api/v4/users/ghost", token: admin}).expect(404, 400400)
	e.do(req{method: "DELETE", path: "/api/v4/users/_parley_admin", token: admin}).expect(403, 400300)
	if e.count("users", "is_deleted = 1") != 0 || e.count("moderation_audit", "") != 0 || e.count("channel_members", "membership = 'member'") != 7 {
		t.Fatal("a refused delete wrote")
	}

	m := e.do(req{method: "DELETE", path: "/api/v4/users/bob?deleteAll=true&reason=requested", token: admin}).ok().JSON()
	u := m["users"].([]any)[0].(map[string]any)
	if u["isDeleted"] != true || u["displayName"] != "Deleted user" || u["deletedAt"] == nil {
		t.Fatalf("deleted user: %v", u)
	}
	e.do(req{method: "GET", path: "/api/v3/users/alice", token: bob}).expect(401, 400100)
	e.do(req{method: "POST", path: "/api/v5/sessions", header: map[string]string{"X-API-Key": testAPIKey},
		body: map[string]any{"userId": "bob", "deviceId": "d"}}).expect(403, 400300)
	if n := e.count("messages", "creator_id = ? AND is_deleted = 0", bobU.id()); n != 0 {
		t.Fatalf("%d of bob's messages survived", n)
	}
	if got := [3]int{e.memberCount(alice, "c1"), e.memberCount(alice, "c2"), e.memberCount(alice, "c3")}; got != [3]int{2, 1, 2} {
		t.Fatalf("member counts after the delete: %v", got)
	}
	if e.count("outbox", "type = 'channel.membersRemoved'") != 2 || e.count("outbox", "type = 'user.deleted' AND network = 1") != 1 {
		t.Fatal("delete events")
	}
	if e.count("moderation_audit", "action = 'user.delete' AND target_id = 'bob' AND reason = 'requested' AND detail LIKE '%\"leftChannels\":2%'") != 1 {
		t.Fatal("delete audit entry")
	}
	e.do(req{method: "DELETE", path: "/api/v4/users/bob", token: admin}).expect(400, 400000)

	// Without options, messages and memberships stay.
	carol, carolU := e.user("carol")
	e.send(carol, text(internalID(e.channel(carol, "c3")), "kept"))
	e.do(req{method: "DELETE", path: "/api/v4/users/carol", token: admin}).ok()
	if e.count("messages", "creator_id = ? AND is_deleted = 0", carolU.id()) != 1 || e.memberCount(alice, "c3") != 2 {
		t.Fatal("a plain delete touched messages or memberships")
	}
}
