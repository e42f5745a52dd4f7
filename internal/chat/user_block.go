package chat

import "context"

// User blocks (docs/moderation.md). A block is one-way: the blocker stops hearing from
// the blocked user in conversations. The blocked user cannot start a conversation that
// includes the blocker, and cannot post in a conversation where a member blocked them,
// so no message of theirs reaches the blocker there. Community, live and broadcast
// channels are unaffected: blocks are personal, channels belong to their moderators.

// Block is one row: blocker blocked blocked (internal ids).
type Block struct {
	BlockerID string
	BlockedID string
	CreatedAt Time
}

// UserBlockStore is the persistence of blocks.
type UserBlockStore interface {
	// PutBlock adds a block; false when it existed.
	PutBlock(blockerID, blockedID string, at Time) (bool, error)
	// RemoveBlock removes a block; false when there was none.
	RemoveBlock(blockerID, blockedID string) (bool, error)
	// Blocks pages the blocks a user made, newest first, after the cursor (N: created_at,
	// ID: the blocked user's internal id).
	Blocks(blockerID string, limit int, after *Cursor) ([]Block, error)
	// BlockersOf returns which of userIDs blocked blockedID.
	BlockersOf(blockedID string, userIDs []string) ([]string, error)
	// BlockedInChannel tells whether a current member of the channel blocked userID.
	BlockedInChannel(userID, channelID string) (bool, error)
}

// FollowStatus is Amity's relationship object. A block is told as Amity's follow model
// has it: the blocked user's follow of the blocker (from the blocked, to the blocker)
// has status "blocked", "none" after an unblock. Parley has no follows otherwise.
type FollowStatus struct {
	From      string `json:"from"`
	To        string `json:"to"`
	Status    string `json:"status"`
	CreatedAt Time   `json:"createdAt"`
	UpdatedAt Time   `json:"updatedAt"`
}

// FollowCount is Amity's follower counters; Parley keeps no follows, so they are 0.
type FollowCount struct {
	UserID         string `json:"userId"`
	FollowerCount  int    `json:"followerCount"`
	FollowingCount int    `json:"followingCount"`
	PendingCount   int    `json:"pendingCount"`
}

// BlockResult is the answer of POST and DELETE /api/v4/me/user-blocks/{userId}, and the
// data of the user.blocked / user.unblocked events. The 6.35.3 SDK reads follows and
// followCounts[0].
type BlockResult struct {
	Follows      []FollowStatus `json:"follows"`
	FollowCounts []FollowCount  `json:"followCounts"`
}

// BlockUser answers POST /api/v4/me/user-blocks/{userId}. Blocking twice is the same
// answer and writes nothing the second time; blocking oneself is a 400000.
func (s *Service) BlockUser(ctx context.Context, c *Caller, userID string) (*BlockResult, error) {
	return s.changeBlock(ctx, c, userID, true)
}

// UnblockUser answers DELETE /api/v4/me/user-blocks/{userId}.
func (s *Service) UnblockUser(ctx context.Context, c *Caller, userID string) (*BlockResult, error) {
	return s.changeBlock(ctx, c, userID, false)
}

// checkOtherUser checks the target of a call one user makes about another (block,
// flag): a user id, not the caller's own.
func checkOtherUser(p *Problems, c *Caller, userID string) error {
	p.Required("userId", &userID, 1, 50)
	if c.User != nil && userID == c.User.UserID {
		p.Add("userId", "cannot be the caller")
	}
	if err := p.Err(); err != nil {
		return err
	}
	if c.User == nil {
		return PermissionDenied()
	}
	return nil
}

// liveUser reads a user by public id (locked in a write transaction); a missing or
// deleted user is a 400400.
func liveUser(tx Tx, userID string) (*User, error) {
	u, err := tx.UserByPublicID(userID)
	if err != nil {
		return nil, err
	}
	if u == nil || u.IsDeleted {
		return nil, NotFound("User")
	}
	return u, nil
}

