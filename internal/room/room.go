package room

import (
	"context"
	"encoding/json"

	"github.com/parley-chat/parley/internal/chat"
)

// Room is a live-stream room in the shape the 7.x SDK reads (RawRoom). `_id`, `roomId`
// and `publicId` are the same 24-hex id: the SDK caches by roomId but matches live
// objects and local events on _id.
type Room struct {
	ID                    string            `json:"_id"`
	RoomID                string            `json:"roomId"`
	PublicID              string            `json:"publicId"`
	Type                  string            `json:"type"` // directStreaming | coHosts
	TargetID              *string           `json:"targetId"`
	TargetType            *string           `json:"targetType"`       // community | user
	TargetVisibility      *string           `json:"targetVisibility"` // public | private
	ReferenceType         *string           `json:"referenceType"`    // post | event
	ReferenceID           *string           `json:"referenceId"`
	LiveChannelID         *string           `json:"liveChannelId"`
	LiveChannelEnabled    bool              `json:"liveChannelEnabled"`
	LiveChatEnabled       bool              `json:"liveChatEnabled"` // the request's name; Amity answers both
	Title                 string            `json:"title"`
	Description           string            `json:"description"`
	ThumbnailFileID       *string           `json:"thumbnailFileId"`
	Status                string            `json:"status"`
	Participants          []RoomParticipant `json:"participants"`
	LivePlaybackURL       *string           `json:"livePlaybackUrl"`
	LiveThumbnailURL      *string           `json:"liveThumbnailUrl"`
	LiveResolution        *Resolution       `json:"liveResolution"`
	RecordedPlaybackInfos []PlaybackInfo    `json:"recordedPlaybackInfos"`
	RecordedResolution    *Resolution       `json:"recordedResolution"`
	DurationSeconds       *int64            `json:"durationSeconds"`
	ModerationID          *string           `json:"moderationId"`
	Moderation            *RoomModeration   `json:"moderation"`
	ParentRoomID          *string           `json:"parentRoomId"`
	ChildRoomIDs          []string          `json:"childRoomIds"`
	Metadata              json.RawMessage   `json:"metadata"`
	CreatorInternalID     string            `json:"creatorInternalId"`
	CreatedBy             string            `json:"createdBy"` // public userId: the SDK compares it with client.userId
	Path                  string            `json:"path"`
	IsDeleted             bool              `json:"isDeleted"`
	DeletedBy             *string           `json:"deletedBy"` // public userId
	CreatedAt             chat.Time         `json:"createdAt"`
	UpdatedAt             chat.Time         `json:"updatedAt"`
	LiveAt                chat.Time         `json:"liveAt"`
	EndedAt               chat.Time         `json:"endedAt"`
	RecordedAt            chat.Time         `json:"recordedAt"`
	DeletedAt             chat.Time         `json:"deletedAt"`
	// MediaRoom is the room's name at the media server.
	MediaRoom string `json:"-"`
}

// RoomParticipant is a broadcaster of a room: its host, or a co-host who accepted an
// invitation. Viewers are not participants.
type RoomParticipant struct {
	Type                 string    `json:"type"` // host | coHost
	UserID               string    `json:"userId"`
	UserInternalID       string    `json:"userInternalId"`
	CanManageProductTags bool      `json:"canManageProductTags"`
	RoomID               string    `json:"-"`
	CreatedAt            chat.Time `json:"-"`
}

// Resolution is a stream's picture size.
type Resolution struct {
	AspectRatio *float64 `json:"aspectRatio,omitempty"`
	Width       *int     `json:"width,omitempty"`
	Height      *int     `json:"height,omitempty"`
}

// PlaybackInfo is one recording of a room.
type PlaybackInfo struct {
	URL          string `json:"url"`
	ThumbnailURL string `json:"thumbnailUrl"`
}

// RoomModeration is what content moderation decided about a room.
type RoomModeration struct {
	FlagLabels      []string  `json:"flagLabels"`
	TerminateLabels []string  `json:"terminateLabels"`
	UpdatedAt       chat.Time `json:"updatedAt"`
}

// RoomPayload is the answer of every room call and the data of room events. Every key
// is always an array; roomChildrens are the rooms whose parentRoomId is a room here.
type RoomPayload struct {
	Rooms         []Room       `json:"rooms"`
	RoomChildrens []Room       `json:"roomChildrens"`
	Users         []chat.User  `json:"users"`
	Files         []chat.File  `json:"files"`
	Paging        *chat.Paging `json:"paging,omitempty"`
}

