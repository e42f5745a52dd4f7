package store

import (
	"database/sql"
	"strings"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/room"
)

const invitationColumns = `id, type, target_type, target_id, user_id, inviter_id, status, responded_at, created_at, updated_at`

func scanInvitation(s scanner) (room.Invitation, error) {
	var inv room.Invitation
	var responded sql.NullInt64
	var created, updated int64
	err := s.Scan(&inv.ID, &inv.Type, &inv.TargetType, &inv.TargetID, &inv.UserID, &inv.CreatedBy, &inv.Status,
		&responded, &created, &updated)
	inv.RespondedAt, inv.CreatedAt, inv.UpdatedAt = timeOf(responded), chat.FromMillis(created), chat.FromMillis(updated)
	return inv, err
}

func (t *tx) InsertInvitation(inv *room.Invitation) error {
	_, err := t.exec(`INSERT INTO invitations (`+invitationColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		inv.ID, inv.Type, inv.TargetType, inv.TargetID, inv.UserID, inv.CreatedBy, inv.Status,
		nullMillis(inv.RespondedAt), inv.CreatedAt.Millis(), inv.UpdatedAt.Millis())
	return err
}

// UpdateInvitation saves an invitation's answer.
func (t *tx) UpdateInvitation(inv *room.Invitation) error {
	_, err := t.exec(`UPDATE invitations SET status = ?, responded_at = ?, updated_at = ? WHERE id = ?`,
		inv.Status, nullMillis(inv.RespondedAt), inv.UpdatedAt.Millis(), inv.ID)
	return err
}

func (t *tx) InvitationByID(id string) (*room.Invitation, error) {
	return one(t.queryRow(`SELECT `+invitationColumns+` FROM invitations WHERE id = ?`, id), scanInvitation)
}

func (t *tx) PendingInvitations(targetType, targetID string, userIDs []string) ([]room.Invitation, error) {
	if len(userIDs) == 0 {
		return nil, nil
	}
	args := append([]any{targetType, targetID}, anys(userIDs)...)
	return queryAll(t, scanInvitation, `SELECT `+invitationColumns+` FROM invitations
		WHERE target_type = ? AND target_id = ? AND status = 'pending' AND user_id IN (`+placeholders(len(userIDs))+`)`, args...)
}

// ListInvitations pages by keyset on (created_at, id), through the target's index or
// the invitee's.
func (t *tx) ListInvitations(q room.InvitationQuery) ([]room.Invitation, error) {
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
	k := keyset{key: "created_at", id: "id", desc: !q.Ascending}
	where, args = k.after(where, args, q.After)
	text := `SELECT ` + invitationColumns + ` FROM invitations`
	if len(where) > 0 {
		text += " WHERE " + strings.Join(where, " AND ")
	}
	text += k.orderLimit()
	args = append(args, q.Limit)
	return queryAll(t, scanInvitation, text, args...)
}
