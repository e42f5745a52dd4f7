package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/parley-chat/parley/internal/chat"
)

// Cluster joins this node to the others through NATS (PARLEY_NATS_URL).
//
//   - Events: the relay of the node holding the relay lease publishes every committed
//     event to a JetStream stream (Cluster is its Sink), and every node, this one
//     included, reads the stream in order and delivers the events to its own MQTT clients
//     and caches (Broker.deliver). Each message's id is its outbox seq: JetStream drops a
//     re-sent one (a relay that died between publish and confirm, its successor sending
//     the batch again), and each publish expects the previous one as the stream's last,
//     so a batch can never be stored out of order.
//   - Session revocations and role changes (chat.Service.OnSessionsRevoked): published
//     on a core NATS subject while the revoking request waits until every live node
//     answered that it dropped the sessions, so that no node accepts the token once the
//     request has returned. The outbox event follows through the stream as well.
//   - Wake-ups: a commit on any node wakes the relay wherever it runs (Wake), so an event
//     is relayed at once rather than at the relay's next poll.
//   - Liveness: each node announces itself every second; the nodes heard of within
//     three seconds are the ones a revocation waits for. A joining node listens for a
//     second and a quarter before it serves, so it knows every live node from the start.
//
// Subjects and the stream are named after the network id, so that installations (and
// test runs) sharing one NATS server never hear each other.
type Cluster struct {
	b      *Broker
	nc     *nats.Conn
	js     jetstream.JetStream
	log    *slog.Logger
	node   string
	stream string
	events string // subject of the event stream
	revoke string // subject of session revocations
	nodes  string // subject of liveness announcements
	wakes  string // subject of relay wake-ups
	relay  *Relay // this node's relay, woken by other nodes' commits

	lastID string // id of the last event this relay published; the relay's goroutine only

	mu    sync.Mutex
	peers map[string]time.Time // node id → last heard

	consume jetstream.ConsumeContext
	stop    chan struct{}
	done    sync.WaitGroup
}

// Cluster timings.
const (
	announceEvery  = time.Second
	peerTimeout    = 3 * time.Second
	revokeTimeout  = 2 * time.Second
	publishTimeout = 10 * time.Second
	// The stream keeps events long enough for a node that lost NATS for a while to catch
	// up in order; the relay's de-duplication window is far longer than a takeover.
	streamMaxAge   = 15 * time.Minute
	streamMaxBytes = 1 << 30
	dedupWindow    = 2 * time.Minute
)

// JoinCluster connects to NATS, makes sure the event stream exists, and starts
// delivering the cluster's events to this node's broker. Call it before serving, so
// that nothing committed after this node answers a request is missed.
func JoinCluster(ctx context.Context, b *Broker, relay *Relay, url string) (*Cluster, error) {
	c := &Cluster{
		b: b, relay: relay, log: b.log.With("component", "cluster"), node: chat.NewID(),
		stream: "PARLEY_" + b.net,
		events: "parley." + b.net + ".events",
		revoke: "parley." + b.net + ".sessions",
		nodes:  "parley." + b.net + ".nodes",
		wakes:  "parley." + b.net + ".wake",
		peers:  map[string]time.Time{}, stop: make(chan struct{}),
	}
	nc, err := nats.Connect(url, nats.Name("parley "+c.node), nats.MaxReconnects(-1), nats.ReconnectWait(time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil { // nil: closed by Close
				c.log.Warn("nats disconnected", "error", err)
			}
		}),
		nats.ReconnectHandler(func(*nats.Conn) { c.log.Info("nats reconnected") }))
	if err != nil {
		return nil, fmt.Errorf("nats %s: %w", url, err)
	}
	c.nc = nc
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := c.start(ctx); err != nil {
		nc.Close()
		return nil, err
	}
	c.log.Info("joined cluster", "nats", url, "node", c.node, "stream", c.stream)
	return c, nil
}

