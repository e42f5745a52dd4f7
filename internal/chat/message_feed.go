package chat

import (
	"context"
	"encoding/json"
)

// MessageFeed is a sub-channel in the shape the SDK reads (RawSubChannel). Every channel
// has a default feed whose id is the channel's internal id; more can be created.
type MessageFeed struct {
	ID                   string  `json:"_id"`
	MessageFeedID        string  `json:"messageFeedId"`
	ChannelID            string  `json:"channelId"` // internal id
	ChannelPublicID      string  `json:"channelPublicId"`
	ChannelType          string  `json:"channelType"`
	Name                 string  `json:"name"`
	IsDefault            bool    `json:"isDefault"`
	ChildCount           int64   `json:"childCount"` // messages sent: the last segment
	LastSegment          int64   `json:"lastSegment"`
	CreatorID            string  `json:"creatorId"`
	CreatorPublicID      string  `json:"creatorPublicId"`
	LastMessageID        *string `json:"lastMessageId"`
	LastMessageTimestamp Time    `json:"lastMessageTimestamp"`
	MessagePreviewID     *string `json:"messagePreviewId"`
	Path                 string  `json:"path"`
	IsDeleted            bool    `json:"isDeleted"`
	CreatedAt            Time    `json:"createdAt"`
	UpdatedAt            Time    `json:"updatedAt"`
	EditedAt             Time    `json:"editedAt"`
	DeletedAt            Time    `json:"deletedAt"`

	// ChannelMentionSegment is the last segment that mentioned the whole channel.
	ChannelMentionSegment int64 `json:"-"`
}

// SubChannelPayload is the answer of the message-feed calls. `messages` holds the feeds'
// preview messages and must be an array.
type SubChannelPayload struct {
	MessageFeeds []MessageFeed `json:"messageFeeds"`
	Messages     []Message     `json:"messages"`
	Users        []User        `json:"users"`
	Files        []File        `json:"files"`
	Paging       *Paging       `json:"paging,omitempty"`
}

// MessageFeedStore is the persistence of message feeds.
type MessageFeedStore interface {
	InsertMessageFeed(f *MessageFeed) error
	UpdateMessageFeed(f *MessageFeed) error
	MessageFeedByID(id string) (*MessageFeed, error)
	// MessageFeedsByIDs returns the feeds that exist, in the order asked.
	MessageFeedsByIDs(ids []string) ([]MessageFeed, error)
	ListMessageFeeds(q FeedQuery) ([]MessageFeed, error)
	// NextSegment takes the next segment of a feed and records messageID as its newest
	// message, in one statement, so concurrent senders never share or skip a number.
	NextSegment(feedID, messageID string, at Time) (int64, error)
	// AddChannelMessage counts a new message in its channel and makes it the preview.
	AddChannelMessage(channelID, messageID string, at Time) error
	// MarkChannelMention records that a message mentioned every member of the feed's channel.
	MarkChannelMention(feedID string, segment int64) error
}

// FeedQuery is one page of GET /api/v5/message-feeds/channel/{channelId}.
type FeedQuery struct {
	ChannelID      string
	ExcludeDefault bool
	IsDeleted      *bool
	Limit          int
	After          *Cursor
}

// MessageFeedPath is the MQTT topic base of a feed: under its channel's path, so that a
// subscription to the channel covers it.
func (s *Service) MessageFeedPath(channelID, feedID string) string {
	return s.ChannelPath(channelID) + "/feed/" + feedID
}

// DefaultFeed is the feed every channel is created with.
func DefaultFeed(ch *Channel) *MessageFeed {
	return &MessageFeed{ID: ch.ID, ChannelID: ch.ID, Name: "default", IsDefault: true, CreatorID: ch.CreatorID,
		CreatedAt: ch.CreatedAt, UpdatedAt: ch.CreatedAt}
}

