package store

import (
	"database/sql"
	"encoding/json"
	"strings"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/room"
)

const roomColumns = `id, type, title, description, thumbnail_file_id, metadata, status, live_chat_enabled,
	live_channel_id, parent_room_id, target_id, target_type, target_visibility, reference_type, reference_id,
	live_playback_url, live_thumbnail_url, live_resolution, recorded_playback_infos, recorded_resolution,
	duration_seconds, moderation_id, moderation, media_room, creator_id, created_by, is_deleted, deleted_by,
	created_at, updated_at, live_at, ended_at, recorded_at, deleted_at`

func scanRoom(s scanner) (room.Room, error) {
	var r room.Room
	var thumb, channel, parent, targetID, targetType, targetVis, refType, refID sql.NullString
	var playURL, thumbURL, liveRes, recRes, modID, moderation, deletedBy sql.NullString
	var metadata, recorded string
	var chatOn, deleted int
	var duration sql.NullInt64
	var created, updated int64
	var liveAt, endedAt, recordedAt, deletedAt sql.NullInt64
	err := s.Scan(&r.ID, &r.Type, &r.Title, &r.Description, &thumb, &metadata, &r.Status, &chatOn,
		&channel, &parent, &targetID, &targetType, &targetVis, &refType, &refID,
		&playURL, &thumbURL, &liveRes, &recorded, &recRes,
		&duration, &modID, &moderation, &r.MediaRoom, &r.CreatorInternalID, &r.CreatedBy, &deleted, &deletedBy,
		&created, &updated, &liveAt, &endedAt, &recordedAt, &deletedAt)
	if err != nil {
		return r, err
	}
	r.ThumbnailFileID, r.LiveChannelID, r.ParentRoomID = strPtr(thumb), strPtr(channel), strPtr(parent)
	r.TargetID, r.TargetType, r.TargetVisibility = strPtr(targetID), strPtr(targetType), strPtr(targetVis)
	r.ReferenceType, r.ReferenceID, r.ModerationID = strPtr(refType), strPtr(refID), strPtr(modID)
	r.LivePlaybackURL, r.LiveThumbnailURL, r.DeletedBy = strPtr(playURL), strPtr(thumbURL), strPtr(deletedBy)
	r.Metadata = json.RawMessage(metadata)
	json.Unmarshal([]byte(recorded), &r.RecordedPlaybackInfos)
	if liveRes.Valid {
		json.Unmarshal([]byte(liveRes.String), &r.LiveResolution)
	}
	if recRes.Valid {
		json.Unmarshal([]byte(recRes.String), &r.RecordedResolution)
	}
	if moderation.Valid {
		json.Unmarshal([]byte(moderation.String), &r.Moderation)
	}
	if duration.Valid {
		r.DurationSeconds = &duration.Int64
	}
	r.LiveChatEnabled, r.IsDeleted = chatOn == 1, deleted == 1
	r.CreatedAt, r.UpdatedAt = chat.FromMillis(created), chat.FromMillis(updated)
	r.LiveAt, r.EndedAt, r.RecordedAt, r.DeletedAt = timeOf(liveAt), timeOf(endedAt), timeOf(recordedAt), timeOf(deletedAt)
	return r, nil
}

