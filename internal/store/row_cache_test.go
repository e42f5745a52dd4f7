package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/chat"
)

func readUser(t *testing.T, db *DB, id string) chat.User {
	t.Helper()
	var u *chat.User
	err := db.Read(context.Background(), func(ct chat.Tx) error {
		var err error
		u, err = ct.UserByID(id)
		return err
	})
	if err != nil || u == nil {
		t.Fatalf("read user %s: %v, %v", id, u, err)
	}
	return *u
}

func renameUser(id, name string) func(chat.Tx) error {
	return func(ct chat.Tx) error {
		u, err := ct.UserByID(id)
		if err != nil {
			return err
		}
		u.DisplayName = name
		return ct.UpdateUser(u)
	}
}

func newCachedUser(t *testing.T, db *DB) chat.User {
	t.Helper()
	now := chat.Now()
	u := chat.User{ID: chat.NewID(), UserID: "u-" + chat.NewID(), DisplayName: "before", Tags: []string{"a"}, Roles: []string{},
		Metadata: []byte(`{}`), CreatedAt: now, UpdatedAt: now}
	if err := db.Write(context.Background(), func(ct chat.Tx) error { return ct.InsertUser(&u) }); err != nil {
		t.Fatal(err)
	}
	readUser(t, db, u.ID) // fills the cache
	if _, ok := db.caches.users.byID[u.ID]; !ok {
		t.Fatal("a read did not fill the user cache")
	}
	return u
}

// A committed update is what every later read sees, cache or not.
func TestUserCacheDropsUpdatedUsers(t *testing.T) {
	db := openSQLiteForTest(t)
	u := newCachedUser(t, db)
	if err := db.Write(context.Background(), renameUser(u.ID, "after")); err != nil {
		t.Fatal(err)
	}
	if got := readUser(t, db, u.ID).DisplayName; got != "after" {
		t.Fatalf("read after the update: %q, want after", got)
	}
	var byPublic []chat.User
	db.Read(context.Background(), func(ct chat.Tx) error {
		var err error
		byPublic, err = ct.UsersByPublicIDs([]string{u.UserID})
		return err
	})
	if len(byPublic) != 1 || byPublic[0].DisplayName != "after" {
		t.Fatalf("read by public id after the update: %+v", byPublic)
	}
}

// A unit reads the change an earlier unit of its batch made, not the cached row.
func TestUserCacheUnitSeesItsBatchChanges(t *testing.T) {
	db := openSQLiteForTest(t)
	u := newCachedUser(t, db)
	var seen string
	firstErr, errs := batchOf(t, db, renameUser(u.ID, "in batch"), func(ct chat.Tx) error {
		got, err := ct.UserByID(u.ID)
		if got != nil {
			seen = got.DisplayName
		}
		return err
	})
	if firstErr != nil || errs[0] != nil {
		t.Fatal(firstErr, errs)
	}
	if seen != "in batch" {
		t.Fatalf("second unit of the batch read %q, want the first unit's change", seen)
	}
}

// A reader whose snapshot began before a commit dropped a user cannot put its older
// row back.
func TestUserCacheRefusesStaleFill(t *testing.T) {
	db := openSQLiteForTest(t)
	u := newCachedUser(t, db)
	old := readUser(t, db, u.ID)
	gen := db.caches.gen.Load() // a reader's snapshot begins here
	if err := db.Write(context.Background(), renameUser(u.ID, "after")); err != nil {
		t.Fatal(err)
	}
	db.caches.users.fill(gen, []chat.User{old}, nil) // ... and ends with the row as it was
	if got := readUser(t, db, u.ID).DisplayName; got != "after" {
		t.Fatalf("a stale fill was kept: read %q", got)
	}
}

// Callers may change what they got; the cache keeps its own copy.
func TestUserCacheCopiesOut(t *testing.T) {
	db := openSQLiteForTest(t)
	u := newCachedUser(t, db)
	got := readUser(t, db, u.ID)
	got.Tags[0] = "changed"
	got.Metadata[0] = '['
	again := readUser(t, db, u.ID)
	if again.Tags[0] != "a" || string(again.Metadata) != "{}" {
		t.Fatalf("a caller's edit reached the cache: %+v", again)
	}
	if again.Roles == nil {
		t.Fatal("an empty list came back as nil (it would encode as null)")
	}
}

