package httpapi

import (
	"net/http"

	"github.com/parley-chat/parley/internal/chat"
)

// User safety: blocks and flags, each user's own (docs/moderation.md).
func (a *API) routesUserSafety() {
	a.mux.HandleFunc("GET /api/v4/me/user-blocks", a.auth(a.blockedUsers))
	a.mux.HandleFunc("POST /api/v4/me/user-blocks/{userId}", a.auth(a.blockUser))
	a.mux.HandleFunc("DELETE /api/v4/me/user-blocks/{userId}", a.auth(a.unblockUser))
	a.mux.HandleFunc("POST /api/v4/me/flags/{userId}", a.auth(a.flagUser))
	a.mux.HandleFunc("DELETE /api/v4/me/flags/{userId}", a.auth(a.unflagUser))
	a.mux.HandleFunc("GET /api/v3/users/{userId}/isFlagByMe", a.auth(a.isUserFlaggedByMe))
}

func (a *API) blockedUsers(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	q := newQuery(r)
	q.boolean("isDeleted", false) // the SDK sends it; blocked deleted users are listed anyway
	limit, after := q.page()
	if err := q.err(); err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.svc.BlockedUsers(r.Context(), c, limit, after)
	a.reply(w, r, out, err)
}

func (a *API) blockUser(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	out, err := a.svc.BlockUser(r.Context(), c, r.PathValue("userId"))
	a.reply(w, r, out, err)
}

func (a *API) unblockUser(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	out, err := a.svc.UnblockUser(r.Context(), c, r.PathValue("userId"))
	a.reply(w, r, out, err)
}

// reasonBody is the optional body of moderation calls that take only a reason.
type reasonBody struct {
	Reason *string `json:"reason"`
}

func (a *API) flagUser(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	var in reasonBody
	if err := decodeOptional(r, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.svc.FlagUser(r.Context(), c, r.PathValue("userId"), deref(in.Reason))
	a.reply(w, r, out, err)
}

func (a *API) unflagUser(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	out, err := a.svc.UnflagUser(r.Context(), c, r.PathValue("userId"))
	a.reply(w, r, out, err)
}

func (a *API) isUserFlaggedByMe(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	out, err := a.svc.IsUserFlaggedByMe(r.Context(), c, r.PathValue("userId"))
	a.reply(w, r, out, err)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
