package httpapi_test

import (
	"fmt"
	"net/url"
	"testing"
)

func conversation(e *env, token string, userIDs ...string) *resp {
	e.t.Helper()
	return e.do(req{method: "POST", path: "/api/v3/channels/conversation", token: token,
		body: map[string]any{"userIds": userIDs, "type": "conversation"}})
}

func TestBlockUserKeepsTheBlockedOutOfConversations(t *testing.T) {
	e := newEnv(t)
	alice, aliceU := e.user("alice")
	bob, bobU := e.user("bob")
	carol, _ := e.user("carol")
	// A group conversation made before the block.
	group := conversation(e, carol, "alice", "bob").ok().JSON()["channels"].([]any)[0].(map[string]any)

	r := e.do(req{method: "POST", path: "/api/v4/me/user-blocks/bob", token: alice}).ok().JSON()
	f := r["follows"].([]any)[0].(map[string]any)
	if f["from"] != "bob" || f["to"] != "alice" || f["status"] != "blocked" || len(r["followCounts"].([]any)) != 1 {
		t.Fatalf("block answer: %v", r)
	}
	if n := e.count("outbox", "type = 'user.blocked' AND user_ids LIKE ? AND user_ids LIKE ?", "%"+aliceU.id()+"%", "%"+bobU.id()+"%"); n != 1 {
		t.Fatalf("user.blocked events to both users: %d", n)
	}
	// Blocking again changes nothing and tells nobody.
	e.do(req{method: "POST", path: "/api/v4/me/user-blocks/bob", token: alice}).ok()
	if n := e.count("user_blocks", ""); n != 1 || e.count("outbox", "type = 'user.blocked'") != 1 {
		t.Fatalf("second block wrote: %d rows", n)
	}

	// bob cannot start a conversation with alice, alone or with others; nothing is written.
	channels := e.count("channels", "")
	conversation(e, bob, "alice").expect(403, 400301)
	conversation(e, bob, "carol", "alice").expect(403, 400301)
	if e.count("channels", "") != channels {
		t.Fatal("a refused conversation wrote a channel")
	}
	// bob cannot post where alice is a member; alice still can, and bob elsewhere too.
	messages := e.count("messages", "")
	e.do(req{method: "POST", path: "/api/v5/messages", token: bob, body: text(internalID(group), "hi")}).expect(403, 400301)
	if e.count("messages", "") != messages {
		t.Fatal("a refused message was written")
	}
	e.send(alice, text(internalID(group), "from the blocker"))
	e.send(carol, text(internalID(group), "from carol"))
	withCarol := conversation(e, bob, "carol").ok().JSON()["channels"].([]any)[0].(map[string]any)
	e.send(bob, text(internalID(withCarol), "bob to carol"))
	// alice may still start one with bob: a block is one-way.
	conversation(e, alice, "bob").ok()

	// Community channels are the moderators' business, not the blocker's.
	e.createChannel(alice, map[string]any{"channelId": "town", "userIds": []string{"bob"}})
	e.send(bob, text(internalID(e.channel(bob, "town")), "in the town square"))

	// Unblock: bob is heard again.
	r = e.do(req{method: "DELETE", path: "/api/v4/me/user-blocks/bob", token: alice}).ok().JSON()
	if r["follows"].([]any)[0].(map[string]any)["status"] != "none" {
		t.Fatalf("unblock answer: %v", r)
	}
	if e.count("outbox", "type = 'user.unblocked'") != 1 || e.count("user_blocks", "") != 0 {
		t.Fatal("unblock: event or row")
	}
	e.send(bob, text(internalID(group), "back"))
	conversation(e, bob, "alice").ok()
}

func TestBlockUserBadInput(t *testing.T) {
	e := newEnv(t)
	alice, _ := e.user("alice")
	e.do(req{method: "POST", path: "/api/v4/me/user-blocks/alice", token: alice}).expect(400, 400000)
	e.do(req{method: "POST", path: "/api/v4/me/user-blocks/ghost", token: alice}).expect(404, 400400)
	e.do(req{method: "DELETE", path: "/api/v4/me/user-blocks/ghost", token: alice}).expect(404, 400400)
	e.do(req{method: "POST", path: "/api/v4/me/user-blocks/" + url.PathEscape(string(make([]byte, 51))), token: alice}).expect(400, 400000)
	e.do(req{method: "GET", path: "/api/v4/me/user-blocks?options%5Blimit%5D=0", token: alice}).expect(400, 400000)
	e.do(req{method: "GET", path: "/api/v4/me/user-blocks?options%5Btoken%5D=nope", token: alice}).expect(400, 400000)
	e.do(req{method: "POST", path: "/api/v4/me/user-blocks/bob"}).expect(401, 400100)
	if e.count("user_blocks", "") != 0 || e.count("outbox", "type LIKE 'user.%block%'") != 0 {
		t.Fatal("refused blocks wrote")
	}
}