// RoomEvent is the data of room events: the payload, plus who acted for participant
// events and which users for ban events.
type RoomEvent struct {
	RoomPayload
	EventActor *EventActor `json:"eventActor,omitempty"`
	UserIDs    []string    `json:"userIds,omitempty"`
}

// EventActor names the user an event is about.
type EventActor struct {
	UserInternalID string `json:"userInternalId"`
}

// Room types, statuses and participant types.
const (
	RoomDirectStreaming = "directStreaming"
	RoomCoHosts         = "coHosts"

	RoomIdle             = "idle"
	RoomLive             = "live"
	RoomWaitingReconnect = "waitingReconnect"
	RoomEnded            = "ended"
	RoomRecorded         = "recorded"
	RoomTerminated       = "terminated"

	ParticipantHost   = "host"
	ParticipantCoHost = "coHost"
)

// roomMoves is the status machine: idle → live → waitingReconnect → live … → ended →
// recorded, and terminated from anywhere but itself. The media server moves it; POST
// /stop moves it to ended.
var roomMoves = map[string][]string{
	RoomIdle:             {RoomLive, RoomEnded, RoomTerminated},
	RoomLive:             {RoomWaitingReconnect, RoomEnded, RoomTerminated},
	RoomWaitingReconnect: {RoomLive, RoomEnded, RoomTerminated},
	RoomEnded:            {RoomRecorded, RoomTerminated},
	RoomRecorded:         {RoomTerminated},
	RoomTerminated:       {},
}

// canMove tells whether the status machine allows from → to.
func canMove(from, to string) bool {
	for _, s := range roomMoves[from] {
		if s == to {
			return true
		}
	}
	return false
}

// hasEnded tells whether a room can no longer be broadcast into.
func hasEnded(status string) bool {
	return status == RoomEnded || status == RoomRecorded || status == RoomTerminated
}

// statusEvents names the event each status change publishes.
var statusEvents = map[string]chat.EventType{
	RoomLive:             chat.EventRoomStartBroadcasting,
	RoomWaitingReconnect: chat.EventRoomWaitingReconnect,
	RoomEnded:            chat.EventRoomEndBroadcasting,
	RoomRecorded:         chat.EventRoomRecordedAvailable,
	RoomTerminated:       chat.EventRoomTerminated,
}

// Amity's API documents snake_case spellings of some enums while the SDK sends
// camelCase; both are accepted and the camelCase form is kept.
var roomTypeAliases = map[string]string{
	RoomDirectStreaming: RoomDirectStreaming, "direct_streaming": RoomDirectStreaming,
	RoomCoHosts: RoomCoHosts, "co_hosts": RoomCoHosts,
}

var roomStatusAliases = map[string]string{
	RoomIdle: RoomIdle, RoomLive: RoomLive, RoomWaitingReconnect: RoomWaitingReconnect,
	"waiting_reconnect": RoomWaitingReconnect, RoomEnded: RoomEnded, RoomRecorded: RoomRecorded,
	RoomTerminated: RoomTerminated,
}

// RoomStore is the persistence of rooms, their participants and viewer bans.
type RoomStore interface {
	InsertRoom(r *Room) error
	UpdateRoom(r *Room) error
	RoomByID(id string) (*Room, error)
	ListRooms(q RoomQuery) ([]Room, error)
	// ChildRooms returns the rooms whose parent is one of parentIDs.
	ChildRooms(parentIDs []string) ([]Room, error)
	// RoomParticipants returns the participants of the rooms, hosts first.
	RoomParticipants(roomIDs []string) ([]RoomParticipant, error)
	PutRoomParticipant(p RoomParticipant) error
	DeleteRoomParticipant(roomID, userID string) error
	// RoomViewersBanned returns which of userIDs are banned from viewing the room.
	RoomViewersBanned(roomID string, userIDs []string) ([]string, error)
	BanRoomViewers(roomID string, userIDs []string, by string, at chat.Time) error
	UnbanRoomViewers(roomID string, userIDs []string) error
	ListRoomViewerBans(roomID string, limit int, after *chat.Cursor) ([]RoomViewerBan, error)
}

