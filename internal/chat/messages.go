package chat

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"time"
)

// messagePayload builds a MessagePayload: the messages with their derived fields and the
// caller's own reactions, the users who wrote them and the files they reference. channels
// may be nil or partial; missing channels are read.
func (s *Service) messagePayload(tx Tx, c *Caller, msgs []Message, channels map[string]*Channel) (*MessagePayload, error) {
	if channels == nil {
		channels = map[string]*Channel{}
	}
	out := &MessagePayload{Messages: msgs, MessageFeeds: []MessageFeed{}, Reactions: []ReactionItem{}}
	if out.Messages == nil {
		out.Messages = []Message{}
	}
	ids := make([]string, 0, len(msgs))
	creators := make([]string, 0, len(msgs))
	var fileIDs []string
	for _, m := range msgs {
		ids = append(ids, m.ID)
		creators = append(creators, m.CreatorID)
		fileIDs = append(fileIDs, messageFileIDs(m)...)
	}
	mine := map[string][]string{}
	if c != nil && c.User != nil && len(ids) > 0 {
		var err error
		if mine, err = tx.MyReactions(c.User.ID, ids); err != nil {
			return nil, err
		}
	}
	users, err := s.addUsers(tx, nil, creators)
	if err != nil {
		return nil, err
	}
	publicID := make(map[string]string, len(users))
	for _, u := range users {
		publicID[u.ID] = u.UserID
		if u.AvatarFileID != nil {
			fileIDs = append(fileIDs, *u.AvatarFileID)
		}
	}
	for i := range out.Messages {
		m := &out.Messages[i]
		ch, ok := channels[m.ChannelID]
		if !ok {
			if ch, err = tx.ChannelByID(m.ChannelID); err != nil {
				return nil, err
			}
			channels[m.ChannelID] = ch
		}
		if ch != nil {
			m.ChannelPublicID, m.ChannelType = ch.ChannelID, ch.Type
		}
		m.MessageID = m.ID
		m.CreatorPublicID = publicID[m.CreatorID]
		m.Path = s.MessageFeedPath(m.ChannelID, m.MessageFeedID) + "/message/" + m.ID
		m.MyReactions = mine[m.ID]
		if m.MyReactions == nil {
			m.MyReactions = []string{}
		}
		decorateMessage(m)
	}
	out.Users = users
	out.Files, err = s.files(tx, fileIDs)
	return out, err
}

// decorateMessage makes sure every collection field is present.
func decorateMessage(m *Message) {
	if m.Tags == nil {
		m.Tags = []string{}
	}
	if m.Metadata == nil {
		m.Metadata = json.RawMessage("{}")
	}
	if m.MentionedUsers == nil {
		m.MentionedUsers = []Mention{}
	}
	if m.Reactions == nil {
		m.Reactions = map[string]int{}
	}
	if m.Data == nil {
		m.Data = json.RawMessage("{}")
	}
}

// addUsers appends to users the decorated users of ids that it does not hold yet.
func (s *Service) addUsers(tx Tx, users []User, ids []string) ([]User, error) {
	have := map[string]bool{}
	for _, u := range users {
		have[u.ID] = true
	}
	var want []string
	for _, id := range Unique(ids) {
		if !have[id] {
			want = append(want, id)
		}
	}
	more, err := tx.UsersByIDs(want)
	if err != nil {
		return nil, err
	}
	s.decorate(more)
	out := append(append([]User{}, users...), more...)
	return out, nil
}

// messageFileIDs lists the files a message's data references.
func messageFileIDs(m Message) []string {
	if m.DataType == DataText || m.DataType == DataCustom || m.IsDeleted {
		return nil
	}
	var d struct {
		FileID          string            `json:"fileId"`
		ThumbnailFileID string            `json:"thumbnailFileId"`
		VideoFileID     map[string]string `json:"videoFileId"`
	}
	json.Unmarshal(m.Data, &d)
	var out []string
	for _, id := range []string{d.FileID, d.ThumbnailFileID, d.VideoFileID["original"]} {
		if id != "" {
			out = append(out, id)
		}
	}
	return out
}

