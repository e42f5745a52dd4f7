package httpapi

import (
	"net/http"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/room"
)

// webhookReceiver is a media backend that takes its media server's webhooks (LiveKit).
type webhookReceiver interface {
	ReceiveWebhook(r *http.Request) error
}

func (a *API) routesWebhooks() {
	a.mux.HandleFunc("POST /webhooks/livekit", a.liveKitWebhook)
}

// liveKitWebhook is called by LiveKit, not by clients: no Bearer token, the signature is
// checked by the backend. Without a LiveKit backend the route does not exist (400400).
func (a *API) liveKitWebhook(w http.ResponseWriter, r *http.Request) {
	var media room.Media
	if a.rooms != nil {
		media = a.rooms.Media()
	}
	wr, ok := media.(webhookReceiver)
	if !ok {
		a.writeError(w, r, chat.Errorf(chat.CodeNotFound, "No LiveKit media server is configured."))
		return
	}
	a.reply(w, r, success{Success: true}, wr.ReceiveWebhook(r))
}
