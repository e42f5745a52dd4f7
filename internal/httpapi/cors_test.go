package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/parley-chat/parley/internal/httpapi"
)

// corsEnv is an env whose server allows the given origins and mounts a stand-in for the
// MQTT WebSocket endpoint on /mqtt, the way `parley serve` mounts the broker. reached
// counts the requests that got through to it.
func corsEnv(t *testing.T, origins []string) (e *env, reached *atomic.Int32) {
	t.Helper()
	base := newEnv(t)
	reached = &atomic.Int32{}
	api := httpapi.New(base.svc, httpapi.Options{Rooms: base.rooms, Config: httpapi.Config{CORSOrigins: origins}})
	api.Handle("/mqtt", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	c := *base
	c.srv = httptest.NewServer(api)
	t.Cleanup(c.srv.Close)
	return &c, reached
}

func preflight(path, origin, method, headers string) req {
	return req{method: "OPTIONS", path: path, header: map[string]string{
		"Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers}}
}

// headerList splits a comma-separated header value into lower-case names.
func headerList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		out = append(out, strings.ToLower(strings.TrimSpace(s)))
	}
	return out
}

// The headers the SDK sends from a browser (axios lower-cases nothing; browsers list them
// lower-cased in Access-Control-Request-Headers).
const sdkRequestHeaders = "authorization,content-type,set-access-token-cookie,x-api-key"

func TestCORSPreflightIsAnsweredForEveryRoute(t *testing.T) {
	e, reached := corsEnv(t, nil) // the default: any origin
	const origin = "http://localhost:5173"
	for _, c := range []struct{ method, path string }{
		{"POST", "/api/v5/sessions"},
		{"GET", "/api/v3/channels"},
		{"PUT", "/api/v5/messages/m1"},
		{"DELETE", "/api/v2/reactions"},
		{"POST", "/api/v4/files"},
		{"GET", "/api/v1/rooms/lives"},
		{"GET", "/mqtt"},
	} {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			r := e.in(t).do(preflight(c.path, origin, c.method, sdkRequestHeaders+",x-request-id"))
			if r.Status != http.StatusNoContent || len(r.Body) != 0 {
				t.Fatalf("preflight answered %d: %s", r.Status, r.Body)
			}
			h := r.Header
			if h.Get("Access-Control-Allow-Origin") != "*" {
				t.Errorf("Allow-Origin %q", h.Get("Access-Control-Allow-Origin"))
			}
			if !slices.Contains(headerList(h.Get("Access-Control-Allow-Methods")), strings.ToLower(c.method)) {
				t.Errorf("Allow-Methods %q lacks %s", h.Get("Access-Control-Allow-Methods"), c.method)
			}
			allowed := headerList(h.Get("Access-Control-Allow-Headers"))
			for _, want := range headerList(sdkRequestHeaders + ",x-request-id,x-server-key") {
				if !slices.Contains(allowed, want) {
					t.Errorf("Allow-Headers %q lacks %s", h.Get("Access-Control-Allow-Headers"), want)
				}
			}
			if h.Get("Access-Control-Max-Age") == "" {
				t.Error("no Access-Control-Max-Age: every call would be preceded by a preflight")
			}
		})
	}
	if n := reached.Load(); n != 0 {
		t.Fatalf("a preflight of /mqtt reached the WebSocket handler %d times", n)
	}
}

func TestCORSHeadersOnRealAnswers(t *testing.T) {
	e, _ := corsEnv(t, nil)
	const origin = "http://127.0.0.1:3000"
	login := e.do(req{method: "POST", path: "/api/v5/sessions", header: map[string]string{"X-API-Key": testAPIKey, "Origin": origin},
		body: map[string]any{"userId": "browser", "deviceId": "d1"}}).ok()
	// An error must be readable too, or the SDK sees a network error instead of its code.
	missing := e.do(req{method: "GET", path: "/api/v3/channels/nope", token: login.JSON()["accessToken"].(string),
		header: map[string]string{"Origin": origin}}).expect(404, 400400)
	for name, r := range map[string]*resp{"login": login, "error": missing} {
		if r.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("%s: Allow-Origin %q", name, r.Header.Get("Access-Control-Allow-Origin"))
		}
		exposed := headerList(r.Header.Get("Access-Control-Expose-Headers"))
		for _, want := range []string{"x-request-id", "content-length"} {
			if !slices.Contains(exposed, want) {
				t.Errorf("%s: Expose-Headers %q lacks %s", name, r.Header.Get("Access-Control-Expose-Headers"), want)
			}
		}
		if slices.Contains(r.Header.Values("Vary"), "Origin") {
			t.Errorf("%s: Vary: Origin with `*`: it only splits caches", name)
		}
	}
	// Servers and the SDK in Node send no Origin: nothing CORS about their answers.
	plain := e.do(req{method: "GET", path: "/healthz"}).ok()
	if v := plain.Header.Get("Access-Control-Allow-Origin"); v != "" {
		t.Fatalf("Allow-Origin %q on a request without Origin", v)
	}
}

