package store

import (
	"encoding/json"
	"strings"

	"github.com/parley-chat/parley/internal/chat"
)

// The moderation audit log (chat/audit.go) is append-only: this file holds its only
// statements, an INSERT and a SELECT.

func (t *tx) AppendAudit(e *chat.AuditEntry) error {
	detail := string(e.Detail)
	if detail == "" {
		detail = "{}"
	}
	_, err := t.exec(`INSERT INTO moderation_audit (id, action, actor_id, target_type, target_id, channel_id, reason,
		detail, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, e.Action, e.ActorID, e.TargetType, e.TargetID, e.ChannelID, e.Reason, detail, e.CreatedAt.Millis())
	return err
}

// ListAudit pages newest first on (created_at, id), on the index of the filter given.
func (t *tx) ListAudit(q chat.AuditQuery) ([]chat.AuditEntry, error) {
	var where []string
	var args []any
	if q.ActorID != "" {
		where = append(where, "actor_id = ?")
		args = append(args, q.ActorID)
	}
	if q.TargetID != "" {
		where = append(where, "target_id = ?")
		args = append(args, q.TargetID)
	}
	k := keyset{key: "created_at", id: "id", desc: true}
	where, args = k.after(where, args, q.After)
	sqlText := `SELECT id, action, actor_id, target_type, target_id, channel_id, reason, detail, created_at FROM moderation_audit`
	if len(where) > 0 {
		sqlText += " WHERE " + strings.Join(where, " AND ")
	}
	sqlText += k.orderLimit()
	return queryAll(t, scanAudit, sqlText, append(args, q.Limit)...)
}

func scanAudit(s scanner) (chat.AuditEntry, error) {
	var e chat.AuditEntry
	var detail string
	var at int64
	err := s.Scan(&e.ID, &e.Action, &e.ActorID, &e.TargetType, &e.TargetID, &e.ChannelID, &e.Reason, &detail, &at)
	e.Detail = json.RawMessage(detail)
	e.CreatedAt = chat.FromMillis(at)
	return e, err
}
