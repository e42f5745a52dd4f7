-- User safety (docs/moderation.md): who blocked whom, who flagged whom, and the
-- append-only moderation audit log. A user's flag_count (users) follows user_flags in
-- the same transaction.

-- blocker_id blocked blocked_id (internal user ids). Paged by (created_at, blocked_id)
-- for the blocker's list; blocked_by finds who blocked a user (sending checks it).
CREATE TABLE user_blocks (
    blocker_id TEXT NOT NULL,
    blocked_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
);
CREATE INDEX user_blocks_by_blocker ON user_blocks (blocker_id, created_at, blocked_id);
CREATE INDEX user_blocks_by_blocked ON user_blocks (blocked_id, blocker_id);

-- flagger_id flagged user_id (internal user ids); a flag is a report, one per pair.
CREATE TABLE user_flags (
    user_id    TEXT NOT NULL,
    flagger_id TEXT NOT NULL,
    reason     TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, flagger_id)
);

-- Every moderation act, appended in the act's own transaction and never changed: no
-- statement of the store updates or deletes these rows. Ids are time-ordered (chat.NewID);
-- lists page newest first on (created_at, id), by actor, by target, or all.
CREATE TABLE moderation_audit (
    id          TEXT PRIMARY KEY,
    action      TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    channel_id  TEXT NOT NULL DEFAULT '',
    reason      TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT '{}',
    created_at  BIGINT NOT NULL
);
CREATE INDEX moderation_audit_by_time ON moderation_audit (created_at, id);
CREATE INDEX moderation_audit_by_target ON moderation_audit (target_id, created_at, id);
CREATE INDEX moderation_audit_by_actor ON moderation_audit (actor_id, created_at, id);

-- A global ban may soft-delete every message of the user, in every channel.
CREATE INDEX messages_by_author ON messages (creator_id) WHERE is_deleted = 0;
