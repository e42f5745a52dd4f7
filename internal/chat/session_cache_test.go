package chat

import (
	"testing"
	"time"
)

// A token check that read the session before a revocation and caches it after (a
// revocation applied meanwhile, perhaps broadcast by another node) must not cache it:
// the revoked token would be accepted until the entry ages out.
func TestSessionCacheRefusesCallersReadBeforeARevocation(t *testing.T) {
	c := newSessionCache()
	caller := &Caller{User: &User{ID: "u1"}, SessionID: "s1"}
	exp := time.Now().Add(time.Hour).Unix()

	readAt := time.Now()
	c.forgetUser("u1") // the revocation lands while the read is under way
	c.put(caller, exp, readAt)
	if c.get("s1") != nil {
		t.Fatal("a caller read before the revocation was cached after it")
	}
	time.Sleep(time.Millisecond)   // a clock tick later, on any clock
	c.put(caller, exp, time.Now()) // read after the revocation: it saw the session's state
	if c.get("s1") == nil {
		t.Fatal("a caller read after the revocation was not cached")
	}
}
