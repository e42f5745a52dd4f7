package store

import (
	"database/sql"
	"strings"

	"github.com/parley-chat/parley/internal/chat"
)

const invitationColumns = `id, type, target_type, target_id, user_id, inviter_id, status, responded_at, created_at, updated_at`

func scanInvitation(s scanner) (chat.Invitation, error) {
	var inv chat.Invitation
	var responded sql.NullInt64
	var created, updated int64
	err := s.Scan(&inv.ID, &inv.Type, &inv.TargetType, &inv.TargetID, &inv.UserID, &inv.CreatedBy, &inv.Status,
		&responded, &created, &updated)
	inv.RespondedAt, inv.CreatedAt, inv.UpdatedAt = timeOf(responded), chat.FromMillis(created), chat.FromMillis(updated)
	return inv, err
}

func (t *tx) InsertInvitation(inv *chat.Invitation) error {
	_, err := t.exec(`INSERT INTO invitations (`+invitationColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		inv.ID, inv.Type, inv.TargetType, inv.TargetID, inv.UserID, inv.CreatedBy, inv.Status,
		nullMillis(inv.RespondedAt), inv.CreatedAt.Millis(), inv.UpdatedAt.Millis())
	return err
}

// UpdateInvitation saves an invitation's answer.
func (t *tx) UpdateInvitation(inv *chat.Invitation) error {
	_, err := t.exec(`UPDATE invitations SET status = ?, responded_at = ?, updated_at = ? WHERE id = ?`,
		inv.Status, nullMillis(inv.RespondedAt), inv.UpdatedAt.Millis(), inv.ID)
	return err
}

func (t *tx) InvitationByID(id string) (*chat.Invitation, error) {
	return one(t.queryRow(`SELECT `+invitationColumns+` FROM invitations WHERE id = ?`, id), scanInvitation)
}

func (t *tx) PendingInvitations(targetType, targetID string, userIDs []string) ([]chat.Invitation, error) {
	if len(userIDs) == 0 {
		return nil, nil
	}
	args := append([]any{targetType, targetID}, anys(userIDs)...)
	return queryAll(t, scanInvitation, `SELECT `+invitationColumns+` FROM invitations
		WHERE target_type = ? AND target_id = ? AND status = 'pending' AND user_id IN (`+placeholders(len(userIDs))+`)`, args...)
}

// ListInvitations pages by keyset on (created_at, id), through the target's index or
// the invitee's.
func (t *tx) ListInvitations(q chat.InvitationQuery) ([]chat.Invitation, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		where = append(where, cond)
		args = append(args, v)
	}
	if q.UserID != "" {
		add("user_id = ?", q.UserID)
	}
	if q.TargetType != "" {
		add("target_type = ?", q.TargetType)
	}
	if q.TargetID != "" {
		add("target_id = ?", q.TargetID)
	}
	if q.Type != "" {
		add("type = ?", q.Type)
	}
	if len(q.Statuses) > 0 {
		where = append(where, "status IN ("+placeholders(len(q.Statuses))+")")
		args = append(args, anys(q.Statuses)...)
	}
	dir, op := "DESC", "<"
	if q.Ascending {
		dir, op = "ASC", ">"
	}
	if c := q.After; c != nil && c.ID != "" {
		where = append(where, "(created_at "+op+" ? OR (created_at = ? AND id "+op+" ?))")
		args = append(args, c.N, c.N, c.ID)
	}
	text := `SELECT ` + invitationColumns + ` FROM invitations`
	if len(where) > 0 {
		text += " WHERE " + strings.Join(where, " AND ")
	}
	text += " ORDER BY created_at " + dir + ", id " + dir + " LIMIT ?"
	args = append(args, q.Limit)
	return queryAll(t, scanInvitation, text, args...)
}
