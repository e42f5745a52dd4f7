-- Outgoing webhooks (docs/webhooks.md). An endpoint is an operator's URL with its secret
-- and the Amity event names it takes (event_types: '*' for all, else ',name,name,'; the
-- same as rows of webhook_subscriptions, which events are matched against). A delivery is one event for one endpoint: inserted in the transaction
-- that appends the event (store/webhooks.go), so an event exists iff its deliveries do.
CREATE TABLE webhook_endpoints (
    id              TEXT PRIMARY KEY,
    url             TEXT NOT NULL,
    secret          TEXT NOT NULL,
    event_types     TEXT NOT NULL,
    enabled         INTEGER NOT NULL DEFAULT 1,
    max_concurrency INTEGER NOT NULL DEFAULT 4,
    failing_since   BIGINT,          -- first failure since the last success
    disabled_reason TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_by_created ON webhook_endpoints (created_at, id);

-- One row per endpoint and event name it takes ('*': every event). Matched with = rather
-- than LIKE on event_types: SQLite prepares a statement again whenever the pattern bound
-- to a LIKE changes, a tenth of a message's cost.
CREATE TABLE webhook_subscriptions (
    event       TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    PRIMARY KEY (event, endpoint_id)
);

CREATE TABLE webhook_deliveries (
    seq          {{autoid}},      -- also the delivery's public id and webhook-id
    endpoint_id  TEXT NOT NULL,
    event        TEXT NOT NULL,        -- Amity's event name, e.g. message.didCreate
    source_type  TEXT NOT NULL,        -- Parley's event type it came from, e.g. message.created
    order_key    TEXT NOT NULL,        -- deliveries of one key reach the endpoint one at a time, in seq order
    is_head      INTEGER NOT NULL DEFAULT 0, -- the oldest pending delivery of its queue
    data         TEXT NOT NULL,        -- the event's data as the outbox holds it
    event_at     BIGINT NOT NULL,
    state        TEXT NOT NULL,        -- pending | delivered | failed
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_at      BIGINT NOT NULL,      -- not tried before this time
    lease_until  BIGINT NOT NULL DEFAULT 0, -- a node is sending it until then
    last_status  INTEGER NOT NULL DEFAULT 0, -- the receiver's last HTTP status, 0 none
    last_error   TEXT NOT NULL DEFAULT '',
    first_try_at BIGINT,
    done_at      BIGINT
);
-- A queue is an endpoint's deliveries of one ordering key (a channel, a room, a user);
-- its head is its oldest pending delivery, the only one that may be sent. is_head marks
-- it (kept by store/webhooks.go under a lock per queue), so that a claim reads the due
-- heads alone and never walks a backlog or the delivered history.
CREATE INDEX webhook_deliveries_heads ON webhook_deliveries (endpoint_id, seq) WHERE state = 'pending' AND is_head = 1;
CREATE INDEX webhook_deliveries_queue ON webhook_deliveries (endpoint_id, order_key, seq) WHERE state = 'pending';
-- The delivery log (newest first, per endpoint) walks the primary key backwards; a
-- network has few endpoints. Replays by time use event_at.
CREATE INDEX webhook_deliveries_by_time ON webhook_deliveries (event_at, seq);
