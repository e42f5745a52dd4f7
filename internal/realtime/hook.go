package realtime

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// hook is the broker's login and topic access control.
type hook struct {
	mqtt.HookBase
	b *Broker
}

func (h *hook) ID() string { return "parley" }

func (h *hook) Provides(b byte) bool {
	return bytes.Contains([]byte{
		mqtt.OnConnect, mqtt.OnConnectAuthenticate, mqtt.OnSessionEstablished,
		mqtt.OnDisconnect, mqtt.OnACLCheck, mqtt.OnClientExpired, mqtt.OnPublishDropped, mqtt.OnPacketSent,
	}, []byte{b})
}

// OnPublishDropped is called when a packet does not fit a client's outbound queue
// (Options.MaxPendingWrites): the client has stopped reading. mochi would drop the packet
// and keep the client, which would then miss events without knowing; it is disconnected
// instead, so the SDK reconnects and resyncs over REST. Stop closes the socket, which also
// ends a write blocked on it; it takes no lock, so the publisher (the relay) never waits.
func (h *hook) OnPublishDropped(cl *mqtt.Client, pk packets.Packet) {
	if cl.Closed() {
		return
	}
	cl.Stop(packets.ErrPendingClientWritesExceeded)
	h.b.metrics.closed.WithLabelValues(closedSlowConsumer).Inc()
	h.b.slowLog.Log(h.b.log, slog.LevelWarn, "mqtt client disconnected: it stopped reading and its outbound queue is full",
		"client", cl.ID, "listener", cl.Net.Listener, "remote", cl.Net.Remote)
}

// checkTimeout bounds the storage reads a login or a subscription may cause.
const checkTimeout = 5 * time.Second

// OnConnect logs the client in: username is the user's internal id, password an access
// token of that user. A refusal is answered with a CONNACK code the SDK treats as final
// (it stops reconnecting): 2 "identifier rejected" for MQTT 3.1.1, the only 3.1.1 code it
// gives up on (on 4 and 5 it retries forever), and 0x87 "not authorized" for MQTT 5.
func (h *hook) OnConnect(cl *mqtt.Client, pk packets.Packet) error {
	b := h.b
	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	defer cancel()
	user := string(pk.Connect.Username)
	caller, err := b.ident.Authenticate(ctx, string(pk.Connect.Password))
	refused := "" // why, for the log
	switch {
	case err != nil:
		refused = "token refused: " + err.Error()
	case caller.User == nil:
		refused = "token of no user"
	case user == "" || caller.User.ID != user:
		refused = "username is not the token's user"
	default:
		// Registered before the revocation check, under one lock with it: a revocation
		// the relay handles while this login is under way either sees the client or is
		// seen here.
		b.mu.Lock()
		if _, revoked := b.revoked[caller.SessionID]; revoked {
			refused = "session revoked"
		} else {
			b.pending[cl] = &conn{cl: cl, userID: user, session: caller.SessionID, expires: caller.ExpiresAt, grants: map[string]bool{}}
		}
		b.mu.Unlock()
	}
	if refused != "" {
		// Never the password: it is an access token.
		b.log.Info("mqtt login refused", "client", clip(cl.ID), "username", clip(user), "remote", cl.Net.Remote, "reason", refused)
		code := packets.ErrNotAuthorized
		if cl.Properties.ProtocolVersion < 5 {
			code = packets.ErrClientIdentifierNotValid // sent as 3.1.1 code 2
		}
		b.srv.SendConnack(cl, code, false, nil)
		b.metrics.refused.Inc()
		return code
	}
	// Client ids live in one namespace per user, so nobody can take over (or be kicked
	// out of) another user's persistent session by reusing their client id.
	cl.ID = user + "|" + cl.ID
	// The 6.35.3 SDK sets a will on topic WillMsg. It is accepted and dropped: clients
	// publish nothing.
	cl.Properties.Will = mqtt.Will{}
	b.mu.Lock()
	if len(b.pending) > 1000 {
		for k := range b.pending { // logins whose CONNACK failed never reach OnDisconnect
			if k.Closed() {
				delete(b.pending, k)
			}
		}
	}
	b.mu.Unlock()
	return nil
}

// clip bounds what a client chose (its id, its username) before it goes to the log.
func clip(s string) string {
	if len(s) > 100 {
		return s[:100] + "…"
	}
	return s
}

// OnConnectAuthenticate lets in whoever OnConnect let through.
func (h *hook) OnConnectAuthenticate(cl *mqtt.Client, pk packets.Packet) bool { return true }

// OnSessionEstablished indexes the client under its user, and re-checks channel
// subscriptions a persistent session brought back: access may have changed meanwhile.
func (h *hook) OnSessionEstablished(cl *mqtt.Client, pk packets.Packet) {
	b := h.b
	b.mu.Lock()
	c := b.pending[cl]
	delete(b.pending, cl)
	if c != nil {
		b.conns[cl] = c
		if b.byUser[c.userID] == nil {
			b.byUser[c.userID] = map[*mqtt.Client]*conn{}
		}
		b.byUser[c.userID][cl] = c
		if !c.expires.IsZero() {
			// The token was valid at CONNECT; the connection ends with it, as revocation
			// ends it (fanout.go), and the SDK's reconnect with it is refused.
			c.expiry = time.AfterFunc(time.Until(c.expires), func() { b.expire(c) })
		}
	}
	b.mu.Unlock()
	if c == nil {
		return
	}
	for filter := range cl.State.Subscriptions.GetAll() {
		if !h.OnACLCheck(cl, filter, false) {
			b.unsubscribe(cl, filter)
		}
	}
}

