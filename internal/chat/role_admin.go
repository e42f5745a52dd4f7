package chat

import (
	"context"
	"sort"
)

// Custom roles: an admin defines named sets of permissions (CREATE_ROLE, EDIT_ROLE,
// DELETE_ROLE); users hold them as network roles (PUT /api/v3/users roles) and channel
// members as channel roles. Every permission check reads the role set the caller was
// read with, so a change reaches each node by dropping every cached caller: at once on
// the node that made it, through the outbox (and the cluster's broadcast) on the others.
// The built-in roles are fixed. Deleting a role leaves its id on users and members,
// where it grants nothing; creating it again restores what it grants.

// roleSet maps role ids to their permissions: the built-in roles and the custom ones.
type roleSet map[string][]string

// RoleStore is the persistence of custom roles.
type RoleStore interface {
	CustomRoles() ([]Role, error)
	RoleByID(id string) (*Role, error)
	InsertRole(r *Role) error
	UpdateRole(r *Role) error
	DeleteRole(id string) error
}

// Role audit actions.
const (
	AuditRoleCreate = "role.create"
	AuditRoleUpdate = "role.update"
	AuditRoleDelete = "role.delete"
)

// roleSet is the network's roles as this node knows them.
func (s *Service) roleSet() roleSet {
	if p := s.roles.Load(); p != nil {
		return *p
	}
	return builtinRoles
}

// loadRoles reads the custom roles into the role set.
func (s *Service) loadRoles(tx Tx) error {
	custom, err := tx.CustomRoles()
	if err != nil {
		return err
	}
	set := make(roleSet, len(builtinRoles)+len(custom))
	for id, perms := range builtinRoles {
		set[id] = perms
	}
	for _, r := range custom {
		set[r.RoleID] = r.Permissions
	}
	s.roles.Store(&set)
	return nil
}

// rolesChanged reloads the roles and drops every cached caller. On a failed read the
// node keeps the roles it had; callers are read again either way.
func (s *Service) rolesChanged() {
	s.store.Read(context.Background(), s.loadRoles)
	s.sessions.forgetAll()
}

// Roles answers GET /api/v3/roles: the built-in roles, then the custom ones by id.
func (s *Service) Roles(ctx context.Context) ([]Role, error) {
	out := s.builtinRoleList()
	err := s.store.Read(ctx, func(tx Tx) error {
		custom, err := tx.CustomRoles()
		out = append(out, custom...)
		return err
	})
	return out, err
}

// GetRole answers GET /api/v3/roles/{roleId}.
func (s *Service) GetRole(ctx context.Context, roleID string) (*Role, error) {
	roles, err := s.Roles(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range roles {
		if r.RoleID == roleID {
			return &r, nil
		}
	}
	return nil, NotFound("Role")
}

// RoleDefinition is the body of POST /api/v3/roles and PUT /api/v3/roles/{roleId}.
type RoleDefinition struct {
	RoleID      *string  `json:"roleId"`
	DisplayName *string  `json:"displayName"`
	Permissions []string `json:"permissions"`
	Reason      *string  `json:"reason"` // for the audit log
}

// CreateRole answers POST /api/v3/roles (CREATE_ROLE).
func (s *Service) CreateRole(ctx context.Context, c *Caller, in RoleDefinition) (*Role, error) {
	return s.writeRole(ctx, c, in, PermCreateRole, AuditRoleCreate)
}

// UpdateRole answers PUT /api/v3/roles/{roleId} (EDIT_ROLE).
func (s *Service) UpdateRole(ctx context.Context, c *Caller, in RoleDefinition) (*Role, error) {
	return s.writeRole(ctx, c, in, PermEditRole, AuditRoleUpdate)
}

// DeleteRole answers DELETE /api/v3/roles/{roleId} (DELETE_ROLE).
func (s *Service) DeleteRole(ctx context.Context, c *Caller, roleID, reason string) error {
	_, err := s.writeRole(ctx, c, RoleDefinition{RoleID: &roleID, Reason: &reason}, PermDeleteRole, AuditRoleDelete)
	return err
}

func (s *Service) writeRole(ctx context.Context, c *Caller, in RoleDefinition, perm, action string) (*Role, error) {
	var p Problems
	p.Required("roleId", in.RoleID, 1, 100)
	p.Text("displayName", in.DisplayName, 0, 100)
	p.Text("reason", in.Reason, 0, MaxAuditReason)
	if action != AuditRoleDelete {
		if in.Permissions == nil {
			p.Add("permissions", "is required")
		}
		p.List("permissions", in.Permissions, 0, 100, 1, 100)
		known := map[string]bool{}
		for _, perm := range builtinRoles[RoleGlobalAdmin] {
			known[perm] = true
		}
		for _, perm := range in.Permissions {
			if !known[perm] {
				p.Add("permissions", "has an unknown permission %q", perm)
				break
			}
		}
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if !c.Can(perm) {
		return nil, PermissionDenied()
	}
	if _, ok := builtinRoles[*in.RoleID]; ok {
		return nil, Errorf(CodeForbidden, "The built-in role %q cannot be changed.", *in.RoleID)
	}
	var out *Role
	err := s.store.Write(ctx, func(tx Tx) error {
		now := s.now()
		r, err := tx.RoleByID(*in.RoleID)
		if err != nil {
			return err
		}
		switch {
		case action == AuditRoleCreate && r != nil:
			return Errorf(CodeConflict, "Role %q exists.", *in.RoleID)
		case action != AuditRoleCreate && r == nil:
			return NotFound("Role")
		case action == AuditRoleCreate:
			r = &Role{RoleID: *in.RoleID, DisplayName: *in.RoleID, CreatedAt: now}
		}
		if in.DisplayName != nil {
			r.DisplayName = *in.DisplayName
		}
		if in.Permissions != nil {
			r.Permissions = Unique(in.Permissions)
			sort.Strings(r.Permissions)
		}
		r.UpdatedAt = now
		switch action {
		case AuditRoleCreate:
			err = tx.InsertRole(r)
		case AuditRoleUpdate:
			err = tx.UpdateRole(r)
		default:
			err = tx.DeleteRole(r.RoleID)
		}
		if err != nil {
			return err
		}
		if err := s.audit(tx, c, action, "role", r.RoleID, "", deref(in.Reason, ""), map[string]any{"permissions": r.Permissions}); err != nil {
			return err
		}
		out = r
		return tx.AppendEvent(Event{Type: EventSessionRevoked, Data: SessionsRevoked{RolesChanged: true}})
	})
	if err != nil {
		return nil, err
	}
	s.rolesChanged()
	s.revoked(ctx, SessionsRevoked{RolesChanged: true})
	return out, nil
}
