package httpapi

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/parley-chat/parley/internal/chat"
)

// query reads the bracket-notation parameters axios sends (`types[]=a`, `options[limit]=5`).
type query struct {
	v        url.Values
	problems chat.Problems
}

func newQuery(r *http.Request) *query { return &query{v: r.URL.Query()} }

// str returns a single value, "" when absent.
func (q *query) str(name string) string { return q.v.Get(name) }

// list returns a repeated parameter, accepting both `name[]` and `name`.
func (q *query) list(name string) []string {
	out := append([]string{}, q.v[name+"[]"]...)
	return append(out, q.v[name]...)
}

// ids returns a list of ids that the SDK's by-ids helpers encode twice: each value is
// unescaped once more, which leaves plain ids unchanged. A value whose second unescape is
// not valid UTF-8 ("%FF") cannot have been encoded twice and stays as it is.
func (q *query) ids(name string) []string {
	raw := q.list(name)
	for i, s := range raw {
		if u, err := url.QueryUnescape(s); err == nil && utf8.ValidString(u) {
			raw[i] = u
		}
	}
	return raw
}

// boolean reads true/false; absent gives def.
func (q *query) boolean(name string, def bool) bool {
	s := q.v.Get(name)
	if s == "" {
		return def
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		q.problems.Add(name, "must be true or false")
	}
	return b
}

// integer reads an integer within min..max; absent gives def.
func (q *query) integer(name string, def, min, max int) int {
	s := q.v.Get(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < min || n > max {
		q.problems.Add(name, "must be an integer between %d and %d", min, max)
		return def
	}
	return n
}

// enum reads a value from an allowed set; absent gives def.
func (q *query) enum(name, def string, allowed ...string) string {
	return enum(q, name, def, allowed...)
}

// enum is query.enum for the named string types of chat's enums (chat.SortBy, ...).
func enum[T ~string](q *query, name string, def T, allowed ...T) T {
	s := T(q.v.Get(name))
	if s == "" {
		return def
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		if s == a {
			return s
		}
		names[i] = string(a)
	}
	q.problems.Add(name, "must be one of %s", strings.Join(names, ", "))
	return def
}

// page reads options[limit] and options[token]. The first page sends a limit; later
// pages send only the token, which remembers the limit.
func (q *query) page() (limit int, after *chat.Cursor) {
	limit = q.integer("options[limit]", chat.DefaultPageSize, 1, chat.MaxPageSize)
	if tok := q.v.Get("options[token]"); tok != "" {
		c, err := chat.DecodeCursor(tok)
		if err != nil {
			q.problems.Add("options[token]", "is not a valid paging token")
			return limit, nil
		}
		if c.Limit > 0 && q.v.Get("options[limit]") == "" {
			limit = c.Limit
		}
		return limit, c
	}
	return limit, nil
}

// err is the 400000 listing every bad parameter, or nil.
func (q *query) err() error { return q.problems.Err() }
