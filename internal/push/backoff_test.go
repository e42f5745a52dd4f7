package push

import (
	"testing"
	"time"
)

// The wait after n failures is a random half of base×2^(n-1), capped, and never
// overflows however many attempts a day of failures makes.
func TestBackoffBounds(t *testing.T) {
	d := New(nil, nil, Options{BaseBackoff: time.Second, MaxBackoff: 5 * time.Minute})
	for n := 0; n <= 10_000; n++ {
		full := 5 * time.Minute
		if n < 10 {
			full = min(time.Second<<max(n-1, 0), full)
		}
		for range 20 {
			w := d.backoff(n)
			if w < full/2 || w > full {
				t.Fatalf("attempt %d: wait %s outside [%s, %s]", n, w, full/2, full)
			}
		}
	}
	huge := New(nil, nil, Options{BaseBackoff: 1<<40 + 1, MaxBackoff: 1 << 62})
	for n := 23; n < 100; n++ { // from here base×2^(n-1) is above the cap
		if w := huge.backoff(n); w < 1<<61 {
			t.Fatalf("attempt %d: %s, want the capped wait (the shift overflowed)", n, w)
		}
	}
}

func TestTopicIsWebPushSafe(t *testing.T) {
	if got := topic("parley-12-dev/ice:é-with-a-very-long-tail-beyond-32"); len(got) > 32 || got != "parley-12-device-with-a-very-lon" {
		t.Fatalf("topic %q", got)
	}
}
