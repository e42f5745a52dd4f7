package httpapi_test

// Push throughput: one message into a channel of 1,000 members, each with a device,
// through the real service and store; the provider answers at once, so the figure is
// Parley's own cost per push (expansion, claim, result). Printed, never asserted:
//
//	go test -run '^$' -bench PushFanOut -benchtime 20x ./internal/httpapi/
//
// docs/performance.md keeps the figures.

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/push"
)

type countingProvider struct{ n atomic.Int64 }

func (p *countingProvider) Send(context.Context, push.Notification) error {
	p.n.Add(1)
	return nil
}

func BenchmarkPushFanOut1000(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	alice, _ := e.login("alice")
	var ids []string
	for i := range 999 {
		id := fmt.Sprintf("m%04d", i)
		tok, _ := e.login(id)
		e.do(req{method: "POST", path: "/v1/notification", token: tok, body: registerBody(id, "dev-"+id, "android", "tok-"+id)}).ok()
		ids = append(ids, id)
	}
	ch := e.createChannel(alice, map[string]any{"channelId": "big", "userIds": ids})
	caller, err := e.svc.Authenticate(ctx, alice)
	if err != nil {
		b.Fatal(err)
	}
	p := &countingProvider{}
	d := push.New(e.svc, p, push.Options{Logger: quiet})
	drain := func(want int64) {
		for p.n.Load() < want {
			d.Round(ctx)
			d.Wait()
		}
	}
	drain(999) // channel.created
	feed := internalID(ch)
	data := json.RawMessage(`{"text":"hello"}`)
	dt := "text"
	var send, deliver time.Duration
	b.ResetTimer()
	for i := range b.N {
		t0 := time.Now()
		if _, err := e.svc.CreateMessage(ctx, caller, chat.CreateMessageInput{MessageFeedID: &feed, DataType: &dt, Data: data}); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		drain(int64(999 * (i + 2)))
		send += t1.Sub(t0)
		deliver += time.Since(t1)
	}
	b.StopTimer()
	b.ReportMetric(float64(999*b.N)/deliver.Seconds(), "pushes/s")
	b.ReportMetric(float64(send.Microseconds())/float64(b.N), "µs/send")
	b.ReportMetric(float64(deliver.Milliseconds())/float64(b.N), "ms/fan-out")
}
