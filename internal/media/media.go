// Package media holds Parley's live-room media backends: the servers that carry a room's
// audio and video. Rooms need little of them (room.Media): name a room, give its host and
// co-hosts a broadcaster token, cut a participant off, end the room, and report what
// happened to the broadcast. The `none` backend runs without any media server; LiveKit
// is the real one.
package media

import (
	"context"
	"fmt"

	"github.com/parley-chat/parley/internal/room"
)

// Reporter receives a backend's reports; *chat.Service is the one the server wires in.
type Reporter interface {
	// ApplyMediaStatus moves a room's status (broadcast started, broadcaster dropped,
	// stream ended, recording ready).
	ApplyMediaStatus(ctx context.Context, m room.MediaStatus) error
	// ApplyMediaPresence reports a broadcaster joining or leaving the media room and
	// answers whether they may be there; the backend cuts off those who may not.
	ApplyMediaPresence(ctx context.Context, m room.MediaPresence) (bool, error)
}

// Backend is a media server as the rooms use it: the calls the domain makes
// (room.Media), plus Watch, through which the backend reports what happens.
type Backend interface {
	room.Media
	// Watch makes the backend send its reports to report from now on.
	Watch(report Reporter)
}

// Config selects and configures a backend.
type Config struct {
	// Backend is none, livekit, or empty: livekit when LiveKit.URL is set, else none.
	Backend string
	LiveKit LiveKitConfig
}

// Open returns the backend named by the server's configuration.
func Open(cfg Config) (Backend, error) {
	name := cfg.Backend
	if name == "" {
		name = "none"
		if cfg.LiveKit.URL != "" {
			name = "livekit"
		}
	}
	switch name {
	case "none":
		return None{}, nil
	case "livekit":
		return NewLiveKit(cfg.LiveKit)
	default:
		return nil, fmt.Errorf("unknown media backend %q (want none or livekit)", name)
	}
}
