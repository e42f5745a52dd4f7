package realtime_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/chat"
)

// rssBytes is this process's resident set (Linux), 0 where it cannot be read.
func rssBytes() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// 16 subscribers that stop reading while 1,100 messages of ~141 kB go by are cut once
// their queued bytes pass the default budget (4 MiB), well before their 1,024-packet
// queues fill: the server (this process) stays under 300 MB. Before the byte budget each
// paused client held ~195 MB.
func TestPausedSubscribersAreBoundedInBytes(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the server's RSS is read from /proc/self/status, which only Linux has; runs on Linux")
	}
	e := newEnv(t, envOptions{})
	const paused = 16
	for i := 0; i < paused; i++ {
		u := e.login(fmt.Sprintf("paused%d", i))
		c, ack, err := dialRaw(e.tcp, 4, u.ID, u.Token, "paused")
		if err != nil || ack.ReasonCode != 0 {
			t.Fatalf("paused client login: %v %v", err, ack.ReasonCode)
		}
		defer c.conn.Close()
		if code, err := c.subscribe(e.net()); err != nil || code != 0 {
			t.Fatalf("paused client subscribe: %v %v", err, code)
		}
	}
	runtime.GC()
	base := rssBytes()
	var peak atomic.Int64
	done := make(chan struct{})
	go func() {
		for {
			if r := rssBytes(); r > peak.Load() {
				peak.Store(r)
			}
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()

	// ~141 kB each: 20,000 emoji and 100 kB of metadata, as issue 26 measured.
	text, meta := strings.Repeat("😀", 20000), strings.Repeat("m", 100<<10)
	const messages, perBatch = 1100, 50
	for n := 0; n < messages; n += perBatch {
		err := e.db.Write(context.Background(), func(tx chat.Tx) error {
			for i := 0; i < perBatch; i++ {
				if err := tx.AppendEvent(chat.Event{Type: "network.tick", Network: true, Data: map[string]any{"n": n + i, "text": text, "metadata": meta}}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		e.relay.Wake()
	}
	waitFor(t, "every paused subscriber cut", func() bool { return e.broker.Connected() == 0 })
	close(done)
	if got := e.closedCount(t, "slow_consumer"); got != paused {
		t.Errorf("slow_consumer cuts: %d, want %d", got, paused)
	}
	t.Logf("RSS: %d MB before the messages, peak %d MB while 1,100 × 141 kB went to %d paused subscribers", base>>20, peak.Load()>>20, paused)
	if peak.Load() > 300<<20 {
		t.Errorf("peak RSS %d MB, want under 300 MB", peak.Load()>>20)
	}
}
