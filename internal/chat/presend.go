package chat

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"time"
)

// The pre-send hook (docs/webhooks.md): when the network has one, every new message is
// first posted to the operator's URL, which answers whether it may be stored as it is,
// with another text, or not at all. The call happens before the write transaction: no
// lock or connection is held while the operator thinks.

// PreSendSettings is the network's hook, kept in the settings table and changed with
// PUT /api/v3/network-settings/prehook.
type PreSendSettings struct {
	Enabled     bool   `json:"enabled"`
	CallbackURL string `json:"callbackUrl"`
	Secret      string `json:"secret"`
	TimeoutMs   int    `json:"timeout"`       // the answer must come within this
	Default     string `json:"defaultAction"` // allow (fail open) or deny (fail closed) when it does not
}

// PreSendRequest is what the operator receives (Amity's message.shouldCreate).
type PreSendRequest struct {
	EventName string         `json:"eventName"`
	Data      PreSendMessage `json:"data"`
	Actor     PreSendActor   `json:"actor"`
}

// PreSendMessage is the message about to be stored.
type PreSendMessage struct {
	ChannelID     string           `json:"channelId"` // the feed's channel, as the client named it
	MessageFeedID string           `json:"messageFeedId"`
	DataType      string           `json:"dataType"`
	Data          json.RawMessage  `json:"data"`
	Tags          []string         `json:"tags"`
	Metadata      *json.RawMessage `json:"metadata"`
	ParentID      *string          `json:"parentId"`
	ReferenceID   *string          `json:"referenceId"`
}

// PreSendActor is the sender.
type PreSendActor struct {
	ID     string `json:"_id"`
	UserID string `json:"userId"`
}

// PreSendAnswer is the operator's decision: {"action":"allow"}, {"action":"allow",
// "data":{"text":"…"}} to store another text, or {"action":"deny","message":"…",
// "code":400300}.
type PreSendAnswer struct {
	Action  string `json:"action"`
	Message string `json:"message"`
	Code    Code   `json:"code"`
	Data    *struct {
		Text *string `json:"text"`
	} `json:"data"`
}

// PreSendCaller posts a request to the hook and reads its answer within the timeout
// (internal/webhook does it over HTTP, signed like webhooks).
type PreSendCaller interface {
	CallPreSend(ctx context.Context, cfg PreSendSettings, req PreSendRequest) (*PreSendAnswer, error)
}

// preSendKey is the setting the hook is kept under.
const preSendKey = "webhook_presend"

// preSendTTL is how long a node keeps the hook's settings before reading them again: a
// change made on another node of a cluster takes effect within it.
const preSendTTL = 5 * time.Second

// preSendState caches the settings so that a message costs no extra read.
type preSendState struct {
	cached atomic.Pointer[preSendCached]
}

type preSendCached struct {
	cfg    PreSendSettings
	loaded time.Time
}

// Codes a hook may refuse a message with; any other code is answered as 400300.
var preSendCodes = map[Code]bool{CodeBadRequest: true, CodeForbidden: true, CodePermissionDenied: true,
	CodeUserMuted: true, CodeChannelMuted: true, CodeUserBanned: true, CodeRateLimited: true, CodeGlobalBanned: true}

// PreSendHookSettings answers the hook's settings (global admins only).
func (s *Service) PreSendHookSettings(ctx context.Context, c *Caller) (*PreSendSettings, error) {
	if err := s.adminOnly(c); err != nil {
		return nil, err
	}
	cfg, err := s.loadPreSend(ctx, true)
	return &cfg, err
}

// PutPreSendHook changes the hook's settings; nil fields keep their value.
func (s *Service) PutPreSendHook(ctx context.Context, c *Caller, in PreSendInput) (*PreSendSettings, error) {
	var p Problems
	if in.CallbackURL != nil && *in.CallbackURL != "" {
		checkWebhook(&p, WebhookInput{URL: in.CallbackURL}, false)
	}
	p.Text("secret", in.Secret, 16, 200)
	p.Range("timeout", in.TimeoutMs, 50, 10000)
	p.OneOf("defaultAction", in.Default, "allow", "deny")
	if err := p.Err(); err != nil {
		return nil, err
	}
	if err := s.adminOnly(c); err != nil {
		return nil, err
	}
	var out PreSendSettings
	err := s.store.Write(ctx, func(tx Tx) error {
		cfg, err := readPreSend(tx)
		if err != nil {
			return err
		}
		if in.Enabled != nil {
			cfg.Enabled = *in.Enabled
		}
		if in.CallbackURL != nil {
			cfg.CallbackURL = *in.CallbackURL
		}
		if in.Secret != nil {
			cfg.Secret = *in.Secret
		}
		if cfg.Secret == "" {
			cfg.Secret = NewWebhookSecret()
		}
		if in.TimeoutMs != nil {
			cfg.TimeoutMs = *in.TimeoutMs
		}
		if in.Default != nil {
			cfg.Default = *in.Default
		}
		if cfg.Enabled && cfg.CallbackURL == "" {
			var p Problems
			p.Add("callbackUrl", "is required to enable the hook")
			return p.Err()
		}
		b, _ := json.Marshal(cfg)
		out = cfg
		return tx.PutSetting(preSendKey, string(b))
	})
	if err == nil {
		s.preSend.cached.Store(&preSendCached{cfg: out, loaded: s.cfg.Clock()})
	}
	return &out, err
}