func (c *Cluster) start(ctx context.Context) error {
	var err error
	if c.js, err = jetstream.New(c.nc); err != nil {
		return err
	}
	stream, err := c.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: c.stream, Subjects: []string{c.events}, Storage: jetstream.FileStorage,
		MaxAge: streamMaxAge, MaxBytes: streamMaxBytes, Discard: jetstream.DiscardOld, Duplicates: dedupWindow,
	})
	if err != nil {
		return fmt.Errorf("nats stream %s (is JetStream enabled?): %w", c.stream, err)
	}
	// Only what is published from now on: this node's clients and caches start now. An
	// ordered consumer re-creates itself after a gap or a reconnect from the last event
	// it saw, so a node that lost NATS for a while catches up in order.
	cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverNewPolicy})
	if err != nil {
		return fmt.Errorf("nats consumer: %w", err)
	}
	if c.consume, err = cons.Consume(c.onEvent); err != nil {
		return fmt.Errorf("nats consume: %w", err)
	}
	if _, err := c.nc.Subscribe(c.revoke, c.onRevoke); err != nil {
		return err
	}
	if _, err := c.nc.Subscribe(c.nodes, c.onAnnounce); err != nil {
		return err
	}
	if _, err := c.nc.Subscribe(c.wakes, func(*nats.Msg) { c.relay.Wake() }); err != nil {
		return err
	}
	if err := c.nc.Publish(c.nodes, []byte(c.node)); err != nil {
		return err
	}
	if err := c.nc.FlushWithContext(ctx); err != nil {
		return err
	}
	c.done.Add(1)
	go c.announce()
	// Learn every live node before serving: each announces itself once a second. Until
	// then a revocation made here would not wait for the nodes it has not heard of yet;
	// meanwhile the others, who heard this node's announcement above, wait for it.
	select {
	case <-time.After(announceEvery + announceEvery/4):
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// Close leaves the cluster.
func (c *Cluster) Close() {
	close(c.stop)
	c.done.Wait()
	c.consume.Stop()
	c.nc.Close()
}

// Wake tells the relay, on whichever node it runs, that events were committed. Wire it
// to chat.Service.OnCommit; it never blocks.
func (c *Cluster) Wake() {
	c.relay.Wake()
	if err := c.nc.Publish(c.wakes, nil); err != nil {
		c.log.Debug("relay wake-up not sent; the relay polls", "error", err)
	}
}

// wireEvent is an event as it travels between nodes.
type wireEvent struct {
	Seq       int64           `json:"seq"`
	Type      chat.EventType  `json:"type"`
	ChannelID string          `json:"channelId,omitempty"`
	RoomID    string          `json:"roomId,omitempty"`
	UserIDs   []string        `json:"userIds,omitempty"`
	Network   bool            `json:"network,omitempty"`
	CreatedAt int64           `json:"createdAt"`
	Data      json.RawMessage `json:"data"`
}

// Publish sends a batch of committed events to the stream and returns once JetStream has
// stored every one of them (the relay then confirms the batch). The publishes are
// pipelined; each expects the one before it as the stream's last message, so if one
// fails, all that follow fail too and the relay sends the batch again, in order.
func (c *Cluster) Publish(ctx context.Context, evs []chat.OutboxEvent) error {
	acks := make([]jetstream.PubAckFuture, 0, len(evs))
	for _, e := range evs {
		body, err := json.Marshal(wireEvent{
			Seq: e.Seq, Type: e.Type, ChannelID: e.ChannelID, RoomID: e.RoomID, UserIDs: e.UserIDs,
			Network: e.Network, CreatedAt: e.CreatedAt.Millis(), Data: e.RawData,
		})
		if err != nil {
			return fmt.Errorf("encode event %d: %w", e.Seq, err)
		}
		id := strconv.FormatInt(e.Seq, 10)
		opts := []jetstream.PublishOpt{jetstream.WithMsgID(id)}
		if c.lastID != "" {
			opts = append(opts, jetstream.WithExpectLastMsgID(c.lastID))
		}
		f, err := c.js.PublishMsgAsync(&nats.Msg{Subject: c.events, Data: body}, opts...)
		if err != nil {
			c.lastID = ""
			return err
		}
		acks = append(acks, f)
		c.lastID = id
	}
	timeout := time.NewTimer(publishTimeout)
	defer timeout.Stop()
	for _, f := range acks {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			c.lastID = "" // unknown now: the next try starts without an expectation
			return err
		case <-timeout.C:
			c.lastID = ""
			return errors.New("nats: timed out waiting for JetStream to store events")
		case <-ctx.Done():
			c.lastID = ""
			return ctx.Err()
		}
	}
	return nil
}

