package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// TestPushSurvivesKill9 runs the real binary in push webhook mode against a slow
// receiver, kills it with SIGKILL right after the last message was acknowledged, and
// starts it again on the same data: every acknowledged message's push reaches every
// device. A push that was being sent when the process died is sent again once its lease
// ends, with the same id (the receiver's dedupe key); nothing else is repeated.
func TestPushSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: this test waits 25 s for the dead process's leases; run it without -short")
	}
	var mu sync.Mutex
	got := map[string]int{}  // messageId|target -> deliveries
	byID := map[string]int{} // notification id -> deliveries
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var p struct {
			ID   string
			Data struct {
				EventName string
				MessageID string
				TargetIDs []string
			}
		}
		json.Unmarshal(body, &p)
		time.Sleep(100 * time.Millisecond) // slow: the kill finds pushes queued and in flight
		mu.Lock()
		if p.Data.EventName == "message.created" && len(p.Data.TargetIDs) == 1 {
			got[p.Data.MessageID+"|"+p.Data.TargetIDs[0]]++
		}
		byID[p.ID]++
		mu.Unlock()
	}))
	defer hook.Close()
	dir := t.TempDir()
	env := []string{"PARLEY_API_KEY=" + clusterAPIKey, "PARLEY_PUSH_WEBHOOK_URL=" + hook.URL}
	p := start(t, dir, env...)
	n := &node{name: "push", base: p.base, cmd: p.cmd, done: p.done}
	alice := n.login(t, "alice")
	members := []string{"bob", "carol", "dave", "erin", "frank"}
	for _, m := range members {
		a := n.login(t, m)
		if s, out := n.call(t, "POST", "/v1/notification", a.token, map[string]any{"userId": m, "deviceId": "phone-" + m, "platform": "android", "token": "tok-" + m}); s != 200 {
			t.Fatalf("register %s: %d %v", m, s, out)
		}
	}
	// One message per channel: pushes of one device and channel coalesce, and this test
	// wants every message's push.
	var acked []string
	for i := range 20 {
		id := fmt.Sprintf("c%d", i)
		if s, out := n.call(t, "POST", "/api/v3/channels", alice.token, map[string]any{"channelId": id, "userIds": members}); s != 200 {
			t.Fatalf("channel: %d %v", s, out)
		}
		s, out := n.call(t, "POST", "/api/v5/messages", alice.token, textMessage(n.channelID(t, alice.token, id), "m"+id))
		if s != 200 {
			t.Fatalf("message: %d %v", s, out)
		}
		acked = append(acked, out["messages"].([]any)[0].(map[string]any)["messageId"].(string))
	}
	n.kill(t)
	mu.Lock()
	before := len(got)
	mu.Unlock()
	want := len(acked) * len(members)
	if before >= want {
		t.Fatalf("every push was sent before the kill (%d): the test proves nothing; slow the receiver", before)
	}
	start(t, dir, env...)
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		missing := 0
		for _, m := range acked {
			for _, u := range members {
				if got[m+"|"+u] == 0 {
					missing++
				}
			}
		}
		mu.Unlock()
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d pushes never delivered after the restart (%d before the kill)", missing, want, before)
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(time.Second) // anything sent twice would arrive now
	mu.Lock()
	defer mu.Unlock()
	again := 0
	for id, c := range byID {
		if c > 2 {
			t.Errorf("notification %s delivered %d times", id, c)
		}
		if c == 2 {
			again++
		}
	}
	// Sent twice only what was in flight at the kill (at most the dispatcher's 64),
	// each time under its own notification id.
	if again > 64 {
		t.Errorf("%d notifications sent twice; at most the 64 in flight may be", again)
	}
	t.Logf("%d pushes delivered before the kill, all %d after the restart; %d sent again after their lease (same id)", before, want, again)
}
