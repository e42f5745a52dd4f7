package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/httpapi"
)

// accessLog is the API of e, served again with an access log at the given rate into a
// buffer: e's requests then go through it (and are still checked against the OpenAPI
// document).
func accessLog(e *env, rate float64) *jsonLines {
	e.t.Helper()
	logs := &jsonLines{}
	api := httpapi.New(e.svc, httpapi.Options{Rooms: e.rooms,
		Config: httpapi.Config{MaxBodyBytes: 256 << 10, MaxUploadBytes: 2 << 20, AccessLog: rate},
		Logger: slog.New(slog.NewJSONHandler(logs, nil)),
	})
	e.srv = httptest.NewServer(api)
	e.t.Cleanup(e.srv.Close)
	return logs
}

func TestAccessLogLine(t *testing.T) {
	e := newEnv(t)
	logs := accessLog(e, 1)
	token, _ := e.login("alice")
	for _, tc := range []struct {
		q    req
		want map[string]any // fields of the line; nil: absent
	}{
		{req{method: "GET", path: "/api/v3/users/alice", token: token},
			map[string]any{"method": "GET", "route": "GET /api/v3/users/{userId}", "status": 200.0, "code": nil, "userId": "alice", "path": nil}},
		{req{method: "GET", path: "/api/v3/channels/no-such-channel", token: token},
			map[string]any{"route": "GET /api/v3/channels/{channelId}", "status": 404.0, "code": 400400.0, "userId": "alice"}},
		{req{method: "POST", path: "/api/v5/sessions", header: map[string]string{"X-API-Key": testAPIKey}, body: `{"userId":`},
			map[string]any{"route": "POST /api/v5/sessions", "status": 400.0, "code": 400000.0, "userId": nil}},
		{req{method: "GET", path: "/api/v3/users/alice", token: "not-a-token"},
			map[string]any{"status": 401.0, "code": 400100.0, "userId": nil}},
		{req{method: "DELETE", path: "/api/v9/nothing-here", token: token},
			map[string]any{"route": "/", "path": "/api/v9/nothing-here", "status": 404.0, "code": 400400.0}},
	} {
		id := fmt.Sprint("access-", len(logs.lines()))
		tc.q.header = mergeHeader(tc.q.header, "X-Request-Id", id)
		e.do(tc.q)
		line := logs.waitFor(t, id)
		if line["msg"] != "request" || line["level"] != "INFO" {
			t.Errorf("%s %s: line %v", tc.q.method, tc.q.path, line)
		}
		if d, ok := line["durationMs"].(float64); !ok || d < 0 {
			t.Errorf("%s %s: durationMs %v", tc.q.method, tc.q.path, line["durationMs"])
		}
		for k, want := range tc.want {
			if got := line[k]; got != want {
				t.Errorf("%s %s: %s = %v, want %v (line %v)", tc.q.method, tc.q.path, k, got, want, line)
			}
		}
	}
	// Probes that succeed are not logged.
	e.do(req{method: "GET", path: "/healthz", header: map[string]string{"X-Request-Id": "probe"}}).ok()
	e.do(req{method: "GET", path: "/api/v3/users/alice", token: token, header: map[string]string{"X-Request-Id": "after-probe"}}).ok()
	logs.waitFor(t, "after-probe")
	if logs.find("probe") != nil {
		t.Error("a successful /healthz was logged")
	}
}

func TestAccessLogSampling(t *testing.T) {
	e := newEnv(t)
	logs := accessLog(e, 1e-12) // in effect: no success is logged
	token, _ := e.login("bob")
	for i := range 20 {
		e.do(req{method: "GET", path: "/api/v3/users/bob", token: token, header: map[string]string{"X-Request-Id": fmt.Sprint("ok-", i)}}).ok()
	}
	e.do(req{method: "GET", path: "/api/v3/users/nobody", token: token, header: map[string]string{"X-Request-Id": "failed"}}).expect(404, 400400)
	e.srv.Close() // waits for the requests to end, and so for their lines
	if logs.find("failed") == nil {
		t.Error("an error answer was not logged while sampling")
	}
	if n := logs.count(); n != 1 {
		t.Fatalf("%d lines with sampling, want only the error's", n)
	}

	e = newEnv(t)
	logs = accessLog(e, 0) // off
	e.do(req{method: "GET", path: "/api/v3/users/nobody", header: map[string]string{"X-Request-Id": "off"}}).expect(401, 400100)
	e.do(req{method: "GET", path: "/healthz"}).ok()
	e.srv.Close()
	if n := logs.count(); n != 0 {
		t.Fatalf("the access log is off, yet %d lines", n)
	}
}

func mergeHeader(h map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for hk, hv := range h {
		out[hk] = hv
	}
	return out
}

// jsonLines keeps JSON log lines written by the server's goroutines.
type jsonLines struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *jsonLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *jsonLines) lines() []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	dec := json.NewDecoder(bytes.NewReader(l.b.Bytes()))
	for {
		var m map[string]any
		if dec.Decode(&m) != nil {
			return out
		}
		out = append(out, m)
	}
}

func (l *jsonLines) count() int { return len(l.lines()) }

func (l *jsonLines) find(requestID string) map[string]any {
	for _, m := range l.lines() {
		if m["requestId"] == requestID {
			return m
		}
	}
	return nil
}

// waitFor returns the line of a request: it is written as the request ends, which may
// be just after the client has read the answer.
func (l *jsonLines) waitFor(t *testing.T, requestID string) map[string]any {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if m := l.find(requestID); m != nil {
			return m
		}
	}
	t.Fatalf("no access log line for request %s; lines:\n%v", requestID, l.lines())
	return nil
}

// A caller's X-Request-Id is echoed and logged only when it is printable ASCII of at most
// 64 characters; anything else is replaced by a fresh id.
func TestRequestIDIsPrintableASCII(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		id   string
		kept bool
	}{
		{"trace-42", true},
		{"caf\xc3\xa9", false},
		{"bad\xff", false},
		{"two words", false},
		{string(bytes.Repeat([]byte("a"), 65)), false},
	} {
		res := e.do(req{method: "GET", path: "/healthz", header: map[string]string{"X-Request-Id": tc.id}})
		got := res.Header.Get("X-Request-Id")
		if (got == tc.id) != tc.kept || got == "" {
			t.Errorf("X-Request-Id %q: answered %q, want kept=%v", tc.id, got, tc.kept)
		}
	}
}
