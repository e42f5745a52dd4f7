package httpapi_test

// The livekit media backend through signed webhooks, without a LiveKit server: the
// webhook bodies are the ones LiveKit sends, signed with the API secret the way LiveKit
// signs them, and LiveKit's RoomService is a fake that records the calls Parley makes.
// livekit_server_test.go runs the same flows against a real LiveKit server.

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livekit/protocol/auth"
	"github.com/livekit/protocol/livekit"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/media"
	"google.golang.org/protobuf/encoding/protojson"
)

const (
	testLiveKitKey    = "devkey"
	testLiveKitSecret = "parley-test-livekit-secret-32-chars-long"
)

// newLiveKitEnv is a server whose media backend is LiveKit at url.
func newLiveKitEnv(t *testing.T, url string) (*env, *media.LiveKit) {
	t.Helper()
	lk, err := media.NewLiveKit(media.LiveKitConfig{URL: url, APIKey: testLiveKitKey, APISecret: testLiveKitSecret})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, withMedia(lk))
	lk.Watch(e.rooms)
	return e, lk
}

// fakeRoomService stands in for LiveKit's RoomService and records every call.
type fakeRoomService struct {
	livekit.RoomService // nil: a call Parley should not make panics
	mu                  sync.Mutex
	calls               []string
}

func (f *fakeRoomService) record(s string) {
	f.mu.Lock()
	f.calls = append(f.calls, s)
	f.mu.Unlock()
}

func (f *fakeRoomService) called() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func (f *fakeRoomService) CreateRoom(_ context.Context, r *livekit.CreateRoomRequest) (*livekit.Room, error) {
	f.record("create " + r.Name)
	return &livekit.Room{Name: r.Name}, nil
}

func (f *fakeRoomService) RemoveParticipant(_ context.Context, r *livekit.RoomParticipantIdentity) (*livekit.RemoveParticipantResponse, error) {
	f.record("remove " + r.Room + " " + r.Identity)
	return &livekit.RemoveParticipantResponse{}, nil
}

func (f *fakeRoomService) DeleteRoom(_ context.Context, r *livekit.DeleteRoomRequest) (*livekit.DeleteRoomResponse, error) {
	f.record("delete " + r.Room)
	return &livekit.DeleteRoomResponse{}, nil
}

// newFakeLiveKitEnv is a server whose LiveKit is the fake RoomService.
func newFakeLiveKitEnv(t *testing.T) (*env, *fakeRoomService) {
	f := &fakeRoomService{}
	srv := httptest.NewServer(livekit.NewRoomServiceServer(f))
	t.Cleanup(srv.Close)
	e, _ := newLiveKitEnv(t, "ws://"+srv.Listener.Addr().String())
	return e, f
}

