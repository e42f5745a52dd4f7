package chat

import "context"

// Reaction is one user's named reaction to a message.
type Reaction struct {
	ID        string
	MessageID string
	UserID    string // internal id
	Name      string
	CreatedAt Time
}

// ReactionInput is the body of POST and DELETE /api/v2/reactions.
type ReactionInput struct {
	ReferenceID      *string `json:"referenceId"`
	ReferenceType    *string `json:"referenceType"`
	ReactionName     *string `json:"reactionName"`
	ReferenceVersion *int    `json:"referenceVersion"`
}

// ReactionQuery is one page of GET /api/v3/reactions.
type ReactionQuery struct {
	MessageID string
	Name      string // "" for every name
	Limit     int
	After     *Cursor
}

// Reactor is one reaction in the list answer.
type Reactor struct {
	ReactionID     string `json:"reactionId"`
	ReactionName   string `json:"reactionName"`
	UserID         string `json:"userId"` // public id: the SDK looks the reactor up by it
	UserInternalID string `json:"userInternalId"`
	UserPublicID   string `json:"userPublicId"`
	CreatedAt      Time   `json:"createdAt"`
	UpdatedAt      Time   `json:"updatedAt"`
}

// ReactionList is one reference's reactions.
type ReactionList struct {
	ReferenceID   string    `json:"referenceId"`
	ReferenceType string    `json:"referenceType"`
	Reactors      []Reactor `json:"reactors"`
}

// ReactionsPayload answers GET /api/v3/reactions.
type ReactionsPayload struct {
	Reactions []ReactionList `json:"reactions"`
	Users     []User         `json:"users"`
	Files     []File         `json:"files"`
	Paging    *Paging        `json:"paging"`
}

func checkReaction(in ReactionInput) error {
	var p Problems
	p.Required("referenceId", in.ReferenceID, 1, 100)
	p.Required("referenceType", in.ReferenceType, 1, 20)
	p.OneOf("referenceType", in.ReferenceType, "message")
	p.Required("reactionName", in.ReactionName, 1, MaxReactionNameChar)
	return p.Err()
}

// reactionTarget loads a live message the caller may react to: members (and admins) of
// its channel; banned users are told so.
func (s *Service) reactionTarget(tx Tx, c *Caller, id string) (*Message, *Channel, error) {
	if c.User == nil {
		return nil, nil, PermissionDenied()
	}
	m, ch, own, err := s.readableMessage(tx, c, id)
	if err != nil {
		return nil, nil, err
	}
	if m.IsDeleted {
		return nil, nil, NotFound("Message")
	}
	switch {
	case own.Membership == MembershipBanned:
		return nil, nil, Errorf(CodeUserBanned, "User is banned from this channel.")
	case own.Membership != MembershipMember && !c.IsAdmin():
		return nil, nil, Errorf(CodePermissionDenied, "User is not a member of this channel.")
	}
	return m, ch, nil
}

// AddReaction answers POST /api/v2/reactions with {addedId}. Reacting twice with the same
// name changes nothing and answers the existing reaction's id.
func (s *Service) AddReaction(ctx context.Context, c *Caller, in ReactionInput) (string, error) {
	if err := checkReaction(in); err != nil {
		return "", err
	}
	var id string
	err := s.store.Write(ctx, func(tx Tx) error {
		m, ch, err := s.reactionTarget(tx, c, *in.ReferenceID)
		if err != nil {
			return err
		}
		r := &Reaction{ID: NewID(), MessageID: m.ID, UserID: c.User.ID, Name: *in.ReactionName, CreatedAt: s.now()}
		added, err := tx.AddReaction(r)
		if err != nil {
			return err
		}
		id = r.ID
		if !added {
			return nil
		}
		if m.Reactions == nil {
			m.Reactions = map[string]int{}
		}
		m.Reactions[r.Name]++
		m.ReactionCount++
		return s.reactionEvent(tx, c, m, ch, r, EventMessageReactionAdded)
	})
	return id, err
}

