package httpapi

import (
	"net/http"

	"github.com/parley-chat/parley/internal/chat"
)

// Content moderation: the keyword blocklist, the link allowlist and their switch.
func (a *API) routesBlocklists() {
	for path, list := range map[string]string{"blocklists": chat.Blocklist, "allowlists": chat.Allowlist} {
		a.mux.HandleFunc("GET /api/v3/"+path, a.auth(a.listWords(list)))
		a.mux.HandleFunc("POST /api/v3/"+path, a.auth(a.addWords(list)))
		a.mux.HandleFunc("DELETE /api/v3/"+path+"/{id}", a.auth(a.removeWord(list)))
		a.mux.HandleFunc("POST /api/v3/"+path+"/verify", a.auth(a.verify(list)))
	}
	a.mux.HandleFunc("GET /api/v3/network-settings/moderation", a.auth(a.moderationSettings))
	a.mux.HandleFunc("PUT /api/v3/network-settings/moderation", a.auth(a.putModerationSettings))
}

func (a *API) listWords(list string) authed {
	return func(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
		q := newQuery(r)
		newest := enum(q, "sortBy", chat.SortLastCreated, chat.BlocklistSorts...) == chat.SortLastCreated
		limit, after := q.page()
		if err := q.err(); err != nil {
			a.writeError(w, r, err)
			return
		}
		out, err := a.svc.ListWords(r.Context(), c, list, newest, limit, after)
		a.reply(w, r, out, err)
	}
}

func (a *API) addWords(list string) authed {
	return func(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
		var in chat.WordsInput
		if err := decode(r, &in); err != nil {
			a.writeError(w, r, err)
			return
		}
		a.reply(w, r, success{Success: true}, a.svc.AddWords(r.Context(), c, list, in))
	}
}

func (a *API) removeWord(list string) authed {
	return func(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
		var in reasonBody
		if err := decodeOptional(r, &in); err != nil {
			a.writeError(w, r, err)
			return
		}
		a.reply(w, r, success{Success: true}, a.svc.RemoveWord(r.Context(), c, list, r.PathValue("id"), deref(in.Reason)))
	}
}

func (a *API) verify(list string) authed {
	return func(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
		var in chat.VerifyInput
		if err := decode(r, &in); err != nil {
			a.writeError(w, r, err)
			return
		}
		a.reply(w, r, success{Success: true}, a.svc.Verify(r.Context(), c, list, in))
	}
}

func (a *API) moderationSettings(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	out, err := a.svc.GetModerationSettings(r.Context(), c)
	a.reply(w, r, out, err)
}

func (a *API) putModerationSettings(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	var in chat.ModerationSettings
	if err := decode(r, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.svc.PutModerationSettings(r.Context(), c, in)
	a.reply(w, r, out, err)
}
