package httpapi

import (
	"net/http"

	"github.com/parley-chat/parley/internal/chat"
)

// Network-wide moderation: global bans, clearing a user's flags, the audit log.
func (a *API) routesModeration() {
	a.mux.HandleFunc("POST /api/v2/users/ban", a.auth(a.globalBan(true)))
	a.mux.HandleFunc("POST /api/v2/users/unban", a.auth(a.globalBan(false)))
	a.mux.HandleFunc("DELETE /api/v2/users/{userId}/flags", a.auth(a.clearUserFlags))
	a.mux.HandleFunc("GET /api/v1/moderation/audit-log", a.auth(a.auditLog))
	a.mux.HandleFunc("DELETE /api/v4/users/{userId}", a.auth(a.deleteUser))
	a.mux.HandleFunc("GET /api/v1/moderation/flagged-messages", a.auth(a.flaggedMessages))
	a.mux.HandleFunc("DELETE /api/v5/messages/{messageId}/flags/all", a.auth(a.clearMessageFlags))
}

func (a *API) deleteUser(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	q := newQuery(r)
	in := chat.DeleteUserInput{UserID: r.PathValue("userId"), DeleteAll: q.boolean("deleteAll", false),
		MarkMessageDeleted: q.boolean("markMessageDeleted", false), Reason: q.str("reason")}
	// Parley has no posts or comments: their options are accepted and change nothing.
	q.boolean("hardDeletePost", false)
	q.boolean("hardDeleteComment", false)
	if err := q.err(); err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.svc.DeleteUser(r.Context(), c, in)
	a.reply(w, r, out, err)
}

func (a *API) globalBan(ban bool) func(http.ResponseWriter, *http.Request, *chat.Caller) {
	return func(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
		var in chat.GlobalBanInput
		if err := decode(r, &in); err != nil {
			a.writeError(w, r, err)
			return
		}
		var out *chat.UserPayload
		var err error
		if ban {
			out, err = a.svc.GlobalBan(r.Context(), c, in)
		} else {
			out, err = a.svc.GlobalUnban(r.Context(), c, in)
		}
		a.reply(w, r, out, err)
	}
}

func (a *API) clearUserFlags(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	var in reasonBody
	if err := decodeOptional(r, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.svc.ClearUserFlags(r.Context(), c, r.PathValue("userId"), deref(in.Reason))
	a.reply(w, r, out, err)
}

func (a *API) auditLog(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	q := newQuery(r)
	in := chat.AuditQuery{ActorID: q.str("actorId"), TargetID: q.str("targetId")}
	in.Limit, in.After = q.page()
	if err := q.err(); err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.svc.AuditLog(r.Context(), c, in)
	a.reply(w, r, out, err)
}

func (a *API) flaggedMessages(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	q := newQuery(r)
	var in chat.FlaggedMessageQuery
	in.Limit, in.After = q.page()
	if err := q.err(); err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.svc.FlaggedMessages(r.Context(), c, in)
	a.reply(w, r, out, err)
}

// clearMessageFlags is Amity's DELETE /api/v5/messages/{messageId}/flags/all, with an
// optional {reason} for the audit log as the other moderation calls take.
func (a *API) clearMessageFlags(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	var in reasonBody
	if err := decodeOptional(r, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.svc.ClearMessageFlags(r.Context(), c, r.PathValue("messageId"), deref(in.Reason))
	a.reply(w, r, out, err)
}
