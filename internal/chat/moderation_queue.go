package chat

import "context"

// The moderation queue: what users flagged, network-wide, for the people who act on it
// (docs/moderation.md). Flagged users are GET /api/v3/users?filter=flagged (Amity's
// filter, user.go); flagged messages have no network-wide list in Amity (only per feed,
// GET /api/v5/messages?hasFlags=true), so Parley adds GET /api/v1/moderation/flagged-messages.

// FlaggedMessageQuery is one page of GET /api/v1/moderation/flagged-messages: keyset on
// the message's (createdAt, id), newest first.
type FlaggedMessageQuery struct {
	Limit int
	After *Cursor
}

// FlaggedMessages answers GET /api/v1/moderation/flagged-messages: the live messages of
// every channel that hold at least one flag. Global admins only, as the audit log: the
// list crosses every channel, private ones and conversations included.
func (s *Service) FlaggedMessages(ctx context.Context, c *Caller, q FlaggedMessageQuery) (*MessagePayload, error) {
	if !c.IsAdmin() {
		return nil, PermissionDenied()
	}
	var out *MessagePayload
	err := s.store.Read(ctx, func(tx Tx) error {
		msgs, paging, err := fetchPage(q.Limit,
			func(n int) ([]Message, error) { q.Limit = n; return tx.ListFlaggedMessages(q) },
			func(m Message) *Cursor { return &Cursor{N: m.CreatedAt.Millis(), ID: m.ID} })
		if err != nil {
			return err
		}
		if out, err = s.messagePayload(tx, c, msgs, nil); err != nil {
			return err
		}
		out.Paging = paging
		return nil
	})
	return out, err
}

// ClearMessageFlags answers DELETE /api/v5/messages/{messageId}/flags/all (Amity's "Delete
// all flags in message"): every user's flag goes, flagCount becomes 0. It takes BAN_USER,
// as clearing a user's flags does, and is audited; message.flagCleared tells the channel.
func (s *Service) ClearMessageFlags(ctx context.Context, c *Caller, id, reason string) (*MessagePayload, error) {
	if err := checkReason(reason); err != nil {
		return nil, err
	}
	if !c.Can(PermBanUser) {
		return nil, PermissionDenied()
	}
	var out *MessagePayload
	err := s.store.Write(ctx, func(tx Tx) error {
		m, ch, _, err := s.readableMessage(tx, c, id)
		if err != nil {
			return err
		}
		n, err := tx.ClearFlags(m.ID)
		if err != nil {
			return err
		}
		if n == 0 && m.FlagCount == 0 {
			// Nothing to clear: no write, no event, no audit entry.
			out, err = s.messagePayload(tx, c, []Message{*m}, map[string]*Channel{ch.ID: ch})
			return err
		}
		m.FlagCount, m.UpdatedAt = 0, s.now()
		if err := tx.UpdateMessage(m); err != nil {
			return err
		}
		if err := s.audit(tx, c, AuditMessageFlagsCleared, "message", m.ID, ch.ChannelID, reason, map[string]any{"flags": n}); err != nil {
			return err
		}
		out, err = s.messageEvent(tx, c, EventMessageFlagCleared, m, ch)
		return err
	})
	return out, err
}
