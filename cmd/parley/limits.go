package main

// Connection limits of the HTTP server and the MQTT TCP listener (docs/decisions.md,
// "Limits"): a cap on open connections, per-request body and write deadlines, and the
// counting and logging of every connection the server cuts.

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parley-chat/parley/internal/ratelog"
	"github.com/prometheus/client_golang/prometheus"
)

// Reasons the HTTP server cuts a connection (parley_http_connections_closed_total).
const (
	cutIdle  = "idle_timeout"  // keep-alive connection idle for PARLEY_HTTP_IDLE_TIMEOUT
	cutRead  = "read_timeout"  // request headers or body too slow
	cutWrite = "write_timeout" // the client stopped reading the response
)

// connLimiter caps the connections open at once over the listeners it wraps, which
// share the one count: the process's file descriptors are one budget.
type connLimiter struct {
	max     int64
	open    atomic.Int64
	log     *slog.Logger
	fullLog *ratelog.Limiter
	cutLog  *ratelog.Limiter
	refused *prometheus.CounterVec
	closed  *prometheus.CounterVec
}

func newConnLimiter(max int64, log *slog.Logger, reg prometheus.Registerer) *connLimiter {
	l := &connLimiter{max: max, log: log, fullLog: ratelog.New(10 * time.Second), cutLog: ratelog.New(10 * time.Second),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_connections_refused_total", Help: "Connections closed at once because PARLEY_MAX_CONNECTIONS were open.",
		}, []string{"listener"}),
		closed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_http_connections_closed_total", Help: "HTTP connections the server cut: idle_timeout, read_timeout (slow headers or body), write_timeout (client not reading).",
		}, []string{"reason"}),
	}
	for _, r := range []string{cutIdle, cutRead, cutWrite} {
		l.closed.WithLabelValues(r)
	}
	reg.MustRegister(l.refused, l.closed,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "parley_connections_open", Help: "Connections open now, HTTP (MQTT over WebSocket included) and MQTT TCP.",
		}, func() float64 { return float64(l.open.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "parley_connections_max", Help: "PARLEY_MAX_CONNECTIONS in effect.",
		}, func() float64 { return float64(l.max) }))
	return l
}

// listen wraps a listener. An accepted connection over the cap is closed at once rather
// than left waiting in the kernel's backlog: the client learns straight away and can
// retry (the SDK does, with backoff) or a load balancer can pick another node. classify
// is for the HTTP listener, whose cuts are counted by reason.
func (l *connLimiter) listen(ln net.Listener, name string, classify bool) net.Listener {
	l.refused.WithLabelValues(name)
	return &limitedListener{Listener: ln, l: l, name: name, classify: classify}
}

type limitedListener struct {
	net.Listener
	l        *connLimiter
	name     string
	classify bool
}

func (ln *limitedListener) Accept() (net.Conn, error) {
	l := ln.l
	for {
		c, err := ln.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.open.Add(1) > l.max {
			l.open.Add(-1)
			c.Close()
			l.refused.WithLabelValues(ln.name).Inc()
			l.fullLog.Log(l.log, slog.LevelWarn, "connection refused: PARLEY_MAX_CONNECTIONS reached",
				"max", l.max, "listener", ln.name, "remote", c.RemoteAddr().String())
			continue
		}
		return &trackedConn{Conn: c, l: l, classify: ln.classify}, nil
	}
}

// trackedConn gives its slot back when closed and, on the HTTP listener, notes why a
// read or write timed out so that the cut is counted once, when the server closes it.
type trackedConn struct {
	net.Conn
	l        *connLimiter
	classify bool
	state    atomic.Int32 // the http.ConnState the server last reported
	// aborting is set while the read deadline is in the distant past: net/http ends its
	// background read of a connection that way, and that timeout is no cut.
	aborting  atomic.Bool
	readIdle  atomic.Bool // bytes read since the connection went idle: a request began
	cut       atomic.Pointer[string]
	closeOnce sync.Once
}

func (c *trackedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.readIdle.Store(true)
	}
	if c.classify && errors.Is(err, os.ErrDeadlineExceeded) && !c.aborting.Load() {
		switch http.ConnState(c.state.Load()) {
		case http.StateHijacked: // MQTT over WebSocket: the broker's own deadlines
		case http.StateIdle:
			if c.readIdle.Load() {
				c.noteCut(cutRead) // the next request's headers were too slow
			} else {
				c.noteCut(cutIdle)
			}
		default:
			c.noteCut(cutRead)
		}
	}
	return n, err
}

