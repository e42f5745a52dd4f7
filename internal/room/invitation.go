package room

import (
	"context"

	"github.com/parley-chat/parley/internal/chat"
)

// Invitation asks a user to join something; Parley serves the live-room co-host kind
// (type livestreamCohostInvite, targetType room). In the shape the 7.x SDK reads
// (RawInvitation): userId and createdBy are internal ids, the invited*/inviter* fields
// give both forms.
type Invitation struct {
	ID                    string    `json:"_id"`
	InvitationID          string    `json:"invitationId"`
	NetworkID             string    `json:"networkId"`
	Type                  string    `json:"type"`
	TargetID              string    `json:"targetId"`
	TargetType            string    `json:"targetType"`
	UserID                string    `json:"userId"`
	Status                string    `json:"status"` // pending | approved | rejected | cancelled
	RespondedAt           chat.Time `json:"respondedAt"`
	CreatedBy             string    `json:"createdBy"`
	InvitedUserID         string    `json:"invitedUserId"`
	InvitedUserInternalID string    `json:"invitedUserInternalId"`
	InvitedUserPublicID   string    `json:"invitedUserPublicId"`
	InviterUserID         string    `json:"inviterUserId"`
	InviterUserInternalID string    `json:"inviterUserInternalId"`
	InviterUserPublicID   string    `json:"inviterUserPublicId"`
	CommunityID           *string   `json:"communityId"`
	CreatedAt             chat.Time `json:"createdAt"`
	UpdatedAt             chat.Time `json:"updatedAt"`
}

// InvitationPayload is the answer of invitation calls and the data of invitation events.
type InvitationPayload struct {
	Invitations []Invitation `json:"invitations"`
	Users       []chat.User  `json:"users"`
	Paging      *chat.Paging `json:"paging,omitempty"`
}

// Invitation kinds and statuses.
const (
	InviteCohost     = "livestreamCohostInvite"
	InviteTargetRoom = "room"

	InvitationPending   = "pending"
	InvitationApproved  = "approved"
	InvitationRejected  = "rejected"
	InvitationCancelled = "cancelled"
)

// InvitationStore is the persistence of invitations.
type InvitationStore interface {
	InsertInvitation(inv *Invitation) error
	UpdateInvitation(inv *Invitation) error
	InvitationByID(id string) (*Invitation, error)
	// PendingInvitations returns the pending invitations of userIDs to a target.
	PendingInvitations(targetType, targetID string, userIDs []string) ([]Invitation, error)
	ListInvitations(q InvitationQuery) ([]Invitation, error)
}

// InvitationQuery is one page of GET /api/v1/invitations or /api/v1/invitations/me.
type InvitationQuery struct {
	Type       string
	TargetType string
	TargetID   string
	UserID     string // the invitee, for /me
	Statuses   []string
	SortBy     chat.SortBy    // firstCreated | lastCreated | createdAt | _id
	SortOrder  chat.SortOrder // asc | desc, for createdAt and _id
	Limit      int
	After      *chat.Cursor
	// Ascending is decided from SortBy and SortOrder.
	Ascending bool
}

// invitationPayload fills the user fields of invitations and gathers their users.
func (s *Service) invitationPayload(tx Tx, invs []Invitation) (*InvitationPayload, error) {
	var ids []string
	for _, inv := range invs {
		ids = append(ids, inv.UserID, inv.CreatedBy)
	}
	users, err := tx.UsersByIDs(chat.Unique(ids))
	if err != nil {
		return nil, err
	}
	s.chat.DecorateUsers(users)
	byID := make(map[string]chat.User, len(users))
	for _, u := range users {
		byID[u.ID] = u
	}
	for i := range invs {
		inv := &invs[i]
		inv.InvitationID, inv.NetworkID = inv.ID, s.chat.NetworkID()
		invitee, inviter := byID[inv.UserID], byID[inv.CreatedBy]
		inv.InvitedUserID, inv.InvitedUserPublicID, inv.InvitedUserInternalID = invitee.UserID, invitee.UserID, inv.UserID
		inv.InviterUserID, inv.InviterUserPublicID, inv.InviterUserInternalID = inviter.UserID, inviter.UserID, inv.CreatedBy
	}
	if invs == nil {
		invs = []Invitation{}
	}
	if users == nil {
		users = []chat.User{}
	}
	return &InvitationPayload{Invitations: invs, Users: users}, nil
}