func TestCORSOriginList(t *testing.T) {
	const app = "http://app.example:3000"
	e, reached := corsEnv(t, []string{app, "https://admin.example"})

	ok := e.do(preflight("/api/v5/sessions", app, "POST", sdkRequestHeaders))
	if ok.Status != http.StatusNoContent || ok.Header.Get("Access-Control-Allow-Origin") != app {
		t.Fatalf("listed origin: %d, Allow-Origin %q", ok.Status, ok.Header.Get("Access-Control-Allow-Origin"))
	}
	if !slices.Contains(ok.Header.Values("Vary"), "Origin") {
		t.Errorf("Vary %q: an answer naming one origin must say it depends on Origin", ok.Header.Values("Vary"))
	}
	// Origins compare without regard to case.
	if r := e.do(preflight("/api/v3/channels", "HTTPS://ADMIN.EXAMPLE", "GET", "authorization")); r.Status != http.StatusNoContent {
		t.Fatalf("upper-case origin: %d", r.Status)
	}

	for _, other := range []string{"http://evil.example", "http://app.example:3001", "https://app.example:3000", "null"} {
		t.Run(other, func(t *testing.T) {
			e := e.in(t)
			no := e.do(preflight("/api/v5/sessions", other, "POST", sdkRequestHeaders)).expect(403, 400300)
			if v := no.Header.Get("Access-Control-Allow-Origin"); v != "" {
				t.Fatalf("refused preflight carries Allow-Origin %q", v)
			}
			// A simple request is served (the browser withholds it from the page), without
			// CORS headers but with Vary, so a cache does not hand it to a listed origin.
			plain := e.do(req{method: "GET", path: "/healthz", header: map[string]string{"Origin": other}}).ok()
			if v := plain.Header.Get("Access-Control-Allow-Origin"); v != "" || !slices.Contains(plain.Header.Values("Vary"), "Origin") {
				t.Fatalf("unlisted origin: Allow-Origin %q, Vary %q", v, plain.Header.Values("Vary"))
			}
		})
	}

	// WebSocket upgrades are never preflighted: /mqtt checks their Origin itself.
	upgrade := func(origin string) req {
		return req{method: "GET", path: "/mqtt", header: map[string]string{
			"Origin": origin, "Connection": "Upgrade", "Upgrade": "websocket",
			"Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Protocol": "mqtt"}}
	}
	e.do(upgrade("http://evil.example")).expect(403, 400300)
	if n := reached.Load(); n != 0 {
		t.Fatalf("an upgrade from an unlisted origin reached /mqtt")
	}
	e.do(upgrade(app)).ok()
	// A page served by Parley's own host is not cross-origin.
	e.do(upgrade("http://" + strings.TrimPrefix(e.srv.URL, "http://"))).ok()
	// Clients outside browsers send no Origin.
	e.do(req{method: "GET", path: "/mqtt", header: map[string]string{"Upgrade": "websocket"}}).ok()
	if n := reached.Load(); n != 3 {
		t.Fatalf("%d upgrades reached /mqtt, want 3", n)
	}
}

func TestCORSEmptyListAllowsNoBrowser(t *testing.T) {
	e, _ := corsEnv(t, []string{})
	e.do(preflight("/api/v5/sessions", "http://localhost:3000", "POST", sdkRequestHeaders)).expect(403, 400300)
}

func TestParseCORSOrigins(t *testing.T) {
	got, err := httpapi.ParseCORSOrigins(" https://App.Example , http://localhost:5173/,*,")
	if err != nil || !slices.Equal(got, []string{"https://app.example", "http://localhost:5173", "*"}) {
		t.Fatalf("got %q, %v", got, err)
	}
	if got, err := httpapi.ParseCORSOrigins(""); err != nil || got == nil || len(got) != 0 {
		t.Fatalf("empty: %q, %v", got, err)
	}
	for _, bad := range []string{"app.example", "https://app.example/path", "https://", "https://app.example?x=1", "*.example.com"} {
		if _, err := httpapi.ParseCORSOrigins(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