// RemoveReaction answers DELETE /api/v2/reactions with {removedId}; removing a reaction
// the caller does not have is a 400400.
func (s *Service) RemoveReaction(ctx context.Context, c *Caller, in ReactionInput) (string, error) {
	if err := checkReaction(in); err != nil {
		return "", err
	}
	var id string
	err := s.store.Write(ctx, func(tx Tx) error {
		m, ch, err := s.reactionTarget(tx, c, *in.ReferenceID)
		if err != nil {
			return err
		}
		r, err := tx.RemoveReaction(m.ID, c.User.ID, *in.ReactionName)
		if err != nil {
			return err
		}
		if r == nil {
			return NotFound("Reaction")
		}
		id = r.ID
		if m.Reactions[r.Name] > 1 {
			m.Reactions[r.Name]--
		} else {
			delete(m.Reactions, r.Name)
		}
		m.ReactionCount = max(m.ReactionCount-1, 0)
		return s.reactionEvent(tx, c, m, ch, r, EventMessageReactionRemoved)
	})
	return id, err
}

// reactionEvent stores a message's new counts and appends the reaction event.
func (s *Service) reactionEvent(tx Tx, c *Caller, m *Message, ch *Channel, r *Reaction, event EventType) error {
	m.UpdatedAt = s.now()
	if err := tx.UpdateMessage(m); err != nil {
		return err
	}
	out, err := s.messagePayload(tx, nil, []Message{*m}, map[string]*Channel{ch.ID: ch})
	if err != nil {
		return err
	}
	out.Reactions = []ReactionItem{{ReactionID: r.ID, ReactionName: r.Name, UserID: c.User.UserID, UserPublicID: c.User.UserID}}
	return tx.AppendEvent(Event{Type: event, ChannelID: ch.ID, Data: out})
}

// QueryReactions answers GET /api/v3/reactions (and /api/v2/reactions): a message's
// reactions, newest first, keyset on (createdAt, id).
func (s *Service) QueryReactions(ctx context.Context, c *Caller, referenceID, referenceType, name string, limit int, after *Cursor) (*ReactionsPayload, error) {
	var p Problems
	p.Required("referenceId", &referenceID, 1, 100)
	p.OneOf("referenceType", &referenceType, "message")
	p.Text("reactionName", &name, 0, MaxReactionNameChar)
	if err := p.Err(); err != nil {
		return nil, err
	}
	var out *ReactionsPayload
	err := s.store.Read(ctx, func(tx Tx) error {
		m, _, _, err := s.readableMessage(tx, c, referenceID)
		if err != nil {
			return err
		}
		rs, err := tx.ListReactions(ReactionQuery{MessageID: m.ID, Name: name, Limit: limit + 1, After: after})
		if err != nil {
			return err
		}
		out = &ReactionsPayload{Paging: &Paging{}}
		if len(rs) > limit {
			rs = rs[:limit]
			last := rs[limit-1]
			out.Paging.Next = (&Cursor{N: last.CreatedAt.Millis(), ID: last.ID}).Encode(limit)
		}
		ids := make([]string, len(rs))
		for i, r := range rs {
			ids[i] = r.UserID
		}
		users, err := s.addUsers(tx, nil, ids)
		if err != nil {
			return err
		}
		public := map[string]string{}
		for _, u := range users {
			public[u.ID] = u.UserID
		}
		list := ReactionList{ReferenceID: m.ID, ReferenceType: "message", Reactors: []Reactor{}}
		for _, r := range rs {
			list.Reactors = append(list.Reactors, Reactor{ReactionID: r.ID, ReactionName: r.Name, UserID: public[r.UserID],
				UserInternalID: r.UserID, UserPublicID: public[r.UserID], CreatedAt: r.CreatedAt, UpdatedAt: r.CreatedAt})
		}
		out.Reactions = []ReactionList{list}
		out.Users = users
		out.Files, err = s.filesOf(tx, users)
		return err
	})
	return out, err
}
