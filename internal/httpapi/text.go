package httpapi

import (
	"net/http"
	"unicode/utf8"
)

// Text from clients must be valid Unicode, and is refused (400000) rather than repaired.
// encoding/json, left alone, replaces every invalid byte and every unpaired surrogate
// escape ("\udc00") with U+FFFD, so that "\xff" and "\xfe" would be one and the same user
// id. Percent-encoded paths and queries decode to bytes that are just as unchecked.
// See docs/decisions.md, "Invalid UTF-8".

// validText refuses a request whose path or query parameters, once percent-decoded, are
// not valid UTF-8, before any route reads them.
func (a *API) validText(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !utf8.ValidString(r.URL.Path) {
			a.writeError(w, r, badRequest("The path must be valid UTF-8."))
			return
		}
		if r.URL.RawQuery != "" && !asciiQuery(r.URL.RawQuery) {
			for k, vs := range r.URL.Query() {
				if !utf8.ValidString(k) {
					a.writeError(w, r, badRequest("Query parameter names must be valid UTF-8."))
					return
				}
				for _, v := range vs {
					if !utf8.ValidString(v) {
						a.writeError(w, r, badRequest("%s must be valid UTF-8.", k))
						return
					}
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// asciiQuery reports whether a raw query decodes to ASCII alone: no byte over 0x7f and
// no percent-escape of one. Most queries are, and need no parsing here.
func asciiQuery(raw string) bool {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c >= utf8.RuneSelf || (c == '%' && i+1 < len(raw) && raw[i+1] >= '8') {
			return false
		}
	}
	return true
}

// jsonText checks the text of a JSON document that has already parsed: its bytes must be
// valid UTF-8, and every \u escape of a UTF-16 surrogate must be half of a pair.
func jsonText(raw []byte) error {
	if !utf8.Valid(raw) {
		return badRequest("The body must be valid UTF-8.")
	}
	// raw parsed as JSON, so a backslash is always inside a string and always followed
	// by an escape; \u always by four hex digits.
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		i++
		if raw[i] != 'u' {
			continue
		}
		r := hex4(raw[i+1 : i+5])
		i += 4
		if r < 0xd800 || r > 0xdfff {
			continue
		}
		// A high half must be followed at once by an escaped low half.
		paired := r <= 0xdbff && i+6 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u'
		if paired {
			lo := hex4(raw[i+3 : i+7])
			paired = lo >= 0xdc00 && lo <= 0xdfff
		}
		if !paired {
			return badRequest("The body must not escape unpaired surrogates (\\u%04x).", r)
		}
		i += 6
	}
	return nil
}

// hex4 reads four hex digits that JSON has already checked.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}
