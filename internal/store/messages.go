package store

import (
	"database/sql"
	"encoding/json"
	"strings"

	"github.com/parley-chat/parley/internal/chat"
)

const messageColumns = `id, feed_id, channel_id, segment, parent_id, creator_id, data_type, data, metadata, tags,
	mentioned_users, reference_id, child_count, flag_count, reaction_count, reactions, is_deleted, created_at,
	updated_at, edited_at, deleted_at`

func scanMessage(s scanner) (chat.Message, error) {
	var m chat.Message
	var parent, ref sql.NullString
	var data, metadata, tags, mentions, reactions string
	var deleted int
	var created, updated int64
	var edited, deletedAt sql.NullInt64
	err := s.Scan(&m.ID, &m.MessageFeedID, &m.ChannelID, &m.Segment, &parent, &m.CreatorID, &m.DataType, &data,
		&metadata, &tags, &mentions, &ref, &m.ChildCount, &m.FlagCount, &m.ReactionCount, &reactions, &deleted,
		&created, &updated, &edited, &deletedAt)
	if err != nil {
		return m, err
	}
	m.ParentID, m.ReferenceID = strPtr(parent), strPtr(ref)
	m.Data, m.Metadata = json.RawMessage(data), json.RawMessage(metadata)
	stringList(tags, &m.Tags)
	json.Unmarshal([]byte(mentions), &m.MentionedUsers)
	json.Unmarshal([]byte(reactions), &m.Reactions)
	m.IsDeleted = deleted == 1
	m.CreatedAt, m.UpdatedAt = chat.FromMillis(created), chat.FromMillis(updated)
	m.EditedAt, m.DeletedAt = timeOf(edited), timeOf(deletedAt)
	return m, nil
}

func marshalText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func (t *tx) InsertMessage(m *chat.Message) error {
	_, err := t.exec(`INSERT INTO messages (`+messageColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ID, m.MessageFeedID, m.ChannelID, m.Segment, m.ParentID, m.CreatorID, m.DataType, string(m.Data),
		jsonText(m.Metadata), marshalText(nonNil(m.Tags)), marshalText(nonNilMentions(m.MentionedUsers)), m.ReferenceID,
		m.ChildCount, m.FlagCount, m.ReactionCount, marshalText(nonNilCounts(m.Reactions)), boolInt(m.IsDeleted),
		m.CreatedAt.Millis(), m.UpdatedAt.Millis(), nullMillis(m.EditedAt), nullMillis(m.DeletedAt))
	if err != nil {
		return err
	}
	return t.putMessageTags(m)
}

func (t *tx) putMessageTags(m *chat.Message) error {
	tags := chat.Unique(m.Tags)
	if len(tags) == 0 {
		return nil
	}
	args := make([]any, 0, 4*len(tags))
	for _, tag := range tags {
		args = append(args, m.ID, m.MessageFeedID, m.Segment, tag)
	}
	_, err := t.exec(`INSERT INTO message_tags (message_id, feed_id, segment, tag) VALUES `+rows(len(tags), 4), args...)
	return err
}

func nonNilMentions(v []chat.Mention) []chat.Mention {
	if v == nil {
		return []chat.Mention{}
	}
	return v
}

func nonNilCounts(v map[string]int) map[string]int {
	if v == nil {
		return map[string]int{}
	}
	return v
}

func (t *tx) UpdateMessage(m *chat.Message) error {
	_, err := t.exec(`UPDATE messages SET data = ?, metadata = ?, tags = ?, mentioned_users = ?, flag_count = ?,
		reaction_count = ?, reactions = ?, is_deleted = ?, updated_at = ?, edited_at = ?, deleted_at = ? WHERE id = ?`,
		string(m.Data), jsonText(m.Metadata), marshalText(nonNil(m.Tags)), marshalText(nonNilMentions(m.MentionedUsers)),
		m.FlagCount, m.ReactionCount, marshalText(nonNilCounts(m.Reactions)), boolInt(m.IsDeleted), m.UpdatedAt.Millis(),
		nullMillis(m.EditedAt), nullMillis(m.DeletedAt), m.ID)
	if err != nil {
		return err
	}
	if _, err := t.exec(`DELETE FROM message_tags WHERE message_id = ?`, m.ID); err != nil {
		return err
	}
	return t.putMessageTags(m)
}

