-- The moderation queue (docs/moderation.md): flagged users (GET /api/v3/users?filter=flagged)
-- and flagged live messages network-wide (GET /api/v1/moderation/flagged-messages). Partial
-- indexes hold only the flagged rows, so a page of the queue is a range scan of a small
-- index whatever the size of users and messages.
CREATE INDEX users_flagged_by_created ON users (created_at, id) WHERE flag_count > 0;
CREATE INDEX users_flagged_by_name ON users (display_name_lower, id) WHERE flag_count > 0;
CREATE INDEX messages_flagged_by_time ON messages (created_at, id) WHERE flag_count > 0 AND is_deleted = 0;
