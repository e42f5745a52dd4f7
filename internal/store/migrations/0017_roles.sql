-- Custom roles (docs/moderation.md): a named set of permissions that users and channel
-- members may hold. The built-in roles (global-admin, channel-moderator) are not rows.
CREATE TABLE roles (
    role_id      TEXT PRIMARY KEY,
    display_name TEXT NOT NULL DEFAULT '',
    permissions  TEXT NOT NULL DEFAULT '[]',
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
