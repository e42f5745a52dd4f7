package chat

import (
	"context"
	"encoding/json"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// Content moderation (docs/moderation.md): the network's keyword blocklist and link
// allowlist. A message whose text holds a blocked word is refused with 400308; with the
// allowlist switched on (network moderation settings, isWhitelistEnabled), a message
// linking outside it is refused with 400309. Matching ignores case by Unicode simple
// case folding. The blocklist compiles into one Aho-Corasick automaton (word_matcher.go:
// linear in the text, whatever the list's size), cached per node and dropped when a list changes: at
// once on the node that made the change, through the outbox (and the cluster's
// broadcast) on the others, as role changes travel.

// ListedWord is one entry of the blocklist or the allowlist.
type ListedWord struct {
	ID               string `json:"id"`
	List             string `json:"-"` // block | allow
	Text             string `json:"text"`
	IsMatchExactWord bool   `json:"isMatchExactWord"` // blocklist: whole words only
	CreatedAt        Time   `json:"createdAt"`
}

// The two lists.
const (
	Blocklist = "block"
	Allowlist = "allow"
)

// Content moderation codes.
const (
	CodeBanWordFound   Code = 400308
	CodeLinkNotAllowed Code = 400309
)

// MaxListedWords bounds each list.
const MaxListedWords = 10_000

// settingAllowlistEnabled is the setting of the allowlist switch.
const settingAllowlistEnabled = "moderation_allowlist_enabled"

// AuditWordAdd and AuditWordRemove are the audit actions of list changes.
const (
	AuditWordAdd    = "blocklist.add"
	AuditWordRemove = "blocklist.remove"
	// AuditAllowlistSwitch records the allowlist being switched on or off.
	AuditAllowlistSwitch = "allowlist.enabled"
)

// WordStore is the persistence of the lists.
type WordStore interface {
	PutWord(w *ListedWord) (bool, error)
	DeleteWord(list, id string) (*ListedWord, error)
	Words(list string) ([]ListedWord, error)
	CountWords(list string) (int, error)
	// LockWords queues, until commit, the transactions that add to a list.
	LockWords(list string) error
	ListWords(list string, newestFirst bool, limit int, after *Cursor) ([]ListedWord, error)
}

// FoldCase maps each rune to the smallest rune of its case-folding orbit (Unicode simple
// case folding): "ΣΊΣΥΦΟΣ" and "σίσυφος" fold alike. Entries are unique by it.
func FoldCase(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		b.WriteRune(foldRune(r))
	}
	return b.String()
}

// contentRules is the lists, compiled.
type contentRules struct {
	blocked   *wordMatcher // nil: nothing blocked
	allowed   []string     // lowered host names; a subdomain of one is allowed too
	allowlist bool         // links outside allowed are refused
}

// contentCache holds the node's compiled rules. gen counts resets: rules read before
// a reset must not be kept after it.
type contentCache struct {
	mu    sync.Mutex
	rules *contentRules
	gen   uint64
}

// reset drops the compiled rules; the next check compiles them again.
func (c *contentCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.rules = nil
}

// contentRules answers the node's compiled rules, compiling them from the lists the
// transaction sees when a change dropped them.
func (s *Service) contentRules(tx Tx) (*contentRules, error) {
	s.content.mu.Lock()
	r, gen := s.content.rules, s.content.gen
	s.content.mu.Unlock()
	if r != nil {
		return r, nil
	}
	blocked, err := tx.Words(Blocklist)
	if err != nil {
		return nil, err
	}
	allowed, err := tx.Words(Allowlist)
	if err != nil {
		return nil, err
	}
	on, _, err := tx.Setting(settingAllowlistEnabled)
	if err != nil {
		return nil, err
	}
	r = &contentRules{allowlist: on == "true"}
	if len(blocked) > 0 {
		r.blocked = newWordMatcher(blocked)
	}
	for _, w := range allowed {
		r.allowed = append(r.allowed, allowedHost(w.Text))
	}
	s.content.mu.Lock()
	if s.content.gen == gen {
		s.content.rules = r
	}
	s.content.mu.Unlock()
	return r, nil
}

// linkPattern finds links in text: http(s) URLs and www. names.
var linkPattern = regexp.MustCompile(`(?i)\b(?:https?://|www\.)[^\s<>"'()]+`)

// allowedHost is the host an allowlist entry names: "example.com", "https://example.com/x".
func allowedHost(entry string) string {
	e := strings.ToLower(strings.TrimSpace(entry))
	if i := strings.Index(e, "://"); i >= 0 {
		e = e[i+3:]
	}
	if i := strings.IndexAny(e, "/?#:"); i >= 0 {
		e = e[:i]
	}
	return strings.TrimPrefix(e, "www.")
}

