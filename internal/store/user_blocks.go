package store

import (
	"strings"

	"github.com/parley-chat/parley/internal/chat"
)

// User blocks (chat/user_block.go): plain rows, no cached table is written here.

func (t *tx) PutBlock(blockerID, blockedID string, at chat.Time) (bool, error) {
	res, err := t.exec(`INSERT INTO user_blocks (blocker_id, blocked_id, created_at) VALUES (?, ?, ?)
		ON CONFLICT (blocker_id, blocked_id) DO NOTHING`, blockerID, blockedID, at.Millis())
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

func (t *tx) RemoveBlock(blockerID, blockedID string) (bool, error) {
	res, err := t.exec(`DELETE FROM user_blocks WHERE blocker_id = ? AND blocked_id = ?`, blockerID, blockedID)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Blocks pages on the index user_blocks_by_blocker, newest first.
func (t *tx) Blocks(blockerID string, limit int, after *chat.Cursor) ([]chat.Block, error) {
	k := keyset{key: "created_at", id: "blocked_id", desc: true}
	where, args := k.after([]string{"blocker_id = ?"}, []any{blockerID}, after)
	q := `SELECT blocker_id, blocked_id, created_at FROM user_blocks WHERE ` + strings.Join(where, " AND ") + k.orderLimit()
	return queryAll(t, scanBlock, q, append(args, limit)...)
}

func scanBlock(s scanner) (chat.Block, error) {
	var b chat.Block
	var at int64
	err := s.Scan(&b.BlockerID, &b.BlockedID, &at)
	b.CreatedAt = chat.FromMillis(at)
	return b, err
}

func (t *tx) BlockersOf(blockedID string, userIDs []string) ([]string, error) {
	if len(userIDs) == 0 {
		return nil, nil
	}
	return queryAll(t, scanString, `SELECT blocker_id FROM user_blocks WHERE blocked_id = ? AND blocker_id IN (`+
		placeholders(len(userIDs))+`)`, append([]any{blockedID}, anys(userIDs)...)...)
}

// BlockedInChannel walks the few users who blocked userID (user_blocks_by_blocked) and
// looks each up in the channel's members by primary key: a conversation's size does not
// matter.
func (t *tx) BlockedInChannel(userID, channelID string) (bool, error) {
	var n int
	err := t.queryRow(`SELECT COUNT(*) FROM user_blocks b JOIN channel_members m
		ON m.channel_id = ? AND m.user_id = b.blocker_id AND m.membership = 'member'
		WHERE b.blocked_id = ?`, channelID, userID).Scan(&n)
	return n > 0, err
}
