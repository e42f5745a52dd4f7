package chat

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
	"strings"
	"time"
)

// CreateChannelInput is the body of POST /api/v3/channels.
type CreateChannelInput struct {
	ChannelID                    *string          `json:"channelId"`
	Type                         *string          `json:"type"`
	DisplayName                  *string          `json:"displayName"`
	AvatarFileID                 *string          `json:"avatarFileId"`
	Metadata                     *json.RawMessage `json:"metadata"`
	Tags                         []string         `json:"tags"`
	UserIDs                      []string         `json:"userIds"`
	IsMuted                      *bool            `json:"isMuted"`
	MessageAutoDeleteEnabled     *bool            `json:"messageAutoDeleteEnabled"`
	AutoDeleteMessageByFlagLimit *int             `json:"autoDeleteMessageByFlagLimit"`
	IsPublic                     *bool            `json:"isPublic"`
	NotificationMode             *string          `json:"notificationMode"`
	VideoStreamID                *string          `json:"videoStreamId"`
	PostID                       *string          `json:"postId"`
	RoomID                       *string          `json:"roomId"` // a live room's chat (7.x getLiveChat)
}

// CreateChannel answers POST /api/v3/channels: a community, live or broadcast channel
// whose creator is its first moderator, with the listed users as members.
func (s *Service) CreateChannel(ctx context.Context, c *Caller, in CreateChannelInput) (*ChannelPayload, error) {
	var p Problems
	p.Text("channelId", in.ChannelID, 1, 100)
	p.OneOf("type", in.Type, ChannelCommunity, ChannelLive, ChannelBroadcast)
	p.Text("displayName", in.DisplayName, 0, 100)
	p.Text("avatarFileId", in.AvatarFileID, 0, 50)
	p.Metadata("metadata", in.Metadata)
	p.List("tags", in.Tags, 0, 10, 1, 100)
	p.List("userIds", in.UserIDs, 0, 1000, 1, 50)
	p.Range("autoDeleteMessageByFlagLimit", in.AutoDeleteMessageByFlagLimit, 1, 1000)
	p.OneOf("notificationMode", in.NotificationMode, NotificationModes...)
	p.Text("videoStreamId", in.VideoStreamID, 1, 100)
	p.Text("postId", in.PostID, 1, 100)
	if (in.VideoStreamID == nil) != (in.PostID == nil) {
		p.Add("videoStreamId", "and postId must be given together")
	}
	p.Text("roomId", in.RoomID, 1, 50)
	if in.RoomID != nil && deref(in.Type, ChannelCommunity) != ChannelLive {
		p.Add("roomId", "is only for live channels")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if c.User == nil {
		return nil, PermissionDenied()
	}
	now := s.now()
	ch := newChannel(c.User.ID, deref(in.Type, ChannelCommunity), now)
	if in.ChannelID != nil {
		ch.ChannelID = *in.ChannelID
	}
	ch.IsPublic = deref(in.IsPublic, ch.Type == ChannelCommunity || in.RoomID != nil) // a room's chat is for its viewers
	ch.MessageAutoDeleteEnabled = deref(in.MessageAutoDeleteEnabled, false)
	ch.AutoDeleteMessageByFlagLimit = in.AutoDeleteMessageByFlagLimit
	ch.NotificationMode = deref(in.NotificationMode, NotificationDefault)
	if deref(in.IsMuted, false) {
		ch.MuteTimeout = Forever
	}
	ch.AttachedTo.PostID, ch.AttachedTo.VideoStreamID = in.PostID, in.VideoStreamID
	applyChannelProfile(ch, in.DisplayName, in.AvatarFileID, in.Metadata, in.Tags)
	var out *ChannelPayload
	err := s.store.Write(ctx, func(tx Tx) error {
		var err error
		if in.RoomID != nil {
			if s.roomChats == nil {
				return NotFound("Room")
			}
			out, err = s.roomChats.CreateRoomChat(tx, c, *in.RoomID, ch, in.UserIDs)
			return err
		}
		out, err = s.createChannel(tx, c, ch, in.UserIDs)
		return err
	})
	return out, err
}

// RoomChats makes a room's live chat for POST /api/v3/channels with {type: 'live',
// roomId}. Rooms live in internal/room, which imports chat; this is how channel
// creation reaches them without chat importing room. It runs inside the channel's unit
// of work.
type RoomChats interface {
	CreateRoomChat(tx Tx, c *Caller, roomID string, ch *Channel, userIDs []string) (*ChannelPayload, error)
}

// SetRoomChats names who makes rooms' live chats; set once, before the service serves.
func (s *Service) SetRoomChats(r RoomChats) { s.roomChats = r }

// newChannel fills a channel as it is when created.
func newChannel(creatorID, typ string, now Time) *Channel {
	id := NewID()
	return &Channel{ID: id, ChannelID: id, Type: typ, CreatorID: creatorID, NotificationMode: NotificationDefault,
		Metadata: json.RawMessage("{}"), Tags: []string{}, LastActivity: now, CreatedAt: now, UpdatedAt: now}
}

// createChannel stores a new channel with the caller as moderator and the named users as
// members, and appends channel.created. Any unknown user id refuses the whole channel.
func (s *Service) createChannel(tx Tx, c *Caller, ch *Channel, userIDs []string) (*ChannelPayload, error) {
	if existing, err := tx.ChannelByPublicID(ch.ChannelID); err != nil {
		return nil, err
	} else if existing != nil {
		return nil, Errorf(CodeConflict, "Channel %q already exists.", ch.ChannelID)
	}
	if ch.AvatarFileID != nil {
		if err := s.requireImage(tx, *ch.AvatarFileID); err != nil {
			return nil, err
		}
	}
	users, err := targetUsers(tx, userIDs)
	if err != nil {
		return nil, err
	}
	now := ch.CreatedAt
	members := []Membership{newMember(ch.ID, c.User.ID, []string{RoleChannelModerator}, now)}
	for _, u := range users {
		if u.ID != c.User.ID {
			members = append(members, newMember(ch.ID, u.ID, []string{}, now))
		}
	}
	ch.MemberCount, ch.ModeratorMemberCount = len(members), 1
	if err := tx.InsertChannel(ch); err != nil {
		return nil, err
	}
	if err := tx.PutMemberships(members); err != nil {
		return nil, err
	}
	own := members[:1]
	if ch.Type == ChannelConversation {
		own = members
	}
	out, err := s.channelPayload(tx, []Channel{*ch}, own)
	if err != nil {
		return nil, err
	}
	return out, tx.AppendEvent(Event{Type: EventChannelCreated, ChannelID: ch.ID, UserIDs: memberIDs(members), Data: out})
}

func newMember(channelID, userID string, roles []string, now Time) Membership {
	return Membership{ChannelInternalID: channelID, UserInternalID: userID, Membership: MembershipMember,
		Roles: roles, LastActivity: now, CreatedAt: now, UpdatedAt: now}
}

func memberIDs(ms []Membership) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.UserInternalID
	}
	return out
}