// PreSendInput changes the hook's settings.
type PreSendInput struct {
	Enabled     *bool   `json:"enabled"`
	CallbackURL *string `json:"callbackUrl"`
	Secret      *string `json:"secret"`
	TimeoutMs   *int    `json:"timeout"`
	Default     *string `json:"defaultAction"`
}

func readPreSend(tx Tx) (PreSendSettings, error) {
	cfg := PreSendSettings{TimeoutMs: 1500, Default: "allow"}
	v, ok, err := tx.Setting(preSendKey)
	if err == nil && ok {
		err = json.Unmarshal([]byte(v), &cfg)
	}
	return cfg, err
}

// loadPreSend answers the hook's settings from the cache while fresh (fresh: always
// from the store).
func (s *Service) loadPreSend(ctx context.Context, fresh bool) (PreSendSettings, error) {
	if c := s.preSend.cached.Load(); c != nil && !fresh && s.cfg.Clock().Sub(c.loaded) < preSendTTL {
		return c.cfg, nil
	}
	var cfg PreSendSettings
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		cfg, err = readPreSend(tx)
		return err
	})
	if err == nil {
		s.preSend.cached.Store(&preSendCached{cfg: cfg, loaded: s.cfg.Clock()})
	}
	return cfg, err
}

// preSendCheck asks the hook about a new message, when the network has one. It answers
// the input to store (its text changed when the hook said so) or the refusal. A hook
// that fails, is late or answers nonsense gets the default action.
func (s *Service) preSendCheck(ctx context.Context, c *Caller, in CreateMessageInput) (CreateMessageInput, error) {
	if s.cfg.PreSend == nil {
		return in, nil
	}
	cfg, err := s.loadPreSend(ctx, false)
	if err != nil || !cfg.Enabled {
		return in, err
	}
	req := PreSendRequest{EventName: "message.shouldCreate", Actor: PreSendActor{ID: c.User.ID, UserID: c.User.UserID},
		Data: PreSendMessage{MessageFeedID: deref(in.MessageFeedID, ""), DataType: deref(in.DataType, ""), Data: in.Data,
			Tags: nonNilStrings(in.Tags), Metadata: in.Metadata, ParentID: in.ParentID, ReferenceID: in.ReferenceID}}
	req.Data.ChannelID = req.Data.MessageFeedID
	if in.ChannelID != nil {
		req.Data.ChannelID = *in.ChannelID
	}
	hctx, cancel := context.WithTimeout(ctx, time.Duration(cfg.TimeoutMs)*time.Millisecond)
	defer cancel()
	ans, err := s.cfg.PreSend.CallPreSend(hctx, cfg, req)
	if err != nil || (ans.Action != "allow" && ans.Action != "deny") {
		if cfg.Default == "deny" {
			return in, Errorf(CodeForbidden, "The message was refused: the pre-send hook did not answer.")
		}
		return in, nil
	}
	if ans.Action == "deny" {
		code := ans.Code
		if !preSendCodes[code] {
			code = CodeForbidden
		}
		msg := ans.Message
		if msg == "" {
			msg = "The message was refused."
		}
		return in, &Error{Code: code, Message: msg}
	}
	if ans.Data != nil && ans.Data.Text != nil && deref(in.DataType, "") == DataText {
		var data map[string]json.RawMessage
		json.Unmarshal(in.Data, &data)
		if data == nil {
			data = map[string]json.RawMessage{}
		}
		data["text"], _ = json.Marshal(*ans.Data.Text)
		in.Data, _ = json.Marshal(data)
	}
	return in, nil
}

func nonNilStrings(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}
