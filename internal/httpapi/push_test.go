package httpapi_test

import (
	"testing"
)

// Push registration and settings (docs/push.md), through the router and a real store.

func registerBody(userID, deviceID, platform, token string) map[string]any {
	return map[string]any{"userId": userID, "deviceId": deviceID, "platform": platform, "token": token}
}

func TestPushRegisterDevice(t *testing.T) {
	e := newEnv(t)
	alice, aliceU := e.user("alice")
	e.do(req{method: "POST", path: "/v1/notification", token: alice, body: registerBody("alice", "phone-1", "android", "fcm-token-1")}).ok()
	if n := e.count("push_devices", "device_id = ? AND user_id = ? AND platform = 'android' AND token = 'fcm-token-1'", "phone-1", aliceU.id()); n != 1 {
		t.Fatalf("device rows = %d, want 1", n)
	}
	// Registering again replaces the token; the same token under another device moves.
	e.do(req{method: "POST", path: "/v1/notification", token: alice, body: registerBody("alice", "phone-1", "android", "fcm-token-2")}).ok()
	e.do(req{method: "POST", path: "/v1/notification", token: alice, body: registerBody("alice", "phone-2", "android", "fcm-token-2")}).ok()
	if n := e.count("push_devices", "token = 'fcm-token-2'"); n != 1 {
		t.Fatalf("a token is held by %d devices, want 1", n)
	}
	// The device id moves to whoever registers it last.
	bob, bobU := e.user("bob")
	e.do(req{method: "POST", path: "/v1/notification", token: bob, body: registerBody("bob", "phone-2", "ios", "ABCDEF0123")}).ok()
	if e.count("push_devices", "device_id = 'phone-2' AND user_id = ?", bobU.id()) != 1 {
		t.Fatal("device did not move to bob")
	}
	web := `{"endpoint":"https://push.example/abc","keys":{"p256dh":"x","auth":"y"}}`
	e.do(req{method: "POST", path: "/v1/notification", token: alice, body: registerBody("alice", "browser", "web", web)}).ok()

	// Unregister one device, then every device.
	e.do(req{method: "DELETE", path: "/v1/notification?deviceId=browser", token: alice}).ok()
	if e.count("push_devices", "device_id = 'browser'") != 0 {
		t.Fatal("device not unregistered")
	}
	e.do(req{method: "DELETE", path: "/v1/notification?deviceId=unknown", token: alice}).ok()
	e.do(req{method: "DELETE", path: "/v1/notification?userId=alice", token: alice}).ok()
	if e.count("push_devices", "user_id = ?", aliceU.id()) != 0 {
		t.Fatal("devices left after unregistering all")
	}
	// Another user's devices are not the caller's to drop.
	e.do(req{method: "DELETE", path: "/v1/notification?userId=bob", token: alice}).expect(403, 400301)
	if e.count("push_devices", "user_id = ?", bobU.id()) != 1 {
		t.Fatal("bob's device went")
	}
}

func TestPushRegisterRefusesBadInput(t *testing.T) {
	e := newEnv(t)
	alice, _ := e.user("alice")
	for name, body := range map[string]any{
		"not json":          `{"userId":`,
		"no token":          map[string]any{"userId": "alice", "deviceId": "d", "platform": "android"},
		"no device":         map[string]any{"userId": "alice", "token": "t", "platform": "android"},
		"no user":           map[string]any{"deviceId": "d", "token": "t", "platform": "android"},
		"unknown platform":  registerBody("alice", "d", "blackberry", "t"),
		"token wrong type":  map[string]any{"userId": "alice", "deviceId": "d", "platform": "android", "token": 5},
		"ios token not hex": registerBody("alice", "d", "ios", "not-hex!"),
		"ios token long":    registerBody("alice", "d", "ios", repeat("a", 401)),
		"android long":      registerBody("alice", "d", "android", repeat("a", 1001)),
		"device id long":    registerBody("alice", repeat("d", 151), "android", "t"),
		"web not a sub":     registerBody("alice", "d", "web", "plain"),
		"empty token":       registerBody("alice", "d", "android", ""),
	} {
		t.Run(name, func(t *testing.T) {
			e.in(t).do(req{method: "POST", path: "/v1/notification", token: alice, body: body}).expect(400, 400000)
		})
	}
	// Someone else's userId is refused, not registered under the caller.
	e.do(req{method: "POST", path: "/v1/notification", token: alice, body: registerBody("bob", "d", "android", "t")}).expect(403, 400301)
	e.do(req{method: "POST", path: "/v1/notification", body: registerBody("alice", "d", "android", "t")}).expect(401, 400100)
	if n := e.count("push_devices", "1 = 1"); n != 0 {
		t.Fatalf("refused registrations wrote %d devices", n)
	}
}

func repeat(s string, n int) string {
	out := make([]byte, 0, n*len(s))
	for range n {
		out = append(out, s...)
	}
	return string(out)
}

