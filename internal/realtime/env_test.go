package realtime_test

// The real-time test kit: a real store and domain, the real HTTP API with the broker on
// /mqtt, a plain TCP listener, and the outbox relay, driven by real MQTT clients (paho
// over WebSocket or TCP, and a small raw client for MQTT 5 and the fan-out figure).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/parley-chat/parley/internal/blob"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/realtime"
	"github.com/parley-chat/parley/internal/room"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/store/storetest"
	"github.com/prometheus/client_golang/prometheus"
)

const testAPIKey = "test-api-key"

type env struct {
	t        testing.TB
	db       *store.DB
	svc      *chat.Service
	broker   *realtime.Broker
	relay    *realtime.Relay
	srv      *httptest.Server
	tcp      string // plain TCP MQTT address
	channels realtime.Channels
	reg      *prometheus.Registry
	logs     *logBuffer // what the broker logged

	mu        sync.Mutex
	stopRelay func()
}

type envOptions struct {
	channels realtime.Channels
	noRelay  bool
	// limits (zero: the broker's defaults)
	connectTimeout   time.Duration
	maxPendingWrites int
	maxQueuedBytes   int64
	tokenTTL         time.Duration
}

func newEnv(t testing.TB, opt envOptions) *env {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	db := storetest.OpenAt(t, filepath.Join(dir, "parley.db"), store.Options{Synchronous: "NORMAL"})
	blobs, err := blob.NewDir(filepath.Join(dir, "files"))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: db, reg: prometheus.NewRegistry(), logs: &logBuffer{}}
	e.srv = httptest.NewUnstartedServer(nil)
	e.svc, err = chat.New(ctx, db, blobs, chat.Config{APIKey: testAPIKey, ServerKey: "sk", PublicURL: "http://" + e.srv.Listener.Addr().String(), TokenTTL: opt.tokenTTL})
	if err != nil {
		t.Fatal(err)
	}
	rooms := room.New(e.svc, nil)
	e.channels = opt.channels
	if e.channels == nil {
		e.channels = e.svc // the real domain; tests of the broker's own logic use a fake
	}
	e.broker, err = realtime.New(realtime.Options{Identity: e.svc, Channels: e.channels, Rooms: rooms, Registry: e.reg, Logger: slog.New(slog.NewTextHandler(e.logs, nil)),
		ConnectTimeout: opt.connectTimeout, MaxPendingWrites: opt.maxPendingWrites, MaxQueuedBytes: opt.maxQueuedBytes})
	if err != nil {
		t.Fatal(err)
	}
	addr, err := e.broker.ListenTCP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.tcp = addr.String()
	if err := e.broker.Serve(); err != nil {
		t.Fatal(err)
	}
	api := httpapi.New(e.svc, httpapi.Options{Rooms: rooms, Registry: e.reg})
	api.Handle("GET /mqtt", e.broker.Handler())
	e.srv.Config.Handler = api
	e.srv.Start()
	e.relay = realtime.NewRelay(e.broker, db)
	e.svc.OnCommit(e.relay.Wake)
	if !opt.noRelay {
		e.startRelay(e.relay)
	}
	t.Cleanup(func() {
		e.mu.Lock()
		if e.stopRelay != nil {
			e.stopRelay()
		}
		e.mu.Unlock()
		e.broker.Close()
		e.srv.Close() // the store closes after this (storetest.OpenAt's cleanup runs last)
	})
	return e
}

// startRelay runs a relay until stopRelay is called (or the test ends).
func (e *env) startRelay(r *realtime.Relay) {
	e.relay = r // appendEvent wakes it
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	e.mu.Lock()
	e.stopRelay = func() { cancel(); <-done }
	e.mu.Unlock()
}

func (e *env) net() string { return e.svc.NetworkID() }

// user is a logged-in test user.
type user struct {
	ID, PublicID, Token string
}

func (e *env) login(publicID string) user {
	e.t.Helper()
	dev := "ascWebSdk#372dfb08-" + publicID
	r, err := e.svc.Login(context.Background(), testAPIKey, chat.LoginInput{UserID: &publicID, DeviceID: &dev})
	if err != nil {
		e.t.Fatal(err)
	}
	return user{ID: r.Users[0].ID, PublicID: publicID, Token: r.AccessToken}
}

// http sends a request to the API and returns the status.
func (e *env) http(method, path, token string, body any) int {
	e.t.Helper()
	status, _ := e.httpJSON(method, path, token, body)
	return status
}

