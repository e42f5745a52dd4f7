package store

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/parley-chat/parley/internal/chat"
)

// Push devices, settings and the push queue (docs/push.md).

// enqueuePush writes the push job of an event Amity pushes for: one row per event,
// whatever the channel's size; the workers expand it to devices.
func (t *tx) enqueuePush(e chat.Event, at chat.Time) error {
	q, args, ok, err := t.pushJobInsert(e, at)
	if !ok || err != nil {
		return err
	}
	_, err = t.exec(q, args...)
	return err
}

// pushJobInsert is enqueuePush's statement, for the job the domain handed with the event
// (chat.Event.Push); ok is false when there is none, or when push is off (no provider: a
// job would only be expanded and given up).
func (t *tx) pushJobInsert(e chat.Event, at chat.Time) (q string, args []any, ok bool, err error) {
	if e.Push == nil || t.noPushJobs {
		return "", nil, false, nil
	}
	t.wrotePush = true
	j := *e.Push
	if j.Data.SentTime.IsZero() {
		j.Data.SentTime = at
	}
	data, err := json.Marshal(j.Data)
	if err != nil {
		return "", nil, false, fmt.Errorf("encode push job: %w", err)
	}
	mentioned, _ := json.Marshal(nonNil(j.Mentioned))
	return `INSERT INTO push_jobs (event, channel_id, sender_id, mentioned, data, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		[]any{j.Event, j.ChannelID, j.SenderID, string(mentioned), string(data), at.Millis()}, true, nil
}

func (t *tx) PutPushDevice(d *chat.PushDevice) error {
	// The token moves to this device: a phone that changed hands (or re-installed the
	// app) must not push to its former user.
	if _, err := t.exec(`DELETE FROM push_devices WHERE token = ? AND device_id <> ?`, d.Token, d.DeviceID); err != nil {
		return err
	}
	_, err := t.exec(`INSERT INTO push_devices (device_id, user_id, platform, provider, token, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (device_id) DO UPDATE SET user_id = excluded.user_id, platform = excluded.platform,
			provider = excluded.provider, token = excluded.token, updated_at = excluded.updated_at`,
		d.DeviceID, d.UserID, d.Platform, d.Provider, d.Token, d.CreatedAt.Millis(), d.UpdatedAt.Millis())
	return err
}

func (t *tx) DeletePushDevices(userID, deviceID string) (int, error) {
	where, args := ` WHERE user_id = ?`, []any{userID}
	if deviceID != "" {
		where, args = where+` AND device_id = ?`, append(args, deviceID)
	}
	if _, err := t.exec(`DELETE FROM push_deliveries`+where, args...); err != nil {
		return 0, err
	}
	res, err := t.exec(`DELETE FROM push_devices`+where, args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func scanPushSetting(s scanner) (chat.PushSetting, error) {
	var r chat.PushSetting
	var on int
	err := s.Scan(&r.UserID, &r.ChannelID, &r.Event, &on)
	r.Enabled = on == 1
	return r, err
}

func (t *tx) PushSettings(userID, channelID string) ([]chat.PushSetting, error) {
	return queryAll(t, scanPushSetting, `SELECT user_id, channel_id, event, enabled FROM push_settings
		WHERE user_id = ? AND channel_id = ? ORDER BY event`+t.lockRow(), userID, channelID)
}

func (t *tx) PutPushSettings(userID, channelID string, rows []chat.PushSetting, at chat.Time) error {
	for _, r := range rows {
		if _, err := t.exec(`INSERT INTO push_settings (user_id, channel_id, event, enabled, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (user_id, channel_id, event) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at`,
			userID, channelID, r.Event, boolInt(r.Enabled), at.Millis()); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) PushSettingsOf(userIDs []string, channelID string) ([]chat.PushSetting, error) {
	if len(userIDs) == 0 {
		return nil, nil
	}
	// Only switched-off rows decide anything: a missing row is enabled.
	return queryAll(t, scanPushSetting, `SELECT user_id, channel_id, event, enabled FROM push_settings
		WHERE user_id IN (`+placeholders(len(userIDs))+`) AND channel_id IN ('', ?) AND enabled = 0`,
		append(anys(userIDs), channelID)...)
}

func (t *tx) ClaimPushJob(now, leaseUntil chat.Time) (*chat.PushJob, error) {
	var j chat.PushJob
	var mentioned, data string
	err := t.queryRow(`SELECT seq, event, channel_id, sender_id, mentioned, data, after_user FROM push_jobs
		WHERE lease_until <= ? ORDER BY seq LIMIT 1`+t.d.skipLocked(), now.Millis()).
		Scan(&j.Seq, &j.Event, &j.ChannelID, &j.SenderID, &mentioned, &data, &j.AfterUser)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		return nil, err
	}
	if err := json.Unmarshal([]byte(mentioned), &j.Mentioned); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(data), &j.Data); err != nil {
		return nil, err
	}
	_, err = t.exec(`UPDATE push_jobs SET lease_until = ? WHERE seq = ?`, leaseUntil.Millis(), j.Seq)
	return &j, err
}

func (t *tx) PushRecipients(channelID, afterUser string, limit int) ([]chat.PushDevice, string, int, error) {
	members, err := queryAll(t, scanString, `SELECT user_id FROM channel_members
		WHERE channel_id = ? AND membership = 'member' AND user_id > ? ORDER BY user_id LIMIT ?`, channelID, afterUser, limit)
	if err != nil || len(members) == 0 {
		return nil, "", 0, err
	}
	last := members[len(members)-1]
	devices, err := queryAll(t, func(s scanner) (chat.PushDevice, error) {
		var d chat.PushDevice
		err := s.Scan(&d.DeviceID, &d.UserID, &d.PublicID, &d.Platform, &d.Token)
		return d, err
	}, `SELECT d.device_id, d.user_id, u.user_id, d.platform, d.token FROM push_devices d JOIN users u ON u.id = d.user_id
		WHERE d.user_id IN (SELECT user_id FROM channel_members WHERE channel_id = ? AND membership = 'member' AND user_id > ? AND user_id <= ?)
		ORDER BY d.user_id, d.device_id`, channelID, afterUser, last)
	return devices, last, len(members), err
}

// InsertPushDeliveries writes deliveries in statements of up to 200 rows.
func (t *tx) InsertPushDeliveries(ds []chat.PushDelivery, now chat.Time) error {
	const cols = 10
	for len(ds) > 0 {
		n := min(len(ds), 200)
		args := make([]any, 0, n*cols)
		for _, d := range ds[:n] {
			data, err := json.Marshal(d.Data)
			if err != nil {
				return err
			}
			args = append(args, d.JobSeq, d.DeviceID, d.UserID, d.Platform, d.Token, d.Event, d.ChannelID, string(data), now.Millis(), now.Millis())
		}
		row := "(" + placeholders(cols) + ")"
		if _, err := t.exec(`INSERT INTO push_deliveries (job_seq, device_id, user_id, platform, token, event, channel_id, data, next_at, created_at)
			VALUES `+strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")+` ON CONFLICT (job_seq, device_id) DO NOTHING`, args...); err != nil {
			return err
		}
		ds = ds[n:]
	}
	return nil
}

func (t *tx) AdvancePushJob(seq int64, afterUser string, done bool) error {
	if done {
		_, err := t.exec(`DELETE FROM push_jobs WHERE seq = ?`, seq)
		return err
	}
	_, err := t.exec(`UPDATE push_jobs SET after_user = ?, lease_until = 0 WHERE seq = ?`, afterUser, seq)
	return err
}

const pushDeliveryColumns = `seq, job_seq, device_id, user_id, platform, token, event, channel_id, data, attempts, created_at`

func scanPushDelivery(s scanner) (chat.PushDelivery, error) {
	var d chat.PushDelivery
	var data string
	var created int64
	err := s.Scan(&d.Seq, &d.JobSeq, &d.DeviceID, &d.UserID, &d.Platform, &d.Token, &d.Event, &d.ChannelID, &data, &d.Attempts, &created)
	if err == nil {
		err = json.Unmarshal([]byte(data), &d.Data)
	}
	d.CreatedAt = chat.FromMillis(created)
	return d, err
}

func (t *tx) ClaimPushDeliveries(now, leaseUntil chat.Time, max int) ([]chat.PushDelivery, error) {
	due, err := queryAll(t, scanPushDelivery, `SELECT `+pushDeliveryColumns+` FROM push_deliveries
		WHERE next_at <= ? AND lease_until <= ? ORDER BY next_at, seq LIMIT ?`+t.d.skipLocked(), now.Millis(), now.Millis(), max)
	if err != nil || len(due) == 0 {
		return nil, err
	}
	// Coalescing: of one device's deliveries for one channel the newest is sent; older
	// ones not yet sent are dropped, the device shows the latest message only.
	newest := map[[2]string]int64{}
	for _, d := range due {
		k := [2]string{d.DeviceID, d.ChannelID}
		newest[k] = max64(newest[k], d.Seq)
	}
	var out []chat.PushDelivery
	var drop, keep []any
	for _, d := range due {
		if d.Seq == newest[[2]string{d.DeviceID, d.ChannelID}] {
			out = append(out, d)
			keep = append(keep, d.Seq)
		} else {
			drop = append(drop, d.Seq)
		}
	}
	if len(drop) > 0 {
		if _, err := t.exec(`DELETE FROM push_deliveries WHERE seq IN (`+placeholders(len(drop))+`)`, drop...); err != nil {
			return nil, err
		}
	}
	if _, err := t.exec(`UPDATE push_deliveries SET lease_until = ?, attempts = attempts + 1 WHERE seq IN (`+placeholders(len(keep))+`)`,
		append([]any{leaseUntil.Millis()}, keep...)...); err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Attempts++
	}
	return out, nil
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

func (t *tx) FinishPushDelivery(r chat.PushResult) error {
	if r.Unregistered {
		var device string
		if err := t.queryRow(`SELECT device_id FROM push_deliveries WHERE seq = ?`, r.Seq).Scan(&device); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return nil
			}
			return err
		}
		if _, err := t.exec(`DELETE FROM push_deliveries WHERE device_id = ?`, device); err != nil {
			return err
		}
		_, err := t.exec(`DELETE FROM push_devices WHERE device_id = ?`, device)
		return err
	}
	if r.OK || r.Retry.IsZero() {
		_, err := t.exec(`DELETE FROM push_deliveries WHERE seq = ?`, r.Seq)
		return err
	}
	_, err := t.exec(`UPDATE push_deliveries SET next_at = ?, lease_until = 0, last_error = ? WHERE seq = ?`, r.Retry.Millis(), r.Error, r.Seq)
	return err
}
