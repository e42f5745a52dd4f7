-- Channels and their memberships. Counters (member_count, moderator_member_count,
-- message_count) live in the channel row and change in the same transaction as the
-- membership or message they count; nothing scans a channel's members to answer a request.

CREATE TABLE channels (
    id                                TEXT PRIMARY KEY,       -- channelInternalId (24 hex)
    channel_id                        TEXT NOT NULL UNIQUE,   -- channelPublicId: the caller's string
    type                              TEXT NOT NULL,          -- community | live | broadcast | conversation
    display_name                      TEXT NOT NULL DEFAULT '',
    display_name_lower                TEXT NOT NULL DEFAULT '',
    avatar_file_id                    TEXT,
    metadata                          TEXT NOT NULL DEFAULT '{}',
    tags                              TEXT NOT NULL DEFAULT '[]',
    is_distinct                       INTEGER NOT NULL DEFAULT 0,
    -- sha256 of the sorted member set of a distinct conversation; NULL otherwise and once deleted
    distinct_key                      TEXT,
    is_public                         INTEGER NOT NULL DEFAULT 0,
    mute_timeout                      BIGINT,                 -- muted until; NULL when never muted
    rate_limit                        INTEGER NOT NULL DEFAULT 0,
    rate_limit_window                 INTEGER NOT NULL DEFAULT 0,
    rate_limit_timeout                BIGINT,
    message_auto_delete_enabled       INTEGER NOT NULL DEFAULT 0,
    auto_delete_message_by_flag_limit INTEGER,
    notification_mode                 TEXT NOT NULL DEFAULT 'default',
    member_count                      INTEGER NOT NULL DEFAULT 0,
    moderator_member_count            INTEGER NOT NULL DEFAULT 0,
    message_count                     BIGINT NOT NULL DEFAULT 0,
    message_preview_id                TEXT,
    last_activity                     BIGINT NOT NULL,
    attached_post_id                  TEXT,
    attached_video_stream_id          TEXT,
    attached_room_id                  TEXT,
    creator_id                        TEXT NOT NULL,
    is_deleted                        INTEGER NOT NULL DEFAULT 0,
    created_at                        BIGINT NOT NULL,
    updated_at                        BIGINT NOT NULL,
    deleted_at                        BIGINT
);
-- One live distinct conversation per member set.
CREATE UNIQUE INDEX channels_by_distinct_key ON channels (distinct_key) WHERE distinct_key IS NOT NULL;
-- The sort keys of GET /api/v3/channels, each with the id as keyset tie-breaker.
CREATE INDEX channels_by_activity ON channels (last_activity, id);
CREATE INDEX channels_by_created ON channels (created_at, id);
CREATE INDEX channels_by_name ON channels (display_name_lower, id);
CREATE INDEX channels_by_room ON channels (attached_room_id) WHERE attached_room_id IS NOT NULL;

-- tags[] and excludeTags[] filters: one row per (channel, tag).
CREATE TABLE channel_tags (
    channel_id TEXT NOT NULL REFERENCES channels (id),
    tag        TEXT NOT NULL,
    PRIMARY KEY (channel_id, tag)
);
CREATE INDEX channel_tags_by_tag ON channel_tags (tag, channel_id);

-- A user's standing in a channel. Rows are kept when a user leaves (membership 'none')
-- or is banned ('banned'), so that a ban outlives the membership.
CREATE TABLE channel_members (
    channel_id             TEXT NOT NULL REFERENCES channels (id),
    user_id                TEXT NOT NULL REFERENCES users (id),
    membership             TEXT NOT NULL,                  -- member | none | banned
    roles                  TEXT NOT NULL DEFAULT '[]',     -- channel roles, JSON array
    is_moderator           INTEGER NOT NULL DEFAULT 0,     -- roles hold channel-moderator
    mute_timeout           BIGINT,                         -- muted until; NULL when never muted
    read_to_segment        BIGINT NOT NULL DEFAULT 0,
    last_mentioned_segment BIGINT NOT NULL DEFAULT 0,
    last_activity          BIGINT NOT NULL,
    created_at             BIGINT NOT NULL,
    updated_at             BIGINT NOT NULL,
    PRIMARY KEY (channel_id, user_id)
);
-- Members pages: one membership value, keyset on (created_at, user_id).
CREATE INDEX channel_members_by_created ON channel_members (channel_id, membership, created_at, user_id);
-- A user's channels (filter=member|notMember, CanReadChannel).
CREATE INDEX channel_members_of_user ON channel_members (user_id, membership, channel_id);

-- roles[] filter of the members list: who holds a channel role, without walking the members.
CREATE TABLE channel_member_roles (
    channel_id TEXT NOT NULL,
    role       TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    PRIMARY KEY (channel_id, role, user_id)
);
