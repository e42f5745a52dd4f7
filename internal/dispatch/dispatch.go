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

// Run runs round at once, then after every wake-up or poll until ctx ends. A commit on
// another node wakes nobody here, so poll bounds how late its work is seen.
func (l Loop) Run(ctx context.Context, poll time.Duration, round func(context.Context)) {
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		round(ctx)
		select {
		case <-ctx.Done():
			return
		case <-l.wake:
		case <-t.C:
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
