package chat

import "context"

// Read markers. A user's position in a feed is its readToSegment; the unread count is the
// feed's last segment minus it. The default feed's position is mirrored into the channel
// membership (readToSegment, lastMentionedSegment) in the same transaction.

// UserFeedMarker is a user's position in one feed.
type UserFeedMarker struct {
	FeedID             string `json:"feedId"`
	EntityID           string `json:"entityId"` // channel internal id
	UserID             string `json:"userId"`   // internal id
	ReadToSegment      int64  `json:"readToSegment"`
	DeliveredToSegment int64  `json:"deliveredToSegment"`
	LastMentionSegment int64  `json:"lastMentionSegment"`
	UnreadCount        int64  `json:"unreadCount"`
	IsMentioned        bool   `json:"isMentioned"`
	CreatedAt          Time   `json:"createdAt"`
	UpdatedAt          Time   `json:"updatedAt"`
}

// FeedMarker is a feed's newest segment.
type FeedMarker struct {
	FeedID      string `json:"feedId"`
	EntityID    string `json:"entityId"`
	LastSegment int64  `json:"lastSegment"`
	IsDeleted   bool   `json:"isDeleted"`
	CreatedAt   Time   `json:"createdAt"`
	UpdatedAt   Time   `json:"updatedAt"`
}

// UserEntityMarker is a user's unread state in one channel, all its feeds together.
type UserEntityMarker struct {
	EntityID     string `json:"entityId"`
	UserID       string `json:"userId"`
	UnreadCount  int64  `json:"unreadCount"`
	IsMentioned  bool   `json:"isMentioned"`
	HasMentioned bool   `json:"hasMentioned"`
	IsDeleted    bool   `json:"isDeleted"`
	Membership   string `json:"membership"`
	CreatedAt    Time   `json:"createdAt"`
	UpdatedAt    Time   `json:"updatedAt"`
}

// UserMarker is a user's unread state over every channel they are in.
type UserMarker struct {
	UserID       string `json:"userId"`
	UnreadCount  int64  `json:"unreadCount"`
	IsMentioned  bool   `json:"isMentioned"`
	HasMentioned bool   `json:"hasMentioned"`
	LastSyncAt   Time   `json:"lastSyncAt"`
	CreatedAt    Time   `json:"createdAt"`
	UpdatedAt    Time   `json:"updatedAt"`
}

// ContentMarker is a message's read and delivered counts.
type ContentMarker struct {
	FeedID         string `json:"feedId"`
	ContentID      string `json:"contentId"`
	CreatorID      string `json:"creatorId"`
	Segment        int64  `json:"segment"`
	ReadCount      int    `json:"readCount"`
	DeliveredCount int    `json:"deliveredCount"`
	CreatedAt      Time   `json:"createdAt"`
	UpdatedAt      Time   `json:"updatedAt"`
}

// MarkerPayload answers every marker call: all five lists, always arrays.
type MarkerPayload struct {
	UserMarkers       []UserMarker       `json:"userMarkers"`
	UserEntityMarkers []UserEntityMarker `json:"userEntityMarkers"`
	UserFeedMarkers   []UserFeedMarker   `json:"userFeedMarkers"`
	FeedMarkers       []FeedMarker       `json:"feedMarkers"`
	ContentMarkers    []ContentMarker    `json:"contentMarkers"`
	Paging            *Paging            `json:"paging,omitempty"`
}

func newMarkerPayload() *MarkerPayload {
	return &MarkerPayload{UserMarkers: []UserMarker{}, UserEntityMarkers: []UserEntityMarker{},
		UserFeedMarkers: []UserFeedMarker{}, FeedMarkers: []FeedMarker{}, ContentMarkers: []ContentMarker{}}
}

// FeedState is a feed with one user's marker in it (zero when the user has none).
type FeedState struct {
	Feed   MessageFeed
	Marker UserFeedMarker
}

