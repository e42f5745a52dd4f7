package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/prometheus/client_golang/prometheus"
)

// PreSend calls the network's pre-send hook over HTTP (chat.PreSendCaller): a POST
// signed like a webhook delivery, whose answer must come within the hook's timeout
// (the caller's context carries it).
type PreSend struct {
	Client *http.Client
	calls  *prometheus.CounterVec
}

// NewPreSend makes the caller; reg (may be nil) gets its metric.
func NewPreSend(client *http.Client, reg prometheus.Registerer) *PreSend {
	if client == nil {
		client = noRedirects()
	}
	p := &PreSend{Client: client, calls: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "parley_presend_hook_calls_total", Help: "Pre-send hook calls by outcome: allow, deny, error (no usable answer in time).",
	}, []string{"result"})}
	if reg != nil {
		reg.MustRegister(p.calls)
	}
	return p
}

// CallPreSend posts the request and reads the decision.
func (p *PreSend) CallPreSend(ctx context.Context, cfg chat.PreSendSettings, req chat.PreSendRequest) (*chat.PreSendAnswer, error) {
	ans, err := p.call(ctx, cfg, req)
	switch {
	case err != nil:
		p.calls.WithLabelValues("error").Inc()
	default:
		p.calls.WithLabelValues(ans.Action).Inc()
	}
	return ans, err
}

func (p *PreSend) call(ctx context.Context, cfg chat.PreSendSettings, req chat.PreSendRequest) (*chat.PreSendAnswer, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.CallbackURL, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	Sign(r.Header, cfg.Secret, chat.NewID(), time.Now().Unix(), body)
	resp, err := p.Client.Do(r)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("pre-send hook answered %d", resp.StatusCode)
	}
	var ans chat.PreSendAnswer
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&ans); err != nil {
		return nil, fmt.Errorf("pre-send hook answer: %w", err)
	}
	if ans.Action != "allow" && ans.Action != "deny" {
		return nil, fmt.Errorf("pre-send hook answered action %q", ans.Action)
	}
	return &ans, nil
}

// Describe and Collect make the caller's metric registrable after it was made.
func (p *PreSend) Describe(ch chan<- *prometheus.Desc) { p.calls.Describe(ch) }

// Collect is prometheus.Collector's.
func (p *PreSend) Collect(ch chan<- prometheus.Metric) { p.calls.Collect(ch) }
