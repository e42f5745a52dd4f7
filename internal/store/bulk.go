package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/parley-chat/parley/internal/chat"
)

// BulkMembers fills a channel with n new users (public ids prefix0, prefix1, …) as plain
// members, in batched inserts, and moves its member count to match.
//
// Seeding API, not a request path: the big-channel tests build 300,000-member channels
// with it, which no API call makes in reasonable time. It stays in the store because
// only the store's writer can insert rows while keeping its row caches right (the
// dirty marks); storetest.Count, by contrast, reads on a connection of its own.
func (db *DB) BulkMembers(ctx context.Context, channelInternalID, prefix string, n int) error {
	now := chat.Now().Millis()
	return db.Write(ctx, func(ctx chat.Tx) error {
		t := ctx.(*tx)
		for start := 0; start < n; start += memberBatch {
			end := min(start+memberBatch, n)
			users := make([]any, 0, (end-start)*6)
			members := make([]any, 0, (end-start)*5)
			for i := start; i < end; i++ {
				id := chat.NewID()
				name := fmt.Sprintf("%s%d", prefix, i)
				users = append(users, id, name, name, name, now+int64(i), now)
				members = append(members, channelInternalID, id, now+int64(i), now+int64(i), now)
				t.dirtyUser(id)
				t.dirtyMember(channelInternalID, id)
			}
			if _, err := t.exec(`INSERT INTO users (id, user_id, display_name, display_name_lower, created_at, updated_at) VALUES `+
				rows(end-start, 6), users...); err != nil {
				return err
			}
			if _, err := t.exec(`INSERT INTO channel_members (channel_id, user_id, created_at, last_activity, updated_at, membership)
				VALUES `+strings.ReplaceAll(rows(end-start, 5), "?)", "?, 'member')"), members...); err != nil {
				return err
			}
		}
		t.dirtyChannel(channelInternalID)
		_, err := t.exec(`UPDATE channels SET member_count = member_count + ? WHERE id = ?`, n, channelInternalID)
		return err
	})
}
