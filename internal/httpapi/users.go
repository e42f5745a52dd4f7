package httpapi

import (
	"net/http"

	"github.com/parley-chat/parley/internal/chat"
)

func (a *API) routesUsers() {
	a.mux.HandleFunc("GET /api/v3/users", a.auth(a.queryUsers))
	a.mux.HandleFunc("GET /api/v3/users/list", a.auth(a.getUsers))
	a.mux.HandleFunc("GET /api/v3/users/{userId}", a.auth(a.getUser))
	// The SDK sends the update with a trailing slash.
	a.mux.HandleFunc("PUT /api/v3/users", a.auth(a.updateUser))
	a.mux.HandleFunc("PUT /api/v3/users/{$}", a.auth(a.updateUser))
}

func (a *API) getUser(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	out, err := a.svc.GetUser(r.Context(), c, r.PathValue("userId"))
	a.reply(w, r, out, err)
}

func (a *API) getUsers(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	out, err := a.svc.GetUsers(r.Context(), c, newQuery(r).ids("userIds"))
	a.reply(w, r, out, err)
}

func (a *API) queryUsers(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	q := newQuery(r)
	in := chat.UserQuery{
		Keyword:        q.str("keyword"),
		SortBy:         enum(q, "sortBy", chat.SortLastCreated, chat.UserSorts...),
		IncludeDeleted: q.boolean("isDeleted", false),
	}
	in.Flagged = q.enum("filter", chat.FilterAll, chat.UserFilters...) == chat.UserFilterFlagged
	in.Limit, in.After = q.page()
	if err := q.err(); err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.svc.QueryUsers(r.Context(), c, in)
	a.reply(w, r, out, err)
}

func (a *API) updateUser(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	var in chat.UpdateUserInput
	if err := decode(r, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.svc.UpdateUser(r.Context(), c, in)
	a.reply(w, r, out, err)
}
