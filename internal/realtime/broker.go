// Package realtime is Parley's MQTT side: an embedded broker (mochi-mqtt) reached over
// WebSocket at /mqtt and optionally plain TCP, its login and topic access control, and the
// outbox relay that turns committed chat events into messages on the topics the Amity SDK
// listens to.
package realtime

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/ratelog"
	"github.com/prometheus/client_golang/prometheus"
)

// Identity is what the broker asks of the domain to let a client in.
type Identity interface {
	NetworkID() string
	Authenticate(ctx context.Context, token string) (*chat.Caller, error)
}

// Channels answers who belongs to a channel and who may read it. *chat.Service implements
// it; without it (nil) channel paths are refused and channel events reach only their
// target users.
type Channels interface {
	ChannelMemberIDs(ctx context.Context, channelInternalID string) ([]string, error)
	CanReadChannel(ctx context.Context, userInternalID, channelInternalID string) (bool, error)
}

// Rooms answers who may watch a live room. *chat.Service implements it; without it
// (nil) room paths are refused.
type Rooms interface {
	CanReadRoom(ctx context.Context, userInternalID, roomID string) (bool, error)
}

// Sessions is the domain's session cache. In a cluster each node hears of revocations
// and of users' role changes from the others through the broker, and drops what it
// cached; *chat.Service implements it. May be nil (a single node keeps its own cache).
type Sessions interface {
	ForgetSessions(r chat.SessionsRevoked)
}

// Options configure the broker.
type Options struct {
	Identity Identity
	Channels Channels              // may be nil
	Rooms    Rooms                 // may be nil
	Sessions Sessions              // may be nil
	Logger   *slog.Logger          // default slog.Default()
	Registry prometheus.Registerer // metrics; none when nil
	// SessionExpiry is how long a disconnected persistent (clean: false) session keeps
	// its subscriptions. Default one hour.
	SessionExpiry time.Duration
	// ConnectTimeout is how long a new connection may take to send CONNECT before it is
	// closed. Default 10 s.
	ConnectTimeout time.Duration
	// MaxPendingWrites is how many packets may wait to be written to one client. A client
	// that lets its queue fill (it stopped reading) is disconnected: the SDK reconnects
	// and catches up over REST. Default 1024.
	MaxPendingWrites int
	// MaxQueuedBytes is how many bytes of messages may wait to be written to one client;
	// a client past it is disconnected as one past MaxPendingWrites is. Packets alone do
	// not bound memory: 1,024 messages of 141 kB are 144 MB for one paused client.
	// Default 4 MiB.
	MaxQueuedBytes int64
	// MaxNodeQueuedBytes bounds the bytes waiting for all clients together: past it, a
	// client that has anything queued is disconnected when more is queued for it.
	// Default 256 MiB.
	MaxNodeQueuedBytes int64
}

// Broker is the embedded MQTT broker with Parley's auth, ACL and fan-out.
type Broker struct {
	srv      *mqtt.Server
	ident    Identity
	channels Channels
	rooms    Rooms
	sessions Sessions
	net      string
	log      *slog.Logger
	metrics  *metrics
	members  *memberCache
	ws       *wsListener
	// connectTimeout bounds the wait for a new connection's CONNECT (Options).
	connectTimeout time.Duration
	// Byte budgets of the outbound queues (Options.MaxQueuedBytes, MaxNodeQueuedBytes);
	// queued is the node's total, publishing the message being fanned out (budget.go).
	maxQueued, maxNodeQueued int64
	queued                   atomic.Int64
	publishing               atomic.Pointer[publishing]
	publishMu                sync.Mutex
	// Connections the broker cuts are logged one line per interval and reason.
	connectLog, slowLog *ratelog.Limiter

	mu      sync.RWMutex
	pending map[*mqtt.Client]*conn            // authenticated, session not yet established
	conns   map[*mqtt.Client]*conn            // connected clients
	byUser  map[string]map[*mqtt.Client]*conn // user internal id → their connected clients
	revoked map[string]time.Time              // recently revoked session ids
}

// conn is what the broker knows of one connected client.
type conn struct {
	cl      *mqtt.Client
	userID  string // internal id, the MQTT username
	session string // the session the access token names, for revocation
	// channels ("chat/<id>") and rooms ("room/<id>") the client was allowed to read when
	// it subscribed; checked on every delivery under their paths, dropped when access is cut.
	grants map[string]bool
	// expires is when its access token expires (zero: never), expiry the timer that
	// then closes the connection.
	expires time.Time
	expiry  *time.Timer
	// queued is how many payload bytes wait in its outbound queue (budget.go).
	queued atomic.Int64
}

// Listener ids, as mochi names the way a client came in.
const (
	listenerWS  = "ws"
	listenerTCP = "tcp"
)

