package httpapi

import (
	"net/http"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/room"
)

func (a *API) routesInvitations() {
	a.mux.HandleFunc("POST /api/v1/invitations", a.auth(a.createInvitations))
	a.mux.HandleFunc("GET /api/v1/invitations", a.auth(a.queryInvitations))
	a.mux.HandleFunc("GET /api/v1/invitations/me", a.auth(a.myInvitations))
	a.mux.HandleFunc("POST /api/v1/invitations/{invitationId}/accept", a.auth(a.acceptInvitation))
	a.mux.HandleFunc("POST /api/v1/invitations/{invitationId}/reject", a.auth(a.rejectInvitation))
	a.mux.HandleFunc("DELETE /api/v1/invitations/{invitationId}", a.auth(a.cancelInvitation))
}

func (a *API) createInvitations(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	var in room.CreateInvitationInput
	if err := decode(r, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.rooms.CreateInvitations(r.Context(), c, in)
	a.reply(w, r, out, err)
}

// invitationQuery reads the filters both invitation lists take.
func invitationQuery(r *http.Request) (room.InvitationQuery, error) {
	q := newQuery(r)
	in := room.InvitationQuery{
		Type: q.str("type"), TargetType: q.str("targetType"), TargetID: q.str("targetId"),
		Statuses: q.list("statuses"), SortBy: chat.SortBy(q.str("sortBy")), SortOrder: chat.SortOrder(q.str("sortOrder")),
	}
	in.Limit, in.After = q.page()
	return in, q.err()
}

func (a *API) queryInvitations(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	in, err := invitationQuery(r)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.rooms.QueryInvitations(r.Context(), c, in)
	a.reply(w, r, out, err)
}

func (a *API) myInvitations(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	in, err := invitationQuery(r)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.rooms.MyInvitations(r.Context(), c, in)
	a.reply(w, r, out, err)
}

func (a *API) acceptInvitation(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	err := a.rooms.AcceptInvitation(r.Context(), c, r.PathValue("invitationId"))
	a.reply(w, r, success{Success: true}, err)
}

func (a *API) rejectInvitation(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	err := a.rooms.RejectInvitation(r.Context(), c, r.PathValue("invitationId"))
	a.reply(w, r, success{Success: true}, err)
}

func (a *API) cancelInvitation(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	err := a.rooms.CancelInvitation(r.Context(), c, r.PathValue("invitationId"))
	a.reply(w, r, success{Success: true}, err)
}
