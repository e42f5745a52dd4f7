package chat

import "unicode"

// wordMatcher finds any of a list of words in a text in one pass (Aho-Corasick over
// case-folded runes): the cost is linear in the text whatever the list's size, and
// building it is linear in the list. A whole-word entry matches only between
// non-word characters (anything but letters, digits and '_', in any script) or the
// text's ends.
type wordMatcher struct {
	next []map[rune]int32 // goto function per state; state 0 is the root
	fail []int32
	out  [][]matchEnd // entries ending at each state, through failure links too
}

// matchEnd is an entry that ends at a state: its length in runes, and whether it must
// stand as a whole word.
type matchEnd struct {
	runes int
	exact bool
}

func foldRune(r rune) rune {
	min := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < min {
			min = f
		}
	}
	return min
}

func newWordMatcher(words []ListedWord) *wordMatcher {
	m := &wordMatcher{next: []map[rune]int32{{}}, fail: []int32{0}, out: [][]matchEnd{nil}}
	for _, w := range words {
		s, n := int32(0), 0
		for _, r := range w.Text {
			r = foldRune(r)
			t, ok := m.next[s][r]
			if !ok {
				t = int32(len(m.next))
				m.next = append(m.next, map[rune]int32{})
				m.fail = append(m.fail, 0)
				m.out = append(m.out, nil)
				m.next[s][r] = t
			}
			s, n = t, n+1
		}
		if n > 0 {
			m.out[s] = append(m.out[s], matchEnd{runes: n, exact: w.IsMatchExactWord})
		}
	}
	// Failure links, breadth first: each state falls back to the longest proper suffix
	// of its path that is also a path, and inherits that state's entries.
	queue := make([]int32, 0, len(m.next))
	for _, t := range m.next[0] {
		queue = append(queue, t)
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for r, t := range m.next[s] {
			f := m.fail[s]
			for f != 0 {
				if _, ok := m.next[f][r]; ok {
					break
				}
				f = m.fail[f]
			}
			if g, ok := m.next[f][r]; ok && g != t {
				f = g
			} else {
				f = 0
				if g, ok := m.next[0][r]; ok && g != t {
					f = g
				}
			}
			m.fail[t] = f
			m.out[t] = append(m.out[t], m.out[f]...)
			queue = append(queue, t)
		}
	}
	return m
}

func isWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// match tells whether text holds an entry.
func (m *wordMatcher) match(text string) bool {
	runes := []rune(text)
	s := int32(0)
	for i, r := range runes {
		r = foldRune(r)
		for s != 0 {
			if _, ok := m.next[s][r]; ok {
				break
			}
			s = m.fail[s]
		}
		s = m.next[s][r] // 0 when the root has no edge either
		for _, e := range m.out[s] {
			if !e.exact {
				return true
			}
			start := i - e.runes + 1
			if (start == 0 || !isWordRune(runes[start-1])) && (i+1 == len(runes) || !isWordRune(runes[i+1])) {
				return true
			}
		}
	}
	return false
}
