package main

// The cluster test: two `parley serve` processes (the real binary) on their own loopback
// ports, sharing one PostgreSQL database (a schema of this test's own) and one NATS
// server with JetStream. It needs PARLEY_TEST_POSTGRES and PARLEY_TEST_NATS.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/parley-chat/parley/internal/store/storetest"
)

// NATSEnv holds the URL of a NATS server with JetStream for the cluster test.
const NATSEnv = "PARLEY_TEST_NATS"

const clusterAPIKey = "cluster-api-key"

func TestClusterOfTwoNodes(t *testing.T) {
	natsURL := os.Getenv(NATSEnv)
	if os.Getenv(storetest.PostgresEnv) == "" || natsURL == "" {
		t.Skipf("cluster test: set %s (a PostgreSQL URL) and %s (a NATS URL with JetStream, e.g. nats://127.0.0.1:4222) to run it",
			storetest.PostgresEnv, NATSEnv)
	}
	db := storetest.Target(t, "postgres") // a fresh schema, dropped at the end
	var network string                    // known once a token is seen; names the NATS stream
	t.Cleanup(func() { deleteStream(t, natsURL, network) })
	env := []string{"PARLEY_DB=" + db, "PARLEY_NATS_URL=" + natsURL, "PARLEY_API_KEY=" + clusterAPIKey,
		"PARLEY_SERVER_KEY=cluster-server-key", "PARLEY_SHUTDOWN_GRACE=2s", "PARLEY_DRAIN_DELAY=0s"}
	n1 := startNode(t, "node1", env)
	n2 := startNode(t, "node2", env)

	// A user logged in on node 1 acts on node 2 with the same token.
	a := n1.login(t, "alice")
	network = a.network
	b := n2.login(t, "bob")
	if s, out := n2.call(t, "POST", "/api/v3/channels", a.token, map[string]any{"channelId": "c1", "type": "community", "userIds": []string{"bob"}}); s != 200 {
		t.Fatalf("node 2 refused alice's node-1 token: %d %v", s, out)
	}
	c1 := n1.channelID(t, a.token, "c1")

	// A message sent through node 2 reaches an MQTT client connected to node 1.
	bobOn1 := n1.mqtt(t, b, "bob-on-1")
	bobOn1.subscribe(t, network+"/chat/"+c1+"/#")
	if s, out := n2.call(t, "POST", "/api/v5/messages", a.token, textMessage(c1, "hello from node 2")); s != 200 {
		t.Fatalf("send on node 2: %d %v", s, out)
	}
	if got := bobOn1.nextText(t, "message.created"); got != "hello from node 2" {
		t.Fatalf("node 1's client got %q", got)
	}

	// A token revoked on node 2 is refused by node 1 on the very next request (node 1 had
	// it cached), and its MQTT connection on node 1 closes.
	aliceOn1 := n1.mqtt(t, a, "alice-on-1")
	if s, _ := n1.call(t, "GET", "/api/v3/users/alice", a.token, nil); s != 200 {
		t.Fatalf("node 1 before the revocation: %d", s)
	}
	if s, out := n2.call(t, "DELETE", "/api/v4/sessions", a.token, nil); s != 200 {
		t.Fatalf("logout on node 2: %d %v", s, out)
	}
	if s, _ := n1.call(t, "GET", "/api/v3/users/alice", a.token, nil); s != 401 {
		t.Fatalf("node 1 answered %d to a token revoked on node 2, want 401", s)
	}
	select {
	case <-aliceOn1.lost:
	case <-time.After(10 * time.Second):
		t.Fatal("the revoked session's MQTT connection on node 1 is still open")
	}

	// Killing the node that runs the relay loses no event: messages committed before and
	// after the kill all reach a client of the surviving node, in order per channel.
	leader, survivor := n1, n2
	if !n1.logHas("relay lease acquired") {
		leader, survivor = n2, n1
	}
	chans := []string{"k1", "k2"}
	ids := map[string]string{}
	for _, ch := range chans {
		if s, out := survivor.call(t, "POST", "/api/v3/channels", b.token, map[string]any{"channelId": ch, "type": "community"}); s != 200 {
			t.Fatalf("create %s: %d %v", ch, s, out)
		}
		ids[ch] = survivor.channelID(t, b.token, ch)
	}
	watcher := survivor.mqtt(t, b, "bob-watcher")
	for _, ch := range chans {
		watcher.subscribe(t, network+"/chat/"+ids[ch]+"/#")
	}
	const perChannel = 60
	half := make(chan struct{})
	var wg sync.WaitGroup
	for ci, ch := range chans {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perChannel {
				if ci == 0 && i == perChannel/2 {
					close(half)
				}
				if s, out := survivor.call(t, "POST", "/api/v5/messages", b.token, textMessage(ids[ch], ch+" "+strconv.Itoa(i))); s != 200 {
					t.Errorf("send %s %d: %d %v", ch, i, s, out)
					return
				}
			}
		}()
	}
	<-half
	killed := time.Now()
	leader.kill(t)
	took := survivor.waitLog(t, "relay lease acquired", 30*time.Second)
	t.Logf("%s killed; %s took the relay over %v later", leader.name, survivor.name, took.Sub(killed).Round(time.Millisecond))
	wg.Wait()

	next := map[string]int{}
	dups := 0
	for total := 0; total < len(chans)*perChannel; {
		text := watcher.nextText(t, "message.created")
		ch, n, _ := strings.Cut(text, " ")
		i, _ := strconv.Atoi(n)
		switch {
		case i == next[ch]:
			next[ch]++
			total++
		case i < next[ch]:
			dups++ // at least once: a repeat is allowed, a skip is not
		default:
			t.Fatalf("%s: message %d arrived before %d", ch, i, next[ch])
		}
	}
	t.Logf("%d messages over the kill arrived in order per channel, %d repeated", len(chans)*perChannel, dups)
}

