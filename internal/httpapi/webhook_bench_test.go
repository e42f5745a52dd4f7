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
	"syscall"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/store/storetest"
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
			cpu := cpuTime()
			for b.Loop() {
				s.call("POST", "/api/v5/messages", s.as(owner), body, nil)
			}
			if mode == "one-endpoint-delivering" {
				s.drained(b)
			}
			b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(b.N), "cpu-µs/op")
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
			start, cpu := time.Now(), cpuTime()
			stop := s.dispatch(b)
			defer stop()
			s.drained(b)
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "deliveries/s")
			b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(b.N), "cpu-µs/delivery")
		})
	}
}

// drained waits until no delivery is pending (a count over the pending-only index, so
// that the waiting costs little of the CPU measured).
func (s *benchServer) drained(b *testing.B) {
	for {
		n := storetest.Count(b, s.db, "webhook_deliveries", "endpoint_id <> '' AND state = 'pending'")
		if n == 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// cpuTime is the CPU time this process has used (the server, the receiver and the
// benchmark's client together): steadier than wall time on a shared machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
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
