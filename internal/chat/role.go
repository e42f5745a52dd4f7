package chat

import (
	"sort"
	"time"
)

// Permission names, as the SDK's hasPermission reads them.
const (
	PermEditUser             = "EDIT_USER"
	PermBanUser              = "BAN_USER"
	PermCreateRole           = "CREATE_ROLE"
	PermEditRole             = "EDIT_ROLE"
	PermDeleteRole           = "DELETE_ROLE"
	PermAssignUserRole       = "ASSIGN_USER_ROLE"
	PermEditChannel          = "EDIT_CHANNEL"
	PermEditChannelRatelimit = "EDIT_CHANNEL_RATELIMIT"
	PermMuteChannel          = "MUTE_CHANNEL"
	PermCloseChannel         = "CLOSE_CHANNEL"
	PermAddChannelUser       = "ADD_CHANNEL_USER"
	PermEditChannelUser      = "EDIT_CHANNEL_USER"
	PermRemoveChannelUser    = "REMOVE_CHANNEL_USER"
	PermMuteChannelUser      = "MUTE_CHANNEL_USER"
	PermBanUserFromChannel   = "BAN_USER_FROM_CHANNEL"
	PermEditMessage          = "EDIT_MESSAGE"
	PermDeleteMessage        = "DELETE_MESSAGE"
	PermManageRoom           = "MANAGE_ROOM"
)

// Built-in role ids.
const (
	RoleGlobalAdmin      = "global-admin"
	RoleChannelModerator = "channel-moderator"
)

// Role is a named set of permissions (GET /api/v3/roles).
type Role struct {
	RoleID      string   `json:"roleId"`
	DisplayName string   `json:"displayName"`
	Permissions []string `json:"permissions"`
	CreatedAt   Time     `json:"createdAt"`
	UpdatedAt   Time     `json:"updatedAt"`
}

// channelPermissions are what a channel moderator may do inside their channel.
var channelPermissions = []string{
	PermEditChannel, PermEditChannelRatelimit, PermMuteChannel, PermCloseChannel,
	PermAddChannelUser, PermEditChannelUser, PermRemoveChannelUser, PermMuteChannelUser,
	PermBanUserFromChannel, PermEditMessage, PermDeleteMessage,
}

// builtinRoles are the roles every network has. A global admin holds every permission.
var builtinRoles = roleSet{
	RoleGlobalAdmin: append([]string{
		PermEditUser, PermBanUser, PermCreateRole, PermEditRole, PermDeleteRole,
		PermAssignUserRole, PermManageRoom, PermBanUserFromChannel,
	}, channelPermissions...),
	RoleChannelModerator: channelPermissions,
}

// permissionsOf unions the permissions roles have in the role set, sorted for stable
// answers. Roles the set does not know grant nothing.
func permissionsOf(known roleSet, roles ...[]string) []string {
	// Most users and members hold no role: answer them without building a set (this runs
	// for every user and membership of every payload).
	granted := false
	for _, rs := range roles {
		for _, r := range rs {
			if _, ok := known[r]; ok {
				granted = true
			}
		}
	}
	if !granted {
		return []string{}
	}
	set := map[string]struct{}{}
	for _, rs := range roles {
		for _, r := range rs {
			for _, p := range known[r] {
				set[p] = struct{}{}
			}
		}
	}
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// builtinRoleList is the built-in roles as GET /api/v3/roles lists them.
func (s *Service) builtinRoleList() []Role {
	ids := make([]string, 0, len(builtinRoles))
	for id := range builtinRoles {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := make([]Role, 0, len(ids))
	for _, id := range ids {
		perms := permissionsOf(builtinRoles, []string{id})
		out = append(out, Role{RoleID: id, DisplayName: id, Permissions: perms, CreatedAt: s.started, UpdatedAt: s.started})
	}
	return out
}

// Caller is who makes a request, as the session cache knows them.
type Caller struct {
	User      *User // nil only for the server-to-server admin token before its user exists
	SessionID string
	// ExpiresAt is when the session's access token expires (zero: never); the broker
	// closes MQTT connections opened with it then.
	ExpiresAt time.Time
	perms     map[string]struct{}
	roles     roleSet // the network's roles when the caller was read, for channel roles
}

// Can tells whether the caller's network roles grant perm.
func (c *Caller) Can(perm string) bool {
	_, ok := c.perms[perm]
	return ok
}

// CanIn tells whether the caller's network roles plus the given channel roles grant perm.
func (c *Caller) CanIn(channelRoles []string, perm string) bool {
	if c.Can(perm) {
		return true
	}
	for _, r := range channelRoles {
		for _, p := range c.roles[r] {
			if p == perm {
				return true
			}
		}
	}
	return false
}

// IsAdmin tells whether the caller is a global admin.
func (c *Caller) IsAdmin() bool { return c.User != nil && hasRole(c.User.Roles, RoleGlobalAdmin) }

func hasRole(roles []string, role string) bool {
	for _, r := range roles {
		if r == role {
			return true
		}
	}
	return false
}

func newCaller(u *User, sessionID string, roles roleSet) *Caller {
	c := &Caller{User: u, SessionID: sessionID, perms: map[string]struct{}{}, roles: roles}
	for _, p := range permissionsOf(roles, u.Roles) {
		c.perms[p] = struct{}{}
	}
	return c
}
