package realtime

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/parley-chat/parley/internal/chat"
)

// message is what a client receives: the SDK dispatches on eventType and reads data.
type message struct {
	EventType string          `json:"eventType"`
	Data      json.RawMessage `json:"data"`
	NetworkID string          `json:"networkId"`
	Path      string          `json:"path"`
	SentTime  chat.Time       `json:"sentTime"`
	Version   string          `json:"version"`
}

// encode is json.Marshal(m) without its second pass over Data: json.Marshal scans and
// compacts a json.RawMessage again, and Data is the event's whole payload, which Parley
// encoded itself (8% of a membership change's CPU in the profiles went to that scan).
func (m message) encode() []byte {
	b := make([]byte, 0, len(m.Data)+len(m.Path)+len(m.NetworkID)+128)
	b = append(b, `{"eventType":`...)
	b = chat.AppendJSONString(b, m.EventType)
	b = append(b, `,"data":`...)
	b = append(b, m.Data...)
	b = append(b, `,"networkId":`...)
	b = chat.AppendJSONString(b, m.NetworkID)
	b = append(b, `,"path":`...)
	b = chat.AppendJSONString(b, m.Path)
	b = append(b, `,"sentTime":`...)
	b = m.SentTime.AppendJSON(b)
	b = append(b, `,"version":`...)
	b = chat.AppendJSONString(b, m.Version)
	return append(b, '}')
}

// deliver publishes one committed event, or for internal.* events acts on it.
func (b *Broker) deliver(ctx context.Context, e chat.OutboxEvent) {
	start := time.Now()
	spec := chat.SpecOf(e.Type)
	// Before publishing: whoever lost access hears of it on their own topics, not on the
	// object's path.
	if e.ChannelID != "" {
		b.members.apply(e, spec.Members)
	}
	if e.ChannelID != "" && spec.Cuts == chat.CutChannel {
		b.cutAccess(ctx, "chat", e.ChannelID, e.UserIDs)
	}
	if e.RoomID != "" && spec.Cuts == chat.CutRoom {
		b.cutAccess(ctx, "room", e.RoomID, e.UserIDs)
	}
	if spec.Internal {
		b.internal(e)
		return
	}
	if e.Type == chat.EventUserDidGlobalBan {
		b.farewell(e)
		return
	}
	if e.Type == chat.EventUserUpdated && b.sessions != nil {
		// Roles may have changed: cached callers of the user hold the old permissions.
		for _, u := range e.UserIDs {
			b.sessions.ForgetSessions(chat.SessionsRevoked{UserID: u})
		}
	}
	n := b.fanOut(ctx, e, spec)
	b.metrics.events.Inc()
	b.metrics.publishes.Add(float64(n))
	b.metrics.fanout.Observe(time.Since(start).Seconds())
	if !e.CreatedAt.IsZero() {
		b.metrics.delay.Observe(time.Since(e.CreatedAt.Time).Seconds())
	}
}

// fanOut publishes an event to the feed topic of every concerned user who is connected,
// and under the object's own path; it returns how many topics it published to. A channel
// of 300,000 members with 10 connected costs 10 publishes, not 300,000.
func (b *Broker) fanOut(ctx context.Context, e chat.OutboxEvent, spec chat.EventSpec) int {
	m := message{EventType: string(e.Type), Data: e.RawData, NetworkID: b.net, SentTime: chat.Now(), Version: "v3"}
	switch {
	case e.ChannelID != "":
		m.Path = b.objectPath(e, spec.Path)
	case e.RoomID != "":
		m.Path = b.roomPath(e.RoomID)
	case len(e.UserIDs) > 0:
		m.Path = b.userPath(e.UserIDs[0])
	default:
		m.Path = b.net
	}
	if len(m.Data) == 0 {
		m.Data = json.RawMessage("{}")
	}
	payload := m.encode()
	feed := b.feedOf(spec.Feed)
	users := b.connectedUsers(ctx, e)
	n := 0
	publish := func(topic string) {
		if err := b.publish(topic, payload); err != nil {
			b.log.Warn("mqtt publish failed", "topic", topic, "error", err)
		}
		n++
	}
	for _, u := range users {
		publish(feed(u))
	}
	if e.ChannelID != "" {
		publish(m.Path)
	}
	if e.RoomID != "" {
		publish(b.roomPath(e.RoomID))
	}
	if e.Network {
		publish(b.net)
	}
	return n
}

