package httpapi_test

// Fuzz targets through the real router on a real store: one server per fuzzing process,
// shared by every input. Each input must be answered with a 2xx or a 4xx that the OpenAPI
// document describes (e.do fails the input on a 5xx or an undocumented answer).
//
//	go test -run '^$' -fuzz '^FuzzLogin$' -fuzztime=60s ./internal/httpapi

import (
	"bytes"
	"mime"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzLogin(f *testing.F) {
	for _, s := range []string{
		`{"userId":"alice","deviceId":"d","displayName":"Alice","deviceInfo":{"kind":"web","model":"gecko#x","sdkVersion":"6.35.3"}}`,
		`{"userId":"a","deviceId":"d","metadata":{"k":[1,{"x":null}]}}`, `{"userId":"\ud83d\ude00","deviceId":"d"}`,
		"{\"userId\":\"\xff\",\"deviceId\":\"d\"}", `{"userId":"\udc00","deviceId":"d"}`, `{"userId":"","deviceId":""}`,
		`{"userId":5}`, `{"userId":"a","deviceId":"d","authToken":"x"}`, `null`, `{`, ``,
	} {
		f.Add([]byte(s))
	}
	e := newEnv(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		r := e.in(t).do(req{method: "POST", path: "/api/v5/sessions", header: map[string]string{"X-API-Key": testAPIKey}, body: body})
		if r.Status != 200 {
			return
		}
		sentFFFD := bytes.Contains(body, []byte("\ufffd")) || bytes.Contains(bytes.ToLower(body), []byte(`\ufffd`))
		for _, u := range r.JSON()["users"].([]any) {
			id, _ := u.(map[string]any)["userId"].(string)
			if !utf8.ValidString(id) || (strings.ContainsRune(id, utf8.RuneError) && !sentFFFD) {
				t.Fatalf("login with %q made the user id %q", body, id)
			}
		}
	})
}

// FuzzSendMessage posts message bodies as a moderator of a channel. "FEED" in an input
// stands for the channel's feed id, so that inputs can reach past the feed lookup.
func FuzzSendMessage(f *testing.F) {
	for _, s := range []string{
		`{"messageFeedId":"FEED","dataType":"text","data":{"text":"hi"}}`,
		`{"messageFeedId":"FEED","dataType":"text","data":{"text":"hi"},"tags":["a"],"metadata":{"m":1},"referenceId":"r1"}`,
		`{"messageFeedId":"FEED","dataType":"text","data":{"text":"@bob"},"mentionedUsers":[{"type":"user","userPublicIds":["bob"]}]}`,
		`{"messageFeedId":"FEED","dataType":"custom","data":{"a":[1,2]}}`,
		`{"messageFeedId":"FEED","dataType":"image","fileId":"0123456789abcdef01234567"}`,
		`{"messageFeedId":"FEED","dataType":"text","data":{"text":"x"},"parentId":"0123456789abcdef01234567"}`,
		"{\"messageFeedId\":\"FEED\",\"dataType\":\"text\",\"data\":{\"text\":\"\xff\"}}",
		`{"messageFeedId":"FEED","dataType":"text","data":{"text":"\ud800"}}`,
		`{"messageFeedId":"FEED","dataType":7}`, `{"messageFeedId":["FEED"]}`, `{}`,
	} {
		f.Add([]byte(s))
	}
	fx := newMsgFixture(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		body = bytes.ReplaceAll(body, []byte("FEED"), []byte(fx.feed))
		fx.e.in(t).do(req{method: "POST", path: "/api/v5/messages", token: fx.alice, body: body})
	})
}

// FuzzPagingToken sends arbitrary paging tokens to keyset lists: each is a page (200) or
// a 400000, never a 5xx.
func FuzzPagingToken(f *testing.F) {
	fx := newMsgFixture(f)
	for i := 0; i < 3; i++ {
		fx.e.send(fx.alice, text(fx.feed, "m"))
	}
	next, _ := paging(fx.e.messages(fx.alice, "messageFeedId="+fx.feed+"&options%5Blimit%5D=1"))
	for _, s := range []string{next, "", "%%", "eyJza2lwIjowLCJsaW1pdCI6MTAwfQ==", "eyJpZCI6IngiLCJuIjoxfQ",
		"eyJpZCI6IjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2NyIsIm4iOi0xLCJiIjp0cnVlLCJsaW1pdCI6MTAxfQ==", "bnVsbA==", "W10="} {
		f.Add(s)
	}
	paths := []string{"/api/v5/messages?messageFeedId=" + fx.feed + "&", "/api/v3/users?", "/api/v3/channels?",
		"/api/v4/channels/c/users?", "/api/v5/message-feeds/channel/c?"}
	f.Fuzz(func(t *testing.T, token string) {
		for _, p := range paths {
			r := fx.e.in(t).do(req{method: "GET", path: p + "options%5Btoken%5D=" + url.QueryEscape(token), token: fx.alice})
			if r.Status != 200 && (r.Status != 400 || r.Code() != 400000) {
				t.Fatalf("GET %s with token %q: %d %s", p, token, r.Status, r.Body)
			}
		}
	})
}

// FuzzUpload sends arbitrary multipart bodies to the upload routes; whatever is refused
// leaves no file row and no blob behind.
func FuzzUpload(f *testing.F) {
	png := pngBytes(f, 2, 2)
	seeds := [][]part{
		{filePart("a.txt", "text/plain", []byte("hello"))},
		{filePart("a.png", "image/png", png), field("accessType", "network")},
		{filePart("a.png", "image/png", png[:20])},
		{field("files", "not a file")},
		{filePart("", "", nil)},
	}
	for _, parts := range seeds {
		body, ct := multipartBody(f, parts...)
		_, params, _ := mime.ParseMediaType(ct)
		f.Add(params["boundary"], body)
	}
	f.Add("b", []byte("--b\r\nContent-Disposition: form-data; name=\"files\"; filename*=UTF-8''%FF\r\n\r\nx\r\n--b--\r\n"))
	f.Add("b", []byte("--b\r\nContent-Disposition: form-data; name=\"files\"; filename=\"x\"\r\n\r\nx"))
	e := newEnv(f)
	tok, _ := e.login("uploader")
	routes := []string{"/api/v4/files", "/api/v4/images", "/api/v4/videos"}
	f.Fuzz(func(t *testing.T, boundary string, body []byte) {
		if len(body) > 64<<10 {
			// Large inputs find nothing small ones do not (the size limit has its own
			// test) and take the fuzzer minutes to minimize, three uploads per try.
			t.Skip("inputs over 64 kB are not fuzzed here; the size limit has its own test")
		}
		ct := mime.FormatMediaType("multipart/form-data", map[string]string{"boundary": boundary})
		if ct == "" {
			ct = "multipart/form-data; boundary=" + boundary
		}
		e := e.in(t)
		for _, path := range routes {
			e.do(req{method: "POST", path: path, token: tok, body: body, header: map[string]string{"Content-Type": ct}})
		}
		if files, blobs := e.count("files", ""), e.blobCount(); files != blobs {
			t.Fatalf("%d file rows but %d blobs", files, blobs)
		}
	})
}