// CreateMessageInput is the body of POST /api/v5/messages.
type CreateMessageInput struct {
	MessageFeedID  *string          `json:"messageFeedId"`
	ChannelID      *string          `json:"channelId"` // older SDKs name the channel instead
	DataType       *string          `json:"dataType"`
	Data           json.RawMessage  `json:"data"`
	FileID         *string          `json:"fileId"`
	ParentID       *string          `json:"parentId"`
	ReferenceID    *string          `json:"referenceId"`
	Tags           []string         `json:"tags"`
	Metadata       *json.RawMessage `json:"metadata"`
	MentionedUsers json.RawMessage  `json:"mentionedUsers"`
}

// checkedContent is a message's validated data and the files it names.
type checkedContent struct {
	data    json.RawMessage
	fileIDs map[string]string // fileId → the file type it must have ("" for any)
}

// checkData validates data for its type. Text needs data.text of 1..20,000 characters;
// image, file, video and audio need data.fileId naming an uploaded file (a top-level
// fileId is moved into data); custom data is any JSON value of at most 100 KB.
func checkData(p *Problems, dataType string, data json.RawMessage, fileID *string) checkedContent {
	out := checkedContent{fileIDs: map[string]string{}}
	data = bytes.TrimSpace(data)
	switch dataType {
	case DataCustom:
		if len(data) == 0 || string(data) == "null" {
			p.Add("data", "is required")
		} else if len(data) > MaxCustomDataBytes {
			p.Add("data", "must be at most %d bytes", MaxCustomDataBytes)
		}
		out.data = data
		return out
	}
	var obj map[string]json.RawMessage
	if len(data) == 0 || data[0] != '{' || json.Unmarshal(data, &obj) != nil {
		if len(data) == 0 && fileID != nil && dataType != DataText {
			obj = map[string]json.RawMessage{}
		} else {
			p.Add("data", "must be an object")
			return out
		}
	}
	if len(data) > MaxCustomDataBytes {
		p.Add("data", "must be at most %d bytes", MaxCustomDataBytes)
		return out
	}
	str := func(key string) (*string, bool) {
		raw, ok := obj[key]
		if !ok || string(raw) == "null" {
			return nil, true
		}
		var v string
		if json.Unmarshal(raw, &v) != nil {
			p.Add("data."+key, "must be a string")
			return nil, false
		}
		return &v, true
	}
	switch dataType {
	case DataText:
		text, ok := str("text")
		if ok {
			p.Required("data.text", text, 1, MaxTextChars)
		}
	default:
		id, ok := str("fileId")
		if id == nil && fileID != nil {
			id = fileID
			b, _ := json.Marshal(*fileID)
			obj["fileId"] = b
		}
		if ok {
			p.Required("data.fileId", id, 1, 50)
		}
		if caption, ok := str("caption"); ok {
			p.Text("data.caption", caption, 0, MaxTextChars)
		}
		if id != nil {
			switch dataType {
			case DataImage:
				out.fileIDs[*id] = "image"
			case DataVideo:
				out.fileIDs[*id] = "video"
			default:
				out.fileIDs[*id] = ""
			}
		}
		if thumb, ok := str("thumbnailFileId"); ok && thumb != nil {
			out.fileIDs[*thumb] = "image"
		}
	}
	out.data, _ = json.Marshal(obj)
	return out
}

// mentionInput is one item of mentionedUsers as clients send it. Amity's API names the
// users in userPublicIds; the SDK's own mention type (Amity.UserMention) names them in
// userIds, and Amity takes that too. Both hold public user ids.
type mentionInput struct {
	Type          string   `json:"type"`
	UserPublicIDs []string `json:"userPublicIds"`
	UserIDs       []string `json:"userIds"`
}

// checkMentions reads mentionedUsers: [{type:"channel"} | {type:"user", userPublicIds|userIds:[…]}].
// Messages keep and answer the userPublicIds form.
func checkMentions(p *Problems, raw json.RawMessage) []Mention {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return []Mention{}
	}
	var in []mentionInput
	if err := json.Unmarshal(raw, &in); err != nil {
		p.Add("mentionedUsers", "must be a list of {type, userPublicIds}")
		return nil
	}
	if len(in) > 10 {
		p.Add("mentionedUsers", "must have at most 10 items")
		return nil
	}
	ms := make([]Mention, len(in))
	n := 0
	for i, m := range in {
		ms[i].Type = m.Type
		switch m.Type {
		case "channel":
		case "user":
			ms[i].UserPublicIDs = Unique(append(m.UserPublicIDs, m.UserIDs...))
			p.List("mentionedUsers.userPublicIds", ms[i].UserPublicIDs, 1, MaxMentionedUsers, 1, 50)
			n += len(ms[i].UserPublicIDs)
		default:
			p.Add("mentionedUsers.type", "must be one of [user channel]")
		}
	}
	if n > MaxMentionedUsers {
		p.Add("mentionedUsers", "must name at most %d users", MaxMentionedUsers)
	}
	return ms
}

