package httpapi_test

// The test kit every HTTP test uses: a real router on a real store, driven over real HTTP, with every response validated against the project's own OpenAPI
// document. A response the document does not describe fails the test.
//
// The store is SQLite in a temp dir; with PARLEY_TEST_DIALECT=postgres (and
// PARLEY_TEST_POSTGRES holding a URL) it is PostgreSQL, in a fresh schema for each test,
// so that the whole suite runs on either engine.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/parley-chat/parley/internal/blob"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/chat/chattest"
	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/room"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/store/storetest"
)

const (
	testAPIKey    = "test-api-key"
	testServerKey = "test-server-key"
)

var openapiRouter = sync.OnceValues(func() (routers.Router, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(httpapi.OpenAPI())
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("openapi document is invalid: %w", err)
	}
	return legacy.NewRouter(doc)
})

// env is one server under test.
type env struct {
	t     testing.TB
	srv   *httptest.Server
	svc   *chat.Service
	rooms *room.Service
	db    *store.DB
	dir   string
	// clock is the service's: tests move it on rather than sleep for a mute or a token
	// to end.
	clock *chattest.Clock
}

// envConfig is what an envOption may change: the domain's configuration and the rooms'
// media server.
type envConfig struct {
	chat.Config
	media room.Media
}

type envOption func(*envConfig)

func secureMode(c *envConfig) { c.SecureMode = true }

// newEnv takes a testing.TB so that fuzz targets can share one server across inputs.
func newEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	db := storetest.Open(t, storetest.Dialect(t))
	blobs, err := blob.NewDir(filepath.Join(dir, "files"))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: db, dir: dir, clock: &chattest.Clock{}}
	e.srv = httptest.NewUnstartedServer(nil)
	cfg := envConfig{Config: chat.Config{APIKey: testAPIKey, ServerKey: testServerKey, PublicURL: "http://" + e.srv.Listener.Addr().String(), Clock: e.clock.Now}}
	for _, o := range opts {
		o(&cfg)
	}
	e.svc, err = chat.New(ctx, db, blobs, cfg.Config)
	if err != nil {
		t.Fatal(err)
	}
	e.rooms = room.New(e.svc, cfg.media)
	e.srv.Config.Handler = httpapi.New(e.svc, httpapi.Options{Rooms: e.rooms, Config: httpapi.Config{MaxBodyBytes: 256 << 10, MaxUploadBytes: 2 << 20}})
	e.srv.Start()
	t.Cleanup(e.srv.Close) // before the store closes: cleanups run last first
	return e
}

// now is the service clock's time, at the wire's precision.
func (e *env) now() chat.Time { return chat.Time{Time: e.clock.Now().UTC().Truncate(time.Millisecond)} }

// in returns the env reporting to t, for use inside subtests (a failure then marks the
// subtest, not its parent).
func (e *env) in(t *testing.T) *env {
	c := *e
	c.t = t
	return &c
}

// resp is a response, already validated against the OpenAPI document.
type resp struct {
	t      testing.TB
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a generic value.
func (r *resp) JSON() map[string]any {
	r.t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		r.t.Fatalf("body is not a JSON object: %v: %s", err, r.Body)
	}
	return m
}

// Decode decodes the body into v.
func (r *resp) Decode(v any) {
	r.t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		r.t.Fatalf("decode %T: %v: %s", v, err, r.Body)
	}
}

// Code is the Amity error code of an error body, 0 for a success body.
func (r *resp) Code() int {
	var e struct {
		Code int `json:"code"`
	}
	json.Unmarshal(r.Body, &e)
	return e.Code
}

// expect fails the test unless the response has the HTTP status and Amity code given.
func (r *resp) expect(status, code int) *resp {
	r.t.Helper()
	if r.Status != status || (code != 0 && r.Code() != code) {
		r.t.Fatalf("want %d/%d, got %d: %s", status, code, r.Status, r.Body)
	}
	return r
}

func (r *resp) ok() *resp { r.t.Helper(); return r.expect(200, 0) }

// req describes a request: raw body bytes, or a value encoded as JSON.
type req struct {
	method, path string
	token        string
	body         any
	header       map[string]string
}