// RoomQuery is one page of GET /api/v1/rooms.
type RoomQuery struct {
	Type      string
	Statuses  []string
	SortBy    chat.SortBy // firstCreated | lastCreated
	IsDeleted *bool       // nil: both
	Limit     int
	After     *chat.Cursor
	// ViewerID leaves out the rooms this user is banned from viewing.
	ViewerID string
	// TargetTypes keeps the rooms whose targetType is one of these (community, user); nil
	// for every room.
	TargetTypes []string
}

// RoomPath is the MQTT topic base of a room.
func (s *Service) RoomPath(id string) string { return s.chat.NetworkID() + "/room/" + id }

// decorateRooms fills the derived fields and the participants and children of rooms.
func (s *Service) decorateRooms(rooms []Room, parts map[string][]RoomParticipant, children map[string][]string) {
	for i := range rooms {
		r := &rooms[i]
		r.RoomID, r.PublicID, r.Path = r.ID, r.ID, s.RoomPath(r.ID)
		r.LiveChannelEnabled = r.LiveChatEnabled
		r.Participants = append([]RoomParticipant{}, parts[r.ID]...)
		r.ChildRoomIDs = append([]string{}, children[r.ID]...)
		if r.RecordedPlaybackInfos == nil {
			r.RecordedPlaybackInfos = []PlaybackInfo{}
		}
		if r.Metadata == nil {
			r.Metadata = json.RawMessage("{}")
		}
	}
}

// roomPayload builds the Rooms payload of rooms: their children, every participant and
// creator as users, and every thumbnail and avatar as files.
func (s *Service) roomPayload(tx Tx, rooms []Room) (*RoomPayload, error) {
	ids := make([]string, len(rooms))
	for i, r := range rooms {
		ids[i] = r.ID
	}
	kids, err := tx.ChildRooms(ids)
	if err != nil {
		return nil, err
	}
	all := append(append([]Room{}, rooms...), kids...)
	allIDs := make([]string, 0, len(all))
	children := map[string][]string{}
	for _, r := range all {
		allIDs = append(allIDs, r.ID)
	}
	for _, k := range kids {
		children[*k.ParentRoomID] = append(children[*k.ParentRoomID], k.ID)
	}
	ps, err := tx.RoomParticipants(chat.Unique(allIDs))
	if err != nil {
		return nil, err
	}
	parts := map[string][]RoomParticipant{}
	for _, p := range ps {
		parts[p.RoomID] = append(parts[p.RoomID], p)
	}
	var userIDs, fileIDs []string
	for _, r := range all {
		userIDs = append(userIDs, r.CreatorInternalID)
		for _, p := range parts[r.ID] {
			userIDs = append(userIDs, p.UserInternalID)
		}
		if r.ThumbnailFileID != nil {
			fileIDs = append(fileIDs, *r.ThumbnailFileID)
		}
	}
	s.decorateRooms(rooms, parts, children)
	s.decorateRooms(kids, parts, children)
	users, err := tx.UsersByIDs(chat.Unique(userIDs))
	if err != nil {
		return nil, err
	}
	s.chat.DecorateUsers(users)
	for _, u := range users {
		if u.AvatarFileID != nil {
			fileIDs = append(fileIDs, *u.AvatarFileID)
		}
	}
	files, err := s.chat.Files(tx, fileIDs)
	if err != nil {
		return nil, err
	}
	out := &RoomPayload{Rooms: rooms, RoomChildrens: kids, Users: users, Files: files}
	if out.Rooms == nil {
		out.Rooms = []Room{}
	}
	if out.RoomChildrens == nil {
		out.RoomChildrens = []Room{}
	}
	if out.Users == nil {
		out.Users = []chat.User{}
	}
	return out, nil
}

// roomEvent appends a room event: published under the room's path and to the users
// concerned (its participants plus extra), with the payload of the room as it is now.
func (s *Service) roomEvent(tx Tx, typ chat.EventType, r *Room, actor string, extra ...string) error {
	p, err := s.roomPayload(tx, []Room{*r})
	if err != nil {
		return err
	}
	data := RoomEvent{RoomPayload: *p}
	if actor != "" {
		data.EventActor = &EventActor{UserInternalID: actor}
	}
	users := append([]string{}, extra...)
	for _, pt := range p.Rooms[0].Participants {
		users = append(users, pt.UserInternalID)
	}
	return tx.AppendEvent(chat.Event{Type: typ, Data: data, RoomID: r.ID, UserIDs: chat.Unique(users)})
}