// MarkerStore is the persistence of read markers.
type MarkerStore interface {
	// FeedStates returns the live feeds of the given channels (or, with byFeed, the given
	// feeds) with the user's marker in each.
	FeedStates(userID string, ids []string, byFeed bool) ([]FeedState, error)
	// PutReadMarker moves a user's read position forward (never back); false when it was
	// there already. The default feed's is mirrored into the membership.
	PutReadMarker(feedID, channelID, userID string, readTo int64, isDefault bool, at Time) (bool, error)
	// PutDeliveredMarker moves a user's delivered position forward.
	PutDeliveredMarker(feedID, channelID, userID string, to int64, at Time) (bool, error)
	// SetMentioned records that users were mentioned at a segment.
	SetMentioned(feedID, channelID string, userIDs []string, segment int64, isDefault bool, at Time) error
	// CountReaders counts users other than exceptUser whose read (or delivered) position
	// is at or past a segment, stopping at max.
	CountReaders(feedID string, segment int64, delivered bool, exceptUser string, max int) (int, error)
	// Readers pages through those users, keyset on (position, user id).
	Readers(feedID string, segment int64, delivered bool, exceptUser string, after *Cursor, limit int) ([]UserFeedMarker, error)
	// TotalUnread sums a user's unread counts over the channels they are a member of.
	TotalUnread(userID string) (unread int64, mentioned bool, err error)
}

// maxReceiptCount bounds the read and delivered counts of a message: exact up to it, so
// that a message in a channel of 300,000 costs what one in a channel of 10 does.
const maxReceiptCount = 10_000

// maxMarkerIDs bounds how many ids one marker call looks at. The SDK batches every id it
// has seen in two seconds and crashes a Node process on an error, so more are ignored
// rather than refused.
const maxMarkerIDs = 1000

func (st FeedState) unread() int64 { return max(st.Feed.LastSegment-st.Marker.ReadToSegment, 0) }

func (st FeedState) mentioned() bool {
	return max(st.Marker.LastMentionSegment, st.Feed.ChannelMentionSegment) > st.Marker.ReadToSegment
}

func (st FeedState) userFeedMarker(userID string) UserFeedMarker {
	m := st.Marker
	m.FeedID, m.EntityID, m.UserID = st.Feed.ID, st.Feed.ChannelID, userID
	m.UnreadCount, m.IsMentioned = st.unread(), st.mentioned()
	if m.CreatedAt.IsZero() {
		m.CreatedAt, m.UpdatedAt = st.Feed.CreatedAt, st.Feed.UpdatedAt
	}
	return m
}

func (st FeedState) feedMarker() FeedMarker {
	f := st.Feed
	return FeedMarker{FeedID: f.ID, EntityID: f.ChannelID, LastSegment: f.LastSegment, IsDeleted: f.IsDeleted,
		CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt}
}

// markersOf fills a payload with the caller's markers in the given feeds: their feed
// markers always, and their own markers where they are a member.
func (s *Service) markersOf(tx Tx, c *Caller, states []FeedState, entities bool) (*MarkerPayload, error) {
	out := newMarkerPayload()
	if c.User == nil || len(states) == 0 {
		return out, nil
	}
	var channelIDs []string
	for _, st := range states {
		channelIDs = append(channelIDs, st.Feed.ChannelID)
	}
	channelIDs = Unique(channelIDs)
	rows, err := tx.MembershipsOfUser(c.User.ID, channelIDs)
	if err != nil {
		return nil, err
	}
	member := map[string]Membership{}
	for _, m := range rows {
		member[m.ChannelInternalID] = m
	}
	entity := map[string]*UserEntityMarker{}
	for _, st := range states {
		out.FeedMarkers = append(out.FeedMarkers, st.feedMarker())
		m, ok := member[st.Feed.ChannelID]
		if !ok || m.Membership != MembershipMember {
			continue
		}
		out.UserFeedMarkers = append(out.UserFeedMarkers, st.userFeedMarker(c.User.ID))
		e := entity[st.Feed.ChannelID]
		if e == nil {
			e = &UserEntityMarker{EntityID: st.Feed.ChannelID, UserID: c.User.ID, Membership: m.Membership,
				CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}
			entity[st.Feed.ChannelID] = e
		}
		e.UnreadCount += st.unread()
		e.IsMentioned = e.IsMentioned || st.mentioned()
		e.HasMentioned = e.IsMentioned
	}
	if entities {
		for _, id := range channelIDs {
			if e := entity[id]; e != nil {
				out.UserEntityMarkers = append(out.UserEntityMarkers, *e)
			}
		}
	}
	return out, nil
}

