// Package dispatch holds what Parley's durable senders (push notifications, outgoing
// webhooks) share: the loop that runs a round of work when a commit wakes it or a poll
// comes due, and the back-off between a failed attempt and the next.
//
// # Background work
//
// Four workers run beside the requests, each on one goroutine that cmd/parley (serve.go)
// starts after the store, the service and the broker, on a context of its own, and stops
// on the way out by cancelling that context and waiting for the goroutine to return:
//
//   - The outbox relay (realtime.Relay.Run; realtime.Relay.RunLeader in a cluster, where
//     it runs only while this node holds the relay lease). It reads committed events in
//     commit order, in batches of up to 256 (store PendingEvents: on PostgreSQL one
//     SELECT a pass, with a pg_locks read before it unless this process is the only
//     writer and none of its units is mid-append, and a WAL flush only when a unit may
//     not have flushed yet), publishes them, and deletes them at
//     most every 250 ms and when it stops. Guarantee: every committed event is
//     published at least once, per channel in commit order; a crash re-sends what was
//     not confirmed. Stop: cancel; it confirms what it published and returns.
//   - The cluster consumer (realtime.Cluster, JoinCluster / Close): reads the NATS
//     stream in order and delivers to this node's clients; Close ends its announcer,
//     consumer and connection, and JoinCluster does the same when start-up fails or
//     is cancelled part way.
//   - The webhook and push dispatchers (webhook.Dispatcher.Run, push.Dispatcher.Run on
//     a Loop): claim due rows under a lease, send each in its own goroutine, record the
//     outcome. Guarantee: a row written with its event (same transaction) is attempted
//     until it succeeds or its retry time runs out, by one node at a time. Stop: cancel;
//     Run returns once the attempts under way are recorded.
//
// One commit hook wakes them (chat.Service.OnCommit, wired in serve.go): the relay
// after every commit that appended events (in a cluster the relay wherever it runs,
// over NATS); a dispatcher only when the commit wrote its work (store.DB.TakeWork), so
// that with no webhook endpoint and no push provider an event costs the senders no
// statement. Without wake-ups a worker polls: the relay every 10 s; a dispatcher every
// second while it holds or just found work and for ten polls after a wake-up, else
// every 30 s. A dispatcher also wakes itself when a retry comes due and once a lease
// period after it starts (what a killed process had leased is free again then).
package dispatch

import (
	"context"
	"math/rand/v2"
	"time"
)

// Loop runs rounds on a wake-up or a poll tick. The zero value is not usable: NewLoop.
type Loop struct{ wake chan struct{} }

// NewLoop makes a loop with no wake-up pending.
func NewLoop() Loop { return Loop{wake: make(chan struct{}, 1)} }

// Wake makes the loop run a round now (after a commit that may have added work). It
// never blocks: wake-ups that come while one is pending are one wake-up.
func (l Loop) Wake() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// WakeIn wakes the loop after d (a retry coming due), whether or not it runs then.
func (l Loop) WakeIn(d time.Duration) { time.AfterFunc(max(d, 0), l.Wake) }

// Run runs round at once, then after every wake-up or poll until ctx ends. round tells
// whether work may come due without a wake-up (it found or holds some): the next poll is
// then busy after it, else idle; polls stay busy for ten busy polls after a wake-up too
// (work written a little in the future, by a clock ahead of this one). A commit on
// another node wakes nobody here, and a lease that a dead node held runs out unseen: the
// polls bound how late such work is seen, while an idle node spends next to nothing.
func (l Loop) Run(ctx context.Context, busy, idle time.Duration, round func(context.Context) bool) {
	t := time.NewTimer(busy)
	defer t.Stop()
	var woke time.Time
	for {
		wait := idle
		if round(ctx) || time.Since(woke) < 10*busy {
			wait = busy
		}
		t.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-l.wake:
			woke = time.Now()
		case <-t.C:
		}
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
	}
}

// Backoff is the wait before the next try after attempts failed ones: base doubled for
// each attempt after the first, capped at ceiling, then jittered into its upper half so
// that senders failing together do not retry together. It never overflows, however many
// the attempts.
func Backoff(base, ceiling time.Duration, attempts int) time.Duration {
	exp := min(max(attempts-1, 0), 62)
	wait := ceiling
	if base <= ceiling>>exp { // compared before shifting: the shift cannot overflow
		wait = base << exp
	}
	return wait/2 + rand.N(wait/2+1)
}
