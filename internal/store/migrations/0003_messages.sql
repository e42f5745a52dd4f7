-- Messages, their feeds (sub-channels), flags, reactions and read markers.
-- A feed's last_segment is the counter that numbers its messages 1, 2, 3…: a send takes
-- the next number with one UPDATE … RETURNING in the same transaction as the message, so
-- numbers never repeat or skip. Every list below has an index that serves its keyset.

CREATE TABLE message_feeds (
    id                 TEXT PRIMARY KEY,      -- the default feed's id is its channel's internal id
    channel_id         TEXT NOT NULL REFERENCES channels (id),
    name               TEXT NOT NULL DEFAULT '',
    is_default         INTEGER NOT NULL DEFAULT 0,
    creator_id         TEXT NOT NULL,
    last_segment       BIGINT NOT NULL DEFAULT 0,
    -- a mention of the whole channel: every member is mentioned up to this segment
    channel_mention_segment BIGINT NOT NULL DEFAULT 0,
    last_message_id    TEXT,
    last_message_at    BIGINT,
    is_deleted         INTEGER NOT NULL DEFAULT 0,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    edited_at          BIGINT,
    deleted_at         BIGINT
);
-- GET /api/v5/message-feeds/channel/{channelId}: keyset on (created_at, id).
CREATE INDEX message_feeds_by_channel ON message_feeds (channel_id, created_at, id);

-- Channels that exist before this migration get their default feed now; new channels get
-- theirs in the transaction that creates them.
INSERT INTO message_feeds (id, channel_id, name, is_default, creator_id, last_segment, created_at, updated_at)
    SELECT id, id, 'default', 1, creator_id, message_count, created_at, updated_at FROM channels;

CREATE TABLE messages (
    id              TEXT PRIMARY KEY,
    feed_id         TEXT NOT NULL REFERENCES message_feeds (id),
    channel_id      TEXT NOT NULL,
    segment         BIGINT NOT NULL,
    parent_id       TEXT,
    creator_id      TEXT NOT NULL,
    data_type       TEXT NOT NULL,
    data            TEXT NOT NULL,
    metadata        TEXT NOT NULL DEFAULT '{}',
    tags            TEXT NOT NULL DEFAULT '[]',
    mentioned_users TEXT NOT NULL DEFAULT '[]',
    reference_id    TEXT,
    child_count     INTEGER NOT NULL DEFAULT 0,
    flag_count      INTEGER NOT NULL DEFAULT 0,
    reaction_count  INTEGER NOT NULL DEFAULT 0,
    reactions       TEXT NOT NULL DEFAULT '{}',   -- {reactionName: count}
    is_deleted      INTEGER NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    edited_at       BIGINT,
    deleted_at      BIGINT,
    UNIQUE (feed_id, segment)
);
-- The message list pages on segment inside one feed: (feed_id, segment) is the unique
-- key above; the live-only list (isDeleted=false, the SDK's default) has its own index so
-- that deleted messages never have to be skipped.
CREATE INDEX messages_live ON messages (feed_id, is_deleted, segment);
CREATE INDEX messages_by_parent ON messages (feed_id, parent_id, segment);
CREATE INDEX messages_by_type ON messages (feed_id, data_type, segment);
-- hasFlags=true lists only flagged messages.
CREATE INDEX messages_flagged ON messages (feed_id, segment) WHERE flag_count > 0;
-- A user's recent messages in a channel: the rate limit, and the ban that deletes them.
CREATE INDEX messages_by_creator ON messages (channel_id, creator_id, created_at);

-- includeTags[] / excludeTags[] filters: one row per (message, tag).
CREATE TABLE message_tags (
    message_id TEXT NOT NULL REFERENCES messages (id),
    feed_id    TEXT NOT NULL,
    segment    BIGINT NOT NULL,
    tag        TEXT NOT NULL,
    PRIMARY KEY (message_id, tag)
);
CREATE INDEX message_tags_by_tag ON message_tags (feed_id, tag, segment);

-- Who flagged what; a message's flag_count follows in the same transaction.
CREATE TABLE message_flags (
    message_id TEXT NOT NULL REFERENCES messages (id),
    user_id    TEXT NOT NULL,
    reason     TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    PRIMARY KEY (message_id, user_id)
);

-- One row per (message, user, reaction name); the message row keeps the counts.
CREATE TABLE message_reactions (
    id         TEXT PRIMARY KEY,
    message_id TEXT NOT NULL REFERENCES messages (id),
    user_id    TEXT NOT NULL,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (message_id, user_id, name)
);
-- GET /api/v3/reactions: newest first, keyset on (created_at, id), optionally one name.
CREATE INDEX message_reactions_by_message ON message_reactions (message_id, created_at, id);
CREATE INDEX message_reactions_by_name ON message_reactions (message_id, name, created_at, id);

-- A user's read position in a feed. The default feed's read_to_segment and
-- last_mentioned_segment are mirrored into channel_members in the same transaction.
CREATE TABLE feed_markers (
    feed_id                TEXT NOT NULL REFERENCES message_feeds (id),
    user_id                TEXT NOT NULL,
    channel_id             TEXT NOT NULL,
    read_to_segment        BIGINT NOT NULL DEFAULT 0,
    delivered_to_segment   BIGINT NOT NULL DEFAULT 0,
    last_mentioned_segment BIGINT NOT NULL DEFAULT 0,
    created_at             BIGINT NOT NULL,
    updated_at             BIGINT NOT NULL,
    PRIMARY KEY (feed_id, user_id)
);
-- Read and delivered receipts of a message: who is at or past its segment.
CREATE INDEX feed_markers_by_read ON feed_markers (feed_id, read_to_segment, user_id);
CREATE INDEX feed_markers_by_delivered ON feed_markers (feed_id, delivered_to_segment, user_id);
-- A user's markers across channels (GET /api/v1/markers/user-message-feed).
CREATE INDEX feed_markers_of_user ON feed_markers (user_id, channel_id);