// invitationEvent publishes an invitation change under the room's path and to the
// invitee, the inviter and the room's participants.
func (s *Service) invitationEvent(tx Tx, typ chat.EventType, inv Invitation) error {
	p, err := s.invitationPayload(tx, []Invitation{inv})
	if err != nil {
		return err
	}
	users := []string{inv.UserID, inv.CreatedBy}
	ps, err := tx.RoomParticipants([]string{inv.TargetID})
	if err != nil {
		return err
	}
	for _, pt := range ps {
		users = append(users, pt.UserInternalID)
	}
	return tx.AppendEvent(chat.Event{Type: typ, Data: p, RoomID: inv.TargetID, UserIDs: chat.Unique(users)})
}

// CreateInvitationInput is the body of POST /api/v1/invitations.
type CreateInvitationInput struct {
	Type       *string  `json:"type"`
	TargetType *string  `json:"targetType"`
	TargetID   *string  `json:"targetId"`
	UserIDs    []string `json:"userIds"`
}

// checkInvitationKind validates type and targetType. Only live-room co-host invitations
// are served: Parley has no communities, so communityMemberInvite is an unknown value.
func checkInvitationKind(p *chat.Problems, typ, targetType *string) {
	p.OneOf("type", typ, InviteCohost)
	p.OneOf("targetType", targetType, InviteTargetRoom)
}

// CreateInvitations answers POST /api/v1/invitations: the host (or an admin) of a
// coHosts room invites users to co-host it. Each invitee must exist (400400), must not
// already take part (the host: 400300; a co-host or a pending invitee: 400900) and must
// not be banned from viewing the room (400304). Only coHosts rooms that have not ended
// take co-hosts (400300).
func (s *Service) CreateInvitations(ctx context.Context, c *chat.Caller, in CreateInvitationInput) (*InvitationPayload, error) {
	var p chat.Problems
	p.Required("type", in.Type, 1, 50)
	p.Required("targetType", in.TargetType, 1, 50)
	p.Required("targetId", in.TargetID, 1, 900)
	checkInvitationKind(&p, in.Type, in.TargetType)
	if in.UserIDs == nil {
		p.Add("userIds", "is required")
	}
	p.List("userIds", in.UserIDs, 1, 100, 1, 50)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if c.User == nil {
		return nil, chat.PermissionDenied()
	}
	userIDs := chat.Unique(in.UserIDs)
	var out *InvitationPayload
	err := s.store.Write(ctx, func(tx Tx) error {
		r, err := managedRoom(tx, c, *in.TargetID)
		if err != nil {
			return err
		}
		if r.Type != RoomCoHosts {
			return chat.Errorf(chat.CodeForbidden, "Only coHosts rooms take co-hosts.")
		}
		if hasEnded(r.Status) {
			return chat.Errorf(chat.CodeForbidden, "The room has ended.")
		}
		users, err := tx.UsersByPublicIDs(userIDs)
		if err != nil {
			return err
		}
		if len(users) != len(userIDs) {
			return chat.NotFound("User")
		}
		internal := make([]string, len(users))
		for i, u := range users {
			internal[i] = u.ID
			pt, err := participant(tx, r.ID, u.ID)
			if err != nil {
				return err
			}
			switch {
			case pt != nil && pt.Type == ParticipantHost:
				return chat.Errorf(chat.CodeForbidden, "The host cannot be invited to co-host their own room.")
			case pt != nil:
				return chat.Errorf(chat.CodeConflict, "User %s is already a co-host of the room.", u.UserID)
			}
		}
		banned, err := tx.RoomViewersBanned(r.ID, internal)
		if err != nil {
			return err
		}
		if len(banned) > 0 {
			return chat.Errorf(chat.CodeUserBanned, "User is banned from this room.")
		}
		pending, err := tx.PendingInvitations(InviteTargetRoom, r.ID, internal)
		if err != nil {
			return err
		}
		if len(pending) > 0 {
			return chat.Errorf(chat.CodeConflict, "User already has a pending invitation to this room.")
		}
		now := s.now()
		invs := make([]Invitation, len(users))
		for i, u := range users {
			invs[i] = Invitation{
				ID: chat.NewID(), Type: InviteCohost, TargetType: InviteTargetRoom, TargetID: r.ID,
				UserID: u.ID, CreatedBy: c.User.ID, Status: InvitationPending, CreatedAt: now, UpdatedAt: now,
			}
			if err := tx.InsertInvitation(&invs[i]); err != nil {
				return err
			}
			if err := s.invitationEvent(tx, chat.EventRoomCohostInvite, invs[i]); err != nil {
				return err
			}
		}
		out, err = s.invitationPayload(tx, invs)
		return err
	})
	return out, err
}