// The cache stays within its bound.
func TestUserCacheBound(t *testing.T) {
	c := newRowCaches().users
	c.max = 100
	for i := 0; i < 1000; i++ {
		c.fill(c.gen.Load(), []chat.User{{ID: chat.NewID(), UserID: chat.NewID()}}, nil)
	}
	if len(c.byID) > 100 || len(c.idOf) > 100 {
		t.Fatalf("cache holds %d users, %d public ids; bound 100", len(c.byID), len(c.idOf))
	}
}

// Every change of a channel row (counters, messages, owner edits) is what the next read
// sees, by internal and by public id, while the row is cached in between.
func TestChannelCacheDropsChangedChannels(t *testing.T) {
	db := openSQLiteForTest(t)
	ctx := context.Background()
	ch := newChannel(t, db)
	read := func() chat.Channel {
		t.Helper()
		var byID, byPublic *chat.Channel
		err := db.Read(ctx, func(ct chat.Tx) error {
			var err error
			if byID, err = ct.ChannelByID(ch.ID); err != nil {
				return err
			}
			byPublic, err = ct.ChannelByPublicID(ch.ChannelID)
			return err
		})
		if err != nil || byID == nil || byPublic == nil {
			t.Fatalf("read channel: %v %v %v", byID, byPublic, err)
		}
		if byID.MemberCount != byPublic.MemberCount || byID.DisplayName != byPublic.DisplayName || byID.MessageCount != byPublic.MessageCount {
			t.Fatalf("by id and by public id disagree: %+v / %+v", byID, byPublic)
		}
		if _, ok := db.caches.channels.byID[ch.ID]; !ok {
			t.Fatal("a read did not fill the channel cache")
		}
		return *byID
	}
	read()
	changes := []struct {
		name  string
		write func(chat.Tx) error
		check func(chat.Channel) bool
	}{
		{"counts", func(ct chat.Tx) error { _, err := ct.AddChannelCounts(ch.ID, 3, 1, chat.Now()); return err },
			func(c chat.Channel) bool { return c.MemberCount == 3 && c.ModeratorMemberCount == 1 }},
		{"message", func(ct chat.Tx) error { return ct.AddChannelMessage(ch.ID, "m1", chat.Now()) },
			func(c chat.Channel) bool {
				return c.MessageCount == 1 && c.MessagePreviewID != nil && *c.MessagePreviewID == "m1"
			}},
		{"update", func(ct chat.Tx) error {
			c, err := ct.ChannelByID(ch.ID)
			if err != nil {
				return err
			}
			c.DisplayName = "after"
			return ct.UpdateChannel(c)
		}, func(c chat.Channel) bool { return c.DisplayName == "after" && c.MemberCount == 3 }},
	}
	for _, c := range changes {
		if err := db.Write(ctx, c.write); err != nil {
			t.Fatal(c.name, err)
		}
		if got := read(); !c.check(got) {
			t.Fatalf("after %s the read says %+v", c.name, got)
		}
	}
	if err := db.SetRateLimit(ctx, ch.ID, 5, 60, chat.Now()); err != nil {
		t.Fatal(err)
	}
	if got := read(); got.RateLimit != 5 {
		t.Fatalf("after SetRateLimit the read says rate limit %d", got.RateLimit)
	}
}

func newChannel(t *testing.T, db *DB) chat.Channel {
	t.Helper()
	now := chat.Now()
	ch := chat.Channel{ID: chat.NewID(), ChannelID: "c-" + chat.NewID(), Type: "community", DisplayName: "before",
		Metadata: []byte(`{}`), Tags: []string{}, NotificationMode: "default", LastActivity: now, CreatedAt: now, UpdatedAt: now}
	if err := db.Write(context.Background(), func(ct chat.Tx) error { return ct.InsertChannel(&ch) }); err != nil {
		t.Fatal(err)
	}
	return ch
}

