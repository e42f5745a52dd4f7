package chat

import (
	"fmt"
	"strings"
	"testing"
)

func TestBlocklistMatcherFoldsCaseAndKeepsWordsWhole(t *testing.T) {
	re := newWordMatcher([]ListedWord{{Text: "straße"}, {Text: "hers"}, {Text: "he", IsMatchExactWord: true}, {Text: "ΣΊΣΥΦΟΣ"}, {Text: "a.b"}, {Text: "ass", IsMatchExactWord: true}, {Text: "ünï", IsMatchExactWord: true}})
	for text, want := range map[string]bool{
		"STRAßE":     true,
		"σίσυφος":    true,
		"a.b":        true,
		"axb":        false, // the dot is literal
		"she":        false,
		"ushers":     true, // "he"/"hers"-style overlaps found through failure links
		"you ass":    true,
		"ASS!":       true,
		"class":      false,
		"ÜNÏ":        true,
		"ünïcode":    false, // a letter after a whole word is no boundary, in any script
		"x_ass":      false,
		"nothing":    false,
		"ass\nnext":  true,
		"prefix-ass": true,
	} {
		if got := re.match(text); got != want {
			t.Errorf("%q: matched %v, want %v", text, got, want)
		}
	}
	if FoldCase("ΣΊΣΥΦΟΣ") != FoldCase("σίσυφος") || FoldCase("K") != FoldCase("k") {
		t.Error("FoldCase does not fold alike")
	}
}

// BenchmarkBlocklistCheck prints what one message's check costs against a large list.
func BenchmarkBlocklistCheck(b *testing.B) {
	for _, n := range []int{100, 10_000} {
		words := make([]ListedWord, n)
		for i := range words {
			words[i] = ListedWord{Text: fmt.Sprintf("badword%05d", i), IsMatchExactWord: i%2 == 0}
		}
		r := &contentRules{blocked: newWordMatcher(words)}
		text := strings.Repeat("a perfectly ordinary sentence with nothing wrong in it. ", 8)
		b.Run(fmt.Sprintf("words=%d", n), func(b *testing.B) {
			for b.Loop() {
				if r.check(text) != nil {
					b.Fatal("matched")
				}
			}
		})
	}
}
