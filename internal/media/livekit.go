package media

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/livekit/protocol/auth"
	"github.com/livekit/protocol/livekit"
	"github.com/livekit/protocol/webhook"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/room"
	"github.com/twitchtv/twirp"
	"google.golang.org/protobuf/encoding/protojson"
)

// LiveKitConfig is how Parley reaches a LiveKit server.
type LiveKitConfig struct {
	// URL is LiveKit's WebSocket URL (ws:// or wss://) as clients reach it: it is handed
	// out as coHostUrl, and its http(s) form is where Parley calls the RoomService.
	URL       string
	APIKey    string
	APISecret string
	// TokenTTL is how long a broadcaster token lets its holder connect (default 10 min).
	// LiveKit checks it at connection time only; removal is enforced by Parley (see
	// LiveKit.ReceiveWebhook), the short lifetime only bounds how long a leaked token
	// is worth anything.
	TokenTTL time.Duration
	Logger   *slog.Logger
}

// LiveKit is the media backend on a LiveKit server. A Parley room's LiveKit room is named
// after the room's id. Broadcasters join with identity = their internal user id; LiveKit
// reports back through
// webhooks (POST /webhooks/livekit), which ReceiveWebhook turns into room status changes
// and participant events.
type LiveKit struct {
	cfg     LiveKitConfig
	apiURL  string
	rooms   livekit.RoomService
	keys    auth.KeyProvider
	log     *slog.Logger
	mu      sync.RWMutex
	watcher Reporter
}

var _ Backend = (*LiveKit)(nil)

// How long LiveKit keeps a room open with nobody in it: before anyone joined, and after
// the last broadcaster left (the host's window to come back while the room waits).
const (
	liveKitEmptyTimeout     = 10 * 60 // seconds
	liveKitDepartureTimeout = 2 * 60  // seconds
	liveKitWebhookMaxBytes  = 1 << 20
	liveKitCallTimeout      = 10 * time.Second
)

