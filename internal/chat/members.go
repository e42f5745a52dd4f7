package chat

import (
	"context"
	"slices"
	"strings"
)

// Membership changes: join, leave, add, remove, ban, unban, roles and mutes. Each one
// reads the channel and the target users' rows, decides every change in memory, and
// only then writes: the rows in one batch and the channel's counters by the exact
// difference, in the same transaction as its events. A refused request writes nothing,
// and the counters never depend on scanning the members.
//
// Join, leave, add, remove, ban and unban lock the channel last (PostgreSQL): every unit
// on a channel moves its counters, so the channel's row lock is where units on one
// channel queue, and they hold it until their commit. They read the channel
// without a lock, lock the target rows (MembershipsForUpdate), write them, and only then
// move the counters (AddChannelCounts locks the row), re-check against the locked row
// what they decided from the unlocked one (sameRules), and append their events. Roles,
// mutes and the channel's own changes still lock the channel first (channelAndOwn).

// applyMembers writes the changed rows and moves the channel's counters from what the
// rows were (before, as read; absent rows count as 'none') to what they become. ch
// becomes the channel as locked and counted; if what decided the change about the
// channel is no longer so, the unit runs again (ErrChanged).
func (s *Service) applyMembers(tx Tx, ch *Channel, before, after []Membership, now Time) error {
	was := make(map[string]Membership, len(before))
	for _, m := range before {
		was[m.UserInternalID] = m
	}
	members, moderators := 0, 0
	for _, m := range after {
		old := was[m.UserInternalID]
		members += countsAsMember(m) - countsAsMember(old)
		moderators += countsAsModerator(m) - countsAsModerator(old)
	}
	if err := tx.PutMemberships(after); err != nil {
		return err
	}
	locked, err := tx.AddChannelCounts(ch.ID, members, moderators, now)
	if err != nil {
		return err
	}
	if locked == nil || !sameRules(ch, locked) {
		return ErrChanged
	}
	*ch = *locked
	return nil
}

// sameRules tells whether the channel fields that membership changes decide from
// (channelAndOwn's existence check, openToAll, the types without bans, the creator's
// exemption) are the same in both reads.
func sameRules(read, locked *Channel) bool {
	return read.IsDeleted == locked.IsDeleted && read.Type == locked.Type && read.IsPublic == locked.IsPublic &&
		read.CreatorID == locked.CreatorID
}

func countsAsMember(m Membership) int {
	if m.Membership == MembershipMember {
		return 1
	}
	return 0
}

func countsAsModerator(m Membership) int {
	if m.Membership == MembershipMember && hasRole(m.Roles, RoleChannelModerator) {
		return 1
	}
	return 0
}

// memberTargets is a channel change's view of the users it names.
type memberTargets struct {
	users []User
	rows  []Membership          // rows that exist
	by    map[string]Membership // every target's row, 'none' ones synthesised
}

// loadTargets resolves public user ids (one unknown id refuses the request) and reads
// their rows in the channel.
func loadTargets(tx Tx, ch *Channel, userIDs []string, now Time) (*memberTargets, error) {
	users, err := targetUsers(tx, userIDs)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	rows, err := tx.MembershipsForUpdate(ch.ID, ids)
	if err != nil {
		return nil, err
	}
	t := &memberTargets{users: users, rows: rows, by: make(map[string]Membership, len(users))}
	for _, m := range rows {
		t.by[m.UserInternalID] = m
	}
	for _, u := range users {
		if _, ok := t.by[u.ID]; !ok {
			t.by[u.ID] = noMembership(ch.ID, u.ID, now)
		}
	}
	return t, nil
}

// all returns every target's row in the order the users were named.
func (t *memberTargets) all() []Membership {
	out := make([]Membership, len(t.users))
	for i, u := range t.users {
		out[i] = t.by[u.ID]
	}
	return out
}

