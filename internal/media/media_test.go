package media

import (
	"context"
	"testing"

	"github.com/parley-chat/parley/internal/chat"
)

func TestOpen(t *testing.T) {
	for _, name := range []string{"", "none"} {
		if b, err := Open(name); err != nil || b == nil {
			t.Fatalf("Open(%q): %v", name, err)
		}
	}
	if _, err := Open("livekit-typo"); err == nil {
		t.Fatal("an unknown backend opened")
	}
}

// The none backend refuses tokens with the domain's "no media server" error, so that
// clients see a 400300 and not a server failure.
func TestNoneRefusesTokens(t *testing.T) {
	_, err := None{}.BroadcasterToken(context.Background(), &chat.Room{ID: "r"}, chat.RoomParticipant{})
	if e, ok := chat.AsError(err); !ok || e.Code != chat.CodeForbidden {
		t.Fatalf("token: %v", err)
	}
	if name, err := (None{}).CreateRoom(context.Background(), &chat.Room{ID: "r"}); err != nil || name != "r" {
		t.Fatalf("create: %q %v", name, err)
	}
}
