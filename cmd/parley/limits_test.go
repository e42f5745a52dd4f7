package main

// The connection limits, driven with raw sockets against the real binary: each cut
// connection is seen closed by the server, and the server answers normally afterwards.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/mochi-mqtt/server/v2/packets"
)

// Small limits, so that every case runs in seconds.
var smallLimits = []string{"PARLEY_API_KEY=k", "PARLEY_SERVER_KEY=s",
	"PARLEY_HTTP_IDLE_TIMEOUT=500ms", "PARLEY_HTTP_BODY_TIMEOUT=1s", "PARLEY_HTTP_MIN_BODY_RATE=1024",
	"PARLEY_HTTP_WRITE_TIMEOUT=1s", "PARLEY_MQTT_CONNECT_TIMEOUT=1s"}

// metric reads one sample of /metrics, e.g. `parley_http_connections_closed_total{reason="idle_timeout"}`.
func (p *proc) metric(t *testing.T, sample string) float64 {
	t.Helper()
	res, err := http.Get(p.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(sample) + ` (\S+)$`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("no %s in /metrics", sample)
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}

// answers checks the server still serves a normal request.
func (p *proc) answers(t *testing.T) {
	t.Helper()
	res, err := http.Get(p.base + "/readyz")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("server not answering after the cut: %v %v\n%s", err, res, p.stderr)
	}
	res.Body.Close()
}

// dial opens a raw connection to the HTTP address, closed at the end of the test.
func (p *proc) dial(t *testing.T) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(p.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedWithin reads conn until the server closes it; it fails the test if the
// connection is still open after d. It returns the bytes read.
func closedWithin(t *testing.T, conn net.Conn, d time.Duration, what string) int {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(d))
	n, err := io.Copy(io.Discard, conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("%s: still open after %v (read %d bytes)", what, d, n)
	}
	return int(n)
}

func TestIdleKeepAliveConnectionIsClosed(t *testing.T) {
	p := start(t, t.TempDir(), smallLimits...)
	conn := p.dial(t)
	if err := askReady(conn); err != nil {
		t.Fatalf("keep-alive request: %v", err)
	}
	// Idle now: closed after PARLEY_HTTP_IDLE_TIMEOUT.
	closedWithin(t, conn, 5*time.Second, "idle keep-alive connection")
	p.answers(t)
	waitUntil(t, "idle cut counted", func() bool {
		return p.metric(t, `parley_http_connections_closed_total{reason="idle_timeout"}`) >= 1
	})
}