// readableStates keeps the states of feeds whose channel the caller may read.
func (s *Service) readableStates(tx Tx, c *Caller, states []FeedState) ([]FeedState, error) {
	ok := map[string]bool{}
	out := states[:0:0]
	for _, st := range states {
		id := st.Feed.ChannelID
		readable, seen := ok[id]
		if !seen {
			_, _, err := s.readableChannel(tx, c, id)
			if err != nil && !isRefusal(err) {
				return nil, err
			}
			readable = err == nil
			ok[id] = readable
		}
		if readable {
			out = append(out, st)
		}
	}
	return out, nil
}

func capIDs(ids []string) []string {
	ids = Unique(ids)
	if len(ids) > maxMarkerIDs {
		ids = ids[:maxMarkerIDs]
	}
	return ids
}

// ChannelMarkers answers GET /api/v1/markers/channels?channelIds[]= (internal ids).
func (s *Service) ChannelMarkers(ctx context.Context, c *Caller, channelIDs []string) (*MarkerPayload, error) {
	return s.markerRead(ctx, c, capIDs(channelIDs), false, true)
}

// FeedMarkers answers GET /api/v1/markers/message-feeds?messageFeedIds[]=, and the
// reading calls, which change nothing on Parley.
func (s *Service) FeedMarkers(ctx context.Context, c *Caller, feedIDs []string) (*MarkerPayload, error) {
	out, err := s.markerRead(ctx, c, capIDs(feedIDs), true, true)
	if out != nil {
		out.Paging = &Paging{}
	}
	return out, err
}

// UserFeedMarkers answers GET /api/v1/markers/user-message-feed?channelIds[]=.
func (s *Service) UserFeedMarkers(ctx context.Context, c *Caller, channelIDs []string) (*MarkerPayload, error) {
	return s.markerRead(ctx, c, capIDs(channelIDs), false, false)
}

func (s *Service) markerRead(ctx context.Context, c *Caller, ids []string, byFeed, entities bool) (*MarkerPayload, error) {
	out := newMarkerPayload()
	if c.User == nil || len(ids) == 0 {
		return out, nil
	}
	err := s.store.Read(ctx, func(tx Tx) error {
		states, err := tx.FeedStates(c.User.ID, ids, byFeed)
		if err != nil {
			return err
		}
		if states, err = s.readableStates(tx, c, states); err != nil {
			return err
		}
		out, err = s.markersOf(tx, c, states, entities)
		return err
	})
	return out, err
}

// UserMarker answers GET /api/v1/markers/userMarker and POST /api/v1/markers/sync: the
// caller's unread total over their channels.
func (s *Service) UserMarker(ctx context.Context, c *Caller) (*MarkerPayload, error) {
	out := newMarkerPayload()
	if c.User == nil {
		return out, nil
	}
	err := s.store.Read(ctx, func(tx Tx) error {
		unread, mentioned, err := tx.TotalUnread(c.User.ID)
		if err != nil {
			return err
		}
		now := s.now()
		out.UserMarkers = append(out.UserMarkers, UserMarker{UserID: c.User.ID, UnreadCount: unread, IsMentioned: mentioned,
			HasMentioned: mentioned, LastSyncAt: now, CreatedAt: c.User.CreatedAt, UpdatedAt: now})
		return nil
	})
	return out, err
}

// MessageMarkers answers GET /api/v1/markers/messages?messageIds[]=. The SDK calls it
// without waiting about two seconds after every message payload, and an error there ends
// a Node process, so it always answers: messages that do not exist or that the caller
// may not read are left out, never refused.
func (s *Service) MessageMarkers(ctx context.Context, c *Caller, messageIDs []string) (*MarkerPayload, error) {
	out := newMarkerPayload()
	ids := capIDs(messageIDs)
	if len(ids) == 0 {
		return out, nil
	}
	err := s.store.Read(ctx, func(tx Tx) error {
		found, err := tx.MessagesByIDs(ids)
		if err != nil {
			return err
		}
		msgs, _, err := s.readableOnly(tx, c, found)
		if err != nil {
			return err
		}
		var feedIDs []string
		for _, m := range msgs {
			read, err := tx.CountReaders(m.MessageFeedID, m.Segment, false, m.CreatorID, maxReceiptCount)
			if err != nil {
				return err
			}
			delivered, err := tx.CountReaders(m.MessageFeedID, m.Segment, true, m.CreatorID, maxReceiptCount)
			if err != nil {
				return err
			}
			out.ContentMarkers = append(out.ContentMarkers, ContentMarker{FeedID: m.MessageFeedID, ContentID: m.ID,
				CreatorID: m.CreatorID, Segment: m.Segment, ReadCount: read, DeliveredCount: max(read, delivered),
				CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt})
			feedIDs = append(feedIDs, m.MessageFeedID)
		}
		if c.User == nil || len(feedIDs) == 0 {
			return nil
		}
		states, err := tx.FeedStates(c.User.ID, Unique(feedIDs), true)
		if err != nil {
			return err
		}
		for _, st := range states {
			out.FeedMarkers = append(out.FeedMarkers, st.feedMarker())
		}
		return nil
	})
	return out, err
}

