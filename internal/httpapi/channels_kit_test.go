package httpapi_test

import "net/url"

// Helpers shared by the channel tests.

// createChannel creates a channel through the API and returns it.
func (e *env) createChannel(token string, body map[string]any) map[string]any {
	e.t.Helper()
	r := e.do(req{method: "POST", path: "/api/v3/channels", token: token, body: body}).ok().JSON()
	return r["channels"].([]any)[0].(map[string]any)
}

// channel reads a channel through the API as the given caller.
func (e *env) channel(token, channelID string) map[string]any {
	e.t.Helper()
	r := e.do(req{method: "GET", path: "/api/v3/channels/" + url.PathEscape(channelID), token: token}).ok().JSON()
	return r["channels"].([]any)[0].(map[string]any)
}

// memberCount is the channel's memberCount as the API answers it.
func (e *env) memberCount(token, channelID string) int {
	e.t.Helper()
	return int(e.channel(token, channelID)["memberCount"].(float64))
}

func internalID(ch map[string]any) string { return ch["_id"].(string) }

// memberships maps userId to membership in a payload's channelUsers.
func memberships(p map[string]any) map[string]string {
	out := map[string]string{}
	for _, cu := range p["channelUsers"].([]any) {
		m := cu.(map[string]any)
		out[m["userId"].(string)] = m["membership"].(string)
	}
	return out
}