// OnDisconnect forgets the client's connection. A persistent session keeps its
// subscriptions in mochi until it expires, but nothing is delivered to it meanwhile.
func (h *hook) OnDisconnect(cl *mqtt.Client, err error, expire bool) {
	b := h.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if c := b.pending[cl]; c != nil {
		b.releaseAll(c)
	}
	delete(b.pending, cl)
	c := b.conns[cl]
	if c == nil {
		return
	}
	b.releaseAll(c)
	delete(b.conns, cl)
	if c.expiry != nil {
		c.expiry.Stop()
	}
	if m := b.byUser[c.userID]; m != nil {
		delete(m, cl)
		if len(m) == 0 {
			delete(b.byUser, c.userID)
		}
	}
}

// OnClientExpired removes an expired persistent session's subscriptions from the topic
// index; mochi only forgets the client itself.
func (h *hook) OnClientExpired(cl *mqtt.Client) {
	for filter := range cl.State.Subscriptions.GetAll() {
		h.b.unsubscribe(cl, filter)
	}
}

// OnACLCheck decides subscriptions (a filter) and deliveries (a topic name) alike.
// Clients never publish. A client reads its own topics, and paths of channels it may
// read and of rooms; anything else is refused, which SUBACK reports as 0x80.
func (h *hook) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool {
	c, ok := h.canAccess(cl, topic, write)
	if ok {
		ok = h.b.enqueue(c, topic)
	}
	return ok
}

// canAccess is the ACL decision itself; it returns the client's record with it.
func (h *hook) canAccess(cl *mqtt.Client, topic string, write bool) (*conn, bool) {
	if write {
		return nil, false
	}
	b := h.b
	c := b.connOf(cl)
	if c == nil {
		b.mu.RLock()
		c = b.pending[cl] // a persistent session's subscriptions, re-checked on reconnect
		b.mu.RUnlock()
		if c == nil {
			return c, false
		}
	}
	if b.ownTopic(c.userID, topic) {
		return c, true
	}
	rest, ok := strings.CutPrefix(topic, b.net+"/")
	if !ok {
		return c, false
	}
	parts := strings.SplitN(rest, "/", 3)
	if len(parts) < 2 || !concrete(parts[1]) {
		return c, false
	}
	switch parts[0] {
	case "chat": // <net>/chat/<channelInternalId>[/…]
		return c, b.canRead(c, "chat", parts[1])
	case "room": // <net>/room/<roomId>[/…]
		return c, b.canRead(c, "room", parts[1])
	case "marker": // <net>/marker/channel/<channelId>/message/<subChannelId>, read by startReading
		m := strings.Split(rest, "/")
		if len(m) == 5 && m[1] == "channel" && m[3] == "message" && concrete(m[4]) {
			return c, b.canRead(c, "chat", m[4]) // the default sub-channel id is the channel's internal id
		}
	}
	return c, false
}

// concrete tells whether a topic level names one thing (no wildcard, not empty).
func concrete(level string) bool {
	return level != "" && !strings.ContainsAny(level, "+#")
}

// canRead tells whether the client may read a channel ("chat") or a room ("room"). A
// grant is remembered on the connection, so deliveries cost a map lookup; cutting access
// removes it.
func (b *Broker) canRead(c *conn, kind, id string) bool {
	key := kind + "/" + id
	b.mu.RLock()
	ok := c.grants[key]
	b.mu.RUnlock()
	if ok {
		return true
	}
	ok, err := b.mayRead(c.userID, kind, id)
	if err != nil {
		b.log.Warn("mqtt access check failed", "object", key, "user", c.userID, "error", err)
		return false
	}
	if ok {
		b.mu.Lock()
		c.grants[key] = true
		b.mu.Unlock()
	}
	return ok
}

// mayRead asks the domain whether a user may read a channel or a room.
func (b *Broker) mayRead(userID, kind, id string) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	defer cancel()
	switch {
	case kind == "chat" && b.channels != nil:
		return b.channels.CanReadChannel(ctx, userID, id)
	case kind == "room" && b.rooms != nil:
		return b.rooms.CanReadRoom(ctx, userID, id)
	}
	return false, nil
}

// unsubscribe drops one subscription of a client, as if it had unsubscribed.
func (b *Broker) unsubscribe(cl *mqtt.Client, filter string) {
	cl.State.Subscriptions.Delete(filter)
	if b.srv.Topics.Unsubscribe(filter, cl.ID) {
		atomic.AddInt64(&b.srv.Info.Subscriptions, -1)
	}
}

// expire closes a connection whose access token has expired.
func (b *Broker) expire(c *conn) {
	if b.connOf(c.cl) != c {
		return
	}
	b.metrics.closed.WithLabelValues(closedTokenExpired).Inc()
	b.log.Info("mqtt client disconnected: its access token expired", "client", c.cl.ID, "remote", c.cl.Net.Remote)
	b.disconnect(c, packets.ErrNotAuthorized)
}
