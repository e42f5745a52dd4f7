package realtime

import (
	"context"
	"time"

	"github.com/parley-chat/parley/internal/chat"
)

// Outbox is the event log the relay drains. Events stay in it until they have been
// published, so a crash or restart re-sends what was not confirmed (at least once).
type Outbox interface {
	PendingEvents(ctx context.Context, after int64, limit int) ([]chat.OutboxEvent, error)
	DeleteEventsThrough(ctx context.Context, seq int64) error
}

// Sink takes committed events, in commit order, from the relay. The relay confirms
// (deletes) a batch once Publish returned nil for it; on an error it sends the batch again.
type Sink interface {
	Publish(ctx context.Context, evs []chat.OutboxEvent) error
}

// Relay publishes committed events, in commit order, to its sink: the broker itself on a
// single node, NATS in a cluster (Cluster), from which every node's broker receives them.
// There is one relay per outbox: order holds because a single goroutine reads the log in
// seq order (the Outbox holds back an event that an earlier seq may still precede) and publishes sequentially; in a cluster the relay runs only on
// the node holding the relay lease (RunLeader).
type Relay struct {
	b     *Broker
	out   Outbox
	wake  chan struct{}
	Sink  Sink          // where events go; default the broker (this node's clients)
	Batch int           // events read per round trip; default 256
	Poll  time.Duration // fallback poll when no commit woke it; default 10 s (an idle node's only outbox read)
	// ConfirmEvery spaces the deletes of published events; default 250 ms. The relay
	// keeps its place in memory, so the delete only keeps the outbox short: done after
	// every batch it was a write (and on SQLite a commit) of its own per commit of the
	// domain, a fifth of a write request's CPU in the profiles. A crash re-sends at most
	// this long's worth of events, which at-least-once delivery allows.
	ConfirmEvery time.Duration
}

// NewRelay builds a relay; wire its Wake to chat.Service.OnCommit and start Run.
func NewRelay(b *Broker, out Outbox) *Relay {
	return &Relay{b: b, out: out, Sink: localSink{b}, wake: make(chan struct{}, 1), Batch: 256, Poll: 10 * time.Second, ConfirmEvery: 250 * time.Millisecond}
}

// localSink delivers events to this node's clients.
type localSink struct{ b *Broker }

func (s localSink) Publish(ctx context.Context, evs []chat.OutboxEvent) error {
	for _, e := range evs {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.b.deliver(ctx, e)
	}
	return nil
}

// Wake tells the relay that events were committed. It never blocks.
func (r *Relay) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run drains the outbox until ctx ends. Events are confirmed (deleted from the outbox)
// only once published, at most every ConfirmEvery and when Run stops; stopping mid-batch
// leaves the whole batch, and whatever was not confirmed yet, to be sent again by the
// next run.
func (r *Relay) Run(ctx context.Context) error {
	var after, confirmed int64
	var lastConfirm time.Time
	confirm := func(ctx context.Context) {
		if confirmed == after {
			return
		}
		if err := r.out.DeleteEventsThrough(ctx, after); err != nil {
			if ctx.Err() == nil {
				// Not fatal: the events were published; a restart sends them once more.
				r.b.log.Warn("outbox confirm failed", "through", after, "error", err)
			}
			return
		}
		confirmed, lastConfirm = after, time.Now()
	}
	// Stopping, however it comes (waiting, or mid-read or mid-publish): confirm what was
	// published, so a restart does not send it again.
	defer func() {
		stop, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		confirm(stop)
		cancel()
	}()
	retry := time.Duration(0)
	if s, ok := r.Sink.(interface{ restart() }); ok {
		s.restart() // a new run may follow another node's: forget what this one last sent
	}
	// backOff waits longer after each failure in a row; false means stop.
	backOff := func(what string, err error) bool {
		if ctx.Err() != nil {
			return false
		}
		retry = min(max(2*retry, 100*time.Millisecond), 5*time.Second)
		r.b.log.Error(what, "error", err, "retryIn", retry)
		return sleep(ctx, retry)
	}
	for {
		evs, err := r.out.PendingEvents(ctx, after, r.Batch)
		if err != nil {
			if !backOff("outbox read failed", err) {
				return nil
			}
			continue
		}
		if len(evs) > 0 {
			// On an error nothing is confirmed: the whole batch goes again (the sink drops
			// repeats).
			if err := r.Sink.Publish(ctx, evs); err != nil {
				if !backOff("event publish failed", err) {
					return nil
				}
				continue
			}
		}
		retry = 0
		if n := len(evs); n > 0 {
			after = evs[n-1].Seq
			if time.Since(lastConfirm) >= r.ConfirmEvery {
				confirm(ctx)
			}
			if n == r.Batch {
				continue // more may be waiting
			}
		}
		// Idle: confirm what is left once ConfirmEvery has passed, unless new events
		// come first (they are confirmed with the next batch).
		wait := r.Poll
		if confirmed != after {
			wait = min(wait, max(0, r.ConfirmEvery-time.Since(lastConfirm)))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-r.wake:
		case <-t.C: // the confirmation is due, or the fallback poll
			if time.Since(lastConfirm) >= r.ConfirmEvery {
				confirm(ctx)
			}
		}
		t.Stop()
	}
}

// Leases grants the relay lease (the store does): AcquireRelayLease waits until this
// process holds it, trying every retry, or until ctx ends (then it returns ctx's error).
// Declared here, by its one user, so that the real-time layer needs nothing of the store.
type Leases interface {
	AcquireRelayLease(ctx context.Context, retry time.Duration) (chat.Lease, error)
}

// RunLeader runs the relay while this node holds the relay lease, and waits for the lease
// again (trying every second) whenever it is lost, until ctx ends. In a cluster every
// node runs it and exactly one drains the outbox; when that node dies, PostgreSQL drops
// its lock and another node's next try takes over, within about a second.
func (r *Relay) RunLeader(ctx context.Context, leases Leases) {
	for {
		lease, err := leases.AcquireRelayLease(ctx, time.Second)
		if err != nil {
			return // ctx ended
		}
		r.b.log.Info("relay lease acquired: this node drains the outbox")
		run, cancel := context.WithCancel(ctx)
		go func() {
			select {
			case <-lease.Lost():
			case <-run.Done():
			}
			cancel()
		}()
		r.Run(run)
		cancel()
		lease.Release()
		if ctx.Err() != nil {
			return
		}
		r.b.log.Warn("relay lease lost: waiting to take it again")
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
