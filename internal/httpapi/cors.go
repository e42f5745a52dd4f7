package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/parley-chat/parley/internal/chat"
)

// CORS lets a web app on another origin call the API and open /mqtt from a browser.
// Clients authenticate with a Bearer token (and the API key header at login), never with
// cookies, so answering `*` gives a page nothing it could not do with the token it holds;
// a deployment may still name its apps' origins (PARLEY_CORS_ORIGINS).
const (
	corsAllowMethods = "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS"
	// What the SDK sends: Authorization after login; X-API-Key and set-access-token-cookie
	// at login; Content-Type on bodies. Servers send x-server-key; X-Request-Id is honoured
	// when a client sets it; Range and the conditional headers serve file downloads.
	corsAllowHeaders = "Authorization, Content-Type, X-API-Key, Set-Access-Token-Cookie, X-Server-Key, X-Request-Id, " +
		"Range, If-None-Match, If-Modified-Since, If-Range"
	// Headers a page may read beyond the safelisted ones: the request id for support,
	// and what downloads answer.
	corsExposeHeaders = "X-Request-Id, Content-Length, Content-Disposition, Content-Range, Accept-Ranges, ETag"
	// Browsers cap it (Chromium at 2 h); past that they ask again, which costs a round trip.
	corsMaxAge = "7200"
)

// ParseCORSOrigins reads the comma-separated origin list of PARLEY_CORS_ORIGINS: `*`, or
// origins written scheme://host[:port] (no path). An empty list allows no cross-origin
// browser at all.
func ParseCORSOrigins(s string) ([]string, error) {
	out := []string{} // not nil: an empty list is not the default `*`
	for _, o := range strings.Split(s, ",") {
		o = strings.TrimSpace(o)
		switch {
		case o == "":
			continue
		case o == "*" || o == "null":
			out = append(out, o)
			continue
		}
		u, err := url.Parse(o)
		if err != nil || u.Scheme == "" || u.Host == "" || u.User != nil || strings.TrimSuffix(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("%q is not an origin: write scheme://host[:port], or *", o)
		}
		out = append(out, strings.ToLower(u.Scheme+"://"+u.Host))
	}
	return out, nil
}

// corsPolicy is the parsed origin list.
type corsPolicy struct {
	any     bool
	origins map[string]bool
}

func newCORSPolicy(origins []string) corsPolicy {
	p := corsPolicy{origins: map[string]bool{}}
	for _, o := range origins {
		if o == "*" {
			p.any = true
		}
		p.origins[strings.ToLower(o)] = true
	}
	return p
}

func (p corsPolicy) allows(origin string) bool { return p.any || p.origins[strings.ToLower(origin)] }

// cors adds the CORS headers to a request from a browser and answers it itself when it is
// a preflight, or a WebSocket upgrade from an origin that may not connect. It reports
// whether it answered.
//
// A preflight from an origin not in the list is refused with 403 and an error body (code
// 400300), so that the browser's console and a curl show why, rather than a 204 that
// fails later for no visible reason. Simple requests from such origins are served without
// CORS headers: the browser then keeps the answer from the page, and non-browser clients,
// which send no Origin, are not CORS's business.
func (a *API) cors(w http.ResponseWriter, r *http.Request) bool {
	h := w.Header()
	if !a.corsPolicy.any {
		h.Add("Vary", "Origin") // the answer depends on it: keep caches from mixing origins
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
	if !a.corsPolicy.allows(origin) {
		// A browser page may open a WebSocket to any host, and no preflight guards it: the
		// Origin check is the only one there is. A page on the server's own origin is fine.
		if preflight || (isWebSocketUpgrade(r) && !sameOrigin(r, origin)) {
			a.writeError(w, r, chat.Errorf(chat.CodeForbidden, "Origin %s is not allowed (PARLEY_CORS_ORIGINS).", origin))
			return true
		}
		return false
	}
	if a.corsPolicy.any {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.Set("Access-Control-Allow-Origin", origin)
	}
	if !preflight {
		h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
		return false
	}
	h.Set("Access-Control-Allow-Methods", corsAllowMethods)
	h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
	h.Set("Access-Control-Max-Age", corsMaxAge)
	// Chromium asks before a public page reaches a private address (Parley on a LAN).
	if r.Header.Get("Access-Control-Request-Private-Network") == "true" {
		h.Set("Access-Control-Allow-Private-Network", "true")
	}
	w.WriteHeader(http.StatusNoContent)
	return true
}

func isWebSocketUpgrade(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// sameOrigin tells whether origin names the host the request was sent to.
func sameOrigin(r *http.Request, origin string) bool {
	u, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}
