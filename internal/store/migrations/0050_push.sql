-- Push notifications (docs/push.md). A device is an SDK's registration of a token for a
-- user; a device id belongs to one user at a time and a token to one device.
CREATE TABLE push_devices (
    device_id  TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,        -- internal id
    platform   TEXT NOT NULL,        -- android | ios | web
    provider   TEXT NOT NULL DEFAULT '',
    token      TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX push_devices_by_user ON push_devices (user_id, device_id);

-- Settings: user_id '' is the network's; channel_id '' is the user's (or the network's)
-- own level; event '' is the level's isPushNotifiable, else one notifiable event's. A
-- missing row means enabled.
CREATE TABLE push_settings (
    user_id    TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    event      TEXT NOT NULL,
    enabled    INTEGER NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, channel_id, event)
);

-- One job per pushable event, written by AppendEvent in the event's transaction: a
-- message costs one row however many members its channel has. Workers expand a job
-- into deliveries a page of members at a time (after_user is the page cursor).
CREATE TABLE push_jobs (
    seq         {{autoid}},
    event       TEXT NOT NULL,       -- Amity's push event: message.created, channel.created, channel.joined
    channel_id  TEXT NOT NULL,
    sender_id   TEXT NOT NULL,       -- internal id; never pushed to
    mentioned   TEXT NOT NULL,       -- JSON array of mentioned userIds; ["*"] = @channel
    data        TEXT NOT NULL,       -- the notification as chat.PushJob shapes it (title, body, ids)
    after_user  TEXT NOT NULL DEFAULT '',
    lease_until BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL
);

-- One delivery per job and device. (job_seq, device_id) is unique so that expanding a
-- page again after a crash adds nothing twice.
CREATE TABLE push_deliveries (
    seq         {{autoid}},
    job_seq     BIGINT NOT NULL,
    device_id   TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    platform    TEXT NOT NULL,
    token       TEXT NOT NULL,
    event       TEXT NOT NULL,
    channel_id  TEXT NOT NULL,
    data        TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     BIGINT NOT NULL,
    lease_until BIGINT NOT NULL DEFAULT 0,
    last_error  TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    UNIQUE (job_seq, device_id)
);
CREATE INDEX push_deliveries_due ON push_deliveries (next_at, seq);
CREATE INDEX push_deliveries_by_device ON push_deliveries (device_id, channel_id, seq);
