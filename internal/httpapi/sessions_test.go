package httpapi_test

import (
	"strings"
	"testing"
)

func apiKey(k string) map[string]string { return map[string]string{"X-API-Key": k} }

func TestLoginCreatesUserAndTokenWorks(t *testing.T) {
	e := newEnv(t)
	tok, u := e.login("alice")
	if u["userId"] != "alice" || u["displayName"] != "User alice" {
		t.Fatalf("login user: %v", u)
	}
	if !strings.Contains(u["path"].(string), "/user/"+u["_id"].(string)) {
		t.Fatalf("path %v must name the internal id", u["path"])
	}
	got := e.do(req{method: "GET", path: "/api/v3/users/alice", token: tok}).ok().JSON()
	users := got["users"].([]any)
	if len(users) != 1 || users[0].(map[string]any)["_id"] != u["_id"] {
		t.Fatalf("get user: %v", got)
	}
	// A second login keeps the same user and renames it when displayName is given.
	r := e.do(req{method: "POST", path: "/api/v4/sessions", header: apiKey(testAPIKey),
		body: map[string]any{"userId": "alice", "deviceId": "d2", "displayName": "Alice"}}).ok().JSON()
	u2 := r["users"].([]any)[0].(map[string]any)
	if u2["_id"] != u["_id"] || u2["displayName"] != "Alice" {
		t.Fatalf("second login: %v", u2)
	}
	if n := e.count("users", "user_id = ?", "alice"); n != 1 {
		t.Fatalf("users named alice: %d", n)
	}
}

func TestLoginRefusals(t *testing.T) {
	e := newEnv(t)
	long := strings.Repeat("x", 51)
	cases := []struct {
		name   string
		header map[string]string
		body   any
		status int
		code   int
	}{
		{"wrong api key", apiKey("nope"), map[string]any{"userId": "a", "deviceId": "d"}, 401, 400100},
		{"no api key", nil, map[string]any{"userId": "a", "deviceId": "d"}, 401, 400100},
		{"missing userId", apiKey(testAPIKey), map[string]any{"deviceId": "d"}, 400, 400000},
		{"missing deviceId", apiKey(testAPIKey), map[string]any{"userId": "a"}, 400, 400000},
		{"empty userId", apiKey(testAPIKey), map[string]any{"userId": "", "deviceId": "d"}, 400, 400000},
		{"long userId", apiKey(testAPIKey), map[string]any{"userId": long, "deviceId": "d"}, 400, 400000},
		{"long displayName", apiKey(testAPIKey), map[string]any{"userId": "a", "deviceId": "d", "displayName": long}, 400, 400000},
		{"userId wrong type", apiKey(testAPIKey), map[string]any{"userId": 5, "deviceId": "d"}, 400, 400000},
		{"unknown device kind", apiKey(testAPIKey), map[string]any{"userId": "a", "deviceId": "d", "deviceInfo": map[string]any{"kind": "toaster"}}, 400, 400000},
		{"malformed json", apiKey(testAPIKey), `{"userId":`, 400, 400000},
		{"not an object", apiKey(testAPIKey), `[1,2]`, 400, 400000},
		{"trailing data", apiKey(testAPIKey), `{"userId":"a","deviceId":"d"} {}`, 400, 400000},
		{"empty body", apiKey(testAPIKey), ``, 400, 400000},
		{"oversized body", apiKey(testAPIKey), `{"userId":"a","deviceId":"d","x":"` + strings.Repeat("y", 300<<10) + `"}`, 400, 400000},
		{"admin user", apiKey(testAPIKey), map[string]any{"userId": "_parley_admin", "deviceId": "d"}, 403, 400300},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.in(t).do(req{method: "POST", path: "/api/v5/sessions", header: c.header, body: c.body}).expect(c.status, c.code)
		})
	}
	if n := e.count("users", "user_id <> ?", "_parley_admin"); n != 0 {
		t.Fatalf("refused logins created %d users", n)
	}
	if n := e.count("sessions", ""); n != 0 {
		t.Fatalf("refused logins created %d sessions", n)
	}
}