// NewLiveKit checks the configuration and prepares the RoomService client; it does not
// call LiveKit.
func NewLiveKit(cfg LiveKitConfig) (*LiveKit, error) {
	if cfg.URL == "" || cfg.APIKey == "" || cfg.APISecret == "" {
		return nil, errors.New("the livekit media backend needs PARLEY_LIVEKIT_URL, PARLEY_LIVEKIT_API_KEY and PARLEY_LIVEKIT_API_SECRET")
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("PARLEY_LIVEKIT_URL %q is not a URL", cfg.URL)
	}
	switch u.Scheme {
	case "ws", "http":
		u.Scheme = "http"
	case "wss", "https":
		u.Scheme = "https"
	default:
		return nil, fmt.Errorf("PARLEY_LIVEKIT_URL %q must be ws://, wss://, http:// or https://", cfg.URL)
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = 10 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	apiURL := strings.TrimSuffix(u.String(), "/")
	return &LiveKit{
		cfg:    cfg,
		apiURL: apiURL,
		rooms:  livekit.NewRoomServiceProtobufClient(apiURL, &http.Client{Timeout: liveKitCallTimeout}),
		keys:   auth.NewSimpleKeyProvider(cfg.APIKey, cfg.APISecret),
		log:    cfg.Logger.With("media", "livekit"),
	}, nil
}

// Watch makes webhooks report to r.
func (l *LiveKit) Watch(r Reporter) {
	l.mu.Lock()
	l.watcher = r
	l.mu.Unlock()
}

func (l *LiveKit) reporter() Reporter {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.watcher
}

// RoomService is the LiveKit RoomService client with Parley's credentials, for tests
// and tools that look at LiveKit's side.
func (l *LiveKit) RoomService() livekit.RoomService { return l.rooms }

// AdminContext returns ctx carrying a short-lived server token with admin rights over
// room (all rooms when empty), as every RoomService call needs.
func (l *LiveKit) AdminContext(ctx context.Context, room string) (context.Context, error) {
	tok, err := auth.NewAccessToken(l.cfg.APIKey, l.cfg.APISecret).
		SetVideoGrant(&auth.VideoGrant{RoomAdmin: true, RoomCreate: true, RoomList: true, Room: room}).
		SetValidFor(time.Minute).ToJWT()
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	h.Set("Authorization", "Bearer "+tok)
	return twirp.WithHTTPRequestHeaders(ctx, h)
}

// roomName is a room's name at LiveKit: its id, so that webhooks name the room directly.
func roomName(r *room.Room) string { return r.ID }

func roomConfig() *livekit.RoomConfiguration {
	return &livekit.RoomConfiguration{EmptyTimeout: liveKitEmptyTimeout, DepartureTimeout: liveKitDepartureTimeout}
}

// CreateRoom creates the room's LiveKit room. LiveKit being unreachable does not stop the
// room from being created: the LiveKit room is made again, with the same settings, when
// its host joins (the settings travel in the token), so a failure is only logged.
func (l *LiveKit) CreateRoom(ctx context.Context, r *room.Room) (string, error) {
	name := roomName(r)
	actx, err := l.AdminContext(ctx, name)
	if err == nil {
		_, err = l.rooms.CreateRoom(actx, &livekit.CreateRoomRequest{
			Name: name, EmptyTimeout: liveKitEmptyTimeout, DepartureTimeout: liveKitDepartureTimeout,
		})
	}
	if err != nil {
		l.log.Warn("livekit: creating the room failed; it will be created when its host joins", "room", name, "error", err)
	}
	return name, nil
}

// participantMeta is the metadata of a broadcaster's LiveKit participant, set by Parley
// in the token (participants may not change their own metadata), for apps to tell the
// host from co-hosts. Parley itself decides who is host from its own records: LiveKit's
// track webhooks do not carry metadata.
type participantMeta struct {
	Type   string `json:"type"` // host | coHost
	UserID string `json:"userId"`
}

// BroadcasterToken gives the host or a co-host a LiveKit token to join the room's LiveKit
// room and publish into it: that room only, for TokenTTL.
func (l *LiveKit) BroadcasterToken(_ context.Context, r *room.Room, p room.RoomParticipant) (*room.BroadcasterData, error) {
	meta, _ := json.Marshal(participantMeta{Type: p.Type, UserID: p.UserID})
	yes, no := true, false
	grant := &auth.VideoGrant{
		RoomJoin: true, Room: roomName(r),
		CanPublish: &yes, CanSubscribe: &yes, CanPublishData: &yes, CanUpdateOwnMetadata: &no,
	}
	tok, err := auth.NewAccessToken(l.cfg.APIKey, l.cfg.APISecret).
		SetVideoGrant(grant).SetIdentity(p.UserInternalID).SetName(p.UserID).
		SetMetadata(string(meta)).SetRoomConfig(roomConfig()).
		SetValidFor(l.cfg.TokenTTL).ToJWT()
	if err != nil {
		return nil, err
	}
	return &room.BroadcasterData{CoHostToken: tok, CoHostURL: l.cfg.URL}, nil
}

// RemoveParticipant disconnects a user from the room's LiveKit room at once. A user who
// is not connected is nothing to do.
func (l *LiveKit) RemoveParticipant(ctx context.Context, r *room.Room, userInternalID string) error {
	return l.kick(ctx, roomName(r), userInternalID)
}

func (l *LiveKit) kick(ctx context.Context, room, identity string) error {
	actx, err := l.AdminContext(ctx, room)
	if err == nil {
		_, err = l.rooms.RemoveParticipant(actx, &livekit.RoomParticipantIdentity{Room: room, Identity: identity})
	}
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		l.log.Warn("livekit: removing a participant failed", "room", room, "identity", identity, "error", err)
	}
	return err
}

// EndRoom deletes the room's LiveKit room, which disconnects everyone in it.
func (l *LiveKit) EndRoom(ctx context.Context, r *room.Room) error {
	name := roomName(r)
	actx, err := l.AdminContext(ctx, name)
	if err == nil {
		_, err = l.rooms.DeleteRoom(actx, &livekit.DeleteRoomRequest{Room: name})
	}
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		l.log.Warn("livekit: ending the room failed", "room", name, "error", err)
	}
	return err
}

func isNotFound(err error) bool {
	var te twirp.Error
	return errors.As(err, &te) && te.Code() == twirp.NotFound
}

