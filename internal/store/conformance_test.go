package store_test

// The store conformance suite: the same tests on every dialect, SQLite always and
// PostgreSQL when PARLEY_TEST_POSTGRES holds a URL, each test on a fresh database (a
// temp file, or a schema of its own). Whatever passes here behaves the same on both.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/store/storetest"
)

var conformance = []struct {
	name string
	run  func(t *testing.T, db *store.DB)
}{
	{"users", testUsers},
	{"usersPaging", testUsersPaging},
	{"usersKeyword", testUsersKeyword},
	{"sessions", testSessions},
	{"files", testFiles},
	{"settings", testSettings},
	{"settingCreatedOnce", testSettingCreatedOnce},
	{"rollback", testRollback},
	{"outboxOrder", testOutboxOrder},
	{"outboxConcurrentRelay", testOutboxConcurrentRelay},
	{"serialisedReadThenWrite", testSerialisedReadThenWrite},
	{"concurrentFirstLogin", testConcurrentFirstLogin},
	{"lockedReadDecidesWrite", testLockedReadDecidesWrite},
	{"unstorableText", testUnstorableText},
}

func TestConformance(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			storetest.Require(t, d)
			for _, c := range conformance {
				t.Run(c.name, func(t *testing.T) { c.run(t, storetest.Open(t, d)) })
			}
			t.Run("migrationsTwice", func(t *testing.T) { testMigrationsTwice(t, d) })
			t.Run("migrationsConcurrent", func(t *testing.T) { testMigrationsConcurrent(t, d) })
		})
	}
}

var ctx = context.Background()

func write(t *testing.T, db *store.DB, fn func(tx chat.Tx) error) {
	t.Helper()
	if err := db.Write(ctx, fn); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, db *store.DB, fn func(tx chat.Tx) error) {
	t.Helper()
	if err := db.Read(ctx, fn); err != nil {
		t.Fatal(err)
	}
}

