package chat

import (
	"context"
	"encoding/json"
)

// The moderation audit log, beyond Amity: every moderation act appends one entry per
// target in the act's own transaction (so an act that fails or is refused leaves none),
// and nothing ever changes or removes an entry. Ids in entries are public ids: the log
// stays readable after users and channels are gone.

// AuditEntry is one moderation act on one target.
type AuditEntry struct {
	ID         string          `json:"auditId"`
	Action     string          `json:"action"`
	ActorID    string          `json:"actorId"`    // public user id; "" for the server key before its user existed
	TargetType string          `json:"targetType"` // user | message | channel | blocklist
	TargetID   string          `json:"targetId"`
	ChannelID  string          `json:"channelId"` // public channel id when the act is inside one
	Reason     string          `json:"reason"`
	Detail     json.RawMessage `json:"detail"`
	CreatedAt  Time            `json:"createdAt"`
}

// Audited actions.
const (
	AuditChannelBan          = "channel.ban"
	AuditChannelUnban        = "channel.unban"
	AuditChannelMute         = "channel.mute"
	AuditChannelUserMute     = "channel.userMute"
	AuditChannelRoleAdd      = "channel.roleAdd"
	AuditChannelRoleRemove   = "channel.roleRemove"
	AuditGlobalBan           = "user.globalBan"
	AuditGlobalUnban         = "user.globalUnban"
	AuditUserRoles           = "user.roles"
	AuditFlagsCleared        = "user.flagsCleared"
	AuditMessageDelete       = "message.delete"
	AuditMessageFlagsCleared = "message.flagsCleared"
)

// MaxAuditReason bounds the optional reason of moderation requests.
const MaxAuditReason = 1000

// AuditStore appends to and reads the audit log.
type AuditStore interface {
	AppendAudit(e *AuditEntry) error
	ListAudit(q AuditQuery) ([]AuditEntry, error)
}

// AuditQuery is one page of the audit log, optionally of one actor or one target.
type AuditQuery struct {
	ActorID  string
	TargetID string
	Limit    int
	After    *Cursor
}

// AuditPayload is the answer of GET /api/v1/moderation/audit-log.
type AuditPayload struct {
	Entries []AuditEntry `json:"auditEntries"`
	Paging  *Paging      `json:"paging"`
}

// audit appends one entry for the caller's act, inside the act's transaction.
func (s *Service) audit(tx Tx, c *Caller, action, targetType, targetID, channelID, reason string, detail any) error {
	raw := json.RawMessage("{}")
	if detail != nil {
		raw, _ = json.Marshal(detail)
	}
	return tx.AppendAudit(&AuditEntry{ID: NewID(), Action: action, ActorID: actorID(c), TargetType: targetType,
		TargetID: targetID, ChannelID: channelID, Reason: reason, Detail: raw, CreatedAt: s.now()})
}

// AuditLog answers GET /api/v1/moderation/audit-log: global admins only.
func (s *Service) AuditLog(ctx context.Context, c *Caller, q AuditQuery) (*AuditPayload, error) {
	var p Problems
	p.Text("actorId", &q.ActorID, 0, 50)
	p.Text("targetId", &q.TargetID, 0, 100)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if !c.IsAdmin() {
		return nil, PermissionDenied()
	}
	var out *AuditPayload
	err := s.store.Read(ctx, func(tx Tx) error {
		entries, paging, err := fetchPage(q.Limit,
			func(n int) ([]AuditEntry, error) { q.Limit = n; return tx.ListAudit(q) },
			func(e AuditEntry) *Cursor { return &Cursor{N: e.CreatedAt.Millis(), ID: e.ID} })
		if err != nil {
			return err
		}
		if entries == nil {
			entries = []AuditEntry{}
		}
		out = &AuditPayload{Entries: entries, Paging: paging}
		return nil
	})
	return out, err
}

// checkReason validates the optional reason of a moderation request.
func checkReason(reason string) error {
	var p Problems
	p.Text("reason", &reason, 0, MaxAuditReason)
	return p.Err()
}

// auditModeratorDelete records a message delete by someone other than its author (a
// moderator or an admin); authors deleting their own messages are not moderation.
func (s *Service) auditModeratorDelete(tx Tx, c *Caller, m *Message, ch *Channel, reason string) error {
	if m.IsDeleted || (c.User != nil && c.User.ID == m.CreatorID) {
		return nil
	}
	author := ""
	if u, err := tx.UserByID(m.CreatorID); err != nil {
		return err
	} else if u != nil {
		author = u.UserID
	}
	return s.audit(tx, c, AuditMessageDelete, "message", m.ID, ch.ChannelID, reason, map[string]string{"creatorId": author})
}
