package store

import (
	"database/sql"
	"strings"

	"github.com/parley-chat/parley/internal/chat"
)

// FeedStates reads feeds with one user's marker in each, in one query.
func (t *tx) FeedStates(userID string, ids []string, byFeed bool) ([]chat.FeedState, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	column := "f.channel_id"
	if byFeed {
		column = "f.id"
	}
	return queryAll(t, func(s scanner) (chat.FeedState, error) {
		var st chat.FeedState
		var f chat.MessageFeed
		var last sql.NullString
		var isDefault, deleted int
		var lastAt, edited, deletedAt, mCreated, mUpdated sql.NullInt64
		var created, updated int64
		m := &st.Marker
		err := s.Scan(&f.ID, &f.ChannelID, &f.Name, &isDefault, &f.CreatorID, &f.LastSegment, &f.ChannelMentionSegment,
			&last, &lastAt, &deleted, &created, &updated, &edited, &deletedAt,
			&m.ReadToSegment, &m.DeliveredToSegment, &m.LastMentionSegment, &mCreated, &mUpdated)
		f.LastMessageID = strPtr(last)
		f.IsDefault, f.IsDeleted = isDefault == 1, deleted == 1
		f.LastMessageTimestamp, f.EditedAt, f.DeletedAt = timeOf(lastAt), timeOf(edited), timeOf(deletedAt)
		f.CreatedAt, f.UpdatedAt = chat.FromMillis(created), chat.FromMillis(updated)
		m.CreatedAt, m.UpdatedAt = timeOf(mCreated), timeOf(mUpdated)
		st.Feed = f
		return st, err
	}, `SELECT `+prefixed("f.", feedColumns)+`, COALESCE(m.read_to_segment, 0), COALESCE(m.delivered_to_segment, 0),
		COALESCE(m.last_mentioned_segment, 0), m.created_at, m.updated_at
		FROM message_feeds f LEFT JOIN feed_markers m ON m.feed_id = f.id AND m.user_id = ?
		WHERE f.is_deleted = 0 AND `+column+` IN (`+placeholders(len(ids))+`) ORDER BY f.created_at, f.id`,
		append([]any{userID}, anys(ids)...)...)
}

// PutReadMarker moves a read position forward only; the default feed's is mirrored into
// the membership row.
func (t *tx) PutReadMarker(feedID, channelID, userID string, readTo int64, isDefault bool, at chat.Time) (bool, error) {
	res, err := t.exec(`INSERT INTO feed_markers (feed_id, user_id, channel_id, read_to_segment, delivered_to_segment, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (feed_id, user_id) DO UPDATE SET read_to_segment = excluded.read_to_segment,
		delivered_to_segment = CASE WHEN feed_markers.delivered_to_segment < excluded.read_to_segment
			THEN excluded.read_to_segment ELSE feed_markers.delivered_to_segment END,
		updated_at = excluded.updated_at
		WHERE feed_markers.read_to_segment < excluded.read_to_segment`,
		feedID, userID, channelID, readTo, readTo, at.Millis(), at.Millis())
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	if n == 0 {
		return false, nil
	}
	if isDefault {
		t.dirtyMember(channelID, userID)
		_, err = t.exec(`UPDATE channel_members SET read_to_segment = ? WHERE channel_id = ? AND user_id = ? AND read_to_segment < ?`,
			readTo, channelID, userID, readTo)
	}
	return true, err
}

