package chat

import (
	"reflect"
	"testing"
)

// FuzzDecodeCursor feeds arbitrary paging tokens to DecodeCursor. It never panics; a
// token it refuses is a 400000; a token it accepts names a well-formed position (an id or
// none, a page size in range) and survives encoding again unchanged.
func FuzzDecodeCursor(f *testing.F) {
	for _, s := range []string{
		(&Cursor{N: 3, ID: "0123456789abcdef01234567"}).Encode(10),
		(&Cursor{S: "displayName", ID: "0123456789abcdef01234567", Before: true}).Encode(100),
		"eyJza2lwIjowLCJsaW1pdCI6MTAwfQ==", // the SDK's own {"skip":0,"limit":100}
		"eyJza2lwIjowLCJsaW1pdCI6MTAwfQ", "", "%%", "bnVsbA==", "W10=", "eyJpZCI6IngifQ==",
		"eyJpZCI6IjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2NyIsImxpbWl0IjotMX0=", "eyJuIjoxZTQwMCwiaWQiOiIifQ==",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, token string) {
		c, err := DecodeCursor(token)
		if err != nil {
			if e, ok := AsError(err); !ok || e.Code != CodeBadRequest {
				t.Fatalf("DecodeCursor(%q) = %v, want a 400000", token, err)
			}
			return
		}
		if (c.ID != "" && !IsID(c.ID)) || c.Limit < 0 || c.Limit > MaxPageSize {
			t.Fatalf("DecodeCursor(%q) accepted %+v", token, c)
		}
		again, err := DecodeCursor(c.Encode(c.Limit))
		if err != nil || !reflect.DeepEqual(again, c) {
			t.Fatalf("cursor %+v from %q encodes to one that decodes to %+v, %v", c, token, again, err)
		}
	})
}
