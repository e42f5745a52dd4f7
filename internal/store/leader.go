package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"sync"
	"time"

	"github.com/parley-chat/parley/internal/chat"
)

// Lease is the right to drain the outbox: in a cluster, exactly one node's relay holds
// it at a time. On PostgreSQL it is a session advisory lock held on a connection of its
// own; it ends when that connection does (a node that dies, even by SIGKILL, loses it as
// soon as PostgreSQL sees the socket close). On SQLite, whose file one process serves,
// the lease is granted at once and never lost.
type Lease struct {
	conn *sql.Conn // nil on SQLite
	lost chan struct{}
	stop chan struct{}
	once sync.Once
}

// leaseCheck is how often the holder checks that its lock connection is alive, and how
// often the others retry the lock.
const leaseCheck = time.Second

// AcquireRelayLease waits until this process holds the relay lease, trying once every
// retry (default one second), or until ctx ends (then it returns ctx's error).
func (db *DB) AcquireRelayLease(ctx context.Context, retry time.Duration) (chat.Lease, error) {
	l := &Lease{lost: make(chan struct{}), stop: make(chan struct{})}
	if db.d.relayLock == "" {
		return l, nil
	}
	if retry <= 0 {
		retry = leaseCheck
	}
	for {
		if err := db.tryLease(ctx, l); err == nil && l.conn != nil {
			go l.watch()
			return l, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(retry):
		}
	}
}

// tryLease takes a connection out of the pool and tries the lock on it once; the
// connection is kept when the lock is granted and discarded otherwise.
func (db *DB) tryLease(ctx context.Context, l *Lease) error {
	conn, err := db.writer.Conn(ctx)
	if err != nil {
		return err
	}
	var got bool
	if err := conn.QueryRowContext(ctx, db.d.relayLock).Scan(&got); err != nil || !got {
		discard(conn)
		return err
	}
	l.conn = conn
	return nil
}

// watch pings the lock's connection; a failed ping means the lock may be gone (the
// server released it with the session), so the lease is lost.
func (l *Lease) watch() {
	t := time.NewTicker(leaseCheck)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), leaseCheck)
		err := l.conn.PingContext(ctx)
		cancel()
		if err != nil {
			l.Release()
			return
		}
	}
}

// Lost is closed when the lease ends: released, or its connection failed.
func (l *Lease) Lost() <-chan struct{} { return l.lost }

// Release gives the lease up. The lock's connection is closed, not returned to the
// pool, so the server drops the lock with the session whatever state it was in.
func (l *Lease) Release() {
	l.once.Do(func() {
		close(l.stop)
		if l.conn != nil {
			discard(l.conn)
		}
		close(l.lost)
	})
}

// discard closes a connection taken from the pool instead of returning it.
func discard(conn *sql.Conn) {
	conn.Raw(func(any) error { return driver.ErrBadConn })
	conn.Close()
}
