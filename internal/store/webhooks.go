package store

import (
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/parley-chat/parley/internal/chat"
)

// Webhook endpoints and deliveries (docs/webhooks.md).

// enqueueWebhooks inserts, beside an event being appended, one delivery per enabled
// endpoint that takes each Amity event the event is sent as: one statement, which
// inserts nothing (an index lookup on a small table) when no endpoint takes it. The
// payload is shaped at send time from the event's data kept here. A new delivery is the
// head of its queue when the queue has no older pending one.
func (t *tx) enqueueWebhooks(e chat.Event, data []byte, at chat.Time) error {
	if !t.work.hooksMaybe.Load() {
		return nil // no enabled endpoint (SQLite): no statement
	}
	key := orderKey(e)
	q, args, ok := webhookInsert(e, key, data, at)
	if !ok {
		return nil
	}
	endpoints, err := queryAll(t, scanString, q, args...)
	if err != nil {
		return err
	}
	return t.promoteWebhookQueues(endpoints, key)
}

// webhookInsert is enqueueWebhooks's statement, RETURNING the endpoints it wrote to; ok
// is false when the event is no webhook event (the domain handed no names with it,
// chat.Event.Webhooks). key is the event's orderKey.
func webhookInsert(e chat.Event, key string, data []byte, at chat.Time) (string, []any, bool) {
	names := e.Webhooks
	if len(names) == 0 {
		return "", nil, false
	}
	var q strings.Builder
	var args []any
	q.WriteString(`INSERT INTO webhook_deliveries (endpoint_id, event, source_type, order_key, data, event_at, state, next_at) `)
	for i, name := range names {
		if i > 0 {
			q.WriteString(` UNION ALL `)
		}
		// Typed: PostgreSQL cannot infer a select list's parameters from the target columns.
		q.WriteString(`SELECT e.id, CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS BIGINT), 'pending', CAST(? AS BIGINT)
			FROM webhook_subscriptions s JOIN webhook_endpoints e ON e.id = s.endpoint_id
			WHERE s.event IN (?, '*') AND e.enabled = 1`)
		args = append(args, name, e.Type, key, string(data), at.Millis(), at.Millis(), name)
	}
	q.WriteString(` RETURNING endpoint_id`)
	return q.String(), args, true
}

// promoteWebhookQueues marks the new deliveries' queues' heads, one endpoint at a time
// under its queue lock.
func (t *tx) promoteWebhookQueues(endpoints []string, key string) error {
	if len(endpoints) == 0 {
		return nil
	}
	t.wroteHooks = true
	slices.Sort(endpoints)
	for _, ep := range slices.Compact(endpoints) {
		if err := t.lockQueue(ep, key); err != nil {
			return err
		}
		if err := t.promoteHead(ep, key); err != nil {
			return err
		}
	}
	return nil
}

// orderKey names the queue a delivery waits in: an endpoint gets a channel's (a room's,
// a user's) events one at a time, in the order they were committed; an event about none
// of them is a queue of its own.
func orderKey(e chat.Event) string {
	switch {
	case e.ChannelID != "":
		return "c:" + e.ChannelID
	case e.RoomID != "":
		return "r:" + e.RoomID
	case len(e.UserIDs) > 0:
		return "u:" + e.UserIDs[0]
	}
	return "n:" + chat.NewID()
}

// lockQueue queues this transaction behind any other that changes the heads of the
// endpoint's queue, until commit (PostgreSQL; SQLite's one writer needs none): a new
// delivery and the end of the head's delivery are then never decided on stale views.
// The domain's own locks already make one channel's events commit in seq order.
func (t *tx) lockQueue(endpointID, key string) error {
	return t.lockKey("webhook queue " + endpointID + " " + key)
}

// promoteHead makes the oldest pending delivery of a queue its head (an index lookup):
// the head is always the oldest pending one, so when it is already marked this changes
// nothing.
func (t *tx) promoteHead(endpointID, key string) error {
	_, err := t.exec(`UPDATE webhook_deliveries SET is_head = 1
		WHERE seq = (SELECT MIN(seq) FROM webhook_deliveries WHERE endpoint_id = ? AND order_key = ? AND state = 'pending') AND is_head = 0`,
		endpointID, key)
	return err
}

