package push

import (
	"context"
	"errors"
	"github.com/parley-chat/parley/internal/dispatch"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/prometheus/client_golang/prometheus"
)

// Source is where jobs and deliveries come from and where outcomes go: chat.Service.
type Source interface {
	NetworkID() string
	ExpandPushJob(ctx context.Context, now, leaseUntil chat.Time, pageSize int) (bool, error)
	ClaimPushDeliveries(ctx context.Context, now, leaseUntil chat.Time, max int) ([]chat.PushDelivery, error)
	FinishPushDelivery(ctx context.Context, r chat.PushResult) error
}

// Options tune the dispatcher; zero values take the defaults in brackets.
type Options struct {
	Clock       func() time.Time // [time.Now]
	Timeout     time.Duration    // one attempt [10s]
	RetryFor    time.Duration    // a delivery is retried until this long after it was made [1h]
	BaseBackoff time.Duration    // wait after the first failure, doubled after each [1s]
	MaxBackoff  time.Duration    // longest wait [5m]
	Poll        time.Duration    // look for work at least this often while there is some [1s]
	IdlePoll    time.Duration    // and this often when there is none (commits and retries wake it) [30s]
	MaxInFlight int              // deliveries sent at once by this node [64]
	PageSize    int              // members expanded per job transaction [500]
	Logger      *slog.Logger
	Registry    prometheus.Registerer // metrics; none when nil
}

// Dispatcher expands jobs and sends deliveries. On a cluster every node runs one; jobs
// and deliveries are leased (FOR UPDATE SKIP LOCKED on PostgreSQL), so each is worked
// on by one node at a time.
type Dispatcher struct {
	src      Source
	p        Provider
	opt      Options
	log      *slog.Logger
	m        *metrics
	loop     dispatch.Loop
	inFlight atomic.Int64
	wg       sync.WaitGroup
}

// New makes a dispatcher sending through p; Run starts it.
func New(src Source, p Provider, opt Options) *Dispatcher {
	if opt.Clock == nil {
		opt.Clock = time.Now
	}
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{{&opt.Timeout, 10 * time.Second}, {&opt.RetryFor, time.Hour}, {&opt.BaseBackoff, time.Second},
		{&opt.MaxBackoff, 5 * time.Minute}, {&opt.Poll, time.Second}, {&opt.IdlePoll, 30 * time.Second}} {
		if *d.v <= 0 {
			*d.v = d.def
		}
	}
	if opt.MaxInFlight <= 0 {
		opt.MaxInFlight = 64
	}
	if opt.PageSize <= 0 {
		opt.PageSize = 500
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	return &Dispatcher{src: src, p: p, opt: opt, log: opt.Logger, m: newMetrics(opt.Registry), loop: dispatch.NewLoop()}
}

// Wake makes the dispatcher look for work now (after a commit). It never blocks.
func (d *Dispatcher) Wake() { d.loop.Wake() }

// Run works until ctx ends, then waits for the attempts under way.
func (d *Dispatcher) Run(ctx context.Context) {
	defer d.wg.Wait()
	// What a process killed just before held is leased until at most then: look again.
	d.loop.WakeIn(d.lease() + d.opt.Poll)
	d.loop.Run(ctx, d.opt.Poll, d.opt.IdlePoll, d.round)
}

// lease is how long a node holds a claimed job or delivery: longer than an attempt, so
// that no other node takes it meanwhile; a node that dies holds it that long.
func (d *Dispatcher) lease() time.Duration { return 2*d.opt.Timeout + 5*time.Second }

// Round expands due jobs (at most 20 pages, so that a burst of jobs cannot starve the
// sending), then claims what may be sent now and sends each in its own goroutine.
func (d *Dispatcher) Round(ctx context.Context) { d.round(ctx) }

// round is Round, telling whether work may come due without a wake-up.
func (d *Dispatcher) round(ctx context.Context) bool {
	worked := false
	for i := 0; ctx.Err() == nil; i++ {
		if i == 20 {
			d.Wake() // more jobs may wait: the next round takes them
			break
		}
		now := d.opt.Clock()
		found, err := d.src.ExpandPushJob(ctx, chat.Time{Time: now}, chat.Time{Time: now.Add(d.lease())}, d.opt.PageSize)
		if err != nil {
			if ctx.Err() == nil {
				d.log.Error("push job expansion failed", "error", err)
			}
			break
		}
		if !found {
			break
		}
		worked = true
	}
	free := d.opt.MaxInFlight - int(d.inFlight.Load())
	if free <= 0 || ctx.Err() != nil {
		return true
	}
	now := d.opt.Clock()
	claimed, err := d.src.ClaimPushDeliveries(ctx, chat.Time{Time: now}, chat.Time{Time: now.Add(d.lease())}, free)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Error("push claim failed", "error", err)
		}
		return true
	}
	for _, c := range claimed {
		d.inFlight.Add(1)
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			d.deliver(c)
			d.inFlight.Add(-1)
			if len(claimed) == free {
				d.Wake() // there may be more due
			}
		}()
	}
	return worked || len(claimed) > 0 || d.inFlight.Load() > 0
}