// httpJSON sends a request and decodes the JSON answer.
func (e *env) httpJSON(method, path, token string, body any) (int, map[string]any) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// appendEvent writes an event to the outbox, as a domain transaction would, and wakes
// the relay.
func (e *env) appendEvent(ev chat.Event) {
	e.t.Helper()
	err := e.db.Write(context.Background(), func(tx chat.Tx) error { return tx.AppendEvent(ev) })
	if err != nil {
		e.t.Fatal(err)
	}
	e.relay.Wake()
}

// client is a paho client and what it received.
type client struct {
	t    testing.TB
	c    paho.Client
	msgs chan received
	lost chan error
}

type received struct {
	Topic string
	Msg   wireEvent
	At    time.Time
}

// wireEvent is the JSON a client receives.
type wireEvent struct {
	EventType string          `json:"eventType"`
	Data      json.RawMessage `json:"data"`
	NetworkID string          `json:"networkId"`
	Path      string          `json:"path"`
	SentTime  string          `json:"sentTime"`
	Version   string          `json:"version"`
}

// sdkClientID is shaped like the SDK's: long, with '#', '-' and '_'.
func sdkClientID(u user, tab int) string {
	return fmt.Sprintf("mqttjs_ascWebSdk#372dfb08-6a4c-4e1f-9b55-0d1c2e3f4a5b_%s_%d", u.ID, tab)
}

// dial connects a paho client over WebSocket (transport "ws") or TCP ("tcp") with the
// SDK's options: MQTT 3.1.1, clean false, the SDK's will.
func (e *env) dial(transport, username, password, clientID string) (*client, error) {
	o := paho.NewClientOptions()
	switch transport {
	case "ws":
		o.AddBroker("ws://" + strings.TrimPrefix(e.srv.URL, "http://") + "/mqtt")
	default:
		o.AddBroker("tcp://" + e.tcp)
	}
	o.SetClientID(clientID).SetUsername(username).SetPassword(password)
	o.SetProtocolVersion(4).SetCleanSession(false).SetKeepAlive(60 * time.Second)
	o.SetWill("WillMsg", "Connection Closed abnormally..!", 0, false)
	o.SetAutoReconnect(false).SetConnectRetry(false).SetConnectTimeout(5 * time.Second)
	c := &client{t: e.t, msgs: make(chan received, 4096), lost: make(chan error, 1)}
	o.SetDefaultPublishHandler(func(_ paho.Client, m paho.Message) { c.push(m) })
	o.SetConnectionLostHandler(func(_ paho.Client, err error) { c.lost <- err })
	c.c = paho.NewClient(o)
	tok := c.c.Connect()
	if !tok.WaitTimeout(10 * time.Second) {
		return nil, fmt.Errorf("connect timed out")
	}
	if err := tok.Error(); err != nil {
		return nil, err
	}
	e.t.Cleanup(func() { c.c.Disconnect(0) })
	return c, nil
}

// connect logs a user's client in, failing the test on refusal.
func (e *env) connect(transport string, u user) *client {
	e.t.Helper()
	c, err := e.dial(transport, u.ID, u.Token, sdkClientID(u, 0))
	if err != nil {
		e.t.Fatalf("connect %s as %s: %v", transport, u.PublicID, err)
	}
	return c
}

func (c *client) push(m paho.Message) {
	r := received{Topic: m.Topic(), At: time.Now()}
	if err := json.Unmarshal(m.Payload(), &r.Msg); err != nil {
		c.t.Errorf("payload on %s is not JSON: %s", m.Topic(), m.Payload())
	}
	c.msgs <- r
}

// subscribe subscribes to filters at QoS 0 and returns the granted codes.
func (c *client) subscribe(filters ...string) []byte {
	c.t.Helper()
	m := map[string]byte{}
	for _, f := range filters {
		m[f] = 0
	}
	tok := c.c.SubscribeMultiple(m, nil)
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		c.t.Fatalf("subscribe %v: %v", filters, tok.Error())
	}
	res := tok.(*paho.SubscribeToken).Result()
	out := make([]byte, len(filters))
	for i, f := range filters {
		out[i] = res[f]
	}
	return out
}

// next waits for the next message.
func (c *client) next() received {
	c.t.Helper()
	select {
	case r := <-c.msgs:
		return r
	case <-time.After(10 * time.Second):
		c.t.Fatal("no message within 10 s")
		return received{}
	}
}

