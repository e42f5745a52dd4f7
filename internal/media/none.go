package media

import (
	"context"

	"github.com/parley-chat/parley/internal/room"
)

// None is the backend of a server without a media server. Rooms work as records (create,
// update, co-host invitations, participants, bans) but never broadcast: they stay idle
// until stopped, and asking for a broadcaster token answers room.NoMediaServer (400300).
type None struct{}

var _ Backend = None{}

// CreateRoom names the media room after the room; nothing is created anywhere.
func (None) CreateRoom(_ context.Context, room *room.Room) (string, error) { return room.ID, nil }

// BroadcasterToken always refuses: there is nothing to broadcast into.
func (None) BroadcasterToken(context.Context, *room.Room, room.RoomParticipant) (*room.BroadcasterData, error) {
	return nil, room.NoMediaServer()
}

// RemoveParticipant has no connection to cut.
func (None) RemoveParticipant(context.Context, *room.Room, string) error { return nil }

// EndRoom has no stream to stop.
func (None) EndRoom(context.Context, *room.Room) error { return nil }

// Watch never reports: without a media server no broadcast starts or ends.
func (None) Watch(Reporter) {}
