package chat

import "encoding/json"

// Message data types.
const (
	DataText   = "text"
	DataImage  = "image"
	DataFile   = "file"
	DataVideo  = "video"
	DataAudio  = "audio"
	DataCustom = "custom"
)

// Message limits.
const (
	MaxTextChars        = 20_000
	MaxCustomDataBytes  = 100_000
	MaxMessageTags      = 10
	MaxMentionedUsers   = 100
	MaxMessagesByIDs    = 100
	MaxReactionNameChar = 100
)

// Message is a chat message in the shape the SDK reads (RawMessage). creatorId is the
// creator's internal id (the SDK compares it with its own `_id`), channelId the channel's
// internal id; isDeleted is always present, or the SDK drops the message from lists.
type Message struct {
	ID              string          `json:"_id"`
	MessageID       string          `json:"messageId"`
	MessageFeedID   string          `json:"messageFeedId"`
	ChannelID       string          `json:"channelId"`
	ChannelPublicID string          `json:"channelPublicId"`
	ChannelType     string          `json:"channelType"`
	Segment         int64           `json:"segment"`
	ParentID        *string         `json:"parentId"`
	ChildCount      int             `json:"childCount"`
	CreatorID       string          `json:"creatorId"`
	CreatorPublicID string          `json:"creatorPublicId"`
	DataType        string          `json:"dataType"`
	Data            json.RawMessage `json:"data"`
	Tags            []string        `json:"tags"`
	Metadata        json.RawMessage `json:"metadata"`
	MentionedUsers  []Mention       `json:"mentionedUsers"`
	ReferenceID     *string         `json:"referenceId"`
	ReactionCount   int             `json:"reactionCount"`
	Reactions       map[string]int  `json:"reactions"`
	MyReactions     []string        `json:"myReactions"`
	FlagCount       int             `json:"flagCount"`
	HashFlag        *HashFlag       `json:"hashFlag"`
	Path            string          `json:"path"`
	IsDeleted       bool            `json:"isDeleted"`
	CreatedAt       Time            `json:"createdAt"`
	UpdatedAt       Time            `json:"updatedAt"`
	EditedAt        Time            `json:"editedAt"`
	DeletedAt       Time            `json:"deletedAt"`
}

// Mention is one entry of mentionedUsers: the whole channel, or named users.
type Mention struct {
	Type          string   `json:"type"` // user | channel
	UserPublicIDs []string `json:"userPublicIds,omitempty"`
}

// MessagePayload is the answer of every message call and the data of message events.
// Every key is an array: the 6.35.3 SDK maps them unconditionally.
type MessagePayload struct {
	Messages     []Message      `json:"messages"`
	MessageFeeds []MessageFeed  `json:"messageFeeds"`
	Reactions    []ReactionItem `json:"reactions"`
	Users        []User         `json:"users"`
	Files        []File         `json:"files"`
	Paging       *Paging        `json:"paging,omitempty"`
}

// ReactionItem is one reaction as message events carry it.
type ReactionItem struct {
	ReactionID   string `json:"reactionId"`
	ReactionName string `json:"reactionName"`
	UserID       string `json:"userId"` // public id: the SDK compares it with its own userId (myReactions)
	UserPublicID string `json:"userPublicId"`
}

// MessageStore is the persistence of messages, their flags and reactions.
type MessageStore interface {
	InsertMessage(m *Message) error
	// UpdateMessage writes a message's content, counters and deletion.
	UpdateMessage(m *Message) error
	MessageByID(id string) (*Message, error)
	// MessagesByIDs returns the messages that exist, in the order asked.
	MessagesByIDs(ids []string) ([]Message, error)
	ListMessages(q MessageQuery) ([]Message, error)
	// AddChildCount moves a parent's reply count.
	AddChildCount(parentID string, n int) error
	// CountRecentMessages counts a user's messages in a channel since a moment, stopping at max.
	CountRecentMessages(channelID, userID string, since Time, max int) (int, error)
	// DeleteMessagesOf soft-deletes every live message of users in a channel and returns
	// how many it deleted.
	DeleteMessagesOf(channelID string, userIDs []string, at Time) (int, error)

	// PutFlag records a user's flag; false when it was there already.
	PutFlag(messageID, userID, reason string, at Time) (bool, error)
	// RemoveFlag removes a user's flag; false when there was none.
	RemoveFlag(messageID, userID string) (bool, error)
	HasFlag(messageID, userID string) (bool, error)
	// ClearFlags removes every flag of a message and returns how many there were.
	ClearFlags(messageID string) (int, error)
	// ListFlaggedMessages pages the flagged live messages of every channel.
	ListFlaggedMessages(q FlaggedMessageQuery) ([]Message, error)

	// AddReaction records a reaction; false when the user had it already.
	AddReaction(r *Reaction) (bool, error)
	// RemoveReaction removes a user's reaction and returns it, nil when there was none.
	RemoveReaction(messageID, userID, name string) (*Reaction, error)
	// MyReactions returns the names a user reacted with, per message.
	MyReactions(userID string, messageIDs []string) (map[string][]string, error)
	ListReactions(q ReactionQuery) ([]Reaction, error)
}

// MessageQuery is one page of GET /api/v5/messages.
type MessageQuery struct {
	FeedID         string
	ParentID       *string
	DataType       string
	IncludeTags    []string // any of them
	ExcludeTags    []string // none of them
	IncludeDeleted bool
	HasFlags       bool
	// Keyset: segments strictly after (Asc) or before (!Asc) From, when From > 0; the
	// page is returned in that order.
	From  int64
	Asc   bool
	Limit int
}