// membersChange is the common tail of add, remove, ban, unban and role changes: write
// the changed rows, then answer the targets' rows and append the event (plus the access
// cut-off when users lost the channel) if anything changed.
func (s *Service) membersChange(tx Tx, ch *Channel, t *memberTargets, changed []Membership, event EventType, now Time) (*ChannelPayload, error) {
	if len(changed) > 0 {
		if err := s.applyMembers(tx, ch, t.rows, changed, now); err != nil {
			return nil, err
		}
		for _, m := range changed {
			t.by[m.UserInternalID] = m
		}
	}
	all := t.all()
	out, err := s.channelPayloadKnown(tx, []Channel{*ch}, all, t.users)
	if err != nil || len(changed) == 0 {
		return out, err
	}
	// The event shows the changed memberships; when every target changed (the usual
	// case) that is the answer itself.
	ev := out
	if !sameMembers(all, changed) {
		if ev, err = s.channelPayloadKnown(tx, []Channel{*ch}, changed, t.users); err != nil {
			return nil, err
		}
	} else if out.encoded, err = out.AppendJSON(nil); err != nil { // encoded once: event and answer
		return nil, err
	}
	ids := memberIDs(changed)
	// Whether the targets lose their real-time access is the event's row (CutChannel):
	// one event, one access re-check.
	return out, tx.AppendEvent(Event{Type: event, ChannelID: ch.ID, UserIDs: ids, Data: ev})
}

func checkUserIDs(userIDs []string) error {
	var p Problems
	if userIDs == nil {
		p.Add("userIds", "is required")
	}
	p.List("userIds", userIDs, 1, 100, 1, 50)
	return p.Err()
}

// JoinChannel answers POST /api/v3/channels/{channelId}/join: community channels and
// public live or broadcast channels are open to anyone not banned.
func (s *Service) JoinChannel(ctx context.Context, c *Caller, channelID string) (*ChannelPayload, error) {
	var out *ChannelPayload
	err := s.store.Write(ctx, func(tx Tx) error {
		ch, own, err := s.channelToChange(tx, c, channelID, true)
		if err != nil {
			return err
		}
		switch {
		case c.User == nil:
			return PermissionDenied()
		case own.Membership == MembershipBanned:
			return Errorf(CodeUserBanned, "User is banned from this channel.")
		case own.Membership == MembershipMember:
			out, err = s.channelPayload(tx, []Channel{*ch}, []Membership{own})
			return err
		case !openToAll(ch) && !c.IsAdmin():
			return PermissionDenied()
		}
		now := s.now()
		before := own
		own.Membership, own.Roles, own.CreatedAt, own.LastActivity, own.UpdatedAt = MembershipMember, []string{}, now, now, now
		if err := s.applyMembers(tx, ch, []Membership{before}, []Membership{own}, now); err != nil {
			return err
		}
		out, err = s.channelPayload(tx, []Channel{*ch}, []Membership{own})
		if err != nil {
			return err
		}
		return tx.AppendEvent(Event{Type: EventChannelJoined, ChannelID: ch.ID, UserIDs: []string{c.User.ID}, Data: out})
	})
	return out, err
}

// LeaveChannel answers DELETE /api/v3/channels/{channelId}/leave. The last moderator of a
// community or live channel stays while other members remain.
func (s *Service) LeaveChannel(ctx context.Context, c *Caller, channelID string) (*ChannelPayload, error) {
	var out *ChannelPayload
	err := s.store.Write(ctx, func(tx Tx) error {
		ch, own, err := s.channelToChange(tx, c, channelID, true)
		if err != nil {
			return err
		}
		if c.User == nil || own.Membership != MembershipMember {
			return Errorf(CodePermissionDenied, "User is not a member of this channel.")
		}
		moderator := hasRole(own.Roles, RoleChannelModerator)
		if lastModerator(ch, moderator, ch.MemberCount, ch.ModeratorMemberCount) {
			return Errorf(CodeLastModerator, "The last moderator cannot leave while other members remain.")
		}
		now := s.now()
		before := own
		own.Membership, own.Roles, own.LastActivity, own.UpdatedAt = MembershipNone, []string{}, now, now
		if err := s.applyMembers(tx, ch, []Membership{before}, []Membership{own}, now); err != nil {
			return err
		}
		// The counters were read without the lock: decide again from the locked ones
		// (what they were before this unit's change).
		if moderator && lastModerator(ch, true, ch.MemberCount+1, ch.ModeratorMemberCount+1) {
			return ErrChanged
		}
		out, err = s.channelPayload(tx, []Channel{*ch}, []Membership{own})
		if err != nil {
			return err
		}
		return tx.AppendEvent(Event{Type: EventChannelLeft, ChannelID: ch.ID, UserIDs: []string{c.User.ID}, Data: out})
	})
	return out, err
}

