package httpapi

// The access log: one structured line per request for operators, sampled by
// Config.AccessLog (docs/decisions.md, "Operations").

import (
	"bufio"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"time"

	"github.com/parley-chat/parley/internal/chat"
)

// statusRecorder remembers what the access log and the metrics tell of a request: the
// status written, and what handlers note on it (the Amity code of an error answer, the
// caller). outer puts one around every request; handlers find it with recorderOf.
type statusRecorder struct {
	http.ResponseWriter
	status int
	code   chat.Code // of the error body written, 0 for none
	userID string    // the caller's public userId, once authenticated
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Hijack hands the connection over (the WebSocket of /mqtt), recorded as 101: the request
// ends, and is logged, when the connection closes.
func (s *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(s.ResponseWriter).Hijack()
	if err == nil {
		s.status = http.StatusSwitchingProtocols
	}
	return conn, rw, err
}

// recorderOf finds the request's statusRecorder under whatever wraps w; nil outside
// outer (never in the server).
func recorderOf(w http.ResponseWriter) *statusRecorder {
	for {
		switch x := w.(type) {
		case *statusRecorder:
			return x
		case interface{ Unwrap() http.ResponseWriter }:
			w = x.Unwrap()
		default:
			return nil
		}
	}
}

// probes are polled by load balancers and Prometheus: their successes are not logged.
var probes = map[string]bool{"GET /healthz": true, "GET /readyz": true, "GET /metrics": true}

// logAccess writes the request's line, when the setting asks for it: every request at 1,
// none at 0, and in between that share of them plus every answer of 400 and over.
func (a *API) logAccess(r *http.Request, rec *statusRecorder, id string, d time.Duration) {
	rate := a.cfg.AccessLog
	if rate <= 0 {
		return
	}
	if rec.status < 400 && (probes[r.Pattern] || rate < 1 && rand.Float64() >= rate) {
		return
	}
	attrs := make([]slog.Attr, 0, 8)
	attrs = append(attrs,
		slog.String("method", r.Method),
		slog.String("route", r.Pattern),
		slog.Int("status", rec.status))
	if r.Pattern == "" || r.Pattern == "/" { // no route: the path says what was asked
		path := r.URL.Path
		if len(path) > 200 {
			path = path[:200]
		}
		attrs = append(attrs, slog.String("path", path))
	}
	if rec.code != 0 {
		attrs = append(attrs, slog.Int("code", int(rec.code)))
	}
	attrs = append(attrs,
		slog.Float64("durationMs", float64(d.Microseconds())/1000),
		slog.String("requestId", id))
	if rec.userID != "" {
		attrs = append(attrs, slog.String("userId", rec.userID))
	}
	a.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
}