// ReceiveWebhook serves POST /webhooks/livekit. The request must carry LiveKit's
// signature: a JWT signed with the API secret holding the body's SHA-256; anything else
// is 400100. Events become reports to the domain:
//
//   - track_published by the host: the room is live (room.startBroadcasting);
//   - participant_left of the host: waitingReconnect (room.waitingReconnect); the host
//     publishing again makes it live again;
//   - room_finished: ended (room.endBroadcasting), for a room whose broadcast began;
//   - participant_joined / participant_left of a participant: room.participantJoined /
//     room.participantLeft;
//   - participant_joined of someone who may not broadcast (a removed co-host coming
//     back with a token issued before the removal, or any token of a room that ended):
//     cut off again at once with RemoveParticipant. Self-hosted LiveKit cannot revoke
//     tokens, so this is what makes a removal stick; its window is the webhook's
//     delivery time.
//
// Every event carries LiveKit's id and time: replays change nothing and reports older
// than the room's last one are ignored (the domain keeps both). A report the domain
// refuses (a replay, an unknown room, a move the status machine does not allow) is
// still answered 200: LiveKit must not retry it. Only a failure of Parley answers 5xx,
// which LiveKit retries.
func (l *LiveKit) ReceiveWebhook(r *http.Request) error {
	r.Body = http.MaxBytesReader(nil, r.Body, liveKitWebhookMaxBytes)
	body, err := webhook.Receive(r, l.keys)
	if err != nil {
		if errors.As(err, new(*http.MaxBytesError)) {
			return chat.Errorf(chat.CodeBadRequest, "The webhook body is too large.")
		}
		return chat.Errorf(chat.CodeUnauthorized, "The webhook is not signed by the configured LiveKit key.")
	}
	var ev livekit.WebhookEvent
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(body, &ev); err != nil {
		return chat.Errorf(chat.CodeBadRequest, "The webhook body is not a LiveKit event.")
	}
	rep := l.reporter()
	if rep == nil || ev.Room == nil {
		return nil
	}
	err = l.apply(r.Context(), rep, &ev)
	if _, refused := chat.AsError(err); refused {
		l.log.Debug("livekit: webhook ignored", "event", ev.Event, "id", ev.Id, "room", ev.Room.Name, "reason", err)
		return nil
	}
	return err
}

func (l *LiveKit) apply(ctx context.Context, rep Reporter, ev *livekit.WebhookEvent) error {
	roomID := ev.Room.Name
	at := chat.Time{}
	if ev.CreatedAt > 0 {
		at = chat.FromMillis(ev.CreatedAt * 1000)
	}
	// by: the broadcaster whose action it is; the domain lets only the host's move the room.
	status := func(s, by, id string) error {
		return rep.ApplyMediaStatus(ctx, room.MediaStatus{EventID: id, RoomID: roomID, Status: s, At: at, ByUserInternalID: by})
	}
	p := ev.Participant
	switch ev.Event {
	case webhook.EventRoomFinished:
		return status(room.RoomEnded, "", ev.Id)
	case webhook.EventTrackPublished:
		if p != nil && p.Identity != "" {
			return status(room.RoomLive, p.Identity, ev.Id)
		}
	case webhook.EventParticipantJoined, webhook.EventParticipantLeft:
		if p == nil || p.Identity == "" {
			return nil
		}
		joined := ev.Event == webhook.EventParticipantJoined
		allowed, err := rep.ApplyMediaPresence(ctx, room.MediaPresence{
			EventID: ev.Id, RoomID: roomID, UserInternalID: p.Identity, Joined: joined, At: at,
		})
		if err != nil {
			return err
		}
		if joined && !allowed {
			// Not (or no longer) a broadcaster of this room: out, now.
			return l.kick(ctx, roomID, p.Identity)
		}
		if !joined && isDrop(p.DisconnectReason) {
			// The host dropping makes the room wait for them. The status report needs an id
			// of its own: the presence report above used ev.Id.
			return status(room.RoomWaitingReconnect, p.Identity, ev.Id+"/status")
		}
	}
	return nil
}

// isDrop tells whether a participant left the way a broadcaster drops out (lost
// connection, app closed), and not because the LiveKit room is closing (room_finished
// follows and ends the room), nor because the same user took over from another device
// or moved to another LiveKit node (they are still there).
func isDrop(r livekit.DisconnectReason) bool {
	switch r {
	case livekit.DisconnectReason_ROOM_DELETED, livekit.DisconnectReason_ROOM_CLOSED,
		livekit.DisconnectReason_DUPLICATE_IDENTITY, livekit.DisconnectReason_MIGRATION:
		return false
	}
	return true
}