func count(t *testing.T, db *store.DB, table, where string, args ...any) int {
	t.Helper()
	n, err := db.Count(ctx, table, where, args...)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// newUser is a user as the domain makes one, created at ms.
func newUser(userID, name string, ms int64) *chat.User {
	return &chat.User{ID: chat.NewID(), UserID: userID, DisplayName: name, Metadata: json.RawMessage("{}"),
		Tags: []string{}, Roles: []string{}, CreatedAt: chat.FromMillis(ms), UpdatedAt: chat.FromMillis(ms)}
}

func testUsers(t *testing.T, db *store.DB) {
	avatar, custom := "file1", "https://example.com/a.png"
	full := newUser("alice", "Alice Ä", 1_700_000_000_123)
	full.AvatarFileID, full.AvatarCustomURL = &avatar, &custom
	full.Description, full.IsBrand, full.FlagCount = "about", true, 3
	full.Metadata = json.RawMessage(`{"k":[1,"two",{"x":null}]}`)
	full.Tags, full.Roles = []string{"t1", "t2"}, []string{"global-admin"}
	plain := newUser("bob", "Bob", 1_700_000_000_456)
	write(t, db, func(tx chat.Tx) error {
		if err := tx.InsertUser(full); err != nil {
			return err
		}
		return tx.InsertUser(plain)
	})
	read(t, db, func(tx chat.Tx) error {
		got, err := tx.UserByID(full.ID)
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(got, full) {
			t.Errorf("UserByID round trip:\n got %+v\nwant %+v", got, full)
		}
		got, err = tx.UserByPublicID("bob")
		if err != nil || got == nil || got.ID != plain.ID || got.AvatarFileID != nil || !got.DeletedAt.IsZero() {
			t.Errorf("UserByPublicID(bob) = %+v, %v", got, err)
		}
		if got, err := tx.UserByPublicID("nobody"); got != nil || err != nil {
			t.Errorf("UserByPublicID(nobody) = %+v, %v; want nil, nil", got, err)
		}
		list, err := tx.UsersByPublicIDs([]string{"bob", "nobody", "alice"})
		if err != nil || len(list) != 2 || list[0].UserID != "bob" || list[1].UserID != "alice" {
			t.Errorf("UsersByPublicIDs keeps the asked order and skips the missing: %v, %v", list, err)
		}
		list, err = tx.UsersByIDs([]string{full.ID, plain.ID})
		if err != nil || len(list) != 2 || list[0].ID != full.ID {
			t.Errorf("UsersByIDs: %v, %v", list, err)
		}
		list, err = tx.UsersByIDs(nil)
		if err != nil || len(list) != 0 {
			t.Errorf("UsersByIDs(nil): %v, %v", list, err)
		}
		return nil
	})

	// An update changes every mutable field; deletion keeps the row.
	full.DisplayName, full.AvatarFileID, full.IsBrand, full.IsGlobalBan = "Alice B", nil, false, true
	full.IsDeleted, full.DeletedAt, full.UpdatedAt = true, chat.FromMillis(1_800_000_000_000), chat.FromMillis(1_800_000_000_000)
	full.Tags = []string{}
	write(t, db, func(tx chat.Tx) error { return tx.UpdateUser(full) })
	read(t, db, func(tx chat.Tx) error {
		got, err := tx.UserByPublicID("alice")
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(got, full) {
			t.Errorf("after update:\n got %+v\nwant %+v", got, full)
		}
		return nil
	})

	// user_id is unique.
	err := db.Write(ctx, func(tx chat.Tx) error { return tx.InsertUser(newUser("bob", "Other Bob", 1)) })
	if err == nil {
		t.Error("a second user with the same userId was stored")
	}
	if n := count(t, db, "users", "user_id = ?", "bob"); n != 1 {
		t.Errorf("%d users named bob", n)
	}
}

// testUsersPaging pages through users in every order, a few at a time, and must see each
// user once, in the order the dialect-independent sort gives.
func testUsersPaging(t *testing.T, db *store.DB) {
	// Names chosen so that a locale-aware collation would order them differently from
	// byte order: punctuation, case, accents, digits. Several share a name or a time, so
	// the id tie-breaker matters.
	names := []string{"a_b", "ab", "a-b", "Ab", "b", "B", "é", "e", "z", "10", "9", "", " x", "ab", "a b", "Émile", "émile", "zz", "a%", "a"}
	var users []*chat.User
	write(t, db, func(tx chat.Tx) error {
		for i, n := range names {
			u := newUser("u"+strconv.Itoa(i), n, 1_000+int64(i%7)) // times repeat
			users = append(users, u)
			if err := tx.InsertUser(u); err != nil {
				return err
			}
		}
		return nil
	})
	for _, c := range []struct {
		sortBy chat.SortBy
		less   func(a, b *chat.User) bool
		cursor func(u chat.User) *chat.Cursor
	}{
		{"lastCreated", func(a, b *chat.User) bool {
			if a.CreatedAt.Equal(b.CreatedAt.Time) {
				return a.ID > b.ID
			}
			return a.CreatedAt.After(b.CreatedAt.Time)
		}, func(u chat.User) *chat.Cursor { return &chat.Cursor{N: u.CreatedAt.Millis(), ID: u.ID} }},
		{"firstCreated", func(a, b *chat.User) bool {
			if a.CreatedAt.Equal(b.CreatedAt.Time) {
				return a.ID < b.ID
			}
			return a.CreatedAt.Before(b.CreatedAt.Time)
		}, func(u chat.User) *chat.Cursor { return &chat.Cursor{N: u.CreatedAt.Millis(), ID: u.ID} }},
		{"displayName", func(a, b *chat.User) bool {
			la, lb := strings.ToLower(a.DisplayName), strings.ToLower(b.DisplayName)
			if la == lb {
				return a.ID < b.ID
			}
			return la < lb // byte order of the lowered names
		}, func(u chat.User) *chat.Cursor { return &chat.Cursor{S: strings.ToLower(u.DisplayName), ID: u.ID} }},
	} {
		want := append([]*chat.User(nil), users...)
		sort.Slice(want, func(i, j int) bool { return c.less(want[i], want[j]) })
		var got []string
		var after *chat.Cursor
		for pages := 0; ; pages++ {
			if pages > len(users) {
				t.Fatalf("%s: paging does not end", c.sortBy)
			}
			var page []chat.User
			read(t, db, func(tx chat.Tx) error {
				var err error
				page, err = tx.ListUsers(chat.UserQuery{SortBy: c.sortBy, Limit: 3, After: after})
				return err
			})
			for _, u := range page {
				got = append(got, u.DisplayName+"/"+u.ID)
			}
			if len(page) < 3 {
				break
			}
			after = c.cursor(page[len(page)-1])
		}
		var wantNames []string
		for _, u := range want {
			wantNames = append(wantNames, u.DisplayName+"/"+u.ID)
		}
		if !reflect.DeepEqual(got, wantNames) {
			t.Errorf("%s order:\n got %q\nwant %q", c.sortBy, got, wantNames)
		}
	}
}

func testUsersKeyword(t *testing.T, db *store.DB) {
	write(t, db, func(tx chat.Tx) error {
		for i, n := range []string{"Bob Smith", "bobby", "ROBERT", "100% Bob", "a_b", "axb", "Émile"} {
			if err := tx.InsertUser(newUser("k"+strconv.Itoa(i), n, int64(i+1))); err != nil {
				return err
			}
		}
		deleted := newUser("gone", "Bob Gone", 99)
		deleted.IsDeleted = true
		return tx.InsertUser(deleted)
	})
	search := func(keyword string, includeDeleted bool) []string {
		var names []string
		read(t, db, func(tx chat.Tx) error {
			users, err := tx.ListUsers(chat.UserQuery{Keyword: keyword, SortBy: "firstCreated", Limit: 100, IncludeDeleted: includeDeleted})
			for _, u := range users {
				names = append(names, u.DisplayName)
			}
			return err
		})
		return names
	}
	for _, c := range []struct {
		keyword string
		deleted bool
		want    []string
	}{
		{"BOB", false, []string{"Bob Smith", "bobby", "100% Bob"}}, // case-insensitive
		{"bob", true, []string{"Bob Smith", "bobby", "100% Bob", "Bob Gone"}},
		{"%", false, []string{"100% Bob"}}, // wildcards are literal
		{"_", false, []string{"a_b"}},
		{"émile", false, []string{"Émile"}}, // beyond ASCII too
		{"nothing", false, nil},
	} {
		if got := search(c.keyword, c.deleted); !reflect.DeepEqual(got, c.want) {
			t.Errorf("keyword %q (deleted %v): got %q, want %q", c.keyword, c.deleted, got, c.want)
		}
	}
}

func testSessions(t *testing.T, db *store.DB) {
	now := chat.FromMillis(1_700_000_000_000)
	live := &chat.Session{ID: chat.NewID(), UserID: "u1", DeviceID: "d1", IssuedAt: now, ExpiresAt: now.Add(3600e9)}
	other := &chat.Session{ID: chat.NewID(), UserID: "u1", DeviceID: "d2", IssuedAt: now, ExpiresAt: now.Add(3600e9)}
	expired := &chat.Session{ID: chat.NewID(), UserID: "u1", DeviceID: "d3", IssuedAt: now.Add(-7200e9), ExpiresAt: now.Add(-3600e9)}
	stranger := &chat.Session{ID: chat.NewID(), UserID: "u2", DeviceID: "d1", IssuedAt: now, ExpiresAt: now.Add(3600e9)}
	write(t, db, func(tx chat.Tx) error {
		for _, s := range []*chat.Session{live, other, expired, stranger} {
			if err := tx.InsertSession(s); err != nil {
				return err
			}
		}
		return nil
	})
	read(t, db, func(tx chat.Tx) error {
		got, err := tx.SessionByID(live.ID)
		if err != nil || !reflect.DeepEqual(got, live) {
			t.Errorf("SessionByID: %+v, %v; want %+v", got, err, live)
		}
		if got, err := tx.SessionByID(chat.NewID()); got != nil || err != nil {
			t.Errorf("missing session: %+v, %v", got, err)
		}
		return nil
	})
	at := now.Add(60e9)
	write(t, db, func(tx chat.Tx) error { return tx.RevokeSession(other.ID, at) })
	var revoked []string
	write(t, db, func(tx chat.Tx) error {
		var err error
		revoked, err = tx.RevokeUserSessions("u1", at.Add(1e9))
		return err
	})
	if !reflect.DeepEqual(revoked, []string{live.ID}) {
		t.Errorf("RevokeUserSessions returned %v, want only the live, unrevoked %v", revoked, live.ID)
	}
	read(t, db, func(tx chat.Tx) error {
		o, _ := tx.SessionByID(other.ID)
		if !o.RevokedAt.Equal(at.Time) {
			t.Errorf("a second revocation moved revokedAt of %s to %v", other.ID, o.RevokedAt)
		}
		s, _ := tx.SessionByID(stranger.ID)
		if !s.RevokedAt.IsZero() {
			t.Error("another user's session was revoked")
		}
		return nil
	})
}

func testFiles(t *testing.T, db *store.DB) {
	at := chat.FromMillis(1_700_000_000_000)
	img := &chat.File{FileID: chat.NewID(), Type: "image", AccessType: "public", UploaderID: "u1", CreatedAt: at, UpdatedAt: at,
		Attributes: chat.FileAttributes{Name: "cat.png", Extension: "png", Size: 5 << 30, MimeType: "image/png",
			Metadata: chat.FileMetadata{Width: 640, Height: 480, IsFull: true}}}
	doc := &chat.File{FileID: chat.NewID(), Type: "file", AccessType: "network", UploaderID: "u2", CreatedAt: at, UpdatedAt: at,
		Attributes: chat.FileAttributes{Name: "a.pdf", Extension: "pdf", Size: 10, MimeType: "application/pdf"}}
	write(t, db, func(tx chat.Tx) error {
		if err := tx.InsertFile(img); err != nil {
			return err
		}
		return tx.InsertFile(doc)
	})
	read(t, db, func(tx chat.Tx) error {
		got, err := tx.FileByID(img.FileID)
		if err != nil || !reflect.DeepEqual(got, img) {
			t.Errorf("FileByID: %+v, %v; want %+v", got, err, img)
		}
		list, err := tx.FilesByIDs([]string{img.FileID, doc.FileID, chat.NewID()})
		if err != nil || len(list) != 2 {
			t.Errorf("FilesByIDs: %v, %v", list, err)
		}
		return nil
	})
	write(t, db, func(tx chat.Tx) error { return tx.DeleteFile(doc.FileID, at.Add(1e9)) })
	read(t, db, func(tx chat.Tx) error {
		list, err := tx.FilesByIDs([]string{img.FileID, doc.FileID})
		if err != nil || len(list) != 1 || list[0].FileID != img.FileID {
			t.Errorf("FilesByIDs after delete: %v, %v", list, err)
		}
		got, _ := tx.FileByID(doc.FileID)
		if got == nil || !got.IsDeleted || !got.UpdatedAt.Equal(at.Add(1e9).Time) {
			t.Errorf("deleted file: %+v", got)
		}
		return nil
	})
}

func testSettings(t *testing.T, db *store.DB) {
	read(t, db, func(tx chat.Tx) error {
		if v, ok, err := tx.Setting("k"); v != "" || ok || err != nil {
			t.Errorf("missing setting: %q, %v, %v", v, ok, err)
		}
		return nil
	})
	write(t, db, func(tx chat.Tx) error { return tx.PutSetting("k", "one") })
	write(t, db, func(tx chat.Tx) error { return tx.PutSetting("k", "two") }) // upsert
	read(t, db, func(tx chat.Tx) error {
		if v, ok, err := tx.Setting("k"); v != "two" || !ok || err != nil {
			t.Errorf("setting: %q, %v, %v", v, ok, err)
		}
		return nil
	})
}

// testSettingCreatedOnce: units that find a setting missing and create it (nodes
// starting together, making the network id) all end up with the same value.
func testSettingCreatedOnce(t *testing.T, db *store.DB) {
	const nodes = 6
	got := make([]string, nodes)
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := db.Write(ctx, func(tx chat.Tx) error {
				v, ok, err := tx.Setting("network_id")
				if err != nil || ok {
					got[i] = v
					return err
				}
				got[i] = "node" + strconv.Itoa(i)
				return tx.PutSetting("network_id", got[i])
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for i := range got {
		if got[i] != got[0] {
			t.Errorf("node %d took network id %q, node 0 %q", i, got[i], got[0])
		}
	}
}

// testRollback: an error from the unit of work leaves nothing behind, events included.
func testRollback(t *testing.T, db *store.DB) {
	boom := errors.New("boom")
	err := db.Write(ctx, func(tx chat.Tx) error {
		if err := tx.InsertUser(newUser("ghost", "Ghost", 1)); err != nil {
			return err
		}
		if err := tx.AppendEvent(chat.Event{Type: "user.created", Data: map[string]string{}}); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t.Fatalf("Write returned %v, want the function's own error", err)
	}
	if n := count(t, db, "users", ""); n != 0 {
		t.Errorf("%d users after rollback", n)
	}
	if n := count(t, db, "outbox", ""); n != 0 {
		t.Errorf("%d events after rollback", n)
	}
}

func testOutboxOrder(t *testing.T, db *store.DB) {
	for i := range 5 {
		write(t, db, func(tx chat.Tx) error {
			return tx.AppendEvent(chat.Event{Type: chat.EventType("e" + strconv.Itoa(i)), ChannelID: "c", RoomID: "r", UserIDs: []string{"u1", "u2"},
				Network: i == 2, Data: map[string]int{"i": i}, CreatedAt: chat.FromMillis(int64(1000 + i))})
		})
	}
	all, err := db.PendingEvents(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 5 {
		t.Fatalf("%d events, want 5", len(all))
	}
	for i, e := range all {
		if e.Type != chat.EventType("e"+strconv.Itoa(i)) || (i > 0 && e.Seq <= all[i-1].Seq) {
			t.Errorf("event %d: %s seq %d out of order", i, e.Type, e.Seq)
		}
		if e.ChannelID != "c" || e.RoomID != "r" || !reflect.DeepEqual(e.UserIDs, []string{"u1", "u2"}) || e.Network != (i == 2) ||
			string(e.RawData) != fmt.Sprintf(`{"i":%d}`, i) || e.CreatedAt.Millis() != int64(1000+i) {
			t.Errorf("event %d stored as %+v (data %s)", i, e.Event, e.RawData)
		}
	}
	page, _ := db.PendingEvents(ctx, all[1].Seq, 2)
	if len(page) != 2 || page[0].Seq != all[2].Seq || page[1].Seq != all[3].Seq {
		t.Errorf("PendingEvents after %d limit 2: %v", all[1].Seq, page)
	}
	if err := db.DeleteEventsThrough(ctx, all[2].Seq); err != nil {
		t.Fatal(err)
	}
	rest, _ := db.PendingEvents(ctx, 0, 100)
	if len(rest) != 2 || rest[0].Seq != all[3].Seq {
		t.Errorf("after DeleteEventsThrough(%d): %v", all[2].Seq, rest)
	}
}

// testOutboxConcurrentRelay: while writers commit events concurrently, a relay that
// reads PendingEvents after the last seq it saw must see every event exactly once.
// It would miss some if a later seq could commit before an earlier one.
func testOutboxConcurrentRelay(t *testing.T, db *store.DB) {
	const writers, each = 4, 40
	done := make(chan struct{})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				err := db.Write(ctx, func(tx chat.Tx) error {
					if err := tx.PutSetting(fmt.Sprintf("w%d-%d", w, i), "x"); err != nil {
						return err
					}
					return tx.AppendEvent(chat.Event{Type: chat.EventType(fmt.Sprintf("w%d-%d", w, i)), Data: 1})
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()
	seen := map[string]int{}
	var after int64
	relay := func() {
		events, err := db.PendingEvents(ctx, after, 50)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			seen[string(e.Type)]++
			after = e.Seq
		}
	}
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true
		default:
		}
		relay()
		time.Sleep(time.Millisecond) // leave the connection to the writers now and then
	}
	relay()
	relay()
	if len(seen) != writers*each {
		t.Errorf("the relay saw %d of %d events", len(seen), writers*each)
	}
	for typ, n := range seen {
		if n != 1 {
			t.Errorf("%s seen %d times", typ, n)
		}
	}
}

// testSerialisedReadThenWrite: concurrent transactions that read a value and write it
// back changed lose no update (a counter kept in a row, as memberCount is).
// Both ways: a plain read then an upsert, and a read that locks the row (forUpdate).
func testSerialisedReadThenWrite(t *testing.T, db *store.DB) {
	increments := map[string]func() error{
		"plain": func() error {
			return db.Write(ctx, func(tx chat.Tx) error {
				v, _, err := tx.Setting("plain")
				if err != nil {
					return err
				}
				n, _ := strconv.Atoi(v)
				return tx.PutSetting("plain", strconv.Itoa(n+1))
			})
		},
		"locked": func() error { return store.IncrementLocked(db, "locked") },
	}
	const workers, each = 4, 15
	for key, increment := range increments {
		write(t, db, func(tx chat.Tx) error { return tx.PutSetting(key, "0") })
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range each {
					if err := increment(); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		read(t, db, func(tx chat.Tx) error {
			v, _, err := tx.Setting(key)
			if v != strconv.Itoa(workers*each) {
				t.Errorf("%s counter = %s after %d increments", key, v, workers*each)
			}
			return err
		})
	}
}

// testLockedReadDecidesWrite: two units that each read the other's row to decide a
// write to their own (two moderators leaving at once; at least one must stay) cannot
// both go ahead when they lock what they read with forUpdate.
func testLockedReadDecidesWrite(t *testing.T, db *store.DB) {
	for round := range 20 {
		write(t, db, func(tx chat.Tx) error {
			if err := tx.PutSetting("a", "1"); err != nil {
				return err
			}
			return tx.PutSetting("b", "1")
		})
		var wg sync.WaitGroup
		for _, pair := range [][2]string{{"a", "b"}, {"b", "a"}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := store.LeaveUnlessLast(db, pair[0], pair[1]); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		read(t, db, func(tx chat.Tx) error {
			a, _, _ := tx.Setting("a")
			b, _, err := tx.Setting("b")
			if a == "0" && b == "0" {
				t.Errorf("round %d: both left", round)
			}
			return err
		})
	}
}

// testConcurrentFirstLogin: transactions that all find a user missing and create it
// all succeed, and exactly one user exists (the check-then-insert of a first login).
func testConcurrentFirstLogin(t *testing.T, db *store.DB) {
	const logins = 6
	var wg sync.WaitGroup
	ids := make([]string, logins)
	for i := range logins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := db.Write(ctx, func(tx chat.Tx) error {
				u, err := tx.UserByPublicID("newcomer")
				if err != nil {
					return err
				}
				if u == nil {
					u = newUser("newcomer", "New", 1)
					if err := tx.InsertUser(u); err != nil {
						return err
					}
				}
				ids[i] = u.ID
				return tx.InsertSession(&chat.Session{ID: chat.NewID(), UserID: u.ID, DeviceID: "d", IssuedAt: u.CreatedAt, ExpiresAt: u.CreatedAt})
			})
			if err != nil {
				t.Errorf("login %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if n := count(t, db, "users", "user_id = ?", "newcomer"); n != 1 {
		t.Errorf("%d users made by concurrent first logins", n)
	}
	if n := count(t, db, "sessions", ""); n != logins {
		t.Errorf("%d sessions, want %d", n, logins)
	}
	for i := range ids {
		if ids[i] != ids[0] {
			t.Errorf("login %d was given user %s, login 0 user %s", i, ids[i], ids[0])
		}
	}
}

// testUnstorableText: a NUL or invalid UTF-8 is the client's 400000 on both engines,
// stored by neither, and never an internal error.
func testUnstorableText(t *testing.T, db *store.DB) {
	isBadRequest := func(err error) bool {
		var ce *chat.Error
		return errors.As(err, &ce) && ce.Code == chat.CodeBadRequest
	}
	for _, name := range []string{"nul\x00here", "bad\xffutf8"} {
		err := db.Write(ctx, func(tx chat.Tx) error { return tx.InsertUser(newUser("u", name, 1)) })
		if !isBadRequest(err) {
			t.Errorf("insert %q: %v, want a 400000", name, err)
		}
		err = db.Read(ctx, func(tx chat.Tx) error {
			_, err := tx.UserByPublicID(name)
			return err
		})
		if err != nil && !isBadRequest(err) {
			t.Errorf("lookup %q: %v, want nothing found or a 400000", name, err)
		}
		err = db.Read(ctx, func(tx chat.Tx) error {
			_, err := tx.ListUsers(chat.UserQuery{Keyword: name, Limit: 10})
			return err
		})
		if err != nil && !isBadRequest(err) {
			t.Errorf("search %q: %v, want a 400000", name, err)
		}
	}
	if n := count(t, db, "users", ""); n != 0 {
		t.Errorf("%d users stored", n)
	}
}

// migrationFiles is how many migrations the store embeds.
func migrationFiles(t *testing.T) int {
	names, err := fs.Glob(store.Migrations(), "migrations/*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("no migrations: %v", err)
	}
	return len(names)
}

// testMigrationsTwice: opening a migrated database again changes nothing and keeps data.
func testMigrationsTwice(t *testing.T, dialect string) {
	target := storetest.Target(t, dialect)
	db, err := store.Open(ctx, target, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	write(t, db, func(tx chat.Tx) error { return tx.InsertUser(newUser("keep", "Keep", 1)) })
	db.Close()
	db, err = store.Open(ctx, target, store.Options{})
	if err != nil {
		t.Fatalf("second open: %v", err)
	}
	defer db.Close()
	if n := count(t, db, "schema_migrations", ""); n != migrationFiles(t) {
		t.Errorf("%d migrations recorded, want %d", n, migrationFiles(t))
	}
	if n := count(t, db, "users", "user_id = ?", "keep"); n != 1 {
		t.Error("data did not survive reopening")
	}
}

// testMigrationsConcurrent: nodes that start together on one new database all open it,
// and each migration runs once.
func testMigrationsConcurrent(t *testing.T, dialect string) {
	if dialect == "sqlite" {
		t.Skip("a SQLite file belongs to one node; only PostgreSQL is shared by nodes starting together")
	}
	target := storetest.Target(t, dialect)
	const nodes = 3
	errs := make(chan error, nodes)
	dbs := make(chan *store.DB, nodes)
	for range nodes {
		go func() {
			db, err := store.Open(ctx, target, store.Options{})
			errs <- err
			dbs <- db
		}()
	}
	for range nodes {
		if err := <-errs; err != nil {
			t.Errorf("concurrent open: %v", err)
		}
		if db := <-dbs; db != nil {
			defer db.Close()
			if n := count(t, db, "schema_migrations", ""); n != migrationFiles(t) {
				t.Errorf("%d migrations recorded, want %d", n, migrationFiles(t))
			}
		}
	}
}
