package store

import (
	"context"
	"encoding/json"

	"github.com/parley-chat/parley/internal/chat"
)

// BulkMessages appends n text messages by one user to a feed in batched inserts, moving
// the feed's counter and the channel's messageCount to match.
//
// Seeding API, not a request path: the huge-feed test builds a feed of 1,000,000
// messages with it. It stays in the store for the reason BulkMembers does.
func (db *DB) BulkMessages(ctx context.Context, feedID, creatorID string, n int) error {
	return db.Write(ctx, func(ctx chat.Tx) error {
		t := ctx.(*tx)
		f, err := t.MessageFeedByID(feedID)
		if err != nil {
			return err
		}
		now := chat.Now().Millis()
		const batch = 500
		for start := 0; start < n; start += batch {
			end := min(start+batch, n)
			args := make([]any, 0, (end-start)*9)
			for i := start; i < end; i++ {
				seg := f.LastSegment + int64(i) + 1
				data, _ := json.Marshal(map[string]string{"text": "bulk"})
				args = append(args, chat.NewID(), feedID, f.ChannelID, seg, creatorID, "text", string(data), now, now)
			}
			if _, err := t.exec(`INSERT INTO messages (id, feed_id, channel_id, segment, creator_id, data_type, data, created_at, updated_at)
				VALUES `+rows(end-start, 9), args...); err != nil {
				return err
			}
		}
		if _, err := t.exec(`UPDATE message_feeds SET last_segment = last_segment + ? WHERE id = ?`, n, feedID); err != nil {
			return err
		}
		t.dirtyChannel(f.ChannelID)
		_, err = t.exec(`UPDATE channels SET message_count = message_count + ? WHERE id = ?`, n, f.ChannelID)
		return err
	})
}

// SetRateLimit turns a channel's rate limit on until a moment.
//
// Seeding API, not a request path: no API call sets a rate limit yet (it would belong to
// the channels resource), and the rate-limit tests need one. It stays in the store for
// the reason BulkMembers does (the channel row is cached).
func (db *DB) SetRateLimit(ctx context.Context, channelInternalID string, limit, windowSeconds int, until chat.Time) error {
	return db.Write(ctx, func(ctx chat.Tx) error {
		t := ctx.(*tx)
		t.dirtyChannel(channelInternalID)
		_, err := t.exec(`UPDATE channels SET rate_limit = ?, rate_limit_window = ?, rate_limit_timeout = ? WHERE id = ?`,
			limit, windowSeconds, until.Millis(), channelInternalID)
		return err
	})
}