// signWebhook signs a body the way LiveKit does: a JWT made with the API key and secret
// whose sha256 claim is the body's hash, sent as the raw Authorization header.
func signWebhook(t testing.TB, key, secret string, body []byte) string {
	t.Helper()
	sum := sha256.Sum256(body)
	tok, err := auth.NewAccessToken(key, secret).SetValidFor(5 * time.Minute).
		SetSha256(base64.StdEncoding.EncodeToString(sum[:])).ToJWT()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// webhookSeq numbers the events the tests make up, as LiveKit gives each an id.
var webhookSeq struct {
	sync.Mutex
	n int
}

// lkEvent is a LiveKit webhook event about a room, made up by a test; at is its time in
// seconds (LiveKit's resolution).
func lkEvent(event, roomID string, at int64, p *livekit.ParticipantInfo) *livekit.WebhookEvent {
	webhookSeq.Lock()
	webhookSeq.n++
	id := fmt.Sprintf("EV_test%06d", webhookSeq.n)
	webhookSeq.Unlock()
	ev := &livekit.WebhookEvent{Event: event, Id: id, CreatedAt: at, Room: &livekit.Room{Name: roomID}, Participant: p}
	if event == "track_published" {
		ev.Track = &livekit.TrackInfo{Sid: "TR_" + id, Type: livekit.TrackType_AUDIO}
	}
	return ev
}

// lkParticipant is a broadcaster as LiveKit reports them: identity and metadata as
// Parley's token set them.
func lkParticipant(internalID, userID, typ string) *livekit.ParticipantInfo {
	meta, _ := json.Marshal(map[string]string{"type": typ, "userId": userID})
	return &livekit.ParticipantInfo{Sid: "PA_" + internalID, Identity: internalID, Name: userID, Metadata: string(meta)}
}

// webhook delivers an event to POST /webhooks/livekit, signed with the test secret.
func (e *env) webhook(ev *livekit.WebhookEvent) *resp {
	e.t.Helper()
	body, err := protojson.Marshal(ev)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.do(req{method: "POST", path: "/webhooks/livekit", body: body,
		header: map[string]string{"Authorization": signWebhook(e.t, testLiveKitKey, testLiveKitSecret, body)}})
}

func (e *env) roomStatus(tok, id string) map[string]any {
	e.t.Helper()
	return room0(e.do(req{method: "GET", path: "/api/v1/rooms/" + id, token: tok}).ok().JSON())
}

// Only LiveKit's signature gets a webhook in: no header, another secret, a body changed
// after signing, all 400100 (401, the token-or-key code: the SDK never calls this route,
// so no session ends on it). A signed body that is not an event is 400000. Nothing moves.
func TestLiveKitWebhookSignature(t *testing.T) {
	e, _ := newFakeLiveKitEnv(t)
	alice, au := e.login("alice")
	id := e.mkRoom(alice, map[string]any{"title": "t"})["_id"].(string)
	host := lkParticipant(au["_id"].(string), "alice", "host")
	body, _ := protojson.Marshal(lkEvent("track_published", id, time.Now().Unix(), host))
	post := func(b []byte, authz string) *resp {
		h := map[string]string{}
		if authz != "" {
			h["Authorization"] = authz
		}
		return e.do(req{method: "POST", path: "/webhooks/livekit", body: b, header: h})
	}
	post(body, "").expect(401, 400100)
	post(body, "garbage").expect(401, 400100)
	post(body, signWebhook(t, testLiveKitKey, "another-secret-of-at-least-32-characters", body)).expect(401, 400100)
	post(body, signWebhook(t, "otherkey", testLiveKitSecret, body)).expect(401, 400100)
	tampered := []byte(strings.Replace(string(body), id, "0123456789abcdef01234567", 1))
	post(tampered, signWebhook(t, testLiveKitKey, testLiveKitSecret, body)).expect(401, 400100)
	for _, b := range []string{`{"event":`, `[1]`, `{"event": 7}`} {
		post([]byte(b), signWebhook(t, testLiveKitKey, testLiveKitSecret, []byte(b))).expect(400, 400000)
	}
	big := []byte(`{"event":"room_started","room":{"name":"` + strings.Repeat("x", 2<<20) + `"}}`)
	if r := post(big, signWebhook(t, testLiveKitKey, testLiveKitSecret, big)); r.Status != 400 && r.Status != 413 {
		t.Fatalf("an oversized webhook: %d %s", r.Status, r.Body)
	}
	if s := e.roomStatus(alice, id)["status"]; s != "idle" || len(e.outboxOf("room.startBroadcasting")) != 0 {
		t.Fatalf("a refused webhook moved the room: %v", s)
	}
	if n := e.count("room_media_events", ""); n != 0 {
		t.Fatalf("a refused webhook was recorded: %d", n)
	}
	// Signed events about rooms that are not Parley's are taken and ignored.
	e.webhook(lkEvent("room_finished", "some-other-apps-room", time.Now().Unix(), nil)).ok()
	e.webhook(lkEvent("participant_joined", "0123456789abcdef01234567", time.Now().Unix(), host)).ok()
	e.webhook(lkEvent("room_started", id, time.Now().Unix(), nil)).ok()
	// Without a LiveKit backend the route does not exist.
	plain := newEnv(t, withMedia(media.None{}))
	plain.do(req{method: "POST", path: "/webhooks/livekit", body: body,
		header: map[string]string{"Authorization": signWebhook(t, testLiveKitKey, testLiveKitSecret, body)}}).expect(404, 400400)
}

// Webhooks drive the status: the host publishing → live, the host leaving →
// waitingReconnect, publishing again → live, the room finishing → ended, with liveAt,
// endedAt and durationSeconds from LiveKit's event times. Replays and late deliveries
// change nothing; participants joining and leaving become room events.
func TestLiveKitWebhooksDriveStatus(t *testing.T) {
	e, rs := newFakeLiveKitEnv(t)
	alice, au := e.login("alice")
	bob, bu := e.login("bob")
	id := e.mkRoom(alice, map[string]any{"title": "show", "type": "coHosts"})["_id"].(string)
	if !slices.Contains(rs.called(), "create "+id) {
		t.Fatalf("creating a room must create its LiveKit room: %v", rs.called())
	}
	e.cohost(alice, id, bob, "bob")
	host := lkParticipant(au["_id"].(string), "alice", "host")
	cohost := lkParticipant(bu["_id"].(string), "bob", "coHost")
	t0 := time.Now().Unix() - 100
	count := func(typ chat.EventType) int { return len(e.outboxOf(typ)) }
	joinedBefore := count("room.participantJoined") // bob's invitation accepted

	// A co-host publishing does not start the broadcast; the host does.
	e.webhook(lkEvent("participant_joined", id, t0, host)).ok()
	e.webhook(lkEvent("track_published", id, t0+1, cohost)).ok()
	if s := e.roomStatus(alice, id)["status"]; s != "idle" {
		t.Fatalf("a co-host's track started the room: %v", s)
	}
	live := lkEvent("track_published", id, t0+2, host)
	e.webhook(live).ok()
	r := e.roomStatus(alice, id)
	if r["status"] != "live" || r["liveAt"] != time.Unix(t0+2, 0).UTC().Format("2006-01-02T15:04:05.000Z") {
		t.Fatalf("live: %v %v", r["status"], r["liveAt"])
	}
	// A replay of the same delivery changes nothing and publishes nothing.
	e.webhook(live).ok()
	if n := count("room.startBroadcasting"); n != 1 {
		t.Fatalf("startBroadcasting events: %d", n)
	}
	joined := lkEvent("participant_joined", id, t0+3, cohost)
	e.webhook(joined).ok()
	e.webhook(joined).ok()
	if n := count("room.participantJoined") - joinedBefore; n != 2 { // alice's and bob's, once each
		t.Fatalf("participantJoined events: %d", n)
	}
	ev := e.lastEvent("room.participantJoined")
	if !strings.Contains(string(ev.RawData), `"eventActor":{"userInternalId":"`+bu["_id"].(string)+`"}`) {
		t.Fatalf("participantJoined actor: %s", ev.RawData)
	}

	// The host drops: waitingReconnect. A publish from before the drop, delivered late,
	// does not bring the room back; publishing again does.
	e.webhook(lkEvent("participant_left", id, t0+10, host)).ok()
	if s := e.roomStatus(alice, id)["status"]; s != "waitingReconnect" {
		t.Fatalf("after the host left: %v", s)
	}
	e.webhook(lkEvent("track_published", id, t0+5, host)).ok()
	if s := e.roomStatus(alice, id)["status"]; s != "waitingReconnect" {
		t.Fatalf("a late delivery moved the room: %v", s)
	}
	back := lkEvent("track_published", id, t0+20, host)
	e.webhook(back).ok()
	if s := e.roomStatus(alice, id)["status"]; s != "live" {
		t.Fatalf("after the host came back: %v", s)
	}
	// Within one second (LiveKit's resolution) the host drops again; a replay of the
	// publish is known by its id and does not bring the room back.
	e.webhook(lkEvent("participant_left", id, t0+20, host)).ok()
	e.webhook(back).ok()
	if s := e.roomStatus(alice, id)["status"]; s != "waitingReconnect" {
		t.Fatalf("a replay moved the room: %v", s)
	}
	e.webhook(lkEvent("track_published", id, t0+21, host)).ok()
	// Leaving is not dropping when the LiveKit room is closing (room_finished follows)
	// or when the host took over from another device.
	for _, why := range []livekit.DisconnectReason{livekit.DisconnectReason_ROOM_DELETED, livekit.DisconnectReason_DUPLICATE_IDENTITY} {
		left := lkParticipant(au["_id"].(string), "alice", "host")
		left.DisconnectReason = why
		e.webhook(lkEvent("participant_left", id, t0+22, left)).ok()
		if s := e.roomStatus(alice, id)["status"]; s != "live" {
			t.Fatalf("the host leaving for %v moved the room: %v", why, s)
		}
	}
	e.webhook(lkEvent("participant_left", id, t0+25, cohost)).ok()
	if n := count("room.participantLeft"); n != 5 { // alice's four leaves, bob's
		t.Fatalf("participantLeft events: %d", n)
	}

	// The LiveKit room finishes: ended, 30 s after going live.
	e.webhook(lkEvent("room_finished", id, t0+32, nil)).ok()
	r = e.roomStatus(alice, id)
	if r["status"] != "ended" || r["endedAt"] != time.Unix(t0+32, 0).UTC().Format("2006-01-02T15:04:05.000Z") || r["durationSeconds"] != float64(30) {
		t.Fatalf("ended: %v %v %v", r["status"], r["endedAt"], r["durationSeconds"])
	}
	// Late and repeated events after the end change nothing.
	e.webhook(lkEvent("track_published", id, t0+40, host)).ok()
	e.webhook(lkEvent("participant_left", id, t0+41, host)).ok()
	if s := e.roomStatus(alice, id)["status"]; s != "ended" {
		t.Fatalf("after the end: %v", s)
	}
	for typ, n := range map[chat.EventType]int{"room.startBroadcasting": 3, "room.waitingReconnect": 2, "room.endBroadcasting": 1} {
		if got := count(typ); got != n {
			t.Fatalf("%s events: %d, want %d", typ, got, n)
		}
	}
	// A broadcaster joining an ended room is cut off again.
	e.webhook(lkEvent("participant_joined", id, t0+50, host)).ok()
	if !slices.Contains(rs.called(), "remove "+id+" "+au["_id"].(string)) {
		t.Fatalf("a join into an ended room must be cut off: %v", rs.called())
	}

	// A room nobody came to broadcast in stays idle when its LiveKit room times out:
	// the LiveKit room comes back when the host joins.
	idle := e.mkRoom(alice, map[string]any{"title": "later"})["_id"].(string)
	e.webhook(lkEvent("room_finished", idle, time.Now().Unix(), nil)).ok()
	if s := e.roomStatus(alice, idle)["status"]; s != "idle" {
		t.Fatalf("an idle room ended with its LiveKit room: %v", s)
	}
	// POST /stop ends the room and closes its LiveKit room; LiveKit's own room_finished
	// that follows changes nothing.
	e.webhook(lkEvent("track_published", idle, time.Now().Unix(), host)).ok()
	e.do(req{method: "POST", path: "/api/v1/rooms/" + idle + "/stop", token: alice}).ok()
	if !slices.Contains(rs.called(), "delete "+idle) {
		t.Fatalf("stop must close the LiveKit room: %v", rs.called())
	}
	e.webhook(lkEvent("room_finished", idle, time.Now().Unix()+1, nil)).ok()
	if n := count("room.endBroadcasting"); n != 2 {
		t.Fatalf("endBroadcasting events after stop: %d", n)
	}
}

// The broadcaster token: the host and co-hosts get a LiveKit token to publish into
// their room only, for a short time; viewers and removed co-hosts get none (400301).
// Removing a co-host disconnects them, and their coming back with a token from before
// the removal is cut off again.
func TestLiveKitTokensAndRemoval(t *testing.T) {
	e, rs := newFakeLiveKitEnv(t)
	alice, au := e.login("alice")
	bob, bu := e.login("bob")
	carol, _ := e.login("carol")
	id := e.mkRoom(alice, map[string]any{"title": "show", "type": "coHosts"})["_id"].(string)
	other := e.mkRoom(alice, map[string]any{"title": "other", "type": "coHosts"})["_id"].(string)
	e.cohost(alice, id, bob, "bob")
	token := func(tok string) *resp {
		return e.do(req{method: "GET", path: "/api/v1/rooms/" + id + "/token", token: tok})
	}
	for who, tok := range map[string]string{"alice": alice, "bob": bob} {
		var bd struct {
			CoHostToken string `json:"coHostToken"`
			CoHostURL   string `json:"coHostUrl"`
		}
		token(tok).ok().Decode(&bd)
		if !strings.HasPrefix(bd.CoHostURL, "ws://127.0.0.1:") {
			t.Fatalf("%s coHostUrl: %q", who, bd.CoHostURL)
		}
		v, err := auth.ParseAPIToken(bd.CoHostToken)
		if err != nil {
			t.Fatal(err)
		}
		claims, err := v.Verify(testLiveKitSecret)
		if err != nil {
			t.Fatalf("%s: the token is not signed with the LiveKit secret: %v", who, err)
		}
		g := claims.Video
		if !g.RoomJoin || g.Room != id || g.RoomAdmin || g.RoomCreate || g.RoomList || !g.GetCanPublish() || g.GetCanUpdateOwnMetadata() {
			t.Fatalf("%s grants: %+v", who, g)
		}
		if life := tokenLifetime(t, bd.CoHostToken); life <= 0 || life > 10*time.Minute {
			t.Fatalf("%s token lifetime: %v", who, life)
		}
		if claims.Identity == "" || (who == "alice" && claims.Identity != au["_id"]) || (who == "bob" && claims.Identity != bu["_id"]) {
			t.Fatalf("%s identity: %q", who, claims.Identity)
		}
	}
	token(carol).expect(403, 400301)
	e.do(req{method: "GET", path: "/api/v1/rooms/" + other + "/token", token: bob}).expect(403, 400301)

	// Removing bob disconnects him from the LiveKit room at once.
	e.do(req{method: "DELETE", path: "/api/v1/rooms/" + id + "/participants", token: alice,
		body: map[string]any{"participantUserId": "bob"}}).ok()
	kick := "remove " + id + " " + bu["_id"].(string)
	if !slices.Contains(rs.called(), kick) {
		t.Fatalf("removal must reach LiveKit: %v", rs.called())
	}
	token(bob).expect(403, 400301)
	// Bob comes back with his old token: LiveKit lets him in (it cannot revoke tokens)
	// and reports the join; Parley cuts him off again and publishes no join.
	before := len(rs.called())
	joinedBefore := len(e.outboxOf("room.participantJoined"))
	e.webhook(lkEvent("participant_joined", id, time.Now().Unix(), lkParticipant(bu["_id"].(string), "bob", "coHost"))).ok()
	if calls := rs.called()[before:]; !slices.Equal(calls, []string{kick}) {
		t.Fatalf("a removed co-host's join must be cut off: %v", calls)
	}
	if len(e.outboxOf("room.participantJoined")) != joinedBefore {
		t.Fatal("a refused join was published")
	}
	// His leaving after the cut publishes nothing either: his removal was published.
	leftBefore := len(e.outboxOf("room.participantLeft"))
	e.webhook(lkEvent("participant_left", id, time.Now().Unix(), lkParticipant(bu["_id"].(string), "bob", "coHost"))).ok()
	if len(e.outboxOf("room.participantLeft")) != leftBefore {
		t.Fatal("a removed co-host's leave was published")
	}
}

// tokenLifetime reads a JWT's exp and nbf claims.
func tokenLifetime(t *testing.T, jwt string) time.Duration {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", jwt)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c struct{ Exp, Nbf int64 }
	json.Unmarshal(raw, &c)
	return time.Duration(c.Exp-c.Nbf) * time.Second
}

// LiveKit delivers webhooks concurrently and retries them: the same event delivered many
// times at once is applied once.
func TestLiveKitConcurrentReplays(t *testing.T) {
	e, _ := newFakeLiveKitEnv(t)
	alice, au := e.login("alice")
	id := e.mkRoom(alice, map[string]any{"title": "t", "type": "coHosts"})["_id"].(string)
	host := lkParticipant(au["_id"].(string), "alice", "host")
	now := time.Now().Unix()
	joinedBefore := len(e.outboxOf("room.participantJoined"))
	for _, ev := range []*livekit.WebhookEvent{lkEvent("participant_joined", id, now, host), lkEvent("track_published", id, now, host)} {
		body, _ := protojson.Marshal(ev)
		sig := signWebhook(t, testLiveKitKey, testLiveKitSecret, body)
		var wg sync.WaitGroup
		codes := make([]int, 8)
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i] = e.do(req{method: "POST", path: "/webhooks/livekit", body: body, header: map[string]string{"Authorization": sig}}).Status
			}()
		}
		wg.Wait()
		for _, c := range codes {
			if c != 200 {
				t.Fatalf("%s deliveries answered %v", ev.Event, codes)
			}
		}
	}
	if n := len(e.outboxOf("room.participantJoined")) - joinedBefore; n != 1 {
		t.Fatalf("participantJoined events: %d", n)
	}
	if n := len(e.outboxOf("room.startBroadcasting")); n != 1 {
		t.Fatalf("startBroadcasting events: %d", n)
	}
}
