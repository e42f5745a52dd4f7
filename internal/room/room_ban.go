package room

import (
	"context"

	"github.com/parley-chat/parley/internal/chat"
)

// RoomViewerBan is one user kept from watching a room (GET …/viewer-bans). userId and
// banBy are internal ids, with the public ones beside them, as Amity answers them.
type RoomViewerBan struct {
	UserID        string    `json:"userId"`
	UserPublicID  string    `json:"userPublicId"`
	BanBy         string    `json:"banBy"`
	BanByPublicID string    `json:"banByPublicId"`
	CreatedAt     chat.Time `json:"createdAt"`
}

// RoomViewerBanPage is the answer of GET /api/v1/rooms/{roomId}/viewer-bans.
type RoomViewerBanPage struct {
	RoomBannedUsers []RoomViewerBan `json:"roomBannedUsers"`
	RoomPayload
}

// ViewerBanInput is the body of POST and DELETE /api/v1/rooms/{roomId}/viewer-bans.
type ViewerBanInput struct {
	UserIDs []string `json:"userIds"`
}

// viewerBanTargets checks a ban or unban request and loads the room and the users. The
// host or an admin acts; every userId must name an existing user (400400, nothing
// changes).
func (s *Service) viewerBanTargets(tx Tx, c *chat.Caller, roomID string, userIDs []string) (*Room, []chat.User, error) {
	r, err := managedRoom(tx, c, roomID)
	if err != nil {
		return nil, nil, err
	}
	users, err := tx.UsersByPublicIDs(userIDs)
	if err != nil {
		return nil, nil, err
	}
	if len(users) != len(userIDs) {
		return nil, nil, chat.NotFound("User")
	}
	return r, users, nil
}

func checkViewerBanInput(in ViewerBanInput) ([]string, error) {
	var p chat.Problems
	if in.UserIDs == nil {
		p.Add("userIds", "is required")
	}
	p.List("userIds", in.UserIDs, 1, 100, 1, 50)
	return chat.Unique(in.UserIDs), p.Err()
}

// BanRoomViewers answers POST /api/v1/rooms/{roomId}/viewer-bans: the host or an admin
// keeps users from watching the room. The room's participants (host and co-hosts) are
// exempt (400306): remove a co-host first. Banning someone already banned is a no-op.
func (s *Service) BanRoomViewers(ctx context.Context, c *chat.Caller, roomID string, in ViewerBanInput) error {
	ids, err := checkViewerBanInput(in)
	if err != nil {
		return err
	}
	return s.store.Write(ctx, func(tx Tx) error {
		r, users, err := s.viewerBanTargets(tx, c, roomID, ids)
		if err != nil {
			return err
		}
		internal := make([]string, len(users))
		for i, u := range users {
			p, err := participant(tx, r.ID, u.ID)
			if err != nil {
				return err
			}
			if p != nil {
				return chat.Errorf(chat.CodeBanExempt, "User %s is a participant of the room and cannot be banned from it.", u.UserID)
			}
			internal[i] = u.ID
		}
		already, err := tx.RoomViewersBanned(r.ID, internal)
		if err != nil {
			return err
		}
		fresh := exceptIDs(internal, already)
		if len(fresh) == 0 {
			return nil
		}
		if err := tx.BanRoomViewers(r.ID, fresh, c.User.ID, s.now()); err != nil {
			return err
		}
		return s.viewerBanEvent(tx, chat.EventRoomUsersBanned, r, fresh)
	})
}