func (t *tx) MessageByID(id string) (*chat.Message, error) {
	return one(t.queryRow(`SELECT `+messageColumns+` FROM messages WHERE id = ?`, id), scanMessage)
}

// MessagesByIDs returns the messages that exist, in the order asked.
func (t *tx) MessagesByIDs(ids []string) ([]chat.Message, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	found, err := queryAll(t, scanMessage, `SELECT `+messageColumns+` FROM messages WHERE id IN (`+placeholders(len(ids))+`)`, anys(ids)...)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]chat.Message, len(found))
	for _, m := range found {
		byID[m.ID] = m
	}
	out := make([]chat.Message, 0, len(found))
	for _, id := range ids {
		if m, ok := byID[id]; ok {
			out = append(out, m)
		}
	}
	return out, nil
}

// ListMessages reads one keyset page of a feed by segment. Each filter is served by an
// index that starts with (feed_id, …) and ends with segment, so the page is an index
// range scan from the cursor whatever the feed's size.
func (t *tx) ListMessages(q chat.MessageQuery) ([]chat.Message, error) {
	where := []string{"m.feed_id = ?"}
	args := []any{q.FeedID}
	if !q.IncludeDeleted {
		where = append(where, "m.is_deleted = 0")
	}
	if q.ParentID != nil {
		where = append(where, "m.parent_id = ?")
		args = append(args, *q.ParentID)
	}
	if q.DataType != "" {
		where = append(where, "m.data_type = ?")
		args = append(args, q.DataType)
	}
	if q.HasFlags {
		where = append(where, "m.flag_count > 0")
	}
	if len(q.IncludeTags) > 0 {
		where = append(where, `EXISTS (SELECT 1 FROM message_tags x WHERE x.message_id = m.id AND x.tag IN (`+placeholders(len(q.IncludeTags))+`))`)
		args = append(args, anys(q.IncludeTags)...)
	}
	if len(q.ExcludeTags) > 0 {
		where = append(where, `NOT EXISTS (SELECT 1 FROM message_tags x WHERE x.message_id = m.id AND x.tag IN (`+placeholders(len(q.ExcludeTags))+`))`)
		args = append(args, anys(q.ExcludeTags)...)
	}
	dir, op := "DESC", "<"
	if q.Asc {
		dir, op = "ASC", ">"
	}
	if q.From > 0 {
		where = append(where, "m.segment "+op+" ?")
		args = append(args, q.From)
	}
	args = append(args, q.Limit)
	return queryAll(t, scanMessage, `SELECT `+prefixed("m.", messageColumns)+` FROM messages m WHERE `+
		strings.Join(where, " AND ")+` ORDER BY m.segment `+dir+` LIMIT ?`, args...)
}

func (t *tx) AddChildCount(parentID string, n int) error {
	_, err := t.exec(`UPDATE messages SET child_count = child_count + ? WHERE id = ?`, n, parentID)
	return err
}

// CountRecentMessages counts through messages_by_creator, reading at most max rows.
func (t *tx) CountRecentMessages(channelID, userID string, since chat.Time, max int) (int, error) {
	var n int
	err := t.queryRow(`SELECT COUNT(*) FROM (SELECT 1 FROM messages WHERE channel_id = ? AND creator_id = ? AND created_at > ? LIMIT ?) r`,
		channelID, userID, since.Millis(), max).Scan(&n)
	return n, err
}

