package httpapi

import (
	"net/http"

	"github.com/parley-chat/parley/internal/chat"
)

func (a *API) routesMessages() {
	a.mux.HandleFunc("POST /api/v5/messages", a.auth(a.createMessage))
	a.mux.HandleFunc("GET /api/v5/messages", a.auth(a.queryMessages))
	a.mux.HandleFunc("GET /api/v5/messages/list", a.auth(a.getMessages))
	a.mux.HandleFunc("GET /api/v5/messages/{messageId}", a.auth(a.getMessage))
	a.mux.HandleFunc("PUT /api/v5/messages/{messageId}", a.auth(a.updateMessage))
	a.mux.HandleFunc("DELETE /api/v5/messages/{messageId}", a.auth(a.deleteMessage))
	a.mux.HandleFunc("POST /api/v5/messages/{messageId}/flags", a.auth(a.flagMessage))
	a.mux.HandleFunc("DELETE /api/v5/messages/{messageId}/flags", a.auth(a.unflagMessage))
	a.mux.HandleFunc("GET /api/v5/messages/{messageId}/flags", a.auth(a.isFlagged))
}

func (a *API) createMessage(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	var in chat.CreateMessageInput
	if err := decode(r, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.svc.CreateMessage(r.Context(), c, in)
	a.reply(w, r, out, err)
}

// queryMessages reads GET /api/v5/messages. The SDK sends isDeleted=false unless the app
// asks for deleted messages too, in which case it leaves isDeleted out.
func (a *API) queryMessages(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	q := newQuery(r)
	in := chat.MessageListInput{
		MessageFeedID:  q.str("messageFeedId"),
		SortBy:         enum(q, "options[sortBy]", chat.SortSegmentDesc, chat.MessageSorts...),
		Around:         q.str("options[around]"),
		DataType:       q.str("dataType"),
		IncludeTags:    q.list("includeTags"),
		ExcludeTags:    q.list("excludeTags"),
		IncludeDeleted: q.boolean("isDeleted", true),
		HasFlags:       q.boolean("hasFlags", false),
	}
	if in.MessageFeedID == "" {
		in.MessageFeedID = q.str("channelId")
	}
	if _, ok := q.v["parentId"]; ok {
		p := q.str("parentId")
		in.ParentID = &p
	}
	in.Limit, in.Token = q.page()
	if err := q.err(); err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.svc.QueryMessages(r.Context(), c, in)
	a.reply(w, r, out, err)
}

func (a *API) getMessages(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	out, err := a.svc.GetMessages(r.Context(), c, newQuery(r).ids("messageIds"))
	a.reply(w, r, out, err)
}

func (a *API) getMessage(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	out, err := a.svc.GetMessage(r.Context(), c, r.PathValue("messageId"))
	a.reply(w, r, out, err)
}

func (a *API) updateMessage(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	var in chat.UpdateMessageInput
	if err := decode(r, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.svc.UpdateMessage(r.Context(), c, r.PathValue("messageId"), in)
	a.reply(w, r, out, err)
}

func (a *API) deleteMessage(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	var in reasonBody // optional: a moderator's reason, for the audit log
	if err := decodeOptional(r, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.svc.DeleteMessage(r.Context(), c, r.PathValue("messageId"), deref(in.Reason))
	a.reply(w, r, out, err)
}

// flagBody is the optional body of a flag: a reason.
type flagBody struct {
	Reason string `json:"reason"`
}

func (a *API) flagMessage(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	var in flagBody
	if err := decodeOptional(r, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.svc.FlagMessage(r.Context(), c, r.PathValue("messageId"), in.Reason)
	a.reply(w, r, out, err)
}

func (a *API) unflagMessage(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	out, err := a.svc.UnflagMessage(r.Context(), c, r.PathValue("messageId"))
	a.reply(w, r, out, err)
}

// flagResult answers GET /api/v5/messages/{messageId}/flags.
type flagResult struct {
	Result bool `json:"result"`
}

func (a *API) isFlagged(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	flagged, err := a.svc.IsMessageFlagged(r.Context(), c, r.PathValue("messageId"))
	a.reply(w, r, flagResult{flagged}, err)
}
