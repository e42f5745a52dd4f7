package store

import "github.com/parley-chat/parley/internal/chat"

// keyset is the order of a keyset-paged list: by a sort key, then by an id that breaks
// ties, both in one direction. Every list pages this way (an index per list and filter
// serves it), so that a page costs the same however deep it is.
type keyset struct {
	key, id string // the columns, as the query names them
	desc    bool
	text    bool // the key is text: a cursor holds it in S, not N
}

// after appends to where and args the condition for the rows after cursor c (none when
// c is nil or names no row), and returns both.
func (k keyset) after(where []string, args []any, c *chat.Cursor) ([]string, []any) {
	if c == nil || c.ID == "" {
		return where, args
	}
	op := ">"
	if k.desc {
		op = "<"
	}
	var v any = c.N
	if k.text {
		v = c.S
	}
	return append(where, "("+k.key+" "+op+" ? OR ("+k.key+" = ? AND "+k.id+" "+op+" ?))"), append(args, v, v, c.ID)
}

// orderLimit is the query's ORDER BY and LIMIT (its argument goes last).
func (k keyset) orderLimit() string {
	return " ORDER BY " + k.key + " " + k.dir() + ", " + k.id + " " + k.dir() + " LIMIT ?"
}

// dir is the direction of both columns.
func (k keyset) dir() string {
	if k.desc {
		return "DESC"
	}
	return "ASC"
}
