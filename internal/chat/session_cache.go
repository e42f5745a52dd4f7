package chat

import (
	"sync"
	"time"
)

// sessionCache keeps recently seen callers by session id so that token checks on the hot
// path touch no storage. Entries are dropped on revocation and on changes to the user's
// roles; they also age out so that a missed invalidation heals by itself.
type sessionCache struct {
	mu     sync.RWMutex
	byID   map[string]cachedSession
	byUser map[string]map[string]struct{}
}

type cachedSession struct {
	caller  *Caller
	expires time.Time
}

const (
	sessionCacheTTL  = 5 * time.Minute
	sessionCacheSize = 200_000
)

func newSessionCache() *sessionCache {
	return &sessionCache{byID: map[string]cachedSession{}, byUser: map[string]map[string]struct{}{}}
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

func (c *sessionCache) put(caller *Caller, tokenExp int64) {
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
	c.byID[caller.SessionID] = cachedSession{caller: caller, expires: exp}
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
		delete(c.byID, id)
	}
	delete(c.byUser, userID)
}

func (c *sessionCache) dropLocked(id, userID string) {
	delete(c.byID, id)
	if m := c.byUser[userID]; m != nil {
		delete(m, id)
		if len(m) == 0 {
			delete(c.byUser, userID)
		}
	}
}