func (s *Service) changeBlock(ctx context.Context, c *Caller, userID string, block bool) (*BlockResult, error) {
	if err := checkOtherUser(&Problems{}, c, userID); err != nil {
		return nil, err
	}
	var out *BlockResult
	err := s.store.Write(ctx, func(tx Tx) error {
		u, err := liveUser(tx, userID)
		if err != nil {
			return err
		}
		now := s.now()
		var changed bool
		status := "none"
		if block {
			status = "blocked"
			changed, err = tx.PutBlock(c.User.ID, u.ID, now)
		} else {
			changed, err = tx.RemoveBlock(c.User.ID, u.ID)
		}
		if err != nil {
			return err
		}
		out = &BlockResult{
			Follows:      []FollowStatus{{From: u.UserID, To: c.User.UserID, Status: status, CreatedAt: now, UpdatedAt: now}},
			FollowCounts: []FollowCount{{UserID: u.UserID}},
		}
		if !changed {
			return nil
		}
		typ := EventUserUnblocked
		if block {
			typ = EventUserBlocked
		}
		return tx.AppendEvent(Event{Type: typ, UserIDs: []string{c.User.ID, u.ID}, Data: out})
	})
	return out, err
}

// BlockedUsersPayload is the answer of GET /api/v4/me/user-blocks: the users and, as the
// SDK reads them, one follow status per user (from the blocked user to the caller).
type BlockedUsersPayload struct {
	UserPayload
	Follows []FollowStatus `json:"follows"`
}

// BlockedUsers answers GET /api/v4/me/user-blocks: the users the caller blocked, newest
// block first, keyset-paged.
func (s *Service) BlockedUsers(ctx context.Context, c *Caller, limit int, after *Cursor) (*BlockedUsersPayload, error) {
	if c.User == nil {
		return nil, PermissionDenied()
	}
	var out *BlockedUsersPayload
	err := s.store.Read(ctx, func(tx Tx) error {
		blocks, paging, err := fetchPage(limit,
			func(n int) ([]Block, error) { return tx.Blocks(c.User.ID, n, after) },
			func(b Block) *Cursor { return &Cursor{N: b.CreatedAt.Millis(), ID: b.BlockedID} })
		if err != nil {
			return err
		}
		ids := make([]string, len(blocks))
		for i, b := range blocks {
			ids[i] = b.BlockedID
		}
		users, err := tx.UsersByIDs(ids)
		if err != nil {
			return err
		}
		up, err := s.userPayload(tx, users)
		if err != nil {
			return err
		}
		up.Paging = paging
		out = &BlockedUsersPayload{UserPayload: *up, Follows: make([]FollowStatus, 0, len(blocks))}
		byID := map[string]string{}
		for _, u := range users {
			byID[u.ID] = u.UserID
		}
		for _, b := range blocks {
			if id, ok := byID[b.BlockedID]; ok {
				out.Follows = append(out.Follows, FollowStatus{From: id, To: c.User.UserID, Status: "blocked", CreatedAt: b.CreatedAt, UpdatedAt: b.CreatedAt})
			}
		}
		return nil
	})
	return out, err
}

// conversationBlockRule refuses a caller whom one of the other users blocked: nobody
// starts a conversation with someone who blocked them (the member set is internal ids).
func conversationBlockRule(tx Tx, c *Caller, set []string) error {
	blockers, err := tx.BlockersOf(c.User.ID, set)
	if err != nil {
		return err
	}
	if len(blockers) > 0 {
		return Errorf(CodePermissionDenied, "A user in this conversation has blocked you.")
	}
	return nil
}

// sendBlockRule refuses a message in a conversation where a member blocked the sender:
// the blocker receives nothing from them. Other channel types are unaffected.
func sendBlockRule(tx Tx, c *Caller, ch *Channel) error {
	if ch.Type != ChannelConversation || c.User == nil {
		return nil
	}
	blocked, err := tx.BlockedInChannel(c.User.ID, ch.ID)
	if err != nil {
		return err
	}
	if blocked {
		return Errorf(CodePermissionDenied, "A member of this conversation has blocked you.")
	}
	return nil
}
