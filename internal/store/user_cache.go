package store

import (
	"encoding/json"
	"sync"
	"sync/atomic"

	"github.com/parley-chat/parley/internal/chat"
)

// userCache keeps user rows in memory on SQLite, where this process makes every write.
// Users are in nearly every answer (each channel member, each message creator) and change
// rarely; their lookups were a sixth to a quarter of a read request's CPU.
//
// How it stays right:
//   - Only UpdateUser changes a user row. The unit marks the user dirty in its batch,
//     later units of the same batch read that user from the database (they must see the
//     uncommitted change), and the batch's commit drops it from the cache, under the
//     writer lock, both before and after COMMIT (groupWriter.commitLocked).
//   - Only readers fill the cache, with what their snapshot read, and only if no commit
//     dropped anything since before their snapshot began (gen): a reader that read a row
//     just before a commit changed it cannot put the old row back afterwards.
//   - Writers never fill it: a unit may read rows of its batch that never commit.
//
// PostgreSQL has no cache: other nodes write to the same database.
type userCache struct {
	mu   sync.RWMutex
	byID map[string]chat.User
	idOf map[string]string // public user id -> internal id; never changes for a user
	gen  atomic.Uint64     // moves whenever users are dropped
	max  int
}

// maxCachedUsers bounds the cache: about 40 MB of rows at most.
const maxCachedUsers = 100_000

func newUserCache(max int) *userCache {
	return &userCache{byID: map[string]chat.User{}, idOf: map[string]string{}, max: max}
}

// lookup returns the cached users for keys (internal ids, or public ids when public),
// and the keys it does not hold, in order.
func (c *userCache) lookup(keys []string, public bool, skip map[string]bool) (hit []chat.User, missing []string) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, k := range keys {
		id := k
		if public {
			id = c.idOf[k]
		}
		u, ok := c.byID[id]
		if !ok || skip[id] {
			missing = append(missing, k)
			continue
		}
		hit = append(hit, copyUser(u))
	}
	return hit, missing
}

// fill stores users a reader read, unless users were dropped since gen was read.
func (c *userCache) fill(gen uint64, users []chat.User) {
	if len(users) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen.Load() != gen {
		return
	}
	if len(c.byID)+len(users) > c.max {
		// Full: forget a tenth, chosen by map order (as good as random here).
		n := c.max / 10
		for id, u := range c.byID {
			delete(c.byID, id)
			delete(c.idOf, u.UserID)
			if n--; n <= 0 {
				break
			}
		}
	}
	for _, u := range users {
		c.byID[u.ID] = copyUser(u)
		c.idOf[u.UserID] = u.ID
	}
}

// drop forgets users and tells fills under way that their reads may be stale.
func (c *userCache) drop(ids map[string]bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen.Add(1)
	for id := range ids {
		delete(c.byID, id) // idOf stays: the public id of a user never changes
	}
}

// copyUser copies what the caller could change in place (slices, pointers, metadata),
// so that no caller's edit reaches the cache. Empty and nil stay as they were: they
// encode differently ([] and null).
func copyUser(u chat.User) chat.User {
	u.Tags, u.Roles, u.Permissions = cloneStrings(u.Tags), cloneStrings(u.Roles), cloneStrings(u.Permissions)
	if u.Metadata != nil {
		u.Metadata = append(make(json.RawMessage, 0, len(u.Metadata)), u.Metadata...)
	}
	if u.AvatarFileID != nil {
		v := *u.AvatarFileID
		u.AvatarFileID = &v
	}
	if u.AvatarCustomURL != nil {
		v := *u.AvatarCustomURL
		u.AvatarCustomURL = &v
	}
	if u.HashFlag != nil {
		v := *u.HashFlag
		u.HashFlag = &v
	}
	return u
}

func cloneStrings(s []string) []string {
	if s == nil {
		return nil
	}
	return append(make([]string, 0, len(s)), s...)
}
