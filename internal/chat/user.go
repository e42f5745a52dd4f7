package chat

import (
	"context"
	"encoding/json"
	"strings"
)

// User is a member of the network, in the shape the SDK reads (RawUser).
type User struct {
	ID              string          `json:"_id"`
	UserID          string          `json:"userId"`
	UserInternalID  string          `json:"userInternalId"`
	UserPublicID    string          `json:"userPublicId"`
	Path            string          `json:"path"`
	DisplayName     string          `json:"displayName"`
	AvatarFileID    *string         `json:"avatarFileId"`
	AvatarCustomURL *string         `json:"avatarCustomUrl"`
	Description     string          `json:"description"`
	IsBrand         bool            `json:"isBrand"`
	Metadata        json.RawMessage `json:"metadata"`
	Tags            []string        `json:"tags"`
	Roles           []string        `json:"roles"`
	Permissions     []string        `json:"permissions"`
	IsGlobalBan     bool            `json:"isGlobalBan"`
	FlagCount       int             `json:"flagCount"`
	HashFlag        *HashFlag       `json:"hashFlag"`
	IsDeleted       bool            `json:"isDeleted"`
	CreatedAt       Time            `json:"createdAt"`
	UpdatedAt       Time            `json:"updatedAt"`
	DeletedAt       Time            `json:"deletedAt"`
}

// HashFlag is Amity's bloom filter of who flagged an object; Parley keeps flags in rows
// and always answers null here.
type HashFlag struct {
	Bits   int   `json:"bits"`
	Hashes int   `json:"hashes"`
	Hash   []int `json:"hash"`
}

// UserPayload is the answer of every user call. Both keys are always arrays: the 6.35.3
// SDK throws on a missing files array.
type UserPayload struct {
	Users  []User  `json:"users"`
	Files  []File  `json:"files"`
	Paging *Paging `json:"paging,omitempty"`
}

// UserStore is the persistence the user service needs.
type UserStore interface {
	UserByID(id string) (*User, error)
	UserByPublicID(userID string) (*User, error)
	UsersByPublicIDs(userIDs []string) ([]User, error)
	UsersByIDs(ids []string) ([]User, error)
	InsertUser(u *User) error
	UpdateUser(u *User) error
	ListUsers(q UserQuery) ([]User, error)
}

// UserQuery is one page of GET /api/v3/users.
type UserQuery struct {
	Keyword        string
	SortBy         SortBy // firstCreated | lastCreated | displayName
	IncludeDeleted bool
	Flagged        bool // filter=flagged: only users with a flag (global admins only)
	Limit          int
	After          *Cursor
}

// newUser fills a user as it is on first sight.
func (s *Service) newUser(userID string, now Time) *User {
	id := NewID()
	return &User{
		ID: id, UserID: userID, Metadata: json.RawMessage("{}"),
		Tags: []string{}, Roles: []string{}, CreatedAt: now, UpdatedAt: now,
	}
}

// decorate fills the derived fields of users read from the store.
func (s *Service) decorate(users []User) {
	for i := range users {
		u := &users[i]
		u.UserInternalID = u.ID
		u.UserPublicID = u.UserID
		u.Path = s.UserPath(u.ID)
		u.Permissions = permissionsOf(s.roleSet(), u.Roles)
		if u.Metadata == nil {
			u.Metadata = json.RawMessage("{}")
		}
		if u.Tags == nil {
			u.Tags = []string{}
		}
		if u.Roles == nil {
			u.Roles = []string{}
		}
	}
}

// UserPath is the MQTT topic base of a user.
func (s *Service) UserPath(internalID string) string { return s.networkID + "/user/" + internalID }

// userPayload builds the payload of users with every file they reference.
func (s *Service) userPayload(tx Tx, users []User) (*UserPayload, error) {
	s.decorate(users)
	files, err := s.filesOf(tx, users)
	if err != nil {
		return nil, err
	}
	if users == nil {
		users = []User{}
	}
	return &UserPayload{Users: users, Files: files}, nil
}

// filesOf loads the avatar files of users.
func (s *Service) filesOf(tx Tx, users []User) ([]File, error) {
	var ids []string
	for _, u := range users {
		if u.AvatarFileID != nil {
			ids = append(ids, *u.AvatarFileID)
		}
	}
	return s.files(tx, ids)
}

// GetUser answers GET /api/v3/users/{userId}.
func (s *Service) GetUser(ctx context.Context, c *Caller, userID string) (*UserPayload, error) {
	var out *UserPayload
	err := s.store.Read(ctx, func(tx Tx) error {
		u, err := tx.UserByPublicID(userID)
		if err != nil {
			return err
		}
		if u == nil {
			return NotFound("User")
		}
		out, err = s.userPayload(tx, []User{*u})
		return err
	})
	return out, err
}

// GetUsers answers GET /api/v3/users/list: the users that exist, in the order asked.
func (s *Service) GetUsers(ctx context.Context, c *Caller, userIDs []string) (*UserPayload, error) {
	var p Problems
	p.List("userIds", userIDs, 1, 100, 1, 50)
	if err := p.Err(); err != nil {
		return nil, err
	}
	var out *UserPayload
	err := s.store.Read(ctx, func(tx Tx) error {
		users, err := tx.UsersByPublicIDs(Unique(userIDs))
		if err != nil {
			return err
		}
		out, err = s.userPayload(tx, users)
		return err
	})
	return out, err
}

