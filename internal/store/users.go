package store

import (
	"database/sql"
	"encoding/json"
	"strings"

	"github.com/parley-chat/parley/internal/chat"
)

const userColumns = `id, user_id, display_name, avatar_file_id, avatar_custom_url, description, is_brand,
	metadata, tags, roles, is_global_ban, flag_count, is_deleted, created_at, updated_at, deleted_at`

func scanUser(s scanner) (chat.User, error) {
	var u chat.User
	var avatar, custom sql.NullString
	var metadata, tags, roles string
	var brand, ban, deleted int
	var created, updated int64
	var deletedAt sql.NullInt64
	err := s.Scan(&u.ID, &u.UserID, &u.DisplayName, &avatar, &custom, &u.Description, &brand,
		&metadata, &tags, &roles, &ban, &u.FlagCount, &deleted, &created, &updated, &deletedAt)
	if err != nil {
		return u, err
	}
	if avatar.Valid {
		u.AvatarFileID = &avatar.String
	}
	if custom.Valid {
		u.AvatarCustomURL = &custom.String
	}
	u.Metadata = json.RawMessage(metadata)
	stringList(tags, &u.Tags)
	stringList(roles, &u.Roles)
	u.IsBrand, u.IsGlobalBan, u.IsDeleted = brand == 1, ban == 1, deleted == 1
	u.CreatedAt, u.UpdatedAt, u.DeletedAt = chat.FromMillis(created), chat.FromMillis(updated), timeOf(deletedAt)
	return u, nil
}

// UserByID and UserByPublicID lock the user in a write transaction (lockRow): the unit
// may update it from what it read. A missing user is not locked; two units creating it
// meet at the unique key, and Write reruns the loser, which then finds it.
func (t *tx) UserByID(id string) (*chat.User, error) {
	return t.userBy("id", id)
}

func (t *tx) UserByPublicID(userID string) (*chat.User, error) {
	return t.userBy("user_id", userID)
}

// userBy reads one user, from the row cache where it can, locked in a write transaction
// when read from the database.
func (t *tx) userBy(column, key string) (*chat.User, error) {
	found, err := cachedBy(t, t.caches.users, column == "user_id", []string{key}, func([]string) ([]chat.User, error) {
		u, err := one(t.queryRow(`SELECT `+userColumns+` FROM users WHERE `+column+` = ?`+t.lockRow(), key), scanUser)
		if u == nil {
			return nil, err
		}
		return []chat.User{*u}, err
	})
	return first(found, err)
}

// UsersByPublicIDs returns the users that exist, in the order of userIDs.
func (t *tx) UsersByPublicIDs(userIDs []string) ([]chat.User, error) {
	return t.usersBy("user_id", userIDs, publicID)
}

// UsersByIDs returns the users that exist, in the order of ids.
func (t *tx) UsersByIDs(ids []string) ([]chat.User, error) {
	return t.usersBy("id", ids, userID)
}

func userID(u chat.User) string   { return u.ID }
func publicID(u chat.User) string { return u.UserID }

func (t *tx) usersBy(column string, keys []string, key func(chat.User) string) ([]chat.User, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	found, err := cachedBy(t, t.caches.users, column == "user_id", keys, func(missing []string) ([]chat.User, error) {
		return queryAll(t, scanUser, `SELECT `+userColumns+` FROM users WHERE `+column+` IN (`+placeholders(len(missing))+`)`, anys(missing)...)
	})
	if err != nil {
		return nil, err
	}
	return inOrder(found, keys, key), nil
}

func userArgs(u *chat.User) []any {
	tags, _ := json.Marshal(nonNil(u.Tags))
	roles, _ := json.Marshal(nonNil(u.Roles))
	metadata := string(u.Metadata)
	if metadata == "" {
		metadata = "{}"
	}
	return []any{u.DisplayName, strings.ToLower(u.DisplayName), u.AvatarFileID, u.AvatarCustomURL, u.Description,
		boolInt(u.IsBrand), metadata, string(tags), string(roles), boolInt(u.IsGlobalBan), u.FlagCount,
		boolInt(u.IsDeleted), u.UpdatedAt.Millis(), nullMillis(u.DeletedAt)}
}

func (t *tx) InsertUser(u *chat.User) error {
	t.dirtyUser(u.ID)
	args := append([]any{u.ID, u.UserID, u.CreatedAt.Millis()}, userArgs(u)...)
	_, err := t.exec(`INSERT INTO users (id, user_id, created_at, display_name, display_name_lower, avatar_file_id,
		avatar_custom_url, description, is_brand, metadata, tags, roles, is_global_ban, flag_count, is_deleted,
		updated_at, deleted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
	return err
}

func (t *tx) UpdateUser(u *chat.User) error {
	t.dirtyUser(u.ID)
	args := append(userArgs(u), u.ID)
	_, err := t.exec(`UPDATE users SET display_name = ?, display_name_lower = ?, avatar_file_id = ?,
		avatar_custom_url = ?, description = ?, is_brand = ?, metadata = ?, tags = ?, roles = ?, is_global_ban = ?,
		flag_count = ?, is_deleted = ?, updated_at = ?, deleted_at = ? WHERE id = ?`, args...)
	return err
}

// ListUsers pages through users by keyset on (sort key, id).
func (t *tx) ListUsers(q chat.UserQuery) ([]chat.User, error) {
	var where []string
	var args []any
	if !q.IncludeDeleted {
		where = append(where, "is_deleted = 0")
	}
	if q.Flagged {
		// Served by the partial indexes users_flagged_by_* (migration 0060).
		where = append(where, "flag_count > 0")
	}
	if q.Keyword != "" {
		where = append(where, `display_name_lower LIKE ? ESCAPE '\'`)
		// Lowered here as the column is, so the match ignores case on both engines
		// (SQLite's LIKE folds ASCII only, PostgreSQL's folds nothing).
		args = append(args, "%"+likeEscape(strings.ToLower(q.Keyword))+"%")
	}
	k := keyset{key: "created_at", id: "id", desc: true}
	switch q.SortBy {
	case chat.SortFirstCreated:
		k.desc = false
	case chat.SortDisplayName:
		k.key, k.desc, k.text = "display_name_lower", false, true
	}
	where, args = k.after(where, args, q.After)
	sqlText := `SELECT ` + userColumns + ` FROM users`
	if len(where) > 0 {
		sqlText += " WHERE " + strings.Join(where, " AND ")
	}
	sqlText += k.orderLimit()
	args = append(args, q.Limit)
	return queryAll(t, scanUser, sqlText, args...)
}

// likeEscape escapes LIKE's wildcards in user input.
func likeEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}
