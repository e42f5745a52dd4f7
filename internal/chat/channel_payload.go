package chat

import "encoding/json"

// conversationMembersShown bounds how many members a conversation's payload carries:
// CONTRACT.md has payloads show every member of a conversation, which are small groups.
const conversationMembersShown = 100

// channelPayload builds the answer for channels and the given channel users: the users
// those channel users name and the files that channels and users reference.
func (s *Service) channelPayload(tx Tx, channels []Channel, members []Membership) (*ChannelPayload, error) {
	return s.channelPayloadKnown(tx, channels, members, nil)
}

// channelPayloadKnown is channelPayload when the unit has already read some of the users
// (known, as stored): only the others are read again.
func (s *Service) channelPayloadKnown(tx Tx, channels []Channel, members []Membership, known []User) (*ChannelPayload, error) {
	now := s.now()
	byID := make(map[string]*Channel, len(channels))
	for i := range channels {
		s.decorateChannel(&channels[i], now)
		byID[channels[i].ID] = &channels[i]
	}
	userIDs := make([]string, 0, len(members))
	for _, m := range members {
		userIDs = append(userIDs, m.UserInternalID)
	}
	users, err := usersByIDsKnown(tx, Unique(userIDs), known)
	if err != nil {
		return nil, err
	}
	s.decorate(users)
	userByID := make(map[string]*User, len(users))
	for i := range users {
		userByID[users[i].ID] = &users[i]
	}
	out := &ChannelPayload{
		Channels: channels, ChannelUsers: make([]Membership, 0, len(members)),
		MessagePreviews: []json.RawMessage{}, MessageFeedsInfo: []json.RawMessage{}, Users: users,
	}
	if out.Channels == nil {
		out.Channels = []Channel{}
	}
	if out.Users == nil {
		out.Users = []User{}
	}
	for _, m := range members {
		ch, u := byID[m.ChannelInternalID], userByID[m.UserInternalID]
		if ch == nil || u == nil {
			continue
		}
		m.ChannelID, m.ChannelPublicID = ch.ChannelID, ch.ChannelID
		m.UserID, m.UserPublicID = u.UserID, u.UserID
		m.IsBanned = m.Membership == MembershipBanned
		m.IsMuted = mutedAt(m.MuteTimeout, now)
		if !m.IsMuted {
			m.MuteTimeout = Time{}
		}
		if m.Roles == nil {
			m.Roles = []string{}
		}
		m.Permissions = permissionsOf(s.roleSet(), u.Roles, m.Roles)
		out.ChannelUsers = append(out.ChannelUsers, m)
	}
	var fileIDs []string
	for _, ch := range channels {
		if ch.AvatarFileID != nil {
			fileIDs = append(fileIDs, *ch.AvatarFileID)
		}
	}
	for _, u := range users {
		if u.AvatarFileID != nil {
			fileIDs = append(fileIDs, *u.AvatarFileID)
		}
	}
	if err := s.addPreviews(tx, out); err != nil {
		return nil, err
	}
	out.Files, err = s.files(tx, fileIDs)
	return out, err
}

// ownPayload builds the answer a caller sees for channels: their own membership in each
// (a 'none' one when they have never been in it), and every member of conversations.
func (s *Service) ownPayload(tx Tx, c *Caller, channels []Channel) (*ChannelPayload, error) {
	own, err := s.ownMemberships(tx, c, channels)
	if err != nil {
		return nil, err
	}
	return s.ownPayloadWith(tx, c, channels, own)
}

// ownPayloadWith is ownPayload for a caller whose memberships (ownMemberships) the
// unit has already read.
func (s *Service) ownPayloadWith(tx Tx, c *Caller, channels []Channel, own []Membership) (*ChannelPayload, error) {
	members := own
	for _, ch := range channels {
		if ch.Type != ChannelConversation {
			continue
		}
		all, err := tx.ListMemberships(MemberQuery{ChannelID: ch.ID, Memberships: []string{MembershipMember},
			SortBy: SortFirstCreated, Limit: conversationMembersShown})
		if err != nil {
			return nil, err
		}
		for _, m := range all {
			if c.User == nil || m.UserInternalID != c.User.ID {
				members = append(members, m)
			}
		}
	}
	return s.channelPayload(tx, channels, members)
}

// ownMemberships returns the caller's row in each channel, synthesising 'none' rows.
func (s *Service) ownMemberships(tx Tx, c *Caller, channels []Channel) ([]Membership, error) {
	if c.User == nil || len(channels) == 0 {
		return nil, nil
	}
	ids := make([]string, len(channels))
	for i, ch := range channels {
		ids[i] = ch.ID
	}
	rows, err := tx.MembershipsOfUser(c.User.ID, ids)
	if err != nil {
		return nil, err
	}
	byChannel := make(map[string]Membership, len(rows))
	for _, m := range rows {
		byChannel[m.ChannelInternalID] = m
	}
	out := make([]Membership, 0, len(channels))
	for _, ch := range channels {
		m, ok := byChannel[ch.ID]
		if !ok {
			m = noMembership(ch.ID, c.User.ID, ch.CreatedAt)
		}
		out = append(out, m)
	}
	return out, nil
}

// noMembership is the row of a user who has never been in a channel.
func noMembership(channelID, userID string, at Time) Membership {
	return Membership{ChannelInternalID: channelID, UserInternalID: userID, Membership: MembershipNone,
		Roles: []string{}, LastActivity: at, CreatedAt: at, UpdatedAt: at}
}

// usersByIDsKnown is tx.UsersByIDs (the users that exist, in the order of ids) that
// reads only the users not in known. The result is a fresh slice: decorating it leaves
// known as it was.
func usersByIDsKnown(tx Tx, ids []string, known []User) ([]User, error) {
	if len(known) == 0 {
		return tx.UsersByIDs(ids)
	}
	have := make(map[string]*User, len(known))
	for i := range known {
		have[known[i].ID] = &known[i]
	}
	var missing []string
	for _, id := range ids {
		if have[id] == nil {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		read, err := tx.UsersByIDs(missing)
		if err != nil {
			return nil, err
		}
		for i := range read {
			have[read[i].ID] = &read[i]
		}
	}
	out := make([]User, 0, len(ids))
	for _, id := range ids {
		if u := have[id]; u != nil {
			out = append(out, *u)
		}
	}
	return out, nil
}