// Wait waits for the attempts under way (tests).
func (d *Dispatcher) Wait() { d.wg.Wait() }

// deliver makes one attempt and records it, on a context of its own: shutting down lets
// an attempt finish and be recorded.
func (d *Dispatcher) deliver(c chat.PushDelivery) {
	ctx, cancel := context.WithTimeout(context.Background(), d.opt.Timeout)
	err := d.p.Send(ctx, Notification{PushDelivery: c, ID: notificationID(c), NetworkID: d.src.NetworkID()})
	cancel()
	now := d.opt.Clock()
	r := chat.PushResult{Seq: c.Seq, OK: err == nil}
	result := "delivered"
	switch {
	case err == nil:
	case errors.Is(err, ErrUnregistered):
		r.Unregistered, result = true, "unregistered"
	case IsPermanent(err) || now.Sub(c.CreatedAt.Time) >= d.opt.RetryFor:
		result = "failed"
	default:
		wait := d.backoff(c.Attempts)
		r.Retry, result = chat.Time{Time: now.Add(wait)}, "retry"
		d.loop.WakeIn(wait)
	}
	if err != nil {
		r.Error = err.Error()
	}
	fctx, fcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer fcancel()
	if ferr := d.src.FinishPushDelivery(fctx, r); ferr != nil {
		// The lease runs out and the delivery is sent again, with the same id.
		d.log.Error("push result not recorded", "delivery", c.Seq, "error", ferr)
	}
	d.m.attempts.WithLabelValues(result).Inc()
	switch result {
	case "retry":
		d.log.Warn("push attempt failed", "delivery", c.Seq, "platform", c.Platform, "attempt", c.Attempts, "error", err, "retryAt", r.Retry.String())
	case "failed":
		if errors.Is(err, errNoProvider) {
			d.log.Debug("push dropped: no provider for its platform", "delivery", c.Seq, "platform", c.Platform)
			break
		}
		d.log.Error("push delivery given up", "delivery", c.Seq, "platform", c.Platform, "attempt", c.Attempts, "error", err)
	case "unregistered":
		d.log.Info("push token unregistered; device removed", "device", c.DeviceID, "platform", c.Platform)
	}
}

// backoff is the wait before attempt n+1: BaseBackoff × 2^(n-1) up to MaxBackoff, of
// which a random half, so that deliveries that failed together spread out.
func (d *Dispatcher) backoff(attempts int) time.Duration {
	return dispatch.Backoff(d.opt.BaseBackoff, d.opt.MaxBackoff, attempts)
}

type metrics struct{ attempts *prometheus.CounterVec }

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "parley_push_attempts_total",
		Help: "Push delivery attempts by result: delivered, retry, failed (given up), unregistered (token dead, device removed).",
	}, []string{"result"})}
	if reg != nil {
		reg.MustRegister(m.attempts)
	}
	return m
}
