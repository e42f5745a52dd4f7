package httpapi_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"
)

// TestBigChannelCostsTheSameAsASmallOne builds a 300,000-member channel with batched
// inserts and times the membership calls in it against a 10-member channel. The figures
// are printed, never asserted (shared machines are noisy); what makes them equal is that
// no call scans a channel's members: counters live in the channel row, targets are read
// by primary key, and pages are keyset reads of an index.
func TestBigChannelCostsTheSameAsASmallOne(t *testing.T) {
	const bigSize = 300_000
	e := newEnv(t)
	mod, _ := e.login("mod")
	ctx := context.Background()

	// A pool of 100 users to add, made in bulk through a scratch channel.
	pool := e.createChannel(mod, map[string]any{"channelId": "pool"})
	if err := e.db.BulkMembers(ctx, internalID(pool), "pool", 100); err != nil {
		t.Fatal(err)
	}
	type figures struct{ add, ban, leave, page time.Duration }
	measure := func(channelID, prefix string, size int) figures {
		ch := e.createChannel(mod, map[string]any{"channelId": channelID})
		start := time.Now()
		if err := e.db.BulkMembers(ctx, internalID(ch), prefix, size-1); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: built %d members in %v", channelID, size, time.Since(start).Round(time.Millisecond))
		if n := e.memberCount(mod, channelID); n != size {
			t.Fatalf("%s memberCount %d, want %d", channelID, n, size)
		}
		ids := make([]string, 100)
		for i := range ids {
			ids[i] = fmt.Sprintf("pool%d", i)
		}
		path := "/api/v3/channels/" + channelID
		const runs = 4 // each figure is the median of four calls
		var add, ban, leave, page []time.Duration
		for run := range runs {
			add = append(add, timed(func() {
				e.do(req{method: "POST", path: path + "/users", token: mod, body: map[string]any{"userIds": ids}}).ok()
			}))
			if run < runs-1 { // take them out again, untimed, so that the next add adds
				e.do(req{method: "DELETE", path: path + "/users", token: mod, body: map[string]any{"userIds": ids}}).ok()
			}
			ban = append(ban, timed(func() {
				e.do(req{method: "PUT", path: path + "/users/ban", token: mod, body: map[string]any{"userIds": []string{fmt.Sprint(prefix, run)}}}).ok()
			}))
			leaver, _ := e.login(fmt.Sprint(prefix, runs+run))
			leave = append(leave, timed(func() { e.do(req{method: "DELETE", path: path + "/leave", token: leaver}).ok() }))
			page = append(page, timed(func() {
				e.do(req{method: "GET", path: "/api/v4/channels/" + url.PathEscape(channelID) + "/users?options%5Blimit%5D=20", token: mod}).ok()
			}))
		}
		f := figures{median(add), median(ban), median(leave), median(page)}
		if n := e.memberCount(mod, channelID); n != size+100-2*runs {
			t.Fatalf("%s memberCount after the calls %d, want %d", channelID, n, size+100-2*runs)
		}
		return f
	}
	small := measure("small", "small", 10)
	big := measure("big", "big", bigSize)
	t.Logf("%-22s %12s %12s", "call", "10 members", fmt.Sprintf("%d members", bigSize))
	t.Logf("%-22s %12v %12v", "add 100 users", small.add, big.add)
	t.Logf("%-22s %12v %12v", "ban one user", small.ban, big.ban)
	t.Logf("%-22s %12v %12v", "one user leaves", small.leave, big.leave)
	t.Logf("%-22s %12v %12v", "first members page", small.page, big.page)
}

func timed(fn func()) time.Duration {
	start := time.Now()
	fn()
	return time.Since(start).Round(time.Microsecond)
}

func median(d []time.Duration) time.Duration {
	sorted := append([]time.Duration(nil), d...)
	slices.Sort(sorted)
	return sorted[len(sorted)/2]
}
