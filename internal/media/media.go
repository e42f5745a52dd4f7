// Package media holds Parley's live-room media backends: the servers that carry a room's
// audio and video. Rooms need little of them (chat.Media): name a room, give its host and
// co-hosts a broadcaster token, cut a participant off, end the room, and report what
// happened to the broadcast. The `none` backend runs without any media server; LiveKit
// is the real one.
package media

import (
	"context"
	"fmt"

	"github.com/parley-chat/parley/internal/chat"
)

// Reporter receives a backend's status reports; chat.Service.ApplyMediaStatus is the
// one the server wires in.
type Reporter func(ctx context.Context, m chat.MediaStatus) error

// Backend is a media server as the rooms use it: the calls the domain makes
// (chat.Media), plus Watch, through which the backend reports status changes
// (broadcast started, broadcaster dropped, stream ended, recording ready).
type Backend interface {
	chat.Media
	// Watch makes the backend send its status reports to report from now on.
	Watch(report Reporter)
}

// Open returns the backend named by the server's configuration.
func Open(name string) (Backend, error) {
	switch name {
	case "", "none":
		return None{}, nil
	default:
		return nil, fmt.Errorf("unknown media backend %q (want none)", name)
	}
}