// skipLocked ends a SELECT of rows to lease: on PostgreSQL the rows another node is
// leasing right now are passed over rather than waited for (SQLite has one writer).
func (d dialect) skipLocked() string {
	if d.forUpdate == "" {
		return ""
	}
	return d.forUpdate + " SKIP LOCKED"
}

// eventTypesColumn stores an event filter as the endpoint reads it back: '*' for every
// event, else ',a,b,'.
func eventTypesColumn(types []string) string {
	if len(types) == 0 {
		return "*"
	}
	return "," + strings.Join(types, ",") + ","
}

const webhookEndpointColumns = `id, url, secret, event_types, enabled, max_concurrency, failing_since, disabled_reason, created_at, updated_at`

func scanWebhookEndpoint(s scanner) (chat.WebhookEndpoint, error) {
	var e chat.WebhookEndpoint
	var types string
	var enabled int
	var failing sql.NullInt64
	var created, updated int64
	err := s.Scan(&e.ID, &e.URL, &e.Secret, &types, &enabled, &e.MaxConcurrency, &failing, &e.DisabledReason, &created, &updated)
	e.EventTypes = []string{}
	if types != "*" {
		e.EventTypes = strings.Split(strings.Trim(types, ","), ",")
	}
	e.Enabled, e.FailingSince = enabled == 1, timeOf(failing)
	e.CreatedAt, e.UpdatedAt = chat.FromMillis(created), chat.FromMillis(updated)
	return e, err
}

func (t *tx) InsertWebhookEndpoint(e *chat.WebhookEndpoint) error {
	t.work.hooksMaybe.Store(true) // before the commit: an event after it writes deliveries
	_, err := t.exec(`INSERT INTO webhook_endpoints (`+webhookEndpointColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, e.URL, e.Secret, eventTypesColumn(e.EventTypes), boolInt(e.Enabled), e.MaxConcurrency,
		nullMillis(e.FailingSince), e.DisabledReason, e.CreatedAt.Millis(), e.UpdatedAt.Millis())
	if err != nil {
		return err
	}
	return t.putSubscriptions(e)
}

// putSubscriptions writes the endpoint's event filter as the rows events are matched
// against.
func (t *tx) putSubscriptions(e *chat.WebhookEndpoint) error {
	if _, err := t.exec(`DELETE FROM webhook_subscriptions WHERE endpoint_id = ?`, e.ID); err != nil {
		return err
	}
	events := e.EventTypes
	if len(events) == 0 {
		events = []string{"*"}
	}
	args := make([]any, 0, 2*len(events))
	for _, ev := range events {
		args = append(args, ev, e.ID)
	}
	_, err := t.exec(`INSERT INTO webhook_subscriptions (event, endpoint_id) VALUES `+strings.TrimSuffix(strings.Repeat("(?, ?), ", len(events)), ", "), args...)
	return err
}

func (t *tx) WebhookEndpointByID(id string) (*chat.WebhookEndpoint, error) {
	return one(t.queryRow(`SELECT `+webhookEndpointColumns+` FROM webhook_endpoints WHERE id = ?`+t.lockRow(), id), scanWebhookEndpoint)
}

func (t *tx) UpdateWebhookEndpoint(e *chat.WebhookEndpoint) error {
	t.work.hooksMaybe.Store(true)
	t.wroteHooks = t.wroteHooks || e.Enabled // its queues may hold deliveries due now
	_, err := t.exec(`UPDATE webhook_endpoints SET url = ?, secret = ?, event_types = ?, enabled = ?, max_concurrency = ?,
		failing_since = ?, disabled_reason = ?, updated_at = ? WHERE id = ?`,
		e.URL, e.Secret, eventTypesColumn(e.EventTypes), boolInt(e.Enabled), e.MaxConcurrency,
		nullMillis(e.FailingSince), e.DisabledReason, e.UpdatedAt.Millis(), e.ID)
	if err != nil {
		return err
	}
	return t.putSubscriptions(e)
}

