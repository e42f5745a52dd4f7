package httpapi

import (
	"net/http"

	"github.com/parley-chat/parley/internal/chat"
)

func (a *API) routesMessageFeeds() {
	a.mux.HandleFunc("POST /api/v5/message-feeds", a.auth(a.createMessageFeed))
	a.mux.HandleFunc("GET /api/v5/message-feeds/list", a.auth(a.getMessageFeeds))
	a.mux.HandleFunc("GET /api/v5/message-feeds/channel/{channelId}", a.auth(a.queryMessageFeeds))
	a.mux.HandleFunc("GET /api/v5/message-feeds/{messageFeedId}", a.auth(a.getMessageFeed))
	a.mux.HandleFunc("PUT /api/v5/message-feeds/{messageFeedId}", a.auth(a.updateMessageFeed))
	a.mux.HandleFunc("DELETE /api/v5/message-feeds/{messageFeedId}", a.auth(a.deleteMessageFeed))
}

func (a *API) createMessageFeed(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	var in chat.MessageFeedInput
	if err := decode(r, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.svc.CreateMessageFeed(r.Context(), c, in)
	a.reply(w, r, out, err)
}

func (a *API) getMessageFeeds(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	out, err := a.svc.GetMessageFeeds(r.Context(), c, newQuery(r).ids("messageFeedIds"))
	a.reply(w, r, out, err)
}

func (a *API) queryMessageFeeds(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	q := newQuery(r)
	in := chat.FeedQuery{ExcludeDefault: q.boolean("excludeDefaultMessageFeed", false)}
	if q.str("isDeleted") != "" {
		d := q.boolean("isDeleted", false)
		in.IsDeleted = &d
	}
	in.Limit, in.After = q.page()
	if err := q.err(); err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.svc.QueryMessageFeeds(r.Context(), c, r.PathValue("channelId"), in)
	a.reply(w, r, out, err)
}

func (a *API) getMessageFeed(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	out, err := a.svc.GetMessageFeed(r.Context(), c, r.PathValue("messageFeedId"))
	a.reply(w, r, out, err)
}

func (a *API) updateMessageFeed(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	var in chat.MessageFeedInput
	if err := decode(r, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.svc.UpdateMessageFeed(r.Context(), c, r.PathValue("messageFeedId"), in)
	a.reply(w, r, out, err)
}

// deleteMessageFeed ignores ?permanent: Parley keeps deleted feeds, marked deleted.
func (a *API) deleteMessageFeed(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	out, err := a.svc.DeleteMessageFeed(r.Context(), c, r.PathValue("messageFeedId"))
	a.reply(w, r, out, err)
}
