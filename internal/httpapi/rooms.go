package httpapi

import (
	"net/http"
	"slices"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/room"
)

func (a *API) routesRooms() {
	a.mux.HandleFunc("POST /api/v1/rooms", a.auth(a.createRoom))
	a.mux.HandleFunc("GET /api/v1/rooms", a.auth(a.queryRooms))
	// More specific than /rooms/{roomId}, so "lives" is never taken for a room id.
	a.mux.HandleFunc("GET /api/v1/rooms/lives", a.auth(a.liveRooms))
	a.mux.HandleFunc("GET /api/v1/rooms/{roomId}", a.auth(a.getRoom))
	a.mux.HandleFunc("PUT /api/v1/rooms/{roomId}", a.auth(a.updateRoom))
	a.mux.HandleFunc("DELETE /api/v1/rooms/{roomId}", a.auth(a.deleteRoom))
	a.mux.HandleFunc("POST /api/v1/rooms/{roomId}/stop", a.auth(a.stopRoom))
	a.mux.HandleFunc("POST /api/v1/rooms/{roomId}/leave", a.auth(a.leaveRoom))
	a.mux.HandleFunc("GET /api/v1/rooms/{roomId}/token", a.auth(a.roomToken))
	a.mux.HandleFunc("GET /api/v1/rooms/{roomId}/recorded", a.auth(a.roomRecorded))
	// The seed form names the participant in the body; the 7.x SDK puts it in the path.
	a.mux.HandleFunc("DELETE /api/v1/rooms/{roomId}/participants", a.auth(a.removeParticipantByBody))
	a.mux.HandleFunc("DELETE /api/v1/rooms/{roomId}/participants/{userId}", a.auth(a.removeParticipantByPath))
	a.mux.HandleFunc("PUT /api/v1/rooms/{roomId}/participants/{userId}", a.auth(a.updateParticipant))
	a.mux.HandleFunc("POST /api/v1/rooms/{roomId}/viewer-bans", a.auth(a.banRoomViewers))
	a.mux.HandleFunc("GET /api/v1/rooms/{roomId}/viewer-bans", a.auth(a.roomViewerBans))
	a.mux.HandleFunc("DELETE /api/v1/rooms/{roomId}/viewer-bans", a.auth(a.unbanRoomViewers))
}