// checkFiles checks that every referenced file exists and has the type its place needs.
func (s *Service) checkFiles(tx Tx, want map[string]string) error {
	for id, typ := range want {
		f, err := tx.FileByID(id)
		if err != nil {
			return err
		}
		if f == nil || f.IsDeleted {
			return NotFound("File")
		}
		if typ != "" && f.Type != typ {
			return badField("data.fileId", "must name an uploaded %s", typ)
		}
	}
	return nil
}

// sendRule checks that the caller may post in the channel: members only (banned users
// are told so), not a muted user, not a muted channel unless a moderator, only moderators
// in broadcast channels. Global admins may post anywhere.
func sendRule(c *Caller, ch *Channel, own Membership, now Time) error {
	if c.IsAdmin() {
		return nil
	}
	switch own.Membership {
	case MembershipBanned:
		return Errorf(CodeUserBanned, "User is banned from this channel.")
	case MembershipMember:
	default:
		return Errorf(CodePermissionDenied, "User is not a member of this channel.")
	}
	moderator := hasRole(own.Roles, RoleChannelModerator)
	if mutedAt(own.MuteTimeout, now) {
		return Errorf(CodeUserMuted, "User is muted in this channel.")
	}
	if mutedAt(ch.MuteTimeout, now) && !moderator {
		return Errorf(CodeChannelMuted, "Channel is muted.")
	}
	if ch.Type == ChannelBroadcast && !moderator {
		return Errorf(CodePermissionDenied, "Only moderators post in a broadcast channel.")
	}
	return nil
}

