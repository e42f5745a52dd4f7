package webhook

import (
	"testing"
	"time"
)

// The wait after attempt n is BaseBackoff·2^(n−1) capped at MaxBackoff, of which a
// random half is jitter: between half of it and all of it.
func TestBackoff(t *testing.T) {
	d := New(nil, Options{BaseBackoff: time.Second, MaxBackoff: time.Hour})
	for attempt, full := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 5: 16 * time.Second, 13: time.Hour, 1000: time.Hour} {
		for range 200 {
			if got := d.backoff(attempt); got < full/2 || got > full {
				t.Fatalf("attempt %d: waited %s, want %s to %s", attempt, got, full/2, full)
			}
		}
	}
	// Over 25 hours that is at least 30 attempts, then one an hour.
	var total time.Duration
	n := 0
	for total < 25*time.Hour {
		n++
		total += d.backoff(n)
	}
	if n < 30 {
		t.Fatalf("only %d attempts in 25 h", n)
	}
}
