package store

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/parley-chat/parley/internal/chat"
)

const channelColumns = `id, channel_id, type, display_name, avatar_file_id, metadata, tags, is_distinct, distinct_key,
	is_public, mute_timeout, rate_limit, rate_limit_window, rate_limit_timeout, message_auto_delete_enabled,
	auto_delete_message_by_flag_limit, notification_mode, member_count, moderator_member_count, message_count,
	message_preview_id, last_activity, attached_post_id, attached_video_stream_id, attached_room_id, creator_id,
	is_deleted, created_at, updated_at, deleted_at`

func scanChannel(s scanner) (chat.Channel, error) {
	var c chat.Channel
	var avatar, distinct, preview, post, video, room sql.NullString
	var metadata, tags string
	var isDistinct, isPublic, autoDelete, deleted int
	var flagLimit sql.NullInt64
	var mute, rateTimeout, deletedAt sql.NullInt64
	var activity, created, updated int64
	err := s.Scan(&c.ID, &c.ChannelID, &c.Type, &c.DisplayName, &avatar, &metadata, &tags, &isDistinct, &distinct,
		&isPublic, &mute, &c.RateLimit, &c.RateLimitWindow, &rateTimeout, &autoDelete,
		&flagLimit, &c.NotificationMode, &c.MemberCount, &c.ModeratorMemberCount, &c.MessageCount,
		&preview, &activity, &post, &video, &room, &c.CreatorID,
		&deleted, &created, &updated, &deletedAt)
	if err != nil {
		return c, err
	}
	c.AvatarFileID, c.MessagePreviewID = strPtr(avatar), strPtr(preview)
	c.AttachedTo = chat.AttachedTo{PostID: strPtr(post), VideoStreamID: strPtr(video), RoomID: strPtr(room)}
	c.DistinctKey = distinct.String
	c.Metadata = json.RawMessage(metadata)
	stringList(tags, &c.Tags)
	c.IsDistinct, c.IsPublic, c.MessageAutoDeleteEnabled, c.IsDeleted = isDistinct == 1, isPublic == 1, autoDelete == 1, deleted == 1
	if flagLimit.Valid {
		n := int(flagLimit.Int64)
		c.AutoDeleteMessageByFlagLimit = &n
	}
	c.MuteTimeout, c.RateLimitTimeout, c.DeletedAt = timeOf(mute), timeOf(rateTimeout), timeOf(deletedAt)
	c.LastActivity, c.CreatedAt, c.UpdatedAt = chat.FromMillis(activity), chat.FromMillis(created), chat.FromMillis(updated)
	return c, nil
}