func TestWrongContentTypeIsRefused(t *testing.T) {
	e := newEnv(t)
	r := e.do(req{method: "POST", path: "/api/v5/sessions", header: map[string]string{"X-API-Key": testAPIKey, "Content-Type": "text/plain"},
		body: `{"userId":"a","deviceId":"d"}`})
	// The kit set application/json; override happens through header, applied after.
	r.expect(400, 400000)
}

func TestBearerTokenChecks(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.login("bob")
	for name, token := range map[string]string{
		"garbage":         "abc",
		"tampered":        tok[:len(tok)-2] + "xx",
		"other signature": strings.Replace(tok, ".", ".e30.", 1),
	} {
		t.Run(name, func(t *testing.T) {
			e.do(req{method: "GET", path: "/api/v3/users/bob", token: token}).expect(401, 400100)
		})
	}
	e.do(req{method: "GET", path: "/api/v3/users/bob"}).expect(401, 400100)
}

func TestLogoutRevokesTokenAtOnce(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.login("carol")
	other, _ := e.login("carol")
	e.do(req{method: "GET", path: "/api/v3/users/carol", token: tok}).ok() // now cached
	e.do(req{method: "DELETE", path: "/api/v4/sessions", token: tok}).ok()
	e.do(req{method: "GET", path: "/api/v3/users/carol", token: tok}).expect(401, 400100)
	// Only that session ended.
	e.do(req{method: "GET", path: "/api/v3/users/carol", token: other}).ok()
}

func TestAdminRevokesAllSessionsOfAUser(t *testing.T) {
	e := newEnv(t)
	t1, _ := e.login("dave")
	t2, _ := e.login("dave")
	mallory, _ := e.login("mallory")
	e.do(req{method: "GET", path: "/api/v3/users/dave", token: t1}).ok()
	// Not an admin: refused, and nothing revoked.
	e.do(req{method: "DELETE", path: "/api/v4/sessions/users/dave", token: mallory}).expect(403, 400301)
	e.do(req{method: "GET", path: "/api/v3/users/dave", token: t1}).ok()

	admin := e.adminToken()
	e.do(req{method: "DELETE", path: "/api/v4/sessions/users/nobody", token: admin}).expect(404, 400400)
	e.do(req{method: "DELETE", path: "/api/v4/sessions/users/dave", token: admin}).ok()
	e.do(req{method: "GET", path: "/api/v3/users/dave", token: t1}).expect(401, 400100)
	e.do(req{method: "GET", path: "/api/v3/users/dave", token: t2}).expect(401, 400100)
	// The same through DELETE /api/v4/sessions?userId=.
	m2, _ := e.login("mallory")
	e.do(req{method: "DELETE", path: "/api/v4/sessions?userId=mallory", token: admin}).ok()
	e.do(req{method: "GET", path: "/api/v3/users/mallory", token: m2}).expect(401, 400100)
	if n := e.count("outbox", "type = ?", "internal.sessionsRevoked"); n != 2 {
		t.Fatalf("revocation events: %d", n)
	}
}

func TestAdminToken(t *testing.T) {
	e := newEnv(t)
	e.do(req{method: "POST", path: "/api/v1/admin-token", header: map[string]string{"x-server-key": "wrong"}}).expect(401, 400100)
	e.do(req{method: "POST", path: "/api/v1/admin-token"}).expect(401, 400100)
	admin := e.adminToken()
	// The admin creates a user ahead of their first login.
	r := e.do(req{method: "PUT", path: "/api/v3/users", token: admin,
		body: map[string]any{"userId": "erin", "displayName": "Erin", "createNewUserWhenNotFound": true}}).ok().JSON()
	if r["users"].([]any)[0].(map[string]any)["displayName"] != "Erin" {
		t.Fatalf("created: %v", r)
	}
	roles := e.do(req{method: "GET", path: "/api/v3/roles", token: admin}).ok().JSON()
	if !strings.Contains(string(e.do(req{method: "GET", path: "/api/v3/roles", token: admin}).Body), `"global-admin"`) {
		t.Fatalf("roles: %v", roles)
	}
}

