package chat

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// Session is one login of a user on a device. Its access token is a signed JWT naming the
// session; the row is what makes the token revocable.
type Session struct {
	ID        string
	UserID    string // internal id
	DeviceID  string
	IssuedAt  Time
	ExpiresAt Time
	RevokedAt Time
}

// SessionStore is the persistence of sessions.
type SessionStore interface {
	InsertSession(s *Session) error
	SessionByID(id string) (*Session, error)
	RevokeSession(id string, at Time) error
	// RevokeUserSessions revokes every live session of a user and returns their ids.
	RevokeUserSessions(userID string, at Time) ([]string, error)
}

// LoginInput is the body of POST /api/v5/sessions.
type LoginInput struct {
	UserID      *string     `json:"userId"`
	DeviceID    *string     `json:"deviceId"`
	DisplayName *string     `json:"displayName"`
	AuthToken   *string     `json:"authToken"`
	DeviceInfo  *DeviceInfo `json:"deviceInfo"`
}

// Limits of deviceInfo. Amity documents model ≤ 100 and sdkVersion ≤ 30 characters, but
// the web SDK sends model = "gecko#" + navigator.userAgent, 100 to 250 characters in
// real browsers, and Amity's servers take it: Parley keeps nothing of deviceInfo, so the
// limits only bound the work (docs/decisions.md, "deviceInfo").
const (
	MaxDeviceModelChars = 1000
	MaxSDKVersionChars  = 100
)

// DeviceInfo describes the client's device; Parley checks it and keeps nothing of it.
type DeviceInfo struct {
	Kind       *string `json:"kind"`
	Model      *string `json:"model"`
	SDKVersion *string `json:"sdkVersion"`
}

// LoginResult is the answer of POST /api/v5/sessions.
type LoginResult struct {
	AccessToken string `json:"accessToken"`
	IssuedAt    Time   `json:"issuedAt"`
	ExpiresAt   Time   `json:"expiresAt"`
	Users       []User `json:"users"`
	Files       []File `json:"files"`
	UserType    string `json:"userType"`
}

// AdminToken is the answer of POST /api/v1/admin-token.
type AdminToken struct {
	AdminToken string `json:"adminToken"`
	IssuedAt   Time   `json:"issuedAt"`
	ExpiresAt  Time   `json:"expiresAt"`
}

