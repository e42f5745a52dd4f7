package httpapi_test

import (
	"fmt"
	"testing"
)

// Custom roles: who may define them, and that checks read their permissions at once,
// despite the session cache, for network roles and for channel roles alike.
func TestCustomRolesGrantTheirPermissions(t *testing.T) {
	e := newEnv(t)
	admin := e.adminToken()
	amy, _ := e.user("amy")
	bo, _ := e.user("bo")
	e.user("cy")
	e.do(req{method: "GET", path: "/api/v3/users/amy", token: amy}).ok() // cache amy's session

	def := map[string]any{"roleId": "banner", "displayName": "Banner", "permissions": []string{"BAN_USER"}}
	// Who may: not a plain user; bad definitions and built-in roles are refused.
	e.do(req{method: "POST", path: "/api/v3/roles", token: amy, body: def}).expect(403, 400301)
	e.do(req{method: "POST", path: "/api/v3/roles", token: admin, body: map[string]any{"roleId": "x", "permissions": []string{"FLY"}}}).expect(400, 400000)
	e.do(req{method: "POST", path: "/api/v3/roles", token: admin, body: map[string]any{"roleId": "x"}}).expect(400, 400000)
	e.do(req{method: "POST", path: "/api/v3/roles", token: admin, body: map[string]any{"roleId": "global-admin", "permissions": []string{}}}).expect(403, 400300)
	e.do(req{method: "PUT", path: "/api/v3/roles/channel-moderator", token: admin, body: map[string]any{"permissions": []string{}}}).expect(403, 400300)
	e.do(req{method: "PUT", path: "/api/v3/roles/ghost", token: admin, body: map[string]any{"permissions": []string{}}}).expect(404, 400400)
	if e.count("roles", "") != 0 || e.count("moderation_audit", "") != 0 {
		t.Fatal("refused role writes wrote")
	}

	m := e.do(req{method: "POST", path: "/api/v3/roles", token: admin, body: def}).ok().JSON()
	if r := m["roles"].([]any)[0].(map[string]any); r["roleId"] != "banner" || fmt.Sprint(r["permissions"]) != "[BAN_USER]" {
		t.Fatalf("created: %v", m)
	}
	e.do(req{method: "POST", path: "/api/v3/roles", token: admin, body: def}).expect(409, 400900)
	// The SDK's getRole reads an array.
	var one []map[string]any
	e.do(req{method: "GET", path: "/api/v3/roles/banner", token: amy}).ok().Decode(&one)
	if len(one) != 1 || one[0]["displayName"] != "Banner" {
		t.Fatalf("GET role: %v", one)
	}
	e.do(req{method: "GET", path: "/api/v3/roles/channel-moderator", token: amy}).ok()
	e.do(req{method: "GET", path: "/api/v3/roles/ghost", token: amy}).expect(404, 400400)

	// amy holds it: she may ban globally, on her next request.
	e.do(req{method: "POST", path: "/api/v2/users/ban", token: amy, body: map[string]any{"userId": "cy"}}).expect(403, 400301)
	u := e.do(req{method: "PUT", path: "/api/v3/users", token: admin, body: map[string]any{"userId": "amy", "roles": []string{"banner"}}}).ok().JSON()
	if p := fmt.Sprint(u["users"].([]any)[0].(map[string]any)["permissions"]); p != "[BAN_USER]" {
		t.Fatalf("amy's permissions: %s", p)
	}
	e.do(req{method: "POST", path: "/api/v2/users/ban", token: amy, body: map[string]any{"userId": "cy"}}).ok()

	// Editing the role takes BAN_USER away at once; EDIT_USER comes instead.
	e.do(req{method: "PUT", path: "/api/v3/roles/banner", token: amy, body: map[string]any{"permissions": []string{}}}).expect(403, 400301)
	e.do(req{method: "PUT", path: "/api/v3/roles/banner", token: admin, body: map[string]any{"permissions": []string{"EDIT_USER"}, "reason": "narrower"}}).ok()
	e.do(req{method: "POST", path: "/api/v2/users/unban", token: amy, body: map[string]any{"userId": "cy"}}).expect(403, 400301)
	e.do(req{method: "PUT", path: "/api/v3/users", token: amy, body: map[string]any{"userId": "bo", "displayName": "Edited by amy"}}).ok()

	// As a channel role: a member holding it in a channel gets its permissions there.
	e.do(req{method: "PUT", path: "/api/v3/roles/banner", token: admin, body: map[string]any{"permissions": []string{"BAN_USER_FROM_CHANNEL"}}}).ok()
	e.createChannel(bo, map[string]any{"channelId": "c", "userIds": []string{"amy", "cy"}})
	e.do(req{method: "PUT", path: "/api/v3/users", token: admin, body: map[string]any{"userId": "amy", "roles": []string{}}}).ok()
	e.do(req{method: "PUT", path: "/api/v3/channels/c/users/ban", token: amy, body: map[string]any{"userIds": []string{"cy"}}}).expect(403, 400301)
	e.do(req{method: "POST", path: "/api/v3/channels/c/users/roles", token: bo, body: map[string]any{"role": "banner", "userIds": []string{"amy"}}}).ok()
	e.do(req{method: "PUT", path: "/api/v3/channels/c/users/ban", token: amy, body: map[string]any{"userIds": []string{"cy"}}}).ok()

	// Deleted: it grants nothing, though members keep its id.
	e.do(req{method: "DELETE", path: "/api/v3/roles/banner", token: amy}).expect(403, 400301)
	e.do(req{method: "DELETE", path: "/api/v3/roles/banner", token: admin}).ok()
	e.do(req{method: "PUT", path: "/api/v3/channels/c/users/unban", token: amy, body: map[string]any{"userIds": []string{"cy"}}}).expect(403, 400301)
	e.do(req{method: "GET", path: "/api/v3/roles/banner", token: amy}).expect(404, 400400)
	if n := e.count("moderation_audit", "target_type = 'role' AND target_id = 'banner'"); n != 4 {
		t.Fatalf("role audit entries: %d", n)
	}
}
