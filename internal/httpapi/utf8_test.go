package httpapi_test

import (
	"testing"
)

// Invalid UTF-8 is refused, not repaired: encoding/json would turn every invalid byte and
// every lone surrogate escape into U+FFFD, so that two different byte strings became the
// same user id. Each refusal is a 400000 that writes nothing.

// invalidStrings are JSON string literals (quotes included) that are not valid Unicode
// text: raw invalid bytes, and escapes of lone surrogates.
var invalidStrings = map[string]string{
	`raw \xff`:           "\"u\xff\"",
	`raw \xfe`:           "\"u\xfe\"",
	`truncated sequence`: "\"u\xe2\x82\"",
	`overlong slash`:     "\"u\xc0\xaf\"",
	`encoded surrogate`:  "\"u\xed\xa0\x80\"",
	`lone low \udc00`:    `"u\udc00"`,
	`lone high \ud83d`:   `"u\ud83d"`,
	`high then text`:     `"\ud83dx"`,
	`two highs`:          `"\ud83d\ud83d"`,
	`reversed pair`:      `"\ude00\ud83d"`,
}

func TestLoginRefusesInvalidUTF8UserIDs(t *testing.T) {
	e := newEnv(t)
	users := e.count("users", "")
	for name, s := range invalidStrings {
		t.Run(name, func(t *testing.T) {
			e.in(t).do(req{method: "POST", path: "/api/v5/sessions", header: map[string]string{"X-API-Key": testAPIKey},
				body: `{"userId":` + s + `,"deviceId":"d"}`}).expect(400, 400000)
		})
	}
	// In a field other than the user id, and inside nested values (metadata), too.
	for _, body := range []string{
		"{\"userId\":\"ok\",\"deviceId\":\"d\",\"displayName\":\"\xff\"}",
		`{"userId":"ok","deviceId":"d","metadata":{"k":["\udfff"]}}`,
		`{"userId":"ok","deviceId":"d","metadata":{"\udfff":1}}`,
	} {
		e.do(req{method: "POST", path: "/api/v5/sessions", header: map[string]string{"X-API-Key": testAPIKey}, body: body}).expect(400, 400000)
	}
	if n := e.count("users", ""); n != users {
		t.Fatalf("%d users written by refused logins", n-users)
	}
	// Valid text beyond the BMP, raw or as an escaped surrogate pair, is one and the same id.
	e.do(req{method: "POST", path: "/api/v5/sessions", header: map[string]string{"X-API-Key": testAPIKey},
		body: `{"userId":"u\ud83d\ude00","deviceId":"d"}`}).ok()
	e.do(req{method: "POST", path: "/api/v5/sessions", header: map[string]string{"X-API-Key": testAPIKey},
		body: `{"userId":"u😀","deviceId":"d","displayName":"\\udc00 is only text here"}`}).ok()
	if n := e.count("users", ""); n != users+1 {
		t.Fatalf("want the one user u😀, got %d users", n-users)
	}
}

func TestChannelAndMessageWritesRefuseInvalidUTF8(t *testing.T) {
	f := newMsgFixture(t)
	e := f.e
	channels, messages, events := e.count("channels", ""), e.count("messages", ""), e.count("outbox", "")
	for name, s := range invalidStrings {
		t.Run(name, func(t *testing.T) {
			e := e.in(t)
			e.do(req{method: "POST", path: "/api/v3/channels", token: f.alice,
				body: `{"channelId":"new","type":"community","displayName":` + s + `}`}).expect(400, 400000)
			e.do(req{method: "POST", path: "/api/v3/channels", token: f.alice,
				body: `{"channelId":` + s + `,"type":"community"}`}).expect(400, 400000)
			e.do(req{method: "POST", path: "/api/v5/messages", token: f.alice,
				body: `{"messageFeedId":"` + f.feed + `","dataType":"text","data":{"text":` + s + `}}`}).expect(400, 400000)
			e.do(req{method: "PUT", path: "/api/v3/channels/c", token: f.alice,
				body: `{"displayName":` + s + `}`}).expect(400, 400000)
		})
	}
	if c, m, ev := e.count("channels", ""), e.count("messages", ""), e.count("outbox", ""); c != channels || m != messages || ev != events {
		t.Fatalf("refused writes wrote: channels %d→%d, messages %d→%d, events %d→%d", channels, c, messages, m, events, ev)
	}
	if name := e.channel(f.alice, "c")["displayName"]; name != "" && name != nil {
		t.Fatalf("displayName changed to %q", name)
	}
}

// Percent-encoding in the path and the query decodes to bytes; bytes that are not UTF-8
// are refused before any route reads them.
func TestPathAndQueryRefuseInvalidUTF8(t *testing.T) {
	f := newMsgFixture(t)
	e := f.e
	for _, c := range []struct{ method, path string }{
		{"GET", "/api/v3/users/%FF"},
		{"GET", "/api/v3/users/bob%C0%AF"},
		{"GET", "/api/v3/channels/c%FF"},
		{"PUT", "/api/v3/channels/%FE"},
		{"DELETE", "/api/v3/channels/%ED%A0%80"},
		{"GET", "/api/v3/users/list?userIds[]=bob&userIds[]=%FF"},
		{"GET", "/api/v3/channels/list?channelIds[]=c%FF"},
		{"GET", "/api/v3/channels?filter=member&tags[]=%FE"},
		{"GET", "/api/v3/users?keyword=%FF"},
		{"GET", "/api/v3/users?%FF=1"},
		{"DELETE", "/api/v4/sessions?userId=%FF"},
	} {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			var body any
			if c.method == "PUT" {
				body = `{"displayName":"x"}`
			}
			e.in(t).do(req{method: c.method, path: c.path, token: f.alice, body: body}).expect(400, 400000)
		})
	}
	if n := e.count("channels", "display_name = 'x'"); n != 0 {
		t.Fatalf("a refused update wrote %d channels", n)
	}
	// Valid percent-encoded UTF-8 still reaches the route. The SDK encodes ids twice; a
	// second escape that would decode to invalid UTF-8 is left as it is: the id "%FF".
	e.do(req{method: "GET", path: "/api/v3/users/list?userIds[]=%C3%A9", token: f.alice}).ok()
	if users := e.do(req{method: "GET", path: "/api/v3/users/list?userIds[]=%25FF", token: f.alice}).ok().JSON()["users"].([]any); len(users) != 0 {
		t.Fatalf("%%25FF found %d users", len(users))
	}
}

func TestUploadRefusesInvalidUTF8Fields(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.login("uploader")
	for name, p := range map[string]part{
		"file name":    filePart("a\xff.txt", "text/plain", []byte("hello")),
		"field name":   {field: "files\xfe", filename: "a.txt", contentType: "text/plain", data: []byte("x")},
		"content type": filePart("a.txt", "text/plain; x=\xff", []byte("hello")),
	} {
		t.Run(name, func(t *testing.T) {
			e.in(t).upload("/api/v4/files", tok, p).expect(400, 400000)
		})
	}
	if n := e.count("files", ""); n != 0 {
		t.Fatalf("%d files written by refused uploads", n)
	}
	if n := e.blobCount(); n != 0 {
		t.Fatalf("%d blobs left by refused uploads", n)
	}
}