// Logging out unregisters the device the session logged in from; an admin's revocation
// of a user unregisters all of theirs.
func TestPushLogoutUnregisters(t *testing.T) {
	e := newEnv(t)
	alice, aliceU := e.user("alice") // logs in from "device-alice"
	e.do(req{method: "POST", path: "/v1/notification", token: alice, body: registerBody("alice", "device-alice", "android", "a1")}).ok()
	e.do(req{method: "POST", path: "/v1/notification", token: alice, body: registerBody("alice", "tablet", "android", "a2")}).ok()
	e.do(req{method: "DELETE", path: "/api/v4/sessions", token: alice}).ok()
	if e.count("push_devices", "device_id = 'device-alice'") != 0 || e.count("push_devices", "device_id = 'tablet'") != 1 {
		t.Fatal("logout must drop its own device only")
	}
	e.do(req{method: "DELETE", path: "/api/v4/sessions/users/alice", token: e.adminToken()}).ok()
	if n := e.count("push_devices", "user_id = ?", aliceU.id()); n != 0 {
		t.Fatalf("revoked user keeps %d devices", n)
	}
}

func TestPushSettings(t *testing.T) {
	e := newEnv(t)
	alice, aliceU := e.user("alice")
	e.createChannel(alice, map[string]any{"channelId": "c"})
	get := func(q string) map[string]any {
		return e.do(req{method: "GET", path: "/api/v3/notification/setting?" + q, token: alice}).ok().JSON()
	}
	save := func(body map[string]any) *resp {
		return e.do(req{method: "POST", path: "/api/v3/notification/setting", token: alice, body: body})
	}
	u := get("level=user")
	if u["isPushNotifiable"] != true || len(u["notifiableEvents"].([]any)) != 4 {
		t.Fatalf("defaults: %v", u)
	}
	save(map[string]any{"level": "user", "notifiableEvents": []any{
		map[string]any{"moduleName": "chat", "name": "message.created", "isPushNotifiable": false}}}).ok()
	for _, ev := range get("level=user")["notifiableEvents"].([]any) {
		m := ev.(map[string]any)
		if want := m["name"] != "message.created"; m["isPushNotifiable"] != want {
			t.Fatalf("event %v isPushNotifiable %v", m["name"], m["isPushNotifiable"])
		}
	}
	save(map[string]any{"level": "channel", "channelId": "c", "isPushNotifiable": false}).ok()
	if ch := get("level=channel&channelId=c"); ch["isPushNotifiable"] != false || ch["channelId"] != "c" {
		t.Fatalf("channel level: %v", ch)
	}
	save(map[string]any{"level": "channel", "channelId": "c", "isPushNotifiable": true}).ok()
	if get("level=channel&channelId=c")["isPushNotifiable"] != true {
		t.Fatal("channel unmute not saved")
	}
	if e.count("push_settings", "user_id = ?", aliceU.id()) != 2 {
		t.Fatal("want one row per switch")
	}
	// The network level: anyone reads it, admins write it.
	if get("level=network")["isPushNotifiable"] != true {
		t.Fatal("network default")
	}
	save(map[string]any{"level": "network", "isPushNotifiable": false}).expect(403, 400301)
	e.do(req{method: "POST", path: "/api/v3/notification/setting", token: e.adminToken(),
		body: map[string]any{"level": "network", "isPushNotifiable": false}}).ok()
	if get("level=network")["isPushNotifiable"] != false {
		t.Fatal("network switch not saved")
	}

	before := e.count("push_settings", "1 = 1")
	for name, body := range map[string]any{
		"not json":        `[`,
		"no level":        map[string]any{"isPushNotifiable": true},
		"unknown level":   map[string]any{"level": "community", "isPushNotifiable": true},
		"nothing to save": map[string]any{"level": "user"},
		"channel no id":   map[string]any{"level": "channel", "isPushNotifiable": false},
		"unknown event":   map[string]any{"level": "user", "notifiableEvents": []any{map[string]any{"name": "post.created", "isPushNotifiable": false}}},
		"event no switch": map[string]any{"level": "user", "notifiableEvents": []any{map[string]any{"name": "message.created"}}},
		"empty events":    map[string]any{"level": "user", "notifiableEvents": []any{}},
		"events wrong":    map[string]any{"level": "user", "notifiableEvents": "all"},
		"switch wrong":    map[string]any{"level": "user", "isPushNotifiable": "no"},
		// A valid first event must not be saved when a later one is refused.
		"half valid": map[string]any{"level": "user", "notifiableEvents": []any{
			map[string]any{"name": "channel.created", "isPushNotifiable": false}, map[string]any{"name": "nope", "isPushNotifiable": false}}},
	} {
		t.Run(name, func(t *testing.T) {
			e.in(t).do(req{method: "POST", path: "/api/v3/notification/setting", token: alice, body: body}).expect(400, 400000)
		})
	}
	save(map[string]any{"level": "channel", "channelId": "missing", "isPushNotifiable": false}).expect(404, 400400)
	if e.count("push_settings", "1 = 1") != before {
		t.Fatal("a refused save wrote settings")
	}
	e.do(req{method: "GET", path: "/api/v3/notification/setting?level=bogus", token: alice}).expect(400, 400000)
	e.do(req{method: "GET", path: "/api/v3/notification/setting", token: alice}).expect(400, 400000)
	e.do(req{method: "GET", path: "/api/v3/notification/setting?level=channel", token: alice}).expect(400, 400000)
	e.do(req{method: "GET", path: "/api/v3/notification/setting?level=channel&channelId=missing", token: alice}).expect(404, 400400)
}
