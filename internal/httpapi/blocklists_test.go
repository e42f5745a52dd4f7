package httpapi_test

import (
	"fmt"
	"testing"
)

func words(e *env, token, list string) []string {
	e.t.Helper()
	var out []string
	for _, w := range e.do(req{method: "GET", path: "/api/v3/" + list + "?sortBy=firstCreated", token: token}).ok().JSON()["data"].([]any) {
		out = append(out, w.(map[string]any)["text"].(string))
	}
	return out
}

func TestBlocklistRefusesMessagesWithBlockedWords(t *testing.T) {
	e := newEnv(t)
	admin := e.adminToken()
	alice, _ := e.user("alice")
	e.createChannel(alice, map[string]any{"channelId": "c"})
	feed := internalID(e.channel(alice, "c"))
	add := func(tok string, entries ...map[string]any) *resp {
		return e.do(req{method: "POST", path: "/api/v3/blocklists", token: tok, body: map[string]any{"data": entries}})
	}

	// Who may: BAN_USER holders; bad entries refuse the whole request.
	add(alice, map[string]any{"text": "darn"}).expect(403, 400301)
	e.do(req{method: "GET", path: "/api/v3/blocklists", token: alice}).expect(403, 400301)
	add(admin, map[string]any{"text": "darn"}, map[string]any{"text": ""}).expect(400, 400000)
	add(admin, map[string]any{"isMatchExactWord": true}).expect(400, 400000)
	e.do(req{method: "POST", path: "/api/v3/blocklists", token: admin, body: map[string]any{}}).expect(400, 400000)
	if e.count("moderation_words", "") != 0 || e.count("moderation_audit", "") != 0 {
		t.Fatal("refused additions wrote")
	}

	e.send(alice, text(feed, "darn it, STRASSE and Σίσυφος"))
	add(admin, map[string]any{"text": "darn"}, map[string]any{"text": "straße"}, map[string]any{"text": "ΣΊΣΥΦΟΣ"},
		map[string]any{"text": "ass", "isMatchExactWord": true}).ok()
	add(admin, map[string]any{"text": "DARN"}).ok() // the same word in another case: skipped
	if got := fmt.Sprint(words(e, admin, "blocklists")); got != "[darn straße ΣΊΣΥΦΟΣ ass]" {
		t.Fatalf("blocklist: %s", got)
	}
	if e.count("moderation_audit", "action = 'blocklist.add'") != 4 {
		t.Fatal("additions are audited once each")
	}

	before := e.count("messages", "")
	for _, s := range []string{"oh DaRn", "Σίσυφος again", "you ass!", "ASS"} {
		e.do(req{method: "POST", path: "/api/v5/messages", token: alice, body: text(feed, s)}).expect(403, 400308)
	}
	if e.count("messages", "") != before {
		t.Fatal("a refused message was written")
	}
	// Whole-word entries leave longer words alone; other text passes.
	e.send(alice, text(feed, "a class of passes"))
	m := e.send(alice, text(feed, "fine"))
	// Edits are checked too.
	e.do(req{method: "PUT", path: "/api/v5/messages/" + m["messageId"].(string), token: alice,
		body: map[string]any{"data": map[string]any{"text": "darn"}}}).expect(403, 400308)

	// Verify answers the same way without sending anything.
	verify := func(list string, data ...string) *resp {
		return e.do(req{method: "POST", path: "/api/v3/" + list + "/verify", token: alice, body: map[string]any{"data": data}})
	}
	verify("blocklists", "all good", "DARN").expect(403, 400308)
	verify("blocklists", "all good").ok()
	verify("blocklists").expect(400, 400000)

	// Removing a word lets it through at once.
	var id string
	for _, w := range e.do(req{method: "GET", path: "/api/v3/blocklists", token: admin}).ok().JSON()["data"].([]any) {
		if w.(map[string]any)["text"] == "darn" {
			id = w.(map[string]any)["id"].(string)
		}
	}
	e.do(req{method: "DELETE", path: "/api/v3/blocklists/" + id, token: alice}).expect(403, 400301)
	e.do(req{method: "DELETE", path: "/api/v3/blocklists/" + id, token: admin, body: map[string]any{"reason": "too strict"}}).ok()
	e.do(req{method: "DELETE", path: "/api/v3/blocklists/" + id, token: admin}).expect(404, 400400)
	e.send(alice, text(feed, "darn"))
	if e.count("moderation_audit", "action = 'blocklist.remove' AND reason = 'too strict'") != 1 {
		t.Fatal("removal audit entry")
	}
}

func TestAllowlistRefusesOtherLinksWhenOn(t *testing.T) {
	e := newEnv(t)
	admin := e.adminToken()
	alice, _ := e.user("alice")
	e.createChannel(alice, map[string]any{"channelId": "c"})
	feed := internalID(e.channel(alice, "c"))
	e.do(req{method: "POST", path: "/api/v3/allowlists", token: admin, body: map[string]any{"data": []any{
		map[string]any{"text": "example.com"}, map[string]any{"text": "https://docs.parley.dev/path"}}}}).ok()
	e.do(req{method: "POST", path: "/api/v3/allowlists", token: admin, body: map[string]any{"data": []any{map[string]any{"text": "://"}}}}).expect(400, 400000)

	// Off (the default): any link passes.
	if on := e.do(req{method: "GET", path: "/api/v3/network-settings/moderation", token: alice}).ok().JSON()["isWhitelistEnabled"]; on != false {
		t.Fatalf("allowlist on by default: %v", on)
	}
	e.send(alice, text(feed, "see https://evil.test/x"))

	e.do(req{method: "PUT", path: "/api/v3/network-settings/moderation", token: alice, body: map[string]any{"isWhitelistEnabled": true}}).expect(403, 400301)
	e.do(req{method: "PUT", path: "/api/v3/network-settings/moderation", token: admin, body: map[string]any{}}).expect(400, 400000)
	e.do(req{method: "PUT", path: "/api/v3/network-settings/moderation", token: admin, body: map[string]any{"isWhitelistEnabled": true}}).ok()
	for _, s := range []string{"see https://evil.test/x", "www.evil.test", "ok https://example.com and http://notexample.com"} {
		e.do(req{method: "POST", path: "/api/v5/messages", token: alice, body: text(feed, s)}).expect(403, 400309)
	}
	for _, s := range []string{"https://EXAMPLE.com/a?b", "www.example.com", "http://api.example.com", "https://docs.parley.dev/other", "no link at all"} {
		e.send(alice, text(feed, s))
	}
	e.do(req{method: "POST", path: "/api/v3/allowlists/verify", token: alice, body: map[string]any{"data": []string{"https://example.com"}}}).ok()
	e.do(req{method: "POST", path: "/api/v3/allowlists/verify", token: alice, body: map[string]any{"data": []string{"https://example.com", "https://evil.test"}}}).expect(403, 400309)
	e.do(req{method: "POST", path: "/api/v3/allowlists/verify", token: alice, body: map[string]any{"data": []string{"not a url"}}}).expect(400, 400000)
	if got := fmt.Sprint(words(e, admin, "allowlists")); got != "[example.com https://docs.parley.dev/path]" {
		t.Fatalf("allowlist: %s", got)
	}
}
