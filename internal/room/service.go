package room

import (
	"context"
	"fmt"

	"github.com/parley-chat/parley/internal/chat"
)

// Stores are rooms' own part of storage, beside chat.Tx: the store's transaction
// implements them too (internal/store/rooms.go, room_media.go, invitations.go).
type Stores interface {
	RoomStore
	RoomMediaStore
	InvitationStore
}

// Tx is what rooms ask of storage inside one unit of work: their own tables, and the
// chat tables they read and write through chat's helpers (users, files, channels, the
// outbox).
type Tx interface {
	chat.Tx
	Stores
}

// tx is a unit of chat's, with rooms' part of the same store transaction.
type tx struct {
	chat.Tx
	Stores
}

// roomTx gives rooms' view of one of chat's units of work. Events still go through
// t's own AppendEvent (chat dates them and wakes the relay).
func roomTx(t chat.Tx) (Tx, error) {
	st, ok := chat.StoreTx(t).(Stores)
	if !ok {
		return nil, fmt.Errorf("room: the store's transaction %T keeps no rooms", chat.StoreTx(t))
	}
	return tx{t, st}, nil
}

// store runs rooms' units of work as chat's own: the same transactions, the same
// clock for events, the same wake-up of the relay after the commit.
type store struct{ chat *chat.Service }

func (s store) Read(ctx context.Context, fn func(Tx) error) error {
	return s.chat.Read(ctx, func(t chat.Tx) error {
		rt, err := roomTx(t)
		if err != nil {
			return err
		}
		return fn(rt)
	})
}

func (s store) Write(ctx context.Context, fn func(Tx) error) error {
	return s.chat.Write(ctx, func(t chat.Tx) error {
		rt, err := roomTx(t)
		if err != nil {
			return err
		}
		return fn(rt)
	})
}

// Service is the live-room domain: rooms, participants, viewer bans, invitations,
// broadcast and media status. Every rule and permission check of rooms lives here.
type Service struct {
	chat  *chat.Service
	store store
	media Media // nil: the `none` backend
}

// New opens the room domain beside chat, in chat's units of work on chat's store,
// with the live-room media server (nil: none). It makes itself the maker of rooms'
// live chats for chat's channel creation (chat.RoomChats).
func New(c *chat.Service, media Media) *Service {
	s := &Service{chat: c, store: store{c}, media: media}
	c.SetRoomChats(s)
	return s
}

// CreateRoomChat serves POST /api/v3/channels with a roomId for chat (chat.RoomChats),
// inside the channel creation's unit of work.
func (s *Service) CreateRoomChat(t chat.Tx, c *chat.Caller, roomID string, ch *chat.Channel, userIDs []string) (*chat.ChannelPayload, error) {
	rt, err := roomTx(t)
	if err != nil {
		return nil, err
	}
	return s.createRoomChannel(rt, c, roomID, ch, userIDs)
}

func (s *Service) now() chat.Time { return s.chat.Now() }
