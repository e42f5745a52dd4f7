package httpapi_test

import (
	"fmt"
	"net/url"
	"testing"
)

// The moderation queue: GET /api/v3/users?filter=flagged, GET
// /api/v1/moderation/flagged-messages and DELETE /api/v5/messages/{id}/flags/all.

func TestFlaggedUsersFilterListsOnlyFlaggedUsersForAdmins(t *testing.T) {
	e := newEnv(t)
	admin := e.adminToken()
	alice, _ := e.user("alice")
	bob, _ := e.user("bob")
	for i := 0; i < 5; i++ {
		e.user(fmt.Sprintf("u%d", i))
	}
	for _, id := range []string{"u1", "u3", "u4"} {
		e.do(req{method: "POST", path: "/api/v4/me/flags/" + id, token: alice}).ok()
	}
	e.do(req{method: "POST", path: "/api/v4/me/flags/u3", token: bob}).ok()

	// Newest first by default, two per page, through the paging token (sent with the
	// filter again, as the SDK does).
	var got []string
	path := "/api/v3/users?filter=flagged&options[limit]=2"
	for pages := 0; path != ""; pages++ {
		if pages > 3 {
			t.Fatal("paging does not end")
		}
		p := e.do(req{method: "GET", path: path, token: admin}).ok().JSON()
		got = append(got, ids(p["users"], "userId")...)
		path = ""
		if next, _ := p["paging"].(map[string]any)["next"].(string); next != "" {
			path = "/api/v3/users?filter=flagged&options[token]=" + url.QueryEscape(next)
		}
	}
	if fmt.Sprint(got) != "[u4 u3 u1]" {
		t.Fatalf("flagged users: %v", got)
	}
	p := e.do(req{method: "GET", path: "/api/v3/users?filter=flagged&sortBy=displayName&keyword=u", token: admin}).ok().JSON()
	if fmt.Sprint(ids(p["users"], "userId")) != "[u1 u3 u4]" {
		t.Fatalf("flagged users by name: %v", ids(p["users"], "userId"))
	}
	// filter=all (and none) lists everyone, as before.
	if n := len(e.do(req{method: "GET", path: "/api/v3/users?filter=all&options[limit]=100", token: alice}).ok().JSON()["users"].([]any)); n != 8 {
		t.Fatalf("filter=all: %d users", n)
	}

	// A cleared user leaves the queue.
	e.do(req{method: "DELETE", path: "/api/v2/users/u3/flags", token: admin}).ok()
	p = e.do(req{method: "GET", path: "/api/v3/users?filter=flagged", token: admin}).ok().JSON()
	if fmt.Sprint(ids(p["users"], "userId")) != "[u4 u1]" {
		t.Fatalf("after clear: %v", ids(p["users"], "userId"))
	}

	// Not for plain users; bad filters and limits are 400000.
	e.do(req{method: "GET", path: "/api/v3/users?filter=flagged", token: alice}).expect(403, 400301)
	e.do(req{method: "GET", path: "/api/v3/users?filter=reported", token: admin}).expect(400, 400000)
	e.do(req{method: "GET", path: "/api/v3/users?filter=flagged&options[limit]=0", token: admin}).expect(400, 400000)
	e.do(req{method: "GET", path: "/api/v3/users?filter=flagged&options[limit]=x", token: admin}).expect(400, 400000)
}

