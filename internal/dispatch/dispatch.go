// Package dispatch holds what Parley's durable senders (push notifications, outgoing
// webhooks) share: the loop that runs a round of work when a commit wakes it or a poll
// comes due, and the back-off between a failed attempt and the next.
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
