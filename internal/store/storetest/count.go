package storetest

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/parley-chat/parley/internal/store"
)

// targets remembers where each store OpenAt opened lives, so that Count can read its
// tables on a connection of its own.
var targets sync.Map // *store.DB → *counter

// counter is the connection Count reads a store's tables on, opened at its first use.
type counter struct {
	target string
	once   sync.Once
	conn   *sql.DB
	err    error
}

func (c *counter) close() {
	if c.conn != nil {
		c.conn.Close()
	}
}

// Count counts the rows of a table that match a condition (where may be empty; args
// fill its ? placeholders): tests use it to prove that a refused request wrote nothing,
// or that a job left its table empty. It reads what is committed, on a connection of its
// own, so that the store's API holds nothing only tests need. db must come from Open.
func Count(t testing.TB, db *store.DB, table, where string, args ...any) int {
	t.Helper()
	v, ok := targets.Load(db)
	if !ok {
		t.Fatal("storetest.Count: the store was not opened by storetest.Open or OpenAt")
	}
	c := v.(*counter)
	q := "SELECT COUNT(*) FROM " + table
	if where != "" {
		q += " WHERE " + where
	}
	driver, dsn := "sqlite", "file:"+c.target+"?_pragma=busy_timeout(10000)&_pragma=query_only(1)"
	if store.IsPostgresURL(c.target) {
		driver, dsn, q = "pgx", c.target, numbered(q)
	}
	c.once.Do(func() { c.conn, c.err = sql.Open(driver, dsn) })
	if c.err != nil {
		t.Fatal(c.err)
	}
	var n int
	if err := c.conn.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// numbered turns ? placeholders into PostgreSQL's $1, $2, … (conditions in tests hold no
// quoted question marks).
func numbered(q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
