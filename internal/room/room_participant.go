package room

import (
	"context"

	"github.com/parley-chat/parley/internal/chat"
)

// LeaveRoom answers POST /api/v1/rooms/{roomId}/leave: a co-host steps down. The host
// cannot leave (400300: stop or delete the room instead); a user who is not a
// participant gets 400301, as for leaving a channel.
func (s *Service) LeaveRoom(ctx context.Context, c *chat.Caller, roomID string) (*RoomPayload, error) {
	if c.User == nil {
		return nil, chat.PermissionDenied()
	}
	var out *RoomPayload
	var left *Room
	err := s.store.Write(ctx, func(tx Tx) error {
		r, err := liveRoom(tx, roomID)
		if err != nil {
			return err
		}
		p, err := participant(tx, r.ID, c.User.ID)
		if err != nil {
			return err
		}
		if p == nil {
			return chat.Errorf(chat.CodePermissionDenied, "You are not a participant of this room.")
		}
		if p.Type == ParticipantHost {
			return chat.Errorf(chat.CodeForbidden, "The host cannot leave the room; stop or delete it instead.")
		}
		if err := tx.DeleteRoomParticipant(r.ID, c.User.ID); err != nil {
			return err
		}
		r.UpdatedAt = s.now()
		left = r
		out, err = s.saveRoom(tx, r, chat.EventRoomParticipantLeft, c.User.ID, c.User.ID)
		return err
	})
	if err == nil && s.media != nil {
		s.media.RemoveParticipant(ctx, left, c.User.ID)
	}
	return out, err
}

// RemoveParticipant answers DELETE /api/v1/rooms/{roomId}/participants (body) and
// DELETE …/participants/{participantUserId}: the host or an admin removes a co-host.
// The rules, in the order they are checked: participantUserId 1..50 (400000), the room
// exists (400400), the caller is the host or an admin (400301), the target is not the
// host (400300), the target is a participant (400400).
func (s *Service) RemoveParticipant(ctx context.Context, c *chat.Caller, roomID string, participantUserID *string) (*RoomPayload, error) {
	var p chat.Problems
	p.Required("participantUserId", participantUserID, 1, 50)
	if err := p.Err(); err != nil {
		return nil, err
	}
	var out *RoomPayload
	var room *Room
	var removed string
	err := s.store.Write(ctx, func(tx Tx) error {
		r, err := managedRoom(tx, c, roomID)
		if err != nil {
			return err
		}
		u, err := tx.UserByPublicID(*participantUserID)
		if err != nil {
			return err
		}
		var pt *RoomParticipant
		if u != nil {
			if pt, err = participant(tx, r.ID, u.ID); err != nil {
				return err
			}
		}
		if pt != nil && pt.Type == ParticipantHost {
			return chat.Errorf(chat.CodeForbidden, "The host cannot be removed from the room.")
		}
		if pt == nil {
			return chat.Errorf(chat.CodeNotFound, "Participant not found.")
		}
		if err := tx.DeleteRoomParticipant(r.ID, u.ID); err != nil {
			return err
		}
		r.UpdatedAt = s.now()
		room, removed = r, u.ID
		// The removed user is no longer a participant, so they are named explicitly.
		out, err = s.saveRoom(tx, r, chat.EventRoomParticipantRemoved, u.ID, u.ID)
		return err
	})
	if err == nil && s.media != nil {
		s.media.RemoveParticipant(ctx, room, removed)
	}
	return out, err
}

// UpdateParticipantInput is the body of PUT /api/v1/rooms/{roomId}/participants/{userId}.
type UpdateParticipantInput struct {
	CanManageProductTags *bool `json:"canManageProductTags"`
}

// UpdateParticipant answers PUT /api/v1/rooms/{roomId}/participants/{userId}: the host
// or an admin lets a participant manage product tags, or not.
func (s *Service) UpdateParticipant(ctx context.Context, c *chat.Caller, roomID, userID string, in UpdateParticipantInput) (*RoomPayload, error) {
	var p chat.Problems
	if in.CanManageProductTags == nil {
		p.Add("canManageProductTags", "is required")
	}
	p.Required("userId", &userID, 1, 50)
	if err := p.Err(); err != nil {
		return nil, err
	}
	var out *RoomPayload
	err := s.store.Write(ctx, func(tx Tx) error {
		r, err := managedRoom(tx, c, roomID)
		if err != nil {
			return err
		}
		u, err := tx.UserByPublicID(userID)
		if err != nil {
			return err
		}
		var pt *RoomParticipant
		if u != nil {
			if pt, err = participant(tx, r.ID, u.ID); err != nil {
				return err
			}
		}
		if pt == nil {
			return chat.Errorf(chat.CodeNotFound, "Participant not found.")
		}
		pt.CanManageProductTags = *in.CanManageProductTags
		if err := tx.PutRoomParticipant(*pt); err != nil {
			return err
		}
		r.UpdatedAt = s.now()
		out, err = s.saveRoom(tx, r, chat.EventRoomDidUpdate, "")
		return err
	})
	return out, err
}