// targetUsers resolves public user ids. One unknown or deleted user refuses the request,
// so that nothing is half-applied.
func targetUsers(tx Tx, userIDs []string) ([]User, error) {
	ids := Unique(userIDs)
	users, err := tx.UsersByPublicIDs(ids)
	if err != nil {
		return nil, err
	}
	live := users[:0]
	for _, u := range users {
		if !u.IsDeleted {
			live = append(live, u)
		}
	}
	if len(live) != len(ids) {
		return nil, NotFound("User")
	}
	return live, nil
}

func applyChannelProfile(ch *Channel, displayName, avatarFileID *string, metadata *json.RawMessage, tags []string) {
	if displayName != nil {
		ch.DisplayName = *displayName
	}
	if avatarFileID != nil {
		ch.AvatarFileID = emptyToNil(*avatarFileID)
	}
	if metadata != nil {
		ch.Metadata = *metadata
	}
	if tags != nil {
		ch.Tags = Unique(tags)
	}
}

func deref[T any](v *T, def T) T {
	if v == nil {
		return def
	}
	return *v
}

// ConversationInput is the body of POST /api/v3/channels/conversation.
type ConversationInput struct {
	ChannelID    *string          `json:"channelId"`
	Type         *string          `json:"type"`
	UserIDs      []string         `json:"userIds"`
	IsDistinct   *bool            `json:"isDistinct"`
	DisplayName  *string          `json:"displayName"`
	AvatarFileID *string          `json:"avatarFileId"`
	Metadata     *json.RawMessage `json:"metadata"`
	Tags         []string         `json:"tags"`
}

