package main

import (
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// The MQTT WebSocket on /mqtt of a real server takes upgrades only from the origins of
// PARLEY_CORS_ORIGINS (and from clients that send no Origin), and preflights are answered.
func TestMQTTWebSocketOriginFollowsCORSOrigins(t *testing.T) {
	const app = "http://app.example:3000"
	p := start(t, t.TempDir(), "PARLEY_CORS_ORIGINS="+app)
	url := "ws" + strings.TrimPrefix(p.base, "http") + "/mqtt"
	dialer := websocket.Dialer{Subprotocols: []string{"mqtt"}}
	dial := func(origin string) (*http.Response, error) {
		h := http.Header{}
		if origin != "" {
			h.Set("Origin", origin)
		}
		c, res, err := dialer.Dial(url, h)
		if err == nil {
			c.Close()
		}
		return res, err
	}
	if res, err := dial("http://evil.example"); err == nil || res == nil || res.StatusCode != http.StatusForbidden {
		t.Fatalf("unlisted origin: %v, %+v", err, res)
	}
	for _, origin := range []string{app, ""} {
		if _, err := dial(origin); err != nil {
			t.Fatalf("origin %q: %v", origin, err)
		}
	}

	r, _ := http.NewRequest("OPTIONS", p.base+"/api/v5/sessions", nil)
	r.Header.Set("Origin", app)
	r.Header.Set("Access-Control-Request-Method", "POST")
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent || res.Header.Get("Access-Control-Allow-Origin") != app {
		t.Fatalf("preflight: %d, Allow-Origin %q", res.StatusCode, res.Header.Get("Access-Control-Allow-Origin"))
	}
}

func TestBadCORSOriginIsRefused(t *testing.T) {
	out, err := exec.Command(binary, "serve", "-cors-origins", "app.example", "-data-dir", t.TempDir()).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "-cors-origins") {
		t.Fatalf("want a refusal naming the setting, got %v: %s", err, out)
	}
}
