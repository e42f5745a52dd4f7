-- Content moderation (docs/moderation.md): the network's keyword blocklist and link
-- allowlist, one table. text_lower is what matching and uniqueness use; created_at,id
-- pages each list.
CREATE TABLE moderation_words (
    id         TEXT PRIMARY KEY,
    list       TEXT NOT NULL,              -- block | allow
    text       TEXT NOT NULL,
    text_lower TEXT NOT NULL,
    exact      INTEGER NOT NULL DEFAULT 0, -- blocklist: match whole words only
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX moderation_words_text ON moderation_words (list, text_lower);
CREATE INDEX moderation_words_page ON moderation_words (list, created_at, id);
