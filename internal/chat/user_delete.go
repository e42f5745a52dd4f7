package chat

import "context"

// Deleting a user (admin only, as Amity documents DELETE /api/v4/users/{userId}): the
// user is marked deleted and renamed "Deleted user"; every session is cut as a global
// ban cuts them; with markMessageDeleted their messages are soft-deleted, and with
// deleteAll they also leave every channel they are a member of (memberCount drops by
// one in each, with the usual channel.membersRemoved event). Parley never erases rows:
// a deleted message keeps its place in its feed, shown isDeleted.

// UserDeleteStore is what deleting a user needs beyond users, sessions and messages.
type UserDeleteStore interface {
	// MemberChannelIDs lists the channels (internal ids) the user is a member of.
	MemberChannelIDs(userID string) ([]string, error)
}

// DeleteUserInput is the query of DELETE /api/v4/users/{userId}.
type DeleteUserInput struct {
	UserID             string
	DeleteAll          bool
	MarkMessageDeleted bool
	Reason             string
}

// DeletedUserName is the display name a deleted user is left with.
const DeletedUserName = "Deleted user"

// AuditUserDelete is the audit action of a user delete.
const AuditUserDelete = "user.delete"

// DeleteUser answers DELETE /api/v4/users/{userId}.
func (s *Service) DeleteUser(ctx context.Context, c *Caller, in DeleteUserInput) (*UserPayload, error) {
	var p Problems
	p.Required("userId", &in.UserID, 1, 50)
	p.Text("reason", &in.Reason, 0, MaxAuditReason)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if !c.IsAdmin() {
		return nil, PermissionDenied()
	}
	var out *UserPayload
	var revoked SessionsRevoked
	err := s.store.Write(ctx, func(tx Tx) error {
		u, err := tx.UserByPublicID(in.UserID)
		if err != nil {
			return err
		}
		if u == nil {
			return NotFound("User")
		}
		if u.IsDeleted {
			return Errorf(CodeBadRequest, "User is already deleted.")
		}
		if u.ID == s.adminID || (c.User != nil && u.ID == c.User.ID) {
			return Errorf(CodeForbidden, "This user cannot be deleted.")
		}
		now := s.now()
		detail := map[string]any{"deleteAll": in.DeleteAll, "markMessageDeleted": in.MarkMessageDeleted}
		if in.DeleteAll || in.MarkMessageDeleted {
			n, err := tx.DeleteUserMessages(u.ID, now)
			if err != nil {
				return err
			}
			detail["deletedMessages"] = n
		}
		var channels []string
		if in.DeleteAll {
			if channels, err = tx.MemberChannelIDs(u.ID); err != nil {
				return err
			}
			detail["leftChannels"] = len(channels)
		}
		if err := s.audit(tx, c, AuditUserDelete, "user", u.UserID, "", in.Reason, detail); err != nil {
			return err
		}
		ids, err := tx.RevokeUserSessions(u.ID, now)
		if err != nil {
			return err
		}
		revoked = SessionsRevoked{UserID: u.ID, SessionIDs: ids}
		for _, id := range channels {
			if err := s.leaveDeleted(tx, *u, id, now); err != nil {
				return err
			}
		}
		u.IsDeleted, u.DeletedAt, u.UpdatedAt, u.DisplayName = true, now, now, DeletedUserName
		if err := tx.UpdateUser(u); err != nil {
			return err
		}
		if out, err = s.userPayload(tx, []User{*u}); err != nil {
			return err
		}
		if err := tx.AppendEvent(Event{Type: EventUserDeleted, UserIDs: []string{u.ID}, Network: true, Data: out}); err != nil {
			return err
		}
		return tx.AppendEvent(Event{Type: EventSessionRevoked, UserIDs: []string{u.ID}, Data: revoked})
	})
	if err != nil {
		return nil, err
	}
	s.sessions.forgetUser(revoked.UserID)
	s.revoked(ctx, revoked)
	return out, nil
}

// leaveDeleted takes a user being deleted out of one channel, as a removal by a
// moderator would (counters, event, real-time access).
func (s *Service) leaveDeleted(tx Tx, u User, channelID string, now Time) error {
	found, err := tx.ChannelByID(channelID)
	if err != nil || found == nil {
		return err
	}
	ch, err := tx.ChannelForUpdate(found.ChannelID)
	if err != nil || ch == nil {
		return err
	}
	rows, err := tx.Memberships(ch.ID, []string{u.ID})
	if err != nil || len(rows) == 0 || rows[0].Membership != MembershipMember {
		return err
	}
	t := &memberTargets{users: []User{u}, rows: rows, by: map[string]Membership{u.ID: rows[0]}}
	m := rows[0]
	m.Membership, m.Roles, m.LastActivity, m.UpdatedAt = MembershipNone, []string{}, now, now
	_, err = s.membersChange(tx, ch, t, []Membership{m}, EventChannelMembersRemoved, now)
	return err
}