// readFeed loads a live feed with its live channel, and checks that the caller may read it.
func (s *Service) readFeed(tx Tx, c *Caller, feedID string) (*MessageFeed, *Channel, Membership, error) {
	f, err := tx.MessageFeedByID(feedID)
	if err != nil {
		return nil, nil, Membership{}, err
	}
	if f == nil || f.IsDeleted {
		return nil, nil, Membership{}, NotFound("MessageFeed")
	}
	ch, own, err := s.readableChannel(tx, c, f.ChannelID)
	return f, ch, own, err
}

// readableChannel loads a live channel by internal id with the caller's membership, and
// checks that the caller may read its messages: the rule of CanReadChannel.
func (s *Service) readableChannel(tx Tx, c *Caller, channelID string) (*Channel, Membership, error) {
	ch, err := tx.ChannelByID(channelID)
	if err != nil {
		return nil, Membership{}, err
	}
	if ch == nil || ch.IsDeleted {
		return nil, Membership{}, NotFound("Channel")
	}
	own := noMembership(ch.ID, "", ch.CreatedAt)
	if c.User != nil {
		ms, err := tx.MembershipsOfUser(c.User.ID, []string{ch.ID})
		if err != nil {
			return nil, Membership{}, err
		}
		if len(ms) == 1 {
			own = ms[0]
		}
	}
	if own.Membership == MembershipBanned && !c.IsAdmin() {
		return nil, Membership{}, Errorf(CodeUserBanned, "User is banned from this channel.")
	}
	if !canReadMessages(c, ch, own) {
		return nil, Membership{}, PermissionDenied()
	}
	return ch, own, nil
}

// canReadMessages: members and global admins read; anyone not banned reads a channel
// open to all (they could join it).
func canReadMessages(c *Caller, ch *Channel, own Membership) bool {
	if c.IsAdmin() || own.Membership == MembershipMember {
		return true
	}
	return own.Membership != MembershipBanned && openToAll(ch)
}

// feedPayload builds a SubChannelPayload: the feeds, their preview messages, and the
// users and files those reference.
func (s *Service) feedPayload(tx Tx, c *Caller, feeds []MessageFeed, channels map[string]*Channel) (*SubChannelPayload, error) {
	var previewIDs []string
	for i := range feeds {
		s.decorateFeed(&feeds[i], channels[feeds[i].ChannelID])
		if feeds[i].LastMessageID != nil {
			previewIDs = append(previewIDs, *feeds[i].LastMessageID)
		}
	}
	previews, err := tx.MessagesByIDs(previewIDs)
	if err != nil {
		return nil, err
	}
	mp, err := s.messagePayload(tx, c, previews, channels)
	if err != nil {
		return nil, err
	}
	creators := make([]string, 0, len(feeds))
	for _, f := range feeds {
		creators = append(creators, f.CreatorID)
	}
	users, err := s.addUsers(tx, mp.Users, creators)
	if err != nil {
		return nil, err
	}
	byID := map[string]string{}
	for _, u := range users {
		byID[u.ID] = u.UserID
	}
	for i := range feeds {
		feeds[i].CreatorPublicID = byID[feeds[i].CreatorID]
	}
	if feeds == nil {
		feeds = []MessageFeed{}
	}
	return &SubChannelPayload{MessageFeeds: feeds, Messages: mp.Messages, Users: users, Files: mp.Files}, nil
}

// decorateFeed fills the derived fields of a feed.
func (s *Service) decorateFeed(f *MessageFeed, ch *Channel) {
	f.MessageFeedID = f.ID
	f.ChildCount = f.LastSegment
	f.MessagePreviewID = f.LastMessageID
	f.Path = s.MessageFeedPath(f.ChannelID, f.ID)
	if ch != nil {
		f.ChannelPublicID, f.ChannelType = ch.ChannelID, ch.Type
	}
}

// GetMessageFeed answers GET /api/v5/message-feeds/{messageFeedId}. The SDK calls it
// implicitly (previews, startReading) and crashes a Node process if it fails, so every
// readable feed answers.
func (s *Service) GetMessageFeed(ctx context.Context, c *Caller, feedID string) (*SubChannelPayload, error) {
	var out *SubChannelPayload
	err := s.store.Read(ctx, func(tx Tx) error {
		f, ch, _, err := s.readFeed(tx, c, feedID)
		if err != nil {
			return err
		}
		out, err = s.feedPayload(tx, c, []MessageFeed{*f}, map[string]*Channel{ch.ID: ch})
		return err
	})
	return out, err
}