// lastModerator tells whether a member may not leave: the last moderator of a community
// or live channel stays while other members remain.
func lastModerator(ch *Channel, moderator bool, members, moderators int) bool {
	return moderator && moderators <= 1 && members > 1 && (ch.Type == ChannelCommunity || ch.Type == ChannelLive)
}

// canManage checks a channel permission; in a conversation any member (or an admin) may
// add users, as CONTRACT.md says.
func canManage(c *Caller, ch *Channel, own Membership, perm string) bool {
	if perm == PermAddChannelUser && ch.Type == ChannelConversation && own.Membership == MembershipMember {
		return true
	}
	return c.CanIn(own.rolesIfMember(), perm)
}

// memberUpdate is one kind of bulk membership change (add, remove, ban, unban): the
// permission it needs, the event it writes, and how it changes each named user's row.
type memberUpdate struct {
	perm  string
	event EventType
	// allowed refuses the change for the channel as a whole, before permissions.
	allowed func(ch *Channel) error
	// target refuses the whole request for one named user.
	target func(c *Caller, ch *Channel, u User, m Membership) error
	// change gives a target's new row, and whether it changes at all.
	change func(m Membership, now Time) (Membership, bool)
	// beforeWrite runs on the changed rows before they are written.
	beforeWrite func(tx Tx, ch *Channel, changed []Membership, now Time) error
	// audit, when set, is the audit log action of each changed user, with reason.
	audit, reason string
}

// updateMembers runs a bulk membership change in one transaction: one unknown or refused
// user refuses the whole request, and nothing changes.
func (s *Service) updateMembers(ctx context.Context, c *Caller, channelID string, userIDs []string, up memberUpdate) (*ChannelPayload, error) {
	if err := checkUserIDs(userIDs); err != nil {
		return nil, err
	}
	if err := checkReason(up.reason); err != nil {
		return nil, err
	}
	var out *ChannelPayload
	err := s.store.Write(ctx, func(tx Tx) error {
		ch, own, err := s.channelToChange(tx, c, channelID, false)
		if err != nil {
			return err
		}
		if up.allowed != nil {
			if err := up.allowed(ch); err != nil {
				return err
			}
		}
		if !canManage(c, ch, own, up.perm) {
			return PermissionDenied()
		}
		now := s.now()
		t, err := loadTargets(tx, ch, userIDs, now)
		if err != nil {
			return err
		}
		var changed []Membership
		var changedUsers []string
		for i, m := range t.all() {
			if up.target != nil {
				if err := up.target(c, ch, t.users[i], m); err != nil {
					return err
				}
			}
			if next, ok := up.change(m, now); ok {
				changed = append(changed, next)
				changedUsers = append(changedUsers, t.users[i].UserID)
			}
		}
		if up.beforeWrite != nil {
			if err := up.beforeWrite(tx, ch, changed, now); err != nil {
				return err
			}
		}
		for _, id := range changedUsers {
			if up.audit == "" {
				break // not a moderation act (add, remove)
			}
			if err := s.audit(tx, c, up.audit, "user", id, ch.ChannelID, up.reason, nil); err != nil {
				return err
			}
		}
		out, err = s.membersChange(tx, ch, t, changed, up.event, now)
		return err
	})
	return out, err
}

// AddMembers answers POST /api/v3/channels/{channelId}/users; it needs ADD_CHANNEL_USER
// (any member may add in a conversation). Users who are members already are left as
// they are; banned users refuse the whole request.
func (s *Service) AddMembers(ctx context.Context, c *Caller, channelID string, userIDs []string) (*ChannelPayload, error) {
	return s.updateMembers(ctx, c, channelID, userIDs, memberUpdate{
		perm: PermAddChannelUser, event: EventChannelMembersAdded,
		target: func(_ *Caller, _ *Channel, _ User, m Membership) error {
			if m.Membership == MembershipBanned {
				return Errorf(CodeUserBanned, "User is banned from this channel.")
			}
			return nil
		},
		change: func(m Membership, now Time) (Membership, bool) {
			if m.Membership != MembershipNone {
				return m, false
			}
			m.Membership, m.Roles, m.CreatedAt, m.LastActivity, m.UpdatedAt = MembershipMember, []string{}, now, now, now
			return m, true
		},
	})
}

