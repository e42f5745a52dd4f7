package store

import (
	"encoding/json"

	"github.com/parley-chat/parley/internal/chat"
)

// Custom roles (chat/role_admin.go): a handful of rows, read whole.

const roleColumns = `role_id, display_name, permissions, created_at, updated_at`

func scanRole(s scanner) (chat.Role, error) {
	var r chat.Role
	var perms string
	var created, updated int64
	err := s.Scan(&r.RoleID, &r.DisplayName, &perms, &created, &updated)
	stringList(perms, &r.Permissions)
	r.CreatedAt, r.UpdatedAt = chat.FromMillis(created), chat.FromMillis(updated)
	return r, err
}

func (t *tx) CustomRoles() ([]chat.Role, error) {
	return queryAll(t, scanRole, `SELECT `+roleColumns+` FROM roles ORDER BY role_id`)
}

// RoleByID locks the role in a write transaction: the unit changes it from what it read.
func (t *tx) RoleByID(id string) (*chat.Role, error) {
	return one(t.queryRow(`SELECT `+roleColumns+` FROM roles WHERE role_id = ?`+t.lockRow(), id), scanRole)
}

func (t *tx) InsertRole(r *chat.Role) error {
	perms, _ := json.Marshal(nonNil(r.Permissions))
	_, err := t.exec(`INSERT INTO roles (role_id, display_name, permissions, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
		r.RoleID, r.DisplayName, string(perms), r.CreatedAt.Millis(), r.UpdatedAt.Millis())
	return err
}

func (t *tx) UpdateRole(r *chat.Role) error {
	perms, _ := json.Marshal(nonNil(r.Permissions))
	_, err := t.exec(`UPDATE roles SET display_name = ?, permissions = ?, updated_at = ? WHERE role_id = ?`,
		r.DisplayName, string(perms), r.UpdatedAt.Millis(), r.RoleID)
	return err
}

func (t *tx) DeleteRole(id string) error {
	_, err := t.exec(`DELETE FROM roles WHERE role_id = ?`, id)
	return err
}
