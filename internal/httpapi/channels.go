package httpapi

import (
	"net/http"
	"strconv"

	"github.com/parley-chat/parley/internal/chat"
)

func (a *API) routesChannels() {
	a.mux.HandleFunc("POST /api/v3/channels", a.auth(a.createChannel))
	a.mux.HandleFunc("GET /api/v3/channels", a.auth(a.queryChannels))
	a.mux.HandleFunc("GET /api/v3/channels/list", a.auth(a.getChannels))
	a.mux.HandleFunc("POST /api/v3/channels/conversation", a.auth(a.createConversation))
	a.mux.HandleFunc("GET /api/v3/channels/{channelId}", a.auth(a.getChannel))
	a.mux.HandleFunc("PUT /api/v3/channels/{channelId}", a.auth(a.updateChannel))
	a.mux.HandleFunc("DELETE /api/v3/channels/{channelId}", a.auth(a.deleteChannel))
	a.routesMembers()
}

func (a *API) createChannel(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	var in chat.CreateChannelInput
	if err := decode(r, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.svc.CreateChannel(r.Context(), c, in)
	a.reply(w, r, out, err)
}

func (a *API) createConversation(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	var in chat.ConversationInput
	if err := decode(r, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.svc.CreateConversation(r.Context(), c, in)
	a.reply(w, r, out, err)
}

func (a *API) getChannel(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	out, err := a.svc.GetChannel(r.Context(), c, r.PathValue("channelId"))
	a.reply(w, r, out, err)
}

func (a *API) getChannels(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	out, err := a.svc.GetChannels(r.Context(), c, newQuery(r).ids("channelIds"))
	a.reply(w, r, out, err)
}

func (a *API) queryChannels(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	q := newQuery(r)
	in := chat.ChannelQuery{
		Keyword:     q.str("keyword"),
		Filter:      q.enum("filter", chat.FilterAll, chat.ChannelFilters...),
		Types:       q.list("types"),
		Tags:        q.list("tags"),
		ExcludeTags: q.list("excludeTags"),
		SortBy:      enum(q, "sortBy", chat.SortLastActivity, chat.ChannelSorts...),
		IsDeleted:   q.optionalBool("isDeleted"),
	}
	in.Limit, in.After = q.page()
	if err := q.err(); err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.svc.QueryChannels(r.Context(), c, in)
	a.reply(w, r, out, err)
}

func (a *API) updateChannel(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	var in chat.UpdateChannelInput
	if err := decode(r, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.svc.UpdateChannel(r.Context(), c, r.PathValue("channelId"), in)
	a.reply(w, r, out, err)
}

func (a *API) deleteChannel(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	err := a.svc.DeleteChannel(r.Context(), c, r.PathValue("channelId"))
	a.reply(w, r, success{Success: true}, err)
}

// optionalBool reads true/false; absent gives nil, for filters whose default is "both".
func (q *query) optionalBool(name string) *bool {
	s := q.v.Get(name)
	if s == "" {
		return nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		q.problems.Add(name, "must be true or false")
		return nil
	}
	return &b
}
