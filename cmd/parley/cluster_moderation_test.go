package main

import (
	"encoding/json"
	"net/http"
	"os"
	"testing"

	"github.com/parley-chat/parley/internal/store/storetest"
)

// Node caches that moderation changes invalidate: a role's permissions and the compiled
// blocklist. A change made through one node holds on the other on its very next request,
// though that node had the caller and the rules cached (docs/moderation.md).
func TestClusterSharesRoleAndBlocklistChanges(t *testing.T) {
	natsURL := os.Getenv(NATSEnv)
	if os.Getenv(storetest.PostgresEnv) == "" || natsURL == "" {
		t.Skipf("cluster test: set %s and %s to run it", storetest.PostgresEnv, NATSEnv)
	}
	db := storetest.Target(t, "postgres")
	var network string
	t.Cleanup(func() { deleteStream(t, natsURL, network) })
	env := []string{"PARLEY_DB=" + db, "PARLEY_NATS_URL=" + natsURL, "PARLEY_API_KEY=" + clusterAPIKey,
		"PARLEY_SERVER_KEY=cluster-server-key", "PARLEY_SHUTDOWN_GRACE=2s", "PARLEY_DRAIN_DELAY=0s"}
	n1 := startNode(t, "node1", env)
	n2 := startNode(t, "node2", env)
	admin := n1.adminToken(t)
	a := n1.login(t, "alice")
	network = a.network
	n1.login(t, "cy")
	n1.login(t, "dee")
	must := func(s int, out map[string]any, want int, what string) {
		t.Helper()
		if s != want {
			t.Fatalf("%s: %d %v, want %d", what, s, out, want)
		}
	}

	// alice holds a custom role granting BAN_USER; node 2 caches her as such.
	s, out := n1.call(t, "POST", "/api/v3/roles", admin, map[string]any{"roleId": "banner", "permissions": []string{"BAN_USER"}})
	must(s, out, 200, "create the role on node 1")
	s, out = n1.call(t, "PUT", "/api/v3/users", admin, map[string]any{"userId": "alice", "roles": []string{"banner"}})
	must(s, out, 200, "give alice the role")
	s, out = n2.call(t, "POST", "/api/v2/users/ban", a.token, map[string]any{"userId": "cy"})
	must(s, out, 200, "alice bans cy through node 2")
	// The role loses BAN_USER on node 1: node 2 refuses alice at once.
	s, out = n1.call(t, "PUT", "/api/v3/roles/banner", admin, map[string]any{"permissions": []string{}})
	must(s, out, 200, "edit the role on node 1")
	s, out = n2.call(t, "POST", "/api/v2/users/ban", a.token, map[string]any{"userId": "dee"})
	must(s, out, 403, "alice bans dee through node 2 after the edit")

	// Node 2 compiles the (empty) rules on a first message; a word blocked through node 1
	// is refused by node 2 on the next one.
	s, out = n2.call(t, "POST", "/api/v3/channels", a.token, map[string]any{"channelId": "m1", "type": "community"})
	must(s, out, 200, "create a channel")
	ch := n2.channelID(t, a.token, "m1")
	s, out = n2.call(t, "POST", "/api/v5/messages", a.token, textMessage(ch, "darn"))
	must(s, out, 200, "send before the word is blocked")
	s, out = n1.call(t, "POST", "/api/v3/blocklists", admin, map[string]any{"data": []any{map[string]any{"text": "DARN"}}})
	must(s, out, 200, "block the word on node 1")
	s, out = n2.call(t, "POST", "/api/v5/messages", a.token, textMessage(ch, "darn"))
	must(s, out, 403, "send the blocked word through node 2")
}

func (n *node) adminToken(t *testing.T) string {
	t.Helper()
	req, _ := http.NewRequest("POST", n.base+"/api/v1/admin-token", nil)
	req.Header.Set("x-server-key", "cluster-server-key")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct{ AdminToken string }
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || out.AdminToken == "" {
		t.Fatalf("admin token from %s: %d %v", n.name, res.StatusCode, err)
	}
	return out.AdminToken
}
