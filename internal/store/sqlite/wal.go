package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// walSyncer makes the writer's commits durable by fsyncing the WAL file (doc.go).
// Commits are numbered in order: begin numbers one before its COMMIT runs, written
// records that its frames are in the file, and sync(n) returns once commit n is on disk.
// One fsync covers every commit written before it starts, so concurrent syncs share one,
// as the commits of a batch share one COMMIT.
//
// With file nil (synchronous other than FULL or EXTRA, where durability was not asked
// for) every commit counts as durable once written.
type walSyncer struct {
	file                  *os.File
	fsync                 func() error // file.Sync; tests stand in for the disk
	begun, wrote, durable atomic.Int64
	syncMu                sync.Mutex    // one fsync at a time
	mu                    sync.Mutex    // guards changed and failed
	changed               chan struct{} // closed and replaced whenever durable moves
	failed                error         // a failed fsync: nothing after it is durable

	syncs, syncNanos atomic.Int64 // fsyncs done and their time, for Stats
}

func newWALSyncer(file *os.File) *walSyncer {
	s := &walSyncer{file: file, changed: make(chan struct{})}
	if file != nil {
		s.fsync = file.Sync
	}
	return s
}

// ownWALSync sets up the writer connection c of the database file at path for the
// synchronous level asked for. For FULL and EXTRA the engine does the WAL's fsync itself:
// the connection commits with NORMAL and the returned syncer holds the WAL file open
// (SQLite keeps that file, the same inode, while any connection is open; a checkpoint
// fsyncs it before copying frames into the database file, and NORMAL keeps that). The
// directory is fsynced once so that the WAL file itself survives a power loss.
func ownWALSync(ctx context.Context, c *conn, path, level string) (*walSyncer, error) {
	if l := strings.ToUpper(level); l != "FULL" && l != "EXTRA" {
		return newWALSyncer(nil), nil
	}
	if _, err := c.conn.ExecContext(ctx, "PRAGMA synchronous=NORMAL"); err != nil {
		return nil, fmt.Errorf("writer synchronous: %w", err)
	}
	// The WAL file exists once the journal mode is WAL and something was written: open
	// it, or make SQLite create it.
	f, err := os.Open(path + "-wal")
	if errors.Is(err, os.ErrNotExist) {
		// A write creates it: set user_version to what it is.
		var v int
		if err = c.conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err == nil {
			if _, err = c.conn.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version=%d", v)); err == nil {
				f, err = os.Open(path + "-wal")
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open the WAL for fsync: %w", err)
	}
	if dir, err := os.Open(filepath.Dir(path)); err == nil {
		err = dir.Sync()
		dir.Close()
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("fsync %s: %w", filepath.Dir(path), err)
		}
	}
	return newWALSyncer(f), nil
}

func (s *walSyncer) begin() int64 { return s.begun.Add(1) }

func (s *walSyncer) written(seq int64) { s.wrote.Store(seq) }

// sync makes commit seq durable (and every commit before it).
func (s *walSyncer) sync(seq int64) error {
	if s.durable.Load() >= seq {
		return nil
	}
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	if s.durable.Load() >= seq {
		return nil
	}
	through := s.wrote.Load() // >= seq: its writer called written before sync
	var err error
	if s.fsync != nil {
		start := time.Now()
		err = s.fsync()
		s.syncNanos.Add(int64(time.Since(start)))
		s.syncs.Add(1)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		// Like PostgreSQL, trust nothing after a failed fsync: the kernel may have
		// dropped the dirty pages, and a retry could report success for lost data.
		if s.failed == nil {
			s.failed = fmt.Errorf("fsync of the SQLite WAL failed; restart the server: %w", err)
		}
	} else if s.failed == nil {
		s.durable.Store(through)
	}
	close(s.changed)
	s.changed = make(chan struct{})
	return s.failed
}

// wait returns once commit seq is durable. Readers call it with the number of the
// last commit begun after their snapshot ended, which covers every commit they saw; the
// writer of that commit does the fsync, so wait only waits.
func (s *walSyncer) wait(seq int64) error {
	for {
		if s.durable.Load() >= seq {
			return nil
		}
		s.mu.Lock()
		ch, failed := s.changed, s.failed
		s.mu.Unlock()
		if failed != nil {
			return failed
		}
		if s.durable.Load() >= seq {
			return nil
		}
		<-ch
	}
}

func (s *walSyncer) close() error {
	if s.file == nil {
		return nil
	}
	return s.file.Close()
}