func (t *tx) DeleteWebhookEndpoint(id string) error {
	if _, err := t.exec(`DELETE FROM webhook_deliveries WHERE endpoint_id = ?`, id); err != nil {
		return err
	}
	if _, err := t.exec(`DELETE FROM webhook_subscriptions WHERE endpoint_id = ?`, id); err != nil {
		return err
	}
	_, err := t.exec(`DELETE FROM webhook_endpoints WHERE id = ?`, id)
	return err
}

func (t *tx) WebhookEndpoints(after *chat.Cursor, limit int) ([]chat.WebhookEndpoint, error) {
	k := keyset{key: "created_at", id: "id"}
	where, args := k.after(nil, nil, after)
	q := `SELECT ` + webhookEndpointColumns + ` FROM webhook_endpoints`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	return queryAll(t, scanWebhookEndpoint, q+k.orderLimit(), append(args, limit)...)
}

const webhookDeliveryColumns = `seq, endpoint_id, event, source_type, order_key, data, event_at, state, attempts, next_at,
	last_status, last_error, first_try_at, done_at`

func scanWebhookDelivery(s scanner) (chat.WebhookDelivery, error) {
	var d chat.WebhookDelivery
	var data string
	var eventAt, next int64
	var first, done sql.NullInt64
	err := s.Scan(&d.Seq, &d.EndpointID, &d.Event, &d.SourceType, &d.OrderKey, &data, &eventAt, &d.State, &d.Attempts, &next,
		&d.LastStatus, &d.LastError, &first, &done)
	d.ID, d.Data = strconv.FormatInt(d.Seq, 10), []byte(data)
	d.EventAt, d.NextAt, d.FirstTryAt, d.DoneAt = chat.FromMillis(eventAt), chat.FromMillis(next), timeOf(first), timeOf(done)
	return d, err
}

func (t *tx) WebhookDeliveries(endpointID string, after *chat.Cursor, limit int) ([]chat.WebhookDelivery, error) {
	before := int64(1<<62 - 1)
	if after != nil && after.ID != "" {
		before = after.N
	}
	return queryAll(t, scanWebhookDelivery, `SELECT `+webhookDeliveryColumns+` FROM webhook_deliveries
		WHERE endpoint_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?`, endpointID, before, limit)
}