func (t *tx) PutDeliveredMarker(feedID, channelID, userID string, to int64, at chat.Time) (bool, error) {
	res, err := t.exec(`INSERT INTO feed_markers (feed_id, user_id, channel_id, delivered_to_segment, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (feed_id, user_id) DO UPDATE SET delivered_to_segment = excluded.delivered_to_segment,
		updated_at = excluded.updated_at
		WHERE feed_markers.delivered_to_segment < excluded.delivered_to_segment`,
		feedID, userID, channelID, to, at.Millis(), at.Millis())
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

func (t *tx) SetMentioned(feedID, channelID string, userIDs []string, segment int64, isDefault bool, at chat.Time) error {
	for len(userIDs) > 0 {
		n := min(len(userIDs), memberBatch)
		batch := userIDs[:n]
		userIDs = userIDs[n:]
		args := make([]any, 0, 6*n)
		for _, u := range batch {
			args = append(args, feedID, u, channelID, segment, at.Millis(), at.Millis())
		}
		if _, err := t.exec(`INSERT INTO feed_markers (feed_id, user_id, channel_id, last_mentioned_segment, created_at, updated_at)
			VALUES `+rows(n, 6)+`
			ON CONFLICT (feed_id, user_id) DO UPDATE SET last_mentioned_segment = excluded.last_mentioned_segment,
			updated_at = excluded.updated_at WHERE feed_markers.last_mentioned_segment < excluded.last_mentioned_segment`,
			args...); err != nil {
			return err
		}
		if isDefault {
			for _, u := range batch {
				t.dirtyMember(channelID, u)
			}
			if _, err := t.exec(`UPDATE channel_members SET last_mentioned_segment = ?
				WHERE channel_id = ? AND user_id IN (`+placeholders(n)+`) AND last_mentioned_segment < ?`,
				append(append([]any{segment, channelID}, anys(batch)...), segment)...); err != nil {
				return err
			}
		}
	}
	return nil
}

func receiptColumn(delivered bool) string {
	if delivered {
		return "delivered_to_segment"
	}
	return "read_to_segment"
}

// CountReaders counts through feed_markers_by_read (or _by_delivered), reading at most max rows.
func (t *tx) CountReaders(feedID string, segment int64, delivered bool, exceptUser string, max int) (int, error) {
	col := receiptColumn(delivered)
	var n int
	err := t.queryRow(`SELECT COUNT(*) FROM (SELECT 1 FROM feed_markers WHERE feed_id = ? AND `+col+` >= ? AND user_id <> ? LIMIT ?) r`,
		feedID, segment, exceptUser, max).Scan(&n)
	return n, err
}

func (t *tx) Readers(feedID string, segment int64, delivered bool, exceptUser string, after *chat.Cursor, limit int) ([]chat.UserFeedMarker, error) {
	col := receiptColumn(delivered)
	k := keyset{key: col, id: "user_id"}
	where, args := k.after([]string{"feed_id = ?", col + " >= ?", "user_id <> ?"}, []any{feedID, segment, exceptUser}, after)
	args = append(args, limit)
	return queryAll(t, func(s scanner) (chat.UserFeedMarker, error) {
		var m chat.UserFeedMarker
		var created, updated int64
		err := s.Scan(&m.FeedID, &m.EntityID, &m.UserID, &m.ReadToSegment, &m.DeliveredToSegment, &m.LastMentionSegment, &created, &updated)
		m.CreatedAt, m.UpdatedAt = chat.FromMillis(created), chat.FromMillis(updated)
		return m, err
	}, `SELECT feed_id, channel_id, user_id, read_to_segment, delivered_to_segment, last_mentioned_segment, created_at, updated_at
		FROM feed_markers WHERE `+strings.Join(where, " AND ")+k.orderLimit(), args...)
}

// TotalUnread sums over the user's own memberships (channel_members_of_user), never over
// a channel's members.
func (t *tx) TotalUnread(userID string) (int64, bool, error) {
	var unread, mentioned int64
	err := t.queryRow(`SELECT
		CAST(COALESCE(SUM(CASE WHEN f.last_segment > COALESCE(m.read_to_segment, 0)
			THEN f.last_segment - COALESCE(m.read_to_segment, 0) ELSE 0 END), 0) AS BIGINT),
		CAST(COALESCE(MAX(CASE WHEN COALESCE(m.last_mentioned_segment, 0) > COALESCE(m.read_to_segment, 0)
			OR f.channel_mention_segment > COALESCE(m.read_to_segment, 0) THEN 1 ELSE 0 END), 0) AS BIGINT)
		FROM channel_members cm
		JOIN channels c ON c.id = cm.channel_id
		JOIN message_feeds f ON f.channel_id = cm.channel_id
		LEFT JOIN feed_markers m ON m.feed_id = f.id AND m.user_id = cm.user_id
		WHERE cm.user_id = ? AND cm.membership = 'member' AND c.is_deleted = 0 AND c.type <> 'live' AND f.is_deleted = 0`,
		userID).Scan(&unread, &mentioned)
	return unread, mentioned > 0, err
}
