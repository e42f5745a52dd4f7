// Package webhook sends Parley's events to operators' HTTP endpoints (docs/webhooks.md):
// the delivery rows the store wrote beside each committed event are claimed, posted
// with Amity's payload and signatures, and retried with back-off until answered 2xx.
// It also calls the operator's pre-send hook (presend.go).
package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/parley-chat/parley/internal/dispatch"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/prometheus/client_golang/prometheus"
)

// Source is where deliveries come from and where their outcome goes: chat.Service.
type Source interface {
	ClaimWebhookDeliveries(ctx context.Context, now, leaseUntil chat.Time, max int) ([]chat.ClaimedDelivery, error)
	FinishWebhookDelivery(ctx context.Context, r chat.WebhookResult, now chat.Time) (bool, error)
}

// Options tune the dispatcher; zero values take the defaults in brackets.
type Options struct {
	Client       *http.Client     // [a client of its own; no redirects followed]
	Clock        func() time.Time // [time.Now]
	Timeout      time.Duration    // one attempt, connection to last byte [5s]
	RetryFor     time.Duration    // a delivery is retried until this long after its first attempt [25h]
	DisableAfter time.Duration    // an endpoint failing without a success this long is disabled [24h]
	BaseBackoff  time.Duration    // wait after the first failure, doubled after each [1s]
	MaxBackoff   time.Duration    // longest wait between attempts [1h]
	Poll         time.Duration    // look for due deliveries at least this often while there is work [1s]
	IdlePoll     time.Duration    // and this often when there is none (commits and retries wake it) [30s]
	MaxInFlight  int              // deliveries sent at once by this node, all endpoints [64]
	Logger       *slog.Logger
	Registry     prometheus.Registerer // metrics; none when nil
}

// Dispatcher sends due deliveries. On a cluster every node runs one; a delivery is
// leased by one node at a time (the store's claim), so it is attempted by one at a time.
type Dispatcher struct {
	src      Source
	opt      Options
	log      *slog.Logger
	m        *metrics
	loop     dispatch.Loop
	inFlight atomic.Int64
	wg       sync.WaitGroup
}

// New makes a dispatcher; Run starts it.
func New(src Source, opt Options) *Dispatcher {
	if opt.Client == nil {
		opt.Client = noRedirects()
	}
	if opt.Clock == nil {
		opt.Clock = time.Now
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&opt.Timeout, 5*time.Second)
	def(&opt.RetryFor, 25*time.Hour)
	def(&opt.DisableAfter, 24*time.Hour)
	def(&opt.BaseBackoff, time.Second)
	def(&opt.MaxBackoff, time.Hour)
	def(&opt.Poll, time.Second)
	def(&opt.IdlePoll, 30*time.Second)
	if opt.MaxInFlight <= 0 {
		opt.MaxInFlight = 64
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	return &Dispatcher{src: src, opt: opt, log: opt.Logger, m: newMetrics(opt.Registry), loop: dispatch.NewLoop()}
}

// noRedirects is the default client: a redirect is an answer (a failure), never
// followed, so a delivery's signed body goes only to the URL the operator registered.
func noRedirects() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Wake makes the dispatcher look for work now (after a commit). It never blocks.
func (d *Dispatcher) Wake() { d.loop.Wake() }

// Run claims and sends deliveries until ctx ends, then waits for the attempts under way
// (each bounded by Timeout).
func (d *Dispatcher) Run(ctx context.Context) {
	defer d.wg.Wait()
	// What a process killed just before held is leased until at most then: look again.
	d.loop.WakeIn(d.leaseFor() + d.opt.Poll)
	d.loop.Run(ctx, d.opt.Poll, d.opt.IdlePoll, d.round)
}

// leaseFor is how long a claimed delivery is this node's: longer than an attempt can
// take, so that no other node sends it meanwhile; a node that dies holds it that long.
func (d *Dispatcher) leaseFor() time.Duration { return 2*d.opt.Timeout + 5*time.Second }

// round claims what this node may send now and sends each in its own goroutine; it
// tells whether work may come due without a wake-up.
func (d *Dispatcher) round(ctx context.Context) bool {
	free := d.opt.MaxInFlight - int(d.inFlight.Load())
	if free <= 0 || ctx.Err() != nil {
		return true
	}
	now := d.opt.Clock()
	claimed, err := d.src.ClaimWebhookDeliveries(ctx, chat.Time{Time: now}, chat.Time{Time: now.Add(d.leaseFor())}, free)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Error("webhook claim failed", "error", err)
		}
		return true
	}
	for _, c := range claimed {
		d.inFlight.Add(1)
		d.m.inFlight.Inc()
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			d.deliver(c)
			d.inFlight.Add(-1)
			d.m.inFlight.Dec()
			d.Wake() // the next delivery of its queue may be due now
		}()
	}
	return len(claimed) > 0 || d.inFlight.Load() > 0
}

