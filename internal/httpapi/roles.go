package httpapi

import (
	"net/http"

	"github.com/parley-chat/parley/internal/chat"
)

// Roles: GET /api/v3/roles stays in network.go; one role and the admin's changes here.
func (a *API) routesRoles() {
	a.mux.HandleFunc("GET /api/v3/roles/{roleId}", a.auth(a.getRole))
	a.mux.HandleFunc("POST /api/v3/roles", a.auth(a.createRole))
	a.mux.HandleFunc("PUT /api/v3/roles/{roleId}", a.auth(a.updateRole))
	a.mux.HandleFunc("DELETE /api/v3/roles/{roleId}", a.auth(a.deleteRole))
}

// getRole answers an array of the one role: the 6.35.3 SDK's getRole reads the answer
// with data.find(role => role.roleId === roleId).
func (a *API) getRole(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	role, err := a.svc.GetRole(r.Context(), r.PathValue("roleId"))
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	a.writeJSON(w, http.StatusOK, []chat.Role{*role})
}

func (a *API) createRole(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	var in chat.RoleDefinition
	if err := decode(r, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	role, err := a.svc.CreateRole(r.Context(), c, in)
	a.replyRole(w, r, role, err)
}

func (a *API) updateRole(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	var in chat.RoleDefinition
	if err := decode(r, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	id := r.PathValue("roleId")
	in.RoleID = &id // the path names the role; a roleId in the body is Amity's echo of it
	role, err := a.svc.UpdateRole(r.Context(), c, in)
	a.replyRole(w, r, role, err)
}

func (a *API) deleteRole(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	var in reasonBody
	if err := decodeOptional(r, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	err := a.svc.DeleteRole(r.Context(), c, r.PathValue("roleId"), deref(in.Reason))
	a.reply(w, r, success{Success: true}, err)
}

func (a *API) replyRole(w http.ResponseWriter, r *http.Request, role *chat.Role, err error) {
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	a.writeJSON(w, http.StatusOK, rolesPayload{Roles: []chat.Role{*role}, Paging: &chat.Paging{}})
}
