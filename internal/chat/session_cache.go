package chat

import (
	"sync"
	"time"
)

// sessionCache keeps recently seen callers by session id so that token checks on the hot
// path touch no storage. Entries are dropped on revocation and on changes to the user's
// roles; they also age out so that a missed invalidation heals by itself.
//
// It also remembers which token put each entry, so that a token already verified is
// answered without checking its signature and decoding its claims again (a twentieth of
// a cheap read's CPU): the same bytes verify the same way.
type sessionCache struct {
	mu      sync.RWMutex
	byID    map[string]cachedSession
	byUser  map[string]map[string]struct{}
	byToken map[string]string // token → session id
}

type cachedSession struct {
	caller  *Caller
	token   string
	expires time.Time // never after the token's own expiry
}

const (
	sessionCacheTTL  = 5 * time.Minute
	sessionCacheSize = 200_000
)

func newSessionCache() *sessionCache {
	return &sessionCache{byID: map[string]cachedSession{}, byUser: map[string]map[string]struct{}{}, byToken: map[string]string{}}
}

// getByToken is get for the session a token verified earlier put in the cache.
func (c *sessionCache) getByToken(token string) *Caller {
	c.mu.RLock()
	e, ok := c.byID[c.byToken[token]]
	c.mu.RUnlock()
	if !ok || e.token != token || time.Now().After(e.expires) {
		return nil
	}
	return e.caller
}

func (c *sessionCache) get(id string) *Caller {
	c.mu.RLock()
	e, ok := c.byID[id]
	c.mu.RUnlock()
	if !ok || time.Now().After(e.expires) {
		return nil
	}
	return e.caller
}

func (c *sessionCache) put(caller *Caller, token string, tokenExp int64) {
	exp := time.Now().Add(sessionCacheTTL)
	if t := time.Unix(tokenExp, 0); t.Before(exp) {
		exp = t
	}
	uid := caller.User.ID
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.byID) >= sessionCacheSize {
		for id, e := range c.byID { // map order is random: this evicts an arbitrary entry
			c.dropLocked(id, e.caller.User.ID)
			break
		}
	}
	if len(c.byToken) >= 2*sessionCacheSize { // tokens of replaced entries pile up here
		c.byToken = map[string]string{}
		for id, e := range c.byID {
			c.byToken[e.token] = id
		}
	}
	if old, ok := c.byID[caller.SessionID]; ok {
		delete(c.byToken, old.token)
	}
	c.byID[caller.SessionID] = cachedSession{caller: caller, token: token, expires: exp}
	c.byToken[token] = caller.SessionID
	if c.byUser[uid] == nil {
		c.byUser[uid] = map[string]struct{}{}
	}
	c.byUser[uid][caller.SessionID] = struct{}{}
}

func (c *sessionCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byID[id]; ok {
		c.dropLocked(id, e.caller.User.ID)
	}
}

func (c *sessionCache) forgetUser(userID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id := range c.byUser[userID] {
		delete(c.byToken, c.byID[id].token)
		delete(c.byID, id)
	}
	delete(c.byUser, userID)
}

func (c *sessionCache) dropLocked(id, userID string) {
	delete(c.byToken, c.byID[id].token)
	delete(c.byID, id)
	if m := c.byUser[userID]; m != nil {
		delete(m, id)
		if len(m) == 0 {
			delete(c.byUser, userID)
		}
	}
}
