// Package chattest helps tests of the chat service and the layers above it.
package chattest

import (
	"sync"
	"time"
)

// Clock is a chat.Config.Clock that tests move on instead of sleeping: it tells the real
// time plus however far Advance has moved it, so that everything else (ordering of ids
// and timestamps, timeouts of real I/O) behaves as on the real clock.
type Clock struct {
	mu     sync.Mutex
	offset time.Duration
}

// Now is the clock's time; pass the method value as chat.Config.Clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// Advance moves the clock on by d: a mute, token or window of d ends at once.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}
