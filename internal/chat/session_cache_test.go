package chat

import (
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/chat/chattest"
)

// A token check that read the session before a revocation and caches it after (a
// revocation applied meanwhile, perhaps broadcast by another node) must not cache it:
// the revoked token would be accepted until the entry ages out.
func TestSessionCacheRefusesCallersReadBeforeARevocation(t *testing.T) {
	clock := &chattest.Clock{}
	c := newSessionCache(clock.Now)
	caller := &Caller{User: &User{ID: "u1"}, SessionID: "s1"}
	exp := clock.Now().Add(time.Hour).Unix()

	readAt := clock.Now()
	c.forgetUser("u1") // the revocation lands while the read is under way
	c.put(caller, "t1", exp, readAt)
	if c.get("s1") != nil {
		t.Fatal("a caller read before the revocation was cached after it")
	}
	clock.Advance(time.Millisecond)       // a clock tick later
	c.put(caller, "t1", exp, clock.Now()) // read after the revocation: it saw the session's state
	if c.get("s1") == nil {
		t.Fatal("a caller read after the revocation was not cached")
	}
}

// A token already verified is answered by the cache; once its user's sessions are
// dropped, or another token replaced its entry, it must be checked again.
func TestSessionCacheByToken(t *testing.T) {
	c := newSessionCache(time.Now)
	caller := &Caller{User: &User{ID: "u1"}, SessionID: "s1"}
	exp := time.Now().Add(time.Hour).Unix()
	c.put(caller, "t1", exp, time.Now())
	if c.getByToken("t1") != caller || c.getByToken("t2") != nil {
		t.Fatal("getByToken does not answer exactly the token that was cached")
	}
	c.put(caller, "t2", exp, time.Now())
	if c.getByToken("t1") != nil || c.getByToken("t2") != caller {
		t.Fatal("a replaced token is still answered")
	}
	c.forgetUser("u1")
	if c.getByToken("t2") != nil {
		t.Fatal("a token of a dropped session is still answered")
	}
	expired := time.Now().Add(-time.Second).Unix()
	c.put(caller, "t3", expired, time.Now().Add(time.Second))
	if c.getByToken("t3") != nil {
		t.Fatal("an expired token is answered")
	}
}

// Entries that aged out leave the cache at the next sweep, not only when the size bound
// pushes them out: a long-running node must not keep every session it ever saw.
func TestSessionCacheSweepsExpiredEntries(t *testing.T) {
	c := newSessionCache(time.Now)
	old := &Caller{User: &User{ID: "u1"}, SessionID: "s1"}
	c.put(old, "t1", time.Now().Add(-time.Second).Unix(), time.Now()) // its token has expired
	c.nextSweep = time.Time{}                                         // the sweep is due
	live := &Caller{User: &User{ID: "u2"}, SessionID: "s2"}
	c.put(live, "t2", time.Now().Add(time.Hour).Unix(), time.Now())
	if _, ok := c.byID["s1"]; ok || c.byToken["t1"] != "" || c.byUser["u1"] != nil {
		t.Fatal("an expired session stayed in the cache after a sweep")
	}
	if c.get("s2") != live {
		t.Fatal("the sweep dropped a live session")
	}
}
