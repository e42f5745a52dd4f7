package httpapi_test

import (
	"context"
	"net/url"

	"github.com/parley-chat/parley/internal/chat"
)

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

// file stores a file record of the given type (image or file) and returns its id.
func (e *env) file(typ string) string {
	e.t.Helper()
	f := &chat.File{FileID: chat.NewID(), Type: typ, AccessType: "public", UploaderID: "x",
		CreatedAt: chat.Now(), UpdatedAt: chat.Now()}
	f.Attributes.Name, f.Attributes.Extension, f.Attributes.MimeType = "a."+typ, typ, "application/octet-stream"
	if err := e.db.Write(context.Background(), func(tx chat.Tx) error { return tx.InsertFile(f) }); err != nil {
		e.t.Fatal(err)
	}
	return f.FileID
}

// userID returns a user's internal id.
func (u userInfo) id() string { return u["_id"].(string) }

type userInfo map[string]any

// user logs a user in and returns their token and user object.
func (e *env) user(userID string) (string, userInfo) {
	e.t.Helper()
	tok, u := e.login(userID)
	return tok, userInfo(u)
}

// events counts outbox events of a type about a channel that name a user among their
// recipients ("" for any).
func (e *env) events(typ, channelInternalID, userInternalID string) int {
	e.t.Helper()
	return e.count("outbox", "type = ? AND channel_id = ? AND user_ids LIKE ?", typ, channelInternalID, "%"+userInternalID+"%")
}

// rowsIn counts a channel's membership rows with a membership value.
func (e *env) rowsIn(channelInternalID, membership string) int {
	e.t.Helper()
	return e.count("channel_members", "channel_id = ? AND membership = ?", channelInternalID, membership)
}
