-- The media server's reports applied to rooms (LiveKit webhooks). A report whose id is
-- here already is a replay and changes nothing; the newest `at` of a room's status
-- reports is its media clock, and a status report older than it arrived out of order
-- and is ignored. Presence rows (participant joined/left) only serve replays and are
-- pruned after a day; status rows are a handful per room and stay.
CREATE TABLE room_media_events (
    id         TEXT PRIMARY KEY,
    room_id    TEXT NOT NULL,
    kind       TEXT NOT NULL,   -- status | presence
    at         BIGINT NOT NULL, -- when the media server says it happened
    applied_at BIGINT NOT NULL
);
CREATE INDEX room_media_events_clock ON room_media_events (room_id, kind, at);
CREATE INDEX room_media_events_by_applied ON room_media_events (kind, applied_at);