func (t *tx) ReplayWebhookDeliveries(endpointID string, ids []string, from, to, now chat.Time) (int, error) {
	where := ` WHERE endpoint_id = ?`
	args := []any{endpointID}
	if len(ids) > 0 {
		seqs := make([]any, 0, len(ids))
		for _, id := range ids {
			if n, err := strconv.ParseInt(id, 10, 64); err == nil {
				seqs = append(seqs, n)
			}
		}
		if len(seqs) == 0 {
			return 0, nil
		}
		where += ` AND seq IN (` + placeholders(len(seqs)) + `)`
		args = append(args, seqs...)
	} else {
		where += ` AND event_at >= ? AND event_at < ?`
		args = append(args, from.Millis(), to.Millis())
	}
	keys, err := queryAll(t, scanString, `SELECT DISTINCT order_key FROM webhook_deliveries`+where+` ORDER BY order_key`, args...)
	if err != nil {
		return 0, err
	}
	for _, key := range keys {
		if err := t.lockQueue(endpointID, key); err != nil {
			return 0, err
		}
	}
	res, err := t.exec(`UPDATE webhook_deliveries SET state = 'pending', next_at = ?, attempts = 0, first_try_at = NULL, done_at = NULL`+where,
		append([]any{now.Millis()}, args...)...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	t.wroteHooks = t.wroteHooks || n > 0
	// The replayed deliveries may be older than their queue's head: the oldest pending
	// one leads again.
	for _, key := range keys {
		if _, err := t.exec(`UPDATE webhook_deliveries SET is_head = 0 WHERE endpoint_id = ? AND order_key = ? AND state = 'pending' AND is_head = 1`,
			endpointID, key); err != nil {
			return 0, err
		}
		if err := t.promoteHead(endpointID, key); err != nil {
			return 0, err
		}
	}
	return int(n), err
}

// ClaimWebhookDeliveries leases what may be sent now: the due heads of each enabled
// endpoint's queues, at most the endpoint's free concurrency. Each endpoint row is
// locked while its deliveries are claimed (passed over when another node is claiming
// for it), so the count of its deliveries in flight is exact and its concurrency limit
// holds across a cluster.
func (t *tx) ClaimWebhookDeliveries(now, leaseUntil chat.Time, max int) ([]chat.ClaimedDelivery, error) {
	endpoints, err := queryAll(t, scanWebhookEndpoint, `SELECT `+webhookEndpointColumns+` FROM webhook_endpoints
		WHERE enabled = 1 ORDER BY id`+t.d.skipLocked())
	if err != nil {
		return nil, err
	}
	var out []chat.ClaimedDelivery
	for _, e := range endpoints {
		if len(out) >= max {
			break
		}
		var inFlight int
		if err := t.queryRow(`SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = ? AND state = 'pending' AND is_head = 1 AND lease_until > ?`,
			e.ID, now.Millis()).Scan(&inFlight); err != nil {
			return nil, err
		}
		free := min(e.MaxConcurrency-inFlight, max-len(out))
		if free <= 0 {
			continue
		}
		rows, err := queryAll(t, scanWebhookDelivery, `SELECT `+webhookDeliveryColumns+` FROM webhook_deliveries
			WHERE endpoint_id = ? AND state = 'pending' AND is_head = 1 AND next_at <= ? AND lease_until <= ?
			ORDER BY seq LIMIT ?`+t.d.skipLocked(), e.ID, now.Millis(), now.Millis(), free)
		if err != nil || len(rows) == 0 {
			if err != nil {
				return nil, err
			}
			continue
		}
		seqs := make([]any, len(rows))
		for i, d := range rows {
			seqs[i] = d.Seq
		}
		if _, err := t.exec(`UPDATE webhook_deliveries SET lease_until = ?, attempts = attempts + 1, first_try_at = COALESCE(first_try_at, ?)
			WHERE seq IN (`+placeholders(len(seqs))+`)`, append([]any{leaseUntil.Millis(), now.Millis()}, seqs...)...); err != nil {
			return nil, err
		}
		for _, d := range rows {
			d.Attempts++
			if d.FirstTryAt.IsZero() {
				d.FirstTryAt = now
			}
			out = append(out, chat.ClaimedDelivery{WebhookDelivery: d, URL: e.URL, Secret: e.Secret})
		}
	}
	return out, nil
}

// FinishWebhookDelivery records an attempt: delivered, failed for good (the next of its
// queue becomes the head), or due again at r.Retry; and the endpoint's failure record.
func (t *tx) FinishWebhookDelivery(r chat.WebhookResult, now chat.Time) error {
	var key string
	if err := t.queryRow(`SELECT order_key FROM webhook_deliveries WHERE seq = ?`, r.Seq).Scan(&key); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil // its endpoint was deleted meanwhile
		}
		return err
	}
	if err := t.lockQueue(r.EndpointID, key); err != nil {
		return err
	}
	state, next, done := chat.DeliveryPending, r.Retry.Millis(), any(nil)
	switch {
	case r.OK:
		state, next, done = chat.DeliveryDelivered, now.Millis(), now.Millis()
	case r.Retry.IsZero():
		state, next, done = chat.DeliveryFailed, now.Millis(), now.Millis()
	}
	head := 1
	if state != chat.DeliveryPending {
		head = 0
	}
	if _, err := t.exec(`UPDATE webhook_deliveries SET state = ?, is_head = ?, next_at = ?, lease_until = 0, last_status = ?, last_error = ?, done_at = ?
		WHERE seq = ?`, state, head, next, r.Status, r.Error, done, r.Seq); err != nil {
		return err
	}
	if head == 0 {
		if err := t.promoteHead(r.EndpointID, key); err != nil {
			return err
		}
	}
	var err error
	if r.OK {
		_, err = t.exec(`UPDATE webhook_endpoints SET failing_since = NULL WHERE id = ? AND failing_since IS NOT NULL`, r.EndpointID)
	} else {
		_, err = t.exec(`UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, ?) WHERE id = ?`, now.Millis(), r.EndpointID)
	}
	return err
}
