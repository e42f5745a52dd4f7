package chat

import (
	"context"
	"encoding/json"
	"time"
)

// Channel types.
const (
	ChannelCommunity    = "community"
	ChannelLive         = "live"
	ChannelBroadcast    = "broadcast"
	ChannelConversation = "conversation"
)

// Membership values of a channel user. MembershipMuted exists only as a members-list
// filter (members whose mute has not ended).
const (
	MembershipMember = "member"
	MembershipNone   = "none"
	MembershipBanned = "banned"
	MembershipMuted  = "muted"
)

// Notification modes of a channel: silent channels push nothing.
const (
	NotificationDefault   = "default"
	NotificationSilent    = "silent"
	NotificationSubscribe = "subscribe"
)

// NotificationModes is what a channel's notificationMode may be.
var NotificationModes = []string{NotificationDefault, NotificationSilent, NotificationSubscribe}

// Channel is a chat channel in the shape the SDK reads (RawChannel). `_id` and
// channelInternalId are the 24-hex internal id; channelId and channelPublicId are the
// public id the app chose (or the server made).
type Channel struct {
	ID                           string          `json:"_id"`
	ChannelID                    string          `json:"channelId"`
	ChannelInternalID            string          `json:"channelInternalId"`
	ChannelPublicID              string          `json:"channelPublicId"`
	Type                         string          `json:"type"`
	Path                         string          `json:"path"`
	DisplayName                  string          `json:"displayName"`
	AvatarFileID                 *string         `json:"avatarFileId"`
	IsDistinct                   bool            `json:"isDistinct"`
	IsPublic                     bool            `json:"isPublic"`
	IsMuted                      bool            `json:"isMuted"`
	MuteTimeout                  Time            `json:"muteTimeout"` // null unless muted now
	IsRateLimited                bool            `json:"isRateLimited"`
	RateLimit                    int             `json:"rateLimit"`
	RateLimitWindow              int             `json:"rateLimitWindow"`
	RateLimitTimeout             Time            `json:"rateLimitTimeout"`
	MessageAutoDeleteEnabled     bool            `json:"messageAutoDeleteEnabled"`
	AutoDeleteMessageByFlagLimit *int            `json:"autoDeleteMessageByFlagLimit"`
	NotificationMode             string          `json:"notificationMode"`
	MemberCount                  int             `json:"memberCount"`
	ModeratorMemberCount         int             `json:"moderatorMemberCount"`
	MessageCount                 int64           `json:"messageCount"`
	LastActivity                 Time            `json:"lastActivity"`
	MessagePreviewID             *string         `json:"messagePreviewId"`
	Metadata                     json.RawMessage `json:"metadata"`
	Tags                         []string        `json:"tags"`
	AttachedTo                   AttachedTo      `json:"attachedTo"`
	IsDeleted                    bool            `json:"isDeleted"`
	CreatedAt                    Time            `json:"createdAt"`
	UpdatedAt                    Time            `json:"updatedAt"`
	DeletedAt                    Time            `json:"deletedAt"`

	CreatorID   string `json:"-"` // internal id of the creator, exempt from bans
	DistinctKey string `json:"-"` // hash of a distinct conversation's member set
}

// AttachedTo names what a channel belongs to (7.x): a live room, a post or a video stream.
type AttachedTo struct {
	PostID        *string `json:"postId"`
	VideoStreamID *string `json:"videoStreamId"`
	RoomID        *string `json:"roomId"`
}

