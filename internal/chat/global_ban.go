package chat

import "context"

// Global bans: a user with BAN_USER bans a user network-wide. The ban, the revocation of
// every session, the optional deletion of the user's messages, the user.didGlobalBan
// event and the audit entry commit together; then, as logout does, every node drops the
// user's cached sessions and closes their MQTT connections. A banned user's requests
// and logins answer 400312 (Authenticate, Login) until an unban; sessions cut by the
// ban stay revoked, so an unbanned user logs in again.

// GlobalBanStore is the persistence a global ban needs beyond users and sessions.
type GlobalBanStore interface {
	// DeleteUserMessages soft-deletes every message the user wrote; it returns how many.
	DeleteUserMessages(userID string, at Time) (int, error)
}

// GlobalBanInput is the body of POST /api/v2/users/ban and /unban.
type GlobalBanInput struct {
	UserID         *string `json:"userId"`
	DeleteMessages bool    `json:"deleteMessages"` // ban only: soft-delete all their messages
	Reason         *string `json:"reason"`
}

// GlobalBan answers POST /api/v2/users/ban. Global admins cannot be banned (400306).
func (s *Service) GlobalBan(ctx context.Context, c *Caller, in GlobalBanInput) (*UserPayload, error) {
	return s.setGlobalBan(ctx, c, in, true)
}

// GlobalUnban answers POST /api/v2/users/unban.
func (s *Service) GlobalUnban(ctx context.Context, c *Caller, in GlobalBanInput) (*UserPayload, error) {
	return s.setGlobalBan(ctx, c, in, false)
}

func (s *Service) setGlobalBan(ctx context.Context, c *Caller, in GlobalBanInput, ban bool) (*UserPayload, error) {
	var p Problems
	p.Required("userId", in.UserID, 1, 50)
	p.Text("reason", in.Reason, 0, MaxAuditReason)
	if !ban && in.DeleteMessages {
		p.Add("deleteMessages", "is for bans only")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if !c.Can(PermBanUser) {
		return nil, PermissionDenied()
	}
	var out *UserPayload
	var revoked *SessionsRevoked
	err := s.store.Write(ctx, func(tx Tx) error {
		revoked = nil
		u, err := liveUser(tx, *in.UserID)
		if err != nil {
			return err
		}
		if ban && (hasRole(u.Roles, RoleGlobalAdmin) || u.ID == s.adminID) {
			return Errorf(CodeBanExempt, "A global admin cannot be banned.")
		}
		if u.IsGlobalBan == ban {
			if ban {
				return Errorf(CodeConflict, "User is already banned.")
			}
			return Errorf(CodeNotBanned, "User is not banned.")
		}
		now := s.now()
		u.IsGlobalBan, u.UpdatedAt = ban, now
		if err := tx.UpdateUser(u); err != nil {
			return err
		}
		detail := map[string]any{}
		if in.DeleteMessages {
			n, err := tx.DeleteUserMessages(u.ID, now)
			if err != nil {
				return err
			}
			detail["deletedMessages"] = n
		}
		action := AuditGlobalUnban
		if ban {
			action = AuditGlobalBan
		}
		if err := s.audit(tx, c, action, "user", u.UserID, "", deref(in.Reason, ""), detail); err != nil {
			return err
		}
		if out, err = s.userPayload(tx, []User{*u}); err != nil {
			return err
		}
		if !ban {
			return tx.AppendEvent(Event{Type: EventUserUpdated, UserIDs: []string{u.ID}, Data: out})
		}
		ids, err := tx.RevokeUserSessions(u.ID, now)
		if err != nil {
			return err
		}
		revoked = &SessionsRevoked{UserID: u.ID, SessionIDs: ids}
		// The ban first: the relay publishes it before the revocation closes the
		// connections it would travel on.
		if err := tx.AppendEvent(Event{Type: EventUserDidGlobalBan, UserIDs: []string{u.ID}, Data: out}); err != nil {
			return err
		}
		return tx.AppendEvent(Event{Type: EventSessionRevoked, UserIDs: []string{u.ID}, Data: *revoked})
	})
	if err != nil {
		return nil, err
	}
	s.sessions.forgetUser(out.Users[0].ID)
	if revoked != nil {
		s.revoked(ctx, *revoked)
	}
	return out, nil
}