func TestSlowBodyIsCut(t *testing.T) {
	p := start(t, t.TempDir(), smallLimits...)
	conn := p.dial(t)
	// A 1,000-byte body, one byte every 200 ms: 200 s if never cut. Each byte arrives
	// well within any per-read timeout; only the overall pace gives it away.
	fmt.Fprintf(conn, "POST /api/v5/sessions HTTP/1.1\r\nHost: x\r\nX-API-Key: k\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
	sent := make(chan int, 1)
	go func() {
		n := 0
		for ; n < 1000; n++ {
			if _, err := conn.Write([]byte(" ")); err != nil {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		sent <- n
	}()
	closedWithin(t, conn, 10*time.Second, "slow body")
	conn.Close()
	if n := <-sent; n >= 1000 {
		t.Fatalf("the whole slow body was taken")
	}
	p.answers(t)
	waitUntil(t, "read cut counted", func() bool {
		return p.metric(t, `parley_http_connections_closed_total{reason="read_timeout"}`) >= 1
	})
}

// A download to a client that stops reading is cut after the write timeout; one to a
// client that reads takes as long as it takes, and MQTT over WebSocket is not cut by the
// HTTP deadlines at all.
func TestDownloadsAndWebSocketsUnderWriteDeadlines(t *testing.T) {
	p := start(t, t.TempDir(), smallLimits...)
	token, userID := p.login(t, "u1")
	size := 16 << 20
	fileID := p.upload(t, token, bytes.Repeat([]byte("0123456789abcdef"), size/16))
	download := "GET /api/v3/files/" + fileID + "/download HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + "\r\n\r\n"

	// An MQTT client over WebSocket, logged in, is kept across all the timeouts below.
	ws := p.dialMQTT(t, userID, token)
	defer ws.Close()

	stalled := p.dial(t)
	fmt.Fprint(stalled, download)
	time.Sleep(3 * time.Second) // not reading, three write timeouts long
	if n := closedWithin(t, stalled, 10*time.Second, "stalled download"); n >= size {
		t.Fatalf("the stalled client still got the whole file (%d bytes)", n)
	}

	// A slow but steady reader gets the whole file, over more than the write timeout.
	steady := p.dial(t)
	fmt.Fprint(steady, download)
	res, err := http.ReadResponse(bufio.NewReader(steady), nil)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("download: %v %v", err, res)
	}
	got, buf := 0, make([]byte, 256<<10)
	for {
		n, err := res.Body.Read(buf)
		got += n
		if err != nil {
			break
		}
		time.Sleep(10 * time.Millisecond) // ≈ 25 MB/s at most: 16 MB take over half a second
	}
	if got != size {
		t.Fatalf("steady download got %d of %d bytes", got, size)
	}
	waitUntil(t, "write cut counted", func() bool {
		return p.metric(t, `parley_http_connections_closed_total{reason="write_timeout"}`) >= 1
	})

	// The WebSocket outlived every HTTP timeout: it still answers a ping.
	pingreq := []byte{0xC0, 0}
	if err := ws.WriteMessage(websocket.BinaryMessage, pingreq); err != nil {
		t.Fatalf("MQTT WebSocket cut: %v", err)
	}
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, msg, err := ws.ReadMessage(); err != nil || len(msg) == 0 || msg[0] != 0xD0 {
		t.Fatalf("MQTT WebSocket: want PINGRESP, got %x %v", msg, err)
	}
}

// A connection that never sends CONNECT is closed after PARLEY_MQTT_CONNECT_TIMEOUT, on
// /mqtt and on the MQTT TCP listener.
func TestMQTTWithoutCONNECTIsClosed(t *testing.T) {
	mqttAddr := freeAddr(t)
	p := start(t, t.TempDir(), append(smallLimits, "PARLEY_MQTT_LISTEN="+mqttAddr)...)
	d := websocket.Dialer{Subprotocols: []string{"mqtt"}}
	ws, _, err := d.Dial("ws://"+strings.TrimPrefix(p.base, "http://")+"/mqtt", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	closedWithin(t, ws.UnderlyingConn(), 5*time.Second, "silent WebSocket")
	tcp, err := net.Dial("tcp", mqttAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	closedWithin(t, tcp, 5*time.Second, "silent MQTT TCP connection")
	p.answers(t)
	waitUntil(t, "connect cuts counted", func() bool {
		return p.metric(t, `parley_mqtt_connections_closed_total{reason="connect_timeout"}`) == 2
	})
}

// Over PARLEY_MAX_CONNECTIONS, new connections (HTTP or MQTT TCP) are closed at once, with
// a log line; once some close, the server answers again.
func TestConnectionCap(t *testing.T) {
	mqttAddr := freeAddr(t)
	p := start(t, t.TempDir(), append(smallLimits, "PARLEY_MAX_CONNECTIONS=4", "PARLEY_HTTP_IDLE_TIMEOUT=1m", "PARLEY_MQTT_LISTEN="+mqttAddr)...)
	addr := strings.TrimPrefix(p.base, "http://")
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	// Four kept-alive connections, each having had its answer: all four slots taken.
	// The start-up check's keep-alive connection is closed first; the server frees its
	// slot as soon as it sees the close, which a retry waits for.
	http.DefaultClient.CloseIdleConnections()
	for len(held) < 4 {
		waitUntil(t, "a connection within the cap", func() bool {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			if askReady(c) != nil {
				c.Close()
				return false
			}
			held = append(held, c)
			return true
		})
	}
	for _, target := range []string{addr, mqttAddr} {
		c, err := net.Dial("tcp", target)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")
		if n := closedWithin(t, c, 5*time.Second, "connection over the cap"); n != 0 {
			t.Errorf("connection over the cap was answered (%d bytes)", n)
		}
		c.Close()
	}
	waitUntil(t, "a log line for the cap", func() bool { return strings.Contains(p.stderr.String(), "PARLEY_MAX_CONNECTIONS reached") })
	held[0].Close()
	held[1].Close()
	held = held[2:]
	waitUntil(t, "an answer once connections closed", func() bool {
		res, err := http.Get(p.base + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == 200
	})
	// /readyz tells the node's capacity, and the log said it at start.
	res, err := http.Get(p.base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	var ready struct {
		Connections struct{ Open, Max, OpenFilesLimit int64 }
	}
	json.NewDecoder(res.Body).Decode(&ready)
	res.Body.Close()
	if c := ready.Connections; c.Max != 4 || c.Open < 1 || c.OpenFilesLimit < 4 {
		t.Errorf("/readyz connections: %+v, want max 4, some open, the open-file limit", c)
	}
	if !strings.Contains(p.stderr.String(), "connection capacity") {
		t.Error("no log line for the connection capacity")
	}
	http.DefaultClient.CloseIdleConnections()
	if n := p.metric(t, `parley_connections_refused_total{listener="http"}`); n < 1 {
		t.Errorf("refused HTTP connections counted %v", n)
	}
	if n := p.metric(t, `parley_connections_refused_total{listener="mqtt"}`); n < 1 {
		t.Errorf("refused MQTT connections counted %v", n)
	}
}

// askReady sends GET /readyz on a kept-alive connection and reads the 200 answer.
func askReady(c net.Conn) error {
	fmt.Fprintf(c, "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || res.Close {
		return fmt.Errorf("answer %d, close %v", res.StatusCode, res.Close)
	}
	_, err = io.Copy(io.Discard, res.Body)
	return err
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// login logs a user in with the API key "k" and returns the access token and internal id.
func (p *proc) login(t *testing.T, userID string) (token, internalID string) {
	t.Helper()
	req, _ := http.NewRequest("POST", p.base+"/api/v5/sessions", strings.NewReader(`{"userId":"`+userID+`","deviceId":"d"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", "k")
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("login: %v %v", err, res)
	}
	defer res.Body.Close()
	var out struct {
		AccessToken string `json:"accessToken"`
		Users       []struct {
			ID string `json:"_id"`
		} `json:"users"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || len(out.Users) == 0 {
		t.Fatalf("login answer: %v", err)
	}
	return out.AccessToken, out.Users[0].ID
}

// upload stores a file and returns its id.
func (p *proc) upload(t *testing.T, token string, data []byte) string {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("files", "big.bin")
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", p.base+"/api/v4/files", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("upload: %v %v", err, res)
	}
	defer res.Body.Close()
	var out []struct {
		FileID string `json:"fileId"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || len(out) != 1 {
		t.Fatalf("upload answer: %v", err)
	}
	return out[0].FileID
}

// dialMQTT connects over WebSocket and logs in with MQTT 3.1.1.
func (p *proc) dialMQTT(t *testing.T, userID, token string) *websocket.Conn {
	t.Helper()
	d := websocket.Dialer{Subprotocols: []string{"mqtt"}}
	ws, _, err := d.Dial("ws://"+strings.TrimPrefix(p.base, "http://")+"/mqtt", nil)
	if err != nil {
		t.Fatal(err)
	}
	pk := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Connect}, ProtocolVersion: 4}
	pk.Connect = packets.ConnectParams{ProtocolName: []byte("MQTT"), Clean: true, Keepalive: 60, ClientIdentifier: "c1",
		UsernameFlag: true, Username: []byte(userID), PasswordFlag: true, Password: []byte(token)}
	var buf bytes.Buffer
	if err := pk.ConnectEncode(&buf); err != nil {
		t.Fatal(err)
	}
	ws.WriteMessage(websocket.BinaryMessage, buf.Bytes())
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, msg, err := ws.ReadMessage()
	if err != nil || len(msg) < 4 || msg[0] != 0x20 || msg[3] != 0 {
		t.Fatalf("MQTT login over WebSocket: %x %v", msg, err)
	}
	ws.SetReadDeadline(time.Time{})
	return ws
}