// internalsInError finds what no error answer may carry: socket addresses, file paths and
// database driver text (issue 26 item 8). Every error answer of the package's tests goes
// through it, in do.
var internalsInError = regexp.MustCompile(`(?i)\b\d{1,3}(\.\d{1,3}){3}:\d+|\[::1?\]:\d+|i/o timeout|connection reset|/tmp/|/home/|\.go:\d+|\bsqlite|SQLSTATE|\bpq: |\bpgx|pgconn|database/sql|no such table|constraint failed|duplicate key`)

// do sends a request and validates the response against the OpenAPI document.
func (e *env) do(q req) *resp {
	e.t.Helper()
	var body io.Reader
	var raw []byte
	contentType := ""
	switch b := q.body.(type) {
	case nil:
	case []byte:
		raw, contentType = b, "application/json"
	case string:
		raw, contentType = []byte(b), "application/json"
	default:
		raw, _ = json.Marshal(b)
		contentType = "application/json"
	}
	if raw != nil {
		body = bytes.NewReader(raw)
	}
	hr, err := http.NewRequest(q.method, e.srv.URL+q.path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		hr.Header.Set("Content-Type", contentType)
	}
	if q.token != "" {
		hr.Header.Set("Authorization", "Bearer "+q.token)
	}
	for k, v := range q.header {
		hr.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	r := &resp{t: e.t, Status: res.StatusCode, Header: res.Header, Body: out}
	if r.Status >= 500 {
		e.t.Errorf("%s %s answered %d: %s", q.method, q.path, r.Status, out)
	}
	if r.Status >= 400 {
		if leak := internalsInError.Find(out); leak != nil {
			e.t.Errorf("%s %s: error answer carries internals (%q): %s", q.method, q.path, leak, out)
		}
	}
	// JSON answers say their length up front (writeJSON): net/http would send a body over
	// 2 kB in chunks, through an extra copy.
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") && res.ContentLength != int64(len(out)) {
		e.t.Errorf("%s %s: Content-Length %d for a %d-byte JSON answer", q.method, q.path, res.ContentLength, len(out))
	}
	e.validate(hr, raw, r)
	return r
}

// validate checks a response against the OpenAPI document: the route must be documented
// and the body must match the schema of its status.
func (e *env) validate(hr *http.Request, reqBody []byte, r *resp) {
	e.t.Helper()
	if hr.Method == http.MethodOptions && hr.Header.Get("Access-Control-Request-Method") != "" || hr.URL.Path == "/mqtt" {
		return // CORS preflights and the WebSocket mount are answered outside the REST routes (cors_test.go)
	}
	router, err := openapiRouter()
	if err != nil {
		e.t.Fatal(err)
	}
	vr := hr.Clone(context.Background())
	vr.URL.Host, vr.URL.Scheme, vr.Host = "", "", ""
	if reqBody != nil {
		vr.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	route, params, err := router.FindRoute(vr)
	if err != nil {
		if r.Code() == 400400 && strings.Contains(string(r.Body), "Route ") {
			return // an undocumented route answered "not found", as it should
		}
		e.t.Errorf("%s %s is not in the OpenAPI document: %v", hr.Method, hr.URL.Path, err)
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: vr, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
		},
		Status: r.Status, Header: r.Header, Body: io.NopCloser(bytes.NewReader(r.Body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		e.t.Errorf("%s %s: response %d does not match the OpenAPI document: %v\n%s", hr.Method, hr.URL.Path, r.Status, err, r.Body)
	}
}

// login logs a user in through the API and returns their token and user object.
func (e *env) login(userID string) (string, map[string]any) {
	e.t.Helper()
	r := e.do(req{method: "POST", path: "/api/v5/sessions", header: map[string]string{"X-API-Key": testAPIKey},
		body: map[string]any{"userId": userID, "deviceId": "device-" + userID, "displayName": "User " + userID}}).ok()
	m := r.JSON()
	return m["accessToken"].(string), m["users"].([]any)[0].(map[string]any)
}

// adminToken returns a global-admin token from the server key.
func (e *env) adminToken() string {
	e.t.Helper()
	r := e.do(req{method: "POST", path: "/api/v1/admin-token", header: map[string]string{"x-server-key": testServerKey}}).ok()
	return r.JSON()["adminToken"].(string)
}

// count returns the number of rows in a table matching a condition, to prove that a
// refused request wrote nothing.
func (e *env) count(table, where string, args ...any) int {
	e.t.Helper()
	return storetest.Count(e.t, e.db, table, where, args...)
}