// MaxConversationUsers bounds the users named when a conversation is created (Amity's limit).
const MaxConversationUsers = 10

// CreateConversation answers POST /api/v3/channels/conversation. A distinct conversation
// (the default) is one per member set: asking again for the same set returns the same
// channel, bringing back any of the set who had left.
func (s *Service) CreateConversation(ctx context.Context, c *Caller, in ConversationInput) (*ChannelPayload, error) {
	var p Problems
	p.Text("channelId", in.ChannelID, 1, 100)
	p.OneOf("type", in.Type, ChannelConversation)
	if in.UserIDs == nil {
		p.Add("userIds", "is required")
	}
	p.List("userIds", in.UserIDs, 1, MaxConversationUsers, 1, 50)
	p.Text("displayName", in.DisplayName, 0, 100)
	p.Text("avatarFileId", in.AvatarFileID, 0, 50)
	p.Metadata("metadata", in.Metadata)
	p.List("tags", in.Tags, 0, 10, 1, 100)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if c.User == nil {
		return nil, PermissionDenied()
	}
	now := s.now()
	ch := newChannel(c.User.ID, ChannelConversation, now)
	if in.ChannelID != nil {
		ch.ChannelID = *in.ChannelID
	}
	ch.IsDistinct = deref(in.IsDistinct, true)
	applyChannelProfile(ch, in.DisplayName, in.AvatarFileID, in.Metadata, in.Tags)
	var out *ChannelPayload
	err := s.store.Write(ctx, func(tx Tx) error {
		users, err := targetUsers(tx, in.UserIDs)
		if err != nil {
			return err
		}
		set := []string{c.User.ID}
		for _, u := range users {
			set = append(set, u.ID)
		}
		set = Unique(set)
		if err := conversationBlockRule(tx, c, set); err != nil {
			return err
		}
		if ch.IsDistinct {
			ch.DistinctKey = distinctKey(set)
			existing, err := tx.ChannelByDistinctKey(ch.DistinctKey)
			if err != nil {
				return err
			}
			if existing != nil {
				out, err = s.reopenConversation(tx, c, existing, set, now)
				return err
			}
		}
		out, err = s.createChannel(tx, c, ch, in.UserIDs)
		return err
	})
	return out, err
}

// distinctKey identifies a member set whatever order it was named in.
func distinctKey(internalIDs []string) string {
	ids := append([]string(nil), internalIDs...)
	sort.Strings(ids)
	sum := sha256.Sum256([]byte(strings.Join(ids, ",")))
	return hex.EncodeToString(sum[:])
}

// reopenConversation answers a repeated distinct conversation: the same channel, with
// whoever of its member set had left made a member again.
func (s *Service) reopenConversation(tx Tx, c *Caller, ch *Channel, set []string, now Time) (*ChannelPayload, error) {
	ch, err := tx.ChannelForUpdate(ch.ChannelID)
	if err != nil {
		return nil, err
	}
	rows, err := tx.Memberships(ch.ID, set)
	if err != nil {
		return nil, err
	}
	have := map[string]Membership{}
	for _, m := range rows {
		have[m.UserInternalID] = m
	}
	var back []Membership
	for _, id := range set {
		m, ok := have[id]
		if !ok {
			m = noMembership(ch.ID, id, now)
		}
		if m.Membership == MembershipNone {
			m.Membership, m.Roles, m.CreatedAt = MembershipMember, []string{}, now
			m.LastActivity, m.UpdatedAt = now, now
			back = append(back, m)
		}
	}
	if len(back) > 0 {
		if err := s.applyMembers(tx, ch, rows, back, now); err != nil {
			return nil, err
		}
		ev, err := s.channelPayload(tx, []Channel{*ch}, back)
		if err != nil {
			return nil, err
		}
		if err := tx.AppendEvent(Event{Type: EventChannelMembersAdded, ChannelID: ch.ID, UserIDs: memberIDs(back), Data: ev}); err != nil {
			return nil, err
		}
	}
	return s.ownPayload(tx, c, []Channel{*ch})
}