// RemoveMembers answers DELETE /api/v3/channels/{channelId}/users; it needs
// REMOVE_CHANNEL_USER. Users who are not members are left as they are.
func (s *Service) RemoveMembers(ctx context.Context, c *Caller, channelID string, userIDs []string) (*ChannelPayload, error) {
	return s.updateMembers(ctx, c, channelID, userIDs, memberUpdate{
		perm: PermRemoveChannelUser, event: EventChannelMembersRemoved,
		change: func(m Membership, now Time) (Membership, bool) {
			if m.Membership != MembershipMember {
				return m, false
			}
			m.Membership, m.Roles, m.LastActivity, m.UpdatedAt = MembershipNone, []string{}, now, now
			return m, true
		},
	})
}

// BanMembers answers PUT /api/v3/channels/{channelId}/users/ban; it needs
// BAN_USER_FROM_CHANNEL. Conversations and broadcast channels have no bans; the creator,
// the caller and global admins cannot be banned. Non-members can be banned, to keep them
// out. The banned users' messages in the channel are soft-deleted.
func (s *Service) BanMembers(ctx context.Context, c *Caller, channelID string, userIDs []string, reason string) (*ChannelPayload, error) {
	return s.updateMembers(ctx, c, channelID, userIDs, memberUpdate{
		perm: PermBanUserFromChannel, event: EventChannelBanned, audit: AuditChannelBan, reason: reason,
		allowed: func(ch *Channel) error {
			if ch.Type == ChannelConversation || ch.Type == ChannelBroadcast {
				return Errorf(CodeForbidden, "Users cannot be banned from a %s channel.", ch.Type)
			}
			return nil
		},
		target: func(c *Caller, ch *Channel, u User, _ Membership) error {
			if u.ID == ch.CreatorID || (c.User != nil && u.ID == c.User.ID) || hasRole(u.Roles, RoleGlobalAdmin) {
				return Errorf(CodeBanExempt, "User %q cannot be banned from this channel.", u.UserID)
			}
			return nil
		},
		change: func(m Membership, now Time) (Membership, bool) {
			if m.Membership == MembershipBanned {
				return m, false
			}
			m.Membership, m.Roles, m.LastActivity, m.UpdatedAt = MembershipBanned, []string{}, now, now
			return m, true
		},
		beforeWrite: func(tx Tx, ch *Channel, changed []Membership, now Time) error {
			return s.deleteMessagesOfBanned(tx, ch, memberIDs(changed), now)
		},
	})
}

// UnbanMembers answers PUT /api/v3/channels/{channelId}/users/unban. Unbanned users are
// out ('none') until they join or are added again; naming anyone not banned refuses all.
func (s *Service) UnbanMembers(ctx context.Context, c *Caller, channelID string, userIDs []string, reason string) (*ChannelPayload, error) {
	return s.updateMembers(ctx, c, channelID, userIDs, memberUpdate{
		perm: PermBanUserFromChannel, event: EventChannelUnbanned, audit: AuditChannelUnban, reason: reason,
		target: func(_ *Caller, _ *Channel, u User, m Membership) error {
			if m.Membership != MembershipBanned {
				return Errorf(CodeNotBanned, "User %q is not banned.", u.UserID)
			}
			return nil
		},
		change: func(m Membership, now Time) (Membership, bool) {
			m.Membership, m.LastActivity, m.UpdatedAt = MembershipNone, now, now
			return m, true
		},
	})
}

// RoleInput is the body of POST and DELETE /api/v3/channels/{channelId}/users/roles.
type RoleInput struct {
	Role    *string  `json:"role"`
	UserIDs []string `json:"userIds"`
	Reason  *string  `json:"reason"` // for the audit log
}

