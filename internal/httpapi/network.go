package httpapi

import (
	"net/http"

	"github.com/parley-chat/parley/internal/chat"
)

func (a *API) routesNetwork() {
	a.mux.HandleFunc("GET /api/v3/network-settings/chat", a.auth(a.chatSettings))
	a.mux.HandleFunc("GET /api/v3/roles", a.auth(a.roles))
}

func (a *API) chatSettings(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	a.writeJSON(w, http.StatusOK, a.svc.ChatSettings())
}

// rolesPayload is the answer of GET /api/v3/roles.
type rolesPayload struct {
	Roles  []chat.Role  `json:"roles"`
	Paging *chat.Paging `json:"paging"`
}

func (a *API) roles(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	roles, err := a.svc.Roles(r.Context())
	a.reply(w, r, rolesPayload{Roles: roles, Paging: &chat.Paging{}}, err)
}