// canSee tells whether a caller may read a channel object: global admins, its members
// and banned users (who must see their ban), and anyone for channels open to all.
func canSee(c *Caller, ch *Channel, own Membership) bool {
	return c.IsAdmin() || own.Membership == MembershipMember || own.Membership == MembershipBanned || openToAll(ch)
}

// visibleChannel loads a channel by public id, deleted or not, with the caller's own
// membership rows (ownMemberships: none for a caller without a user), and refuses a
// caller who may not see it (canSee; a caller without a user only if a global admin).
// Channel reads that answer about one channel start here, so they refuse alike.
func (s *Service) visibleChannel(tx Tx, c *Caller, channelID string) (*Channel, []Membership, error) {
	ch, err := tx.ChannelByPublicID(channelID)
	if err != nil {
		return nil, nil, err
	}
	if ch == nil {
		return nil, nil, NotFound("Channel")
	}
	own, err := s.ownMemberships(tx, c, []Channel{*ch})
	if err != nil {
		return nil, nil, err
	}
	if len(own) == 1 && !canSee(c, ch, own[0]) || len(own) == 0 && !c.IsAdmin() {
		return nil, nil, PermissionDenied()
	}
	return ch, own, nil
}

// GetChannel answers GET /api/v3/channels/{channelId}; deleted channels are answered too,
// with isDeleted true, since the SDK's deleteChannel reads the channel back.
func (s *Service) GetChannel(ctx context.Context, c *Caller, channelID string) (*ChannelPayload, error) {
	var out *ChannelPayload
	err := s.store.Read(ctx, func(tx Tx) error {
		ch, own, err := s.visibleChannel(tx, c, channelID)
		if err != nil {
			return err
		}
		out, err = s.ownPayloadWith(tx, c, []Channel{*ch}, own)
		return err
	})
	return out, err
}

// GetChannels answers GET /api/v3/channels/list: the channels that exist and the caller
// may see, in the order asked; the others are left out.
func (s *Service) GetChannels(ctx context.Context, c *Caller, channelIDs []string) (*ChannelPayload, error) {
	var p Problems
	p.List("channelIds", channelIDs, 1, 100, 1, 100)
	if err := p.Err(); err != nil {
		return nil, err
	}
	var out *ChannelPayload
	err := s.store.Read(ctx, func(tx Tx) error {
		found, err := tx.ChannelsByPublicIDs(Unique(channelIDs))
		if err != nil {
			return err
		}
		own, err := s.ownMemberships(tx, c, found)
		if err != nil {
			return err
		}
		visible := found[:0]
		for i := range found {
			if i < len(own) && canSee(c, &found[i], own[i]) || len(own) == 0 && c.IsAdmin() {
				visible = append(visible, found[i])
			}
		}
		out, err = s.ownPayload(tx, c, visible)
		return err
	})
	return out, err
}