// A membership change (a ban, here) and a read marker are what the next read of the
// member sees, by channel and by user, while the row is cached in between.
func TestMemberCacheDropsChangedMemberships(t *testing.T) {
	db := openSQLiteForTest(t)
	ctx := context.Background()
	u := newCachedUser(t, db)
	ch, user := newChannel(t, db).ID, u.ID
	now := chat.Now()
	put := func(membership string) {
		t.Helper()
		m := chat.Membership{ChannelInternalID: ch, UserInternalID: user, Membership: membership, Roles: []string{},
			LastActivity: now, CreatedAt: now, UpdatedAt: now}
		if err := db.Write(ctx, func(ct chat.Tx) error { return ct.PutMemberships([]chat.Membership{m}) }); err != nil {
			t.Fatal(err)
		}
	}
	read := func() chat.Membership {
		t.Helper()
		var byChannel, byUser []chat.Membership
		err := db.Read(ctx, func(ct chat.Tx) error {
			var err error
			if byChannel, err = ct.Memberships(ch, []string{user}); err != nil {
				return err
			}
			byUser, err = ct.MembershipsOfUser(user, []string{ch})
			return err
		})
		if err != nil || len(byChannel) != 1 || len(byUser) != 1 {
			t.Fatalf("read membership: %v %v %v", byChannel, byUser, err)
		}
		if byChannel[0].Membership != byUser[0].Membership || byChannel[0].ReadToSegment != byUser[0].ReadToSegment {
			t.Fatalf("by channel and by user disagree: %+v / %+v", byChannel[0], byUser[0])
		}
		if _, ok := db.caches.members.byID[memberKey(ch, user)]; !ok {
			t.Fatal("a read did not fill the membership cache")
		}
		return byChannel[0]
	}
	put(chat.MembershipMember)
	if m := read(); m.Membership != chat.MembershipMember {
		t.Fatalf("membership %q, want member", m.Membership)
	}
	put(chat.MembershipBanned)
	if m := read(); m.Membership != chat.MembershipBanned {
		t.Fatalf("after the ban the read says %q: a banned user would keep access", m.Membership)
	}
	err := db.Write(ctx, func(ct chat.Tx) error {
		_, err := ct.(*tx).PutReadMarker(ch, ch, user, 7, true, chat.Now()) // the default feed has the channel's id
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if m := read(); m.ReadToSegment != 7 {
		t.Fatalf("after the read marker the read says readToSegment %d", m.ReadToSegment)
	}
}

// A unit that reads a row its batch inserted does not put it in the cache: the batch
// might never commit.
func TestRowCacheKeepsOutUncommittedRows(t *testing.T) {
	db := openSQLiteForTest(t)
	now := chat.Now()
	u := chat.User{ID: chat.NewID(), UserID: "new-" + chat.NewID(), Roles: []string{}, Tags: []string{}, Metadata: []byte(`{}`),
		CreatedAt: now, UpdatedAt: now}
	cached := true
	firstErr, errs := batchOf(t, db, func(ct chat.Tx) error { return ct.InsertUser(&u) }, func(ct chat.Tx) error {
		got, err := ct.UserByID(u.ID)
		if err != nil || got == nil {
			return fmt.Errorf("the batch's own insert is not visible: %v %v", got, err)
		}
		_, cached = db.caches.users.byID[u.ID]
		return nil
	})
	if firstErr != nil || errs[0] != nil {
		t.Fatal(firstErr, errs)
	}
	if cached {
		t.Fatal("a unit cached a row its batch inserted before the batch committed")
	}
}

// While a batch commits, no fill is taken, whatever generation its reader saw: a row read
// just before the COMMIT would be older than the database just after it.
func TestRowCacheTakesNoFillDuringACommit(t *testing.T) {
	c := newRowCaches()
	u := chat.User{ID: chat.NewID(), UserID: chat.NewID()}
	d := &dirtyRows{cachedUsers: {u.ID: true}}
	before := c.gen.Load()
	c.beginCommit(d)
	during := c.gen.Load()
	c.users.fill(during, []chat.User{u}, nil)
	if _, ok := c.users.byID[u.ID]; ok {
		t.Fatal("a fill read during a commit was taken")
	}
	c.endCommit(d)
	c.users.fill(before, []chat.User{u}, nil)
	c.users.fill(during, []chat.User{u}, nil)
	if _, ok := c.users.byID[u.ID]; ok {
		t.Fatal("a fill read before the commit ended was taken after it")
	}
	c.users.fill(c.gen.Load(), []chat.User{u}, nil)
	if _, ok := c.users.byID[u.ID]; !ok {
		t.Fatal("a fill read after the commit was refused")
	}
}

// A members page takes its keys from the snapshot and its rows from the cache; a cached
// row that no longer matches the page (newer than the snapshot) is read from the
// snapshot instead, so the page never shows a banned user among members nor loses one.
func TestMembersPageReadsStaleRowsFromItsSnapshot(t *testing.T) {
	db := openSQLiteForTest(t)
	ctx := context.Background()
	ch := newChannel(t, db)
	now := chat.Now()
	var ms []chat.Membership
	for i := 0; i < 3; i++ {
		u := newCachedUser(t, db)
		ms = append(ms, chat.Membership{ChannelInternalID: ch.ID, UserInternalID: u.ID, Membership: chat.MembershipMember,
			Roles: []string{}, LastActivity: now, CreatedAt: now.Add(time.Duration(i) * time.Millisecond), UpdatedAt: now})
	}
	if err := db.Write(ctx, func(ct chat.Tx) error { return ct.PutMemberships(ms) }); err != nil {
		t.Fatal(err)
	}
	list := func() []chat.Membership {
		t.Helper()
		var page []chat.Membership
		err := db.Read(ctx, func(ct chat.Tx) error {
			var err error
			page, err = ct.ListMemberships(chat.MemberQuery{ChannelID: ch.ID, Memberships: []string{chat.MembershipMember}, Limit: 10, Now: chat.Now()})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return page
	}
	if page := list(); len(page) != 3 || page[0].UserInternalID != ms[2].UserInternalID {
		t.Fatalf("first page: %+v", page)
	}
	stale := ms[1]
	stale.Membership = chat.MembershipBanned
	db.caches.members.fill(db.caches.gen.Load(), []chat.Membership{stale}, nil)
	page := list()
	if len(page) != 3 {
		t.Fatalf("page of %d rows, want 3", len(page))
	}
	for i, want := range []chat.Membership{ms[2], ms[1], ms[0]} {
		if page[i].UserInternalID != want.UserInternalID || page[i].Membership != chat.MembershipMember {
			t.Fatalf("row %d: %s %s, want %s member", i, page[i].UserInternalID, page[i].Membership, want.UserInternalID)
		}
	}
}

// A channel's first members page is kept in memory until a membership of the channel
// changes; keys that do not match this read's snapshot make it read the page from the
// snapshot alone.
func TestFirstMembersPageFollowsChanges(t *testing.T) {
	db := openSQLiteForTest(t)
	ctx := context.Background()
	ch := newChannel(t, db)
	add := func(at time.Duration) chat.User {
		t.Helper()
		u := newCachedUser(t, db)
		now := chat.Now()
		m := chat.Membership{ChannelInternalID: ch.ID, UserInternalID: u.ID, Membership: chat.MembershipMember,
			Roles: []string{}, LastActivity: now, CreatedAt: now.Add(at), UpdatedAt: now}
		if err := db.Write(ctx, func(ct chat.Tx) error { return ct.PutMemberships([]chat.Membership{m}) }); err != nil {
			t.Fatal(err)
		}
		return u
	}
	page := func() []string {
		t.Helper()
		var rows []chat.Membership
		err := db.Read(ctx, func(ct chat.Tx) error {
			var err error
			rows, err = ct.ListMemberships(chat.MemberQuery{ChannelID: ch.ID, Memberships: []string{chat.MembershipMember}, Limit: 10, Now: chat.Now()})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, m := range rows {
			ids = append(ids, m.UserInternalID)
		}
		return ids
	}
	a := add(0)
	if got := page(); len(got) != 1 || got[0] != a.ID {
		t.Fatalf("first page %v, want [%s]", got, a.ID)
	}
	if _, ok := db.caches.pages.get(ch.ID, "member/DESC/10"); !ok {
		t.Fatal("the first page was not kept")
	}
	b := add(time.Second)
	if got := page(); len(got) != 2 || got[0] != b.ID {
		t.Fatalf("after a new member the first page is %v, want [%s %s]", got, b.ID, a.ID)
	}
	// Keys newer than the snapshot (here: a member the database does not have).
	db.caches.pages.fill(db.caches.gen.Load(), ch.ID, "member/DESC/10", []pageKey{{user: "ghost", created: 1}, {user: a.ID, created: 0}})
	if got := page(); len(got) != 2 || got[0] != b.ID || got[1] != a.ID {
		t.Fatalf("with keys the snapshot lacks, the page is %v, want [%s %s]", got, b.ID, a.ID)
	}
}
