package httpapi_test

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"
)

// Eight senders at once into one feed: every segment 1..4000 exactly once, and the
// channel's messageCount follows.
func TestConcurrentSendersGetDistinctSegments(t *testing.T) {
	const senders, each = 8, 500
	if testing.Short() {
		t.Skip("-short: sends 4,000 messages; run without -short to check the segments")
	}
	e := newEnv(t)
	mod, _ := e.user("mod")
	var names []string
	for i := 0; i < senders; i++ {
		names = append(names, fmt.Sprintf("s%d", i))
	}
	tokens := make([]string, senders)
	for i, n := range names {
		tokens[i], _ = e.user(n)
	}
	ch := e.createChannel(mod, map[string]any{"channelId": "busy", "userIds": names})
	feed := internalID(ch)
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, senders)
	for i := 0; i < senders; i++ {
		wg.Add(1)
		go func(tok string) {
			defer wg.Done()
			for j := 0; j < each; j++ {
				r := e.do(req{method: "POST", path: "/api/v5/messages", token: tok, body: text(feed, "m")})
				if r.Status != 200 {
					errs <- fmt.Errorf("send: %d %s", r.Status, r.Body)
					return
				}
			}
		}(tokens[i])
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	total := senders * each
	if n := e.count("messages", "feed_id = ?", feed); n != total {
		t.Fatalf("%d messages, want %d", n, total)
	}
	if n := e.count("(SELECT DISTINCT segment FROM messages WHERE feed_id = ?) s", "", feed); n != total {
		t.Fatalf("%d distinct segments, want %d", n, total)
	}
	if n := e.count("messages", "feed_id = ? AND segment BETWEEN 1 AND ?", feed, total); n != total {
		t.Fatalf("%d segments inside 1..%d", n, total)
	}
	if c := e.channel(mod, "busy"); c["messageCount"] != float64(total) {
		t.Fatalf("messageCount %v, want %d", c["messageCount"], total)
	}
	t.Logf("%d senders x %d messages: %v (%.0f messages/s through HTTP, each validated against the OpenAPI document)",
		senders, each, elapsed.Round(time.Millisecond), float64(total)/elapsed.Seconds())
}

// A page of a feed of 1,000,000 messages costs what a page of a feed of 100 does: the
// newest page, a page around an old message, and the page after it, timed and printed.
func TestHugeFeedPages(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds a feed of 1,000,000 messages; run without -short for the paging figures")
	}
	e := newEnv(t)
	mod, modU := e.user("mod")
	measure := func(channelID string, size int) (newest, around, next time.Duration, build time.Duration) {
		ch := e.createChannel(mod, map[string]any{"channelId": channelID})
		feed := internalID(ch)
		build = timed(func() {
			if err := e.db.BulkMessages(context.Background(), feed, modU.id(), size); err != nil {
				t.Fatal(err)
			}
		})
		// An old message: segment 10 of the feed.
		old := e.messages(mod, "messageFeedId="+feed+"&options%5BsortBy%5D=segmentAsc&options%5Blimit%5D=10")
		oldID := old["messages"].([]any)[9].(map[string]any)["messageId"].(string)
		base := "messageFeedId=" + feed + "&isDeleted=false&options%5BsortBy%5D=segmentDesc&options%5Blimit%5D=20"
		var n, a, x []time.Duration
		for i := 0; i < 15; i++ {
			var p map[string]any
			n = append(n, timed(func() { p = e.messages(mod, base) }))
			if got := segments(p); got[0] != size {
				t.Fatalf("newest page starts at %d, want %d", got[0], size)
			}
			a = append(a, timed(func() { p = e.messages(mod, base+"&options%5Baround%5D="+oldID) }))
			nextTok, _ := paging(p)
			x = append(x, timed(func() { e.messages(mod, "messageFeedId="+feed+"&options%5Btoken%5D="+url.QueryEscape(nextTok)) }))
		}
		return median(n), median(a), median(x), build
	}
	sn, sa, sx, _ := measure("small", 100)
	bn, ba, bx, build := measure("huge", 1_000_000)
	t.Logf("built 1,000,000 messages in %v", build.Round(time.Millisecond))
	t.Logf("%-28s %12s %14s", "page (20 messages)", "100 msgs", "1,000,000 msgs")
	t.Logf("%-28s %12v %14v", "newest page", sn, bn)
	t.Logf("%-28s %12v %14v", "around segment 10", sa, ba)
	t.Logf("%-28s %12v %14v", "page after that (token)", sx, bx)
}
