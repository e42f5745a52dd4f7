package chat

import (
	"context"
	"encoding/json"
	"sync/atomic"
)

// Event is a change the real-time clients must hear about. It is appended to the outbox in
// the same transaction as the change, so it exists if and only if the change does.
type Event struct {
	Seq  int64     // the outbox position, set by the store
	Type EventType // one of the Event* constants; its row in event_catalogue.go says what it does
	Data any       // the payload the SDK reads under `data`
	// Routing: the realtime layer turns these into topics.
	ChannelID string   // internal id of the channel concerned: its path and its members' smartfeeds
	RoomID    string   // id of the room concerned: its path
	UserIDs   []string // internal ids of users who must also hear it on their own topics
	Network   bool     // published on the network topic too (user.deleted)
	CreatedAt Time
}

// OutboxEvent is an event as the outbox stores it, its data still encoded: what the relay
// reads and the real-time layer publishes.
type OutboxEvent struct {
	Event
	RawData json.RawMessage
}

// Lease is the right to drain the outbox: in a cluster exactly one node's relay holds it
// at a time (the store grants it).
type Lease interface {
	// Lost is closed when the lease ends: released, or taken away.
	Lost() <-chan struct{}
	// Release gives the lease up.
	Release()
}

// EventStore appends to the outbox.
type EventStore interface {
	AppendEvent(e Event) error
}

// commitNotifier wraps the store so that every committed unit of work that appended
// events calls the commit hook: the outbox relay wakes at once instead of polling.
type commitNotifier struct {
	Store
	hook *atomic.Pointer[func()]
	now  func() Time // the service clock: it dates the events that carry no time
}

func (n commitNotifier) Write(ctx context.Context, fn func(Tx) error) error {
	appended := false
	err := n.Store.Write(ctx, func(tx Tx) error { return fn(eventSpy{tx, &appended, n.now}) })
	if h := n.hook.Load(); err == nil && appended && h != nil {
		(*h)()
	}
	return err
}

// eventSpy notes that a transaction appended an event, and dates it by the service clock.
type eventSpy struct {
	Tx
	appended *bool
	now      func() Time
}

func (t eventSpy) AppendEvent(e Event) error {
	*t.appended = true
	if e.CreatedAt.IsZero() {
		e.CreatedAt = t.now()
	}
	return t.Tx.AppendEvent(e)
}

// OnCommit sets fn to be called after every commit that appended events. It must not
// block: the relay only takes it as a wake-up.
func (s *Service) OnCommit(fn func()) { s.onCommit.Store(&fn) }