// pendingInvitation loads an invitation that is still pending.
func pendingInvitation(tx Tx, id string) (*Invitation, error) {
	if !chat.IsID(id) {
		return nil, chat.NotFound("Invitation")
	}
	inv, err := tx.InvitationByID(id)
	if err != nil {
		return nil, err
	}
	if inv == nil {
		return nil, chat.NotFound("Invitation")
	}
	if inv.Status != InvitationPending {
		return nil, chat.Errorf(chat.CodeForbidden, "The invitation is %s, no longer pending.", inv.Status)
	}
	return inv, nil
}

// respond moves a pending invitation to its answer.
func (s *Service) respond(tx Tx, inv *Invitation, status string) error {
	now := s.now()
	inv.Status, inv.RespondedAt, inv.UpdatedAt = status, now, now
	return tx.UpdateInvitation(inv)
}

// AcceptInvitation answers POST /api/v1/invitations/{id}/accept: the invitee becomes a
// coHost participant of the room, which must still exist and not have ended.
func (s *Service) AcceptInvitation(ctx context.Context, c *chat.Caller, id string) error {
	return s.store.Write(ctx, func(tx Tx) error {
		inv, err := s.ownInvitation(tx, c, id)
		if err != nil {
			return err
		}
		r, err := liveRoom(tx, inv.TargetID)
		if err != nil {
			return err
		}
		if hasEnded(r.Status) {
			return chat.Errorf(chat.CodeForbidden, "The room has ended.")
		}
		if err := s.respond(tx, inv, InvitationApproved); err != nil {
			return err
		}
		pt, err := participant(tx, r.ID, inv.UserID)
		if err != nil {
			return err
		}
		if pt == nil {
			if err := tx.PutRoomParticipant(RoomParticipant{RoomID: r.ID, UserInternalID: inv.UserID, Type: ParticipantCoHost, CreatedAt: inv.RespondedAt}); err != nil {
				return err
			}
		}
		r.UpdatedAt = inv.RespondedAt
		if err := tx.UpdateRoom(r); err != nil {
			return err
		}
		if err := s.invitationEvent(tx, chat.EventRoomCohostInviteAccept, *inv); err != nil {
			return err
		}
		return s.roomEvent(tx, chat.EventRoomParticipantJoined, r, inv.UserID)
	})
}

// RejectInvitation answers POST /api/v1/invitations/{id}/reject: the invitee declines.
func (s *Service) RejectInvitation(ctx context.Context, c *chat.Caller, id string) error {
	return s.store.Write(ctx, func(tx Tx) error {
		inv, err := s.ownInvitation(tx, c, id)
		if err != nil {
			return err
		}
		if err := s.respond(tx, inv, InvitationRejected); err != nil {
			return err
		}
		return s.invitationEvent(tx, chat.EventRoomCohostInviteReject, *inv)
	})
}

// ownInvitation loads a pending invitation addressed to the caller (else 400301).
func (s *Service) ownInvitation(tx Tx, c *chat.Caller, id string) (*Invitation, error) {
	inv, err := pendingInvitation(tx, id)
	if err != nil {
		return nil, err
	}
	if c.User == nil || inv.UserID != c.User.ID {
		return nil, chat.Errorf(chat.CodePermissionDenied, "Only the invited user may answer an invitation.")
	}
	return inv, nil
}

