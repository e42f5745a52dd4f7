package httpapi_test

// The livekit media backend against a real LiveKit server on loopback, driven by
// LiveKit's own Go client SDK (server-sdk-go: it connects with Parley's tokens over
// WebRTC and publishes an audio track). Runs when PARLEY_TEST_LIVEKIT holds the path of
// a livekit-server v1.8.4 binary (scripts/install-livekit.sh builds one and prints its
// path); the test starts its own server on free ports, with webhooks to the test's
// Parley.

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/media"
	"github.com/pion/webrtc/v4"
)

// liveKitBinary is the livekit-server to test against, or a skip.
func liveKitBinary(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("PARLEY_TEST_LIVEKIT")
	if bin == "" {
		t.Skip("PARLEY_TEST_LIVEKIT is unset: set it to the path of a livekit-server v1.8.4 binary " +
			"(scripts/install-livekit.sh builds one and prints its path) to test against a real LiveKit server")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("PARLEY_TEST_LIVEKIT: %v", err)
	}
	if addr := outsideAddress(); addr != "" {
		// The WebRTC client offers ICE candidates on every non-loopback interface, and the
		// media server then sends to them: run only where those interfaces are the test's own.
		t.Skipf("this machine has the address %s: run this test through scripts/test-livekit.sh, "+
			"which gives it a network namespace of its own", addr)
	}
	return bin
}

// isolatedNet is the only non-loopback network the test accepts: the one
// scripts/test-livekit.sh makes inside its own network namespace.
var _, isolatedNet, _ = net.ParseCIDR("10.203.0.0/24")

// outsideAddress returns an interface address that is neither loopback, link-local nor
// in isolatedNet, or "" when there is none.
func outsideAddress() string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok || ipn.IP.IsLoopback() || ipn.IP.IsLinkLocalUnicast() || isolatedNet.Contains(ipn.IP) {
			continue
		}
		return ipn.IP.String()
	}
	return ""
}

// freePort returns a loopback port nothing listens on (TCP or UDP).
func freePort(t *testing.T, network string) int {
	t.Helper()
	if network == "udp" {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startLiveKit runs livekit-server on loopback, on free ports, with the test key pair and
// webhooks to webhookURL, until the test ends. It returns once the server answers.
func startLiveKit(t *testing.T, bin string, port int, webhookURL string) (logPath string) {
	t.Helper()
	conf := fmt.Sprintf(`port: %d
bind_addresses: [127.0.0.1]
rtc:
  tcp_port: %d
  udp_port: %d
  node_ip: 127.0.0.1
  use_external_ip: false
  enable_loopback_candidate: true
  ips:
    includes: [127.0.0.1/32]
keys:
  %s: %s
webhook:
  api_key: %s
  urls: [%q]
logging:
  level: info
`, port, freePort(t, "tcp"), freePort(t, "udp"), testLiveKitKey, testLiveKitSecret, testLiveKitKey, webhookURL)
	logPath = filepath.Join(t.TempDir(), "livekit.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config-body", conf)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	started := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		logFile.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			if len(b) > 8000 {
				b = b[len(b)-8000:]
			}
			t.Logf("livekit-server log (tail):\n%s", b)
		}
	})
	waitFor(t, 30*time.Second, "livekit-server to answer", func() bool {
		res, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == 200
	})
	t.Logf("livekit-server ready in %v", time.Since(started).Round(time.Millisecond))
	return logPath
}

// waitFor polls cond until it holds, failing the test after limit. The limit is a
// deadline for a slow machine, not a timing assertion.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// broadcasterToken fetches a user's LiveKit token and URL from Parley.
func (e *env) broadcasterToken(tok, roomID string) (string, string) {
	e.t.Helper()
	var bd struct {
		CoHostToken string `json:"coHostToken"`
		CoHostURL   string `json:"coHostUrl"`
	}
	e.do(req{method: "GET", path: "/api/v1/rooms/" + roomID + "/token", token: tok}).ok().Decode(&bd)
	return bd.CoHostToken, bd.CoHostURL
}

// lkClient is a broadcaster connected with LiveKit's client SDK.
type lkClient struct {
	room         *lksdk.Room
	mu           sync.Mutex
	disconnected bool
	stop         func()
}

func (c *lkClient) isDisconnected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.disconnected
}

