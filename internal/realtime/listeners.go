package realtime

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/mochi-mqtt/server/v2/listeners"
)

// Handler serves MQTT over WebSocket (subprotocol mqtt) on the main HTTP listener.
// mochi's own WebSocket listener runs a server of its own; this one upgrades the request
// and hands the connection to the broker, which then owns it until the client leaves.
func (b *Broker) Handler() http.Handler { return b.ws }

// wsListener is the mochi listener behind Handler: Serve hands it the broker's
// connection callback and Close drops its clients.
type wsListener struct {
	b        *Broker
	upgrader websocket.Upgrader
	mu       sync.RWMutex
	est      listeners.EstablishFn
	closed   atomic.Bool
	// serving is closed once mochi has called Serve, which it does on a goroutine of its
	// own after the broker starts: a connection arriving before that waits for it.
	serving     chan struct{}
	servingOnce sync.Once
}

func newWSListener(b *Broker) *wsListener {
	return &wsListener{b: b, serving: make(chan struct{}), upgrader: websocket.Upgrader{
		Subprotocols: []string{"mqtt"},
		// Clients log in with a token in CONNECT, never with cookies, so any page may
		// connect; the SDK runs in browsers on the app's own origin.
		CheckOrigin: func(*http.Request) bool { return true },
		// Per-connection memory (issue 30): by default gorilla keeps the HTTP server's
		// 4 KB read and 4 KB write buffers for the connection's life. Clients send only
		// CONNECT, SUBSCRIBE and pings, so a small read buffer serves (a larger frame is
		// read in pieces), and the write buffer is taken from a pool for each message
		// and given back, so an idle connection holds none.
		ReadBufferSize:  1 << 10,
		WriteBufferSize: 16 << 10,
		WriteBufferPool: &sync.Pool{},
	}}
}

func (l *wsListener) ID() string              { return listenerWS }
func (l *wsListener) Address() string         { return "/mqtt" }
func (l *wsListener) Protocol() string        { return "ws" }
func (l *wsListener) Init(*slog.Logger) error { return nil }
func (l *wsListener) Serve(est listeners.EstablishFn) {
	l.mu.Lock()
	l.est = est
	l.mu.Unlock()
	l.servingOnce.Do(func() { close(l.serving) })
}

// Close stops taking connections. Broker.Close disconnects the clients: mochi's own
// closeClients (Clients.GetByListener) takes a read lock twice and deadlocks when a
// client leaves at the same moment.
func (l *wsListener) Close(listeners.CloseFn) { l.closed.Store(true) }

func (l *wsListener) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	select {
	case <-l.serving:
	case <-r.Context().Done():
		return
	case <-time.After(5 * time.Second):
	}
	l.mu.RLock()
	est := l.est
	l.mu.RUnlock()
	if est == nil || l.closed.Load() {
		http.Error(w, "MQTT broker not running", http.StatusServiceUnavailable)
		return
	}
	ws, err := l.upgrader.Upgrade(hijacker(w), r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	// The connection is served on a goroutine of its own and the handler returns: the
	// HTTP server's goroutine would otherwise stay parked under the whole middleware
	// stack for the connection's life, holding a grown stack and the server's own 4 KB
	// read buffer (issue 30, per-connection memory).
	go func() {
		defer ws.Close()
		l.b.establish(est, listenerWS, &wsConn{Conn: ws.UnderlyingConn(), ws: ws})
	}()
}

// hijacker finds, under the HTTP middleware's wrappers, a ResponseWriter that can hand
// over its connection: gorilla/websocket asserts http.Hijacker directly.
func hijacker(w http.ResponseWriter) http.ResponseWriter {
	for {
		if _, ok := w.(http.Hijacker); ok {
			return w
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return w
		}
		w = u.Unwrap()
	}
}

// wsConn is a WebSocket connection seen as the byte stream MQTT expects: binary
// messages read back to back, each write one binary message. mochi serialises writes.
type wsConn struct {
	net.Conn
	ws *websocket.Conn
	r  io.Reader // the message being read, nil between messages
}

func (c *wsConn) Read(p []byte) (int, error) {
	for {
		if c.r == nil {
			op, r, err := c.ws.NextReader()
			if err != nil {
				return 0, err
			}
			if op != websocket.BinaryMessage {
				return 0, errors.New("mqtt over websocket needs binary messages")
			}
			c.r = r
		}
		n, err := c.r.Read(p)
		if errors.Is(err, io.EOF) {
			c.r = nil
			if n == 0 {
				continue
			}
			err = nil
		}
		return n, err
	}
}

func (c *wsConn) Write(p []byte) (int, error) {
	if err := c.ws.WriteMessage(websocket.BinaryMessage, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// tcpListener serves MQTT on a plain TCP socket the caller opened.
type tcpListener struct {
	b      *Broker
	ln     net.Listener
	closed atomic.Bool
}

func (l *tcpListener) ID() string              { return listenerTCP }
func (l *tcpListener) Address() string         { return l.ln.Addr().String() }
func (l *tcpListener) Protocol() string        { return "tcp" }
func (l *tcpListener) Init(*slog.Logger) error { return nil }

func (l *tcpListener) Serve(est listeners.EstablishFn) {
	for {
		c, err := l.ln.Accept()
		if err != nil {
			if !l.closed.Load() {
				l.b.log.Error("mqtt tcp listener stopped", "error", err)
			}
			return
		}
		go l.b.establish(est, listenerTCP, c)
	}
}

// Close stops taking connections; Broker.Close disconnects the clients.
func (l *tcpListener) Close(listeners.CloseFn) {
	if l.closed.CompareAndSwap(false, true) {
		l.ln.Close()
	}
}

// establish hands a new connection to mochi and logs why it ended. mochi reads the first
// packet with no deadline, so a connection that never sends CONNECT would stay open for
// ever: it gets connectTimeout to send it. Once mochi has read CONNECT it sets the
// keepalive deadline (SetDeadline, which replaces this one).
func (b *Broker) establish(est listeners.EstablishFn, id string, c net.Conn) {
	gc := &greetingConn{Conn: c}
	c.SetReadDeadline(time.Now().Add(b.connectTimeout))
	err := est(id, gc)
	if err == nil {
		return
	}
	var ne net.Error
	if !gc.connected.Load() && errors.As(err, &ne) && ne.Timeout() {
		b.metrics.closed.WithLabelValues(closedConnectTimeout).Inc()
		b.connectLog.Log(b.log, slog.LevelInfo, "mqtt connection closed: no CONNECT in time",
			"listener", id, "remote", c.RemoteAddr().String(), "timeout", b.connectTimeout)
		return
	}
	// Refused logins and clients going away are normal traffic, not warnings.
	b.log.Debug("mqtt connection ended", "reason", err)
}

// greetingConn notes when mochi, having read CONNECT, sets the connection's keepalive
// deadline: a timeout before that is the connect timeout.
type greetingConn struct {
	net.Conn
	connected atomic.Bool
}

func (c *greetingConn) SetDeadline(t time.Time) error {
	c.connected.Store(true)
	return c.Conn.SetDeadline(t)
}
