package store

import (
	"strings"

	"github.com/parley-chat/parley/internal/chat"
)

// The keyword blocklist and the link allowlist (chat/content_moderation.go).

const wordColumns = `id, list, text, exact, created_at`

func scanWord(s scanner) (chat.ListedWord, error) {
	var w chat.ListedWord
	var exact int
	var at int64
	err := s.Scan(&w.ID, &w.List, &w.Text, &exact, &at)
	w.IsMatchExactWord, w.CreatedAt = exact == 1, chat.FromMillis(at)
	return w, err
}

// PutWord adds a word to a list; false when the list has it already (in any case).
func (t *tx) PutWord(w *chat.ListedWord) (bool, error) {
	res, err := t.exec(`INSERT INTO moderation_words (id, list, text, text_lower, exact, created_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (list, text_lower) DO NOTHING`, w.ID, w.List, w.Text, chat.FoldCase(w.Text), boolInt(w.IsMatchExactWord), w.CreatedAt.Millis())
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

func (t *tx) DeleteWord(list, id string) (*chat.ListedWord, error) {
	w, err := one(t.queryRow(`SELECT `+wordColumns+` FROM moderation_words WHERE list = ? AND id = ?`+t.lockRow(), list, id), scanWord)
	if err != nil || w == nil {
		return nil, err
	}
	_, err = t.exec(`DELETE FROM moderation_words WHERE id = ?`, id)
	return w, err
}

// Words reads a whole list, to compile its matcher.
func (t *tx) Words(list string) ([]chat.ListedWord, error) {
	return queryAll(t, scanWord, `SELECT `+wordColumns+` FROM moderation_words WHERE list = ? ORDER BY created_at, id`, list)
}

func (t *tx) CountWords(list string) (int, error) {
	var n int
	err := t.queryRow(`SELECT COUNT(*) FROM moderation_words WHERE list = ?`, list).Scan(&n)
	return n, err
}

// ListWords pages a list on moderation_words_page, oldest or newest first.
func (t *tx) ListWords(list string, newestFirst bool, limit int, after *chat.Cursor) ([]chat.ListedWord, error) {
	k := keyset{key: "created_at", id: "id", desc: newestFirst}
	where, args := k.after([]string{"list = ?"}, []any{list}, after)
	q := `SELECT ` + wordColumns + ` FROM moderation_words WHERE ` + strings.Join(where, " AND ") + k.orderLimit()
	return queryAll(t, scanWord, q, append(args, limit)...)
}

// LockWords queues additions to one list behind each other (its size bound counts them
// one after another); a no-op on SQLite.
func (t *tx) LockWords(list string) error { return t.lockKey("moderation_words:" + list) }