// New builds a broker. Start it with Serve; mount Handler on the HTTP listener.
func New(opt Options) (*Broker, error) {
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.SessionExpiry == 0 {
		opt.SessionExpiry = time.Hour
	}
	if opt.ConnectTimeout == 0 {
		opt.ConnectTimeout = 10 * time.Second
	}
	if opt.MaxPendingWrites == 0 {
		opt.MaxPendingWrites = 1024
	}
	if opt.MaxQueuedBytes == 0 {
		opt.MaxQueuedBytes = 4 << 20
	}
	if opt.MaxNodeQueuedBytes == 0 {
		opt.MaxNodeQueuedBytes = 256 << 20
	}
	caps := mqtt.NewDefaultServerCapabilities()
	caps.MaximumSessionExpiryInterval = uint32(opt.SessionExpiry / time.Second)
	caps.MaximumPacketSize = 256 << 10 // clients only send CONNECT, SUBSCRIBE and pings
	caps.SharedSubAvailable = 0
	// mochi drops what does not fit a client's queue and keeps the client; the hook's
	// OnPublishDropped disconnects it instead (hook.go).
	caps.MaximumClientWritesPending = int32(opt.MaxPendingWrites)
	caps.Compatibilities.ObscureNotAuthorized = true // a refused SUBSCRIBE is granted 0x80, for v3 and v5 alike
	b := &Broker{
		ident: opt.Identity, channels: opt.Channels, rooms: opt.Rooms, sessions: opt.Sessions, net: opt.Identity.NetworkID(),
		log:     opt.Logger,
		pending: map[*mqtt.Client]*conn{}, conns: map[*mqtt.Client]*conn{}, byUser: map[string]map[*mqtt.Client]*conn{}, revoked: map[string]time.Time{},
		members: newMemberCache(opt.Channels), connectTimeout: opt.ConnectTimeout,
		maxQueued: opt.MaxQueuedBytes, maxNodeQueued: opt.MaxNodeQueuedBytes,
		connectLog: ratelog.New(10 * time.Second), slowLog: ratelog.New(10 * time.Second),
	}
	b.srv = mqtt.New(&mqtt.Options{
		Capabilities: caps,
		InlineClient: true, // the relay publishes through it
		// mochi's own read buffer per client (default 2 KB), kept for the connection's
		// life: what clients send is small (issue 30, per-connection memory).
		ClientNetReadBufferSize: 1 << 10,
		// mochi logs every refused packet as a warning, with the packet: only its errors
		// are worth our log.
		Logger: slog.New(minLevel{opt.Logger.With("component", "mqtt").Handler(), slog.LevelError}),
	})
	if err := b.srv.AddHook(&hook{b: b}, nil); err != nil {
		return nil, err
	}
	b.ws = newWSListener(b)
	if err := b.srv.AddListener(b.ws); err != nil {
		return nil, err
	}
	b.metrics = newMetrics(opt.Registry, b)
	return b, nil
}

// ListenTCP adds a plain TCP listener (PARLEY_MQTT_LISTEN). Call it before Serve.
func (b *Broker) ListenTCP(addr string) (net.Addr, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	if err := b.ServeTCP(ln); err != nil {
		ln.Close()
		return nil, err
	}
	return ln.Addr(), nil
}

// ServeTCP adds a plain TCP listener the caller opened (and may have wrapped, to cap
// connections). Call it before Serve.
func (b *Broker) ServeTCP(ln net.Listener) error {
	return b.srv.AddListener(&tcpListener{b: b, ln: ln})
}

// Serve starts the broker's listeners and housekeeping; it returns at once.
func (b *Broker) Serve() error { return b.srv.Serve() }

// Close stops the listeners, disconnects every client and stops the broker.
func (b *Broker) Close() error {
	b.ws.Close(nil)
	if l, ok := b.srv.Listeners.Get(listenerTCP); ok {
		l.Close(nil)
	}
	b.mu.RLock()
	all := make([]*conn, 0, len(b.conns)+len(b.pending))
	for _, c := range b.conns {
		all = append(all, c)
	}
	for _, c := range b.pending {
		all = append(all, c)
	}
	b.mu.RUnlock()
	for _, c := range all {
		b.disconnect(c, packets.ErrServerShuttingDown)
	}
	return b.srv.Close() // waits for every client's goroutine to end
}

// Connected is the number of connected clients.
func (b *Broker) Connected() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.conns)
}

// connOf returns the connected client's record, nil for unknown or disconnected ones.
func (b *Broker) connOf(cl *mqtt.Client) *conn {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.conns[cl]
}

// Topic bases, as CONTRACT.md fixes them.
func (b *Broker) userPath(uid string) string    { return b.net + "/user/" + uid }
func (b *Broker) channelPath(cid string) string { return b.net + "/chat/" + cid }
func (b *Broker) roomPath(rid string) string    { return b.net + "/room/" + rid }
func (b *Broker) markerTopic(uid string) string { return b.net + "/marker/user/" + uid }
func (b *Broker) smartfeed(uid, feed string) string {
	return b.net + "/smartfeed/" + uid + "/" + feed
}

// ownTopic tells whether topic is one of the topics every client of uid subscribes to.
// "<net>/videostreaming" is one of them for the 7.x SDK (it retries a refused
// subscription and logs a failure); Parley publishes nothing on it yet (docs/realtime.md).
func (b *Broker) ownTopic(uid, topic string) bool {
	if topic == b.net {
		return true
	}
	rest, ok := strings.CutPrefix(topic, b.net+"/")
	if !ok {
		return false
	}
	switch rest {
	case "smartfeed/" + uid + "/channels", "smartfeed/" + uid + "/messagefeeds", "smartfeed/" + uid + "/messages",
		"user/" + uid, "marker/user/" + uid, "videostreaming":
		return true
	}
	return false
}

// disconnect ends a client's connection, telling v5 clients why.
func (b *Broker) disconnect(c *conn, code packets.Code) {
	if err := b.srv.DisconnectClient(c.cl, code); err != nil && !errors.Is(err, code) {
		b.log.Debug("mqtt disconnect", "client", c.cl.ID, "error", err)
	}
}

// minLevel drops log records below a level.
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(as), h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{h.Handler.WithGroup(name), h.min}
}
