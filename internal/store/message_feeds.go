package store

import (
	"database/sql"
	"strings"

	"github.com/parley-chat/parley/internal/chat"
)

const feedColumns = `id, channel_id, name, is_default, creator_id, last_segment, channel_mention_segment,
	last_message_id, last_message_at, is_deleted, created_at, updated_at, edited_at, deleted_at`

func scanFeed(s scanner) (chat.MessageFeed, error) {
	var f chat.MessageFeed
	var last sql.NullString
	var isDefault, deleted int
	var lastAt, edited, deletedAt sql.NullInt64
	var created, updated int64
	err := s.Scan(&f.ID, &f.ChannelID, &f.Name, &isDefault, &f.CreatorID, &f.LastSegment, &f.ChannelMentionSegment,
		&last, &lastAt, &deleted, &created, &updated, &edited, &deletedAt)
	f.LastMessageID = strPtr(last)
	f.IsDefault, f.IsDeleted = isDefault == 1, deleted == 1
	f.LastMessageTimestamp, f.EditedAt, f.DeletedAt = timeOf(lastAt), timeOf(edited), timeOf(deletedAt)
	f.CreatedAt, f.UpdatedAt = chat.FromMillis(created), chat.FromMillis(updated)
	return f, err
}

// InsertMessageFeed creates a feed; creating one that exists (a default feed) is a no-op.
func (t *tx) InsertMessageFeed(f *chat.MessageFeed) error {
	_, err := t.exec(`INSERT INTO message_feeds (`+feedColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`,
		f.ID, f.ChannelID, f.Name, boolInt(f.IsDefault), f.CreatorID, f.LastSegment, f.ChannelMentionSegment,
		f.LastMessageID, nullMillis(f.LastMessageTimestamp), boolInt(f.IsDeleted), f.CreatedAt.Millis(),
		f.UpdatedAt.Millis(), nullMillis(f.EditedAt), nullMillis(f.DeletedAt))
	return err
}

// UpdateMessageFeed writes what owners change; the counter and newest message are only
// moved by NextSegment.
func (t *tx) UpdateMessageFeed(f *chat.MessageFeed) error {
	_, err := t.exec(`UPDATE message_feeds SET name = ?, is_deleted = ?, updated_at = ?, edited_at = ?, deleted_at = ? WHERE id = ?`,
		f.Name, boolInt(f.IsDeleted), f.UpdatedAt.Millis(), nullMillis(f.EditedAt), nullMillis(f.DeletedAt), f.ID)
	return err
}

func (t *tx) MessageFeedByID(id string) (*chat.MessageFeed, error) {
	return one(t.queryRow(`SELECT `+feedColumns+` FROM message_feeds WHERE id = ?`, id), scanFeed)
}

func (t *tx) MessageFeedsByIDs(ids []string) ([]chat.MessageFeed, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	found, err := queryAll(t, scanFeed, `SELECT `+feedColumns+` FROM message_feeds WHERE id IN (`+placeholders(len(ids))+`)`, anys(ids)...)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]chat.MessageFeed, len(found))
	for _, f := range found {
		byID[f.ID] = f
	}
	out := make([]chat.MessageFeed, 0, len(found))
	for _, id := range ids {
		if f, ok := byID[id]; ok {
			out = append(out, f)
		}
	}
	return out, nil
}

// ListMessageFeeds pages a channel's feeds oldest first on (created_at, id).
func (t *tx) ListMessageFeeds(q chat.FeedQuery) ([]chat.MessageFeed, error) {
	where := []string{"channel_id = ?"}
	args := []any{q.ChannelID}
	if q.ExcludeDefault {
		where = append(where, "is_default = 0")
	}
	if q.IsDeleted != nil {
		where = append(where, "is_deleted = ?")
		args = append(args, boolInt(*q.IsDeleted))
	}
	k := keyset{key: "created_at", id: "id"}
	where, args = k.after(where, args, q.After)
	args = append(args, q.Limit)
	return queryAll(t, scanFeed, `SELECT `+feedColumns+` FROM message_feeds WHERE `+strings.Join(where, " AND ")+k.orderLimit(), args...)
}

// NextSegment increments the feed's counter and reads it back in one statement: the
// write lock it takes (SQLite's single writer; PostgreSQL's row lock, which queues the
// others until commit) is what makes concurrent senders take distinct numbers.
func (t *tx) NextSegment(feedID, messageID string, at chat.Time) (int64, error) {
	var seg int64
	err := t.queryRow(`UPDATE message_feeds SET last_segment = last_segment + 1, last_message_id = ?, last_message_at = ?,
		updated_at = ? WHERE id = ? RETURNING last_segment`, messageID, at.Millis(), at.Millis(), feedID).Scan(&seg)
	return seg, err
}

func (t *tx) AddChannelMessage(channelID, messageID string, at chat.Time) error {
	t.dirtyChannel(channelID)
	_, err := t.exec(`UPDATE channels SET message_count = message_count + 1, last_activity = ?, message_preview_id = ? WHERE id = ?`,
		at.Millis(), messageID, channelID)
	return err
}

func (t *tx) MarkChannelMention(feedID string, segment int64) error {
	_, err := t.exec(`UPDATE message_feeds SET channel_mention_segment = ? WHERE id = ? AND channel_mention_segment < ?`,
		segment, feedID, segment)
	return err
}
