package store_test

import (
	"testing"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/store/storetest"
)

// The moderation tables on every dialect (docs/moderation.md): flag counts read back
// through the row cache, list entries unique by Unicode case folding, audit pages in
// (created_at, id) order when many entries share a millisecond.
func TestConformanceModeration(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			storetest.Require(t, d)
			t.Run("userFlagCount", func(t *testing.T) { testUserFlagCount(t, storetest.Open(t, d)) })
			t.Run("wordsFoldCase", func(t *testing.T) { testWordsFoldCase(t, storetest.Open(t, d)) })
			t.Run("auditPaging", func(t *testing.T) { testAuditPaging(t, storetest.Open(t, d)) })
		})
	}
}

func testUserFlagCount(t *testing.T, db *store.DB) {
	u, f1, f2 := newUser("u", "U", 1), newUser("f1", "F", 1), newUser("f2", "F", 1)
	write(t, db, func(tx chat.Tx) error {
		for _, x := range []*chat.User{u, f1, f2} {
			if err := tx.InsertUser(x); err != nil {
				return err
			}
		}
		return nil
	})
	read(t, db, func(tx chat.Tx) error { _, err := tx.UserByID(u.ID); return err }) // cache the row
	write(t, db, func(tx chat.Tx) error {
		for _, f := range []string{f1.ID, f2.ID, f1.ID} {
			added, err := tx.PutUserFlag(u.ID, f, "", chat.Now())
			if err != nil {
				return err
			}
			if added {
				if _, err := tx.AddUserFlagCount(u.ID, 1, chat.Now()); err != nil {
					return err
				}
			}
		}
		return nil
	})
	read(t, db, func(tx chat.Tx) error {
		got, err := tx.UserByID(u.ID)
		if err == nil && got.FlagCount != 2 {
			t.Errorf("flagCount read back %d, want 2", got.FlagCount)
		}
		return err
	})
	write(t, db, func(tx chat.Tx) error {
		n, err := tx.ClearUserFlags(u.ID, chat.Now())
		if err == nil && n != 2 {
			t.Errorf("cleared %d flags", n)
		}
		return err
	})
	read(t, db, func(tx chat.Tx) error {
		got, err := tx.UserByID(u.ID)
		if err == nil && got.FlagCount != 0 {
			t.Errorf("flagCount after clear %d", got.FlagCount)
		}
		return err
	})
}

func testWordsFoldCase(t *testing.T, db *store.DB) {
	write(t, db, func(tx chat.Tx) error {
		for i, text := range []string{"ΣΊΣΥΦΟΣ", "σίσυφος", "Darn", "DARN", "darn"} {
			added, err := tx.PutWord(&chat.ListedWord{ID: chat.NewID(), List: chat.Blocklist, Text: text, CreatedAt: chat.Now()})
			if err != nil {
				return err
			}
			if want := i == 0 || i == 2; added != want {
				t.Errorf("%q added %v, want %v", text, added, want)
			}
		}
		_, err := tx.PutWord(&chat.ListedWord{ID: chat.NewID(), List: chat.Allowlist, Text: "darn", CreatedAt: chat.Now()})
		return err
	})
	if n := count(t, db, "moderation_words", "list = 'block'"); n != 2 {
		t.Fatalf("%d blocklist entries", n)
	}
}

func testAuditPaging(t *testing.T, db *store.DB) {
	at := chat.Now()
	var ids []string
	write(t, db, func(tx chat.Tx) error {
		for i := 0; i < 7; i++ {
			e := &chat.AuditEntry{ID: chat.NewID(), Action: "user.globalBan", ActorID: "admin", TargetType: "user",
				TargetID: "t", CreatedAt: at}
			ids = append(ids, e.ID)
			if err := tx.AppendAudit(e); err != nil {
				return err
			}
		}
		return nil
	})
	var got []string
	var after *chat.Cursor
	for {
		var page []chat.AuditEntry
		read(t, db, func(tx chat.Tx) (err error) {
			page, err = tx.ListAudit(chat.AuditQuery{TargetID: "t", Limit: 3, After: after})
			return err
		})
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			got = append(got, e.ID)
		}
		last := page[len(page)-1]
		after = &chat.Cursor{N: last.CreatedAt.Millis(), ID: last.ID}
	}
	if len(got) != 7 {
		t.Fatalf("paged %d entries", len(got))
	}
	for i := range got {
		if got[i] != ids[6-i] {
			t.Fatalf("page order %v, want newest id first of %v", got, ids)
		}
	}
}
