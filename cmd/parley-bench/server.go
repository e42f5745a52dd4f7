package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to create and drop the run's schema
)

// server is the Parley under test: one this tool started, or one it targets.
type server struct {
	stats     *pgStats // -pg-stats
	base      string
	apiKey    string
	serverKey string
	cmd       *exec.Cmd
	dir       string
	http      *http.Client
	db        string // PARLEY_DB as given (for the report)
	schema    string // the fresh PostgreSQL schema of a started server, dropped at stop
	debug     string // address of the started server's pprof listener, when profiling
	peakRSS   float64
}

func startOrTarget(ctx context.Context, o options) (*server, error) {
	s := &server{http: newClient(o.clients * 2)}
	if o.target != "" {
		s.base, s.apiKey, s.serverKey = strings.TrimSuffix(o.target, "/"), o.apiKey, o.serverKey
		return s, s.waitReady(ctx, 10*time.Second)
	}
	dir, err := os.MkdirTemp("", "parley-bench-")
	if err != nil {
		return nil, err
	}
	s.dir = dir
	bin := o.binary
	if bin == "" {
		bin = filepath.Join(dir, "parley")
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/parley")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return nil, fmt.Errorf("build parley (run from the repository root): %w", err)
		}
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s.base = "http://127.0.0.1:" + strconv.Itoa(port)
	s.apiKey, s.serverKey, s.db = "bench-api-key", "bench-server-key", o.db
	db := o.db
	if isPostgres(db) {
		// Every run gets an empty schema of its own: a second run on the same database
		// would otherwise find the first run's users, channels and memberships, and
		// measure no-ops (adding members already there) or fail (leaving twice).
		if db, s.schema, err = freshSchema(ctx, o.db); err != nil {
			return nil, err
		}
	}
	s.cmd = exec.Command(bin, "serve")
	dieWithParent(s.cmd)
	s.cmd.Env = append(os.Environ(),
		"PARLEY_LISTEN=127.0.0.1:"+strconv.Itoa(port), "PARLEY_DATA_DIR="+filepath.Join(dir, "data"),
		"PARLEY_API_KEY="+s.apiKey, "PARLEY_SERVER_KEY="+s.serverKey, "PARLEY_DB="+db, "PARLEY_LOG_FORMAT=json")
	if o.profileDir != "" {
		dport, err := freePort()
		if err != nil {
			return nil, err
		}
		s.debug = "127.0.0.1:" + strconv.Itoa(dport)
		s.cmd.Env = append(s.cmd.Env, "PARLEY_DEBUG_LISTEN="+s.debug)
	}
	logf, _ := os.Create(filepath.Join(dir, "server.log"))
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	if err := s.waitReady(ctx, 30*time.Second); err != nil {
		s.stop()
		return nil, fmt.Errorf("%w (log: %s)", err, filepath.Join(dir, "server.log"))
	}
	return s, nil
}

func (s *server) describe() string {
	if s.cmd == nil {
		return "target " + s.base
	}
	if s.db != "" {
		return "started, PARLEY_DB=" + redact(s.db)
	}
	return "started, SQLite"
}

func redact(url string) string {
	if i := strings.Index(url, "@"); i > 0 {
		if j := strings.Index(url, "://"); j > 0 && j < i {
			return url[:j+3] + "…" + url[i:]
		}
	}
	return url
}

func (s *server) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			s.cmd.Process.Kill()
		}
	}
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
	if s.schema != "" {
		if err := dropSchema(s.db, s.schema); err != nil {
			fmt.Fprintln(os.Stderr, "parley-bench: drop schema", s.schema+":", err)
		}
	}
}

func (s *server) waitReady(ctx context.Context, d time.Duration) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if res, err := s.http.Get(s.base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("server at %s not ready after %s", s.base, d)
}

// cpuSeconds reads the server's process_cpu_seconds_total from /metrics.
func (s *server) cpuSeconds() float64 { return s.metric("process_cpu_seconds_total") }

// rssMB is the server's resident memory now (process_resident_memory_bytes), which also
// raises the peak seen by sampling (the only peak known for a server this tool did not
// start).
func (s *server) rssMB() float64 {
	mb := s.metric("process_resident_memory_bytes") / (1 << 20)
	s.peakRSS = max(s.peakRSS, mb)
	return mb
}

// metric reads one unlabelled sample from the server's /metrics.
func (s *server) metric(name string) float64 {
	res, err := s.http.Get(s.base + "/metrics")
	if err != nil {
		return 0
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}

// maxRSSMB is the server's peak resident memory over the whole run: the kernel's
// high-water mark (VmHWM) for a server this tool started, else the highest sample.
func (s *server) maxRSSMB() float64 {
	if s.cmd == nil || s.cmd.Process == nil {
		return s.peakRSS
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}

// callWithHeader is call with one extra header and no Bearer token (keys, not tokens).
func (s *server) callWithHeader(ctx context.Context, method, path, header, value string, out any, body ...any) error {
	var b any
	if len(body) > 0 {
		b = body[0]
	}
	return s.do(ctx, method, path, map[string]string{header: value}, b, out)
}

// call sends a JSON request and decodes a JSON answer; a non-2xx status is an error.
func (s *server) call(ctx context.Context, method, path, token string, body, out any) error {
	var h map[string]string
	if token != "" {
		h = map[string]string{"Authorization": "Bearer " + token}
	}
	return s.do(ctx, method, path, h, body, out)
}

func (s *server) do(ctx context.Context, method, path string, header map[string]string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := s.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	buf := bodies.Get().(*bytes.Buffer)
	defer bodies.Put(buf)
	buf.Reset()
	if _, err := buf.ReadFrom(res.Body); err != nil {
		return err
	}
	if res.StatusCode/100 != 2 {
		return &statusError{status: res.StatusCode, body: buf.String()}
	}
	if out != nil {
		return json.Unmarshal(buf.Bytes(), out)
	}
	return nil
}

// bodies recycles answer buffers: the clients share the cores with the server, so every
// allocation they skip is CPU the server gets (a page of members is 10 kB).
var bodies = sync.Pool{New: func() any { return new(bytes.Buffer) }}

type statusError struct {
	status int
	body   string
}

func (e *statusError) Error() string {
	if len(e.body) > 200 {
		e.body = e.body[:200]
	}
	return fmt.Sprintf("HTTP %d: %s", e.status, e.body)
}

func newClient(conns int) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: conns, MaxIdleConnsPerHost: conns, IdleConnTimeout: time.Minute,
	}}
}

func isPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// freshSchema creates schema bench_<random> in the database and returns the URL with
// search_path set to it.
func freshSchema(ctx context.Context, db string) (string, string, error) {
	u, err := url.Parse(db)
	if err != nil {
		return "", "", err
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "bench_" + hex.EncodeToString(b)
	conn, err := sql.Open("pgx", db)
	if err != nil {
		return "", "", err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", "", fmt.Errorf("create schema %s: %w", schema, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), schema, nil
}

func dropSchema(db, schema string) error {
	conn, err := sql.Open("pgx", db)
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.Exec("DROP SCHEMA " + schema + " CASCADE")
	return err
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
