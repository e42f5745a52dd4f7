package store

import (
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/parley-chat/parley/internal/chat"
)

// rowCaches keep user, channel and membership rows in memory on SQLite, where this
// process makes every write. Users are in nearly every answer (each channel member, each
// message creator), and a channel and the caller's membership in it are read by every
// channel call; their lookups were a sixth to a half of a read request's CPU.
//
// How they stay right:
//   - Every statement that inserts or changes a cached row marks it dirty in its write's
//     record, which on SQLite is its batch's (tx.dirtyUser, dirtyChannel, dirtyMember). Later
//     units of the same batch read dirty rows from the database (they must see the
//     uncommitted change), and the batch's commit drops them from the cache, on the
//     writer goroutine, both before and after COMMIT (the engine's commit hooks, see
//     openSQLite).
//   - A reader fills a cache with what its snapshot read, only if no commit dropped
//     anything since before its snapshot began (gen): a reader that read a row just
//     before a commit changed it cannot put the old row back afterwards.
//   - A writer unit fills with the rows it read that its batch has not touched: those
//     are the committed rows, and no commit can drop anything while it holds the writer.
//     Rows its batch inserted or changed are dirty, so nothing uncommitted gets in.
//
// PostgreSQL has none, as other nodes write to the same database: it gets the no-op twin
// (noRowCaches), which holds nothing, so that no lookup branches on the engine: the twin
// answers every lookup with a miss and takes no fill, and the one query whose shape the
// caches change (a members page: keys, then rows) asks them for its reader.
type rowCaches struct {
	// membersPage reads a page of channel members: by keys and then cached rows
	// (membersPageByKeys), or, in the twin, rows and all in one statement
	// (membersPageInOneStatement). Both live in channels.go, beside their SQL.
	membersPage func(t *tx, p memberPage) ([]chat.Membership, error)

	gen      atomic.Uint64 // moves around each commit that drops rows; odd during one
	users    *rowCache[chat.User]
	channels *rowCache[chat.Channel]
	members  *rowCache[chat.Membership] // by memberKey
	pages    *firstPages
}

// Bounds, together about 20 MB of heap when full (measured with rows of typical size): the server's heap is kept near 100 MiB
// (cmd/parley/gc.go), and a cache that filled it would make the collector run all the
// time. These hold the working set of a busy node (its active users, their channels and
// their own memberships); the rest reads from SQLite's page cache.
const (
	maxCachedUsers    = 10_000
	maxCachedChannels = 5_000
	maxCachedMembers  = 25_000
)

func newRowCaches() *rowCaches { return makeRowCaches(true) }

// noRowCaches is the no-op twin: every lookup misses, and fills and drops do nothing.
func noRowCaches() *rowCaches { return makeRowCaches(false) }

func makeRowCaches(holds bool) *rowCaches {
	c := &rowCaches{membersPage: membersPageInOneStatement}
	if holds {
		c.membersPage = membersPageByKeys
	}
	size := func(n int) int {
		if holds {
			return n
		}
		return 0
	}
	c.users = newRowCache(&c.gen, cachedUsers, size(maxCachedUsers), func(u chat.User) (string, string) { return u.ID, u.UserID }, copyUser)
	c.channels = newRowCache(&c.gen, cachedChannels, size(maxCachedChannels), func(ch chat.Channel) (string, string) { return ch.ID, ch.ChannelID }, copyChannel)
	c.members = newRowCache(&c.gen, cachedMembers, size(maxCachedMembers), func(m chat.Membership) (string, string) {
		return memberKey(m.ChannelInternalID, m.UserInternalID), ""
	}, copyMembership)
	c.pages = &firstPages{gen: &c.gen, byChannel: map[string]map[string][]pageKey{}, max: size(maxCachedPageChannels)}
	return c
}

// memberKey names a membership row: its channel and user internal ids.
func memberKey(channelID, userID string) string { return channelID + "/" + userID }

// beginCommit and endCommit bracket the COMMIT of a batch that changed cached rows. Both
// forget the rows. In between, gen is odd and no fill is taken: a reader may read a row
// from the database just before the COMMIT, and must not put that row back after it
// (nor could a reader that begins after the COMMIT then find it). Fills read at an older
// gen are refused after the commit too.
func (c *rowCaches) beginCommit(d *dirtyRows) {
	c.gen.Add(1)
	c.forget(d)
}

func (c *rowCaches) endCommit(d *dirtyRows) {
	c.forget(d)
	c.gen.Add(1)
}