func strPtr(s sql.NullString) *string {
	if !s.Valid {
		return nil
	}
	return &s.String
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (t *tx) InsertChannel(c *chat.Channel) error {
	t.dirtyChannel(c.ID)
	tags, _ := json.Marshal(nonNil(c.Tags))
	_, err := t.exec(`INSERT INTO channels (`+channelColumns+`, display_name_lower)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.ChannelID, c.Type, c.DisplayName, c.AvatarFileID, jsonText(c.Metadata), string(tags), boolInt(c.IsDistinct),
		nullString(c.DistinctKey), boolInt(c.IsPublic), nullMillis(c.MuteTimeout), c.RateLimit, c.RateLimitWindow,
		nullMillis(c.RateLimitTimeout), boolInt(c.MessageAutoDeleteEnabled), c.AutoDeleteMessageByFlagLimit,
		c.NotificationMode, c.MemberCount, c.ModeratorMemberCount, c.MessageCount, c.MessagePreviewID,
		c.LastActivity.Millis(), c.AttachedTo.PostID, c.AttachedTo.VideoStreamID, c.AttachedTo.RoomID, c.CreatorID,
		boolInt(c.IsDeleted), c.CreatedAt.Millis(), c.UpdatedAt.Millis(), nullMillis(c.DeletedAt),
		strings.ToLower(c.DisplayName))
	if err != nil {
		return err
	}
	if err := t.InsertMessageFeed(chat.DefaultFeed(c)); err != nil { // every channel has its default feed
		return err
	}
	return t.putChannelTags(c.ID, c.Tags)
}

// UpdateChannel writes the fields a channel's owners change. The counters are left
// alone: only AddChannelCounts (and the message writes) move them.
func (t *tx) UpdateChannel(c *chat.Channel) error {
	t.dirtyChannel(c.ID)
	tags, _ := json.Marshal(nonNil(c.Tags))
	_, err := t.exec(`UPDATE channels SET display_name = ?, display_name_lower = ?, avatar_file_id = ?, metadata = ?,
		tags = ?, distinct_key = ?, is_public = ?, mute_timeout = ?, message_auto_delete_enabled = ?,
		auto_delete_message_by_flag_limit = ?, notification_mode = ?, last_activity = ?, is_deleted = ?,
		updated_at = ?, deleted_at = ? WHERE id = ?`,
		c.DisplayName, strings.ToLower(c.DisplayName), c.AvatarFileID, jsonText(c.Metadata), string(tags),
		nullString(c.DistinctKey), boolInt(c.IsPublic), nullMillis(c.MuteTimeout), boolInt(c.MessageAutoDeleteEnabled),
		c.AutoDeleteMessageByFlagLimit, c.NotificationMode, c.LastActivity.Millis(), boolInt(c.IsDeleted),
		c.UpdatedAt.Millis(), nullMillis(c.DeletedAt), c.ID)
	if err != nil {
		return err
	}
	if _, err := t.exec(`DELETE FROM channel_tags WHERE channel_id = ?`, c.ID); err != nil {
		return err
	}
	return t.putChannelTags(c.ID, c.Tags)
}

func (t *tx) putChannelTags(id string, tags []string) error {
	tags = chat.Unique(tags)
	if len(tags) == 0 {
		return nil
	}
	args := make([]any, 0, 2*len(tags))
	for _, tag := range tags {
		args = append(args, id, tag)
	}
	_, err := t.exec(`INSERT INTO channel_tags (channel_id, tag) VALUES `+rows(len(tags), 2), args...)
	return err
}

// AddChannelCounts moves the counters and answers the row as changed, in one statement:
// on PostgreSQL the row lock it takes is where units on one channel queue until their
// commit, so the units that take it last (chat/members.go) hold it for this statement,
// their events and their commit only.
func (t *tx) AddChannelCounts(id string, members, moderators int, at chat.Time) (*chat.Channel, error) {
	t.dirtyChannel(id)
	return one(t.queryRow(`UPDATE channels SET member_count = member_count + ?, moderator_member_count = moderator_member_count + ?,
		last_activity = ?, updated_at = ? WHERE id = ? RETURNING `+channelColumns, members, moderators, at.Millis(), at.Millis(), id), scanChannel)
}

func (t *tx) ChannelByID(id string) (*chat.Channel, error) {
	return first(t.channelsBy("id", []string{id}))
}

func (t *tx) ChannelByPublicID(channelID string) (*chat.Channel, error) {
	return first(t.channelsBy("channel_id", []string{channelID}))
}

func (t *tx) ChannelForUpdate(channelID string) (*chat.Channel, error) {
	if t.d.forUpdate != "" { // PostgreSQL: the row lock is the point (no cache there)
		return one(t.queryRow(`SELECT `+channelColumns+` FROM channels WHERE channel_id = ?`+t.d.forUpdate, channelID), scanChannel)
	}
	return t.ChannelByPublicID(channelID)
}

func (t *tx) ChannelByDistinctKey(key string) (*chat.Channel, error) {
	return one(t.queryRow(`SELECT `+channelColumns+` FROM channels WHERE distinct_key = ?`, key), scanChannel)
}

// ChannelsByPublicIDs returns the channels that exist, in the order asked.
func (t *tx) ChannelsByPublicIDs(ids []string) ([]chat.Channel, error) {
	return t.channelsBy("channel_id", ids)
}

// channelsBy returns the channels whose column ("id" or "channel_id") is one of keys
// and that exist, in the order of keys, from the row cache where it can (row_cache.go).
func (t *tx) channelsBy(column string, keys []string) ([]chat.Channel, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	found, err := cachedBy(t, t.caches.channels, column == "channel_id", keys, func(missing []string) ([]chat.Channel, error) {
		if len(missing) == 1 { // the usual case, with a statement of its own
			c, err := one(t.queryRow(`SELECT `+channelColumns+` FROM channels WHERE `+column+` = ?`, missing[0]), scanChannel)
			if c == nil {
				return nil, err
			}
			return []chat.Channel{*c}, err
		}
		return queryAll(t, scanChannel, `SELECT `+channelColumns+` FROM channels WHERE `+column+` IN (`+placeholders(len(missing))+`)`, anys(missing)...)
	})
	if err != nil {
		return nil, err
	}
	if column == "channel_id" {
		return inOrder(found, keys, func(c chat.Channel) string { return c.ChannelID }), nil
	}
	return inOrder(found, keys, func(c chat.Channel) string { return c.ID }), nil
}

// memberOf is the set of channels a user is a member of, for visibility and filters;
// it is read through channel_members_of_user.
const memberOf = `SELECT channel_id FROM channel_members WHERE user_id = ? AND membership = 'member'`

// ListChannels pages through the channels a caller may see, keyset on (sort key, id).
func (t *tx) ListChannels(q chat.ChannelQuery) ([]chat.Channel, error) {
	var where []string
	var args []any
	if !q.SeesAll {
		where = append(where, `(c.type = 'community' OR (c.type IN ('live', 'broadcast') AND c.is_public = 1) OR c.id IN (`+memberOf+`))`)
		args = append(args, q.UserID)
	}
	switch q.Filter {
	case chat.ChannelFilterMember:
		where = append(where, `c.id IN (`+memberOf+`)`)
		args = append(args, q.UserID)
	case chat.ChannelFilterNotMember:
		where = append(where, `c.id NOT IN (`+memberOf+`)`)
		args = append(args, q.UserID)
	}
	if len(q.Types) > 0 {
		where = append(where, `c.type IN (`+placeholders(len(q.Types))+`)`)
		args = append(args, anys(q.Types)...)
	}
	if q.Keyword != "" {
		where = append(where, `c.display_name_lower LIKE ? ESCAPE '\'`)
		args = append(args, "%"+likeEscape(q.Keyword)+"%")
	}
	if q.IsDeleted != nil {
		where = append(where, `c.is_deleted = ?`)
		args = append(args, boolInt(*q.IsDeleted))
	}
	if tags := chat.Unique(q.Tags); len(tags) > 0 {
		where = append(where, `c.id IN (SELECT channel_id FROM channel_tags WHERE tag IN (`+placeholders(len(tags))+`)
			GROUP BY channel_id HAVING COUNT(*) = ?)`)
		args = append(append(args, anys(tags)...), len(tags))
	}
	if len(q.ExcludeTags) > 0 {
		where = append(where, `NOT EXISTS (SELECT 1 FROM channel_tags x WHERE x.channel_id = c.id AND x.tag IN (`+placeholders(len(q.ExcludeTags))+`))`)
		args = append(args, anys(q.ExcludeTags)...)
	}
	k := keyset{key: "c.last_activity", id: "c.id", desc: true}
	switch q.SortBy {
	case chat.SortLastCreated:
		k.key = "c.created_at"
	case chat.SortFirstCreated:
		k.key, k.desc = "c.created_at", false
	case chat.SortDisplayName:
		k.key, k.desc, k.text = "c.display_name_lower", false, true
	}
	where, args = k.after(where, args, q.After)
	text := `SELECT ` + prefixed("c.", channelColumns) + ` FROM channels c`
	if len(where) > 0 {
		text += " WHERE " + strings.Join(where, " AND ")
	}
	text += k.orderLimit()
	args = append(args, q.Limit)
	return queryAll(t, scanChannel, text, args...)
}

const membershipColumns = `channel_id, user_id, membership, roles, mute_timeout, read_to_segment,
	last_mentioned_segment, last_activity, created_at, updated_at`

func scanMembership(s scanner) (chat.Membership, error) {
	var m chat.Membership
	var roles string
	var mute sql.NullInt64
	var activity, created, updated int64
	err := s.Scan(&m.ChannelInternalID, &m.UserInternalID, &m.Membership, &roles, &mute, &m.ReadToSegment,
		&m.LastMentionedSegment, &activity, &created, &updated)
	stringList(roles, &m.Roles)
	m.MuteTimeout = timeOf(mute)
	m.LastActivity, m.CreatedAt, m.UpdatedAt = chat.FromMillis(activity), chat.FromMillis(created), chat.FromMillis(updated)
	return m, err
}

func (t *tx) Memberships(channelID string, userIDs []string) ([]chat.Membership, error) {
	if len(userIDs) == 0 {
		return nil, nil
	}
	keys := make([]string, len(userIDs))
	for i, u := range userIDs {
		keys[i] = memberKey(channelID, u)
	}
	return t.membershipsBy(keys, func(missing []string) ([]chat.Membership, error) {
		users := make([]any, len(missing))
		for i, k := range missing {
			users[i] = k[len(channelID)+1:]
		}
		return queryAll(t, scanMembership, `SELECT `+membershipColumns+` FROM channel_members
			WHERE channel_id = ? AND user_id IN (`+placeholders(len(missing))+`)`, append([]any{channelID}, users...)...)
	})
}

// MembershipsForUpdate reads the rows a unit will change. On PostgreSQL it locks those
// that exist, in user id order (two units naming the same users lock them alike), and
// remembers the keys it did not find: putMemberships inserts those without ON CONFLICT,
// so a unit that inserted one first makes this unit fail on the unique key and rerun
// (pgRetryable) instead of overwriting a row it never saw. SQLite's writer runs one
// unit at a time: there it is Memberships.
func (t *tx) MembershipsForUpdate(channelID string, userIDs []string) ([]chat.Membership, error) {
	if t.d.forUpdate == "" || len(userIDs) == 0 {
		return t.Memberships(channelID, userIDs)
	}
	found, err := queryAll(t, scanMembership, `SELECT `+membershipColumns+` FROM channel_members
		WHERE channel_id = ? AND user_id IN (`+placeholders(len(userIDs))+`) ORDER BY user_id`+t.d.forUpdate,
		append([]any{channelID}, anys(userIDs)...)...)
	if err != nil {
		return nil, err
	}
	if t.absentMembers == nil {
		t.absentMembers = map[string]bool{}
	}
	for _, u := range userIDs {
		t.absentMembers[memberKey(channelID, u)] = true
	}
	for _, m := range found {
		delete(t.absentMembers, memberKey(channelID, m.UserInternalID))
	}
	return found, nil
}

func (t *tx) MembershipsOfUser(userID string, channelIDs []string) ([]chat.Membership, error) {
	if len(channelIDs) == 0 {
		return nil, nil
	}
	keys := make([]string, len(channelIDs))
	for i, c := range channelIDs {
		keys[i] = memberKey(c, userID)
	}
	return t.membershipsBy(keys, func(missing []string) ([]chat.Membership, error) {
		channels := make([]any, len(missing))
		for i, k := range missing {
			channels[i] = k[:len(k)-len(userID)-1]
		}
		return queryAll(t, scanMembership, `SELECT `+membershipColumns+` FROM channel_members
			WHERE user_id = ? AND channel_id IN (`+placeholders(len(missing))+`)`, append([]any{userID}, channels...)...)
	})
}

// membershipsBy returns the rows of the given memberKeys that exist, from the row cache
// where it can (row_cache.go); query reads the keys it lacks.
func (t *tx) membershipsBy(keys []string, query func(missing []string) ([]chat.Membership, error)) ([]chat.Membership, error) {
	return cachedBy(t, t.caches.members, false, keys, query)
}

// memberBatch bounds the rows of one multi-row INSERT, well inside both engines' limits
// on bound parameters.
const memberBatch = 500

// PutMemberships inserts or replaces membership rows in batches, and keeps the role index
// in step. The read segments are the messages' business and are never overwritten here.
func (t *tx) PutMemberships(ms []chat.Membership) error {
	for len(ms) > 0 {
		n := min(len(ms), memberBatch)
		if err := t.putMemberships(ms[:n]); err != nil {
			return err
		}
		ms = ms[n:]
	}
	return nil
}

func (t *tx) putMemberships(ms []chat.Membership) error {
	// Rows MembershipsForUpdate found missing are inserted on their own, without
	// replacing a row (PostgreSQL only; the map is empty on SQLite).
	var fresh, known []chat.Membership
	for _, m := range ms {
		if key := memberKey(m.ChannelInternalID, m.UserInternalID); t.absentMembers[key] {
			delete(t.absentMembers, key)
			fresh = append(fresh, m)
		} else {
			known = append(known, m)
		}
	}
	if len(fresh) > 0 {
		if err := t.writeMemberships(fresh, ""); err != nil {
			return err
		}
	}
	if len(known) > 0 {
		if err := t.writeMemberships(known, `
		ON CONFLICT (channel_id, user_id) DO UPDATE SET membership = excluded.membership, roles = excluded.roles,
		is_moderator = excluded.is_moderator, mute_timeout = excluded.mute_timeout, last_activity = excluded.last_activity,
		created_at = excluded.created_at, updated_at = excluded.updated_at`); err != nil {
			return err
		}
	}
	return t.putMemberRoles(ms)
}

// writeMemberships inserts the rows, with onConflict after the VALUES.
func (t *tx) writeMemberships(ms []chat.Membership, onConflict string) error {
	args := make([]any, 0, len(ms)*11)
	for _, m := range ms {
		t.dirtyMember(m.ChannelInternalID, m.UserInternalID)
		roles, _ := json.Marshal(nonNil(m.Roles))
		args = append(args, m.ChannelInternalID, m.UserInternalID, m.Membership, string(roles),
			boolInt(hasString(m.Roles, chat.RoleChannelModerator)), nullMillis(m.MuteTimeout), m.ReadToSegment,
			m.LastMentionedSegment, m.LastActivity.Millis(), m.CreatedAt.Millis(), m.UpdatedAt.Millis())
	}
	_, err := t.exec(`INSERT INTO channel_members (channel_id, user_id, membership, roles, is_moderator, mute_timeout,
		read_to_segment, last_mentioned_segment, last_activity, created_at, updated_at) VALUES `+rows(len(ms), 11)+onConflict, args...)
	return err
}

// putMemberRoles keeps the role index in step: drop the users' old rows, write the
// current ones.
func (t *tx) putMemberRoles(ms []chat.Membership) error {
	var err error
	byChannel := map[string][]string{}
	var roleArgs []any
	for _, m := range ms {
		byChannel[m.ChannelInternalID] = append(byChannel[m.ChannelInternalID], m.UserInternalID)
		for _, r := range chat.Unique(m.Roles) {
			roleArgs = append(roleArgs, m.ChannelInternalID, r, m.UserInternalID)
		}
	}
	for ch, users := range byChannel {
		if _, err := t.exec(`DELETE FROM channel_member_roles WHERE channel_id = ? AND user_id IN (`+placeholders(len(users))+`)`,
			append([]any{ch}, anys(users)...)...); err != nil {
			return err
		}
	}
	if len(roleArgs) > 0 {
		_, err = t.exec(`INSERT INTO channel_member_roles (channel_id, role, user_id) VALUES `+rows(len(roleArgs)/3, 3), roleArgs...)
	}
	return err
}

// ListMemberships pages through a channel's users, keyset on (created_at, user_id). Each
// membership value is read through channel_members_by_created on its own, so a page costs
// the same in a channel of 300,000 as in one of 10; several values are merged here.
func (t *tx) ListMemberships(q chat.MemberQuery) ([]chat.Membership, error) {
	kinds := chat.Unique(q.Memberships)
	if len(kinds) == 0 {
		kinds = []string{chat.MembershipMember}
	}
	if hasString(kinds, chat.MembershipMember) { // muted members are members
		kinds = removeString(kinds, chat.MembershipMuted)
	}
	desc := q.SortBy != chat.SortFirstCreated
	var all []chat.Membership
	for _, kind := range kinds {
		page, err := t.listMembershipsOf(kind, q, desc)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
	}
	if len(kinds) > 1 {
		sort.Slice(all, func(i, j int) bool {
			a, b := all[i], all[j]
			if a.CreatedAt.Equal(b.CreatedAt.Time) {
				return (a.UserInternalID > b.UserInternalID) == desc
			}
			return a.CreatedAt.After(b.CreatedAt.Time) == desc
		})
		if len(all) > q.Limit {
			all = all[:q.Limit]
		}
	}
	return all, nil
}

func (t *tx) listMembershipsOf(kind string, q chat.MemberQuery, desc bool) ([]chat.Membership, error) {
	where := []string{"m.channel_id = ?", "m.membership = ?"}
	args := []any{q.ChannelID, kind}
	if kind == chat.MembershipMuted {
		args[1] = chat.MembershipMember
		where = append(where, "m.mute_timeout > ?")
		args = append(args, q.Now.Millis())
	}
	if len(q.Roles) > 0 {
		where = append(where, `m.user_id IN (SELECT user_id FROM channel_member_roles WHERE channel_id = ? AND role IN (`+placeholders(len(q.Roles))+`))`)
		args = append(append(args, q.ChannelID), anys(q.Roles)...)
	}
	join := ""
	if q.Search != "" || q.IsDeleted != nil {
		join = " JOIN users u ON u.id = m.user_id"
		if q.Search != "" {
			where = append(where, `u.display_name_lower LIKE ? ESCAPE '\'`)
			args = append(args, "%"+likeEscape(strings.ToLower(q.Search))+"%")
		}
		if q.IsDeleted != nil {
			where = append(where, "u.is_deleted = ?")
			args = append(args, boolInt(*q.IsDeleted))
		}
	}
	k := keyset{key: "m.created_at", id: "m.user_id", desc: desc}
	where, args = k.after(where, args, q.After)
	args = append(args, q.Limit)
	tail := ` FROM channel_members m` + join + ` WHERE ` + strings.Join(where, " AND ") + k.orderLimit()
	return t.caches.membersPage(t, memberPage{q: q, kind: kind, k: k, filtered: join != "", tail: tail, args: args})
}

// memberPage is one members page's query, from listMembershipsOf: tail is the SQL after
// the selected columns, with its arguments.
type memberPage struct {
	q        chat.MemberQuery
	kind     string
	k        keyset
	filtered bool // it joins users (search, isDeleted)
	tail     string
	args     []any
}

// membersPageInOneStatement reads a page's rows in the same statement as its keys: the
// no-op twin has no rows to take them from (rowCaches.membersPage).
func membersPageInOneStatement(t *tx, p memberPage) ([]chat.Membership, error) {
	return queryAll(t, scanMembership, `SELECT `+prefixed("m.", membershipColumns)+p.tail, p.args...)
}

// membersPageByKeys reads a page's keys from the index alone (channel_members_by_created
// covers them), or for a first page without filters from memory (firstPages), then the
// rows from the row cache. Decoding 20 full rows was a quarter of a members page's CPU.
func membersPageByKeys(t *tx, p memberPage) ([]chat.Membership, error) {
	q, kind := p.q, p.kind
	var variant string
	if !t.write && q.After == nil && !p.filtered && len(q.Roles) == 0 && kind != chat.MembershipMuted {
		variant = fmt.Sprintf("%s/%s/%d", kind, p.k.dir(), q.Limit)
		if keys, ok := t.caches.pages.get(q.ChannelID, variant); ok {
			out, whole, err := t.pageRows(q, kind, keys)
			if err != nil || whole {
				return out, err
			}
			// The keys were newer than this read's snapshot (it began before they were
			// cached): take the page from the snapshot alone.
			variant = ""
		}
	}
	keys, err := queryAll(t, func(s scanner) (pageKey, error) {
		var k pageKey
		return k, s.Scan(&k.user, &k.created)
	}, `SELECT m.user_id, m.created_at`+p.tail, p.args...)
	if err != nil {
		return nil, err
	}
	if variant != "" {
		t.caches.pages.fill(t.gen, q.ChannelID, variant, keys)
	}
	out, _, err := t.pageRows(q, kind, keys)
	return out, err
}

// pageRows returns the membership rows of a page's keys, from the row cache where they
// match the page and from this read's snapshot where they do not (a cached row may be
// newer than the snapshot: left, banned, joined again). whole is false when even the
// snapshot's row does not match its key, which happens only with keys newer than the
// snapshot.
func (t *tx) pageRows(q chat.MemberQuery, kind string, keys []pageKey) (out []chat.Membership, whole bool, err error) {
	if len(keys) == 0 {
		return nil, true, nil
	}
	want := kind
	if kind == chat.MembershipMuted {
		want = chat.MembershipMember
	}
	matches := func(m chat.Membership, ok bool, k pageKey) bool {
		return ok && m.Membership == want && m.CreatedAt.Millis() == k.created &&
			(kind != chat.MembershipMuted || m.MuteTimeout.After(q.Now.Time))
	}
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.user
	}
	found, err := t.Memberships(q.ChannelID, ids)
	if err != nil {
		return nil, false, err
	}
	byUser := make(map[string]*chat.Membership, len(found)) // pointers: rows are large
	for i := range found {
		byUser[found[i].UserInternalID] = &found[i]
	}
	row := func(k pageKey) (chat.Membership, bool) {
		if m := byUser[k.user]; m != nil {
			return *m, true
		}
		return chat.Membership{}, false
	}
	var stale []string
	for _, k := range keys {
		if m, ok := row(k); !matches(m, ok, k) {
			stale = append(stale, k.user)
		}
	}
	if len(stale) > 0 {
		fresh, err := queryAll(t, scanMembership, `SELECT `+membershipColumns+` FROM channel_members
			WHERE channel_id = ? AND user_id IN (`+placeholders(len(stale))+`)`, append([]any{q.ChannelID}, anys(stale)...)...)
		if err != nil {
			return nil, false, err
		}
		for i := range fresh {
			byUser[fresh[i].UserInternalID] = &fresh[i]
		}
	}
	out = make([]chat.Membership, 0, len(keys))
	for _, k := range keys {
		m, ok := row(k)
		if !matches(m, ok, k) {
			return nil, false, nil
		}
		out = append(out, m)
	}
	return out, true, nil
}

func (t *tx) MemberIDs(channelID string) ([]string, error) {
	return queryAll(t, scanString, `SELECT user_id FROM channel_members WHERE channel_id = ? AND membership = 'member'`, channelID)
}

// rows returns "(?, ?), (?, ?)…": n rows of width placeholders, for multi-row INSERTs.
func rows(n, width int) string {
	row := "(" + placeholders(width) + ")"
	return strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
}

// prefixed qualifies every column of a list with a table alias.
func prefixed(alias, columns string) string {
	parts := strings.Split(columns, ",")
	for i, p := range parts {
		parts[i] = alias + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

func jsonText(v json.RawMessage) string {
	if len(v) == 0 {
		return "{}"
	}
	return string(v)
}

func hasString(v []string, s string) bool {
	for _, x := range v {
		if x == s {
			return true
		}
	}
	return false
}

func removeString(v []string, s string) []string {
	out := v[:0:0]
	for _, x := range v {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}
