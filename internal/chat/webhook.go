package chat

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
)

// Outgoing webhooks (docs/webhooks.md). An operator registers endpoints; every committed
// event of a type an endpoint takes becomes a delivery row in the same transaction as
// the event (the store inserts them in AppendEvent, see WebhookEventsOf: the names are
// the rows' of the event catalogue), and
// internal/webhook sends the rows, retrying until they are answered 2xx.

// EventWebhookDisabled is appended when an endpoint is disabled after failing for too
// long: the webhook admin topic. It reaches no MQTT client; endpoints that take it are
// told (an operator's second endpoint, or the same one once it is enabled again).
const EventWebhookDisabled EventType = "webhook.didDisable"

// WebhookEventsOf names the Amity webhook events a Parley event is sent as (none for
// most: read markers, rooms and internal events have no Amity webhook).
func WebhookEventsOf(t EventType) []string { return catalogue[t].webhookNames }

// WebhookEventNames lists every event name an endpoint may take, sorted.
func WebhookEventNames() []string {
	var out []string
	for _, s := range catalogue {
		out = append(out, s.webhookNames...)
	}
	sort.Strings(out)
	return out
}

// WebhookEndpoint is an operator's receiver of webhooks.
type WebhookEndpoint struct {
	ID             string   `json:"webhookId"`
	URL            string   `json:"url"`
	Secret         string   `json:"secret"`
	EventTypes     []string `json:"eventTypes"` // empty: every event
	Enabled        bool     `json:"enabled"`
	MaxConcurrency int      `json:"maxConcurrency"`
	FailingSince   Time     `json:"failingSince"` // first failure since the last success
	DisabledReason string   `json:"disabledReason"`
	CreatedAt      Time     `json:"createdAt"`
	UpdatedAt      Time     `json:"updatedAt"`
}

// WebhookDelivery is one event for one endpoint, and how its sending went.
type WebhookDelivery struct {
	Seq        int64  `json:"-"`
	ID         string `json:"deliveryId"`
	EndpointID string `json:"webhookId"`
	Event      string `json:"event"`
	SourceType string `json:"-"`
	OrderKey   string `json:"-"`
	Data       []byte `json:"-"`
	EventAt    Time   `json:"eventAt"`
	State      string `json:"status"` // pending | delivered | failed
	Attempts   int    `json:"attempts"`
	NextAt     Time   `json:"nextAttemptAt"`
	LastStatus int    `json:"lastStatusCode"`
	LastError  string `json:"lastError"`
	FirstTryAt Time   `json:"firstAttemptAt"`
	DoneAt     Time   `json:"doneAt"`
}

// Delivery states.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// WebhookDeliveries is the page of a delivery log.
type WebhookDeliveries struct {
	Deliveries []WebhookDelivery `json:"deliveries"`
	Paging     *Paging           `json:"paging"`
}

// WebhookEndpoints is the answer of the endpoint list.
type WebhookEndpoints struct {
	Webhooks []WebhookEndpoint `json:"webhooks"`
	Paging   *Paging           `json:"paging"`
}

// ClaimedDelivery is a delivery a dispatcher holds the lease of, with what it needs to
// send it.
type ClaimedDelivery struct {
	WebhookDelivery
	URL    string
	Secret string
}

// WebhookResult is how one attempt went.
type WebhookResult struct {
	Seq        int64
	EndpointID string
	OK         bool
	Status     int    // the receiver's HTTP status; 0 when none came
	Error      string // why it failed
	Retry      Time   // when to try again; zero: give up (the delivery fails)
	// DisableAfter disables the endpoint when it has failed without a success for this
	// long; 0 never.
	DisableAfter time.Duration
}