func (c *rowCaches) forget(d *dirtyRows) {
	c.users.drop(d[cachedUsers])
	c.channels.drop(d[cachedChannels])
	c.members.drop(d[cachedMembers])
	c.pages.drop(d[cachedMembers])
}

// The kinds of cached rows, which index dirtyRows.
const (
	cachedUsers = iota
	cachedChannels
	cachedMembers // by memberKey
	cachedKinds
)

// dirtyRows are the cached rows a batch inserted or changed, by kind.
type dirtyRows [cachedKinds]map[string]bool

func (d *dirtyRows) empty() bool {
	for _, ids := range d {
		if len(ids) > 0 {
			return false
		}
	}
	return true
}

// of returns the rows of one kind in the record; a nil record (a read's) has none.
func (d *dirtyRows) of(kind int) map[string]bool {
	if d == nil {
		return nil
	}
	return d[kind]
}

// markDirty records a row a write inserts or changes (see rowCaches). The one helper
// per table names the kind: dirtyUser, dirtyChannel, dirtyMember.
func (t *tx) markDirty(kind int, id string) {
	if t.dirty == nil { // a read, or a PostgreSQL write: no cache holds rows to drop
		return
	}
	if t.dirty[kind] == nil {
		t.dirty[kind] = map[string]bool{}
	}
	t.dirty[kind][id] = true
}

func (t *tx) dirtyUser(id string)    { t.markDirty(cachedUsers, id) }
func (t *tx) dirtyChannel(id string) { t.markDirty(cachedChannels, id) }
func (t *tx) dirtyMember(channelID, userID string) {
	t.markDirty(cachedMembers, memberKey(channelID, userID))
}

// firstPages keeps the keys of the first page of each channel's member lists (a members
// page without filters or cursor: what a member list shows first, and by far the most
// asked for). A page changes only when a membership of its channel does, and every such
// change marks the membership dirty: its channel's pages go with it.
type firstPages struct {
	mu        sync.RWMutex // every members page reads it
	gen       *atomic.Uint64
	byChannel map[string]map[string][]pageKey // channel -> page variant -> keys
	max       int                             // channels kept; 0: none (the no-op twin)
}

// pageKey is one member of a page: the keyset position it was read at.
type pageKey struct {
	user    string
	created int64
}

// maxCachedPageChannels bounds firstPages: a page of 100 keys is about 6 kB.
const maxCachedPageChannels = 2_000

func (c *firstPages) get(channel, variant string) ([]pageKey, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	keys, ok := c.byChannel[channel][variant]
	return keys, ok
}

// fill keeps keys a reader read at generation gen, as rowCache.fill does.
func (c *firstPages) fill(gen uint64, channel, variant string, keys []pageKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.max == 0 || c.gen.Load() != gen || gen%2 == 1 {
		return
	}
	if c.byChannel[channel] == nil {
		if len(c.byChannel) >= c.max {
			clear(c.byChannel) // rare: start over rather than track use
		}
		c.byChannel[channel] = map[string][]pageKey{}
	}
	c.byChannel[channel][variant] = keys
}

// drop forgets the pages of the channels of the given memberKeys.
func (c *firstPages) drop(members map[string]bool) {
	if len(members) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range members {
		channel, _, _ := strings.Cut(k, "/")
		delete(c.byChannel, channel)
	}
}

// rowCache holds rows of one kind by internal id, and the internal id of each public id
// (neither id of a row ever changes).
type rowCache[T any] struct {
	kind  int // its index in dirtyRows; max 0 makes the no-op twin
	mu    sync.RWMutex
	byID  map[string]T
	idOf  map[string]string
	gen   *atomic.Uint64
	max   int
	ids   func(T) (id, public string)
	clone func(T) T
}

func newRowCache[T any](gen *atomic.Uint64, kind, max int, ids func(T) (string, string), clone func(T) T) *rowCache[T] {
	return &rowCache[T]{kind: kind, byID: map[string]T{}, idOf: map[string]string{}, gen: gen, max: max, ids: ids, clone: clone}
}

// lookup returns the cached rows for keys (internal ids, or public ids when public),
// and the keys it does not hold or must not answer (skip: dirty in the caller's batch).
func (c *rowCache[T]) lookup(keys []string, public bool, skip map[string]bool) (hit []T, missing []string) {
	if c.max == 0 { // the no-op twin holds nothing
		return nil, keys
	}
	hit = make([]T, 0, len(keys))
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, k := range keys {
		id := k
		if public {
			id = c.idOf[k]
		}
		r, ok := c.byID[id]
		if !ok || skip[id] {
			missing = append(missing, k)
			continue
		}
		hit = append(hit, c.clone(r))
	}
	return hit, missing
}