// jsonOrNull encodes v, or NULL for a nil pointer.
func jsonOrNull[T any](v *T) any {
	if v == nil {
		return nil
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// roomArgs are the values of every column after id, in roomColumns order.
func roomArgs(r *room.Room) []any {
	metadata := string(r.Metadata)
	if metadata == "" {
		metadata = "{}"
	}
	infos := r.RecordedPlaybackInfos
	if infos == nil {
		infos = []room.PlaybackInfo{}
	}
	recorded, _ := json.Marshal(infos)
	var duration any
	if r.DurationSeconds != nil {
		duration = *r.DurationSeconds
	}
	return []any{r.Type, r.Title, r.Description, r.ThumbnailFileID, metadata, r.Status, boolInt(r.LiveChatEnabled),
		r.LiveChannelID, r.ParentRoomID, r.TargetID, r.TargetType, r.TargetVisibility, r.ReferenceType, r.ReferenceID,
		r.LivePlaybackURL, r.LiveThumbnailURL, jsonOrNull(r.LiveResolution), string(recorded), jsonOrNull(r.RecordedResolution),
		duration, r.ModerationID, jsonOrNull(r.Moderation), r.MediaRoom, r.CreatorInternalID, r.CreatedBy, boolInt(r.IsDeleted), r.DeletedBy,
		r.CreatedAt.Millis(), r.UpdatedAt.Millis(), nullMillis(r.LiveAt), nullMillis(r.EndedAt), nullMillis(r.RecordedAt), nullMillis(r.DeletedAt)}
}

func (t *tx) InsertRoom(r *room.Room) error {
	args := append([]any{r.ID}, roomArgs(r)...)
	_, err := t.exec(`INSERT INTO rooms (`+roomColumns+`) VALUES (`+placeholders(len(args))+`)`, args...)
	return err
}

func (t *tx) UpdateRoom(r *room.Room) error {
	cols := strings.Split(roomColumns, ",")[1:]
	set := make([]string, len(cols))
	for i, c := range cols {
		set[i] = strings.TrimSpace(c) + " = ?"
	}
	args := append(roomArgs(r), r.ID)
	_, err := t.exec(`UPDATE rooms SET `+strings.Join(set, ", ")+` WHERE id = ?`, args...)
	return err
}

func (t *tx) RoomByID(id string) (*room.Room, error) {
	// In a write, the room is locked: its status is read to decide a write (media
	// webhooks arrive concurrently, and POST /stop may race them).
	return one(t.queryRow(`SELECT `+roomColumns+` FROM rooms WHERE id = ?`+t.lockRow(), id), scanRoom)
}

// ChildRooms returns the rooms whose parent is one of parentIDs, oldest first.
func (t *tx) ChildRooms(parentIDs []string) ([]room.Room, error) {
	if len(parentIDs) == 0 {
		return nil, nil
	}
	return queryAll(t, scanRoom, `SELECT `+roomColumns+` FROM rooms WHERE parent_room_id IN (`+placeholders(len(parentIDs))+`)
		ORDER BY created_at, id`, anys(parentIDs)...)
}

// ListRooms pages through rooms by keyset on (created_at, id).
func (t *tx) ListRooms(q room.RoomQuery) ([]room.Room, error) {
	var where []string
	var args []any
	if q.Type != "" {
		where = append(where, "type = ?")
		args = append(args, q.Type)
	}
	if len(q.Statuses) > 0 {
		where = append(where, "status IN ("+placeholders(len(q.Statuses))+")")
		args = append(args, anys(q.Statuses)...)
	}
	if len(q.TargetTypes) > 0 {
		where = append(where, "target_type IN ("+placeholders(len(q.TargetTypes))+")")
		args = append(args, anys(q.TargetTypes)...)
	}
	if q.IsDeleted != nil {
		where = append(where, "is_deleted = ?")
		args = append(args, boolInt(*q.IsDeleted))
	}
	if q.ViewerID != "" {
		where = append(where, "NOT EXISTS (SELECT 1 FROM room_viewer_bans b WHERE b.room_id = rooms.id AND b.user_id = ?)")
		args = append(args, q.ViewerID)
	}
	k := keyset{key: "created_at", id: "id", desc: q.SortBy != chat.SortFirstCreated}
	where, args = k.after(where, args, q.After)
	text := `SELECT ` + roomColumns + ` FROM rooms`
	if len(where) > 0 {
		text += " WHERE " + strings.Join(where, " AND ")
	}
	text += k.orderLimit()
	args = append(args, q.Limit)
	return queryAll(t, scanRoom, text, args...)
}

// RoomParticipants returns the participants of rooms with their public ids, the host
// first and then co-hosts in the order they joined.
func (t *tx) RoomParticipants(roomIDs []string) ([]room.RoomParticipant, error) {
	if len(roomIDs) == 0 {
		return nil, nil
	}
	return queryAll(t, func(s scanner) (room.RoomParticipant, error) {
		var p room.RoomParticipant
		var tags int
		var created int64
		err := s.Scan(&p.RoomID, &p.UserInternalID, &p.UserID, &p.Type, &tags, &created)
		p.CanManageProductTags, p.CreatedAt = tags == 1, chat.FromMillis(created)
		return p, err
	}, `SELECT p.room_id, p.user_id, u.user_id, p.type, p.can_manage_product_tags, p.created_at
		FROM room_participants p JOIN users u ON u.id = p.user_id
		WHERE p.room_id IN (`+placeholders(len(roomIDs))+`)
		ORDER BY p.room_id, CASE WHEN p.type = 'host' THEN 0 ELSE 1 END, p.created_at, p.user_id`, anys(roomIDs)...)
}

// PutRoomParticipant adds a participant or updates one.
func (t *tx) PutRoomParticipant(p room.RoomParticipant) error {
	_, err := t.exec(`INSERT INTO room_participants (room_id, user_id, type, can_manage_product_tags, created_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (room_id, user_id) DO UPDATE SET type = excluded.type,
		can_manage_product_tags = excluded.can_manage_product_tags`,
		p.RoomID, p.UserInternalID, p.Type, boolInt(p.CanManageProductTags), p.CreatedAt.Millis())
	return err
}

func (t *tx) DeleteRoomParticipant(roomID, userID string) error {
	_, err := t.exec(`DELETE FROM room_participants WHERE room_id = ? AND user_id = ?`, roomID, userID)
	return err
}

// RoomViewersBanned returns which of userIDs are banned from viewing the room.
func (t *tx) RoomViewersBanned(roomID string, userIDs []string) ([]string, error) {
	if len(userIDs) == 0 {
		return nil, nil
	}
	args := append([]any{roomID}, anys(userIDs)...)
	return queryAll(t, scanString, `SELECT user_id FROM room_viewer_bans WHERE room_id = ? AND user_id IN (`+placeholders(len(userIDs))+`)`, args...)
}

// BanRoomViewers bans users in one statement.
func (t *tx) BanRoomViewers(roomID string, userIDs []string, by string, at chat.Time) error {
	if len(userIDs) == 0 {
		return nil
	}
	rows := make([]string, len(userIDs))
	args := make([]any, 0, 4*len(userIDs))
	for i, u := range userIDs {
		rows[i] = "(?, ?, ?, ?)"
		args = append(args, roomID, u, by, at.Millis())
	}
	_, err := t.exec(`INSERT INTO room_viewer_bans (room_id, user_id, banned_by, created_at) VALUES `+strings.Join(rows, ", ")+`
		ON CONFLICT (room_id, user_id) DO NOTHING`, args...)
	return err
}

func (t *tx) UnbanRoomViewers(roomID string, userIDs []string) error {
	if len(userIDs) == 0 {
		return nil
	}
	args := append([]any{roomID}, anys(userIDs)...)
	_, err := t.exec(`DELETE FROM room_viewer_bans WHERE room_id = ? AND user_id IN (`+placeholders(len(userIDs))+`)`, args...)
	return err
}

// ListRoomViewerBans pages through a room's bans, newest first, by keyset on
// (created_at, user_id).
func (t *tx) ListRoomViewerBans(roomID string, limit int, after *chat.Cursor) ([]room.RoomViewerBan, error) {
	k := keyset{key: "b.created_at", id: "b.user_id", desc: true}
	where, args := k.after([]string{"b.room_id = ?"}, []any{roomID}, after)
	args = append(args, limit)
	return queryAll(t, func(s scanner) (room.RoomViewerBan, error) {
		var b room.RoomViewerBan
		var created int64
		err := s.Scan(&b.UserID, &b.UserPublicID, &b.BanBy, &b.BanByPublicID, &created)
		b.CreatedAt = chat.FromMillis(created)
		return b, err
	}, `SELECT b.user_id, u.user_id, b.banned_by, COALESCE(bu.user_id, ''), b.created_at
		FROM room_viewer_bans b JOIN users u ON u.id = b.user_id LEFT JOIN users bu ON bu.id = b.banned_by
		WHERE `+strings.Join(where, " AND ")+k.orderLimit(), args...)
}

// The store's transaction keeps rooms' part of storage too.
var _ room.Stores = (*tx)(nil)