// CreateMessage answers POST /api/v5/messages. The segment comes from the feed's counter
// in the same transaction as the message, the channel's messageCount and lastActivity,
// the parent's childCount, the mentions and the event.
func (s *Service) CreateMessage(ctx context.Context, c *Caller, in CreateMessageInput) (*MessagePayload, error) {
	var p Problems
	if in.MessageFeedID == nil {
		in.MessageFeedID = in.ChannelID
	}
	p.Required("messageFeedId", in.MessageFeedID, 1, 100)
	p.Required("dataType", in.DataType, 1, 20)
	p.OneOf("dataType", in.DataType, DataText, DataImage, DataFile, DataVideo, DataAudio, DataCustom)
	p.Text("parentId", in.ParentID, 1, 50)
	p.Text("referenceId", in.ReferenceID, 0, 100)
	p.List("tags", in.Tags, 0, MaxMessageTags, 1, 100)
	p.Metadata("metadata", in.Metadata)
	mentions := checkMentions(&p, in.MentionedUsers)
	var content checkedContent
	if in.DataType != nil && p.Err() == nil {
		content = checkData(&p, *in.DataType, in.Data, in.FileID)
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if c.User == nil {
		return nil, PermissionDenied()
	}
	changed, err := s.preSendCheck(ctx, c, in)
	if err != nil {
		return nil, err
	}
	if string(changed.Data) != string(in.Data) { // the hook changed the text: check it again
		in = changed
		if content = checkData(&p, *in.DataType, in.Data, in.FileID); p.Err() != nil {
			return nil, p.Err()
		}
	}
	var out *MessagePayload
	err = s.store.Write(ctx, func(tx Tx) error {
		f, ch, own, err := s.readFeed(tx, c, *in.MessageFeedID)
		if err != nil {
			return err
		}
		now := s.now()
		if err := sendRule(c, ch, own, now); err != nil {
			return err
		}
		if err := sendBlockRule(tx, c, ch); err != nil {
			return err
		}
		if err := s.checkMessageContent(tx, content.data); err != nil {
			return err
		}
		if err := s.rateLimit(tx, c, ch, own, now); err != nil {
			return err
		}
		var parent *Message
		if in.ParentID != nil {
			if parent, err = tx.MessageByID(*in.ParentID); err != nil {
				return err
			}
			if parent == nil || parent.MessageFeedID != f.ID {
				return NotFound("Parent message")
			}
		}
		if err := s.checkFiles(tx, content.fileIDs); err != nil {
			return err
		}
		mentioned, err := mentionedMembers(tx, ch, mentions)
		if err != nil {
			return err
		}
		m := &Message{ID: NewID(), MessageFeedID: f.ID, ChannelID: ch.ID, ParentID: in.ParentID, CreatorID: c.User.ID,
			DataType: *in.DataType, Data: content.data, Tags: Unique(in.Tags), Metadata: json.RawMessage("{}"),
			MentionedUsers: mentions, ReferenceID: in.ReferenceID, CreatedAt: now, UpdatedAt: now}
		if in.Metadata != nil {
			m.Metadata = *in.Metadata
		}
		if m.Segment, err = tx.NextSegment(f.ID, m.ID, now); err != nil {
			return err
		}
		if err := tx.InsertMessage(m); err != nil {
			return err
		}
		if err := tx.AddChannelMessage(ch.ID, m.ID, now); err != nil {
			return err
		}
		if parent != nil {
			if err := tx.AddChildCount(parent.ID, 1); err != nil {
				return err
			}
		}
		if err := s.markMentions(tx, f, mentions, mentioned, m.Segment, now); err != nil {
			return err
		}
		// The sender has read their own message: it never counts as unread for them.
		if _, err := tx.PutReadMarker(f.ID, ch.ID, c.User.ID, m.Segment, f.IsDefault, now); err != nil {
			return err
		}
		out, err = s.messageEvent(tx, c, EventMessageCreated, m, ch)
		return err
	})
	return out, err
}

// messageEvent answers with a message just saved and appends the event that tells its
// channel, whose members see it without the actor's own reactions (eventPayload).
func (s *Service) messageEvent(tx Tx, c *Caller, typ EventType, m *Message, ch *Channel) (*MessagePayload, error) {
	out, err := s.messagePayload(tx, c, []Message{*m}, map[string]*Channel{ch.ID: ch})
	if err != nil {
		return nil, err
	}
	return out, tx.AppendEvent(Event{Type: typ, ChannelID: ch.ID, Data: s.eventPayload(out)})
}

// eventPayload is a payload as every member sees it: without the actor's own reactions.
func (s *Service) eventPayload(p *MessagePayload) *MessagePayload {
	ev := *p
	ev.Messages = append([]Message{}, p.Messages...)
	for i := range ev.Messages {
		ev.Messages[i].MyReactions = []string{}
	}
	ev.Paging = nil
	return &ev
}

// rateLimit refuses a message past the channel's limit: at most rateLimit messages per
// rateLimitWindow seconds per user, while the limit is on. Moderators are exempt.
func (s *Service) rateLimit(tx Tx, c *Caller, ch *Channel, own Membership, now Time) error {
	limited := !ch.RateLimitTimeout.IsZero() && ch.RateLimitTimeout.After(now.Time)
	if !limited || ch.RateLimit <= 0 || c.IsAdmin() || hasRole(own.rolesIfMember(), RoleChannelModerator) {
		return nil
	}
	window := time.Duration(max(ch.RateLimitWindow, 1)) * time.Second
	n, err := tx.CountRecentMessages(ch.ID, c.User.ID, now.Add(-window), ch.RateLimit)
	if err != nil {
		return err
	}
	if n >= ch.RateLimit {
		return Errorf(CodeRateLimited, "Rate limit exceeded: at most %d messages per %d seconds.", ch.RateLimit, ch.RateLimitWindow)
	}
	return nil
}

// mentionedMembers resolves the users a message mentions by name to the internal ids of
// those who are members of the channel; others are ignored, as Amity does.
func mentionedMembers(tx Tx, ch *Channel, mentions []Mention) ([]string, error) {
	var named []string
	for _, m := range mentions {
		named = append(named, m.UserPublicIDs...)
	}
	if len(named) == 0 {
		return nil, nil
	}
	users, err := tx.UsersByPublicIDs(Unique(named))
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(users))
	for _, u := range users {
		ids = append(ids, u.ID)
	}
	rows, err := tx.Memberships(ch.ID, ids)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		if r.Membership == MembershipMember {
			out = append(out, r.UserInternalID)
		}
	}
	return out, nil
}