// WebhookStore is the persistence of endpoints and deliveries.
type WebhookStore interface {
	InsertWebhookEndpoint(e *WebhookEndpoint) error
	WebhookEndpointByID(id string) (*WebhookEndpoint, error)
	UpdateWebhookEndpoint(e *WebhookEndpoint) error
	DeleteWebhookEndpoint(id string) error
	WebhookEndpoints(after *Cursor, limit int) ([]WebhookEndpoint, error)
	WebhookDeliveries(endpointID string, after *Cursor, limit int) ([]WebhookDelivery, error)
	// ReplayWebhookDeliveries makes the endpoint's deliveries named by ids, or else those
	// of events in [from, to), pending again, due now; it returns how many.
	ReplayWebhookDeliveries(endpointID string, ids []string, from, to, now Time) (int, error)
	// ClaimWebhookDeliveries leases, until leaseUntil, deliveries due at now: per enabled
	// endpoint at most its free concurrency, and of each ordering key only the oldest.
	ClaimWebhookDeliveries(now, leaseUntil Time, max int) ([]ClaimedDelivery, error)
	// FinishWebhookDelivery records an attempt and ends the lease.
	FinishWebhookDelivery(r WebhookResult, now Time) error
}

// WebhookInput registers or changes an endpoint; nil fields keep their value.
type WebhookInput struct {
	URL            *string  `json:"url"`
	Secret         *string  `json:"secret"`
	EventTypes     []string `json:"eventTypes"`
	Enabled        *bool    `json:"enabled"`
	MaxConcurrency *int     `json:"maxConcurrency"`
}

// WebhookReplay names the deliveries to send again: by id, or by the time of their
// events.
type WebhookReplay struct {
	DeliveryIDs []string `json:"deliveryIds"`
	From        *Time    `json:"from"`
	To          *Time    `json:"to"`
}

// Limits of webhook endpoints.
const (
	MaxWebhookConcurrency = 64
	maxWebhookURL         = 2000
)

func checkWebhook(p *Problems, in WebhookInput, create bool) {
	if create {
		p.Required("url", in.URL, 1, maxWebhookURL)
	}
	if in.URL != nil {
		u, err := url.Parse(*in.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(*in.URL) > maxWebhookURL {
			p.Add("url", "must be an http or https URL of at most %d characters", maxWebhookURL)
		}
	}
	p.Text("secret", in.Secret, 16, 200)
	p.List("eventTypes", in.EventTypes, 0, 64, 1, 100)
	known := WebhookEventNames()
	for _, t := range in.EventTypes {
		if !slices.Contains(known, t) {
			p.Add("eventTypes", "has an unknown event %q (one of %s)", t, strings.Join(known, ", "))
			break
		}
	}
	p.Range("maxConcurrency", in.MaxConcurrency, 1, MaxWebhookConcurrency)
}

// NewWebhookSecret makes a secret in the Standard Webhooks form: whsec_ and the base64 of
// 24 random bytes.
func NewWebhookSecret() string {
	b := make([]byte, 24)
	rand.Read(b)
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

func (s *Service) adminOnly(c *Caller) error {
	if !c.IsAdmin() {
		return PermissionDenied()
	}
	return nil
}

// CreateWebhook registers an endpoint (global admins only). Without a secret one is made.
func (s *Service) CreateWebhook(ctx context.Context, c *Caller, in WebhookInput) (*WebhookEndpoint, error) {
	var p Problems
	checkWebhook(&p, in, true)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if err := s.adminOnly(c); err != nil {
		return nil, err
	}
	now := s.now()
	e := &WebhookEndpoint{ID: NewID(), URL: *in.URL, EventTypes: nonNilStrings(Unique(in.EventTypes)), Enabled: true,
		MaxConcurrency: 4, CreatedAt: now, UpdatedAt: now}
	e.Secret = NewWebhookSecret()
	if in.Secret != nil {
		e.Secret = *in.Secret
	}
	if in.Enabled != nil {
		e.Enabled = *in.Enabled
	}
	if in.MaxConcurrency != nil {
		e.MaxConcurrency = *in.MaxConcurrency
	}
	return e, s.store.Write(ctx, func(tx Tx) error { return tx.InsertWebhookEndpoint(e) })
}

// Webhook answers one endpoint.
func (s *Service) Webhook(ctx context.Context, c *Caller, id string) (*WebhookEndpoint, error) {
	if err := s.adminOnly(c); err != nil {
		return nil, err
	}
	var out *WebhookEndpoint
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		out, err = webhookByID(tx, id)
		return err
	})
	return out, err
}

