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
	// forgotten notes when a user's sessions were last dropped: a caller read from
	// storage before that must not be cached after it (a check that raced a revocation,
	// perhaps made on another node, would keep the revoked token alive for the TTL).
	forgotten map[string]time.Time
	// nextSweep is when put next drops the entries that aged out: without it they stayed
	// until the size bound pushed them out, and a long-running node kept up to
	// sessionCacheSize sessions (about 1 kB each) that nobody had used for days.
	nextSweep time.Time
	// allForgotten is forgotten for everyone: when a role's permissions last changed.
	allForgotten time.Time
	// now is the service clock: expiries and read times compare with the times it tells.
	now func() time.Time
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

func newSessionCache(now func() time.Time) *sessionCache {
	return &sessionCache{now: now, byID: map[string]cachedSession{}, byUser: map[string]map[string]struct{}{}, byToken: map[string]string{}, forgotten: map[string]time.Time{}}
}

// getByToken is get for the session a token verified earlier put in the cache.
func (c *sessionCache) getByToken(token string) *Caller {
	c.mu.RLock()
	e, ok := c.byID[c.byToken[token]]
	c.mu.RUnlock()
	if !ok || e.token != token || c.now().After(e.expires) {
		return nil
	}
	return e.caller
}

func (c *sessionCache) get(id string) *Caller {
	c.mu.RLock()
	e, ok := c.byID[id]
	c.mu.RUnlock()
	if !ok || c.now().After(e.expires) {
		return nil
	}
	return e.caller
}

// put caches a caller that was read from storage at readAt (taken before the read).
func (c *sessionCache) put(caller *Caller, token string, tokenExp int64, readAt time.Time) {
	exp := c.now().Add(sessionCacheTTL)
	if t := time.Unix(tokenExp, 0); t.Before(exp) {
		exp = t
	}
	uid := caller.User.ID
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := c.now(); now.After(c.nextSweep) {
		c.sweepLocked(now)
		c.nextSweep = now.Add(sessionCacheTTL / 5)
	}
	if !readAt.After(c.allForgotten) {
		return // a role changed while this one was being read
	}
	if at, ok := c.forgotten[uid]; ok && !readAt.After(at) {
		return // the user's sessions were dropped while this one was being read
	}
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

func (c *sessionCache) forgetUser(userID string) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.forgotten) >= sessionCacheSize {
		for id, at := range c.forgotten { // only reads slower than a minute still need them
			if now.Sub(at) > time.Minute {
				delete(c.forgotten, id)
			}
		}
	}
	c.forgotten[userID] = now
	for id := range c.byUser[userID] {
		delete(c.byToken, c.byID[id].token)
		delete(c.byID, id)
	}
	delete(c.byUser, userID)
}

// sweepLocked drops the entries that expired before now.
func (c *sessionCache) sweepLocked(now time.Time) {
	for id, e := range c.byID {
		if now.After(e.expires) {
			c.dropLocked(id, e.caller.User.ID)
		}
	}
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

// forgetAll drops every cached caller: a role's permissions changed, and each caller
// holds the permissions its roles had when it was read.
func (c *sessionCache) forgetAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.allForgotten = c.now()
	c.byID = map[string]cachedSession{}
	c.byUser = map[string]map[string]struct{}{}
	c.byToken = map[string]string{}
}
