package main

// These tests run the real binary: `parley serve` on a free loopback port with its own
// data directory, as a newcomer would.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "parley-bin-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "parley")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type proc struct {
	cmd    *exec.Cmd
	base   string
	stderr *syncBuffer // the process writes it while the test reads
	done   chan error
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func start(t *testing.T, dataDir string, env ...string) *proc {
	t.Helper()
	addr := freeAddr(t)
	p := &proc{base: "http://" + addr, stderr: &syncBuffer{}, done: make(chan error, 1)}
	p.cmd = exec.Command(binary, "serve")
	// A short drain delay: each stop goes through it without making the tests slow.
	p.cmd.Env = append(os.Environ(), append([]string{"PARLEY_LISTEN=" + addr, "PARLEY_DATA_DIR=" + dataDir, "PARLEY_DRAIN_DELAY=100ms"}, env...)...)
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() { p.cmd.Process.Kill() })
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get(p.base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return p
			}
		}
		select {
		case err := <-p.done:
			t.Fatalf("server exited: %v\n%s", err, p.stderr)
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("server not ready\n%s", p.stderr)
	return nil
}

func (p *proc) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, p.stderr)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("no exit after SIGTERM\n%s", p.stderr)
	}
}

// TestKeysAreGeneratedKeptAndNeverLogged starts on an empty data dir: the keys are
// generated into files only the owner reads, the log says where (never the keys), and
// the data dir and the database are the owner's alone.
func TestKeysAreGeneratedKeptAndNeverLogged(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data") // made by the server
	p := start(t, dir)
	var keys []string
	for _, name := range []string{"api-key", "server-key"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, strings.TrimSpace(string(b)))
		if !strings.Contains(p.stderr.String(), filepath.Join(dir, name)) {
			t.Errorf("the log does not say where the new %s is kept:\n%s", name, p.stderr)
		}
	}
	// The kept key logs users in.
	req, _ := http.NewRequest("POST", p.base+"/api/v5/sessions", strings.NewReader(`{"userId":"u","deviceId":"d"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", keys[0])
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("login with the kept key: %v %v", err, res)
	}
	res.Body.Close()
	// That login was a write: with the default synchronous=FULL its commit was fsynced.
	res, err = http.Get(p.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if m := regexp.MustCompile(`(?m)^parley_store_wal_fsyncs_total (\d+)`).FindSubmatch(metrics); m == nil || string(m[1]) == "0" {
		t.Fatalf("no WAL fsync counted after a write: %q", m)
	}
	wantModes(t, map[string]os.FileMode{
		dir: 0o700, filepath.Join(dir, "api-key"): 0o600, filepath.Join(dir, "server-key"): 0o600,
		filepath.Join(dir, "parley.db"): 0o600, filepath.Join(dir, "parley.db-wal"): 0o600, filepath.Join(dir, "parley.db-shm"): 0o600,
	})
	p.stop(t)
	logs := p.stderr.String()

	p = start(t, dir)
	if strings.Contains(p.stderr.String(), "generated") {
		t.Fatalf("keys generated again on the second start:\n%s", p.stderr)
	}
	p.stop(t)
	logs += p.stderr.String()
	for _, key := range keys {
		if strings.Contains(logs, key) {
			t.Fatalf("a key is in the log:\n%s", logs)
		}
	}
}

func wantModes(t *testing.T, modes map[string]os.FileMode) {
	t.Helper()
	for path, want := range modes {
		info, err := os.Stat(path)
		if err != nil {
			t.Error(err)
		} else if info.Mode().Perm() != want {
			t.Errorf("%s is %v, want %v", path, info.Mode().Perm(), want)
		}
	}
}

func TestConfiguredKeysWin(t *testing.T) {
	dir := t.TempDir()
	p := start(t, dir, "PARLEY_API_KEY=k1", "PARLEY_SERVER_KEY=s1")
	if _, err := os.Stat(filepath.Join(dir, "api-key")); err == nil {
		t.Fatal("a configured key must not be written to the data dir")
	}
	req, _ := http.NewRequest("POST", p.base+"/api/v1/admin-token", nil)
	req.Header.Set("x-server-key", "s1")
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("admin token with the configured key: %v %v", err, res)
	}
	p.stop(t)
}

// TestSIGTERMDrainsInFlightRequests holds a request open (a slow upload) while SIGTERM
// arrives: the request must complete, and the process must then exit 0.
func TestSIGTERMDrainsInFlightRequests(t *testing.T) {
	dir := t.TempDir()
	p := start(t, dir, "PARLEY_API_KEY=k", "PARLEY_SERVER_KEY=s")
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", p.base+"/api/v5/sessions", pr)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", "k")
	result := make(chan int, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			result <- -1
			return
		}
		res.Body.Close()
		result <- res.StatusCode
	}()
	pw.Write([]byte(`{"userId":"slow",`))
	time.Sleep(200 * time.Millisecond) // the request is now in flight
	p.cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(200 * time.Millisecond)
	pw.Write([]byte(`"deviceId":"d"}`))
	pw.Close()
	if status := <-result; status != 200 {
		t.Fatalf("in-flight request during drain answered %d", status)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, p.stderr)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no exit after drain")
	}
}

// TestBadSettingsStopTheServer runs the binary with bad values, as variables and as
// flags: each stops it with exit code 2 and one line naming the setting, and nothing is
// created.
func TestBadSettingsStopTheServer(t *testing.T) {
	for _, tc := range []struct {
		env, args []string
		name      string
	}{
		{env: []string{"PARLEY_SECURE_MODE=yes"}, name: "PARLEY_SECURE_MODE"},
		{args: []string{"-secure-mode=yes"}, name: "-secure-mode"},
		{env: []string{"PARLEY_TOKEN_TTL=30days"}, name: "PARLEY_TOKEN_TTL"},
		{env: []string{"PARLEY_MAX_BODY_BYTES=0"}, name: "PARLEY_MAX_BODY_BYTES"},
		{env: []string{"PARLEY_PUBLIC_URL=chat.example.com"}, name: "PARLEY_PUBLIC_URL"},
		{env: []string{"PARLEY_LOG_FORMAT=xml"}, name: "PARLEY_LOG_FORMAT"},
		{args: []string{"-log-format", "xml"}, name: "-log-format"},
		{env: []string{"PARLEY_DB=mysql://root:pw@127.0.0.1/parley"}, name: "PARLEY_DB"},
		{args: []string{"-db", "foo:bar"}, name: "-db"},
		{args: []string{"-sqlite-synchronous", "SOMETIMES"}, name: "-sqlite-synchronous"},
		{env: []string{"PARLEY_ACCESS_LOG=yes"}, name: "PARLEY_ACCESS_LOG"},
		{env: []string{"PARLEY_LISTEN=8080"}, name: "PARLEY_LISTEN"},
		{env: []string{"PARLEY_MEDIA=livekit"}, name: "PARLEY_LIVEKIT_URL"},
		{args: []string{"-no-such-setting"}, name: "-no-such-setting"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			// A server that takes the setting runs on: it is killed after a while.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, binary, append([]string{"serve"}, tc.args...)...)
			cmd.Env = append(os.Environ(), append([]string{"PARLEY_DATA_DIR=" + dir, "PARLEY_LISTEN=127.0.0.1:0"}, tc.env...)...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			if code := exitCode(err); code != 2 {
				t.Fatalf("exit code %d, want 2; stderr:\n%s", code, &stderr)
			}
			if out := strings.TrimSuffix(stderr.String(), "\n"); strings.Contains(out, "\n") || !strings.Contains(out, tc.name) {
				t.Fatalf("want one line naming %s, got:\n%s", tc.name, out)
			}
			if _, err := os.Stat(dir); err == nil {
				t.Fatal("a refused setting must stop the server before it creates its data dir")
			}
		})
	}
}

func exitCode(err error) int {
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.ExitCode()
	}
	return -1
}

// TestHelpExitsZero: asking for the usage is no failure.
func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{{"serve", "-h"}, {"serve", "--help"}, {"-h"}, {"help"}} {
		out, err := exec.Command(binary, args...).Output()
		if code := exitCode(err); code != 0 {
			t.Errorf("parley %s: exit code %d, want 0", strings.Join(args, " "), code)
		}
		want := "parley <command>"
		if args[0] == "serve" {
			want = "-listen, PARLEY_LISTEN (default 127.0.0.1:8080)"
		}
		if !strings.Contains(string(out), want) {
			t.Errorf("parley %s printed no usage on stdout (want %q):\n%s", strings.Join(args, " "), want, out)
		}
	}
	if code := exitCode(exec.Command(binary).Run()); code != 2 {
		t.Errorf("parley without a command: exit code %d, want 2", code)
	}
}

// TestVersion compares `parley version` with what `go version -m` reads from the same
// binary: the module version, the commit (when the build recorded one) and Go's version.
func TestVersion(t *testing.T) {
	for _, arg := range []string{"version", "-version"} {
		out, err := exec.Command(binary, arg).Output()
		if err != nil {
			t.Fatalf("parley %s: %v", arg, err)
		}
		info, err := exec.Command("go", "version", "-m", binary).Output()
		if err != nil {
			t.Fatal(err)
		}
		line := strings.TrimSpace(string(out))
		want := []string{"parley "}
		if m := regexp.MustCompile(`(?m)^\s+mod\s+\S+\s+(\S+)`).FindSubmatch(info); m != nil {
			want = append(want, "parley "+string(m[1]))
		}
		if m := regexp.MustCompile(`(?m)^\s+build\s+vcs.revision=(\S+)`).FindSubmatch(info); m != nil {
			want = append(want, "commit "+string(m[1]))
		}
		if m := regexp.MustCompile(`(?m)^\S+: (go\S+)`).FindSubmatch(info); m != nil {
			want = append(want, string(m[1]))
		}
		if len(want) < 3 {
			t.Fatalf("go version -m told neither the module nor Go's version:\n%s", info)
		}
		for _, w := range want {
			if !strings.Contains(line, w) {
				t.Errorf("parley %s = %q, want it to hold %q (go version -m:\n%s)", arg, line, w, info)
			}
		}
	}
}

func TestDescribeBuild(t *testing.T) {
	info := &debug.BuildInfo{GoVersion: "go1.99.1", Main: debug.Module{Version: "v1.2.3"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.time", Value: "2026-12-01T10:00:00Z"}, {Key: "vcs.modified", Value: "true"},
	}}
	for _, tc := range []struct {
		release string
		info    *debug.BuildInfo
		want    string
	}{
		{"", info, "parley v1.2.3 commit 0123abcd+modified 2026-12-01T10:00:00Z go1.99.1"},
		{"v2.0.0", info, "parley v2.0.0 commit 0123abcd+modified 2026-12-01T10:00:00Z go1.99.1"},
		{"", &debug.BuildInfo{GoVersion: "go1.99.1", Main: debug.Module{Version: "(devel)"}}, "parley (devel) go1.99.1"},
	} {
		if got := describeBuild(tc.release, tc.info); got != tc.want {
			t.Errorf("describeBuild(%q) = %q, want %q", tc.release, got, tc.want)
		}
	}
}

// TestReadyzAnswers503WhileDraining sends SIGTERM with a long drain delay: /readyz turns
// 503 at once, while new connections are still accepted and requests served.
func TestReadyzAnswers503WhileDraining(t *testing.T) {
	p := start(t, t.TempDir(), "PARLEY_API_KEY=k", "PARLEY_SERVER_KEY=s", "PARLEY_DRAIN_DELAY=60s")
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}} // a new connection each time
	p.cmd.Process.Signal(syscall.SIGTERM)
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := fresh.Get(p.base + "/readyz")
		if err != nil {
			t.Fatalf("the listener refused a connection during the drain delay: %v\n%s", err, p.stderr)
		}
		res.Body.Close()
		if res.StatusCode == 503 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still answers %d after SIGTERM", res.StatusCode)
		}
		time.Sleep(20 * time.Millisecond)
	}
	req, _ := http.NewRequest("POST", p.base+"/api/v5/sessions", strings.NewReader(`{"userId":"late","deviceId":"d"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", "k")
	res, err := fresh.Do(req)
	if err != nil {
		t.Fatalf("a request during the drain delay: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("a login during the drain delay answered %d", res.StatusCode)
	}
	if !strings.Contains(p.stderr.String(), "draining") {
		t.Fatalf("no drain in the log:\n%s", p.stderr)
	}
	// A second signal ends the wait at once.
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		t.Fatal("a second SIGTERM did not end the process")
	}
}

// syncBuffer is a bytes.Buffer the process writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