// QueryUsers answers GET /api/v3/users.
func (s *Service) QueryUsers(ctx context.Context, c *Caller, q UserQuery) (*UserPayload, error) {
	var p Problems
	OneOf(&p, "sortBy", &q.SortBy, UserSorts...)
	p.Text("keyword", &q.Keyword, 0, 100)
	if err := p.Err(); err != nil {
		return nil, err
	}
	// Who was reported is moderation data: the flagged filter is the queue of the
	// console, for global admins, as the audit log is.
	if q.Flagged && !c.IsAdmin() {
		return nil, PermissionDenied()
	}
	q.Keyword = strings.ToLower(q.Keyword)
	var out *UserPayload
	err := s.store.Read(ctx, func(tx Tx) error {
		users, paging, err := fetchPage(q.Limit,
			func(n int) ([]User, error) { q.Limit = n; return tx.ListUsers(q) },
			func(u User) *Cursor { return userCursor(u, q.SortBy) })
		if err != nil {
			return err
		}
		out, err = s.userPayload(tx, users)
		if err != nil {
			return err
		}
		out.Paging = paging
		return nil
	})
	return out, err
}

func userCursor(u User, sortBy SortBy) *Cursor {
	if sortBy == SortDisplayName {
		return &Cursor{S: strings.ToLower(u.DisplayName), ID: u.ID}
	}
	return &Cursor{N: u.CreatedAt.Millis(), ID: u.ID}
}

// UpdateUserInput is the body of PUT /api/v3/users.
type UpdateUserInput struct {
	UserID                    *string          `json:"userId"`
	DisplayName               *string          `json:"displayName"`
	Description               *string          `json:"description"`
	AvatarFileID              *string          `json:"avatarFileId"`
	AvatarCustomURL           *string          `json:"avatarCustomUrl"`
	Metadata                  *json.RawMessage `json:"metadata"`
	Tags                      []string         `json:"tags"`
	Roles                     []string         `json:"roles"`
	CreateNewUserWhenNotFound bool             `json:"createNewUserWhenNotFound"`
	Reason                    *string          `json:"reason"` // for the audit log of a role change
}

// UpdateUser answers PUT /api/v3/users: a user edits their own profile; a global admin
// edits anyone's and may create users ahead of their first login.
func (s *Service) UpdateUser(ctx context.Context, c *Caller, in UpdateUserInput) (*UserPayload, error) {
	var p Problems
	if in.UserID == nil && c.User != nil {
		in.UserID = &c.User.UserID
	}
	p.Required("userId", in.UserID, 1, 50)
	p.Text("displayName", in.DisplayName, 0, 100)
	p.Text("description", in.Description, 0, 1000)
	p.Text("avatarFileId", in.AvatarFileID, 0, 50)
	p.Text("avatarCustomUrl", in.AvatarCustomURL, 0, 1000)
	p.List("tags", in.Tags, 0, 10, 1, 100)
	p.Metadata("metadata", in.Metadata)
	p.Text("reason", in.Reason, 0, MaxAuditReason)
	if in.Roles != nil {
		p.List("roles", in.Roles, 0, 10, 1, 100)
		for _, r := range in.Roles {
			if _, ok := s.roleSet()[r]; !ok {
				p.Add("roles", "has an unknown role %q", r)
				break
			}
		}
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	self := c.User != nil && c.User.UserID == *in.UserID
	if !self && !c.Can(PermEditUser) {
		return nil, PermissionDenied()
	}
	if in.Roles != nil && !c.Can(PermAssignUserRole) {
		return nil, PermissionDenied()
	}
	var out *UserPayload
	err := s.store.Write(ctx, func(tx Tx) error {
		now := s.now()
		u, err := tx.UserByPublicID(*in.UserID)
		if err != nil {
			return err
		}
		created := false
		if u == nil {
			if !in.CreateNewUserWhenNotFound {
				return NotFound("User")
			}
			u, created = s.newUser(*in.UserID, now), true
		}
		if u.IsDeleted {
			return NotFound("User")
		}
		if in.AvatarFileID != nil && *in.AvatarFileID != "" {
			if err := s.requireImage(tx, *in.AvatarFileID); err != nil {
				return err
			}
		}
		applyProfile(u, in)
		u.UpdatedAt = now
		if created {
			err = tx.InsertUser(u)
		} else {
			err = tx.UpdateUser(u)
		}
		if err != nil {
			return err
		}
		out, err = s.userPayload(tx, []User{*u})
		if err != nil {
			return err
		}
		if in.Roles != nil {
			detail := map[string]any{"roles": u.Roles}
			if err := s.audit(tx, c, AuditUserRoles, "user", u.UserID, "", deref(in.Reason, ""), detail); err != nil {
				return err
			}
		}
		return tx.AppendEvent(Event{Type: EventUserUpdated, UserIDs: []string{u.ID}, Data: out})
	})
	if err == nil && in.Roles != nil {
		s.sessions.forgetUser(out.Users[0].ID)
		s.revoked(ctx, SessionsRevoked{UserID: out.Users[0].ID})
	}
	return out, err
}

func applyProfile(u *User, in UpdateUserInput) {
	if in.DisplayName != nil {
		u.DisplayName = *in.DisplayName
	}
	if in.Description != nil {
		u.Description = *in.Description
	}
	if in.AvatarFileID != nil {
		u.AvatarFileID = emptyToNil(*in.AvatarFileID)
	}
	if in.AvatarCustomURL != nil {
		u.AvatarCustomURL = emptyToNil(*in.AvatarCustomURL)
	}
	if in.Metadata != nil {
		u.Metadata = *in.Metadata
	}
	if in.Tags != nil {
		u.Tags = in.Tags
	}
	if in.Roles != nil {
		u.Roles = Unique(in.Roles)
	}
}

func emptyToNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