// Login answers POST /api/v5/sessions: it checks the API key (and in secure mode the
// authToken), creates the user on first login, and issues a 30-day access token.
func (s *Service) Login(ctx context.Context, apiKey string, in LoginInput) (*LoginResult, error) {
	if !equalSecret(apiKey, s.cfg.APIKey) {
		return nil, Unauthorized("Invalid API key.")
	}
	var p Problems
	p.Required("userId", in.UserID, 1, 50)
	p.Required("deviceId", in.DeviceID, 1, 150)
	p.Text("displayName", in.DisplayName, 0, 50)
	p.Text("authToken", in.AuthToken, 1, 200)
	if d := in.DeviceInfo; d != nil {
		p.OneOf("deviceInfo.kind", d.Kind, "ios", "android", "web", "node")
		p.Text("deviceInfo.model", d.Model, 0, MaxDeviceModelChars)
		p.Text("deviceInfo.sdkVersion", d.SDKVersion, 0, MaxSDKVersionChars)
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if *in.UserID == AdminUserID {
		return nil, Errorf(CodeForbidden, "This user cannot log in with the API key.")
	}
	if s.cfg.SecureMode {
		if in.AuthToken == nil || !s.validAuthToken(*in.AuthToken, *in.UserID, s.cfg.Clock()) {
			return nil, Unauthorized("Invalid or expired authToken.")
		}
	}
	var out *LoginResult
	err := s.store.Write(ctx, func(tx Tx) error {
		now := s.now()
		u, err := tx.UserByPublicID(*in.UserID)
		if err != nil {
			return err
		}
		switch {
		case u == nil:
			u = s.newUser(*in.UserID, now)
			if in.DisplayName != nil {
				u.DisplayName = *in.DisplayName
			}
			if err := tx.InsertUser(u); err != nil {
				return err
			}
		case u.IsDeleted:
			return Errorf(CodeForbidden, "User is deleted.")
		case u.IsGlobalBan:
			return Errorf(CodeGlobalBanned, "User is globally banned.")
		case in.DisplayName != nil && *in.DisplayName != u.DisplayName:
			u.DisplayName = *in.DisplayName
			u.UpdatedAt = now
			if err := tx.UpdateUser(u); err != nil {
				return err
			}
		}
		sess := &Session{ID: NewID(), UserID: u.ID, DeviceID: *in.DeviceID, IssuedAt: now, ExpiresAt: now.Add(s.cfg.TokenTTL)}
		if err := tx.InsertSession(sess); err != nil {
			return err
		}
		up, err := s.userPayload(tx, []User{*u})
		if err != nil {
			return err
		}
		out = &LoginResult{
			AccessToken: s.signToken(sess, u), IssuedAt: sess.IssuedAt, ExpiresAt: sess.ExpiresAt,
			Users: up.Users, Files: up.Files, UserType: "user",
		}
		return nil
	})
	return out, err
}

// CurrentSession answers GET /api/v3/sessions, which the 7.x SDK's loginWithAccessToken
// calls to check a token it was handed: the caller's session in the shape of a login,
// with the token it presented (Parley issues no new one: the session is the same).
func (s *Service) CurrentSession(ctx context.Context, c *Caller, token string) (*LoginResult, error) {
	var out *LoginResult
	err := s.store.Read(ctx, func(tx Tx) error {
		if c.User == nil {
			return Unauthorized("Access token has been revoked or has expired.")
		}
		sess, u, err := sessionUser(tx, c.SessionID)
		if err != nil {
			return err
		}
		up, err := s.userPayload(tx, []User{*u})
		if err != nil {
			return err
		}
		out = &LoginResult{
			AccessToken: token, IssuedAt: sess.IssuedAt, ExpiresAt: sess.ExpiresAt,
			Users: up.Users, Files: up.Files, UserType: "user",
		}
		return nil
	})
	return out, err
}

// sessionUser reads a session and its user, refusing a session that is gone or whose
// user is deleted; what else makes it unusable (revocation, expiry, a global ban) is the
// caller's to decide, in the order its answer needs.
func sessionUser(tx Tx, sid string) (*Session, *User, error) {
	sess, err := tx.SessionByID(sid)
	if err != nil {
		return nil, nil, err
	}
	if sess == nil {
		return nil, nil, Unauthorized("Access token has been revoked or has expired.")
	}
	u, err := tx.UserByID(sess.UserID)
	if err != nil {
		return nil, nil, err
	}
	if u == nil || u.IsDeleted {
		return nil, nil, Unauthorized("User no longer exists.")
	}
	return sess, u, nil
}

// IssueAdminToken answers POST /api/v1/admin-token: a global-admin access token for
// server-to-server calls, acting as the network's admin user.
func (s *Service) IssueAdminToken(ctx context.Context, serverKey string) (*AdminToken, error) {
	if !equalSecret(serverKey, s.cfg.ServerKey) {
		return nil, Unauthorized("Invalid server key.")
	}
	var out *AdminToken
	err := s.store.Write(ctx, func(tx Tx) error {
		u, err := tx.UserByID(s.adminID)
		if err != nil {
			return err
		}
		now := s.now()
		sess := &Session{ID: NewID(), UserID: u.ID, DeviceID: "admin-token", IssuedAt: now, ExpiresAt: now.Add(s.cfg.TokenTTL)}
		if err := tx.InsertSession(sess); err != nil {
			return err
		}
		out = &AdminToken{AdminToken: s.signToken(sess, u), IssuedAt: now, ExpiresAt: sess.ExpiresAt}
		return nil
	})
	return out, err
}

// IssueAuthToken answers the secure-mode authToken calls: a token bound to userId that
// lets that user log in until it expires. It is stateless (an HMAC), so every node of a
// cluster accepts it, and reusable until expiry, since the SDK's renew() resends it.
func (s *Service) IssueAuthToken(serverKey, userID string) (string, error) {
	if !equalSecret(serverKey, s.cfg.ServerKey) {
		return "", Unauthorized("Invalid server key.")
	}
	var p Problems
	p.Required("userId", &userID, 1, 50)
	if err := p.Err(); err != nil {
		return "", err
	}
	exp := strconv.FormatInt(s.cfg.Clock().Add(s.cfg.AuthTokenTTL).Unix(), 36)
	return exp + "." + s.mac("auth|"+userID+"|"+exp), nil
}

func (s *Service) validAuthToken(token, userID string, now time.Time) bool {
	exp, mac, ok := strings.Cut(token, ".")
	if !ok {
		return false
	}
	sec, err := strconv.ParseInt(exp, 36, 64)
	if err != nil || now.Unix() > sec {
		return false
	}
	return hmac.Equal([]byte(mac), []byte(s.mac("auth|"+userID+"|"+exp)))
}

func (s *Service) mac(msg string) string {
	h := hmac.New(sha256.New, s.tokenKey)
	h.Write([]byte(msg))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

func equalSecret(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// tokenClaims are the JWT claims. The 7.x SDK decodes access tokens as JWTs and reads
// user.userId / user.publicUserId, iat and exp.
type tokenClaims struct {
	SID  string `json:"sid"`
	Sub  string `json:"sub"`
	User struct {
		UserID       string `json:"userId"`
		PublicUserID string `json:"publicUserId"`
		NetworkID    string `json:"networkId"`
	} `json:"user"`
	Iat int64 `json:"iat"`
	Exp int64 `json:"exp"`
}

var jwtHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))

func (s *Service) signToken(sess *Session, u *User) string {
	var c tokenClaims
	c.SID, c.Sub = sess.ID, u.ID
	c.User.UserID, c.User.PublicUserID, c.User.NetworkID = u.UserID, u.UserID, s.networkID
	c.Iat, c.Exp = sess.IssuedAt.Unix(), sess.ExpiresAt.Unix()
	body, _ := json.Marshal(c)
	head := jwtHeader + "." + base64.RawURLEncoding.EncodeToString(body)
	return head + "." + s.mac(head)
}

// parseToken checks a token's signature and expiry and returns its claims.
func (s *Service) parseToken(token string) (*tokenClaims, bool) {
	i := strings.LastIndexByte(token, '.')
	if i < 0 || !strings.HasPrefix(token, jwtHeader+".") {
		return nil, false
	}
	if !hmac.Equal([]byte(token[i+1:]), []byte(s.mac(token[:i]))) {
		return nil, false
	}
	body, err := base64.RawURLEncoding.DecodeString(token[len(jwtHeader)+1 : i])
	if err != nil {
		return nil, false
	}
	var c tokenClaims
	if json.Unmarshal(body, &c) != nil || s.cfg.Clock().Unix() >= c.Exp {
		return nil, false
	}
	return &c, true
}

// Authenticate turns a Bearer token into the caller. The session cache answers the hot
// path from memory; revocations drop its entries.
func (s *Service) Authenticate(ctx context.Context, token string) (*Caller, error) {
	if c := s.sessions.getByToken(token); c != nil {
		return c, nil
	}
	claims, ok := s.parseToken(token)
	if !ok {
		return nil, Unauthorized("Invalid or expired access token.")
	}
	if c := s.sessions.get(claims.SID); c != nil {
		return c, nil
	}
	var caller *Caller
	readAt := s.cfg.Clock()
	err := s.store.Read(ctx, func(tx Tx) error {
		sess, u, err := sessionUser(tx, claims.SID)
		if err != nil {
			return err
		}
		// Before the revocation check: a global ban revokes every session, and the
		// client must hear 400312 (banned), not 400100 (log in again).
		if u.IsGlobalBan {
			return Errorf(CodeGlobalBanned, "User is globally banned.")
		}
		if !sess.RevokedAt.IsZero() || s.cfg.Clock().After(sess.ExpiresAt.Time) {
			return Unauthorized("Access token has been revoked or has expired.")
		}
		s.decorate([]User{*u})
		caller = newCaller(u, sess.ID, s.roleSet())
		caller.ExpiresAt = sess.ExpiresAt.Time
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.sessions.put(caller, token, claims.Exp, readAt)
	return caller, nil
}

// Logout answers DELETE /api/v4/sessions: it revokes the caller's own session, or with a
// userId (admins only) every session of that user.
func (s *Service) Logout(ctx context.Context, c *Caller, userID string) error {
	if userID != "" {
		return s.RevokeUser(ctx, c, userID)
	}
	err := s.store.Write(ctx, func(tx Tx) error {
		if err := tx.RevokeSession(c.SessionID, s.now()); err != nil {
			return err
		}
		if err := s.forgetSessionDevice(tx, c); err != nil {
			return err
		}
		return tx.AppendEvent(Event{Type: EventSessionRevoked, UserIDs: []string{c.User.ID}, Data: SessionsRevoked{UserID: c.User.ID, SessionIDs: []string{c.SessionID}}})
	})
	if err == nil {
		s.sessions.forgetUser(c.User.ID) // the user's, not only this one: see sessionCache.forgotten
		s.revoked(ctx, SessionsRevoked{UserID: c.User.ID, SessionIDs: []string{c.SessionID}})
	}
	return err
}

// RevokeUser answers DELETE /api/v4/sessions/users/{userId}: an admin ends every
// session of a user at once.
func (s *Service) RevokeUser(ctx context.Context, c *Caller, userID string) error {
	if !c.Can(PermEditUser) {
		return PermissionDenied()
	}
	var internalID string
	var revoked []string
	err := s.store.Write(ctx, func(tx Tx) error {
		u, err := tx.UserByPublicID(userID)
		if err != nil {
			return err
		}
		if u == nil {
			return NotFound("User")
		}
		internalID = u.ID
		ids, err := tx.RevokeUserSessions(u.ID, s.now())
		if err != nil {
			return err
		}
		revoked = ids
		if _, err := tx.DeletePushDevices(u.ID, ""); err != nil { // no pushes for a user signed out everywhere
			return err
		}
		return tx.AppendEvent(Event{Type: EventSessionRevoked, UserIDs: []string{u.ID}, Data: SessionsRevoked{UserID: u.ID, SessionIDs: ids}})
	})
	if err == nil {
		s.sessions.forgetUser(internalID)
		s.revoked(ctx, SessionsRevoked{UserID: internalID, SessionIDs: revoked})
	}
	return err
}

// SessionsRevoked is the data of EventSessionRevoked.
type SessionsRevoked struct {
	UserID     string   `json:"userId"`
	SessionIDs []string `json:"sessionIds"`
	// RolesChanged says a role's permissions changed: every cached caller is stale,
	// and the node reloads the roles (role_admin.go).
	RolesChanged bool `json:"rolesChanged,omitempty"`
	// ContentRulesChanged says the blocklist, allowlist or its switch changed: the node
	// drops its compiled rules (content_moderation.go). These node caches ride the same
	// two paths as revocations: the outbox event and the cluster's broadcast.
	ContentRulesChanged bool `json:"contentRulesChanged,omitempty"`
}

// ForgetSessions drops a user's cached sessions; other nodes call it when a revocation
// or a change of the user's roles reaches them.
func (s *Service) ForgetSessions(r SessionsRevoked) {
	if r.ContentRulesChanged {
		s.content.reset()
		return
	}
	if r.RolesChanged {
		s.rolesChanged()
		return
	}
	s.sessions.forgetUser(r.UserID)
}

// OnSessionsRevoked sets fn to be called after a commit that revoked sessions (with their
// ids) or changed a user's roles (with none), before the request that did it returns. A
// cluster uses it to make every node drop the user's cached sessions at once, rather
// than when the event comes through the outbox. fn may block briefly; it must not fail.
func (s *Service) OnSessionsRevoked(fn func(context.Context, SessionsRevoked)) { s.onRevoke.Store(&fn) }

func (s *Service) revoked(ctx context.Context, r SessionsRevoked) {
	if fn := s.onRevoke.Load(); fn != nil {
		(*fn)(ctx, r)
	}
}
