package httpapi_test

import (
	"net/url"
	"strings"
	"testing"
)

// Helpers shared by the message tests.

// msgFixture: alice moderates community channel "c" with member bob; carol is logged in
// but not a member. feed is the channel's default feed id (its internal id).
type msgFixture struct {
	e                    *env
	alice, bob, carol    string
	aliceU, bobU, carolU userInfo
	ch                   map[string]any
	feed                 string
}

func newMsgFixture(t testing.TB) *msgFixture {
	e := newEnv(t)
	f := &msgFixture{e: e}
	f.alice, f.aliceU = e.user("alice")
	f.bob, f.bobU = e.user("bob")
	f.carol, f.carolU = e.user("carol")
	f.ch = e.createChannel(f.alice, map[string]any{"channelId": "c", "userIds": []string{"bob"}})
	f.feed = internalID(f.ch)
	return f
}

func text(feed, s string) map[string]any {
	return map[string]any{"messageFeedId": feed, "dataType": "text", "data": map[string]any{"text": s}}
}

// send posts a message and returns the created message.
func (e *env) send(token string, body map[string]any) map[string]any {
	e.t.Helper()
	r := e.do(req{method: "POST", path: "/api/v5/messages", token: token, body: body}).ok().JSON()
	return r["messages"].([]any)[0].(map[string]any)
}

// messages lists a feed with a raw query string and returns the payload.
func (e *env) messages(token, query string) map[string]any {
	e.t.Helper()
	return e.do(req{method: "GET", path: "/api/v5/messages?" + query, token: token}).ok().JSON()
}

// segments lists the segments of a payload's messages in order.
func segments(p map[string]any) []int {
	var out []int
	for _, m := range p["messages"].([]any) {
		out = append(out, int(m.(map[string]any)["segment"].(float64)))
	}
	return out
}

func paging(p map[string]any) (next, previous string) {
	pg, _ := p["paging"].(map[string]any)
	next, _ = pg["next"].(string)
	previous, _ = pg["previous"].(string)
	return
}

func tokenQuery(tok string) string { return "options%5Btoken%5D=" + url.QueryEscape(tok) }

func first(p map[string]any, key string) map[string]any {
	return p[key].([]any)[0].(map[string]any)
}

func q(parts ...string) string { return strings.Join(parts, "&") }