// GetMessageFeeds answers GET /api/v5/message-feeds/list: the readable feeds among those
// asked, in the order asked.
func (s *Service) GetMessageFeeds(ctx context.Context, c *Caller, feedIDs []string) (*SubChannelPayload, error) {
	var p Problems
	p.List("messageFeedIds", feedIDs, 1, MaxPageSize, 1, 100)
	if err := p.Err(); err != nil {
		return nil, err
	}
	var out *SubChannelPayload
	err := s.store.Read(ctx, func(tx Tx) error {
		found, err := tx.MessageFeedsByIDs(Unique(feedIDs))
		if err != nil {
			return err
		}
		channels := map[string]*Channel{}
		var feeds []MessageFeed
		for _, f := range found {
			ch, ok := channels[f.ChannelID]
			if !ok {
				ch, _, err = s.readableChannel(tx, c, f.ChannelID)
				if err != nil && !isRefusal(err) {
					return err
				}
				channels[f.ChannelID] = ch // nil when unreadable
			}
			if ch != nil && !f.IsDeleted {
				feeds = append(feeds, f)
			}
		}
		out, err = s.feedPayload(tx, c, feeds, channels)
		return err
	})
	return out, err
}

// isRefusal tells a not-found or forbidden answer from a failure.
func isRefusal(err error) bool {
	e, ok := AsError(err)
	return ok && (e.Code == CodeNotFound || e.Code == CodePermissionDenied || e.Code == CodeForbidden || e.Code == CodeUserBanned)
}

// QueryMessageFeeds answers GET /api/v5/message-feeds/channel/{channelId}; the channel is
// named by its internal id (the SDK passes channel.channelId, which Parley's clients may
// also give as the public id, so both are accepted).
func (s *Service) QueryMessageFeeds(ctx context.Context, c *Caller, channelID string, q FeedQuery) (*SubChannelPayload, error) {
	var out *SubChannelPayload
	err := s.store.Read(ctx, func(tx Tx) error {
		ch, err := channelByAnyID(tx, channelID)
		if err != nil {
			return err
		}
		ch, _, err = s.readableChannel(tx, c, ch.ID)
		if err != nil {
			return err
		}
		q.ChannelID = ch.ID
		feeds, paging, err := fetchPage(q.Limit,
			func(n int) ([]MessageFeed, error) { q.Limit = n; return tx.ListMessageFeeds(q) },
			func(v MessageFeed) *Cursor { return &Cursor{N: v.CreatedAt.Millis(), ID: v.ID} })
		if err != nil {
			return err
		}
		out, err = s.feedPayload(tx, c, feeds, map[string]*Channel{ch.ID: ch})
		if err != nil {
			return err
		}
		out.Paging = paging
		return nil
	})
	return out, err
}

// channelByAnyID finds a channel by internal id, else by public id.
func channelByAnyID(tx Tx, id string) (*Channel, error) {
	if IsID(id) {
		ch, err := tx.ChannelByID(id)
		if err != nil || ch != nil {
			return ch, err
		}
	}
	ch, err := tx.ChannelByPublicID(id)
	if err != nil {
		return nil, err
	}
	if ch == nil {
		return nil, NotFound("Channel")
	}
	return ch, nil
}

// MessageFeedInput is the body of POST and PUT /api/v5/message-feeds.
type MessageFeedInput struct {
	ChannelID *string          `json:"channelId"`
	Name      *string          `json:"name"`
	Metadata  *json.RawMessage `json:"metadata"`
}