// MarkChannelRead answers PUT /api/v1/markers/channels/{channelId}/mark-read: every feed
// of the channel read to its newest message.
func (s *Service) MarkChannelRead(ctx context.Context, c *Caller, channelID string) (*MarkerPayload, error) {
	return s.markRead(ctx, c, func(tx Tx) ([]FeedState, error) {
		ch, err := channelByAnyID(tx, channelID)
		if err != nil {
			return nil, err
		}
		return tx.FeedStates(c.User.ID, []string{ch.ID}, false)
	}, -1)
}

// MarkFeedRead answers PUT /api/v1/markers/message-feeds/{id}/mark-read; without a
// readToSegment the feed is read to its newest message.
func (s *Service) MarkFeedRead(ctx context.Context, c *Caller, feedID string, readTo *int64) (*MarkerPayload, error) {
	to := int64(-1)
	if readTo != nil {
		if *readTo < 0 {
			return nil, badField("readToSegment", "must be at least 0")
		}
		to = *readTo
	}
	return s.markRead(ctx, c, func(tx Tx) ([]FeedState, error) {
		states, err := tx.FeedStates(c.User.ID, []string{feedID}, true)
		if err == nil && len(states) == 0 {
			err = NotFound("MessageFeed")
		}
		return states, err
	}, to)
}

// markRead moves the caller's read position in feeds (to their newest segment when to is
// -1, else to min(to, newest)) and tells the caller's other devices.
func (s *Service) markRead(ctx context.Context, c *Caller, feeds func(Tx) ([]FeedState, error), to int64) (*MarkerPayload, error) {
	if c.User == nil {
		return nil, PermissionDenied()
	}
	var out *MarkerPayload
	err := s.store.Write(ctx, func(tx Tx) error {
		states, err := feeds(tx)
		if err != nil {
			return err
		}
		if len(states) == 0 {
			return NotFound("Channel")
		}
		_, own, err := s.readableChannel(tx, c, states[0].Feed.ChannelID)
		if err != nil {
			return err
		}
		if own.Membership != MembershipMember {
			return Errorf(CodePermissionDenied, "User is not a member of this channel.")
		}
		now := s.now()
		changed := false
		for i := range states {
			st := &states[i]
			target := st.Feed.LastSegment
			if to >= 0 {
				target = min(to, target)
			}
			moved, err := tx.PutReadMarker(st.Feed.ID, st.Feed.ChannelID, c.User.ID, target, st.Feed.IsDefault, now)
			if err != nil {
				return err
			}
			if moved {
				st.Marker.ReadToSegment, st.Marker.UpdatedAt, changed = target, now, true
				if st.Marker.CreatedAt.IsZero() {
					st.Marker.CreatedAt = now
				}
			}
		}
		out, err = s.markersOf(tx, c, states, true)
		if err != nil || !changed {
			return err
		}
		ev := &MarkerPayload{FeedMarkers: out.FeedMarkers, UserFeedMarkers: out.UserFeedMarkers,
			UserEntityMarkers: out.UserEntityMarkers, UserMarkers: []UserMarker{}, ContentMarkers: []ContentMarker{}}
		// Private to the reader: their devices hear it on their marker topic.
		return tx.AppendEvent(Event{Type: EventMarkerUserFeedUpdated, UserIDs: []string{c.User.ID}, Data: ev})
	})
	return out, err
}

// SeenInput is the body of POST /api/v3/channels/seen (7.x).
type SeenInput struct {
	Channels []struct {
		ChannelID     *string `json:"channelId"`
		ReadToSegment *int64  `json:"readToSegment"`
	} `json:"channels"`
}

