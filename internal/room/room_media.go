package room

import (
	"context"
	"time"

	"github.com/parley-chat/parley/internal/chat"
)

// RoomMediaStore remembers the media server's reports already applied to rooms, so
// that webhook replays and out-of-order deliveries cannot move a room's status twice or
// backwards.
type RoomMediaStore interface {
	// MediaEventApplied tells whether the report with this id was applied already.
	MediaEventApplied(id string) (bool, error)
	// LastMediaStatusAt is when the newest status report applied to a room happened; zero
	// when none was.
	LastMediaStatusAt(roomID string) (chat.Time, error)
	PutMediaEvent(e MediaEventRecord) error
	// PruneMediaEvents forgets the reports of a kind applied before a time.
	PruneMediaEvents(kind string, before chat.Time) error
}

// MediaEventRecord is one applied report of the media server.
type MediaEventRecord struct {
	ID        string
	RoomID    string
	Kind      string    // MediaEventStatus | MediaEventPresence
	At        chat.Time // when the media server says it happened
	AppliedAt chat.Time
}

// Kinds of media reports. Only status reports set a room's media clock.
const (
	MediaEventStatus   = "status"
	MediaEventPresence = "presence"
)

// presenceMemory is how long presence report ids are kept against replays: media
// servers retry a failed webhook for minutes, never for a day.
const presenceMemory = 24 * time.Hour

// MediaPresence is a broadcaster connecting to or leaving a room's media room.
type MediaPresence struct {
	EventID        string // the media server's id of the report; replays share it
	RoomID         string
	UserInternalID string
	Joined         bool // false: left
	At             chat.Time
}

// Media returns the media backend the service was configured with (nil: none).
func (s *Service) Media() Media { return s.media }

// freshMediaStatus decides whether a status report about room r may be applied: not a
// replay of an applied one (dup), and not older than the newest status report applied
// (stale: it was delivered out of order). Media servers stamp events in whole seconds
// at best, so reports of the same instant are applied in the order they arrive and
// the status machine judges them.
func freshMediaStatus(tx Tx, eventID, roomID string, at chat.Time) (dup bool, err error) {
	if eventID != "" {
		if dup, err = tx.MediaEventApplied(eventID); err != nil || dup {
			return dup, err
		}
	}
	last, err := tx.LastMediaStatusAt(roomID)
	if err != nil {
		return false, err
	}
	if !last.IsZero() && at.Before(last.Time) {
		return false, chat.Errorf(chat.CodeForbidden, "The report is older than the room's last media report.")
	}
	return false, nil
}

// ApplyMediaPresence is how a media backend reports a broadcaster joining or leaving
// the room's media room. It answers whether the user may be there at all: a user who is
// no longer a participant (a removed co-host reconnecting with a token issued before
// the removal) must be cut off by the backend at once. Joins and leaves of participants
// publish room.participantJoined and room.participantLeft; a refused join publishes
// nothing, and neither does the leave of a user who is no longer a participant (their
// removal or leave was published already). A replayed report publishes nothing again.
func (s *Service) ApplyMediaPresence(ctx context.Context, m MediaPresence) (allowed bool, err error) {
	if !chat.IsID(m.RoomID) || !chat.IsID(m.UserInternalID) {
		return false, chat.NotFound("Room") // not a room or a user of Parley's: not ours to judge
	}
	at := m.At
	if at.IsZero() {
		at = s.now()
	}
	err = s.store.Write(ctx, func(tx Tx) error {
		r, err := tx.RoomByID(m.RoomID)
		if err != nil {
			return err
		}
		if r == nil {
			return chat.NotFound("Room")
		}
		if r.IsDeleted {
			return nil // nobody may broadcast into a deleted room
		}
		p, err := participant(tx, r.ID, m.UserInternalID)
		if err != nil {
			return err
		}
		allowed = mayBroadcast(r, p) == nil
		if m.EventID != "" {
			if dup, err := tx.MediaEventApplied(m.EventID); err != nil || dup {
				return err
			}
		}
		if p == nil || (m.Joined && !allowed) {
			return nil
		}
		now := s.now()
		id := m.EventID
		if id == "" {
			id = chat.NewID()
		}
		if err := tx.PutMediaEvent(MediaEventRecord{ID: id, RoomID: r.ID, Kind: MediaEventPresence, At: at, AppliedAt: now}); err != nil {
			return err
		}
		if err := tx.PruneMediaEvents(MediaEventPresence, now.Add(-presenceMemory)); err != nil {
			return err
		}
		typ := chat.EventRoomParticipantLeft
		if m.Joined {
			typ = chat.EventRoomParticipantJoined
		}
		return s.roomEvent(tx, typ, r, m.UserInternalID)
	})
	return allowed, err
}