// CancelInvitation answers DELETE /api/v1/invitations/{id}: the inviter, the room's
// host or an admin withdraws a pending invitation.
func (s *Service) CancelInvitation(ctx context.Context, c *chat.Caller, id string) error {
	return s.store.Write(ctx, func(tx Tx) error {
		inv, err := pendingInvitation(tx, id)
		if err != nil {
			return err
		}
		if c.User == nil || inv.CreatedBy != c.User.ID {
			r, err := tx.RoomByID(inv.TargetID)
			if err != nil {
				return err
			}
			if r == nil {
				return chat.PermissionDenied()
			}
			if err := requireRoomManager(tx, c, r); err != nil {
				return err
			}
		}
		if err := s.respond(tx, inv, InvitationCancelled); err != nil {
			return err
		}
		return s.invitationEvent(tx, chat.EventRoomCohostInviteCancel, *inv)
	})
}

// checkInvitationQuery validates the filters both lists share and settles the order.
func checkInvitationQuery(p *chat.Problems, q *InvitationQuery) {
	if q.Type != "" {
		checkInvitationKind(p, &q.Type, nil)
	}
	if q.TargetType != "" {
		checkInvitationKind(p, nil, &q.TargetType)
	}
	p.Text("targetId", &q.TargetID, 0, 900)
	if len(q.Statuses) > 4 {
		p.Add("statuses", "must have at most 4 items")
	}
	for _, st := range q.Statuses {
		if st != InvitationPending && st != InvitationApproved && st != InvitationRejected && st != InvitationCancelled {
			p.Add("statuses", "has an unknown status %q", st)
			break
		}
	}
	q.Statuses = chat.Unique(q.Statuses)
	if q.SortBy != "" {
		chat.OneOf(p, "sortBy", &q.SortBy, chat.InvitationSorts...)
	}
	if q.SortOrder != "" {
		chat.OneOf(p, "sortOrder", &q.SortOrder, chat.SortOrders...)
	}
	q.Ascending = q.SortBy == chat.SortFirstCreated || (q.SortBy != chat.SortLastCreated && q.SortOrder == chat.SortAscending)
}

// QueryInvitations answers GET /api/v1/invitations: the invitations to one room, for its
// participants and admins (else 400301).
func (s *Service) QueryInvitations(ctx context.Context, c *chat.Caller, q InvitationQuery) (*InvitationPayload, error) {
	var p chat.Problems
	if q.TargetID == "" {
		p.Add("targetId", "is required")
	}
	if q.TargetType == "" {
		p.Add("targetType", "is required")
	}
	checkInvitationQuery(&p, &q)
	if err := p.Err(); err != nil {
		return nil, err
	}
	q.UserID = ""
	return s.listInvitations(ctx, q, func(tx Tx) error {
		r, err := liveRoom(tx, q.TargetID)
		if err != nil {
			return err
		}
		if c.Can(chat.PermManageRoom) {
			return nil
		}
		if c.User != nil {
			pt, err := participant(tx, r.ID, c.User.ID)
			if err != nil || pt != nil {
				return err
			}
		}
		return chat.PermissionDenied()
	})
}

// MyInvitations answers GET /api/v1/invitations/me: the caller's own invitations,
// newest first unless asked otherwise.
func (s *Service) MyInvitations(ctx context.Context, c *chat.Caller, q InvitationQuery) (*InvitationPayload, error) {
	var p chat.Problems
	checkInvitationQuery(&p, &q)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if c.User == nil {
		return nil, chat.PermissionDenied()
	}
	q.UserID = c.User.ID
	return s.listInvitations(ctx, q, func(Tx) error { return nil })
}

func (s *Service) listInvitations(ctx context.Context, q InvitationQuery, allowed func(Tx) error) (*InvitationPayload, error) {
	var out *InvitationPayload
	err := s.store.Read(ctx, func(tx Tx) error {
		if err := allowed(tx); err != nil {
			return err
		}
		invs, paging, err := chat.FetchPage(q.Limit,
			func(n int) ([]Invitation, error) { q.Limit = n; return tx.ListInvitations(q) },
			func(v Invitation) *chat.Cursor { return &chat.Cursor{N: v.CreatedAt.Millis(), ID: v.ID} })
		if err != nil {
			return err
		}
		out, err = s.invitationPayload(tx, invs)
		if err != nil {
			return err
		}
		out.Paging = paging
		return nil
	})
	return out, err
}
