package httpapi

import (
	"net/http"
	"strings"

	"github.com/parley-chat/parley/internal/chat"
)

func (a *API) routesSessions() {
	for _, v := range []string{"v3", "v4", "v5"} {
		a.mux.HandleFunc("POST /api/"+v+"/sessions", a.login)
	}
	a.mux.HandleFunc("GET /api/v3/sessions", a.auth(a.currentSession))
	a.mux.HandleFunc("DELETE /api/v4/sessions", a.auth(a.logout))
	a.mux.HandleFunc("DELETE /api/v4/sessions/users/{userId}", a.auth(a.revokeUser))
	a.mux.HandleFunc("POST /api/v1/admin-token", a.adminToken)
	a.mux.HandleFunc("POST /api/v4/authentication/token", a.authTokenV4)
	a.mux.HandleFunc("GET /api/v3/authentication/token", a.authTokenV3)
}

func (a *API) login(w http.ResponseWriter, r *http.Request) {
	var in chat.LoginInput
	if err := decode(r, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.svc.Login(r.Context(), r.Header.Get("X-API-Key"), in)
	a.reply(w, r, out, err)
}

// currentSession answers the 7.x SDK's loginWithAccessToken, which validates a token it
// was given with this call before using it.
func (a *API) currentSession(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	out, err := a.svc.CurrentSession(r.Context(), c, strings.TrimSpace(token))
	a.reply(w, r, out, err)
}

func (a *API) logout(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	err := a.svc.Logout(r.Context(), c, r.URL.Query().Get("userId"))
	a.reply(w, r, success{true}, err)
}

func (a *API) revokeUser(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	err := a.svc.RevokeUser(r.Context(), c, r.PathValue("userId"))
	a.reply(w, r, success{true}, err)
}

func (a *API) adminToken(w http.ResponseWriter, r *http.Request) {
	out, err := a.svc.IssueAdminToken(r.Context(), r.Header.Get("x-server-key"))
	a.reply(w, r, out, err)
}

// authTokenV4 answers the secure-mode token as plain text, as Amity does.
func (a *API) authTokenV4(w http.ResponseWriter, r *http.Request) {
	var in struct {
		UserID *string `json:"userId"`
	}
	if err := decode(r, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	userID := ""
	if in.UserID != nil {
		userID = *in.UserID
	}
	tok, err := a.svc.IssueAuthToken(r.Header.Get("x-server-key"), userID)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte(tok))
}

// authTokenV3 is the older GET form; it answers the token as a JSON string.
func (a *API) authTokenV3(w http.ResponseWriter, r *http.Request) {
	tok, err := a.svc.IssueAuthToken(r.Header.Get("x-server-key"), r.URL.Query().Get("userId"))
	a.reply(w, r, tok, err)
}