// QueryChannels answers GET /api/v3/channels.
func (s *Service) QueryChannels(ctx context.Context, c *Caller, q ChannelQuery) (*ChannelPayload, error) {
	var p Problems
	p.Text("keyword", &q.Keyword, 0, 100)
	p.OneOf("filter", &q.Filter, ChannelFilters...)
	OneOf(&p, "sortBy", &q.SortBy, ChannelSorts...)
	p.List("types", q.Types, 0, 10, 1, 20)
	for i, t := range q.Types {
		switch t { // the deprecated names of community and live
		case "standard":
			q.Types[i] = ChannelCommunity
		case "private":
			q.Types[i] = ChannelLive
		case ChannelCommunity, ChannelLive, ChannelBroadcast, ChannelConversation:
		default:
			p.Add("types", "has an unknown channel type %q", t)
		}
	}
	p.List("tags", q.Tags, 0, 10, 1, 100)
	p.List("excludeTags", q.ExcludeTags, 0, 10, 1, 100)
	if err := p.Err(); err != nil {
		return nil, err
	}
	q.Keyword = strings.ToLower(q.Keyword)
	q.Types = Unique(q.Types)
	if c.User != nil {
		q.UserID = c.User.ID
	}
	q.SeesAll = c.IsAdmin()
	var out *ChannelPayload
	err := s.store.Read(ctx, func(tx Tx) error {
		channels, paging, err := fetchPage(q.Limit,
			func(n int) ([]Channel, error) { q.Limit = n; return tx.ListChannels(q) },
			func(ch Channel) *Cursor { return channelCursor(ch, q.SortBy) })
		if err != nil {
			return err
		}
		out, err = s.ownPayload(tx, c, channels)
		if err != nil {
			return err
		}
		out.Paging = paging
		return nil
	})
	return out, err
}

func channelCursor(ch Channel, sortBy SortBy) *Cursor {
	switch sortBy {
	case SortDisplayName:
		return &Cursor{S: strings.ToLower(ch.DisplayName), ID: ch.ID}
	case SortLastCreated, SortFirstCreated:
		return &Cursor{N: ch.CreatedAt.Millis(), ID: ch.ID}
	}
	return &Cursor{N: ch.LastActivity.Millis(), ID: ch.ID}
}

// UpdateChannelInput is the body of PUT /api/v3/channels/{channelId}.
type UpdateChannelInput struct {
	DisplayName                  *string          `json:"displayName"`
	AvatarFileID                 *string          `json:"avatarFileId"`
	Metadata                     *json.RawMessage `json:"metadata"`
	Tags                         []string         `json:"tags"`
	MessageAutoDeleteEnabled     *bool            `json:"messageAutoDeleteEnabled"`
	AutoDeleteMessageByFlagLimit *int             `json:"autoDeleteMessageByFlagLimit"`
	NotificationMode             *string          `json:"notificationMode"`
}

// UpdateChannel answers PUT /api/v3/channels/{channelId}; it needs EDIT_CHANNEL.
func (s *Service) UpdateChannel(ctx context.Context, c *Caller, channelID string, in UpdateChannelInput) (*ChannelPayload, error) {
	var p Problems
	p.Text("displayName", in.DisplayName, 0, 100)
	p.Text("avatarFileId", in.AvatarFileID, 0, 50)
	p.Metadata("metadata", in.Metadata)
	p.List("tags", in.Tags, 0, 10, 1, 100)
	p.Range("autoDeleteMessageByFlagLimit", in.AutoDeleteMessageByFlagLimit, 1, 1000)
	p.OneOf("notificationMode", in.NotificationMode, NotificationModes...)
	if err := p.Err(); err != nil {
		return nil, err
	}
	var out *ChannelPayload
	err := s.store.Write(ctx, func(tx Tx) error {
		ch, own, err := s.channelAndOwn(tx, c, channelID)
		if err != nil {
			return err
		}
		if !c.CanIn(own.rolesIfMember(), PermEditChannel) {
			return PermissionDenied()
		}
		if in.AvatarFileID != nil && *in.AvatarFileID != "" {
			if err := s.requireImage(tx, *in.AvatarFileID); err != nil {
				return err
			}
		}
		applyChannelProfile(ch, in.DisplayName, in.AvatarFileID, in.Metadata, in.Tags)
		if in.MessageAutoDeleteEnabled != nil {
			ch.MessageAutoDeleteEnabled = *in.MessageAutoDeleteEnabled
		}
		if in.AutoDeleteMessageByFlagLimit != nil {
			ch.AutoDeleteMessageByFlagLimit = in.AutoDeleteMessageByFlagLimit
		}
		if in.NotificationMode != nil {
			ch.NotificationMode = *in.NotificationMode
		}
		ch.UpdatedAt = s.now()
		if err := tx.UpdateChannel(ch); err != nil {
			return err
		}
		out, err = s.ownPayload(tx, c, []Channel{*ch})
		if err != nil {
			return err
		}
		return tx.AppendEvent(Event{Type: EventChannelUpdated, ChannelID: ch.ID, Data: out})
	})
	return out, err
}

