package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/store/storetest"
)

// Exactly one holder of the relay lease per database: a second node waits while the
// first holds it, takes it once it is released, and a holder whose lock connection the
// server ends learns that it lost the lease.
func TestRelayLeaseIsExclusive(t *testing.T) {
	target := storetest.Target(t, "postgres")
	ctx := context.Background()
	open := func() *store.DB {
		db, err := store.Open(ctx, target, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	node1, node2 := open(), open()
	first, err := node1.AcquireRelayLease(ctx, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if l, err := node2.AcquireRelayLease(short, 50*time.Millisecond); err == nil {
		l.Release()
		t.Fatal("a second node got the relay lease while the first held it")
	}
	first.Release()
	second, err := node2.AcquireRelayLease(ctx, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	// The server ends the holder's session (as when its node dies or is cut off).
	if err := store.EndLeaseSession(node1, second); err != nil {
		t.Fatal(err)
	}
	select {
	case <-second.Lost():
	case <-time.After(10 * time.Second):
		t.Fatal("the lease survived the end of its lock's session")
	}
	third, err := node1.AcquireRelayLease(ctx, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	third.Release()
}

// On SQLite, one process serves the file: the lease is granted at once.
func TestRelayLeaseOnSQLite(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	l, err := db.AcquireRelayLease(context.Background(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	l.Release()
	<-l.Lost()
}