// liveRoom loads a room that is not deleted: what every change to a room needs.
func liveRoom(tx Tx, id string) (*Room, error) {
	if !chat.IsID(id) {
		return nil, chat.NotFound("Room")
	}
	r, err := tx.RoomByID(id)
	if err != nil {
		return nil, err
	}
	if r == nil || r.IsDeleted {
		return nil, chat.NotFound("Room")
	}
	return r, nil
}

// participant finds a user among a room's participants.
func participant(tx Tx, roomID, userID string) (*RoomParticipant, error) {
	ps, err := tx.RoomParticipants([]string{roomID})
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		if p.UserInternalID == userID {
			return &p, nil
		}
	}
	return nil, nil
}

// isRoomHost tells whether the caller is the room's host.
func isRoomHost(tx Tx, c *chat.Caller, r *Room) (bool, error) {
	if c.User == nil {
		return false, nil
	}
	p, err := participant(tx, r.ID, c.User.ID)
	return p != nil && p.Type == ParticipantHost, err
}

// requireRoomManager lets the host or a network admin (MANAGE_ROOM) through, else 400301.
func requireRoomManager(tx Tx, c *chat.Caller, r *Room) error {
	if c.Can(chat.PermManageRoom) {
		return nil
	}
	host, err := isRoomHost(tx, c, r)
	if err != nil {
		return err
	}
	if !host {
		return chat.PermissionDenied()
	}
	return nil
}

// managedRoom loads a live room the caller may manage (requireRoomManager): a missing
// room is 400400 before a caller who may not manage it is 400301.
func managedRoom(tx Tx, c *chat.Caller, id string) (*Room, error) {
	r, err := liveRoom(tx, id)
	if err != nil {
		return nil, err
	}
	if err := requireRoomManager(tx, c, r); err != nil {
		return nil, err
	}
	return r, nil
}

// saveRoom stores a changed room and answers with its payload, after appending the
// event typ that tells its watchers (roomEvent).
func (s *Service) saveRoom(tx Tx, r *Room, typ chat.EventType, actor string, extra ...string) (*RoomPayload, error) {
	if err := tx.UpdateRoom(r); err != nil {
		return nil, err
	}
	out, err := s.roomPayload(tx, []Room{*r})
	if err != nil {
		return nil, err
	}
	return out, s.roomEvent(tx, typ, r, actor, extra...)
}

// CreateRoomInput is the body of POST /api/v1/rooms.
type CreateRoomInput struct {
	Title           *string          `json:"title"`
	Description     *string          `json:"description"`
	ThumbnailFileID *string          `json:"thumbnailFileId"`
	Metadata        *json.RawMessage `json:"metadata"`
	LiveChatEnabled *bool            `json:"liveChatEnabled"`
	ParentRoomID    *string          `json:"parentRoomId"`
	Type            *string          `json:"type"`
}

// checkRoomFields validates the fields create and update share.
func checkRoomFields(p *chat.Problems, title, description, thumbnail, parent *string, metadata *json.RawMessage) {
	p.Text("title", title, 1, 1000)
	p.Text("description", description, 0, 5000)
	p.Text("thumbnailFileId", thumbnail, 0, 50)
	p.Text("parentRoomId", parent, 0, 50)
	p.Metadata("metadata", metadata)
}