// node is one `parley serve` process of the cluster.
type node struct {
	name   string
	base   string
	mqttAt string
	cmd    *exec.Cmd
	log    *syncBuffer
	done   chan error
}

func startNode(t *testing.T, name string, env []string) *node {
	t.Helper()
	addr := freeAddr(t)
	n := &node{name: name, base: "http://" + addr, mqttAt: freeAddr(t), log: &syncBuffer{}, done: make(chan error, 1)}
	n.cmd = exec.Command(binary, "serve")
	n.cmd.Env = append(os.Environ(), append([]string{"PARLEY_LISTEN=" + addr, "PARLEY_MQTT_LISTEN=" + n.mqttAt, "PARLEY_DATA_DIR=" + t.TempDir()}, env...)...)
	n.cmd.Stderr = n.log
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { n.done <- n.cmd.Wait() }()
	t.Cleanup(func() {
		n.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-n.done:
		case <-time.After(10 * time.Second):
			n.cmd.Process.Kill()
		}
		if t.Failed() {
			t.Logf("%s log:\n%s", n.name, n.log)
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get(n.base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return n
			}
		}
		select {
		case err := <-n.done:
			t.Fatalf("%s exited: %v\n%s", name, err, n.log)
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("%s not ready\n%s", name, n.log)
	return nil
}

// kill ends the node with SIGKILL: no shutdown, its connections simply drop.
func (n *node) kill(t *testing.T) {
	t.Helper()
	n.cmd.Process.Kill()
	<-n.done
	n.done <- nil // for the cleanup
}

func (n *node) logHas(s string) bool { return strings.Contains(n.log.String(), s) }

// waitLog waits until the node's log says s and returns when it was seen.
func (n *node) waitLog(t *testing.T, s string, within time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(within)
	for !n.logHas(s) {
		if time.Now().After(deadline) {
			t.Fatalf("%s never logged %q:\n%s", n.name, s, n.log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Now()
}

type account struct {
	id, token, network string
}

func (n *node) login(t *testing.T, userID string) account {
	t.Helper()
	req, _ := http.NewRequest("POST", n.base+"/api/v5/sessions", strings.NewReader(`{"userId":"`+userID+`","deviceId":"d-`+userID+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", clusterAPIKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		AccessToken string
		Users       []struct {
			ID string `json:"_id"`
		}
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != 200 || len(out.Users) != 1 {
		t.Fatalf("login %s on %s: %d %v", userID, n.name, res.StatusCode, err)
	}
	// The token is a JWT whose claims name the network.
	var claims struct {
		User struct{ NetworkID string }
	}
	parts := strings.Split(out.AccessToken, ".")
	body, _ := base64.RawURLEncoding.DecodeString(parts[1])
	json.Unmarshal(body, &claims)
	return account{id: out.Users[0].ID, token: out.AccessToken, network: claims.User.NetworkID}
}

func (n *node) call(t *testing.T, method, path, token string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, n.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("%s %s on %s: %v", method, path, n.name, err)
		return 0, nil
	}
	defer res.Body.Close()
	var out map[string]any
	json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

func (n *node) channelID(t *testing.T, token, channelID string) string {
	t.Helper()
	s, out := n.call(t, "GET", "/api/v3/channels/"+channelID, token, nil)
	if s != 200 {
		t.Fatalf("get channel %s: %d %v", channelID, s, out)
	}
	return out["channels"].([]any)[0].(map[string]any)["channelInternalId"].(string)
}

func textMessage(channelInternalID, text string) map[string]any {
	return map[string]any{"messageFeedId": channelInternalID, "dataType": "text", "data": map[string]string{"text": text}}
}

// mqttClient is a paho client connected to one node over plain TCP, as the SDK logs in.
type mqttClient struct {
	c    paho.Client
	msgs chan []byte
	lost chan error
}

func (n *node) mqtt(t *testing.T, a account, clientID string) *mqttClient {
	t.Helper()
	m := &mqttClient{msgs: make(chan []byte, 4096), lost: make(chan error, 1)}
	o := paho.NewClientOptions().AddBroker("tcp://" + n.mqttAt).SetClientID(clientID).SetUsername(a.id).SetPassword(a.token)
	o.SetProtocolVersion(4).SetCleanSession(true).SetAutoReconnect(false).SetConnectRetry(false).SetConnectTimeout(5 * time.Second)
	o.SetDefaultPublishHandler(func(_ paho.Client, msg paho.Message) { m.msgs <- msg.Payload() })
	o.SetConnectionLostHandler(func(_ paho.Client, err error) { m.lost <- err })
	m.c = paho.NewClient(o)
	if tok := m.c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("mqtt connect to %s: %v", n.name, tok.Error())
	}
	t.Cleanup(func() { m.c.Disconnect(0) })
	return m
}

func (m *mqttClient) subscribe(t *testing.T, filter string) {
	t.Helper()
	tok := m.c.Subscribe(filter, 0, nil)
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe %s: %v", filter, tok.Error())
	}
	if granted := tok.(*paho.SubscribeToken).Result()[filter]; granted != 0 {
		t.Fatalf("subscribe %s: granted %#x", filter, granted)
	}
}

// nextText waits for the next event of a type and returns its first message's text.
func (m *mqttClient) nextText(t *testing.T, eventType string) string {
	t.Helper()
	for {
		select {
		case p := <-m.msgs:
			var ev struct {
				EventType string
				Data      struct {
					Messages []struct {
						Data struct{ Text string }
					}
				}
			}
			if err := json.Unmarshal(p, &ev); err != nil {
				t.Fatalf("payload is not JSON: %s", p)
			}
			if ev.EventType == eventType && len(ev.Data.Messages) > 0 {
				return ev.Data.Messages[0].Data.Text
			}
		case <-time.After(15 * time.Second):
			t.Fatalf("no %s within 15 s", eventType)
		}
	}
}

// deleteStream removes the network's event stream from NATS, so test runs leave
// nothing behind.
func deleteStream(t *testing.T, url, network string) {
	if network == "" {
		return
	}
	nc, err := nats.Connect(url)
	if err != nil {
		t.Logf("cleanup: %v", err)
		return
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := js.DeleteStream(ctx, "PARLEY_"+network); err != nil {
		t.Logf("cleanup: delete stream: %v", err)
	}
}