// markMentions moves the mentioned members' lastMentionedSegment; a mention of the whole
// channel is kept once in the feed row rather than in every member's row.
func (s *Service) markMentions(tx Tx, f *MessageFeed, mentions []Mention, users []string, segment int64, now Time) error {
	for _, m := range mentions {
		if m.Type == "channel" {
			if err := tx.MarkChannelMention(f.ID, segment); err != nil {
				return err
			}
			break
		}
	}
	if len(users) == 0 {
		return nil
	}
	return tx.SetMentioned(f.ID, f.ChannelID, users, segment, f.IsDefault, now)
}

// readableMessage loads a message and checks that the caller may read its channel.
func (s *Service) readableMessage(tx Tx, c *Caller, id string) (*Message, *Channel, Membership, error) {
	m, err := tx.MessageByID(id)
	if err != nil {
		return nil, nil, Membership{}, err
	}
	if m == nil {
		return nil, nil, Membership{}, NotFound("Message")
	}
	ch, own, err := s.readableChannel(tx, c, m.ChannelID)
	if err != nil {
		return nil, nil, Membership{}, err
	}
	return m, ch, own, nil
}

// GetMessage answers GET /api/v5/messages/{messageId}; a deleted message is answered too,
// with isDeleted true, since the SDK's softDeleteMessage reads it back.
func (s *Service) GetMessage(ctx context.Context, c *Caller, id string) (*MessagePayload, error) {
	var out *MessagePayload
	err := s.store.Read(ctx, func(tx Tx) error {
		m, ch, _, err := s.readableMessage(tx, c, id)
		if err != nil {
			return err
		}
		out, err = s.messagePayload(tx, c, []Message{*m}, map[string]*Channel{ch.ID: ch})
		return err
	})
	return out, err
}

// GetMessages answers GET /api/v5/messages/list: the readable messages among those asked,
// in the order asked.
func (s *Service) GetMessages(ctx context.Context, c *Caller, ids []string) (*MessagePayload, error) {
	var p Problems
	if ids == nil {
		p.Add("messageIds", "is required")
	}
	p.List("messageIds", ids, 1, MaxMessagesByIDs, 1, 100)
	if err := p.Err(); err != nil {
		return nil, err
	}
	var out *MessagePayload
	err := s.store.Read(ctx, func(tx Tx) error {
		found, err := tx.MessagesByIDs(Unique(ids))
		if err != nil {
			return err
		}
		readable, channels, err := s.readableOnly(tx, c, found)
		if err != nil {
			return err
		}
		out, err = s.messagePayload(tx, c, readable, channels)
		return err
	})
	return out, err
}

// readableOnly keeps the messages whose channel the caller may read.
func (s *Service) readableOnly(tx Tx, c *Caller, msgs []Message) ([]Message, map[string]*Channel, error) {
	channels := map[string]*Channel{}
	out := msgs[:0:0]
	for _, m := range msgs {
		ch, seen := channels[m.ChannelID]
		if !seen {
			var err error
			ch, _, err = s.readableChannel(tx, c, m.ChannelID)
			if err != nil && !isRefusal(err) {
				return nil, nil, err
			}
			channels[m.ChannelID] = ch
		}
		if ch != nil {
			out = append(out, m)
		}
	}
	return out, channels, nil
}

// MessageListInput is GET /api/v5/messages as the transport reads it.
type MessageListInput struct {
	MessageFeedID  string
	SortBy         SortBy // segmentAsc | segmentDesc
	Around         string // a message id to center the page on
	ParentID       *string
	DataType       string
	IncludeTags    []string
	ExcludeTags    []string
	IncludeDeleted bool
	HasFlags       bool
	Limit          int
	Token          *Cursor
}

