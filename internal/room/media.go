package room

import (
	"context"

	"github.com/parley-chat/parley/internal/chat"
)

// Media is the live-room media server as the domain uses it. internal/media implements
// it (the `none` backend, later LiveKit); the domain never learns which one runs. Calls
// to it happen outside store transactions: a media server is a remote service.
type Media interface {
	// CreateRoom prepares the media side of a new room and returns its name there.
	CreateRoom(ctx context.Context, room *Room) (string, error)
	// BroadcasterToken lets a host or co-host publish into the room. The domain has
	// already decided that the participant may broadcast (mayBroadcast).
	BroadcasterToken(ctx context.Context, room *Room, p RoomParticipant) (*BroadcasterData, error)
	// RemoveParticipant cuts a participant's media connection at once.
	RemoveParticipant(ctx context.Context, room *Room, userInternalID string) error
	// EndRoom stops all broadcasting in the room.
	EndRoom(ctx context.Context, room *Room) error
}

// BroadcasterData is the answer of GET /api/v1/rooms/{roomId}/token: a LiveKit token and
// URL for co-host rooms, an ingest URL for direct streaming. The SDK returns it as is.
type BroadcasterData struct {
	CoHostToken     string `json:"coHostToken,omitempty"`
	CoHostURL       string `json:"coHostUrl,omitempty"`
	DirectStreamURL string `json:"directStreamUrl,omitempty"`
}

// MediaStatus is a change the media server reports about a room: broadcasting started,
// the broadcaster dropped, the stream ended, the recording is ready, or the room was
// terminated. ApplyMediaStatus turns it into the room's new status and its event.
type MediaStatus struct {
	EventID string // the media server's id of the report; replays share it
	RoomID  string
	Status  string // live | waitingReconnect | ended | recorded | terminated
	// ByUserInternalID is the broadcaster whose action this report is (publishing,
	// dropping). When set, only the room's host moves the room: a co-host publishing
	// or leaving does not.
	ByUserInternalID      string
	At                    chat.Time // when it happened (orders reports); now when zero
	LivePlaybackURL       *string
	LiveThumbnailURL      *string
	LiveResolution        *Resolution
	RecordedPlaybackInfos []PlaybackInfo
	RecordedResolution    *Resolution
	DurationSeconds       *int64
}

// NoMediaServer is the answer to calls that need a media server when none is
// configured (the `none` backend): a forbidden action, not a server failure, so that
// clients show it instead of retrying.
func NoMediaServer() *chat.Error {
	return chat.Errorf(chat.CodeForbidden, "No media server is configured: this server cannot broadcast live rooms.")
}