func TestSecureMode(t *testing.T) {
	e := newEnv(t, secureMode)
	login := func(body map[string]any) *resp {
		return e.do(req{method: "POST", path: "/api/v5/sessions", header: apiKey(testAPIKey), body: body})
	}
	login(map[string]any{"userId": "sam", "deviceId": "d"}).expect(401, 400100)
	login(map[string]any{"userId": "sam", "deviceId": "d", "authToken": "forged.token"}).expect(401, 400100)

	e.do(req{method: "POST", path: "/api/v4/authentication/token", header: map[string]string{"x-server-key": "bad"}, body: map[string]any{"userId": "sam"}}).expect(401, 400100)
	e.do(req{method: "POST", path: "/api/v4/authentication/token", header: map[string]string{"x-server-key": testServerKey}, body: map[string]any{}}).expect(400, 400000)
	r := e.do(req{method: "POST", path: "/api/v4/authentication/token", header: map[string]string{"x-server-key": testServerKey}, body: map[string]any{"userId": "sam"}}).ok()
	tok := string(r.Body)
	// The token is bound to its user.
	login(map[string]any{"userId": "other", "deviceId": "d", "authToken": tok}).expect(401, 400100)
	login(map[string]any{"userId": "sam", "deviceId": "d", "authToken": tok}).ok()

	var v3 string
	e.do(req{method: "GET", path: "/api/v3/authentication/token?userId=tim", header: map[string]string{"x-server-key": testServerKey}}).ok().Decode(&v3)
	login(map[string]any{"userId": "tim", "deviceId": "d", "authToken": v3}).ok()
}

func TestChatSettingsAnswer(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.login("ann")
	m := e.do(req{method: "GET", path: "/api/v3/network-settings/chat", token: tok}).ok().JSON()
	mp := m["messagePreview"].(map[string]any)
	if _, ok := mp["enabled"].(bool); !ok {
		t.Fatalf("messagePreview.enabled missing: %v", m)
	}
}

func TestHealthAndMetrics(t *testing.T) {
	e := newEnv(t)
	e.do(req{method: "GET", path: "/healthz"}).ok()
	e.do(req{method: "GET", path: "/readyz"}).ok()
	e.login("x")
	r := e.do(req{method: "GET", path: "/metrics"}).ok()
	if !strings.Contains(string(r.Body), `parley_http_requests_total{route="POST /api/v5/sessions",status="200"}`) {
		t.Fatalf("metrics lack the login: %s", r.Body)
	}
	e.do(req{method: "GET", path: "/api/openapi.yaml"}).ok()
	e.do(req{method: "GET", path: "/api/v9/nothing"}).expect(404, 400400)
}

// The 7.x SDK's loginWithAccessToken checks the token it is handed with GET
// /api/v3/sessions before using it; a 400100 makes it drop the token.
func TestCurrentSession(t *testing.T) {
	e := newEnv(t)
	tok, u := e.login("frank")
	r := e.do(req{method: "GET", path: "/api/v3/sessions", token: tok}).ok().JSON()
	if r["accessToken"] != tok || r["userType"] != "user" {
		t.Fatalf("session: %v", r)
	}
	users := r["users"].([]any)
	if len(users) != 1 || users[0].(map[string]any)["_id"] != u["_id"] || users[0].(map[string]any)["userId"] != "frank" {
		t.Fatalf("session users: %v", users)
	}
	if r["issuedAt"] == "" || r["expiresAt"] == "" || r["issuedAt"] == r["expiresAt"] {
		t.Fatalf("session times: %v / %v", r["issuedAt"], r["expiresAt"])
	}
	for name, token := range map[string]string{"none": "", "garbage": "abc", "tampered": tok[:len(tok)-2] + "xx"} {
		t.Run(name, func(t *testing.T) {
			e.do(req{method: "GET", path: "/api/v3/sessions", token: token}).expect(401, 400100)
		})
	}
	e.do(req{method: "DELETE", path: "/api/v4/sessions", token: tok}).ok()
	e.do(req{method: "GET", path: "/api/v3/sessions", token: tok}).expect(401, 400100)
	if n := e.count("sessions", ""); n != 1 {
		t.Fatalf("GET /api/v3/sessions must create no session: %d rows", n)
	}
}
