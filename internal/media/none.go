package media

import (
	"context"

	"github.com/parley-chat/parley/internal/chat"
)

// None is the backend of a server without a media server. Rooms work as records (create,
// update, co-host invitations, participants, bans) but never broadcast: they stay idle
// until stopped, and asking for a broadcaster token answers chat.NoMediaServer (400300).
type None struct{}

var _ Backend = None{}

// CreateRoom names the media room after the room; nothing is created anywhere.
func (None) CreateRoom(_ context.Context, room *chat.Room) (string, error) { return room.ID, nil }

// BroadcasterToken always refuses: there is nothing to broadcast into.
func (None) BroadcasterToken(context.Context, *chat.Room, chat.RoomParticipant) (*chat.BroadcasterData, error) {
	return nil, chat.NoMediaServer()
}

// RemoveParticipant has no connection to cut.
func (None) RemoveParticipant(context.Context, *chat.Room, string) error { return nil }

// EndRoom has no stream to stop.
func (None) EndRoom(context.Context, *chat.Room) error { return nil }

// Watch never reports: without a media server no broadcast starts or ends.
func (None) Watch(Reporter) {}