func webhookByID(tx Tx, id string) (*WebhookEndpoint, error) {
	e, err := tx.WebhookEndpointByID(id)
	if err == nil && e == nil {
		err = NotFound("Webhook")
	}
	return e, err
}

// Webhooks lists the endpoints, oldest first.
func (s *Service) Webhooks(ctx context.Context, c *Caller, limit int, after *Cursor) (*WebhookEndpoints, error) {
	if err := s.adminOnly(c); err != nil {
		return nil, err
	}
	out := &WebhookEndpoints{}
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		out.Webhooks, out.Paging, err = fetchPage(limit, func(n int) ([]WebhookEndpoint, error) {
			return tx.WebhookEndpoints(after, n)
		}, func(e WebhookEndpoint) *Cursor { return &Cursor{N: e.CreatedAt.Millis(), ID: e.ID} })
		return err
	})
	if out.Webhooks == nil {
		out.Webhooks = []WebhookEndpoint{}
	}
	return out, err
}

// UpdateWebhook changes an endpoint. Enabling it again clears its failure record, and
// its pending deliveries are sent.
func (s *Service) UpdateWebhook(ctx context.Context, c *Caller, id string, in WebhookInput) (*WebhookEndpoint, error) {
	var p Problems
	checkWebhook(&p, in, false)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if err := s.adminOnly(c); err != nil {
		return nil, err
	}
	var out *WebhookEndpoint
	err := s.store.Write(ctx, func(tx Tx) error {
		e, err := webhookByID(tx, id)
		if err != nil {
			return err
		}
		if in.URL != nil {
			e.URL = *in.URL
		}
		if in.Secret != nil {
			e.Secret = *in.Secret
		}
		if in.EventTypes != nil {
			e.EventTypes = Unique(in.EventTypes)
		}
		if in.MaxConcurrency != nil {
			e.MaxConcurrency = *in.MaxConcurrency
		}
		if in.Enabled != nil {
			if *in.Enabled && !e.Enabled {
				e.FailingSince, e.DisabledReason = Time{}, ""
			}
			e.Enabled = *in.Enabled
		}
		e.UpdatedAt = s.now()
		out = e
		return tx.UpdateWebhookEndpoint(e)
	})
	return out, err
}

// RotateWebhookSecret gives an endpoint a new generated secret; deliveries sent from now
// on are signed with it.
func (s *Service) RotateWebhookSecret(ctx context.Context, c *Caller, id string) (*WebhookEndpoint, error) {
	secret := NewWebhookSecret()
	return s.UpdateWebhook(ctx, c, id, WebhookInput{Secret: &secret})
}

// DeleteWebhook removes an endpoint and its deliveries.
func (s *Service) DeleteWebhook(ctx context.Context, c *Caller, id string) error {
	if err := s.adminOnly(c); err != nil {
		return err
	}
	return s.store.Write(ctx, func(tx Tx) error {
		if _, err := webhookByID(tx, id); err != nil {
			return err
		}
		return tx.DeleteWebhookEndpoint(id)
	})
}

