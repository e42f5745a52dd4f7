package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/store/storetest"
)

// TestWebhooksSurviveKill9: every message whose create was answered 200 before the
// process is killed with SIGKILL reaches the webhook receiver after a restart. The
// receiver dedupes by webhook-id, as Standard Webhooks receivers do; the test reports
// how many duplicates (deliveries sent before the kill whose result was not yet
// recorded) it saw. On PostgreSQL with PARLEY_TEST_DIALECT=postgres.
func TestWebhooksSurviveKill9(t *testing.T) {
	var env []string
	if storetest.Dialect(t) == "postgres" {
		env = append(env, "PARLEY_DB="+storetest.Target(t, "postgres"))
	}
	env = append(env, "PARLEY_API_KEY=k", "PARLEY_SERVER_KEY=s", "PARLEY_WEBHOOK_TIMEOUT=1s")
	dir := t.TempDir()

	var mu sync.Mutex
	seen := map[string]int{}      // webhook-id → times received
	messages := map[string]bool{} // message ids delivered
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(2 * time.Millisecond) // a receiver that takes a little time: a backlog builds up
		body, _ := io.ReadAll(r.Body)
		var in struct {
			Data struct {
				Messages []struct {
					MessageID string `json:"messageId"`
				} `json:"messages"`
			} `json:"data"`
		}
		json.Unmarshal(body, &in)
		mu.Lock()
		seen[r.Header.Get("webhook-id")]++
		for _, m := range in.Data.Messages {
			messages[m.MessageID] = true
		}
		mu.Unlock()
	}))
	defer recv.Close()

	p := start(t, dir, env...)
	admin := call(t, p, "", "POST", "/api/v1/admin-token", nil, map[string]string{"x-server-key": "s"})["adminToken"].(string)
	call(t, p, admin, "POST", "/api/v1/webhooks", map[string]any{"url": recv.URL, "eventTypes": []string{"message.didCreate"}}, nil)
	token := call(t, p, "", "POST", "/api/v5/sessions", map[string]any{"userId": "u", "deviceId": "d"}, map[string]string{"X-API-Key": "k"})["accessToken"].(string)
	var feeds []string
	for i := range 4 {
		ch := call(t, p, token, "POST", "/api/v3/channels", map[string]any{"channelId": fmt.Sprint("c", i), "type": "community"}, nil)
		feeds = append(feeds, ch["channels"].([]any)[0].(map[string]any)["channelInternalId"].(string))
	}

	// Four writers send until the kill; what was answered 200 was committed.
	var committedMu sync.Mutex
	var committed []string
	var acked atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for _, feed := range feeds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				body, _ := json.Marshal(map[string]any{"messageFeedId": feed, "dataType": "text", "data": map[string]any{"text": fmt.Sprint(i)}})
				req, _ := http.NewRequest("POST", p.base+"/api/v5/messages", strings.NewReader(string(body)))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+token)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					return // killed
				}
				var out struct {
					Messages []struct {
						MessageID string `json:"messageId"`
					} `json:"messages"`
				}
				json.NewDecoder(res.Body).Decode(&out)
				res.Body.Close()
				if res.StatusCode == 200 && len(out.Messages) == 1 {
					committedMu.Lock()
					committed = append(committed, out.Messages[0].MessageID)
					committedMu.Unlock()
					acked.Add(1)
				}
			}
		}()
	}
	for acked.Load() < 200 {
		time.Sleep(5 * time.Millisecond)
	}
	p.cmd.Process.Kill() // SIGKILL: no drain, no goodbye
	<-p.done
	close(stop)
	wg.Wait()
	mu.Lock()
	before := len(messages)
	mu.Unlock()

	p = start(t, dir, env...)
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		var missing []string
		for _, id := range committed {
			if !messages[id] {
				missing = append(missing, id)
			}
		}
		dups := 0
		for _, n := range seen {
			dups += n - 1
		}
		mu.Unlock()
		if len(missing) == 0 {
			t.Logf("%d messages committed before the kill, %d delivered before it, all delivered after the restart; %d duplicate deliveries (same webhook-id)",
				len(committed), before, dups)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d committed messages never delivered after the restart, e.g. %s", len(missing), len(committed), missing[0])
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.stop(t)
}

// call makes a JSON request to a running server and decodes the answer, failing unless
// it is 200.
func call(t *testing.T, p *proc, token, method, path string, body any, header map[string]string) map[string]any {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, p.base+path, r)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, out)
	}
	var m map[string]any
	json.Unmarshal(out, &m)
	return m
}
