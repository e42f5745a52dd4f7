package chat

import "context"

// The few helpers internal/room borrows from chat. Rooms answer users and files in
// their payloads and open their live chat as a channel, each exactly as chat does, so
// they call chat's own code rather than copy it. Each runs inside the caller's unit of
// work.

// DecorateUsers fills the derived fields of users (ids, path, permissions) as every
// payload answers them.
func (s *Service) DecorateUsers(users []User) { s.decorate(users) }

// Files answers the files of ids, with their URLs.
func (s *Service) Files(tx Tx, ids []string) ([]File, error) { return s.files(tx, ids) }

// UserFiles answers the avatar files of users, with their URLs.
func (s *Service) UserFiles(tx Tx, users []User) ([]File, error) { return s.filesOf(tx, users) }

// RequireImage refuses (400000) a file id that is not an uploaded image.
func (s *Service) RequireImage(tx Tx, fileID string) error { return s.requireImage(tx, fileID) }

// CreateChannelIn creates a channel as POST /api/v3/channels does (the caller its
// moderator, userIDs its members, channel.created appended), inside tx: a room's live
// chat exists only with the room's change.
func (s *Service) CreateChannelIn(tx Tx, c *Caller, ch *Channel, userIDs []string) (*ChannelPayload, error) {
	return s.createChannel(tx, c, ch, userIDs)
}

// NewChannel fills a channel as it is when created, for CreateChannelIn.
func NewChannel(creatorID, typ string, now Time) *Channel { return newChannel(creatorID, typ, now) }

// EmptyToNil is nil for "", else a pointer to s: a cleared optional field.
func EmptyToNil(s string) *string { return emptyToNil(s) }

// FetchPage reads one keyset page of at most limit rows (list is asked for one more to
// learn whether another page follows) and its paging tokens.
func FetchPage[T any](limit int, list func(limit int) ([]T, error), cursor func(T) *Cursor) ([]T, *Paging, error) {
	return fetchPage(limit, list, cursor)
}

// Read runs fn as the service's own reads run, for the domains beside chat.
func (s *Service) Read(ctx context.Context, fn func(Tx) error) error { return s.store.Read(ctx, fn) }

// Write runs fn as the service's own writes run, for the domains beside chat: events it
// appends are dated by the service clock and wake the relay after the commit.
func (s *Service) Write(ctx context.Context, fn func(Tx) error) error { return s.store.Write(ctx, fn) }

// StoreTx is the store's own transaction under the service's wrapping of it in Read
// and Write, for the domains beside chat whose parts of the transaction chat does not
// declare (rooms assert theirs on it). Events must still be appended through tx.
func StoreTx(tx Tx) Tx {
	if spy, ok := tx.(eventSpy); ok {
		return spy.Tx
	}
	return tx
}
