-- The foundation: network settings, users, sessions, files and the event outbox.
-- Times are Unix milliseconds; booleans are 0/1 integers, the same in both dialects.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE users (
    id                 TEXT PRIMARY KEY,
    user_id            TEXT NOT NULL UNIQUE,
    display_name       TEXT NOT NULL DEFAULT '',
    display_name_lower TEXT NOT NULL DEFAULT '',
    avatar_file_id     TEXT,
    avatar_custom_url  TEXT,
    description        TEXT NOT NULL DEFAULT '',
    is_brand           INTEGER NOT NULL DEFAULT 0,
    metadata           TEXT NOT NULL DEFAULT '{}',
    tags               TEXT NOT NULL DEFAULT '[]',
    roles              TEXT NOT NULL DEFAULT '[]',
    is_global_ban      INTEGER NOT NULL DEFAULT 0,
    flag_count         INTEGER NOT NULL DEFAULT 0,
    is_deleted         INTEGER NOT NULL DEFAULT 0,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    deleted_at         BIGINT
);
CREATE INDEX users_by_created ON users (created_at, id);
CREATE INDEX users_by_name ON users (display_name_lower, id);

CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    device_id  TEXT NOT NULL,
    issued_at  BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE files (
    id          TEXT PRIMARY KEY,
    type        TEXT NOT NULL,
    access_type TEXT NOT NULL,
    name        TEXT NOT NULL,
    extension   TEXT NOT NULL,
    size        BIGINT NOT NULL,
    mime_type   TEXT NOT NULL,
    width       INTEGER NOT NULL DEFAULT 0,
    height      INTEGER NOT NULL DEFAULT 0,
    uploader_id TEXT NOT NULL,
    is_deleted  INTEGER NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- Events wait here until the relay has published them; seq is the commit order.
CREATE TABLE outbox (
    seq        {{autoid}},
    type       TEXT NOT NULL,
    channel_id TEXT NOT NULL DEFAULT '',
    room_id    TEXT NOT NULL DEFAULT '',
    user_ids   TEXT NOT NULL DEFAULT '[]',
    network    INTEGER NOT NULL DEFAULT 0,
    data       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