// CreateRoom answers POST /api/v1/rooms: the creator becomes the host of an idle room.
func (s *Service) CreateRoom(ctx context.Context, c *chat.Caller, in CreateRoomInput) (*RoomPayload, error) {
	var p chat.Problems
	if in.Title == nil {
		p.Add("title", "is required")
	}
	checkRoomFields(&p, in.Title, in.Description, in.ThumbnailFileID, in.ParentRoomID, in.Metadata)
	typ := RoomDirectStreaming
	if in.Type != nil {
		if t, ok := roomTypeAliases[*in.Type]; ok {
			typ = t
		} else {
			p.Add("type", "must be one of [directStreaming coHosts]")
		}
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if c.User == nil {
		return nil, chat.PermissionDenied()
	}
	now := s.now()
	r := &Room{
		ID: chat.NewID(), Type: typ, Title: *in.Title, Status: RoomIdle, LiveChatEnabled: true,
		Metadata: json.RawMessage("{}"), CreatorInternalID: c.User.ID, CreatedBy: c.User.UserID,
		CreatedAt: now, UpdatedAt: now,
	}
	applyRoomFields(r, in.Description, in.ThumbnailFileID, in.Metadata, in.LiveChatEnabled)
	if s.media != nil {
		name, err := s.media.CreateRoom(ctx, r)
		if err != nil {
			return nil, err
		}
		r.MediaRoom = name
	}
	var out *RoomPayload
	err := s.store.Write(ctx, func(tx Tx) error {
		if err := s.checkRoomRefs(tx, c, r, in.ThumbnailFileID, in.ParentRoomID); err != nil {
			return err
		}
		if r.LiveChatEnabled {
			if _, err := s.openLiveChat(tx, c, r, nil, nil); err != nil {
				return err
			}
		}
		if err := tx.InsertRoom(r); err != nil {
			return err
		}
		if err := tx.PutRoomParticipant(RoomParticipant{RoomID: r.ID, UserInternalID: c.User.ID, Type: ParticipantHost, CreatedAt: now}); err != nil {
			return err
		}
		var err error
		out, err = s.roomPayload(tx, []Room{*r})
		if err != nil {
			return err
		}
		if r.ParentRoomID != nil {
			// The parent's childRoomIds changed: its watchers hear it.
			parent, err := tx.RoomByID(*r.ParentRoomID)
			if err != nil {
				return err
			}
			return s.roomEvent(tx, chat.EventRoomDidUpdate, parent, "")
		}
		return nil
	})
	return out, err
}

// applyRoomFields copies the optional fields create and update share.
func applyRoomFields(r *Room, description, thumbnail *string, metadata *json.RawMessage, liveChat *bool) {
	if description != nil {
		r.Description = *description
	}
	if thumbnail != nil {
		r.ThumbnailFileID = chat.EmptyToNil(*thumbnail)
	}
	if metadata != nil {
		r.Metadata = *metadata
	}
	if liveChat != nil {
		r.LiveChatEnabled = *liveChat
	}
}

// checkRoomRefs checks the thumbnail and the parent a room names. A parent must be a
// room the caller hosts (or any room, for admins) that is not itself a child: rooms
// nest one level deep, which rules out cycles.
func (s *Service) checkRoomRefs(tx Tx, c *chat.Caller, r *Room, thumbnail, parentID *string) error {
	if thumbnail != nil && *thumbnail != "" {
		if err := s.chat.RequireImage(tx, *thumbnail); err != nil {
			return err
		}
	}
	if parentID == nil {
		return nil
	}
	if *parentID == "" {
		r.ParentRoomID = nil
		return nil
	}
	if *parentID == r.ID {
		return chat.Errorf(chat.CodeForbidden, "A room cannot be its own parent.")
	}
	parent, err := liveRoom(tx, *parentID)
	if err != nil {
		return err
	}
	if err := requireRoomManager(tx, c, parent); err != nil {
		return err
	}
	if parent.ParentRoomID != nil {
		return chat.Errorf(chat.CodeForbidden, "A child room cannot have child rooms.")
	}
	kids, err := tx.ChildRooms([]string{r.ID})
	if err != nil {
		return err
	}
	if len(kids) > 0 {
		return chat.Errorf(chat.CodeForbidden, "A room with child rooms cannot become a child room.")
	}
	r.ParentRoomID = &parent.ID
	return nil
}

// GetRoom answers GET /api/v1/rooms/{roomId}. A deleted room is answered with
// isDeleted true, so that clients drop it; a viewer banned from the room gets 400301.
func (s *Service) GetRoom(ctx context.Context, c *chat.Caller, roomID string) (*RoomPayload, error) {
	var out *RoomPayload
	err := s.store.Read(ctx, func(tx Tx) error {
		r, err := s.readableRoom(tx, c, roomID)
		if err != nil {
			return err
		}
		out, err = s.roomPayload(tx, []Room{*r})
		return err
	})
	return out, err
}

// readableRoom loads a room the caller may see: any room, deleted ones included, unless
// the caller is banned from viewing it.
func (s *Service) readableRoom(tx Tx, c *chat.Caller, roomID string) (*Room, error) {
	if !chat.IsID(roomID) {
		return nil, chat.NotFound("Room")
	}
	r, err := tx.RoomByID(roomID)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, chat.NotFound("Room")
	}
	if c.User != nil && !c.Can(chat.PermManageRoom) {
		banned, err := tx.RoomViewersBanned(r.ID, []string{c.User.ID})
		if err != nil {
			return nil, err
		}
		if len(banned) > 0 {
			return nil, chat.Errorf(chat.CodePermissionDenied, "You are banned from viewing this room.")
		}
	}
	return r, nil
}