// CreateMessageFeed answers POST /api/v5/message-feeds: members (and admins) add a
// sub-channel to a channel.
func (s *Service) CreateMessageFeed(ctx context.Context, c *Caller, in MessageFeedInput) (*SubChannelPayload, error) {
	var p Problems
	p.Required("channelId", in.ChannelID, 1, 100)
	p.Required("name", in.Name, 1, 100)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if c.User == nil {
		return nil, PermissionDenied()
	}
	var out *SubChannelPayload
	err := s.store.Write(ctx, func(tx Tx) error {
		ch, err := channelByAnyID(tx, *in.ChannelID)
		if err != nil {
			return err
		}
		ch, own, err := s.readableChannel(tx, c, ch.ID)
		if err != nil {
			return err
		}
		if own.Membership != MembershipMember && !c.IsAdmin() {
			return PermissionDenied()
		}
		now := s.now()
		f := &MessageFeed{ID: NewID(), ChannelID: ch.ID, Name: *in.Name, CreatorID: c.User.ID, CreatedAt: now, UpdatedAt: now}
		if err := tx.InsertMessageFeed(f); err != nil {
			return err
		}
		out, err = s.feedEvent(tx, c, EventMessageFeedCreated, f, ch)
		return err
	})
	return out, err
}

// UpdateMessageFeed answers PUT /api/v5/message-feeds/{id}: its creator or whoever may
// edit the channel renames it.
func (s *Service) UpdateMessageFeed(ctx context.Context, c *Caller, feedID string, in MessageFeedInput) (*SubChannelPayload, error) {
	var p Problems
	p.Required("name", in.Name, 1, 100)
	if err := p.Err(); err != nil {
		return nil, err
	}
	var out *SubChannelPayload
	err := s.store.Write(ctx, func(tx Tx) error {
		f, ch, err := s.ownedFeed(tx, c, feedID)
		if err != nil {
			return err
		}
		now := s.now()
		f.Name, f.UpdatedAt, f.EditedAt = *in.Name, now, now
		if err := tx.UpdateMessageFeed(f); err != nil {
			return err
		}
		out, err = s.feedEvent(tx, c, EventMessageFeedUpdated, f, ch)
		return err
	})
	return out, err
}

// DeleteMessageFeed answers DELETE /api/v5/message-feeds/{id}. The default feed lives as
// long as its channel.
func (s *Service) DeleteMessageFeed(ctx context.Context, c *Caller, feedID string) (*SubChannelPayload, error) {
	var out *SubChannelPayload
	err := s.store.Write(ctx, func(tx Tx) error {
		f, ch, err := s.ownedFeed(tx, c, feedID)
		if err != nil {
			return err
		}
		if f.IsDefault {
			return Errorf(CodeForbidden, "The default message feed cannot be deleted.")
		}
		now := s.now()
		f.IsDeleted, f.DeletedAt, f.UpdatedAt = true, now, now
		if err := tx.UpdateMessageFeed(f); err != nil {
			return err
		}
		out, err = s.feedEvent(tx, c, EventMessageFeedDeleted, f, ch)
		return err
	})
	return out, err
}

// feedEvent answers with a feed just saved and appends the event that tells its channel:
// the answer and the event carry the same payload.
func (s *Service) feedEvent(tx Tx, c *Caller, typ EventType, f *MessageFeed, ch *Channel) (*SubChannelPayload, error) {
	out, err := s.feedPayload(tx, c, []MessageFeed{*f}, map[string]*Channel{ch.ID: ch})
	if err != nil {
		return nil, err
	}
	return out, tx.AppendEvent(Event{Type: typ, ChannelID: ch.ID, Data: out})
}

// ownedFeed loads a live feed the caller may change (ownsFeed), with its channel.
func (s *Service) ownedFeed(tx Tx, c *Caller, feedID string) (*MessageFeed, *Channel, error) {
	f, ch, own, err := s.readFeed(tx, c, feedID)
	if err != nil {
		return nil, nil, err
	}
	if !ownsFeed(c, f, own) {
		return nil, nil, PermissionDenied()
	}
	return f, ch, nil
}

// ownsFeed: its creator, while a member, changes a feed; anyone else needs to be able
// to edit the channel.
func ownsFeed(c *Caller, f *MessageFeed, own Membership) bool {
	mine := c.User != nil && f.CreatorID == c.User.ID && own.Membership == MembershipMember
	return mine || c.CanIn(own.rolesIfMember(), PermEditChannel)
}