func (t *tx) DeleteMessagesOf(channelID string, userIDs []string, at chat.Time) (int, error) {
	if len(userIDs) == 0 {
		return 0, nil
	}
	res, err := t.exec(`UPDATE messages SET is_deleted = 1, deleted_at = ?, updated_at = ?
		WHERE channel_id = ? AND creator_id IN (`+placeholders(len(userIDs))+`) AND is_deleted = 0`,
		append([]any{at.Millis(), at.Millis(), channelID}, anys(userIDs)...)...)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

func (t *tx) PutFlag(messageID, userID, reason string, at chat.Time) (bool, error) {
	res, err := t.exec(`INSERT INTO message_flags (message_id, user_id, reason, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (message_id, user_id) DO NOTHING`, messageID, userID, reason, at.Millis())
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

func (t *tx) RemoveFlag(messageID, userID string) (bool, error) {
	res, err := t.exec(`DELETE FROM message_flags WHERE message_id = ? AND user_id = ?`, messageID, userID)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ClearFlags deletes every flag of a message and returns how many there were; the
// caller sets the message's flag_count.
func (t *tx) ClearFlags(messageID string) (int, error) {
	res, err := t.exec(`DELETE FROM message_flags WHERE message_id = ?`, messageID)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// ListFlaggedMessages pages the flagged live messages of every channel newest first, on
// the partial index messages_flagged_by_time (migration 0060).
func (t *tx) ListFlaggedMessages(q chat.FlaggedMessageQuery) ([]chat.Message, error) {
	k := keyset{key: "created_at", id: "id", desc: true}
	where, args := k.after([]string{"flag_count > 0", "is_deleted = 0"}, nil, q.After)
	return queryAll(t, scanMessage, `SELECT `+messageColumns+` FROM messages WHERE `+strings.Join(where, " AND ")+
		k.orderLimit(), append(args, q.Limit)...)
}

func (t *tx) HasFlag(messageID, userID string) (bool, error) {
	var n int
	err := t.queryRow(`SELECT COUNT(*) FROM message_flags WHERE message_id = ? AND user_id = ?`, messageID, userID).Scan(&n)
	return n > 0, err
}

const reactionColumns = `id, message_id, user_id, name, created_at`

func scanReaction(s scanner) (chat.Reaction, error) {
	var r chat.Reaction
	var created int64
	err := s.Scan(&r.ID, &r.MessageID, &r.UserID, &r.Name, &created)
	r.CreatedAt = chat.FromMillis(created)
	return r, err
}

func (t *tx) AddReaction(r *chat.Reaction) (bool, error) {
	res, err := t.exec(`INSERT INTO message_reactions (`+reactionColumns+`) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (message_id, user_id, name) DO NOTHING`, r.ID, r.MessageID, r.UserID, r.Name, r.CreatedAt.Millis())
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return true, nil
	}
	// Already there: answer the existing reaction.
	old, err := one(t.queryRow(`SELECT `+reactionColumns+` FROM message_reactions WHERE message_id = ? AND user_id = ? AND name = ?`,
		r.MessageID, r.UserID, r.Name), scanReaction)
	if err == nil && old != nil {
		*r = *old
	}
	return false, err
}

func (t *tx) RemoveReaction(messageID, userID, name string) (*chat.Reaction, error) {
	r, err := one(t.queryRow(`SELECT `+reactionColumns+` FROM message_reactions WHERE message_id = ? AND user_id = ? AND name = ?`,
		messageID, userID, name), scanReaction)
	if err != nil || r == nil {
		return nil, err
	}
	_, err = t.exec(`DELETE FROM message_reactions WHERE id = ?`, r.ID)
	return r, err
}

func (t *tx) MyReactions(userID string, messageIDs []string) (map[string][]string, error) {
	out := map[string][]string{}
	if len(messageIDs) == 0 {
		return out, nil
	}
	rs, err := queryAll(t, scanReaction, `SELECT `+reactionColumns+` FROM message_reactions
		WHERE user_id = ? AND message_id IN (`+placeholders(len(messageIDs))+`) ORDER BY created_at, id`,
		append([]any{userID}, anys(messageIDs)...)...)
	for _, r := range rs {
		out[r.MessageID] = append(out[r.MessageID], r.Name)
	}
	return out, err
}

// ListReactions pages newest first on (created_at, id).
func (t *tx) ListReactions(q chat.ReactionQuery) ([]chat.Reaction, error) {
	where := []string{"message_id = ?"}
	args := []any{q.MessageID}
	if q.Name != "" {
		where = append(where, "name = ?")
		args = append(args, q.Name)
	}
	k := keyset{key: "created_at", id: "id", desc: true}
	where, args = k.after(where, args, q.After)
	args = append(args, q.Limit)
	return queryAll(t, scanReaction, `SELECT `+reactionColumns+` FROM message_reactions WHERE `+
		strings.Join(where, " AND ")+k.orderLimit(), args...)
}