// QueryMessages answers GET /api/v5/messages: one keyset page of a feed by segment. The
// first page has no `previous` (for segmentDesc a `previous` stops the SDK's real-time
// inserts); `next` goes on in the sort order, `previous` back. A page around a message
// holds it with the messages on both sides of it. Tokens remember the sort, the
// direction and the page size, since later pages send only the token.
func (s *Service) QueryMessages(ctx context.Context, c *Caller, in MessageListInput) (*MessagePayload, error) {
	var p Problems
	if in.MessageFeedID == "" {
		p.Add("messageFeedId", "is required")
	}
	p.Text("messageFeedId", &in.MessageFeedID, 0, 100)
	p.Text("parentId", in.ParentID, 1, 50)
	p.Text("dataType", &in.DataType, 0, 20)
	if in.DataType != "" {
		p.OneOf("dataType", &in.DataType, DataText, DataImage, DataFile, DataVideo, DataAudio, DataCustom)
	}
	p.List("includeTags", in.IncludeTags, 0, MaxMessageTags, 1, 100)
	p.List("excludeTags", in.ExcludeTags, 0, MaxMessageTags, 1, 100)
	p.Text("options[around]", &in.Around, 0, 100)
	if err := p.Err(); err != nil {
		return nil, err
	}
	asc := in.SortBy == SortSegmentAsc
	if t := in.Token; t != nil && t.ID != "" && slices.Contains(MessageSorts, SortBy(t.S)) {
		asc = SortBy(t.S) == SortSegmentAsc // a token keeps the sort it was made with
	}
	sortBy := SortSegmentDesc
	if asc {
		sortBy = SortSegmentAsc
	}
	var out *MessagePayload
	err := s.store.Read(ctx, func(tx Tx) error {
		f, ch, _, err := s.readFeed(tx, c, in.MessageFeedID)
		if err != nil {
			return err
		}
		q := MessageQuery{FeedID: f.ID, ParentID: in.ParentID, DataType: in.DataType, IncludeTags: Unique(in.IncludeTags),
			ExcludeTags: Unique(in.ExcludeTags), IncludeDeleted: in.IncludeDeleted, HasFlags: in.HasFlags}
		page, paging, err := s.messagePage(tx, q, in, asc, sortBy)
		if err != nil {
			return err
		}
		out, err = s.messagePayload(tx, c, page, map[string]*Channel{ch.ID: ch})
		if err != nil {
			return err
		}
		out.Paging = paging
		return nil
	})
	return out, err
}

// messagePage reads one page and its links. Forward means in the sort order.
func (s *Service) messagePage(tx Tx, q MessageQuery, in MessageListInput, asc bool, sortBy SortBy) ([]Message, *Paging, error) {
	limit := in.Limit
	// fetch reads up to n messages from a segment, in the sort order (forward) or against it.
	fetch := func(from int64, forward bool, n int) ([]Message, error) {
		q.From, q.Asc, q.Limit = from, asc == forward, n
		return tx.ListMessages(q)
	}
	link := func(m Message, forward bool) string {
		return (&Cursor{N: m.Segment, ID: m.ID, S: string(sortBy), Before: !forward}).Encode(limit)
	}
	paging := &Paging{}
	switch {
	case in.Token != nil && in.Token.ID != "":
		forward := !in.Token.Before
		got, err := fetch(in.Token.N, forward, limit+1)
		if err != nil {
			return nil, nil, err
		}
		more := len(got) > limit
		if more {
			got = got[:limit]
		}
		if !forward {
			reverse(got)
		}
		if len(got) > 0 {
			first, last := got[0], got[len(got)-1]
			if forward {
				paging.Previous = link(first, false)
				if more {
					paging.Next = link(last, true)
				}
			} else {
				paging.Next = link(last, true)
				if more {
					paging.Previous = link(first, false)
				}
			}
		}
		return got, paging, nil
	case in.Around != "":
		pivot, err := tx.MessageByID(in.Around)
		if err != nil {
			return nil, nil, err
		}
		if pivot == nil || pivot.MessageFeedID != q.FeedID {
			return nil, nil, NotFound("Message")
		}
		// Half the page before the message, the message, and the rest after it; a side
		// that runs out leaves its room to the other. The pivot is included even when
		// the filters would leave it out, so that the client finds what it jumped to.
		older, err := fetch(pivot.Segment, false, limit)
		if err != nil {
			return nil, nil, err
		}
		newer, err := fetch(pivot.Segment, true, limit)
		if err != nil {
			return nil, nil, err
		}
		b := min(len(older), (limit-1)/2)
		a := min(len(newer), limit-1-b)
		b = min(len(older), limit-1-a)
		moreBefore, moreAfter := len(older) > b, len(newer) > a
		older, newer = older[:b], newer[:a]
		reverse(older)
		got := append(append(older, *pivot), newer...)
		if moreBefore {
			paging.Previous = link(got[0], false)
		}
		if moreAfter {
			paging.Next = link(got[len(got)-1], true)
		}
		return got, paging, nil
	default:
		got, err := fetch(0, true, limit+1)
		if err != nil {
			return nil, nil, err
		}
		if len(got) > limit {
			got = got[:limit]
			paging.Next = link(got[limit-1], true)
		}
		return got, paging, nil
	}
}

