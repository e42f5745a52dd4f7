package room

import (
	"context"

	"github.com/parley-chat/parley/internal/chat"
)

// StopRoom answers POST /api/v1/rooms/{roomId}/stop: the host or an admin ends the
// broadcast. The status machine allows it from idle, live and waitingReconnect.
func (s *Service) StopRoom(ctx context.Context, c *chat.Caller, roomID string) (*RoomPayload, error) {
	var out *RoomPayload
	var stopped *Room
	err := s.store.Write(ctx, func(tx Tx) error {
		r, err := managedRoom(tx, c, roomID)
		if err != nil {
			return err
		}
		if !canMove(r.Status, RoomEnded) {
			return chat.Errorf(chat.CodeForbidden, "The room has already ended.")
		}
		now := s.now()
		r.Status, r.EndedAt, r.UpdatedAt = RoomEnded, now, now
		if !r.LiveAt.IsZero() {
			d := int64(now.Sub(r.LiveAt.Time).Seconds())
			r.DurationSeconds = &d
		}
		stopped = r
		out, err = s.saveRoom(tx, r, statusEvents[RoomEnded], "")
		return err
	})
	if err == nil && s.media != nil {
		s.media.EndRoom(ctx, stopped)
	}
	return out, err
}

// ApplyMediaStatus is how a media backend reports what happened to a room's broadcast.
// The status machine decides whether the change is allowed; a report that does not fit
// (a late or repeated webhook) is refused with 400300 and changes nothing. A report
// older than the last one applied to the room (out of order) is refused the same way,
// and a replay of an applied report (same EventID) succeeds without changing anything.
// A media server ends only a broadcast that began: its media room closing while the
// room is still idle (nobody came to broadcast in time) leaves the room idle, since the
// media room comes back when the host joins.
func (s *Service) ApplyMediaStatus(ctx context.Context, m MediaStatus) error {
	to, ok := roomStatusAliases[m.Status]
	if !ok || to == RoomIdle {
		var p chat.Problems
		p.Add("status", "is not a status a media server can report")
		return p.Err()
	}
	at := m.At
	if at.IsZero() {
		at = s.now()
	}
	return s.store.Write(ctx, func(tx Tx) error {
		if !chat.IsID(m.RoomID) {
			return chat.NotFound("Room")
		}
		r, err := tx.RoomByID(m.RoomID)
		if err != nil {
			return err
		}
		if r == nil {
			return chat.NotFound("Room")
		}
		if m.ByUserInternalID != "" {
			p, err := participant(tx, r.ID, m.ByUserInternalID)
			if err != nil {
				return err
			}
			if p == nil || p.Type != ParticipantHost {
				return chat.Errorf(chat.CodeForbidden, "Only the host's broadcast moves the room.")
			}
		}
		dup, err := freshMediaStatus(tx, m.EventID, r.ID, at)
		if err != nil || dup {
			return err
		}
		if !canMove(r.Status, to) || (r.Status == RoomIdle && to == RoomEnded) {
			return chat.Errorf(chat.CodeForbidden, "A room cannot move from %s to %s.", r.Status, to)
		}
		id := m.EventID
		if id == "" {
			id = chat.NewID()
		}
		if err := tx.PutMediaEvent(MediaEventRecord{ID: id, RoomID: r.ID, Kind: MediaEventStatus, At: at, AppliedAt: s.now()}); err != nil {
			return err
		}
		r.Status, r.UpdatedAt = to, at
		switch to {
		case RoomLive:
			if r.LiveAt.IsZero() {
				r.LiveAt = at
			}
			if m.LivePlaybackURL != nil {
				r.LivePlaybackURL = m.LivePlaybackURL
			}
			if m.LiveThumbnailURL != nil {
				r.LiveThumbnailURL = m.LiveThumbnailURL
			}
			if m.LiveResolution != nil {
				r.LiveResolution = m.LiveResolution
			}
		case RoomEnded:
			r.EndedAt = at
			r.LivePlaybackURL, r.LiveThumbnailURL = nil, nil
			if m.DurationSeconds != nil {
				r.DurationSeconds = m.DurationSeconds
			} else if !r.LiveAt.IsZero() {
				d := int64(at.Sub(r.LiveAt.Time).Seconds())
				r.DurationSeconds = &d
			}
		case RoomRecorded:
			r.RecordedAt = at
			if m.RecordedPlaybackInfos != nil {
				r.RecordedPlaybackInfos = m.RecordedPlaybackInfos
			}
			if m.RecordedResolution != nil {
				r.RecordedResolution = m.RecordedResolution
			}
			if m.DurationSeconds != nil {
				r.DurationSeconds = m.DurationSeconds
			}
		case RoomTerminated:
			r.LivePlaybackURL, r.LiveThumbnailURL = nil, nil
			if r.EndedAt.IsZero() {
				r.EndedAt = at
			}
		}
		if err := tx.UpdateRoom(r); err != nil {
			return err
		}
		return s.roomEvent(tx, statusEvents[to], r, "")
	})
}

// mayBroadcast is the rule of GET /token, decided before any media server is asked: a
// room that has not ended, and a participant of it — the host, or in a coHosts room a
// co-host who accepted an invitation and was not removed since. A removed co-host is
// no longer a participant, so they get nothing until invited again.
func mayBroadcast(r *Room, p *RoomParticipant) error {
	switch {
	case p == nil:
		return chat.Errorf(chat.CodePermissionDenied, "Only the host and co-hosts of this room may broadcast.")
	case p.Type != ParticipantHost && r.Type != RoomCoHosts:
		return chat.Errorf(chat.CodePermissionDenied, "Only the host may broadcast in a direct-streaming room.")
	case hasEnded(r.Status):
		return chat.Errorf(chat.CodeForbidden, "The room has ended.")
	}
	return nil
}

// BroadcasterData answers GET /api/v1/rooms/{roomId}/token.
func (s *Service) BroadcasterData(ctx context.Context, c *chat.Caller, roomID string) (*BroadcasterData, error) {
	var r *Room
	var p *RoomParticipant
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		if r, err = liveRoom(tx, roomID); err != nil {
			return err
		}
		if c.User != nil {
			p, err = participant(tx, r.ID, c.User.ID)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := mayBroadcast(r, p); err != nil {
		return nil, err
	}
	if s.media == nil {
		return nil, NoMediaServer()
	}
	return s.media.BroadcasterToken(ctx, r, *p)
}

// RecordedURL is the answer of GET /api/v1/rooms/{roomId}/recorded: the SDK reads url
// (and expiresAt); Amity's API documents recordedUrls. Both are given.
type RecordedURL struct {
	URL          string     `json:"url"`
	ExpiresAt    *chat.Time `json:"expiresAt"`
	RecordedURLs []string   `json:"recordedUrls"`
}

// RecordedURL answers GET /api/v1/rooms/{roomId}/recorded for anyone who may watch the
// room; a room without a recording is 400400.
func (s *Service) RecordedURL(ctx context.Context, c *chat.Caller, roomID string) (*RecordedURL, error) {
	var out *RecordedURL
	err := s.store.Read(ctx, func(tx Tx) error {
		r, err := s.readableRoom(tx, c, roomID)
		if err != nil {
			return err
		}
		if r.IsDeleted || len(r.RecordedPlaybackInfos) == 0 {
			return chat.NotFound("Recording")
		}
		out = &RecordedURL{URL: r.RecordedPlaybackInfos[0].URL, RecordedURLs: []string{}}
		for _, pi := range r.RecordedPlaybackInfos {
			out.RecordedURLs = append(out.RecordedURLs, pi.URL)
		}
		return nil
	})
	return out, err
}
