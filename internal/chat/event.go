package chat

// Event is a change the real-time clients must hear about. It is appended to the outbox in
// the same transaction as the change, so it exists if and only if the change does.
type Event struct {
	Seq  int64  // the outbox position, set by the store
	Type string // Amity eventType, e.g. "channel.created"
	Data any    // the payload the SDK reads under `data`
	// Routing: the realtime layer turns these into topics.
	ChannelID string   // internal id of the channel concerned: its path and its members' smartfeeds
	RoomID    string   // id of the room concerned: its path
	UserIDs   []string // internal ids of users who must also hear it on their own topics
	Network   bool     // published on the network topic too (user.deleted)
	CreatedAt Time
}

// EventStore appends to the outbox.
type EventStore interface {
	AppendEvent(e Event) error
}