// linkAllowed tells whether a link's host is an allowed host or one of its subdomains.
func (r *contentRules) linkAllowed(link string) bool {
	if !strings.Contains(link, "://") {
		link = "http://" + link
	}
	u, err := url.Parse(link)
	if err != nil || u.Hostname() == "" {
		return false
	}
	host := strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
	for _, a := range r.allowed {
		if host == a || strings.HasSuffix(host, "."+a) {
			return true
		}
	}
	return false
}

// check refuses text with a blocked word, or with a link outside the allowlist when it
// is on.
func (r *contentRules) check(text string) error {
	if r.blocked != nil && r.blocked.match(text) {
		return Errorf(CodeBanWordFound, "The text contains a blocked word.")
	}
	if r.allowlist {
		for _, link := range linkPattern.FindAllString(text, -1) {
			if !r.linkAllowed(link) {
				return Errorf(CodeLinkNotAllowed, "The text links outside the allowlist.")
			}
		}
	}
	return nil
}

// checkMessageContent applies the rules to a message's text (data.text of any type).
func (s *Service) checkMessageContent(tx Tx, data json.RawMessage) error {
	var d struct {
		Text string `json:"text"`
	}
	if json.Unmarshal(data, &d) != nil || d.Text == "" {
		return nil
	}
	r, err := s.contentRules(tx)
	if err != nil {
		return err
	}
	return r.check(d.Text)
}

// contentChanged drops the compiled rules on every node: the event is appended in the
// changing transaction; after the commit, this node drops them at once and a cluster
// tells the others.
func contentChanged(tx Tx) error {
	return tx.AppendEvent(Event{Type: EventSessionRevoked, Data: SessionsRevoked{ContentRulesChanged: true}})
}

func (s *Service) contentCommitted(ctx context.Context) {
	s.content.reset()
	s.revoked(ctx, SessionsRevoked{ContentRulesChanged: true})
}

// WordEntry is one entry of POST /api/v3/blocklists and /api/v3/allowlists.
type WordEntry struct {
	Text             *string `json:"text"`
	IsMatchExactWord bool    `json:"isMatchExactWord"`
}

// WordsInput is the body of POST /api/v3/blocklists and /api/v3/allowlists.
type WordsInput struct {
	Data   []WordEntry `json:"data"`
	Reason *string     `json:"reason"`
}

// AddWords answers POST /api/v3/blocklists and /api/v3/allowlists (BAN_USER): entries
// the list has already (ignoring case) are skipped.
func (s *Service) AddWords(ctx context.Context, c *Caller, list string, in WordsInput) error {
	var p Problems
	if in.Data == nil {
		p.Add("data", "is required")
	}
	if len(in.Data) > 100 {
		p.Add("data", "has more than 100 entries")
	}
	for _, e := range in.Data {
		p.Required("data.text", e.Text, 1, 100)
		if list == Allowlist && e.Text != nil && allowedHost(*e.Text) == "" {
			p.Add("data.text", "names no host")
		}
	}
	p.Text("reason", in.Reason, 0, MaxAuditReason)
	if err := p.Err(); err != nil {
		return err
	}
	if !c.Can(PermBanUser) {
		return PermissionDenied()
	}
	err := s.store.Write(ctx, func(tx Tx) error {
		if err := tx.LockWords(list); err != nil { // concurrent additions count in turn
			return err
		}
		n, err := tx.CountWords(list)
		if err != nil {
			return err
		}
		now := s.now()
		for _, e := range in.Data {
			w := &ListedWord{ID: NewID(), List: list, Text: *e.Text, IsMatchExactWord: e.IsMatchExactWord && list == Blocklist, CreatedAt: now}
			added, err := tx.PutWord(w)
			if err != nil {
				return err
			}
			if !added {
				continue
			}
			if n++; n > MaxListedWords {
				return Errorf(CodeBadRequest, "A list holds at most %d entries.", MaxListedWords)
			}
			if err := s.audit(tx, c, AuditWordAdd, "blocklist", w.ID, "", deref(in.Reason, ""), map[string]any{"list": list, "text": w.Text}); err != nil {
				return err
			}
		}
		return contentChanged(tx)
	})
	if err == nil {
		s.contentCommitted(ctx)
	}
	return err
}