// objectPath is where a channel event is published under the channel's path: at the
// deepest object it is about (its row's ObjectPath: a message, a message feed), so that
// one publish reaches the subscribers of the channel (`<channel path>/#`), of the
// sub-channel (`<feed path>/#`, getSubChannelTopic) and of the message itself
// (getMessageTopic) alike.
func (b *Broker) objectPath(e chat.OutboxEvent, at chat.ObjectPath) string {
	channel := b.channelPath(e.ChannelID)
	if at == chat.PathChannel {
		return channel
	}
	var data struct {
		Messages []struct {
			Path string `json:"path"`
		} `json:"messages"`
		MessageFeeds []struct {
			Path string `json:"path"`
		} `json:"messageFeeds"`
	}
	if json.Unmarshal(e.RawData, &data) != nil {
		return channel
	}
	path := ""
	if at == chat.PathMessage && len(data.Messages) > 0 {
		path = data.Messages[0].Path
	} else if at == chat.PathMessageFeed && len(data.MessageFeeds) > 0 {
		path = data.MessageFeeds[0].Path
	}
	// Only a path below the event's own channel: the ACL granted subscriptions by it.
	if strings.HasPrefix(path, channel+"/") {
		return path
	}
	return channel
}

// feedOf maps a row's feed to the per-user topic its receivers read it on.
func (b *Broker) feedOf(f chat.Feed) func(uid string) string {
	switch f {
	case chat.FeedChannels:
		return func(uid string) string { return b.smartfeed(uid, "channels") }
	case chat.FeedMessageFeeds:
		return func(uid string) string { return b.smartfeed(uid, "messagefeeds") }
	case chat.FeedMessages:
		return func(uid string) string { return b.smartfeed(uid, "messages") }
	case chat.FeedMarkers:
		return b.markerTopic
	default:
		return b.userPath
	}
}