// restart is called when the relay starts a run: another node may have published since.
func (c *Cluster) restart() { c.lastID = "" }

// onEvent delivers one event of the stream to this node's clients and caches.
func (c *Cluster) onEvent(m jetstream.Msg) {
	var w wireEvent
	if err := json.Unmarshal(m.Data(), &w); err != nil {
		c.log.Error("decode cluster event", "error", err)
		return
	}
	c.b.deliver(context.Background(), chat.OutboxEvent{
		Event: chat.Event{
			Seq: w.Seq, Type: w.Type, ChannelID: w.ChannelID, RoomID: w.RoomID, UserIDs: w.UserIDs,
			Network: w.Network, CreatedAt: chat.FromMillis(w.CreatedAt),
		},
		RawData: w.Data,
	})
}

// BroadcastSessions tells every node to drop a user's cached sessions and to close the
// connections of the revoked ones, and waits (at most two seconds) until every node
// heard of in the last three seconds, this one included, has confirmed it. Wire it to
// chat.Service.OnSessionsRevoked.
func (c *Cluster) BroadcastSessions(ctx context.Context, r chat.SessionsRevoked) {
	body, _ := json.Marshal(r)
	inbox := c.nc.NewRespInbox()
	sub, err := c.nc.SubscribeSync(inbox)
	if err != nil {
		c.log.Error("session revocation not broadcast; nodes learn of it from the event stream", "error", err)
		return
	}
	defer sub.Unsubscribe()
	want := c.livePeers()
	if err := c.nc.PublishRequest(c.revoke, inbox, body); err != nil {
		c.log.Error("session revocation not broadcast; nodes learn of it from the event stream", "error", err)
		return
	}
	// Waiting does not depend on the request: the revocation is committed either way.
	wait, cancel := context.WithTimeout(context.WithoutCancel(ctx), revokeTimeout)
	defer cancel()
	for len(want) > 0 {
		m, err := sub.NextMsgWithContext(wait)
		if err != nil {
			c.log.Warn("session revocation not confirmed by every node", "missing", len(want), "error", err)
			return
		}
		delete(want, string(m.Data))
	}
}

// onRevoke applies a revocation broadcast by any node and confirms it.
func (c *Cluster) onRevoke(m *nats.Msg) {
	var r chat.SessionsRevoked
	if err := json.Unmarshal(m.Data, &r); err != nil {
		c.log.Error("decode session revocation", "error", err)
		return
	}
	c.b.sessionsRevoked(r)
	if m.Reply != "" {
		m.Respond([]byte(c.node))
	}
}

// announce tells the other nodes every second that this one is alive.
func (c *Cluster) announce() {
	defer c.done.Done()
	t := time.NewTicker(announceEvery)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			c.nc.Publish(c.nodes, []byte(c.node))
		}
	}
}

func (c *Cluster) onAnnounce(m *nats.Msg) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.peers[string(m.Data)] = time.Now()
}

// Nodes is the number of nodes of the cluster heard of lately, this one included.
func (c *Cluster) Nodes() int { return len(c.livePeers()) }

// livePeers returns the nodes heard of lately, this one always among them.
func (c *Cluster) livePeers() map[string]bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]bool{c.node: true}
	for id, at := range c.peers {
		if time.Since(at) > peerTimeout {
			delete(c.peers, id)
			continue
		}
		out[id] = true
	}
	return out
}