// Membership is a user's standing in a channel (RawMembership<'channel'>). The store
// fills the internal ids; the public ids are filled when a payload is built.
type Membership struct {
	ChannelID            string   `json:"channelId"` // public id: the SDK keys its cache on it
	ChannelInternalID    string   `json:"channelInternalId"`
	ChannelPublicID      string   `json:"channelPublicId"`
	UserID               string   `json:"userId"` // public id
	UserInternalID       string   `json:"userInternalId"`
	UserPublicID         string   `json:"userPublicId"`
	Membership           string   `json:"membership"`
	IsBanned             bool     `json:"isBanned"`
	IsMuted              bool     `json:"isMuted"`
	MuteTimeout          Time     `json:"muteTimeout"` // null unless muted now
	LastActivity         Time     `json:"lastActivity"`
	Roles                []string `json:"roles"`
	Permissions          []string `json:"permissions"`
	ReadToSegment        int64    `json:"readToSegment"`
	LastMentionedSegment int64    `json:"lastMentionedSegment"`
	CreatedAt            Time     `json:"createdAt"`
	UpdatedAt            Time     `json:"updatedAt"`
}

// ChannelPayload is the answer of every channel call and the data of channel events.
// Every key is always an array: the SDK maps them unconditionally.
type ChannelPayload struct {
	Channels         []Channel         `json:"channels"`
	ChannelUsers     []Membership      `json:"channelUsers"`
	MessagePreviews  []json.RawMessage `json:"messagePreviews"`
	MessageFeedsInfo []json.RawMessage `json:"messageFeedsInfo"`
	Users            []User            `json:"users"`
	Files            []File            `json:"files"`
	Paging           *Paging           `json:"paging,omitempty"`
	// encoded is the payload's JSON when it was encoded once to serve as both an event's
	// data and the answer (see Encoded); nil otherwise.
	encoded []byte
}

// Encoded is the payload's JSON when it was encoded once for both its event and the
// answer, and nil otherwise: the outbox and the HTTP answer then write these bytes
// instead of encoding the payload again. It is set only once nothing changes the payload.
func (p *ChannelPayload) Encoded() []byte {
	if p == nil {
		return nil
	}
	return p.encoded
}

// ChannelStore is the persistence of channels and memberships.
type ChannelStore interface {
	InsertChannel(c *Channel) error
	UpdateChannel(c *Channel) error
	// AddChannelCounts moves the member counters by the given deltas, stamps activity
	// and returns the channel as it now is. It locks the channel's row until the
	// transaction ends: membership changes call it last, before their events.
	AddChannelCounts(id string, members, moderators int, at Time) (*Channel, error)
	ChannelByID(id string) (*Channel, error)
	// ChannelForUpdate reads a channel by public id and holds it against concurrent
	// membership changes until the transaction ends.
	ChannelForUpdate(channelID string) (*Channel, error)
	ChannelByPublicID(channelID string) (*Channel, error)
	ChannelsByPublicIDs(channelIDs []string) ([]Channel, error)
	ChannelByDistinctKey(key string) (*Channel, error)
	ListChannels(q ChannelQuery) ([]Channel, error)

	// Memberships returns the rows that exist for users in a channel (internal ids).
	Memberships(channelID string, userIDs []string) ([]Membership, error)
	// MembershipsForUpdate is Memberships for rows the unit is about to change: the rows
	// that exist are locked until the transaction ends, and a row found missing is later
	// inserted by PutMemberships without replacing one, so that a concurrent unit that
	// inserted it first makes this one fail on the unique key and run again.
	MembershipsForUpdate(channelID string, userIDs []string) ([]Membership, error)
	// MembershipsOfUser returns a user's rows in the given channels.
	MembershipsOfUser(userID string, channelIDs []string) ([]Membership, error)
	// PutMemberships inserts or replaces rows, batched.
	PutMemberships(ms []Membership) error
	ListMemberships(q MemberQuery) ([]Membership, error)
	// MemberIDs lists every user whose membership is 'member'.
	MemberIDs(channelID string) ([]string, error)
}

// ChannelQuery is one page of GET /api/v3/channels.
type ChannelQuery struct {
	Keyword     string
	Filter      string   // all | member | notMember
	Types       []string // empty: every type
	Tags        []string // every one of them
	ExcludeTags []string // none of them
	SortBy      SortBy   // lastActivity | lastCreated | firstCreated | displayName
	IsDeleted   *bool    // nil: both
	Limit       int
	After       *Cursor

	// Set by the service.
	UserID  string // the caller, for membership filters and visibility
	SeesAll bool   // global admins see every channel
}