func TestFlaggedMessagesQueueAndClearingEveryFlag(t *testing.T) {
	e := newEnv(t)
	admin := e.adminToken()
	alice, _ := e.user("alice")
	bob, _ := e.user("bob")
	carol, _ := e.user("carol")
	e.createChannel(alice, map[string]any{"channelId": "c", "type": "community", "userIds": []string{"bob", "carol"}})
	e.createChannel(bob, map[string]any{"channelId": "d", "type": "community", "userIds": []string{"alice"}})
	feedC := internalID(e.channel(alice, "c"))
	feedD := internalID(e.channel(bob, "d"))
	m1 := e.send(alice, text(feedC, "one"))["messageId"].(string)
	e.send(alice, text(feedC, "clean"))
	m2 := e.send(bob, text(feedD, "two"))["messageId"].(string)
	m3 := e.send(alice, text(feedC, "three"))["messageId"].(string)
	for _, m := range []string{m1, m2, m3} {
		e.do(req{method: "POST", path: "/api/v5/messages/" + m + "/flags", token: carol}).ok()
	}
	e.do(req{method: "POST", path: "/api/v5/messages/" + m1 + "/flags", token: bob}).ok()

	queue := func() []string {
		var got []string
		path := "/api/v1/moderation/flagged-messages?options[limit]=2"
		for pages := 0; path != ""; pages++ {
			if pages > 3 {
				t.Fatal("paging does not end")
			}
			p := e.do(req{method: "GET", path: path, token: admin}).ok().JSON()
			got = append(got, ids(p["messages"], "messageId")...)
			path = ""
			if next, _ := p["paging"].(map[string]any)["next"].(string); next != "" {
				path = "/api/v1/moderation/flagged-messages?options[token]=" + url.QueryEscape(next)
			}
		}
		return got
	}
	if got := fmt.Sprint(queue()); got != fmt.Sprint([]string{m3, m2, m1}) {
		t.Fatalf("queue: %v, want %v", got, []string{m3, m2, m1})
	}
	// The answer is a MessagePayload: the authors come with it.
	p := e.do(req{method: "GET", path: "/api/v1/moderation/flagged-messages", token: admin}).ok().JSON()
	if len(p["users"].([]any)) != 2 {
		t.Fatalf("users of the queue: %v", p["users"])
	}

	// Who may: the queue is for global admins; clearing every flag takes BAN_USER (alice
	// moderates c and still may not).
	e.do(req{method: "GET", path: "/api/v1/moderation/flagged-messages", token: alice}).expect(403, 400301)
	e.do(req{method: "DELETE", path: "/api/v5/messages/" + m1 + "/flags/all", token: alice}).expect(403, 400301)
	e.do(req{method: "GET", path: "/api/v1/moderation/flagged-messages?options[limit]=1000", token: admin}).expect(400, 400000)
	e.do(req{method: "GET", path: "/api/v1/moderation/flagged-messages?options[token]=nonsense", token: admin}).expect(400, 400000)
	e.do(req{method: "DELETE", path: "/api/v5/messages/nope/flags/all", token: admin}).expect(404, 400400)
	if e.count("moderation_audit", "") != 0 || e.count("message_flags", "") != 4 {
		t.Fatal("a refused clear wrote")
	}

	// An admin clears every user's flag of m1 (two of them), not only their own.
	out := e.do(req{method: "DELETE", path: "/api/v5/messages/" + m1 + "/flags/all", token: admin,
		body: map[string]any{"reason": "fine"}}).ok().JSON()
	if out["messages"].([]any)[0].(map[string]any)["flagCount"] != 0.0 {
		t.Fatalf("clear answer: %v", out)
	}
	if e.count("message_flags", "") != 2 || e.count("outbox", "type = 'message.flagCleared'") != 1 {
		t.Fatal("flags or event after clear")
	}
	entries := e.do(req{method: "GET", path: "/api/v1/moderation/audit-log", token: admin}).ok().JSON()["auditEntries"].([]any)
	if len(entries) != 1 || entries[0].(map[string]any)["action"] != "message.flagsCleared" ||
		entries[0].(map[string]any)["reason"] != "fine" || entries[0].(map[string]any)["detail"].(map[string]any)["flags"] != 2.0 {
		t.Fatalf("audit: %v", entries)
	}
	if got := fmt.Sprint(queue()); got != fmt.Sprint([]string{m3, m2}) {
		t.Fatalf("queue after clear: %v", got)
	}
	// Clearing again writes nothing; the flaggers may flag again.
	e.do(req{method: "DELETE", path: "/api/v5/messages/" + m1 + "/flags/all", token: admin}).ok()
	if e.count("moderation_audit", "") != 1 {
		t.Fatal("an empty clear was audited")
	}
	e.do(req{method: "GET", path: "/api/v5/messages/" + m1 + "/flags", token: bob}).ok()

	// A deleted message leaves the queue.
	e.do(req{method: "DELETE", path: "/api/v5/messages/" + m3, token: admin}).ok()
	if got := fmt.Sprint(queue()); got != fmt.Sprint([]string{m2}) {
		t.Fatalf("queue after delete: %v", got)
	}
}