// CanReadRoom tells the real-time layer whether a user may subscribe to a room's path:
// anyone may watch a room that exists and is not deleted, unless banned from viewing it.
// Rooms are public broadcasts; the ban is the one way to keep a viewer out.
func (s *Service) CanReadRoom(ctx context.Context, userInternalID, roomID string) (bool, error) {
	ok := false
	err := s.store.Read(ctx, func(tx Tx) error {
		if !chat.IsID(roomID) {
			return nil
		}
		r, err := tx.RoomByID(roomID)
		if err != nil || r == nil || r.IsDeleted {
			return err
		}
		banned, err := tx.RoomViewersBanned(r.ID, []string{userInternalID})
		ok = err == nil && len(banned) == 0
		return err
	})
	return ok, err
}

// QueryRooms answers GET /api/v1/rooms.
func (s *Service) QueryRooms(ctx context.Context, c *chat.Caller, q RoomQuery) (*RoomPayload, error) {
	var p chat.Problems
	if q.Type != "" {
		if t, ok := roomTypeAliases[q.Type]; ok {
			q.Type = t
		} else {
			p.Add("type", "must be one of [directStreaming coHosts]")
		}
	}
	if len(q.Statuses) > 10 {
		p.Add("statuses", "must have at most 10 items")
	}
	for i, st := range q.Statuses {
		if v, ok := roomStatusAliases[st]; ok {
			q.Statuses[i] = v
		} else {
			p.Add("statuses", "has an unknown status %q", st)
			break
		}
	}
	q.Statuses = chat.Unique(q.Statuses)
	q.TargetTypes = chat.Unique(q.TargetTypes)
	p.List("targetTypes", q.TargetTypes, 0, 2, 1, 20)
	for _, t := range q.TargetTypes {
		p.OneOf("targetTypes", &t, "community", "user")
	}
	if q.SortBy != "" {
		chat.OneOf(&p, "sortBy", &q.SortBy, chat.RoomSorts...)
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if c.User != nil && !c.Can(chat.PermManageRoom) {
		q.ViewerID = c.User.ID
	}
	var out *RoomPayload
	err := s.store.Read(ctx, func(tx Tx) error {
		rooms, paging, err := chat.FetchPage(q.Limit,
			func(n int) ([]Room, error) { q.Limit = n; return tx.ListRooms(q) },
			func(v Room) *chat.Cursor { return &chat.Cursor{N: v.CreatedAt.Millis(), ID: v.ID} })
		if err != nil {
			return err
		}
		out, err = s.roomPayload(tx, rooms)
		if err != nil {
			return err
		}
		out.Paging = paging
		return nil
	})
	return out, err
}

// UpdateRoomInput is the body of PUT /api/v1/rooms/{roomId}. The SDK sends
// liveChatEnabled; Amity's API documents channelEnabled for the same switch. The fields
// it shares with CreateRoomInput are spelled out rather than embedded from one struct:
// encoding/json names an embedded field by its path (RoomFields.title) in a type error,
// and the 400000 detail hands that name to the client.
type UpdateRoomInput struct {
	Title           *string          `json:"title"`
	Description     *string          `json:"description"`
	ThumbnailFileID *string          `json:"thumbnailFileId"`
	Metadata        *json.RawMessage `json:"metadata"`
	LiveChatEnabled *bool            `json:"liveChatEnabled"`
	ChannelEnabled  *bool            `json:"channelEnabled"`
	ParentRoomID    *string          `json:"parentRoomId"`
}

// UpdateRoom answers PUT /api/v1/rooms/{roomId}: the host or an admin edits the room.
func (s *Service) UpdateRoom(ctx context.Context, c *chat.Caller, roomID string, in UpdateRoomInput) (*RoomPayload, error) {
	var p chat.Problems
	checkRoomFields(&p, in.Title, in.Description, in.ThumbnailFileID, in.ParentRoomID, in.Metadata)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if in.LiveChatEnabled == nil {
		in.LiveChatEnabled = in.ChannelEnabled
	}
	var out *RoomPayload
	err := s.store.Write(ctx, func(tx Tx) error {
		r, err := managedRoom(tx, c, roomID)
		if err != nil {
			return err
		}
		oldParent := r.ParentRoomID
		if err := s.checkRoomRefs(tx, c, r, in.ThumbnailFileID, in.ParentRoomID); err != nil {
			return err
		}
		if in.Title != nil {
			r.Title = *in.Title
		}
		applyRoomFields(r, in.Description, in.ThumbnailFileID, in.Metadata, in.LiveChatEnabled)
		if r.LiveChatEnabled && r.LiveChannelID == nil {
			if _, err := s.openLiveChat(tx, c, r, nil, nil); err != nil {
				return err
			}
		}
		r.UpdatedAt = s.now()
		out, err = s.saveRoom(tx, r, chat.EventRoomDidUpdate, "")
		if err != nil {
			return err
		}
		// Parents gaining or losing a child change too.
		if sameID(oldParent, r.ParentRoomID) {
			return nil
		}
		for _, pid := range nonNilIDs(oldParent, r.ParentRoomID) {
			parent, err := tx.RoomByID(pid)
			if err != nil {
				return err
			}
			if parent != nil {
				if err := s.roomEvent(tx, chat.EventRoomDidUpdate, parent, ""); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return out, err
}

func sameID(a, b *string) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

func nonNilIDs(ids ...*string) []string {
	var out []string
	for _, id := range ids {
		if id != nil {
			out = append(out, *id)
		}
	}
	return out
}

// DeleteRoom answers DELETE /api/v1/rooms/{roomId}: the host or an admin soft-deletes
// the room. A room still broadcasting ends first.
func (s *Service) DeleteRoom(ctx context.Context, c *chat.Caller, roomID string) error {
	var ended *Room
	err := s.store.Write(ctx, func(tx Tx) error {
		r, err := managedRoom(tx, c, roomID)
		if err != nil {
			return err
		}
		now := s.now()
		if !hasEnded(r.Status) {
			r.Status, r.EndedAt = RoomEnded, now
			ended = r
		}
		by := c.User.UserID
		r.IsDeleted, r.DeletedAt, r.DeletedBy, r.UpdatedAt = true, now, &by, now
		if err := tx.UpdateRoom(r); err != nil {
			return err
		}
		return s.roomEvent(tx, chat.EventRoomDidUpdate, r, "")
	})
	if err == nil && ended != nil && s.media != nil {
		// Committed already: a media server that fails to hang up is its backend's to
		// log; the room is over for every client either way.
		s.media.EndRoom(ctx, ended)
	}
	return err
}

// openLiveChat creates a room's live chat: a public `live` channel attached to the room
// (attachedTo.roomId), named after it unless ch says otherwise, linked back through the
// room's liveChannelId. It runs inside the caller's transaction, through the channels'
// own creation, so the channel and its channel.created event exist only with the room's
// change; the caller saves the room.
func (s *Service) openLiveChat(tx Tx, c *chat.Caller, r *Room, ch *chat.Channel, userIDs []string) (*chat.ChannelPayload, error) {
	if ch == nil {
		ch = chat.NewChannel(c.User.ID, chat.ChannelLive, s.now())
		ch.IsPublic = true
	}
	if ch.DisplayName == "" {
		ch.DisplayName = truncate(r.Title, 100)
	}
	ch.AttachedTo.RoomID = &r.ID
	out, err := s.chat.CreateChannelIn(tx, c, ch, userIDs)
	if err != nil {
		return nil, err
	}
	r.LiveChannelID, r.LiveChatEnabled = &ch.ChannelID, true
	return out, nil
}

// createRoomChannel serves POST /api/v3/channels with {type: 'live', roomId}: the 7.x
// SDK's getLiveChat() makes the chat of a room that has none. Only the room's host (or
// an admin) may (400301); a room that has its chat already is 400900.
func (s *Service) createRoomChannel(tx Tx, c *chat.Caller, roomID string, ch *chat.Channel, userIDs []string) (*chat.ChannelPayload, error) {
	r, err := managedRoom(tx, c, roomID)
	if err != nil {
		return nil, err
	}
	if r.LiveChannelID != nil {
		return nil, chat.Errorf(chat.CodeConflict, "The room already has a live channel.")
	}
	out, err := s.openLiveChat(tx, c, r, ch, userIDs)
	if err != nil {
		return nil, err
	}
	r.UpdatedAt = ch.CreatedAt
	if err := tx.UpdateRoom(r); err != nil {
		return nil, err
	}
	return out, s.roomEvent(tx, chat.EventRoomDidUpdate, r, "")
}

// truncate cuts s to at most n characters.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
