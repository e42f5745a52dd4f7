-- Live rooms: rooms, their participants (host and co-hosts), co-host invitations and
-- viewer bans. Times are Unix milliseconds; booleans are 0/1 integers; small arrays and
-- objects are TEXT holding JSON.

CREATE TABLE rooms (
    id                      TEXT PRIMARY KEY,
    type                    TEXT NOT NULL,
    title                   TEXT NOT NULL,
    description             TEXT NOT NULL DEFAULT '',
    thumbnail_file_id       TEXT,
    metadata                TEXT NOT NULL DEFAULT '{}',
    status                  TEXT NOT NULL,
    live_chat_enabled       INTEGER NOT NULL DEFAULT 0,
    live_channel_id         TEXT,
    parent_room_id          TEXT,
    target_id               TEXT,
    target_type             TEXT,
    target_visibility       TEXT,
    reference_type          TEXT,
    reference_id            TEXT,
    live_playback_url       TEXT,
    live_thumbnail_url      TEXT,
    live_resolution         TEXT,
    recorded_playback_infos TEXT NOT NULL DEFAULT '[]',
    recorded_resolution     TEXT,
    duration_seconds        BIGINT,
    moderation_id           TEXT,
    moderation              TEXT,
    media_room              TEXT NOT NULL DEFAULT '',
    creator_id              TEXT NOT NULL,
    created_by              TEXT NOT NULL,
    is_deleted              INTEGER NOT NULL DEFAULT 0,
    deleted_by              TEXT,
    created_at              BIGINT NOT NULL,
    updated_at              BIGINT NOT NULL,
    live_at                 BIGINT,
    ended_at                BIGINT,
    recorded_at             BIGINT,
    deleted_at              BIGINT
);
-- GET /api/v1/rooms is keyset-paged on (created_at, id), filtered by type, status and
-- isDeleted: one index per filter, each ending in the paging key.
CREATE INDEX rooms_by_created ON rooms (created_at, id);
CREATE INDEX rooms_by_type ON rooms (type, created_at, id);
CREATE INDEX rooms_by_status ON rooms (status, created_at, id);
CREATE INDEX rooms_by_deleted ON rooms (is_deleted, created_at, id);
-- childRoomIds and roomChildrens.
CREATE INDEX rooms_by_parent ON rooms (parent_room_id, created_at, id);

CREATE TABLE room_participants (
    room_id                  TEXT NOT NULL,
    user_id                  TEXT NOT NULL,
    type                     TEXT NOT NULL,
    can_manage_product_tags  INTEGER NOT NULL DEFAULT 0,
    created_at               BIGINT NOT NULL,
    PRIMARY KEY (room_id, user_id)
);
CREATE INDEX room_participants_by_user ON room_participants (user_id);

CREATE TABLE invitations (
    id           TEXT PRIMARY KEY,
    type         TEXT NOT NULL,
    target_type  TEXT NOT NULL,
    target_id    TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    inviter_id   TEXT NOT NULL,
    status       TEXT NOT NULL,
    responded_at BIGINT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
-- The target's list and the invitee's own list, both keyset-paged on (created_at, id).
CREATE INDEX invitations_by_target ON invitations (target_type, target_id, created_at, id);
CREATE INDEX invitations_by_user ON invitations (user_id, created_at, id);
-- At most one pending invitation per user and target.
CREATE UNIQUE INDEX invitations_one_pending ON invitations (target_type, target_id, user_id) WHERE status = 'pending';

CREATE TABLE room_viewer_bans (
    room_id    TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    banned_by  TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (room_id, user_id)
);
CREATE INDEX room_viewer_bans_by_created ON room_viewer_bans (room_id, created_at, user_id);