func (a *API) createRoom(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	var in room.CreateRoomInput
	if err := decode(r, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.rooms.CreateRoom(r.Context(), c, in)
	a.reply(w, r, out, err)
}

func (a *API) queryRooms(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	q := newQuery(r)
	in := room.RoomQuery{Type: q.str("type"), Statuses: q.list("statuses"), SortBy: chat.SortBy(q.str("sortBy"))}
	if q.str("isDeleted") != "" {
		d := q.boolean("isDeleted", false)
		in.IsDeleted = &d
	}
	q.enum("options[type]", "pagination", "pagination")
	in.Limit, in.After = q.page()
	if err := q.err(); err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.rooms.QueryRooms(r.Context(), c, in)
	a.reply(w, r, out, err)
}

// livePostsPage is the answer of GET /api/v1/rooms/lives: in Amity, a page of the posts
// that carry live rooms (the 7.x SDK's getLiveRoomPosts), in the shape of every post
// page. Parley serves chat and rooms, not the social feed, so it has no posts: it answers
// the rooms that are live now, and the post collections empty.
type livePostsPage struct {
	*room.RoomPayload
	Posts                  []struct{} `json:"posts"`
	PostChildren           []struct{} `json:"postChildren"`
	Comments               []struct{} `json:"comments"`
	Communities            []struct{} `json:"communities"`
	CommunityUsers         []struct{} `json:"communityUsers"`
	Categories             []struct{} `json:"categories"`
	Feeds                  []struct{} `json:"feeds"`
	VideoStreamings        []struct{} `json:"videoStreamings"`
	VideoStreamingChildren []struct{} `json:"videoStreamingChildren"`
	Products               []struct{} `json:"products"`
}

// liveRooms answers GET /api/v1/rooms/lives: live rooms, newest first by default. The SDK
// sends targetTypes[]=all, options[limit] and options[sortBy].
func (a *API) liveRooms(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	q := newQuery(r)
	notDeleted := false
	in := room.RoomQuery{Statuses: []string{room.RoomLive}, IsDeleted: &notDeleted,
		SortBy: enum(q, "options[sortBy]", chat.SortLastCreated, chat.RoomSorts...)}
	if types := q.list("targetTypes"); !slices.Contains(types, "all") {
		in.TargetTypes = types
	}
	in.Limit, in.After = q.page()
	if err := q.err(); err != nil {
		a.writeError(w, r, err)
		return
	}
	rooms, err := a.rooms.QueryRooms(r.Context(), c, in)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	none := []struct{}{}
	a.reply(w, r, livePostsPage{RoomPayload: rooms, Posts: none, PostChildren: none, Comments: none, Communities: none,
		CommunityUsers: none, Categories: none, Feeds: none, VideoStreamings: none, VideoStreamingChildren: none, Products: none}, nil)
}

func (a *API) getRoom(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	out, err := a.rooms.GetRoom(r.Context(), c, r.PathValue("roomId"))
	a.reply(w, r, out, err)
}

func (a *API) updateRoom(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	var in room.UpdateRoomInput
	if err := decode(r, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.rooms.UpdateRoom(r.Context(), c, r.PathValue("roomId"), in)
	a.reply(w, r, out, err)
}

func (a *API) deleteRoom(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	err := a.rooms.DeleteRoom(r.Context(), c, r.PathValue("roomId"))
	a.reply(w, r, success{Success: true}, err)
}

func (a *API) stopRoom(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	out, err := a.rooms.StopRoom(r.Context(), c, r.PathValue("roomId"))
	a.reply(w, r, out, err)
}

func (a *API) leaveRoom(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	out, err := a.rooms.LeaveRoom(r.Context(), c, r.PathValue("roomId"))
	a.reply(w, r, out, err)
}

func (a *API) roomToken(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	out, err := a.rooms.BroadcasterData(r.Context(), c, r.PathValue("roomId"))
	a.reply(w, r, out, err)
}

func (a *API) roomRecorded(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	out, err := a.rooms.RecordedURL(r.Context(), c, r.PathValue("roomId"))
	a.reply(w, r, out, err)
}

func (a *API) removeParticipantByBody(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	var in struct {
		ParticipantUserID *string `json:"participantUserId"`
	}
	if err := decode(r, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.rooms.RemoveParticipant(r.Context(), c, r.PathValue("roomId"), in.ParticipantUserID)
	a.reply(w, r, out, err)
}

func (a *API) removeParticipantByPath(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	id := r.PathValue("userId")
	out, err := a.rooms.RemoveParticipant(r.Context(), c, r.PathValue("roomId"), &id)
	a.reply(w, r, out, err)
}

func (a *API) updateParticipant(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	var in room.UpdateParticipantInput
	if err := decode(r, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.rooms.UpdateParticipant(r.Context(), c, r.PathValue("roomId"), r.PathValue("userId"), in)
	a.reply(w, r, out, err)
}

func (a *API) banRoomViewers(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	var in room.ViewerBanInput
	if err := decode(r, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	err := a.rooms.BanRoomViewers(r.Context(), c, r.PathValue("roomId"), in)
	a.reply(w, r, success{Success: true}, err)
}

func (a *API) unbanRoomViewers(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	var in room.ViewerBanInput
	if err := decode(r, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	err := a.rooms.UnbanRoomViewers(r.Context(), c, r.PathValue("roomId"), in)
	a.reply(w, r, success{Success: true}, err)
}

func (a *API) roomViewerBans(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	q := newQuery(r)
	limit, after := q.page()
	if err := q.err(); err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.rooms.RoomViewerBans(r.Context(), c, r.PathValue("roomId"), limit, after)
	a.reply(w, r, out, err)
}