func reverse[T any](v []T) {
	for i, j := 0, len(v)-1; i < j; i, j = i+1, j-1 {
		v[i], v[j] = v[j], v[i]
	}
}

// UpdateMessageInput is the body of PUT /api/v5/messages/{messageId}.
type UpdateMessageInput struct {
	Data           json.RawMessage  `json:"data"`
	Tags           []string         `json:"tags"`
	Metadata       *json.RawMessage `json:"metadata"`
	MentionedUsers json.RawMessage  `json:"mentionedUsers"`
}

// UpdateMessage answers PUT /api/v5/messages/{messageId}: the creator edits their own
// message; editing someone else's needs EDIT_MESSAGE. A deleted message is not edited.
func (s *Service) UpdateMessage(ctx context.Context, c *Caller, id string, in UpdateMessageInput) (*MessagePayload, error) {
	var p Problems
	p.List("tags", in.Tags, 0, MaxMessageTags, 1, 100)
	p.Metadata("metadata", in.Metadata)
	var mentions []Mention
	if in.MentionedUsers != nil {
		mentions = checkMentions(&p, in.MentionedUsers)
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	var out *MessagePayload
	err := s.store.Write(ctx, func(tx Tx) error {
		m, ch, err := s.changeableMessage(tx, c, id, PermEditMessage)
		if err != nil {
			return err
		}
		if m.IsDeleted {
			return NotFound("Message")
		}
		if in.Data != nil {
			var p Problems
			content := checkData(&p, m.DataType, in.Data, nil)
			if err := p.Err(); err != nil {
				return err
			}
			if err := s.checkFiles(tx, content.fileIDs); err != nil {
				return err
			}
			if err := s.checkMessageContent(tx, content.data); err != nil {
				return err
			}
			m.Data = content.data
		}
		if in.Tags != nil {
			m.Tags = Unique(in.Tags)
		}
		if in.Metadata != nil {
			m.Metadata = *in.Metadata
		}
		now := s.now()
		if mentions != nil {
			m.MentionedUsers = mentions
			f, err := tx.MessageFeedByID(m.MessageFeedID)
			if err != nil {
				return err
			}
			users, err := mentionedMembers(tx, ch, mentions)
			if err != nil {
				return err
			}
			if err := s.markMentions(tx, f, mentions, users, m.Segment, now); err != nil {
				return err
			}
		}
		m.UpdatedAt, m.EditedAt = now, now
		if err := tx.UpdateMessage(m); err != nil {
			return err
		}
		out, err = s.messageEvent(tx, c, EventMessageUpdated, m, ch)
		return err
	})
	return out, err
}

// changeableMessage loads a message the caller may read and may change with perm
// (mayChange): edit and delete refuse alike, each with its own permission.
func (s *Service) changeableMessage(tx Tx, c *Caller, id, perm string) (*Message, *Channel, error) {
	m, ch, own, err := s.readableMessage(tx, c, id)
	if err != nil {
		return nil, nil, err
	}
	if !s.mayChange(c, m, own, perm) {
		return nil, nil, PermissionDenied()
	}
	return m, ch, nil
}

// mayChange: the creator, while still a member, changes their own message; anyone else
// needs perm (a moderator in the channel, or a global admin).
func (s *Service) mayChange(c *Caller, m *Message, own Membership, perm string) bool {
	if c.User != nil && m.CreatorID == c.User.ID && own.Membership == MembershipMember {
		return true
	}
	return c.CanIn(own.rolesIfMember(), perm)
}

// DeleteMessage answers DELETE /api/v5/messages/{messageId}: a soft delete. The message
// stays readable with isDeleted true, and the answer carries it (the SDK's deleteMessage
// reads it). Deleting someone else's message needs DELETE_MESSAGE.
func (s *Service) DeleteMessage(ctx context.Context, c *Caller, id, reason string) (*MessagePayload, error) {
	if err := checkReason(reason); err != nil {
		return nil, err
	}
	var out *MessagePayload
	err := s.store.Write(ctx, func(tx Tx) error {
		m, ch, err := s.changeableMessage(tx, c, id, PermDeleteMessage)
		if err != nil {
			return err
		}
		if err := s.auditModeratorDelete(tx, c, m, ch, reason); err != nil {
			return err
		}
		out, err = s.deleteMessage(tx, c, m, ch)
		return err
	})
	return out, err
}

// deleteMessage marks a message deleted and appends message.deleted; deleting a deleted
// message changes nothing and answers it as it is.
func (s *Service) deleteMessage(tx Tx, c *Caller, m *Message, ch *Channel) (*MessagePayload, error) {
	if !m.IsDeleted {
		now := s.now()
		m.IsDeleted, m.DeletedAt, m.UpdatedAt = true, now, now
		if err := tx.UpdateMessage(m); err != nil {
			return nil, err
		}
	}
	return s.messageEvent(tx, c, EventMessageDeleted, m, ch)
}

// DeleteMessagesOfBanned soft-deletes the messages banned users wrote in a channel, in
// the ban's transaction. Clients learn of it from channel.banned; one event per message
// would flood a channel for a prolific spammer.
func (s *Service) deleteMessagesOfBanned(tx Tx, ch *Channel, userIDs []string, now Time) error {
	if len(userIDs) == 0 {
		return nil
	}
	_, err := tx.DeleteMessagesOf(ch.ID, userIDs, now)
	return err
}

// FlagMessage answers POST /api/v5/messages/{messageId}/flags. When the channel deletes
// by flags and the count reaches its limit, the message is deleted in the same step.
func (s *Service) FlagMessage(ctx context.Context, c *Caller, id string, reason string) (*MessagePayload, error) {
	var p Problems
	p.Text("reason", &reason, 0, 300)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if c.User == nil {
		return nil, PermissionDenied()
	}
	var out *MessagePayload
	err := s.store.Write(ctx, func(tx Tx) error {
		m, ch, _, err := s.readableMessage(tx, c, id)
		if err != nil {
			return err
		}
		now := s.now()
		added, err := tx.PutFlag(m.ID, c.User.ID, reason, now)
		if err != nil {
			return err
		}
		if !added {
			out, err = s.messagePayload(tx, c, []Message{*m}, map[string]*Channel{ch.ID: ch})
			return err
		}
		m.FlagCount++
		m.UpdatedAt = now
		if err := tx.UpdateMessage(m); err != nil {
			return err
		}
		out, err = s.messageEvent(tx, c, EventMessageFlagged, m, ch)
		if err != nil {
			return err
		}
		limit := ch.AutoDeleteMessageByFlagLimit
		if ch.MessageAutoDeleteEnabled && limit != nil && m.FlagCount >= *limit && !m.IsDeleted {
			out, err = s.deleteMessage(tx, c, m, ch)
		}
		return err
	})
	return out, err
}

// UnflagMessage answers DELETE /api/v5/messages/{messageId}/flags: the caller's own flag.
func (s *Service) UnflagMessage(ctx context.Context, c *Caller, id string) (*MessagePayload, error) {
	if c.User == nil {
		return nil, PermissionDenied()
	}
	var out *MessagePayload
	err := s.store.Write(ctx, func(tx Tx) error {
		m, ch, _, err := s.readableMessage(tx, c, id)
		if err != nil {
			return err
		}
		removed, err := tx.RemoveFlag(m.ID, c.User.ID)
		if err != nil {
			return err
		}
		if !removed {
			out, err = s.messagePayload(tx, c, []Message{*m}, map[string]*Channel{ch.ID: ch})
			return err
		}
		m.FlagCount = max(m.FlagCount-1, 0)
		m.UpdatedAt = s.now()
		if err := tx.UpdateMessage(m); err != nil {
			return err
		}
		out, err = s.messageEvent(tx, c, EventMessageUnflagged, m, ch)
		return err
	})
	return out, err
}

// IsMessageFlagged answers GET /api/v5/messages/{messageId}/flags: whether the caller flagged it.
func (s *Service) IsMessageFlagged(ctx context.Context, c *Caller, id string) (bool, error) {
	var flagged bool
	err := s.store.Read(ctx, func(tx Tx) error {
		m, _, _, err := s.readableMessage(tx, c, id)
		if err != nil || c.User == nil {
			return err
		}
		flagged, err = tx.HasFlag(m.ID, c.User.ID)
		return err
	})
	return flagged, err
}
