package main

// These tests run the real binary: `parley serve` on a free loopback port with its own
// data directory, as a newcomer would.

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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
	p.cmd.Env = append(os.Environ(), append([]string{"PARLEY_LISTEN=" + addr, "PARLEY_DATA_DIR=" + dataDir}, env...)...)
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

func TestKeysAreGeneratedKeptAndPrintedOnce(t *testing.T) {
	dir := t.TempDir()
	p := start(t, dir)
	key, err := os.ReadFile(filepath.Join(dir, "api-key"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.stderr.String(), strings.TrimSpace(string(key))) {
		t.Fatalf("the generated API key was not printed:\n%s", p.stderr)
	}
	info, _ := os.Stat(filepath.Join(dir, "server-key"))
	if info == nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("server key file missing or readable by others: %v", info)
	}
	p.stop(t)

	p = start(t, dir)
	if strings.Contains(p.stderr.String(), "generated") {
		t.Fatalf("keys printed again on the second start:\n%s", p.stderr)
	}
	// The kept key still logs users in.
	req, _ := http.NewRequest("POST", p.base+"/api/v5/sessions", strings.NewReader(`{"userId":"u","deviceId":"d"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", strings.TrimSpace(string(key)))
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
	p.stop(t)
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

func TestBadSettingIsRefused(t *testing.T) {
	out, err := exec.Command(binary, "serve", "-sqlite-synchronous", "SOMETIMES", "-data-dir", t.TempDir()).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "PARLEY_SQLITE_SYNCHRONOUS") {
		t.Fatalf("want a refusal naming the setting, got %v: %s", err, out)
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
