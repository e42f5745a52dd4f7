package httpapi

import (
	"net/http"

	"github.com/parley-chat/parley/internal/chat"
)

func (a *API) routesMarkers() {
	a.mux.HandleFunc("GET /api/v1/markers/channels", a.auth(a.channelMarkers))
	a.mux.HandleFunc("PUT /api/v1/markers/channels/{channelId}/mark-read", a.auth(a.markChannelRead))
	a.mux.HandleFunc("GET /api/v1/markers/message-feeds", a.auth(a.feedMarkers))
	a.mux.HandleFunc("PUT /api/v1/markers/message-feeds/{messageFeedId}/mark-read", a.auth(a.markFeedRead))
	a.mux.HandleFunc("PUT /api/v1/markers/message-feeds/{messageFeedId}/mark-delivering", a.auth(a.markDelivered))
	a.mux.HandleFunc("POST /api/v1/markers/message-feeds/{messageFeedId}/start-reading", a.auth(a.reading))
	a.mux.HandleFunc("POST /api/v1/markers/message-feeds/{messageFeedId}/stop-reading", a.auth(a.reading))
	a.mux.HandleFunc("POST /api/v1/markers/message-feeds/{messageFeedId}/stop-readings", a.auth(a.reading))
	a.mux.HandleFunc("POST /api/v1/markers/message-feeds/reading", a.auth(a.readingMany))
	a.mux.HandleFunc("GET /api/v1/markers/messages", a.auth(a.messageMarkers))
	a.mux.HandleFunc("GET /api/v1/markers/messages/{messageId}/read-users", a.auth(a.receiptUsers(false)))
	a.mux.HandleFunc("GET /api/v1/markers/messages/{messageId}/delivered-users", a.auth(a.receiptUsers(true)))
	a.mux.HandleFunc("GET /api/v1/markers/user-message-feed", a.auth(a.userFeedMarkers))
	a.mux.HandleFunc("GET /api/v1/markers/userMarker", a.auth(a.userMarker))
	a.mux.HandleFunc("POST /api/v1/markers/sync", a.auth(a.userMarker))
	a.mux.HandleFunc("POST /api/v3/channels/seen", a.auth(a.channelsSeen))
}

func (a *API) channelMarkers(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	out, err := a.svc.ChannelMarkers(r.Context(), c, newQuery(r).ids("channelIds"))
	a.reply(w, r, out, err)
}

func (a *API) markChannelRead(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	out, err := a.svc.MarkChannelRead(r.Context(), c, r.PathValue("channelId"))
	a.reply(w, r, out, err)
}

// feedMarkers answers GET /api/v1/markers/message-feeds; the SDK sends a paging token of
// its own making ({"skip":0,"limit":100}), which is accepted and has nothing to page.
func (a *API) feedMarkers(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	out, err := a.svc.FeedMarkers(r.Context(), c, newQuery(r).ids("messageFeedIds"))
	a.reply(w, r, out, err)
}

// markReadBody is the optional body of a feed's mark-read.
type markReadBody struct {
	ReadToSegment *int64 `json:"readToSegment"`
}

func (a *API) markFeedRead(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	var in markReadBody
	if err := decodeOptional(r, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.svc.MarkFeedRead(r.Context(), c, r.PathValue("messageFeedId"), in.ReadToSegment)
	a.reply(w, r, out, err)
}

func (a *API) markDelivered(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	var in chat.DeliveredInput
	if err := decode(r, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.svc.MarkDelivered(r.Context(), c, r.PathValue("messageFeedId"), in)
	a.reply(w, r, out, err)
}

// reading answers start-reading and stop-reading: Parley keeps no reading sessions, so
// they answer the feed's markers.
func (a *API) reading(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	out, err := a.svc.FeedMarkers(r.Context(), c, []string{r.PathValue("messageFeedId")})
	a.reply(w, r, out, err)
}

// readingBody is the body of the 30-second reading heartbeat.
type readingBody struct {
	MessageFeedIDs []string `json:"messageFeedIds"`
}

func (a *API) readingMany(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	var in readingBody
	if err := decodeOptional(r, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.svc.FeedMarkers(r.Context(), c, in.MessageFeedIDs)
	a.reply(w, r, out, err)
}

// messageMarkers must answer 200 whenever the caller is logged in: the SDK fires it
// without waiting, and a rejection ends a Node process.
func (a *API) messageMarkers(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	out, err := a.svc.MessageMarkers(r.Context(), c, newQuery(r).ids("messageIds"))
	a.reply(w, r, out, err)
}

func (a *API) receiptUsers(delivered bool) authed {
	return func(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
		q := newQuery(r)
		q.list("memberships") // accepted; only members have markers
		limit, after := q.page()
		if err := q.err(); err != nil {
			a.writeError(w, r, err)
			return
		}
		out, err := a.svc.MessageReceiptUsers(r.Context(), c, r.PathValue("messageId"), delivered, limit, after)
		a.reply(w, r, out, err)
	}
}

func (a *API) userFeedMarkers(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	out, err := a.svc.UserFeedMarkers(r.Context(), c, newQuery(r).ids("channelIds"))
	a.reply(w, r, out, err)
}

// userMarker answers GET /api/v1/markers/userMarker and POST /api/v1/markers/sync (whose
// body, {deviceLastSyncAt}, changes nothing: the totals are always current).
func (a *API) userMarker(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	out, err := a.svc.UserMarker(r.Context(), c)
	a.reply(w, r, out, err)
}

func (a *API) channelsSeen(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	var in chat.SeenInput
	if err := decode(r, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	err := a.svc.MarkChannelsSeen(r.Context(), c, in)
	a.reply(w, r, success{true}, err)
}
