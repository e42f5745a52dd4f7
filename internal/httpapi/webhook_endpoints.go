package httpapi

import (
	"net/http"

	"github.com/parley-chat/parley/internal/chat"
)

// Outgoing webhooks and the pre-send hook (docs/webhooks.md): global admins only.
func (a *API) routesWebhookEndpoints() {
	a.mux.HandleFunc("POST /api/v1/webhooks", a.auth(a.createWebhook))
	a.mux.HandleFunc("GET /api/v1/webhooks", a.auth(a.listWebhooks))
	a.mux.HandleFunc("GET /api/v1/webhooks/{webhookId}", a.auth(a.getWebhook))
	a.mux.HandleFunc("PUT /api/v1/webhooks/{webhookId}", a.auth(a.updateWebhook))
	a.mux.HandleFunc("DELETE /api/v1/webhooks/{webhookId}", a.auth(a.deleteWebhook))
	a.mux.HandleFunc("POST /api/v1/webhooks/{webhookId}/rotate-secret", a.auth(a.rotateWebhookSecret))
	a.mux.HandleFunc("GET /api/v1/webhooks/{webhookId}/deliveries", a.auth(a.webhookDeliveries))
	a.mux.HandleFunc("POST /api/v1/webhooks/{webhookId}/replay", a.auth(a.replayWebhook))
	a.mux.HandleFunc("GET /api/v3/network-settings/prehook", a.auth(a.preSendHook))
	a.mux.HandleFunc("PUT /api/v3/network-settings/prehook", a.auth(a.putPreSendHook))
}

func (a *API) createWebhook(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	var in chat.WebhookInput
	if err := decode(r, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.svc.CreateWebhook(r.Context(), c, in)
	a.reply(w, r, out, err)
}

func (a *API) listWebhooks(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	q := newQuery(r)
	limit, after := q.page()
	if err := q.err(); err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.svc.Webhooks(r.Context(), c, limit, after)
	a.reply(w, r, out, err)
}

func (a *API) getWebhook(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	out, err := a.svc.Webhook(r.Context(), c, r.PathValue("webhookId"))
	a.reply(w, r, out, err)
}

func (a *API) updateWebhook(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	var in chat.WebhookInput
	if err := decode(r, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.svc.UpdateWebhook(r.Context(), c, r.PathValue("webhookId"), in)
	a.reply(w, r, out, err)
}

func (a *API) deleteWebhook(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	err := a.svc.DeleteWebhook(r.Context(), c, r.PathValue("webhookId"))
	a.reply(w, r, success{Success: true}, err)
}

func (a *API) rotateWebhookSecret(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	out, err := a.svc.RotateWebhookSecret(r.Context(), c, r.PathValue("webhookId"))
	a.reply(w, r, out, err)
}

func (a *API) webhookDeliveries(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	q := newQuery(r)
	limit, after := q.page()
	if err := q.err(); err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.svc.WebhookDeliveryLog(r.Context(), c, r.PathValue("webhookId"), limit, after)
	a.reply(w, r, out, err)
}

// replayed is the answer of a replay: how many deliveries will be sent again.
type replayed struct {
	Replayed int `json:"replayed"`
}

func (a *API) replayWebhook(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	var in chat.WebhookReplay
	if err := decode(r, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	n, err := a.svc.ReplayWebhook(r.Context(), c, r.PathValue("webhookId"), in)
	a.reply(w, r, replayed{Replayed: n}, err)
}

func (a *API) preSendHook(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	out, err := a.svc.PreSendHookSettings(r.Context(), c)
	a.reply(w, r, out, err)
}

func (a *API) putPreSendHook(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	var in chat.PreSendInput
	if err := decode(r, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.svc.PutPreSendHook(r.Context(), c, in)
	a.reply(w, r, out, err)
}
