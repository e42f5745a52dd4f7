package chat

import "context"

// User flags (reports): any user may flag another once, and take their own flag back.
// flagCount on the user counts the flags; an admin clears them all.

// UserFlagStore is the persistence of user flags.
type UserFlagStore interface {
	// PutUserFlag adds flaggerID's flag of userID; false when it existed.
	PutUserFlag(userID, flaggerID, reason string, at Time) (bool, error)
	// RemoveUserFlag removes it; false when there was none.
	RemoveUserFlag(userID, flaggerID string) (bool, error)
	HasUserFlag(userID, flaggerID string) (bool, error)
	// AddUserFlagCount moves the user's flagCount by delta and returns the new count.
	AddUserFlagCount(userID string, delta int, at Time) (int, error)
	// ClearUserFlags deletes every flag of the user, sets flagCount to 0 and returns how
	// many there were.
	ClearUserFlags(userID string, at Time) (int, error)
}

// FlagUser answers POST /api/v4/me/flags/{userId}. Flagging twice changes nothing the
// second time; flagging oneself is a 400000.
func (s *Service) FlagUser(ctx context.Context, c *Caller, userID, reason string) (*UserPayload, error) {
	return s.changeUserFlag(ctx, c, userID, reason, true)
}

// UnflagUser answers DELETE /api/v4/me/flags/{userId}: the caller's own flag.
func (s *Service) UnflagUser(ctx context.Context, c *Caller, userID string) (*UserPayload, error) {
	return s.changeUserFlag(ctx, c, userID, "", false)
}

func (s *Service) changeUserFlag(ctx context.Context, c *Caller, userID, reason string, flag bool) (*UserPayload, error) {
	var p Problems
	p.Text("reason", &reason, 0, 300)
	if err := checkOtherUser(&p, c, userID); err != nil {
		return nil, err
	}
	var out *UserPayload
	err := s.store.Write(ctx, func(tx Tx) error {
		u, err := liveUser(tx, userID)
		if err != nil {
			return err
		}
		now := s.now()
		var changed bool
		if flag {
			changed, err = tx.PutUserFlag(u.ID, c.User.ID, reason, now)
		} else {
			changed, err = tx.RemoveUserFlag(u.ID, c.User.ID)
		}
		if err != nil {
			return err
		}
		typ, delta := EventUserFlagged, 1
		if !flag {
			typ, delta = EventUserUnflagged, -1
		}
		if changed {
			if u.FlagCount, err = tx.AddUserFlagCount(u.ID, delta, now); err != nil {
				return err
			}
			u.UpdatedAt = now
		}
		if out, err = s.userPayload(tx, []User{*u}); err != nil || !changed {
			return err
		}
		return tx.AppendEvent(Event{Type: typ, UserIDs: []string{c.User.ID}, Data: out})
	})
	return out, err
}

// IsFlagByMe is the answer of GET /api/v3/users/{userId}/isFlagByMe.
type IsFlagByMe struct {
	IsFlagByMe bool `json:"isFlagByMe"`
}

// IsUserFlaggedByMe answers GET /api/v3/users/{userId}/isFlagByMe.
func (s *Service) IsUserFlaggedByMe(ctx context.Context, c *Caller, userID string) (*IsFlagByMe, error) {
	if c.User == nil {
		return nil, PermissionDenied()
	}
	out := &IsFlagByMe{}
	err := s.store.Read(ctx, func(tx Tx) error {
		u, err := tx.UserByPublicID(userID)
		if err != nil {
			return err
		}
		if u == nil {
			return NotFound("User")
		}
		out.IsFlagByMe, err = tx.HasUserFlag(u.ID, c.User.ID)
		return err
	})
	return out, err
}

// ClearUserFlags answers DELETE /api/v2/users/{userId}/flags: a moderator (BAN_USER)
// drops every flag of a user. It is audited.
func (s *Service) ClearUserFlags(ctx context.Context, c *Caller, userID, reason string) (*UserPayload, error) {
	var p Problems
	p.Text("reason", &reason, 0, MaxAuditReason)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if !c.Can(PermBanUser) {
		return nil, PermissionDenied()
	}
	var out *UserPayload
	err := s.store.Write(ctx, func(tx Tx) error {
		u, err := tx.UserByPublicID(userID)
		if err != nil {
			return err
		}
		if u == nil {
			return NotFound("User")
		}
		now := s.now()
		n, err := tx.ClearUserFlags(u.ID, now)
		if err != nil {
			return err
		}
		u.FlagCount, u.UpdatedAt = 0, now
		if out, err = s.userPayload(tx, []User{*u}); err != nil {
			return err
		}
		if err := s.audit(tx, c, AuditFlagsCleared, "user", u.UserID, "", reason, map[string]any{"flags": n}); err != nil {
			return err
		}
		return tx.AppendEvent(Event{Type: EventUserFlagCleared, UserIDs: actorIDs(c), Data: out})
	})
	return out, err
}

// actorIDs names the caller's own topic, none for a caller without a user.
func actorIDs(c *Caller) []string {
	if c.User == nil {
		return nil
	}
	return []string{c.User.ID}
}
