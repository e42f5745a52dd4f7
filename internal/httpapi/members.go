package httpapi

import (
	"context"
	"net/http"

	"github.com/parley-chat/parley/internal/chat"
)

func (a *API) routesMembers() {
	a.mux.HandleFunc("POST /api/v3/channels/{channelId}/join", a.auth(a.joinChannel))
	a.mux.HandleFunc("DELETE /api/v3/channels/{channelId}/leave", a.auth(a.leaveChannel))
	a.mux.HandleFunc("POST /api/v3/channels/{channelId}/users", a.auth(a.membersCall(a.addMembers)))
	a.mux.HandleFunc("DELETE /api/v3/channels/{channelId}/users", a.auth(a.removeMembers))
	a.mux.HandleFunc("GET /api/v3/channels/{channelId}/users", a.auth(a.queryMembersV3))
	a.mux.HandleFunc("GET /api/v4/channels/{channelId}/users", a.auth(a.queryMembers))
	a.mux.HandleFunc("PUT /api/v3/channels/{channelId}/users/ban", a.auth(a.membersCall(a.svc.BanMembers)))
	a.mux.HandleFunc("PUT /api/v3/channels/{channelId}/users/unban", a.auth(a.membersCall(a.svc.UnbanMembers)))
	a.mux.HandleFunc("POST /api/v3/channels/{channelId}/users/roles", a.auth(a.changeRole(true)))
	a.mux.HandleFunc("DELETE /api/v3/channels/{channelId}/users/roles", a.auth(a.changeRole(false)))
	a.mux.HandleFunc("PUT /api/v2/channel/{channelId}/mute", a.auth(a.muteChannel))
	a.mux.HandleFunc("PUT /api/v2/channel/{channelId}/users/mute", a.auth(a.muteMembers))
}

// usersBody is the body of the calls that name users: {channelId?, userIds}.
type usersBody struct {
	UserIDs []string `json:"userIds"`
	Reason  *string  `json:"reason"` // ban and unban: for the audit log
}

func (a *API) joinChannel(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	out, err := a.svc.JoinChannel(r.Context(), c, r.PathValue("channelId"))
	a.reply(w, r, out, err)
}

func (a *API) leaveChannel(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	out, err := a.svc.LeaveChannel(r.Context(), c, r.PathValue("channelId"))
	a.reply(w, r, out, err)
}

// membersCall is the shape of add, ban and unban: decode {userIds, reason}, call the
// service method, answer.
func (a *API) membersCall(call func(context.Context, *chat.Caller, string, []string, string) (*chat.ChannelPayload, error)) authed {
	return func(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
		var in usersBody
		if err := decode(r, &in); err != nil {
			a.writeError(w, r, err)
			return
		}
		out, err := call(r.Context(), c, r.PathValue("channelId"), in.UserIDs, deref(in.Reason))
		a.reply(w, r, out, err)
	}
}

// addMembers is AddMembers in membersCall's shape: adding takes no reason.
func (a *API) addMembers(ctx context.Context, c *chat.Caller, channelID string, userIDs []string, _ string) (*chat.ChannelPayload, error) {
	return a.svc.AddMembers(ctx, c, channelID, userIDs)
}

// removeMembers takes the users from a JSON body (the SDK's form) or, without a body,
// from the query (`userIds[]`), as Amity documents it.
func (a *API) removeMembers(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	in := usersBody{UserIDs: nilIfEmpty(newQuery(r).ids("userIds"))}
	if err := decodeOptional(r, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.svc.RemoveMembers(r.Context(), c, r.PathValue("channelId"), in.UserIDs)
	a.reply(w, r, out, err)
}

func (a *API) changeRole(add bool) authed {
	return func(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
		var in chat.RoleInput
		if !add { // DELETE may carry its parameters in the query instead of a body
			q := newQuery(r)
			in.UserIDs = nilIfEmpty(q.ids("userIds"))
			if role := q.str("role"); role != "" {
				in.Role = &role
			}
			if err := decodeOptional(r, &in); err != nil {
				a.writeError(w, r, err)
				return
			}
		} else if err := decode(r, &in); err != nil {
			a.writeError(w, r, err)
			return
		}
		out, err := a.svc.ChangeRole(r.Context(), c, r.PathValue("channelId"), in, add)
		a.reply(w, r, out, err)
	}
}

// muteBody is the body of both mute calls; mutePeriod is in milliseconds.
type muteBody struct {
	UserIDs    []string `json:"userIds"`
	MutePeriod *int64   `json:"mutePeriod"`
	Reason     *string  `json:"reason"` // for the audit log
}

func (a *API) muteChannel(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	var in muteBody
	if err := decode(r, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	err := a.svc.MuteChannel(r.Context(), c, r.PathValue("channelId"), in.MutePeriod, deref(in.Reason))
	a.reply(w, r, success{Success: true}, err)
}

func (a *API) muteMembers(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	var in muteBody
	if err := decode(r, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	err := a.svc.MuteMembers(r.Context(), c, r.PathValue("channelId"), in.UserIDs, in.MutePeriod, deref(in.Reason))
	a.reply(w, r, success{Success: true}, err)
}

func (a *API) queryMembers(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	q := newQuery(r)
	a.membersPage(w, r, c, q, q.list("memberships"))
}

// queryMembersV3 serves the older form, whose `filter` names the memberships.
func (a *API) queryMembersV3(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	q := newQuery(r)
	var memberships []string
	switch q.enum("filter", chat.FilterAll, chat.MemberFilters...) {
	case chat.MemberFilterMuted:
		memberships = []string{chat.MembershipMuted}
	case chat.MemberFilterBanned:
		memberships = []string{chat.MembershipBanned}
	case chat.MemberFilterMemberAndBanned:
		memberships = []string{chat.MembershipMember, chat.MembershipBanned}
	}
	if m := q.list("memberships"); len(m) > 0 {
		memberships = m
	}
	a.membersPage(w, r, c, q, memberships)
}

func (a *API) membersPage(w http.ResponseWriter, r *http.Request, c *chat.Caller, q *query, memberships []string) {
	in := chat.MemberQuery{
		Memberships: memberships,
		Roles:       append(q.list("roles"), q.list("role")...),
		Search:      q.str("search"),
		SortBy:      enum(q, "sortBy", chat.SortLastCreated, chat.MemberSorts...),
		IsDeleted:   q.optionalBool("isDeleted"),
	}
	in.Limit, in.After = q.page()
	if err := q.err(); err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.svc.QueryMembers(r.Context(), c, r.PathValue("channelId"), in)
	a.reply(w, r, out, err)
}

func nilIfEmpty(v []string) []string {
	if len(v) == 0 {
		return nil
	}
	return v
}