// ChangeRole answers POST (add) and DELETE (remove) /api/v3/channels/{channelId}/users/roles;
// it needs EDIT_CHANNEL_USER, and the users must be members.
func (s *Service) ChangeRole(ctx context.Context, c *Caller, channelID string, in RoleInput, add bool) (*ChannelPayload, error) {
	var p Problems
	p.Required("role", in.Role, 1, 100)
	if in.Role != nil && *in.Role == RoleGlobalAdmin {
		p.Add("role", "cannot be %s in a channel", RoleGlobalAdmin)
	}
	if in.UserIDs == nil {
		p.Add("userIds", "is required")
	}
	p.List("userIds", in.UserIDs, 1, 100, 1, 50)
	p.Text("reason", in.Reason, 0, MaxAuditReason)
	if err := p.Err(); err != nil {
		return nil, err
	}
	event, action := EventChannelRoleAdded, AuditChannelRoleAdd
	if !add {
		event, action = EventChannelRoleRemoved, AuditChannelRoleRemove
	}
	var out *ChannelPayload
	err := s.store.Write(ctx, func(tx Tx) error {
		ch, own, err := s.channelAndOwn(tx, c, channelID)
		if err != nil {
			return err
		}
		if !canManage(c, ch, own, PermEditChannelUser) {
			return PermissionDenied()
		}
		now := s.now()
		t, err := loadTargets(tx, ch, in.UserIDs, now)
		if err != nil {
			return err
		}
		var changed []Membership
		for i, m := range t.all() {
			if m.Membership != MembershipMember {
				return NotFound("Channel member")
			}
			if hasRole(m.Roles, *in.Role) == add {
				continue
			}
			detail := map[string]string{"role": *in.Role}
			if err := s.audit(tx, c, action, "user", t.users[i].UserID, ch.ChannelID, deref(in.Reason, ""), detail); err != nil {
				return err
			}
			if add {
				m.Roles = append(append([]string{}, m.Roles...), *in.Role)
			} else {
				m.Roles = removeRole(m.Roles, *in.Role)
			}
			m.UpdatedAt = now
			changed = append(changed, m)
		}
		out, err = s.membersChange(tx, ch, t, changed, event, now)
		return err
	})
	return out, err
}

func removeRole(roles []string, role string) []string {
	out := []string{}
	for _, r := range roles {
		if r != role {
			out = append(out, r)
		}
	}
	return out
}

// muteUntil turns a mutePeriod in milliseconds into the end of the mute: -1 forever,
// 0 unmuted (zero time), else now plus the period.
func muteUntil(p *Problems, period *int64, now Time) Time {
	switch {
	case period == nil:
		p.Add("mutePeriod", "is required")
	case *period == -1:
		return Forever
	case *period == 0:
	case *period < 0 || *period > MaxMutePeriod:
		p.Add("mutePeriod", "must be -1, 0 or a period of at most %d milliseconds", MaxMutePeriod)
	default:
		return FromMillis(now.Millis() + *period)
	}
	return Time{}
}

// ChannelMuted is the data of channel.setMuted: the 6.35.3 SDK reads a ChannelPayload,
// 7.x reads {channelId, muteTimeout, actor, networkId}; one object serves both.
type ChannelMuted struct {
	ChannelPayload
	ChannelID   string `json:"channelId"`
	MuteTimeout Time   `json:"muteTimeout"`
	Actor       string `json:"actor"`
	NetworkID   string `json:"networkId"`
}

// MuteChannel answers PUT /api/v2/channel/{channelId}/mute; it needs MUTE_CHANNEL. The
// mute ends by itself: isMuted is worked out from muteTimeout whenever it is read.
func (s *Service) MuteChannel(ctx context.Context, c *Caller, channelID string, period *int64, reason string) error {
	now := s.now()
	var p Problems
	until := muteUntil(&p, period, now)
	p.Text("reason", &reason, 0, MaxAuditReason)
	if err := p.Err(); err != nil {
		return err
	}
	return s.store.Write(ctx, func(tx Tx) error {
		ch, own, err := s.channelAndOwn(tx, c, channelID)
		if err != nil {
			return err
		}
		if !c.CanIn(own.rolesIfMember(), PermMuteChannel) {
			return PermissionDenied()
		}
		ch.MuteTimeout, ch.UpdatedAt = until, now
		if err := tx.UpdateChannel(ch); err != nil {
			return err
		}
		if err := s.audit(tx, c, AuditChannelMute, "channel", ch.ChannelID, ch.ChannelID, reason, map[string]any{"mutePeriod": *period}); err != nil {
			return err
		}
		payload, err := s.channelPayload(tx, []Channel{*ch}, nil)
		if err != nil {
			return err
		}
		ev := ChannelMuted{ChannelPayload: *payload, ChannelID: ch.ChannelID, MuteTimeout: payload.Channels[0].MuteTimeout,
			Actor: actorID(c), NetworkID: s.networkID}
		return tx.AppendEvent(Event{Type: EventChannelSetMuted, ChannelID: ch.ID, Data: ev})
	})
}