func TestBlockedUsersPageNewestFirst(t *testing.T) {
	e := newEnv(t)
	alice, _ := e.user("alice")
	for i := 0; i < 7; i++ {
		e.user(fmt.Sprintf("u%d", i))
		e.do(req{method: "POST", path: fmt.Sprintf("/api/v4/me/user-blocks/u%d", i), token: alice}).ok()
	}
	seen := map[string]bool{}
	var order []string
	path := "/api/v4/me/user-blocks?isDeleted=false&options%5Blimit%5D=3"
	for path != "" {
		m := e.do(req{method: "GET", path: path, token: alice}).ok().JSON()
		follows := m["follows"].([]any)
		for i, id := range userIDsOf(t, m) {
			if f := follows[i].(map[string]any); f["from"] != id || f["to"] != "alice" || f["status"] != "blocked" {
				t.Fatalf("follow of %s: %v", id, f)
			}
			if seen[id] {
				t.Fatalf("%s twice", id)
			}
			seen[id] = true
			order = append(order, id)
		}
		path = ""
		if next, _ := m["paging"].(map[string]any)["next"].(string); next != "" {
			path = "/api/v4/me/user-blocks?" + tokenQuery(next)
		}
	}
	if len(order) != 7 || order[0] != "u6" || order[6] != "u0" {
		t.Fatalf("blocked users: %v", order)
	}
	// Nobody else's list holds them.
	bob, _ := e.user("bob")
	if m := e.do(req{method: "GET", path: "/api/v4/me/user-blocks", token: bob}).ok().JSON(); len(m["users"].([]any)) != 0 {
		t.Fatalf("bob's list: %v", m)
	}
}

func TestFlagUser(t *testing.T) {
	e := newEnv(t)
	alice, aliceU := e.user("alice")
	bob, _ := e.user("bob")
	carol, _ := e.user("carol")
	flagged := func(tok string) bool {
		return e.do(req{method: "GET", path: "/api/v3/users/carol/isFlagByMe", token: tok}).ok().JSON()["isFlagByMe"].(bool)
	}
	flagCount := func(m map[string]any) float64 { return m["users"].([]any)[0].(map[string]any)["flagCount"].(float64) }

	// The SDK sends no body; a reason may come in one.
	m := e.do(req{method: "POST", path: "/api/v4/me/flags/carol", token: alice}).ok().JSON()
	if flagCount(m) != 1 || !flagged(alice) || flagged(bob) {
		t.Fatalf("after alice's flag: %v", m)
	}
	m = e.do(req{method: "POST", path: "/api/v4/me/flags/carol", token: bob, body: map[string]any{"reason": "spam"}}).ok().JSON()
	if flagCount(m) != 2 {
		t.Fatalf("after bob's flag: %v", m)
	}
	// Twice is once.
	e.do(req{method: "POST", path: "/api/v4/me/flags/carol", token: alice}).ok()
	if n := e.count("user_flags", ""); n != 2 || e.count("outbox", "type = 'user.flagged'") != 2 {
		t.Fatalf("flags %d", n)
	}
	if n := e.count("outbox", "type = 'user.flagged' AND user_ids LIKE ?", "%"+aliceU.id()+"%"); n != 1 {
		t.Fatalf("alice's user.flagged on her own topic: %d", n)
	}
	got := e.do(req{method: "GET", path: "/api/v3/users/carol", token: carol}).ok().JSON()
	if flagCount(got) != 2 {
		t.Fatalf("carol's flagCount as read: %v", got)
	}
	// Unflag takes back one's own flag only.
	m = e.do(req{method: "DELETE", path: "/api/v4/me/flags/carol", token: alice}).ok().JSON()
	if flagCount(m) != 1 || flagged(alice) {
		t.Fatalf("after unflag: %v", m)
	}
	e.do(req{method: "DELETE", path: "/api/v4/me/flags/carol", token: alice}).ok()
	if e.count("outbox", "type = 'user.unflagged'") != 1 {
		t.Fatal("user.unflagged events")
	}

	// Bad input writes nothing.
	before := e.count("user_flags", "")
	e.do(req{method: "POST", path: "/api/v4/me/flags/alice", token: alice}).expect(400, 400000)
	e.do(req{method: "POST", path: "/api/v4/me/flags/ghost", token: alice}).expect(404, 400400)
	e.do(req{method: "GET", path: "/api/v3/users/ghost/isFlagByMe", token: alice}).expect(404, 400400)
	e.do(req{method: "POST", path: "/api/v4/me/flags/carol", token: carol, body: `{"reason": 5}`}).expect(400, 400000)
	e.do(req{method: "POST", path: "/api/v4/me/flags/alice", token: carol, body: map[string]any{"reason": string(make([]rune, 301))}}).expect(400, 400000)
	if e.count("user_flags", "") != before {
		t.Fatal("a refused flag wrote")
	}

	// Clearing: moderators of the network only, audited, and flagCount drops to 0.
	e.do(req{method: "DELETE", path: "/api/v2/users/carol/flags", token: alice}).expect(403, 400301)
	if e.count("moderation_audit", "") != 0 || e.count("user_flags", "") != 1 {
		t.Fatal("a refused clear wrote")
	}
	admin := e.adminToken()
	m = e.do(req{method: "DELETE", path: "/api/v2/users/carol/flags", token: admin, body: map[string]any{"reason": "reviewed"}}).ok().JSON()
	if flagCount(m) != 0 || e.count("user_flags", "") != 0 || flagged(bob) {
		t.Fatalf("after clear: %v", m)
	}
	if e.count("outbox", "type = 'user.flagCleared'") != 1 ||
		e.count("moderation_audit", "action = 'user.flagsCleared' AND target_id = 'carol' AND reason = 'reviewed' AND actor_id = '_parley_admin'") != 1 {
		t.Fatal("clear: event or audit entry")
	}
	e.do(req{method: "DELETE", path: "/api/v2/users/ghost/flags", token: admin}).expect(404, 400400)
}