// RemoveWord answers DELETE /api/v3/blocklists/{id} and /api/v3/allowlists/{id}.
func (s *Service) RemoveWord(ctx context.Context, c *Caller, list, id, reason string) error {
	if err := checkReason(reason); err != nil {
		return err
	}
	if !c.Can(PermBanUser) {
		return PermissionDenied()
	}
	err := s.store.Write(ctx, func(tx Tx) error {
		w, err := tx.DeleteWord(list, id)
		if err != nil {
			return err
		}
		if w == nil {
			return NotFound("Entry")
		}
		if err := s.audit(tx, c, AuditWordRemove, "blocklist", w.ID, "", reason, map[string]any{"list": list, "text": w.Text}); err != nil {
			return err
		}
		return contentChanged(tx)
	})
	if err == nil {
		s.contentCommitted(ctx)
	}
	return err
}

// WordsPayload is the answer of GET /api/v3/blocklists and /api/v3/allowlists.
type WordsPayload struct {
	Words  []ListedWord `json:"data"`
	Paging *Paging      `json:"paging"`
}

// ListWords answers GET /api/v3/blocklists and /api/v3/allowlists (BAN_USER).
func (s *Service) ListWords(ctx context.Context, c *Caller, list string, newestFirst bool, limit int, after *Cursor) (*WordsPayload, error) {
	if !c.Can(PermBanUser) {
		return nil, PermissionDenied()
	}
	var out *WordsPayload
	err := s.store.Read(ctx, func(tx Tx) error {
		words, paging, err := fetchPage(limit,
			func(n int) ([]ListedWord, error) { return tx.ListWords(list, newestFirst, n, after) },
			func(w ListedWord) *Cursor { return &Cursor{N: w.CreatedAt.Millis(), ID: w.ID} })
		if words == nil {
			words = []ListedWord{}
		}
		out = &WordsPayload{Words: words, Paging: paging}
		return err
	})
	return out, err
}

// VerifyInput is the body of the /verify calls: up to 10 texts or URLs.
type VerifyInput struct {
	Data []string `json:"data"`
}

// Verify answers POST /api/v3/blocklists/verify (texts: 400308 when one holds a blocked
// word) and /api/v3/allowlists/verify (URLs: 400000 when one is not a URL, 400309 when
// one is outside the allowlist, whether or not the allowlist is switched on).
func (s *Service) Verify(ctx context.Context, c *Caller, list string, in VerifyInput) error {
	var p Problems
	if in.Data == nil {
		p.Add("data", "is required")
	}
	p.List("data", in.Data, 1, 10, 1, 500)
	if list == Allowlist {
		for _, d := range in.Data {
			if u, err := url.Parse(d); err != nil || u.Hostname() == "" {
				p.Add("data", "has an invalid URL %q", d)
				break
			}
		}
	}
	if err := p.Err(); err != nil {
		return err
	}
	return s.store.Read(ctx, func(tx Tx) error {
		r, err := s.contentRules(tx)
		if err != nil {
			return err
		}
		for _, d := range in.Data {
			if list == Allowlist && !r.linkAllowed(d) {
				return Errorf(CodeLinkNotAllowed, "Some URLs are not in the allowlist.")
			}
			if list == Blocklist && r.blocked != nil && r.blocked.match(d) {
				return Errorf(CodeBanWordFound, "Some texts contain blocked words.")
			}
		}
		return nil
	})
}

// ModerationSettings is GET and PUT /api/v3/network-settings/moderation.
type ModerationSettings struct {
	IsWhitelistEnabled *bool `json:"isWhitelistEnabled"`
}

// ModerationSettings answers GET /api/v3/network-settings/moderation.
func (s *Service) GetModerationSettings(ctx context.Context, c *Caller) (*ModerationSettings, error) {
	on := false
	err := s.store.Read(ctx, func(tx Tx) error {
		v, _, err := tx.Setting(settingAllowlistEnabled)
		on = v == "true"
		return err
	})
	return &ModerationSettings{IsWhitelistEnabled: &on}, err
}

// PutModerationSettings answers PUT /api/v3/network-settings/moderation (BAN_USER).
func (s *Service) PutModerationSettings(ctx context.Context, c *Caller, in ModerationSettings) (*ModerationSettings, error) {
	var p Problems
	if in.IsWhitelistEnabled == nil {
		p.Add("isWhitelistEnabled", "is required")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if !c.Can(PermBanUser) {
		return nil, PermissionDenied()
	}
	err := s.store.Write(ctx, func(tx Tx) error {
		if err := tx.PutSetting(settingAllowlistEnabled, strconv.FormatBool(*in.IsWhitelistEnabled)); err != nil {
			return err
		}
		if err := s.audit(tx, c, AuditAllowlistSwitch, "blocklist", "allowlist", "", "", map[string]any{"isWhitelistEnabled": *in.IsWhitelistEnabled}); err != nil {
			return err
		}
		return contentChanged(tx)
	})
	if err != nil {
		return nil, err
	}
	s.contentCommitted(ctx)
	return &in, nil
}
