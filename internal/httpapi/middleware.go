package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/chat"
)

// authed is a handler that needs a logged-in caller.
type authed func(w http.ResponseWriter, r *http.Request, c *chat.Caller)

// auth checks the Bearer token before h runs. Every failure is 400100, the code the SDK
// treats as "session over".
func (a *API) auth(h authed) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || token == "" {
			a.writeError(w, r, chat.Unauthorized("Missing access token."))
			return
		}
		c, err := a.svc.Authenticate(r.Context(), strings.TrimSpace(token))
		if err != nil {
			a.writeError(w, r, err)
			return
		}
		if rec := recorderOf(w); rec != nil && c.User != nil {
			rec.userID = c.User.UserID
		}
		h(w, r, c)
	}
}

// outer wraps every request: a request id, CORS (preflights are answered here, for every
// route and /mqtt), a body size limit, panic recovery (a panic is a 500000, never a
// dropped connection), metrics and the access log.
func (a *API) outer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			var b [8]byte
			rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-Id", id)
		limit := a.cfg.MaxBodyBytes
		if isUpload(r) {
			limit = a.cfg.MaxUploadBytes
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		if a.cors(rec, r) {
			d := time.Since(start)
			a.metrics.observe("cors", rec.status, d)
			a.logAccess(r, rec, id, d)
			return
		}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				a.log.Error("panic", "requestId", id, "path", r.URL.Path, "panic", p)
				a.writeError(rec, r, chat.Errorf(chat.CodeInternal, "Internal error. Request id: %s", id))
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			d := time.Since(start)
			a.metrics.observe(route, rec.status, d)
			a.logAccess(r, rec, id, d)
		}()
		next.ServeHTTP(rec, r)
	})
}

// validRequestID takes a caller's X-Request-Id only when it is 1 to 64 printable ASCII
// characters: it is echoed in a header and written to the logs as it is.
func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

func isUpload(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/api/v4/") &&
		(strings.HasSuffix(r.URL.Path, "/files") || strings.HasSuffix(r.URL.Path, "/images") || strings.HasSuffix(r.URL.Path, "/videos"))
}