// WebhookDeliveryLog pages an endpoint's deliveries, newest first.
func (s *Service) WebhookDeliveryLog(ctx context.Context, c *Caller, id string, limit int, after *Cursor) (*WebhookDeliveries, error) {
	if err := s.adminOnly(c); err != nil {
		return nil, err
	}
	out := &WebhookDeliveries{}
	err := s.store.Read(ctx, func(tx Tx) error {
		if _, err := webhookByID(tx, id); err != nil {
			return err
		}
		var err error
		out.Deliveries, out.Paging, err = fetchPage(limit, func(n int) ([]WebhookDelivery, error) {
			return tx.WebhookDeliveries(id, after, n)
		}, func(d WebhookDelivery) *Cursor { return &Cursor{N: d.Seq, ID: d.ID} })
		return err
	})
	if out.Deliveries == nil {
		out.Deliveries = []WebhookDelivery{}
	}
	return out, err
}

// ReplayWebhook sends an endpoint's deliveries again: those named, or those of events in
// [from, to). Delivered and failed ones become pending, due now; pending ones are due now.
func (s *Service) ReplayWebhook(ctx context.Context, c *Caller, id string, in WebhookReplay) (int, error) {
	var p Problems
	p.List("deliveryIds", in.DeliveryIDs, 0, MaxPageSize, 1, 50)
	byTime := in.From != nil || in.To != nil
	switch {
	case len(in.DeliveryIDs) > 0 && byTime:
		p.Add("deliveryIds", "cannot be given with from and to")
	case len(in.DeliveryIDs) == 0 && (in.From == nil || in.To == nil):
		p.Add("from", "and to are required without deliveryIds")
	case byTime && !in.From.Before(in.To.Time):
		p.Add("from", "must be before to")
	}
	if err := p.Err(); err != nil {
		return 0, err
	}
	if err := s.adminOnly(c); err != nil {
		return 0, err
	}
	var from, to Time
	if byTime {
		from, to = *in.From, *in.To
	}
	var n int
	err := s.store.Write(ctx, func(tx Tx) error {
		if _, err := webhookByID(tx, id); err != nil {
			return err
		}
		var err error
		n, err = tx.ReplayWebhookDeliveries(id, in.DeliveryIDs, from, to, s.now())
		return err
	})
	return n, err
}

// ClaimWebhookDeliveries leases the deliveries a dispatcher may send now (see
// WebhookStore.ClaimWebhookDeliveries).
func (s *Service) ClaimWebhookDeliveries(ctx context.Context, now, leaseUntil Time, max int) ([]ClaimedDelivery, error) {
	var out []ClaimedDelivery
	err := s.store.Write(ctx, func(tx Tx) error {
		var err error
		out, err = tx.ClaimWebhookDeliveries(now, leaseUntil, max)
		return err
	})
	return out, err
}

// WebhookDisabled is the data of EventWebhookDisabled.
type WebhookDisabled struct {
	WebhookID string `json:"webhookId"`
	URL       string `json:"url"`
	Reason    string `json:"reason"`
}

// FinishWebhookDelivery records an attempt. An endpoint that has failed without a
// success for r.DisableAfter is disabled, with EventWebhookDisabled in the same
// transaction; it answers whether that happened.
func (s *Service) FinishWebhookDelivery(ctx context.Context, r WebhookResult, now Time) (disabled bool, err error) {
	err = s.store.Write(ctx, func(tx Tx) error {
		disabled = false
		if err := tx.FinishWebhookDelivery(r, now); err != nil {
			return err
		}
		if r.OK || r.DisableAfter <= 0 {
			return nil
		}
		e, err := tx.WebhookEndpointByID(r.EndpointID)
		if err != nil || e == nil || !e.Enabled || e.FailingSince.IsZero() || now.Sub(e.FailingSince.Time) < r.DisableAfter {
			return err
		}
		e.Enabled, e.UpdatedAt = false, now
		e.DisabledReason = "failing since " + e.FailingSince.String() + ": " + r.Error
		if err := tx.UpdateWebhookEndpoint(e); err != nil {
			return err
		}
		disabled = true
		return tx.AppendEvent(Event{Type: EventWebhookDisabled, Data: WebhookDisabled{WebhookID: e.ID, URL: e.URL, Reason: e.DisabledReason}})
	})
	return disabled, err
}