// fill stores rows read at generation gen, unless rows were dropped since, leaving out
// the rows in skip (dirty in the writer's batch).
func (c *rowCache[T]) fill(gen uint64, rows []T, skip map[string]bool) {
	if len(rows) == 0 || c.max == 0 { // nothing, or the no-op twin
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen.Load() != gen || gen%2 == 1 {
		return
	}
	if len(c.byID)+len(rows) > c.max {
		// Full: forget a tenth, chosen by map order (as good as random here).
		n := c.max / 10
		for id, r := range c.byID {
			_, public := c.ids(r)
			delete(c.byID, id)
			if public != "" {
				delete(c.idOf, public)
			}
			if n--; n <= 0 {
				break
			}
		}
	}
	for _, r := range rows {
		id, public := c.ids(r)
		if skip[id] {
			continue
		}
		c.byID[id] = c.clone(r)
		if public != "" {
			c.idOf[public] = id
		}
	}
}

func (c *rowCache[T]) drop(ids map[string]bool) {
	if len(ids) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for id := range ids {
		delete(c.byID, id) // idOf stays: a public id never changes its row
	}
}

// cachedBy answers rows by internal ids (or public ids when public) from the cache c
// where it can and from the database (query, given the keys it lacks) for the rest, in
// no particular order, and fills the cache with what it read (see rowCaches).
func cachedBy[T any](t *tx, c *rowCache[T], public bool, keys []string, query func([]string) ([]T, error)) ([]T, error) {
	dirty := t.dirty.of(c.kind) // rows the write changed: only the database has them
	found, missing := c.lookup(keys, public, dirty)
	if len(missing) == 0 {
		return found, nil
	}
	read, err := query(missing)
	if err != nil {
		return nil, err
	}
	c.fill(t.gen, read, dirty)
	if len(found) == 0 { // every row read (always, with the no-op twin): no copy
		return read, nil
	}
	return append(found, read...), nil
}

// copyUser and copyChannel copy what a caller could change in place (slices, pointers,
// metadata), so that no caller's edit reaches a cache. Empty and nil stay as they were:
// they encode differently ([] and null).
func copyUser(u chat.User) chat.User {
	u.Tags, u.Roles, u.Permissions = cloneStrings(u.Tags), cloneStrings(u.Roles), cloneStrings(u.Permissions)
	u.Metadata = cloneJSON(u.Metadata)
	u.AvatarFileID, u.AvatarCustomURL = clonePtr(u.AvatarFileID), clonePtr(u.AvatarCustomURL)
	if u.HashFlag = clonePtr(u.HashFlag); u.HashFlag != nil {
		u.HashFlag.Hash = cloneSlice(u.HashFlag.Hash)
	}
	return u
}

func copyChannel(c chat.Channel) chat.Channel {
	c.Tags, c.Metadata = cloneStrings(c.Tags), cloneJSON(c.Metadata)
	c.AvatarFileID, c.MessagePreviewID = clonePtr(c.AvatarFileID), clonePtr(c.MessagePreviewID)
	c.AutoDeleteMessageByFlagLimit = clonePtr(c.AutoDeleteMessageByFlagLimit)
	a := &c.AttachedTo
	a.PostID, a.VideoStreamID, a.RoomID = clonePtr(a.PostID), clonePtr(a.VideoStreamID), clonePtr(a.RoomID)
	return c
}

// inOrder returns the rows named by keys, in the order of keys (a key given twice gives
// its row twice; missing ones are left out). It indexes the rows by position: rows are large structs, and a map of
// them copied each one twice per call.
func inOrder[T any](rows []T, keys []string, key func(T) string) []T {
	at := make(map[string]int, len(rows))
	for i := range rows {
		at[key(rows[i])] = i
	}
	out := make([]T, 0, len(rows))
	for _, k := range keys {
		if i, ok := at[k]; ok {
			out = append(out, rows[i])
		}
	}
	return out
}

// first is the first row of a list, or nil: one() for cached lookups.
func first[T any](rows []T, err error) (*T, error) {
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return &rows[0], nil
}

func copyMembership(m chat.Membership) chat.Membership {
	m.Roles, m.Permissions = cloneStrings(m.Roles), cloneStrings(m.Permissions)
	return m
}

func cloneStrings(s []string) []string { return cloneSlice(s) }

func cloneJSON(b json.RawMessage) json.RawMessage { return cloneSlice(b) }

// cloneSlice copies a slice; nil stays nil and empty stays empty.
func cloneSlice[S ~[]E, E any](s S) S {
	if s == nil {
		return nil
	}
	return append(make(S, 0, len(s)), s...)
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