// MembersMuted is the data of channel.setMutedUsers (7.x), with the channel payload of
// the muted users for clients that read one.
type MembersMuted struct {
	ChannelPayload
	ChannelID   string   `json:"channelId"`
	UserIDs     []string `json:"userIds"`
	MuteTimeout Time     `json:"muteTimeout"`
	Actor       string   `json:"actor"`
}

// MuteMembers answers PUT /api/v2/channel/{channelId}/users/mute; it needs
// MUTE_CHANNEL_USER, and the users must be members.
func (s *Service) MuteMembers(ctx context.Context, c *Caller, channelID string, userIDs []string, period *int64, reason string) error {
	now := s.now()
	var p Problems
	until := muteUntil(&p, period, now)
	p.Text("reason", &reason, 0, MaxAuditReason)
	if userIDs == nil {
		p.Add("userIds", "is required")
	}
	p.List("userIds", userIDs, 1, 100, 1, 50)
	if err := p.Err(); err != nil {
		return err
	}
	return s.store.Write(ctx, func(tx Tx) error {
		ch, own, err := s.channelAndOwn(tx, c, channelID)
		if err != nil {
			return err
		}
		if !canManage(c, ch, own, PermMuteChannelUser) {
			return PermissionDenied()
		}
		t, err := loadTargets(tx, ch, userIDs, now)
		if err != nil {
			return err
		}
		changed := t.all()
		for i := range changed {
			if changed[i].Membership != MembershipMember {
				return NotFound("Channel member")
			}
			changed[i].MuteTimeout, changed[i].UpdatedAt = until, now
		}
		if err := tx.PutMemberships(changed); err != nil {
			return err
		}
		for _, u := range t.users {
			if err := s.audit(tx, c, AuditChannelUserMute, "user", u.UserID, ch.ChannelID, reason, map[string]any{"mutePeriod": *period}); err != nil {
				return err
			}
		}
		payload, err := s.channelPayload(tx, []Channel{*ch}, changed)
		if err != nil {
			return err
		}
		ids := memberIDs(changed)
		ev := MembersMuted{ChannelPayload: *payload, ChannelID: ch.ChannelID, UserIDs: publicIDs(t.users), Actor: actorID(c)}
		if mutedAt(until, now) {
			ev.MuteTimeout = until
		}
		return tx.AppendEvent(Event{Type: EventChannelSetMutedUsers, ChannelID: ch.ID, UserIDs: ids, Data: ev})
	})
}

func actorID(c *Caller) string {
	if c.User == nil {
		return ""
	}
	return c.User.UserID
}

func publicIDs(users []User) []string {
	out := make([]string, len(users))
	for i, u := range users {
		out[i] = u.UserID
	}
	return out
}

// QueryMembers answers GET /api/v4/channels/{channelId}/users (and the v3 form): one
// keyset page of the channel's users, read through an index however big the channel is.
func (s *Service) QueryMembers(ctx context.Context, c *Caller, channelID string, q MemberQuery) (*ChannelPayload, error) {
	var p Problems
	p.List("memberships", q.Memberships, 0, 3, 1, 10)
	for _, m := range q.Memberships {
		if !slices.Contains(Memberships, m) {
			p.Add("memberships", "has an unknown membership %q", m)
			break
		}
	}
	p.List("roles", q.Roles, 0, 20, 1, 100)
	p.Text("search", &q.Search, 0, 100)
	OneOf(&p, "sortBy", &q.SortBy, MemberSorts...)
	if err := p.Err(); err != nil {
		return nil, err
	}
	q.Search = strings.ToLower(q.Search)
	q.Now = s.now()
	var out *ChannelPayload
	err := s.store.Read(ctx, func(tx Tx) error {
		ch, _, err := s.visibleChannel(tx, c, channelID)
		if err != nil {
			return err
		}
		q.ChannelID = ch.ID
		page, paging, err := fetchPage(q.Limit,
			func(n int) ([]Membership, error) { q.Limit = n; return tx.ListMemberships(q) },
			func(m Membership) *Cursor { return &Cursor{N: m.CreatedAt.Millis(), ID: m.UserInternalID} })
		if err != nil {
			return err
		}
		out, err = s.channelPayload(tx, []Channel{*ch}, page)
		if err != nil {
			return err
		}
		out.Paging = paging
		return nil
	})
	return out, err
}

// sameMembers tells whether two membership lists name the same users in the same order.
func sameMembers(a, b []Membership) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].UserInternalID != b[i].UserInternalID {
			return false
		}
	}
	return true
}
