package main

// `parley backup` taken while a real server takes writes, restored with `parley
// restore`: the copy is one consistent moment. Every channel's memberCount equals its
// member rows (a torn copy would hold a counter without its rows or the reverse), and
// every message acknowledged before the backup began is in it.

import (
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/store/storetest"
	_ "modernc.org/sqlite"
)

func TestBackupDuringWritesRestoresAConsistentDatabase(t *testing.T) {
	dir := t.TempDir()
	env := []string{"PARLEY_API_KEY=" + clusterAPIKey, "PARLEY_SERVER_KEY=backup-server-key", "PARLEY_DATA_DIR=" + dir}
	n := startNode(t, "backup", env)

	owner := n.login(t, "owner")
	const channels, users = 3, 24
	feeds := make([]string, channels)
	for i := range feeds {
		id := fmt.Sprintf("load-%d", i)
		if s, out := n.call(t, "POST", "/api/v3/channels", owner.token, map[string]any{"channelId": id, "type": "community", "displayName": id}); s != 200 {
			t.Fatalf("create channel: %d %v", s, out)
		}
		feeds[i] = n.channelID(t, owner.token, id)
	}
	accounts := make([]account, users)
	for i := range accounts {
		accounts[i] = n.login(t, fmt.Sprintf("user-%d", i))
	}

	// The load: each worker moves its users in and out of the channels (memberCount
	// changes with member rows) and posts messages, recording each acknowledged one.
	var (
		mu     sync.Mutex
		acked  []string
		stop   atomic.Bool
		wg     sync.WaitGroup
		writes atomic.Int64
	)
	const workers = 4
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				a := accounts[(w+i*workers)%users]
				ch := i % channels
				path := fmt.Sprintf("/api/v3/channels/load-%d/join", ch)
				method := "POST"
				if i%3 == 2 {
					method, path = "DELETE", fmt.Sprintf("/api/v3/channels/load-%d/leave", ch)
				}
				if s, _ := n.call(t, method, path, a.token, nil); s == 200 {
					writes.Add(1)
				}
				s, out := n.call(t, "POST", "/api/v5/messages", owner.token, textMessage(feeds[ch], fmt.Sprintf("w%d-%d", w, i)))
				if s != 200 {
					continue
				}
				writes.Add(1)
				id := out["messages"].([]any)[0].(map[string]any)["messageId"].(string)
				mu.Lock()
				acked = append(acked, id)
				mu.Unlock()
			}
		}()
	}
	defer func() { stop.Store(true); wg.Wait() }()
	for writes.Load() < 300 {
		time.Sleep(10 * time.Millisecond)
	}

	mu.Lock()
	before := append([]string(nil), acked...)
	mu.Unlock()
	backupFile := filepath.Join(t.TempDir(), "parley-backup.db")
	atStart := writes.Load()
	out, err := exec.Command(binary, "backup", "-data-dir", dir, backupFile).CombinedOutput()
	if err != nil {
		t.Fatalf("parley backup: %v\n%s", err, out)
	}
	during := writes.Load() - atStart
	t.Logf("backup of a database with %d acknowledged messages; %d writes were acknowledged while it ran\n%s", len(before), during, out)

	// Writes continue after the backup: the restore must not see them all the same.
	for writes.Load() < atStart+during+100 {
		time.Sleep(10 * time.Millisecond)
	}
	// Restoring over the running server's database is refused.
	out, err = exec.Command(binary, "restore", "-data-dir", dir, backupFile).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "in use") {
		t.Fatalf("restore over a database in use: %v\n%s", err, out)
	}
	stop.Store(true)
	wg.Wait()
	mu.Lock()
	total := len(acked)
	mu.Unlock()

	restored := t.TempDir()
	out, err = exec.Command(binary, "restore", "-data-dir", restored, backupFile).CombinedOutput()
	if err != nil {
		t.Fatalf("parley restore: %v\n%s", err, out)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(restored, "parley.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	rows, err := db.Query(`SELECT c.channel_id, c.member_count,
		(SELECT COUNT(*) FROM channel_members m WHERE m.channel_id = c.id AND m.membership = 'member')
		FROM channels c`)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for rows.Next() {
		var id string
		var count, members int
		if err := rows.Scan(&id, &count, &members); err != nil {
			t.Fatal(err)
		}
		seen++
		if count != members {
			t.Errorf("channel %s: memberCount %d, member rows %d", id, count, members)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if seen != channels {
		t.Fatalf("restored %d channels, want %d", seen, channels)
	}
	var inBackup int
	if err := db.QueryRow(`SELECT COUNT(*) FROM messages`).Scan(&inBackup); err != nil {
		t.Fatal(err)
	}
	for _, id := range before {
		var found int
		if err := db.QueryRow(`SELECT COUNT(*) FROM messages WHERE id = ?`, id).Scan(&found); err != nil || found != 1 {
			t.Fatalf("message %s, acknowledged before the backup began, is not in it (%v)", id, err)
		}
	}
	if inBackup >= total {
		t.Fatalf("the backup holds %d messages, as many as were ever acknowledged (%d): it was not taken under load", inBackup, total)
	}
	t.Logf("restored: %d messages (%d acknowledged before the backup, %d in all)", inBackup, len(before), total)

	// The restored data dir serves.
	srv := startNode(t, "restored", []string{"PARLEY_API_KEY=" + clusterAPIKey, "PARLEY_SERVER_KEY=backup-server-key", "PARLEY_DATA_DIR=" + restored})
	o := srv.login(t, "owner")
	if s, body := srv.call(t, "GET", "/api/v3/channels/load-0", o.token, nil); s != 200 {
		t.Fatalf("restored server: get channel %d %v", s, body)
	}
}

func TestMigrateCreatesAndUpdatesTheSchema(t *testing.T) {
	dir := t.TempDir()
	for range 2 { // the second run finds nothing to do
		out, err := exec.Command(binary, "migrate", "-data-dir", dir).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "sqlite database migrated") {
			t.Fatalf("parley migrate: %v\n%s", err, out)
		}
	}
	if _, err := exec.Command(binary, "backup", "-data-dir", dir, filepath.Join(dir, "b.db")).CombinedOutput(); err != nil {
		t.Fatalf("backup of the migrated database: %v", err)
	}
	if os.Getenv(storetest.PostgresEnv) != "" {
		url := storetest.Target(t, "postgres")
		out, err := exec.Command(binary, "migrate", "-db", url).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "postgres database migrated") {
			t.Fatalf("parley migrate on PostgreSQL: %v\n%s", err, out)
		}
	}
}

func TestBackupAndRestoreNameThePostgresTools(t *testing.T) {
	for _, cmd := range []string{"backup", "restore"} {
		out, err := exec.Command(binary, cmd, "-db", "postgres://nobody@127.0.0.1:1/none", filepath.Join(t.TempDir(), "x")).CombinedOutput()
		if code := exitCode(err); code != 1 || !strings.Contains(string(out), "pg_") {
			t.Fatalf("parley %s on PostgreSQL: exit %d\n%s", cmd, code, out)
		}
	}
	out, err := exec.Command(binary, "backup").CombinedOutput()
	if code := exitCode(err); code != 2 {
		t.Fatalf("parley backup without a file: exit %d\n%s", code, out)
	}
}