// MarkChannelsSeen answers POST /api/v3/channels/seen: the 7.x read-receipt engine's
// mark-read of several channels' default feeds.
func (s *Service) MarkChannelsSeen(ctx context.Context, c *Caller, in SeenInput) error {
	var p Problems
	if in.Channels == nil {
		p.Add("channels", "is required")
	}
	if len(in.Channels) > MaxPageSize {
		p.Add("channels", "must have at most %d items", MaxPageSize)
	}
	for _, ch := range in.Channels {
		p.Required("channels.channelId", ch.ChannelID, 1, 100)
		if ch.ReadToSegment != nil && *ch.ReadToSegment < 0 {
			p.Add("channels.readToSegment", "must be at least 0")
		}
	}
	if err := p.Err(); err != nil {
		return err
	}
	for _, ch := range in.Channels {
		id := *ch.ChannelID
		_, err := s.markRead(ctx, c, func(tx Tx) ([]FeedState, error) {
			found, err := channelByAnyID(tx, id)
			if err != nil {
				return nil, err
			}
			return tx.FeedStates(c.User.ID, []string{found.ID}, true) // the default feed
		}, deref(ch.ReadToSegment, -1))
		if err != nil {
			return err
		}
	}
	return nil
}

// DeliveredInput is the body of PUT /api/v1/markers/message-feeds/{id}/mark-delivering.
type DeliveredInput struct {
	MessageID *string `json:"messageId"`
}

// MarkDelivered records that the caller's device received a feed up to a message.
func (s *Service) MarkDelivered(ctx context.Context, c *Caller, feedID string, in DeliveredInput) (*MarkerPayload, error) {
	var p Problems
	p.Required("messageId", in.MessageID, 1, 100)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if c.User == nil {
		return nil, PermissionDenied()
	}
	var out *MarkerPayload
	err := s.store.Write(ctx, func(tx Tx) error {
		m, _, own, err := s.readableMessage(tx, c, *in.MessageID)
		if err != nil {
			return err
		}
		if m.MessageFeedID != feedID {
			return NotFound("Message")
		}
		if own.Membership != MembershipMember {
			return Errorf(CodePermissionDenied, "User is not a member of this channel.")
		}
		if _, err := tx.PutDeliveredMarker(m.MessageFeedID, m.ChannelID, c.User.ID, m.Segment, s.now()); err != nil {
			return err
		}
		states, err := tx.FeedStates(c.User.ID, []string{feedID}, true)
		if err != nil {
			return err
		}
		out, err = s.markersOf(tx, c, states, false)
		return err
	})
	return out, err
}

// ReceiptUsers is the answer of read-users and delivered-users.
type ReceiptUsers struct {
	PublicUserIDs []string `json:"publicUserIds"`
	MarkerPayload
}

// MessageReceiptUsers answers GET /api/v1/markers/messages/{messageId}/read-users and
// …/delivered-users: who is at or past the message, the creator left out.
func (s *Service) MessageReceiptUsers(ctx context.Context, c *Caller, messageID string, delivered bool, limit int, after *Cursor) (*ReceiptUsers, error) {
	out := &ReceiptUsers{PublicUserIDs: []string{}, MarkerPayload: *newMarkerPayload()}
	err := s.store.Read(ctx, func(tx Tx) error {
		m, _, _, err := s.readableMessage(tx, c, messageID)
		if err != nil {
			return err
		}
		rows, err := tx.Readers(m.MessageFeedID, m.Segment, delivered, m.CreatorID, after, limit+1)
		if err != nil {
			return err
		}
		out.Paging = &Paging{}
		if len(rows) > limit {
			rows = rows[:limit]
			last := rows[limit-1]
			pos := last.ReadToSegment
			if delivered {
				pos = last.DeliveredToSegment
			}
			out.Paging.Next = (&Cursor{N: pos, ID: last.UserID}).Encode(limit)
		}
		ids := make([]string, len(rows))
		for i, r := range rows {
			ids[i] = r.UserID
		}
		users, err := tx.UsersByIDs(ids)
		if err != nil {
			return err
		}
		for _, u := range users {
			out.PublicUserIDs = append(out.PublicUserIDs, u.UserID)
		}
		out.UserFeedMarkers = rows
		if out.UserFeedMarkers == nil {
			out.UserFeedMarkers = []UserFeedMarker{}
		}
		return nil
	})
	return out, err
}
