package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/parley-chat/parley/internal/chat"
)

// FuzzDecode feeds arbitrary bodies to decode. It must never panic; every refusal is a
// 400000; and what it accepts holds only valid text: a U+FFFD in a decoded string must
// have been sent as one, never made from an invalid byte or an unpaired surrogate.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"userId":"alice","deviceId":"d","metadata":{"a":[1,2.5,null,true]}}`,
		`{"userId":"\ud83d\ude00","n":1e400}`, `{"x":"\udc00"}`, `{"x":"\ud800\ud800"}`, `{"x":"\ud800"}`,
		"{\"x\":\"\xff\"}", "{\"\xfe\":1}", `{"x":"\ufffd"}`, "{\"x\":\"\xef\xbf\xbd\"}", `{"x":"\\u"}`,
		`null`, `[]`, `{} {}`, `{"a":`, `"s"`, `{"userIds":"x","userId":5}`, ``,
	} {
		f.Add([]byte(s))
	}
	type typed struct {
		UserID   *string           `json:"userId"`
		UserIDs  []string          `json:"userIds"`
		N        json.Number       `json:"n"`
		Flag     bool              `json:"flag"`
		Metadata map[string]any    `json:"metadata"`
		Nested   map[string]string `json:"nested"`
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var generic map[string]any
		err := decode(httptest.NewRequest("POST", "/", bytes.NewReader(body)), &generic)
		var typedV typed
		typedErr := decode(httptest.NewRequest("POST", "/", bytes.NewReader(body)), &typedV)
		for _, err := range []error{err, typedErr} {
			if err == nil {
				continue
			}
			if e, ok := chat.AsError(err); !ok || e.Code != chat.CodeBadRequest {
				t.Fatalf("decode(%q) = %v, want a 400000", body, err)
			}
		}
		if err != nil {
			return
		}
		if !utf8.Valid(body) {
			t.Fatalf("decode accepted invalid UTF-8: %q", body)
		}
		sentFFFD := bytes.Contains(body, []byte("\ufffd")) || strings.Contains(strings.ToLower(string(body)), `\ufffd`)
		walkStrings(generic, func(s string) {
			if !utf8.ValidString(s) || (strings.ContainsRune(s, utf8.RuneError) && !sentFFFD) {
				t.Fatalf("decode(%q) made the string %q", body, s)
			}
		})
	})
}

// walkStrings calls fn with every key and string value in a decoded JSON value.
func walkStrings(v any, fn func(string)) {
	switch v := v.(type) {
	case string:
		fn(v)
	case []any:
		for _, x := range v {
			walkStrings(x, fn)
		}
	case map[string]any:
		for k, x := range v {
			fn(k)
			walkStrings(x, fn)
		}
	}
}
