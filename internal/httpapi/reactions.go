package httpapi

import (
	"net/http"

	"github.com/parley-chat/parley/internal/chat"
)

func (a *API) routesReactions() {
	a.mux.HandleFunc("POST /api/v2/reactions", a.auth(a.addReaction))
	a.mux.HandleFunc("DELETE /api/v2/reactions", a.auth(a.removeReaction))
	a.mux.HandleFunc("GET /api/v2/reactions", a.auth(a.queryReactions))
	a.mux.HandleFunc("GET /api/v3/reactions", a.auth(a.queryReactions))
}

type addedID struct {
	AddedID string `json:"addedId"`
}

type removedID struct {
	RemovedID string `json:"removedId"`
}

func (a *API) addReaction(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	var in chat.ReactionInput
	if err := decode(r, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	id, err := a.svc.AddReaction(r.Context(), c, in)
	a.reply(w, r, addedID{id}, err)
}

func (a *API) removeReaction(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	var in chat.ReactionInput
	if err := decode(r, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	id, err := a.svc.RemoveReaction(r.Context(), c, in)
	a.reply(w, r, removedID{id}, err)
}

func (a *API) queryReactions(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	q := newQuery(r)
	refType := q.enum("referenceType", "", "message")
	q.integer("referenceVersion", 5, 0, 100)
	limit, after := q.page()
	if err := q.err(); err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.svc.QueryReactions(r.Context(), c, q.str("referenceId"), refType, q.str("reactionName"), limit, after)
	a.reply(w, r, out, err)
}