// connectedUsers returns the users concerned by an event who have a connected client:
// the channel's members and the event's target users.
func (b *Broker) connectedUsers(ctx context.Context, e chat.OutboxEvent) []string {
	var members map[string]struct{}
	b.mu.RLock()
	anyone := len(b.byUser) > 0 || len(b.pending) > 0
	b.mu.RUnlock()
	if !anyone {
		return nil
	}
	if e.ChannelID != "" && b.channels != nil {
		members = b.members.get(ctx, e.ChannelID)
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	// A client whose login is accepted but whose session mochi has not yet reported
	// established already holds its restored subscriptions and may have its CONNACK:
	// it counts as connected, or an event in that window would miss it.
	logging := map[string]struct{}{}
	for _, c := range b.pending {
		logging[c.userID] = struct{}{}
	}
	seen := map[string]struct{}{}
	var out []string
	add := func(u string) {
		if _, dup := seen[u]; dup {
			return
		}
		if _, in := logging[u]; len(b.byUser[u]) > 0 || in {
			seen[u] = struct{}{}
			out = append(out, u)
		}
	}
	// Walk the smaller side: the connected users when few are online, the members when
	// the channel is small.
	if len(b.byUser)+len(logging) < len(members) {
		for u := range b.byUser {
			if _, ok := members[u]; ok {
				add(u)
			}
		}
		for u := range logging {
			if _, ok := members[u]; ok {
				add(u)
			}
		}
	} else {
		for u := range members {
			add(u)
		}
	}
	for _, u := range e.UserIDs {
		add(u)
	}
	return out
}

// cutAccess re-checks the access to a channel ("chat") or room ("room") of the connected
// clients of users (of every client holding access when users is empty) and drops the
// subscriptions under its path of those who lost it.
func (b *Broker) cutAccess(ctx context.Context, kind, id string, users []string) {
	b.metrics.cuts.Inc()
	key := kind + "/" + id
	var held []*conn
	b.mu.RLock()
	if len(users) == 0 {
		for _, c := range b.conns {
			if c.grants[key] {
				held = append(held, c)
			}
		}
	} else {
		for _, u := range users {
			for _, c := range b.byUser[u] {
				if c.grants[key] {
					held = append(held, c)
				}
			}
		}
	}
	b.mu.RUnlock()
	verdict := map[string]bool{}
	for _, c := range held {
		ok, seen := verdict[c.userID]
		if !seen {
			var err error
			if ok, err = b.mayRead(c.userID, kind, id); err != nil {
				b.log.Warn("mqtt access re-check failed; cutting", "object", key, "user", c.userID, "error", err)
				ok = false
			}
			verdict[c.userID] = ok
		}
		if ok {
			continue
		}
		b.mu.Lock()
		delete(c.grants, key)
		b.mu.Unlock()
		path := b.net + "/" + key
		for filter := range c.cl.State.Subscriptions.GetAll() {
			if filter == path || strings.HasPrefix(filter, path+"/") ||
				(kind == "chat" && strings.HasPrefix(filter, b.net+"/marker/channel/") && strings.HasSuffix(filter, "/message/"+id)) {
				b.unsubscribe(c.cl, filter)
			}
		}
	}
}

// internal acts on node-side events; they are never published.
func (b *Broker) internal(e chat.OutboxEvent) {
	switch e.Type {
	case chat.EventSessionRevoked:
		var r chat.SessionsRevoked
		if err := json.Unmarshal(e.RawData, &r); err != nil {
			b.log.Error("decode event", "type", e.Type, "seq", e.Seq, "error", err)
			return
		}
		b.sessionsRevoked(r)
	}
}

// sessionsRevoked drops a user's cached sessions and closes the connections of the
// revoked ones on this node.
func (b *Broker) sessionsRevoked(r chat.SessionsRevoked) {
	if b.sessions != nil {
		b.sessions.ForgetSessions(r)
	}
	if len(r.SessionIDs) == 0 {
		return
	}
	for _, c := range b.revoke(r.SessionIDs, r.UserID) {
		b.disconnect(c, packets.ErrNotAuthorized)
	}
}

// memberCache keeps the member sets of channels that had events lately, so a busy
// channel costs one member query now and then, not one per message. The relay applies
// each membership event's change to the cached set in commit order (the event names the
// users it concerns), so a join in a channel of 300,000 members costs a map insert, not a
// reload; a set is reloaded from the store when it is older than memberCacheAge, which
// bounds any drift.
type memberCache struct {
	ch    Channels
	mu    sync.Mutex
	sets  map[string]*memberSet
	total int // ids held, bounded by memberCacheMax
}

type memberSet struct {
	ids    map[string]struct{}
	loaded time.Time
}

const (
	memberCacheMax = 2_000_000
	memberCacheAge = time.Minute
)

func newMemberCache(ch Channels) *memberCache {
	return &memberCache{ch: ch, sets: map[string]*memberSet{}}
}

// get returns a channel's member set. The caller only reads it, on the relay goroutine,
// which is also the only writer.
func (m *memberCache) get(ctx context.Context, channelID string) map[string]struct{} {
	m.mu.Lock()
	set, ok := m.sets[channelID]
	m.mu.Unlock()
	if ok && time.Since(set.loaded) < memberCacheAge {
		return set.ids
	}
	ids, err := m.ch.ChannelMemberIDs(ctx, channelID)
	if err != nil {
		// Members miss this event on their feeds; the channel path still carries it.
		return nil
	}
	fresh := &memberSet{ids: make(map[string]struct{}, len(ids)), loaded: time.Now()}
	for _, id := range ids {
		fresh.ids[id] = struct{}{}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dropLocked(channelID)
	for id, s := range m.sets { // map order is random: this evicts arbitrary channels
		if m.total+len(fresh.ids) <= memberCacheMax {
			break
		}
		m.total -= len(s.ids)
		delete(m.sets, id)
	}
	m.sets[channelID] = fresh
	m.total += len(fresh.ids)
	return fresh.ids
}

// apply brings a cached member set up to date with one committed event, as its row's
// member effect says.
func (m *memberCache) apply(e chat.OutboxEvent, effect chat.MemberEffect) {
	if effect == chat.MembersKept {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	set, ok := m.sets[e.ChannelID]
	if !ok {
		return
	}
	switch effect {
	case chat.MembersAdd:
		for _, u := range e.UserIDs {
			if _, in := set.ids[u]; !in {
				set.ids[u] = struct{}{}
				m.total++
			}
		}
	case chat.MembersRemove:
		for _, u := range e.UserIDs {
			if _, in := set.ids[u]; in {
				delete(set.ids, u)
				m.total--
			}
		}
	case chat.MembersUnknown:
		m.dropLocked(e.ChannelID)
	}
}

func (m *memberCache) dropLocked(channelID string) {
	if s, ok := m.sets[channelID]; ok {
		m.total -= len(s.ids)
		delete(m.sets, channelID)
	}
}

// revokedMemory is how long revoked session ids are remembered, to refuse logins that
// were being checked while the revocation went through (and tokens a stale session cache
// of another node still accepts).
const revokedMemory = 10 * time.Minute

// revoke remembers revoked sessions and returns the clients, connected or logging in,
// that use them.
func (b *Broker) revoke(sessions []string, userID string) []*conn {
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	for id, at := range b.revoked {
		if now.Sub(at) > revokedMemory {
			delete(b.revoked, id)
		}
	}
	for _, id := range sessions {
		b.revoked[id] = now
	}
	var out []*conn
	for _, m := range []map[*mqtt.Client]*conn{b.byUser[userID], b.pending} {
		for _, c := range m {
			if _, ok := b.revoked[c.session]; ok && c.userID == userID {
				out = append(out, c)
			}
		}
	}
	return out
}
