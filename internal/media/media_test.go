package media

import (
	"context"
	"testing"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/room"
)

func TestOpen(t *testing.T) {
	for _, name := range []string{"", "none"} {
		if b, err := Open(Config{Backend: name}); err != nil || b == nil {
			t.Fatalf("Open(%q): %v", name, err)
		}
	}
	if _, err := Open(Config{Backend: "livekit-typo"}); err == nil {
		t.Fatal("an unknown backend opened")
	}
	// LiveKit is chosen by configuring it, and needs all three settings.
	lk := LiveKitConfig{URL: "ws://127.0.0.1:7880", APIKey: "devkey", APISecret: "secret"}
	if b, err := Open(Config{LiveKit: lk}); err != nil {
		t.Fatal(err)
	} else if _, ok := b.(*LiveKit); !ok {
		t.Fatalf("a configured LiveKit opened %T", b)
	}
	if b, err := Open(Config{Backend: "none", LiveKit: lk}); err != nil {
		t.Fatal(err)
	} else if _, ok := b.(None); !ok {
		t.Fatalf("an explicit none opened %T", b)
	}
	for _, bad := range []LiveKitConfig{{}, {URL: lk.URL, APIKey: "devkey"}, {URL: "ftp://x", APIKey: "k", APISecret: "s"}, {URL: "::", APIKey: "k", APISecret: "s"}} {
		if _, err := Open(Config{Backend: "livekit", LiveKit: bad}); err == nil {
			t.Fatalf("livekit opened with %+v", bad)
		}
	}
}

// The none backend refuses tokens with the domain's "no media server" error, so that
// clients see a 400300 and not a server failure.
func TestNoneRefusesTokens(t *testing.T) {
	_, err := None{}.BroadcasterToken(context.Background(), &room.Room{ID: "r"}, room.RoomParticipant{})
	if e, ok := chat.AsError(err); !ok || e.Code != chat.CodeForbidden {
		t.Fatalf("token: %v", err)
	}
	if name, err := (None{}).CreateRoom(context.Background(), &room.Room{ID: "r"}); err != nil || name != "r" {
		t.Fatalf("create: %q %v", name, err)
	}
}
