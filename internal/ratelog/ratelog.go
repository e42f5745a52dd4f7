// Package ratelog writes a log line at most once per interval: the line an attacker or a
// broken client can cause thousands of times a second (a cut connection, a refused one)
// is worth seeing, not worth flooding the log with.
package ratelog

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Limiter lets one line through per interval and counts the ones it held back, which the
// next line reports as "suppressed".
type Limiter struct {
	every time.Duration

	mu         sync.Mutex
	last       time.Time
	suppressed int
}

// New returns a limiter letting one line through per interval.
func New(every time.Duration) *Limiter { return &Limiter{every: every} }

// Log writes the line unless one was written less than an interval ago.
func (l *Limiter) Log(log *slog.Logger, level slog.Level, msg string, args ...any) {
	l.mu.Lock()
	now := time.Now()
	if !l.last.IsZero() && now.Sub(l.last) < l.every {
		l.suppressed++
		l.mu.Unlock()
		return
	}
	l.last = now
	if l.suppressed > 0 {
		args = append(args, "suppressed", l.suppressed)
		l.suppressed = 0
	}
	l.mu.Unlock()
	log.Log(context.Background(), level, msg, args...)
}