// UnbanRoomViewers answers DELETE /api/v1/rooms/{roomId}/viewer-bans. Unbanning a user
// who is not banned is 400316 and changes nothing, as for channels.
func (s *Service) UnbanRoomViewers(ctx context.Context, c *chat.Caller, roomID string, in ViewerBanInput) error {
	ids, err := checkViewerBanInput(in)
	if err != nil {
		return err
	}
	return s.store.Write(ctx, func(tx Tx) error {
		r, users, err := s.viewerBanTargets(tx, c, roomID, ids)
		if err != nil {
			return err
		}
		internal := make([]string, len(users))
		for i, u := range users {
			internal[i] = u.ID
		}
		banned, err := tx.RoomViewersBanned(r.ID, internal)
		if err != nil {
			return err
		}
		if len(banned) != len(internal) {
			return chat.Errorf(chat.CodeNotBanned, "User is not banned from this room.")
		}
		if err := tx.UnbanRoomViewers(r.ID, internal); err != nil {
			return err
		}
		return s.viewerBanEvent(tx, chat.EventRoomUsersUnbanned, r, internal)
	})
}

// viewerBanEvent publishes a ban change to the room and to the users concerned, with
// both the Rooms payload and the userIds Amity's event carries.
func (s *Service) viewerBanEvent(tx Tx, typ chat.EventType, r *Room, userIDs []string) error {
	p, err := s.roomPayload(tx, []Room{*r})
	if err != nil {
		return err
	}
	return tx.AppendEvent(chat.Event{Type: typ, RoomID: r.ID, UserIDs: userIDs, Data: RoomEvent{RoomPayload: *p, UserIDs: userIDs}})
}

// RoomViewerBans answers GET /api/v1/rooms/{roomId}/viewer-bans for the host or an
// admin, newest ban first.
func (s *Service) RoomViewerBans(ctx context.Context, c *chat.Caller, roomID string, limit int, after *chat.Cursor) (*RoomViewerBanPage, error) {
	var out *RoomViewerBanPage
	err := s.store.Read(ctx, func(tx Tx) error {
		r, err := managedRoom(tx, c, roomID)
		if err != nil {
			return err
		}
		bans, err := tx.ListRoomViewerBans(r.ID, limit+1, after)
		if err != nil {
			return err
		}
		var next *chat.Cursor
		if len(bans) > limit {
			bans = bans[:limit]
			last := bans[limit-1]
			next = &chat.Cursor{N: last.CreatedAt.Millis(), ID: last.UserID}
		}
		p, err := s.roomPayload(tx, []Room{*r})
		if err != nil {
			return err
		}
		// The banned users and who banned them join the users of the payload.
		var ids []string
		for _, b := range bans {
			ids = append(ids, b.UserID, b.BanBy)
		}
		extra, err := tx.UsersByIDs(chat.Unique(ids))
		if err != nil {
			return err
		}
		s.chat.DecorateUsers(extra)
		p.Users = unionBy(p.Users, extra, func(u chat.User) string { return u.ID })
		more, err := s.chat.UserFiles(tx, extra)
		if err != nil {
			return err
		}
		p.Files = unionBy(p.Files, more, func(f chat.File) string { return f.FileID })
		p.Paging = &chat.Paging{}
		if next != nil {
			p.Paging.Next = next.Encode(limit)
		}
		if bans == nil {
			bans = []RoomViewerBan{}
		}
		out = &RoomViewerBanPage{RoomBannedUsers: bans, RoomPayload: *p}
		return nil
	})
	return out, err
}

// exceptIDs returns the items of a that are not in b.
func exceptIDs(a, b []string) []string {
	drop := make(map[string]struct{}, len(b))
	for _, s := range b {
		drop[s] = struct{}{}
	}
	var out []string
	for _, s := range a {
		if _, ok := drop[s]; !ok {
			out = append(out, s)
		}
	}
	return out
}

// unionBy appends the items of b whose key is not already in a.
func unionBy[T any](a, b []T, key func(T) string) []T {
	seen := make(map[string]struct{}, len(a))
	for _, v := range a {
		seen[key(v)] = struct{}{}
	}
	for _, v := range b {
		if _, ok := seen[key(v)]; !ok {
			seen[key(v)] = struct{}{}
			a = append(a, v)
		}
	}
	return a
}