// connect joins LiveKit with a token, like an app with the token Parley gave it.
func connect(t *testing.T, url, token string) (*lkClient, error) {
	t.Helper()
	c := &lkClient{stop: func() {}}
	cb := lksdk.NewRoomCallback()
	cb.OnDisconnected = func() { c.mu.Lock(); c.disconnected = true; c.mu.Unlock() }
	cb.OnDisconnectedWithReason = func(lksdk.DisconnectionReason) { c.mu.Lock(); c.disconnected = true; c.mu.Unlock() }
	room, err := lksdk.ConnectToRoomWithToken(url, token, cb, lksdk.WithAutoSubscribe(false))
	if err != nil {
		return nil, err
	}
	c.room = room
	t.Cleanup(c.close)
	return c, nil
}

// publish publishes an audio track fed with silence, as a broadcaster going live does.
func (c *lkClient) publish(t *testing.T) {
	t.Helper()
	track, err := lksdk.NewLocalSampleTrack(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.room.LocalParticipant.PublishTrack(track, &lksdk.TrackPublicationOptions{Name: "mic"}); err != nil {
		t.Fatal(err)
	}
	if err := track.StartWrite(lksdk.NewNullSampleProvider(16000), func() {}); err != nil {
		t.Fatal(err)
	}
}

func (c *lkClient) close() {
	if c.room != nil {
		c.room.Disconnect()
	}
}

// removals counts the RemoveParticipant calls LiveKit logged as done for an identity.
func removals(logPath, identity string) int {
	b, _ := os.ReadFile(logPath)
	n := 0
	for _, line := range bytes.Split(b, []byte("\n")) {
		if bytes.Contains(line, []byte("API RoomService.RemoveParticipant")) &&
			bytes.Contains(line, []byte(`"participant": "`+identity+`"`)) && bytes.Contains(line, []byte(`"status": "200"`)) {
			n++
		}
	}
	return n
}

// identities lists who is in a LiveKit room, asked of LiveKit's RoomService.
func identities(t *testing.T, lk *media.LiveKit, room string) []string {
	t.Helper()
	ctx, err := lk.AdminContext(context.Background(), room)
	if err != nil {
		t.Fatal(err)
	}
	res, err := lk.RoomService().ListParticipants(ctx, &livekit.ListParticipantsRequest{Room: room})
	if err != nil {
		if strings.Contains(err.Error(), "not_found") {
			return nil
		}
		t.Fatal(err)
	}
	var out []string
	for _, p := range res.Participants {
		out = append(out, p.Identity)
	}
	return out
}

// The whole flow on a real LiveKit: a host's token lets them publish and the room goes
// live through LiveKit's signed webhooks; a co-host's token is accepted by LiveKit;
// removing the co-host takes them out of LiveKit's participant list at once, gets them
// no new token, and their reconnecting with the old token is cut off; the host dropping
// and coming back moves the room through waitingReconnect; the LiveKit room closing ends
// the room with its times.
func TestLiveKitServer(t *testing.T) {
	bin := liveKitBinary(t)
	began := time.Now()
	port := freePort(t, "tcp")
	e, lk := newLiveKitEnv(t, fmt.Sprintf("ws://127.0.0.1:%d", port))
	logPath := startLiveKit(t, bin, port, e.srv.URL+"/webhooks/livekit")

	alice, au := e.login("alice")
	bob, bu := e.login("bob")
	carol, _ := e.login("carol")
	id := e.mkRoom(alice, map[string]any{"title": "live on LiveKit", "type": "coHosts"})["_id"].(string)
	e.cohost(alice, id, bob, "bob")
	aliceID, bobID := au["_id"].(string), bu["_id"].(string)
	status := func() string { return e.roomStatus(alice, id)["status"].(string) }
	if s := status(); s != "idle" {
		t.Fatalf("a new room: %s", s)
	}

	// The host goes live: connect with Parley's token, publish a track.
	tok, url := e.broadcasterToken(alice, id)
	step := time.Now()
	host, err := connect(t, url, tok)
	if err != nil {
		t.Fatalf("LiveKit refused the host's token: %v", err)
	}
	host.publish(t)
	waitFor(t, 30*time.Second, "the room to go live", func() bool { return status() == "live" })
	t.Logf("host connect + publish → live: %v", time.Since(step).Round(time.Millisecond))

	// The co-host's token is accepted by LiveKit.
	joinedSeq := e.lastEvent("room.participantJoined").Seq // bob's invitation accepted
	tok, url = e.broadcasterToken(bob, id)
	bobOld := tok
	co, err := connect(t, url, tok)
	if err != nil {
		t.Fatalf("LiveKit refused the co-host's token: %v", err)
	}
	waitFor(t, 10*time.Second, "bob in LiveKit's participant list", func() bool {
		return slices.Contains(identities(t, lk, id), bobID)
	})
	bobJoined := func() bool {
		for _, ev := range e.outboxOf("room.participantJoined") {
			if ev.Seq > joinedSeq && bytes.Contains(ev.RawData, []byte(`"eventActor":{"userInternalId":"`+bobID+`"}`)) {
				return true
			}
		}
		return false
	}
	waitFor(t, 10*time.Second, "LiveKit's participant_joined for bob", bobJoined)
	joinedSeq = e.lastEvent("room.participantJoined").Seq
	e.do(req{method: "GET", path: "/api/v1/rooms/" + id + "/token", token: carol}).expect(403, 400301)

	// Removing bob takes him out of LiveKit at once, and gets him no new token.
	step = time.Now()
	e.do(req{method: "DELETE", path: "/api/v1/rooms/" + id + "/participants", token: alice,
		body: map[string]any{"participantUserId": "bob"}}).ok()
	if ids := identities(t, lk, id); slices.Contains(ids, bobID) {
		t.Fatalf("bob is still in LiveKit after his removal: %v", ids)
	}
	t.Logf("removal → gone from LiveKit: %v", time.Since(step).Round(time.Millisecond))
	waitFor(t, 10*time.Second, "bob's client to learn it was disconnected", co.isDisconnected)
	e.do(req{method: "GET", path: "/api/v1/rooms/" + id + "/token", token: bob}).expect(403, 400301)

	// Bob comes back with his old token. LiveKit cannot revoke it, so it lets him in;
	// its webhook tells Parley, which cuts him off again.
	step = time.Now()
	again, err := connect(t, url, bobOld)
	if err == nil {
		waitFor(t, 10*time.Second, "bob's rejoin to be cut off", func() bool {
			return again.isDisconnected() && !slices.Contains(identities(t, lk, id), bobID)
		})
		t.Logf("rejoin with an old token → cut off: %v", time.Since(step).Round(time.Millisecond))
	} else {
		t.Logf("rejoin with an old token refused at connect: %v", err)
	}
	if ids := identities(t, lk, id); !slices.Equal(ids, []string{aliceID}) {
		t.Fatalf("LiveKit's participants after the removal: %v", ids)
	}
	// Parley did it: LiveKit logs two RemoveParticipant calls for bob that removed
	// someone, the removal and the cut.
	waitFor(t, 10*time.Second, "LiveKit to log Parley's second RemoveParticipant", func() bool {
		return removals(logPath, bobID) == 2
	})
	if bobJoined() {
		t.Fatal("bob's refused rejoin was published")
	}

	// The host drops: waitingReconnect; back and publishing: live again.
	host.close()
	waitFor(t, 30*time.Second, "waitingReconnect", func() bool { return status() == "waitingReconnect" })
	tok, url = e.broadcasterToken(alice, id)
	host, err = connect(t, url, tok)
	if err != nil {
		t.Fatal(err)
	}
	host.publish(t)
	waitFor(t, 30*time.Second, "live again", func() bool { return status() == "live" })

	// The LiveKit room closes: the room has ended, with its times.
	ctx, _ := lk.AdminContext(context.Background(), id)
	if _, err := lk.RoomService().DeleteRoom(ctx, &livekit.DeleteRoomRequest{Room: id}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "ended", func() bool { return status() == "ended" })
	r := e.roomStatus(alice, id)
	if r["liveAt"] == nil || r["endedAt"] == nil || r["durationSeconds"] == nil {
		t.Fatalf("ended room: liveAt %v endedAt %v durationSeconds %v", r["liveAt"], r["endedAt"], r["durationSeconds"])
	}
	for typ, n := range map[string]int{"room.startBroadcasting": 2, "room.waitingReconnect": 1, "room.endBroadcasting": 1} {
		if got := len(e.outboxOf(chat.EventType(typ))); got != n {
			t.Fatalf("%s events: %d, want %d", typ, got, n)
		}
	}
	e.do(req{method: "GET", path: "/api/v1/rooms/" + id + "/token", token: alice}).expect(403, 400300)
	t.Logf("whole flow against livekit-server: %v", time.Since(began).Round(time.Millisecond))
}