func (c *trackedConn) SetReadDeadline(t time.Time) error {
	c.aborting.Store(!t.IsZero() && t.Before(time.Unix(1e6, 0)))
	return c.Conn.SetReadDeadline(t)
}

func (c *trackedConn) SetDeadline(t time.Time) error {
	c.aborting.Store(!t.IsZero() && t.Before(time.Unix(1e6, 0)))
	return c.Conn.SetDeadline(t)
}

func (c *trackedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if c.classify && errors.Is(err, os.ErrDeadlineExceeded) && http.ConnState(c.state.Load()) != http.StateHijacked {
		c.noteCut(cutWrite)
	}
	return n, err
}

func (c *trackedConn) noteCut(reason string) { c.cut.CompareAndSwap(nil, &reason) }

func (c *trackedConn) Close() error {
	err := c.Conn.Close()
	c.closeOnce.Do(func() {
		c.l.open.Add(-1)
		r := c.cut.Load()
		if r == nil {
			return
		}
		c.l.closed.WithLabelValues(*r).Inc()
		level := slog.LevelInfo
		if *r == cutIdle {
			level = slog.LevelDebug // the everyday end of a keep-alive connection
		}
		c.l.cutLog.Log(c.l.log, level, "http connection cut", "reason", *r, "remote", c.RemoteAddr().String())
	})
	return err
}

// connState is the HTTP server's ConnState hook: it tells tracked connections their state.
func connState(c net.Conn, s http.ConnState) {
	if tc, ok := c.(*trackedConn); ok {
		tc.state.Store(int32(s))
		if s == http.StateIdle {
			tc.readIdle.Store(false)
		}
	}
}

// withDeadlines sets each request's read and write deadlines on its connection, where
// http.Server's ReadTimeout and WriteTimeout would bound the whole request and so the
// size of uploads and downloads:
//   - a body must arrive within bodyTimeout plus its length at minRate bytes/s: a 100 MB
//     upload at 1 MB/s passes, a body trickling a byte every few seconds is cut after
//     bodyTimeout;
//   - each write of the response (http.ServeContent copies 32 KB at a time) must finish
//     within writeTimeout: a download of any size goes on while the client reads, and is
//     cut once it has not read for writeTimeout.
//
// MQTT over WebSocket is untouched: hijacking the connection clears its deadlines, and
// the broker sets its own.
func withDeadlines(next http.Handler, bodyTimeout time.Duration, minRate int64, writeTimeout time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		if r.Body != nil && r.Body != http.NoBody {
			start := time.Now()
			rc.SetReadDeadline(start.Add(bodyTimeout))
			r.Body = &pacedBody{ReadCloser: r.Body, rc: rc, start: start, grace: bodyTimeout, minRate: minRate}
		}
		next.ServeHTTP(&deadlineWriter{ResponseWriter: w, rc: rc, timeout: writeTimeout}, r)
		// What the handler left buffered is written after it returns.
		rc.SetWriteDeadline(time.Now().Add(writeTimeout))
	})
}

// pacedBody moves the read deadline on as the body arrives.
type pacedBody struct {
	io.ReadCloser
	rc      *http.ResponseController
	start   time.Time
	grace   time.Duration
	minRate int64
	read    int64
}

func (b *pacedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.read += int64(n)
	switch {
	case errors.Is(err, io.EOF):
		// The server now watches the connection for the client going away; a deadline
		// left behind would end that watch, and the request's context, early.
		b.rc.SetReadDeadline(time.Time{})
	case err == nil:
		b.rc.SetReadDeadline(b.start.Add(b.grace + time.Duration(b.read*int64(time.Second)/b.minRate)))
	}
	return n, err
}

// deadlineWriter gives each write of the response writeTimeout to finish.
type deadlineWriter struct {
	http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
}

func (w *deadlineWriter) Write(p []byte) (int, error) {
	w.rc.SetWriteDeadline(time.Now().Add(w.timeout))
	return w.ResponseWriter.Write(p)
}

func (w *deadlineWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
