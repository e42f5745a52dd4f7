package realtime_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/parley-chat/parley/internal/chat"
)

// closedCount reads parley_mqtt_connections_closed_total{reason}.
func (e *env) closedCount(t *testing.T, reason string) int {
	t.Helper()
	mfs, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "parley_mqtt_connections_closed_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			if m.GetLabel()[0].GetValue() == reason {
				return int(m.GetCounter().GetValue())
			}
		}
	}
	t.Fatalf("no parley_mqtt_connections_closed_total{reason=%q}", reason)
	return 0
}

// waitClosed reads conn until the server closes it. A read timeout means the server kept
// the connection open.
func waitClosed(t *testing.T, what string, read func() error, setDeadline func(time.Time) error) {
	t.Helper()
	setDeadline(time.Now().Add(10 * time.Second))
	for {
		err := read()
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("%s: still open after 10 s", what)
		}
		return
	}
}

// A connection that never sends CONNECT, over TCP or WebSocket, is closed after the
// connect timeout; a client that logs in stays connected well past it.
func TestConnectionWithoutCONNECTIsClosed(t *testing.T) {
	e := newEnv(t, envOptions{connectTimeout: 300 * time.Millisecond})

	tcp, err := net.Dial("tcp", e.tcp)
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	buf := make([]byte, 64)
	waitClosed(t, "silent TCP connection", func() error { _, err := tcp.Read(buf); return err }, tcp.SetReadDeadline)

	d := websocket.Dialer{Subprotocols: []string{"mqtt"}}
	ws, _, err := d.Dial("ws://"+strings.TrimPrefix(e.srv.URL, "http://")+"/mqtt", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	waitClosed(t, "silent WebSocket", func() error { _, _, err := ws.NextReader(); return err }, ws.SetReadDeadline)

	// Counted once the broker's side of each connection has ended, just after the close.
	waitFor(t, "two connect_timeout cuts counted", func() bool { return e.closedCount(t, "connect_timeout") == 2 })
	// The broker still serves: a client that logs in outlives the connect timeout.
	u := e.login("u1")
	c := e.connect("ws", u)
	time.Sleep(time.Second)
	c.subscribe(e.ownTopics(u)...)
	e.appendEvent(chat.Event{Type: "user.updated", UserIDs: []string{u.ID}, Data: map[string]string{}})
	c.nextOf("user.updated")
	if code := e.http("GET", "/api/v3/users/"+u.PublicID, u.Token, nil); code != http.StatusOK {
		t.Errorf("API after the cuts: %d", code)
	}
}

// A subscriber that stops reading is disconnected once its outbound queue is full, and
// nothing more is queued for it; a subscriber that reads gets every event.
func TestSubscriberThatStopsReadingIsDisconnected(t *testing.T) {
	const queue = 64
	e := newEnv(t, envOptions{maxPendingWrites: queue})
	healthyUser, pausedUser := e.login("healthy"), e.login("paused")
	healthy := e.connect("ws", healthyUser)
	healthy.subscribe(e.net())

	paused, ack, err := dialRaw(e.tcp, 4, pausedUser.ID, pausedUser.Token, "paused")
	if err != nil || ack.ReasonCode != 0 {
		t.Fatalf("paused client login: %v %v", err, ack.ReasonCode)
	}
	defer paused.conn.Close()
	if code, err := paused.subscribe(e.net()); err != nil || code != 0 {
		t.Fatalf("paused client subscribe: %v %v", err, code)
	}
	// From here on it reads nothing.

	// Events of 8 KB, far more than the kernel buffers and the queue hold together:
	// 1,600 × 8 KB = 13 MB. Sent in batches smaller than the queue, which the healthy
	// subscriber reads before the next.
	const batches, perBatch = 50, 32
	pad := strings.Repeat("x", 8<<10)
	for b := 0; b < batches; b++ {
		err := e.db.Write(context.Background(), func(tx chat.Tx) error {
			for i := 0; i < perBatch; i++ {
				if err := tx.AppendEvent(chat.Event{Type: "network.tick", Network: true, Data: map[string]any{"n": b*perBatch + i, "pad": pad}}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		e.relay.Wake()
		for i := 0; i < perBatch; i++ {
			healthy.nextOf("network.tick")
		}
	}

	// The paused client was cut: reading now drains what the kernel held, then the end.
	got := 0
	waitClosed(t, "paused subscriber", func() error {
		pk, err := paused.read()
		if err == nil && pk.FixedHeader.Type == packets.Publish {
			got++
		}
		return err
	}, paused.conn.SetReadDeadline)
	if got >= batches*perBatch {
		t.Fatalf("the paused subscriber was sent all %d events: nothing was bounded", got)
	}
	waitFor(t, "one slow_consumer cut counted", func() bool { return e.closedCount(t, "slow_consumer") == 1 })
	select {
	case err := <-healthy.lost:
		t.Fatalf("the healthy subscriber was disconnected: %v", err)
	default:
	}
	waitFor(t, "the healthy client alone connected", func() bool { return e.broker.Connected() == 1 })
	t.Logf("paused subscriber received %d of %d events before the cut (queue %d)", got, batches*perBatch, queue)
}

// A connection opened with a token that then expires is closed at the expiry, and the
// token no longer logs in.
func TestConnectionClosedWhenItsTokenExpires(t *testing.T) {
	e := newEnv(t, envOptions{tokenTTL: 2 * time.Second})
	u := e.login("u1")
	c, ack, err := dialRaw(e.tcp, 4, u.ID, u.Token, "expiring")
	if err != nil || ack.ReasonCode != 0 {
		t.Fatalf("login: %v %v", err, ack.ReasonCode)
	}
	defer c.conn.Close()
	if code, err := c.subscribe(e.net()); err != nil || code != 0 {
		t.Fatalf("subscribe: %v %v", err, code)
	}
	waitClosed(t, "connection past its token's expiry", func() error {
		pk, err := c.read()
		if err == nil && pk.FixedHeader.Type == packets.Pingresp {
			return nil
		}
		return err
	}, c.conn.SetReadDeadline)
	waitFor(t, "one token_expired cut counted", func() bool { return e.closedCount(t, "token_expired") == 1 })
	if _, ack, err := dialRaw(e.tcp, 4, u.ID, u.Token, "expiring"); err == nil && ack.ReasonCode == 0 {
		t.Fatal("the expired token logged in again")
	}
}
