package chat

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync/atomic"
	"time"
)

// Config is what the domain needs to know about its deployment.
type Config struct {
	APIKey       string        // X-API-Key that clients present at login
	ServerKey    string        // x-server-key for server-to-server calls
	SecureMode   bool          // logins need an authToken minted with the server key
	PublicURL    string        // base URL clients reach the server at, for file URLs
	TokenTTL     time.Duration // access token lifetime
	AuthTokenTTL time.Duration // secure-mode authToken lifetime
	MaxFileBytes int64         // largest single uploaded file
	PreSend      PreSendCaller // calls the network's pre-send hook (presend.go); nil: no hook
	// Clock tells the time. Every timestamp the service writes and every deadline it
	// checks (token and mute expiry, rate-limit windows, segments) reads it. Nil is the
	// real clock (time.Now); tests set one they can move on instead of sleeping.
	Clock func() time.Time
}

// Service is the chat domain: every use case is a method on it, and every rule and
// permission check lives here, never in a transport.
type Service struct {
	store     Store
	blobs     Blobs
	cfg       Config
	networkID string
	tokenKey  []byte
	sessions  *sessionCache
	started   Time
	adminID   string
	onCommit  atomic.Pointer[func()]
	onRevoke  atomic.Pointer[func(context.Context, SessionsRevoked)]
	preSend   preSendState
	roles     atomic.Pointer[roleSet] // built-in and custom roles (role_admin.go)
	content   contentCache            // compiled blocklist and allowlist (content_moderation.go)
	roomChats RoomChats               // makes a room's live chat (internal/room); nil: no rooms
}

// AdminUserID is the public id of the user that server-to-server admin tokens act as.
// Nobody can log in as it with the API key.
const AdminUserID = "_parley_admin"

// New opens the domain on a store: it loads, or on first start creates, the network id,
// the token signing key and the admin user.
func New(ctx context.Context, store Store, blobs Blobs, cfg Config) (*Service, error) {
	if cfg.TokenTTL == 0 {
		cfg.TokenTTL = 30 * 24 * time.Hour
	}
	if cfg.AuthTokenTTL == 0 {
		cfg.AuthTokenTTL = 10 * time.Minute
	}
	if cfg.MaxFileBytes == 0 {
		cfg.MaxFileBytes = 100 << 20
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	s := &Service{blobs: blobs, cfg: cfg, sessions: newSessionCache(cfg.Clock)}
	s.started = s.now()
	s.store = commitNotifier{store, &s.onCommit, s.now} // wakes the outbox relay
	err := store.Write(ctx, func(tx Tx) error {
		net, err := setting(tx, "network_id", func() string { return NewID() })
		if err != nil {
			return err
		}
		key, err := setting(tx, "token_key", func() string { return randomHex(32) })
		if err != nil {
			return err
		}
		s.networkID = net
		s.tokenKey, _ = hex.DecodeString(key)
		admin, err := tx.UserByPublicID(AdminUserID)
		if err != nil {
			return err
		}
		if admin == nil {
			admin = s.newUser(AdminUserID, s.now())
			admin.DisplayName = "Admin"
			admin.Roles = []string{RoleGlobalAdmin}
			if err := tx.InsertUser(admin); err != nil {
				return err
			}
		}
		s.adminID = admin.ID
		return s.loadRoles(tx)
	})
	if err != nil {
		return nil, fmt.Errorf("open chat service: %w", err)
	}
	return s, nil
}

// now is the service clock's time at the wire's precision (milliseconds).
func (s *Service) now() Time { return Time{s.cfg.Clock().UTC().Truncate(time.Millisecond)} }

// Now is the service clock's time, for the domains beside chat (internal/room) that
// keep to the same clock.
func (s *Service) Now() Time { return s.now() }

// NetworkID is the id of this installation's network: the first part of every topic.
func (s *Service) NetworkID() string { return s.networkID }

// setting reads a setting, storing the made value when it is missing.
func setting(tx Tx, key string, make func() string) (string, error) {
	v, ok, err := tx.Setting(key)
	if err != nil || ok {
		return v, err
	}
	v = make()
	return v, tx.PutSetting(key, v)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// ChatSettings is the answer of GET /api/v3/network-settings/chat. The SDK's login
// waits for it and needs messagePreview.enabled and isIncludeDeleted.
type ChatSettings struct {
	Enabled bool `json:"enabled"`
	Mention struct {
		IsAllowMentionedChannelEnabled bool `json:"isAllowMentionedChannelEnabled"`
	} `json:"mention"`
	MessagePreview struct {
		Enabled          bool `json:"enabled"`
		IsIncludeDeleted bool `json:"isIncludeDeleted"`
	} `json:"messagePreview"`
	Marker struct {
		Enabled bool `json:"enabled"`
	} `json:"marker"`
	IsAllowAdminViewConversationMessage   bool `json:"isAllowAdminViewConversationMessage"`
	IsAllowAdminManageConversationMessage bool `json:"isAllowAdminManageConversationMessage"`
}

// ChatSettings answers the network's chat settings.
func (s *Service) ChatSettings() ChatSettings {
	var cs ChatSettings
	cs.Enabled = true
	// Previews are on: GET /api/v5/message-feeds/{id}, which the SDK then calls from
	// channel observers, answers every readable feed. A deleted newest message stays the
	// preview, shown deleted.
	cs.MessagePreview.Enabled = true
	cs.MessagePreview.IsIncludeDeleted = true
	cs.IsAllowAdminViewConversationMessage = true
	cs.IsAllowAdminManageConversationMessage = true
	return cs
}