// DeleteChannel answers DELETE /api/v3/channels/{channelId}; it needs CLOSE_CHANNEL. The
// channel is kept, marked deleted, so that GET still answers it; a distinct conversation's
// member set is freed for a new one.
func (s *Service) DeleteChannel(ctx context.Context, c *Caller, channelID string) error {
	return s.store.Write(ctx, func(tx Tx) error {
		ch, own, err := s.channelAndOwn(tx, c, channelID)
		if err != nil {
			return err
		}
		if !c.CanIn(own.rolesIfMember(), PermCloseChannel) {
			return PermissionDenied()
		}
		now := s.now()
		ch.IsDeleted, ch.DeletedAt, ch.UpdatedAt, ch.DistinctKey = true, now, now, ""
		if err := tx.UpdateChannel(ch); err != nil {
			return err
		}
		out, err := s.channelPayload(tx, []Channel{*ch}, nil)
		if err != nil {
			return err
		}
		return tx.AppendEvent(Event{Type: EventChannelDeleted, ChannelID: ch.ID, Data: out})
	})
}

// channelAndOwn reads a live channel for a change, held against concurrent changes, with
// the caller's membership in it. A deleted channel is not found.
func (s *Service) channelAndOwn(tx Tx, c *Caller, channelID string) (*Channel, Membership, error) {
	ch, err := tx.ChannelForUpdate(channelID)
	return s.liveChannelAndOwn(tx, c, ch, err, false)
}

// channelToChange is channelAndOwn for the membership changes that lock the channel
// last (members.go): the channel is read without a lock, and the caller's own row is
// locked only when it is the row the unit changes (lockOwn: join, leave). A caller
// acting on others is not locked, so that one moderator's concurrent requests do not
// queue on their own row; their permission is the one they held when the unit read it.
func (s *Service) channelToChange(tx Tx, c *Caller, channelID string, lockOwn bool) (*Channel, Membership, error) {
	ch, err := tx.ChannelByPublicID(channelID)
	return s.liveChannelAndOwn(tx, c, ch, err, lockOwn)
}

// liveChannelAndOwn is the common tail of channelAndOwn and channelToChange: a deleted
// or missing channel is not found; then the caller's membership in it, locked when
// lockOwn (a caller without a user has none).
func (s *Service) liveChannelAndOwn(tx Tx, c *Caller, ch *Channel, err error, lockOwn bool) (*Channel, Membership, error) {
	if err != nil {
		return nil, Membership{}, err
	}
	if ch == nil || ch.IsDeleted {
		return nil, Membership{}, NotFound("Channel")
	}
	if c.User == nil {
		return ch, noMembership(ch.ID, "", ch.CreatedAt), nil
	}
	if !lockOwn {
		own, err := s.ownMemberships(tx, c, []Channel{*ch})
		if err != nil {
			return nil, Membership{}, err
		}
		return ch, own[0], nil
	}
	rows, err := tx.MembershipsForUpdate(ch.ID, []string{c.User.ID})
	if err != nil {
		return nil, Membership{}, err
	}
	if len(rows) == 0 {
		return ch, noMembership(ch.ID, c.User.ID, ch.CreatedAt), nil
	}
	return ch, rows[0], nil
}

// rolesIfMember are the channel roles that count for permissions: only a member's.
func (m Membership) rolesIfMember() []string {
	if m.Membership != MembershipMember {
		return nil
	}
	return m.Roles
}

// MaxMutePeriod bounds a timed mute (about 100 years, in milliseconds).
const MaxMutePeriod = int64(100 * 365 * 24 * time.Hour / time.Millisecond)
