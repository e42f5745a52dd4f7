package realtime

import (
	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/parley-chat/parley/internal/chat"
)

// farewell delivers user.didGlobalBan to the banned user's connected clients by writing
// it on their connections at once. A normal publish only queues on the client, and the
// session revocation committed with the ban (the next outbox event) closes the
// connection before the queue is written: the SDK would never learn why.
func (b *Broker) farewell(e chat.OutboxEvent) {
	if len(e.UserIDs) == 0 {
		return
	}
	topic := b.userPath(e.UserIDs[0])
	m := message{EventType: string(e.Type), Data: e.RawData, NetworkID: b.net, Path: topic, SentTime: chat.Now(), Version: "v3"}
	payload := m.encode()
	b.mu.RLock()
	var clients []*mqtt.Client
	for cl := range b.byUser[e.UserIDs[0]] {
		clients = append(clients, cl)
	}
	b.mu.RUnlock()
	for _, cl := range clients {
		if _, ok := cl.State.Subscriptions.Get(topic); !ok {
			continue
		}
		pk := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish}, TopicName: topic,
			Payload: payload, ProtocolVersion: cl.Properties.ProtocolVersion}
		if err := cl.WritePacket(pk); err != nil {
			b.log.Debug("mqtt farewell", "client", cl.ID, "error", err)
		}
	}
}
