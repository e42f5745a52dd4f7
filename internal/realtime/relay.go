package realtime

import (
	"context"
	"time"

	"github.com/parley-chat/parley/internal/store"
)

// Outbox is the event log the relay drains. Events stay in it until they have been
// published, so a crash or restart re-sends what was not confirmed (at least once).
type Outbox interface {
	PendingEvents(ctx context.Context, after int64, limit int) ([]store.OutboxEvent, error)
	DeleteEventsThrough(ctx context.Context, seq int64) error
}

// Relay publishes committed events through the broker, one at a time in commit order.
// There is one relay per outbox: order holds because a single goroutine reads the log
// (seq order is commit order on the single SQLite writer) and publishes sequentially.
type Relay struct {
	b     *Broker
	out   Outbox
	wake  chan struct{}
	Batch int           // events read per round trip; default 256
	Poll  time.Duration // fallback poll when no commit woke it; default 2 s
}

// NewRelay builds a relay; wire its Wake to chat.Service.OnCommit and start Run.
func NewRelay(b *Broker, out Outbox) *Relay {
	return &Relay{b: b, out: out, wake: make(chan struct{}, 1), Batch: 256, Poll: 2 * time.Second}
}

// Wake tells the relay that events were committed. It never blocks.
func (r *Relay) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run drains the outbox until ctx ends. Each batch is confirmed (deleted from the
// outbox) only once every event in it has been published; stopping mid-batch leaves the
// whole batch to be sent again by the next run.
func (r *Relay) Run(ctx context.Context) error {
	var after int64
	retry := time.Duration(0)
	for {
		evs, err := r.out.PendingEvents(ctx, after, r.Batch)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			retry = min(max(2*retry, 100*time.Millisecond), 5*time.Second)
			r.b.log.Error("outbox read failed", "error", err, "retryIn", retry)
			if !sleep(ctx, retry) {
				return nil
			}
			continue
		}
		retry = 0
		for _, e := range evs {
			if ctx.Err() != nil {
				return nil
			}
			r.b.deliver(ctx, e)
		}
		if n := len(evs); n > 0 {
			after = evs[n-1].Seq
			if err := r.out.DeleteEventsThrough(ctx, after); err != nil && ctx.Err() == nil {
				// Not fatal: the events were published; a restart sends them once more.
				r.b.log.Warn("outbox confirm failed", "through", after, "error", err)
			}
			if n == r.Batch {
				continue // more may be waiting
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-r.wake:
		case <-time.After(r.Poll):
		}
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