// nextOf waits for the next message of an event type, skipping others.
func (c *client) nextOf(eventType string) received {
	c.t.Helper()
	for {
		if r := c.next(); r.Msg.EventType == eventType {
			return r
		}
	}
}

// ownTopics are the topics the SDK subscribes to on every connect.
func (e *env) ownTopics(u user) []string {
	n := e.net()
	return []string{n, n + "/smartfeed/" + u.ID + "/channels", n + "/smartfeed/" + u.ID + "/messagefeeds",
		n + "/smartfeed/" + u.ID + "/messages", n + "/user/" + u.ID, n + "/marker/user/" + u.ID}
}

// rawClient is a bare MQTT connection: no goroutines of its own, for MQTT 5 checks and
// for the fan-out figure, where a thousand paho clients would measure paho.
type rawClient struct {
	conn net.Conn
	r    *bufio.Reader
	v    byte
}

func dialRaw(addr string, version byte, username, password, clientID string) (*rawClient, packets.Packet, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, packets.Packet{}, err
	}
	c := &rawClient{conn: conn, r: bufio.NewReader(conn), v: version}
	name := "MQTT"
	if version == 3 {
		name = "MQIsdp"
	}
	pk := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Connect}, ProtocolVersion: version}
	pk.Connect = packets.ConnectParams{ProtocolName: []byte(name), Clean: true, Keepalive: 60, ClientIdentifier: clientID,
		UsernameFlag: username != "", Username: []byte(username), PasswordFlag: password != "", Password: []byte(password)}
	var buf bytes.Buffer
	if err := pk.ConnectEncode(&buf); err != nil {
		return nil, pk, err
	}
	if _, err := conn.Write(buf.Bytes()); err != nil {
		return nil, pk, err
	}
	ack, err := c.read()
	if err != nil {
		conn.Close()
		return nil, ack, err
	}
	return c, ack, nil
}

// read reads one packet.
func (c *rawClient) read() (packets.Packet, error) {
	var pk packets.Packet
	hb, err := c.r.ReadByte()
	if err != nil {
		return pk, err
	}
	if err := pk.FixedHeader.Decode(hb); err != nil {
		return pk, err
	}
	n, _, err := packets.DecodeLength(c.r)
	if err != nil {
		return pk, err
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(c.r, body); err != nil {
		return pk, err
	}
	pk.ProtocolVersion = c.v
	switch pk.FixedHeader.Type {
	case packets.Connack:
		err = pk.ConnackDecode(body)
	case packets.Suback:
		err = pk.SubackDecode(body)
	case packets.Publish:
		err = pk.PublishDecode(body)
	}
	return pk, err
}

func (c *rawClient) subscribe(filter string) (byte, error) {
	pk := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Subscribe, Qos: 1}, ProtocolVersion: c.v, PacketID: 1,
		Filters: packets.Subscriptions{{Filter: filter}}}
	var buf bytes.Buffer
	if err := pk.SubscribeEncode(&buf); err != nil {
		return 0, err
	}
	if _, err := c.conn.Write(buf.Bytes()); err != nil {
		return 0, err
	}
	ack, err := c.read()
	if err != nil {
		return 0, err
	}
	if ack.FixedHeader.Type != packets.Suback || len(ack.ReasonCodes) != 1 {
		return 0, fmt.Errorf("want SUBACK, got %v", ack.FixedHeader)
	}
	return ack.ReasonCodes[0], nil
}

// fakeChannels answers channel membership from maps, until the channel domain exists.
type fakeChannels struct {
	mu      sync.Mutex
	members map[string]map[string]bool // channel → members
	readers map[string]map[string]bool // channel → non-members who may read (public)
}

func newFakeChannels() *fakeChannels {
	return &fakeChannels{members: map[string]map[string]bool{}, readers: map[string]map[string]bool{}}
}

func (f *fakeChannels) set(channelID string, members ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.members[channelID] = map[string]bool{}
	for _, m := range members {
		f.members[channelID][m] = true
	}
}

func (f *fakeChannels) remove(channelID, userID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.members[channelID], userID)
}

func (f *fakeChannels) ChannelMemberIDs(ctx context.Context, channelID string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for m := range f.members[channelID] {
		out = append(out, m)
	}
	return out, nil
}

func (f *fakeChannels) CanReadChannel(ctx context.Context, userID, channelID string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.members[channelID][userID] || f.readers[channelID][userID], nil
}

// logBuffer keeps log lines written from the broker's goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
