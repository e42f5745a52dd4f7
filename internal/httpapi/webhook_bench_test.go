package httpapi_test

// Webhook figures (docs/performance.md), printed, never asserted:
//
//	go test -run '^$' -bench Webhook -benchtime 2000x ./internal/httpapi/
//
// PARLEY_TEST_DIALECT=postgres runs them on PostgreSQL.

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/webhook"
)

// BenchmarkWebhookSendMessage is send-message (as in BenchmarkHotPaths) with no webhook
// endpoint, with one endpoint subscribed to message.didCreate (the delivery row written
// in the message's transaction, nothing sent), and with the dispatcher sending to a
// receiver in the same process meanwhile (sharing the 2 cores).
func BenchmarkWebhookSendMessage(b *testing.B) {
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer recv.Close()
	for _, mode := range []string{"no-endpoint", "one-endpoint", "one-endpoint-delivering"} {
		b.Run(mode, func(b *testing.B) {
			s := newBenchServer(b)
			owner, _, feedID := s.channel(0)
			if mode != "no-endpoint" {
				s.call("POST", "/api/v1/webhooks", s.as(s.admin), map[string]any{"url": recv.URL, "eventTypes": []string{"message.didCreate"}}, nil)
			}
			if mode == "one-endpoint-delivering" {
				stop := s.dispatch(b)
				defer stop()
			}
			body := map[string]any{"messageFeedId": feedID, "dataType": "text", "data": map[string]string{"text": "hello"}}
			b.ResetTimer()
			for b.Loop() {
				s.call("POST", "/api/v5/messages", s.as(owner), body, nil)
			}
		})
	}
}

// BenchmarkWebhookDeliveries drains b.N pending deliveries (16 channels, so 16 queues)
// to a receiver that answers 200 at once, and reports deliveries per second.
func BenchmarkWebhookDeliveries(b *testing.B) {
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer recv.Close()
	for _, limit := range []int{4, 16} {
		b.Run(fmt.Sprint("concurrency-", limit), func(b *testing.B) {
			s := newBenchServer(b)
			s.call("POST", "/api/v1/webhooks", s.as(s.admin), map[string]any{"url": recv.URL, "eventTypes": []string{"message.didCreate"}, "maxConcurrency": limit}, nil)
			var feeds []string
			var owners []string
			for range 16 {
				owner, _, feed := s.channel(0)
				feeds, owners = append(feeds, feed), append(owners, owner)
			}
			for i := 0; i < b.N; i++ {
				s.call("POST", "/api/v5/messages", s.as(owners[i%16]), map[string]any{"messageFeedId": feeds[i%16], "dataType": "text", "data": map[string]string{"text": "hello"}}, nil)
			}
			b.ResetTimer()
			start := time.Now()
			stop := s.dispatch(b)
			defer stop()
			for {
				n, err := s.db.Count(context.Background(), "webhook_deliveries", "state = 'delivered'")
				if err != nil {
					b.Fatal(err)
				}
				if n == b.N {
					break
				}
				time.Sleep(2 * time.Millisecond)
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "deliveries/s")
		})
	}
}

// dispatch runs a dispatcher on the bench server's service; the answer stops it.
func (s *benchServer) dispatch(b *testing.B) func() {
	d := webhook.New(s.svc, webhook.Options{})
	s.svc.OnCommit(d.Wake)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	return func() { cancel(); <-done }
}