// MemberQuery is one page of GET /api/v4/channels/{id}/users.
type MemberQuery struct {
	ChannelID   string   // internal id; set by the service
	Memberships []string // member | banned | muted; empty means member
	Roles       []string
	Search      string // displayName keyword
	SortBy      SortBy // lastCreated | firstCreated
	IsDeleted   *bool  // users deleted or not; nil: both
	Limit       int
	After       *Cursor
	Now         Time // for the muted filter
}

// Forever is the muteTimeout of a mute with no end (mutePeriod -1).
var Forever = Time{time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC)}

// ChannelPath is the MQTT topic base of a channel.
func (s *Service) ChannelPath(internalID string) string { return s.networkID + "/chat/" + internalID }

// ChannelMemberIDs lists the internal ids of a channel's members (membership 'member'),
// for the real-time fan-out.
func (s *Service) ChannelMemberIDs(ctx context.Context, channelInternalID string) ([]string, error) {
	var out []string
	err := s.store.Read(ctx, func(tx Tx) error {
		ids, err := tx.MemberIDs(channelInternalID)
		out = ids
		return err
	})
	if out == nil {
		out = []string{}
	}
	return out, err
}

// CanReadChannel tells whether a user may subscribe to a channel's path. The rule is the
// one that governs who may join: members read; global admins read everything; anyone not
// banned may read a community channel and a public live or broadcast channel, since they
// could join it anyway. Banned users, non-members of conversations and of private live or
// broadcast channels, and everyone once a channel is deleted (except admins) may not.
func (s *Service) CanReadChannel(ctx context.Context, userInternalID, channelInternalID string) (bool, error) {
	ok := false
	err := s.store.Read(ctx, func(tx Tx) error {
		ch, err := tx.ChannelByID(channelInternalID)
		if err != nil || ch == nil {
			return err
		}
		u, err := tx.UserByID(userInternalID)
		if err != nil || u == nil || u.IsDeleted || u.IsGlobalBan {
			return err
		}
		if hasRole(u.Roles, RoleGlobalAdmin) {
			ok = true
			return nil
		}
		if ch.IsDeleted {
			return nil
		}
		ms, err := tx.MembershipsOfUser(userInternalID, []string{channelInternalID})
		if err != nil {
			return err
		}
		membership := MembershipNone
		if len(ms) == 1 {
			membership = ms[0].Membership
		}
		ok = membership == MembershipMember || (membership != MembershipBanned && openToAll(ch))
		return nil
	})
	return ok, err
}

// openToAll tells whether anyone not banned may join and read a channel.
func openToAll(ch *Channel) bool {
	switch ch.Type {
	case ChannelCommunity:
		return true
	case ChannelLive, ChannelBroadcast:
		return ch.IsPublic
	}
	return false
}

// decorateChannel fills the derived fields of a channel read from the store.
func (s *Service) decorateChannel(ch *Channel, now Time) {
	ch.ChannelInternalID = ch.ID
	ch.ChannelPublicID = ch.ChannelID
	ch.Path = s.ChannelPath(ch.ID)
	ch.IsMuted = mutedAt(ch.MuteTimeout, now)
	if !ch.IsMuted {
		ch.MuteTimeout = Time{}
	}
	ch.IsRateLimited = !ch.RateLimitTimeout.IsZero() && ch.RateLimitTimeout.After(now.Time)
	if ch.Metadata == nil {
		ch.Metadata = json.RawMessage("{}")
	}
	if ch.Tags == nil {
		ch.Tags = []string{}
	}
}

// mutedAt tells whether a mute that ends at until is still on at now. A timed mute ends
// by itself: nothing has to run when it expires.
func mutedAt(until, now Time) bool { return !until.IsZero() && until.After(now.Time) }
