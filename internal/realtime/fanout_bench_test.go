package realtime_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/parley-chat/parley/internal/chat"
)

// BenchmarkFanOut1000Members measures one message.created into a channel with 1,000
// connected members, each on its own MQTT 3.1.1 TCP connection (a bare client: one
// goroutine reading packets, so the figure measures the server, not a client library)
// subscribed to its smartfeed. Latency runs from just before the commit of the event to
// its arrival at each member; throughput is deliveries per second of one event's fan-out.
//
//	go test ./internal/realtime -run '^$' -bench FanOut -benchtime 20x
func BenchmarkFanOut1000Members(b *testing.B) {
	const members = 1000
	ch := newFakeChannels()
	e := newEnv(b, envOptions{channels: ch})
	ids := make([]string, members)
	arrivals := make(chan time.Time, members)
	for i := range members {
		u := e.login(fmt.Sprintf("member-%04d", i))
		ids[i] = u.ID
		c, ack, err := dialRaw(e.tcp, 4, u.ID, u.Token, sdkClientID(u, 0))
		if err != nil || ack.ReasonCode != 0 {
			b.Fatalf("member %d: %v %#x", i, err, ack.ReasonCode)
		}
		b.Cleanup(func() { c.conn.Close() })
		if code, err := c.subscribe(e.net() + "/smartfeed/" + u.ID + "/messages"); err != nil || code != 0 {
			b.Fatalf("subscribe: %v %d", err, code)
		}
		go func() {
			for {
				pk, err := c.read()
				if err != nil {
					return
				}
				if pk.FixedHeader.Type == packets.Publish {
					arrivals <- time.Now()
				}
			}
		}()
	}
	ch.set(cid, ids...)
	var lat []time.Duration
	var spans []time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		e.appendEvent(chat.Event{Type: "message.created", ChannelID: cid, Data: map[string]any{
			"messages": []map[string]any{{"messageId": chat.NewID(), "data": map[string]string{"text": "hello everyone"}}},
		}})
		var last time.Time
		for range members {
			select {
			case at := <-arrivals:
				lat = append(lat, at.Sub(start))
				last = at
			case <-time.After(30 * time.Second):
				b.Fatal("not every member received the message")
			}
		}
		spans = append(spans, last.Sub(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	slices.Sort(spans)
	p := func(q float64) time.Duration { return lat[int(q*float64(len(lat)-1))] }
	span := spans[len(spans)/2]
	b.ReportMetric(float64(p(0.5).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p(0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(members)/span.Seconds(), "deliveries/s")
	b.Logf("%d events × %d members: delivery latency p50 %v, p99 %v; median fan-out of one event %v (%.0f deliveries/s)",
		b.N, members, p(0.5), p(0.99), span, float64(members)/span.Seconds())
}
