package realtime_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/realtime"
)

// clusterNode is a broker joined to a cluster on the PARLEY_TEST_NATS server, with a
// network of the test's own (so runs never hear each other) and a recording session cache.
type clusterNode struct {
	cluster  *realtime.Cluster
	sessions *recordedSessions
}

type recordedSessions struct {
	mu  sync.Mutex
	got []chat.SessionsRevoked
}

func (r *recordedSessions) ForgetSessions(s chat.SessionsRevoked) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, s)
}

func (r *recordedSessions) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

type fixedNetwork string

func (n fixedNetwork) NetworkID() string { return string(n) }
func (n fixedNetwork) Authenticate(context.Context, string) (*chat.Caller, error) {
	return nil, chat.Unauthorized("no logins in this test")
}

func natsURL(t *testing.T) string {
	u := os.Getenv("PARLEY_TEST_NATS")
	if u == "" {
		t.Skip("NATS: set PARLEY_TEST_NATS to a NATS URL with JetStream (e.g. nats://127.0.0.1:4222) to run this")
	}
	return u
}

func joinNode(t *testing.T, url, network string) *clusterNode {
	t.Helper()
	n := &clusterNode{sessions: &recordedSessions{}}
	b, err := realtime.New(realtime.Options{Identity: fixedNetwork(network), Sessions: n.sessions, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if n.cluster, err = realtime.JoinCluster(context.Background(), b, realtime.NewRelay(b, nil), url); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.cluster.Close)
	return n
}

func deleteTestStream(t *testing.T, url, network string) {
	nc, err := nats.Connect(url)
	if err != nil {
		return
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	js.DeleteStream(context.Background(), "PARLEY_"+network)
}

// A revocation broadcast returns only once every live node dropped the sessions: the
// request that revoked a token answers after no node accepts it any more, without
// waiting for the event stream (no relay runs here).
func TestClusterRevocationReachesEveryNodeBeforeReturning(t *testing.T) {
	url := natsURL(t)
	network := chat.NewID()
	t.Cleanup(func() { deleteTestStream(t, url, network) })
	nodes := []*clusterNode{joinNode(t, url, network), joinNode(t, url, network), joinNode(t, url, network)}
	waitFor(t, "the nodes know each other", func() bool { return nodes[0].cluster.Nodes() == 3 })
	for round := 1; round <= 20; round++ {
		nodes[0].cluster.BroadcastSessions(context.Background(), chat.SessionsRevoked{UserID: "u" + strconv.Itoa(round), SessionIDs: []string{"s"}})
		for i, n := range nodes {
			if got := n.sessions.count(); got != round {
				t.Fatalf("round %d: node %d had dropped %d revocations when the broadcast returned", round, i, got)
			}
		}
	}
}

// The relay's sink stores each event once and in order: a batch sent again (a relay that
// died before confirming it, its successor sending it again) adds nothing, and every
// node receives the events in seq order.
func TestClusterStreamDropsRepeatsAndKeepsOrder(t *testing.T) {
	url := natsURL(t)
	network := chat.NewID()
	t.Cleanup(func() { deleteTestStream(t, url, network) })
	relayNode := joinNode(t, url, network)
	evs := make([]chat.OutboxEvent, 10)
	for i := range evs {
		evs[i] = chat.OutboxEvent{Event: chat.Event{Seq: int64(i + 1), Type: "user.updated", UserIDs: []string{"u"}, CreatedAt: chat.Now()}, RawData: json.RawMessage(`{"i":` + strconv.Itoa(i) + `}`)}
	}
	ctx := context.Background()
	if err := relayNode.cluster.Publish(ctx, evs[:4]); err != nil {
		t.Fatal(err)
	}
	// A second relay, as after a takeover, sends from the first unconfirmed event on.
	successor := joinNode(t, url, network)
	if err := successor.cluster.Publish(ctx, evs[2:]); err != nil {
		t.Fatal(err)
	}
	if err := successor.cluster.Publish(ctx, evs[6:]); err != nil {
		t.Fatal(err)
	}

	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	stream, err := js.Stream(ctx, "PARLEY_"+network)
	if err != nil {
		t.Fatal(err)
	}
	if n := stream.CachedInfo().State.Msgs; n != 10 {
		t.Fatalf("the stream holds %d events, want 10", n)
	}
	cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	batch, err := cons.Fetch(10, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var seqs []int64
	for m := range batch.Messages() {
		var w struct{ Seq int64 }
		json.Unmarshal(m.Data(), &w)
		seqs = append(seqs, w.Seq)
	}
	if len(seqs) != 10 {
		t.Fatalf("the stream holds %v, want 1…10 once each", seqs)
	}
	for i, s := range seqs {
		if s != int64(i+1) {
			t.Fatalf("the stream holds %v, want 1…10 in order", seqs)
		}
	}
}

// A start-up cancelled while it listens for the other nodes leaves nothing running: no
// announcer goroutine, no consumer, no connection.
func TestJoinClusterCancelledLeavesNoGoroutine(t *testing.T) {
	url := natsURL(t)
	network := chat.NewID()
	t.Cleanup(func() { deleteTestStream(t, url, network) })
	b, err := realtime.New(realtime.Options{Identity: fixedNetwork(network), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	// One join first, so that the NATS client's and the stream's one-time goroutines exist.
	joinNode(t, url, network)
	time.Sleep(100 * time.Millisecond)
	before := runtime.NumGoroutine()
	for range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond) // inside the listening
		if _, err := realtime.JoinCluster(ctx, b, realtime.NewRelay(b, nil), url); err == nil {
			t.Fatal("joined although start-up was cancelled")
		}
		cancel()
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines after 3 cancelled joins, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}
