package store_test

// Store throughput on both engines, printed as ops/s, never asserted:
//
//	PARLEY_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	    go test -run '^$' -bench Store -benchtime 2s ./internal/store/
//
// SQLite runs with its production default, synchronous FULL; PostgreSQL as configured.

import (
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/store/storetest"
)

func BenchmarkStore(b *testing.B) {
	for _, d := range storetest.Dialects {
		b.Run(d, func(b *testing.B) {
			storetest.Require(b, d)
			db, err := store.Open(ctx, storetest.Target(b, d), store.Options{Synchronous: "FULL"})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { db.Close() })
			// Concurrent requests, as a busy server has: 8 per core.
			for _, par := range []int{1, 8} {
				b.Run(fmt.Sprintf("login/par%d", par), func(b *testing.B) { benchLogin(b, db, par) })
				b.Run(fmt.Sprintf("getUser/par%d", par), func(b *testing.B) { benchGetUser(b, db, par) })
				b.Run(fmt.Sprintf("write/par%d", par), func(b *testing.B) { benchWrite(b, db, par, false) })
				b.Run(fmt.Sprintf("writeWithEvent/par%d", par), func(b *testing.B) { benchWrite(b, db, par, true) })
			}
		})
	}
}

var benchSeq atomic.Int64

// runPar runs op b.N times over par goroutines per core and reports ops/s.
func runPar(b *testing.B, par int, op func(n int64) error) {
	b.SetParallelism(par)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := op(benchSeq.Add(1)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// benchLogin is a first login as the domain runs it: look the user up, insert it and a
// session, in one write transaction.
func benchLogin(b *testing.B, db *store.DB, par int) {
	runPar(b, par, func(n int64) error {
		return db.Write(ctx, func(tx chat.Tx) error {
			id := "bench-" + strconv.FormatInt(n, 10)
			u, err := tx.UserByPublicID(id)
			if err != nil || u != nil {
				return err
			}
			u = newUser(id, "Bench "+id, chat.Now().Millis())
			if err := tx.InsertUser(u); err != nil {
				return err
			}
			now := chat.Now()
			return tx.InsertSession(&chat.Session{ID: chat.NewID(), UserID: u.ID, DeviceID: "d", IssuedAt: now, ExpiresAt: now.Add(3600e9)})
		})
	})
}

// benchGetUser reads users the login benchmark made, in read transactions.
func benchGetUser(b *testing.B, db *store.DB, par int) {
	users := benchSeq.Load()
	if users == 0 {
		b.Skip("no users yet")
	}
	runPar(b, par, func(n int64) error {
		return db.Read(ctx, func(tx chat.Tx) error {
			id := "bench-" + strconv.FormatInt(1+n%users, 10)
			_, err := tx.UserByPublicID(id) // some seqs made no user: a miss costs the same
			return err
		})
	})
}

// benchWrite is a small state change (one upserted row), with or without its event:
// the shape of every channel and message write. The difference between the two shows
// what appending to the outbox costs, on PostgreSQL its lock included.
func benchWrite(b *testing.B, db *store.DB, par int, event bool) {
	runPar(b, par, func(n int64) error {
		return db.Write(ctx, func(tx chat.Tx) error {
			if err := tx.PutSetting("bench-"+strconv.FormatInt(n, 10), "x"); err != nil || !event {
				return err
			}
			return tx.AppendEvent(chat.Event{Type: "bench", Data: map[string]int64{"n": n}})
		})
	})
}
