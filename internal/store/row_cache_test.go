package store

import (
	"context"
	"testing"

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
	db.caches.users.fill(gen, []chat.User{old}) // ... and ends with the row as it was
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
		c.fill(c.gen.Load(), []chat.User{{ID: chat.NewID(), UserID: chat.NewID()}})
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
	now := chat.Now()
	ch := chat.Channel{ID: chat.NewID(), ChannelID: "c-" + chat.NewID(), Type: "community", DisplayName: "before",
		Metadata: []byte(`{}`), Tags: []string{}, NotificationMode: "default", LastActivity: now, CreatedAt: now, UpdatedAt: now}
	if err := db.Write(ctx, func(ct chat.Tx) error { return ct.InsertChannel(&ch) }); err != nil {
		t.Fatal(err)
	}
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
		{"counts", func(ct chat.Tx) error { return ct.AddChannelCounts(ch.ID, 3, 1, chat.Now()) },
			func(c chat.Channel) bool { return c.MemberCount == 3 && c.ModeratorMemberCount == 1 }},
		{"message", func(ct chat.Tx) error { return ct.AddChannelMessage(ch.ID, "m1", chat.Now()) },
			func(c chat.Channel) bool { return c.MessageCount == 1 && c.MessagePreviewID != nil && *c.MessagePreviewID == "m1" }},
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
