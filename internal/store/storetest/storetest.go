// Package storetest opens fresh stores for tests: on SQLite always, and on PostgreSQL
// when PARLEY_TEST_POSTGRES holds a URL, each test in a schema of its own that is dropped
// when the test ends.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, to create and drop schemas
	"github.com/parley-chat/parley/internal/store"
)

// The environment variables the tests read.
const (
	// PostgresEnv holds the URL of a PostgreSQL database the tests may create schemas in,
	// e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
	PostgresEnv = "PARLEY_TEST_POSTGRES"
	// DialectEnv picks the engine of test kits that run on one (sqlite by default).
	DialectEnv = "PARLEY_TEST_DIALECT"
)

// Dialects are the engines the conformance suite runs on.
var Dialects = []string{"sqlite", "postgres"}

// Require skips the test, saying what to set, when the dialect's engine is not at hand.
func Require(t testing.TB, dialect string) {
	t.Helper()
	if dialect == "postgres" && os.Getenv(PostgresEnv) == "" {
		t.Skipf("PostgreSQL: set %s to a database URL to run this (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)", PostgresEnv)
	}
}

// Target returns what store.Open needs to reach a fresh, empty database of the dialect:
// a file in the test's temp dir, or a PostgreSQL URL whose search_path is a new schema.
// On PostgreSQL without PARLEY_TEST_POSTGRES the test is skipped, saying what to set.
func Target(t testing.TB, dialect string) string {
	t.Helper()
	switch dialect {
	case "sqlite":
		return filepath.Join(t.TempDir(), "parley.db")
	case "postgres":
		return freshSchema(t)
	}
	t.Fatalf("unknown dialect %q (want sqlite or postgres)", dialect)
	return ""
}

// Open opens a fresh, migrated store of the dialect, closed when the test ends.
func Open(t testing.TB, dialect string) *store.DB {
	t.Helper()
	return OpenAt(t, Target(t, dialect), store.Options{Synchronous: "NORMAL"})
}

// OpenAt opens the store at a target (from Target) with options, closed when the test
// ends; Count can read it.
func OpenAt(t testing.TB, target string, opt store.Options) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), target, opt)
	if err != nil {
		t.Fatal(err)
	}
	c := &counter{target: target}
	targets.Store(db, c)
	t.Cleanup(func() { targets.Delete(db); c.close(); db.Close() })
	return db
}

// Dialect is the engine PARLEY_TEST_DIALECT names, sqlite when unset, for test kits
// that run a whole suite on one engine. Asking for postgres without PARLEY_TEST_POSTGRES
// fails rather than skips: whoever set the one meant the suite to run there.
func Dialect(t testing.TB) string {
	t.Helper()
	d := os.Getenv(DialectEnv)
	switch d {
	case "", "sqlite":
		return "sqlite"
	case "postgres":
		if os.Getenv(PostgresEnv) == "" {
			t.Fatalf("%s=postgres needs %s to hold a PostgreSQL URL", DialectEnv, PostgresEnv)
		}
		return d
	}
	t.Fatalf("%s=%q: want sqlite or postgres", DialectEnv, d)
	return ""
}

// freshSchema creates schema t_<random> in the PARLEY_TEST_POSTGRES database, drops it
// when the test ends, and returns the URL with search_path set to it.
func freshSchema(t testing.TB) string {
	t.Helper()
	Require(t, "postgres")
	base := os.Getenv(PostgresEnv)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", PostgresEnv, err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	admin := func(stmt string) {
		t.Helper()
		conn, err := sql.Open("pgx", base)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(context.Background(), stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	admin("CREATE SCHEMA " + schema)
	t.Cleanup(func() { admin("DROP SCHEMA " + schema + " CASCADE") })
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
