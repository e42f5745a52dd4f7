package realtime_test

// Fuzz targets for the broker: raw bytes on a real TCP connection, and SUBSCRIBE filters
// from a logged-in client. A panic anywhere in the broker ends the fuzzing process (mochi
// recovers none), so "never panics" needs no check of its own.
//
//	go test -run '^$' -fuzz '^FuzzMQTTSubscribe$' -fuzztime=60s ./internal/realtime

import (
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"
)

// FuzzMQTTConnect writes arbitrary bytes to a fresh connection, optionally after a valid
// login, then half-closes it and reads whatever the broker answers until it hangs up. No
// input holds a valid token of its own, so no CONNACK may ever accept it.
func FuzzMQTTConnect(f *testing.F) {
	e := newEnv(f, envOptions{noRelay: true})
	u := e.login("u1")
	encode := func(pk packets.Packet) []byte {
		var b bytes.Buffer
		var err error
		switch pk.FixedHeader.Type {
		case packets.Connect:
			err = pk.ConnectEncode(&b)
		case packets.Subscribe:
			err = pk.SubscribeEncode(&b)
		}
		if err != nil {
			f.Fatal(err)
		}
		return b.Bytes()
	}
	for _, v := range []byte{3, 4, 5} {
		name := "MQTT"
		if v == 3 {
			name = "MQIsdp"
		}
		connect := encode(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Connect}, ProtocolVersion: v,
			Connect: packets.ConnectParams{ProtocolName: []byte(name), Clean: true, Keepalive: 60, ClientIdentifier: "c",
				UsernameFlag: true, Username: []byte(u.ID), PasswordFlag: true, Password: []byte("not-a-token"),
				WillFlag: true, WillTopic: "WillMsg", WillPayload: []byte("bye")}})
		subscribe := encode(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Subscribe, Qos: 1}, ProtocolVersion: v,
			PacketID: 1, Filters: packets.Subscriptions{{Filter: e.net() + "/user/" + u.ID}, {Filter: "#"}}})
		f.Add(false, connect)
		f.Add(false, append(connect, subscribe...))
		f.Add(true, subscribe)
		f.Add(true, connect) // a second CONNECT is a protocol violation
		f.Add(false, connect[:len(connect)/2])
	}
	f.Add(false, []byte{0x10, 0xff, 0xff, 0xff, 0xff, 0x7f})
	f.Add(true, []byte{0x82, 0x05, 0x00, 0x01, 0x00, 0x01, 0xff})
	f.Fuzz(func(t *testing.T, loggedIn bool, raw []byte) {
		var conn net.Conn
		if loggedIn {
			c, ack, err := dialRaw(e.tcp, 4, u.ID, u.Token, "fuzz")
			if err != nil || ack.ReasonCode != 0 {
				t.Fatalf("valid login refused: %v, %#x", err, ack.ReasonCode)
			}
			conn = c.conn
		} else {
			c, err := net.Dial("tcp", e.tcp)
			if err != nil {
				t.Fatal(err)
			}
			conn = c
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		conn.Write(raw) // the broker may hang up before all is written
		conn.(*net.TCPConn).CloseWrite()
		reply, _ := io.ReadAll(conn)
		// A CONNACK answered to the fuzz bytes (a logged-in client's came before them):
		// 0x20, a length, flags, then the return (3.1.1) or reason (5) code.
		if !loggedIn && len(reply) >= 4 && reply[0] == 0x20 && reply[3] == 0 {
			t.Fatalf("CONNACK accepted %q without a valid token: %q", raw, reply)
		}
	})
}

// FuzzMQTTSubscribe subscribes a logged-in client to arbitrary filters. In an input,
// NET, ME, THEM, MINE and THEIRS stand for the network id, the client's user id, another
// user's id, a channel of the client's and a channel of the other user's. A filter the
// broker grants must match none of the other user's topics.
func FuzzMQTTSubscribe(f *testing.F) {
	for _, s := range []string{
		"NET/smartfeed/ME/messages", "NET/user/ME", "NET/marker/user/ME", "NET/chat/MINE", "NET/chat/MINE/#",
		"NET/chat/MINE/MINE", "NET/marker/channel/x/message/MINE", "NET", "NET/smartfeed/THEM/messages",
		"NET/user/THEM", "NET/smartfeed/+/messages", "NET/#", "#", "+", "NET/+", "$SYS/#", "WillMsg",
		"NET/chat/THEIRS", "NET/chat/+/#", "NET/chat/#", "NET/room/#", "other/user/ME", "$share/g/NET/user/ME",
		"$share/g/NET/user/+", "NET/chat/MINE/../THEIRS", "NET//chat/THEIRS", "NET/chat/THEIRS\x00", "NET/user/\xff",
	} {
		f.Add(byte(4), s)
	}
	f.Add(byte(5), "NET/user/+")
	f.Add(byte(3), "NET/user/ME")
	ch := newFakeChannels()
	e := newEnv(f, envOptions{channels: ch, noRelay: true})
	me, them := e.login("me"), e.login("them")
	const mine, theirs = "aaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbb"
	ch.set(mine, me.ID)
	ch.set(theirs, them.ID)
	n := e.net()
	forbidden := []string{
		n + "/smartfeed/" + them.ID + "/messages", n + "/smartfeed/" + them.ID + "/channels",
		n + "/smartfeed/" + them.ID + "/messagefeeds", n + "/user/" + them.ID, n + "/marker/user/" + them.ID,
		n + "/chat/" + theirs, n + "/chat/" + theirs + "/" + theirs, n + "/marker/channel/c/message/" + theirs,
		n + "/room/cccccccccccccccccccccccc", "other/user/" + me.ID, "$SYS/broker/clients/connected",
	}
	expand := strings.NewReplacer("NET", n, "ME", me.ID, "THEM", them.ID, "MINE", mine, "THEIRS", theirs)
	f.Fuzz(func(t *testing.T, version byte, filter string) {
		v := 3 + version%3
		c, ack, err := dialRaw(e.tcp, v, me.ID, me.Token, "fuzz")
		if err != nil || ack.ReasonCode != 0 {
			t.Fatalf("valid login refused: %v, %#x", err, ack.ReasonCode)
		}
		defer c.conn.Close()
		c.conn.SetDeadline(time.Now().Add(10 * time.Second))
		filter = expand.Replace(filter)
		code, err := c.subscribe(filter)
		if err != nil || code >= 0x80 {
			return // refused, or the packet was malformed and the broker hung up
		}
		for _, topic := range forbidden {
			if matches(filter, topic) {
				t.Fatalf("granted %q (code %#x), which matches %q", filter, code, topic)
			}
		}
	})
}

// matches tells whether an MQTT filter matches a topic name (MQTT 3.1.1 §4.7), shared
// subscriptions included.
func matches(filter, topic string) bool {
	if rest, ok := strings.CutPrefix(filter, "$share/"); ok {
		_, filter, ok = strings.Cut(rest, "/")
		if !ok {
			return false
		}
	}
	f, tp := strings.Split(filter, "/"), strings.Split(topic, "/")
	if strings.HasPrefix(topic, "$") && (f[0] == "+" || f[0] == "#") {
		return false
	}
	for i, level := range f {
		switch {
		case level == "#":
			return true
		case i >= len(tp):
			return false
		case level != "+" && level != tp[i]:
			return false
		}
	}
	return len(f) == len(tp)
}