// deliver makes one attempt and records it. It runs on a context of its own: shutting
// down lets an attempt finish (or time out) and be recorded.
func (d *Dispatcher) deliver(c chat.ClaimedDelivery) {
	start := d.opt.Clock()
	status, err := d.post(c, start)
	took := d.opt.Clock().Sub(start)
	r := chat.WebhookResult{Seq: c.Seq, EndpointID: c.EndpointID, OK: err == nil, Status: status, DisableAfter: d.opt.DisableAfter}
	now := d.opt.Clock()
	result := "delivered"
	if err != nil {
		r.Error = err.Error()
		if now.Sub(c.FirstTryAt.Time) < d.opt.RetryFor {
			wait := d.backoff(c.Attempts)
			r.Retry = chat.Time{Time: now.Add(wait)}
			result = "retry"
			d.loop.WakeIn(wait)
		} else {
			result = "failed"
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	disabled, ferr := d.src.FinishWebhookDelivery(ctx, r, chat.Time{Time: now})
	if ferr != nil {
		// The lease runs out and the delivery is attempted again: at least once.
		d.log.Error("webhook result not recorded", "delivery", c.ID, "error", ferr)
	}
	d.m.deliveries.WithLabelValues(result).Inc()
	d.m.duration.Observe(took.Seconds())
	log := d.log.With("delivery", c.ID, "webhook", c.EndpointID, "event", c.Event, "attempt", c.Attempts, "status", status, "took", took)
	switch result {
	case "delivered":
		d.m.delay.Observe(now.Sub(c.EventAt.Time).Seconds())
		log.Debug("webhook delivered")
	case "retry":
		log.Warn("webhook attempt failed", "error", err, "retryAt", r.Retry.String())
	default:
		log.Error("webhook delivery failed for good", "error", err)
	}
	if disabled {
		d.m.disabled.Inc()
		d.log.Error("webhook endpoint disabled after failing too long", "webhook", c.EndpointID, "url", c.URL)
	}
}

// post sends a delivery once; a nil error means the receiver answered 2xx.
func (d *Dispatcher) post(c chat.ClaimedDelivery, now time.Time) (int, error) {
	body, err := Body(c.Event, c.Data)
	if err != nil {
		return 0, fmt.Errorf("payload: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), d.opt.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	Sign(req.Header, c.Secret, c.ID, now.Unix(), body)
	resp, err := d.opt.Client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return 0, fmt.Errorf("no answer within %s", d.opt.Timeout)
		}
		return 0, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("answered %d", resp.StatusCode)
	}
	return resp.StatusCode, nil
}

// backoff is the wait before attempt n+1: BaseBackoff doubled per attempt, capped at
// MaxBackoff, with jitter (a random half of it) so that deliveries that failed together
// do not come back together.
func (d *Dispatcher) backoff(attempts int) time.Duration {
	return dispatch.Backoff(d.opt.BaseBackoff, d.opt.MaxBackoff, attempts)
}

// metrics are the dispatcher's figures at /metrics.
type metrics struct {
	deliveries *prometheus.CounterVec
	duration   prometheus.Histogram
	delay      prometheus.Histogram
	inFlight   prometheus.Gauge
	disabled   prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_webhook_attempts_total", Help: "Webhook delivery attempts by result: delivered, retry (failed, tried again later), failed (given up).",
		}, []string{"result"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "parley_webhook_attempt_duration_seconds", Help: "How long a webhook attempt took, until the receiver's answer or the timeout.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
		delay: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "parley_webhook_delivery_delay_seconds", Help: "From an event's commit to its delivery's 2xx answer.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10, 60, 600, 3600, 86400},
		}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "parley_webhook_in_flight", Help: "Webhook attempts under way on this node.",
		}),
		disabled: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "parley_webhook_endpoints_disabled_total", Help: "Webhook endpoints disabled after failing too long.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.deliveries, m.duration, m.delay, m.inFlight, m.disabled)
	}
	return m
}
