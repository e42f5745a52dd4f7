package httpapi

import (
	"net/http"

	"github.com/parley-chat/parley/internal/chat"
)

// Push notification registration and settings (docs/push.md).
func (a *API) routesPush() {
	a.mux.HandleFunc("POST /v1/notification", a.auth(a.registerDevice))
	a.mux.HandleFunc("DELETE /v1/notification", a.auth(a.unregisterDevice))
	a.mux.HandleFunc("GET /api/v3/notification/setting", a.auth(a.pushSettings))
	a.mux.HandleFunc("POST /api/v3/notification/setting", a.auth(a.savePushSettings))
}

func (a *API) registerDevice(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	var in chat.RegisterDeviceInput
	if err := decode(r, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	err := a.svc.RegisterDevice(r.Context(), c, in)
	a.reply(w, r, success{true}, err)
}

func (a *API) unregisterDevice(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	q := r.URL.Query()
	err := a.svc.UnregisterDevice(r.Context(), c, q.Get("userId"), q.Get("deviceId"))
	a.reply(w, r, success{true}, err)
}

func (a *API) pushSettings(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	q := r.URL.Query()
	var channelID *string
	if q.Has("channelId") {
		v := q.Get("channelId")
		channelID = &v
	}
	out, err := a.svc.PushSettings(r.Context(), c, q.Get("level"), channelID)
	a.reply(w, r, out, err)
}

func (a *API) savePushSettings(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	var in chat.PushSettingsInput
	if err := decode(r, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	err := a.svc.SavePushSettings(r.Context(), c, in)
	a.reply(w, r, success{true}, err)
}
