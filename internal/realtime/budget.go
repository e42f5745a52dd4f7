package realtime

import (
	"log/slog"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// Byte budgets of the outbound queues (issue 26). mochi bounds a client's queue in
// packets only, and copies the payload into every queued packet: one subscriber that
// stops reading while large messages go by holds hundreds of megabytes. The broker counts
// the payload bytes each client has waiting, and cuts a client past its budget (or, when
// the node's total is past the node's, any client with something queued) as it cuts one
// whose packet queue is full; the SDK reconnects and resyncs over REST.
//
// mochi has no hook at the moment a packet is queued, but it asks the ACL about each
// delivery just before: the relay publishes one message at a time (publishMu) and names
// it in b.publishing, and OnACLCheck charges the client the message's size there. The
// bytes are given back as mochi writes the packet (OnPacketSent), and all of a client's
// when it disconnects.

// publishing is the message being fanned out.
type publishing struct {
	topic string
	size  int64
}

// publish fans a payload out to a topic's subscribers through mochi, naming it for
// enqueue.
func (b *Broker) publish(topic string, payload []byte) error {
	b.publishMu.Lock()
	defer b.publishMu.Unlock()
	b.publishing.Store(&publishing{topic: topic, size: int64(len(payload))})
	defer b.publishing.Store(nil)
	return b.srv.Publish(topic, payload, false, 0)
}

// enqueue charges c for the message being published to topic, if the ACL check it is
// called from is that delivery; it reports false (the delivery refused) when c is cut for
// being past a budget. A SUBSCRIBE whose filter is the very topic being published at that
// instant is charged too, by mistake: at most one message's bytes, given back when c
// disconnects.
func (b *Broker) enqueue(c *conn, topic string) bool {
	p := b.publishing.Load()
	if c == nil || p == nil || p.topic != topic {
		return true
	}
	queued := c.queued.Add(p.size)
	node := b.queued.Add(p.size)
	if queued <= b.maxQueued && (node <= b.maxNodeQueued || queued == p.size) {
		return true
	}
	b.release(c, p.size)
	if c.cl.Closed() {
		return false
	}
	c.cl.Stop(packets.ErrPendingClientWritesExceeded)
	b.metrics.closed.WithLabelValues(closedSlowConsumer).Inc()
	b.slowLog.Log(b.log, slog.LevelWarn, "mqtt client disconnected: it stopped reading and its outbound queue is past its byte budget",
		"client", c.cl.ID, "listener", c.cl.Net.Listener, "remote", c.cl.Net.Remote,
		"queued_bytes", queued-p.size, "node_queued_bytes", node-p.size)
	return false
}

// release gives back n bytes c had queued; once c's count was reset (it disconnected),
// what it still sends is not taken off the node's total twice.
func (b *Broker) release(c *conn, n int64) {
	if c.queued.Add(-n) >= 0 {
		b.queued.Add(-n)
	}
}

// releaseAll gives back everything c had queued, when it disconnects.
func (b *Broker) releaseAll(c *conn) {
	if n := c.queued.Swap(0); n > 0 {
		b.queued.Add(-n)
	}
}

// OnPacketSent gives back a delivered message's bytes.
func (h *hook) OnPacketSent(cl *mqtt.Client, pk packets.Packet, _ []byte) {
	if pk.FixedHeader.Type != packets.Publish || len(pk.Payload) == 0 {
		return
	}
	if c := h.b.connOf(cl); c != nil {
		h.b.release(c, int64(len(pk.Payload)))
	}
}
