package httpapi_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/playback"
)

// playbackEnv serves e's API again with live playback from a directory the test writes
// as a packager would.
func playbackEnv(t *testing.T, now *time.Time) (*env, *playback.Signer, string) {
	t.Helper()
	e := newEnv(t)
	dir := t.TempDir()
	signer := playback.NewSigner([]byte("test playback key"), time.Minute)
	api := httpapi.New(e.svc, httpapi.Options{Rooms: e.rooms, Config: httpapi.Config{MaxBodyBytes: 256 << 10},
		Playback: &playback.Server{Signer: signer, Dir: dir, Now: func() time.Time { return *now }}})
	e.srv = httptest.NewServer(api)
	t.Cleanup(e.srv.Close)
	return e, signer, dir
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestLivePlaybackIsSignedPerViewer(t *testing.T) {
	now := time.Now()
	e, signer, dir := playbackEnv(t, &now)
	alice, _ := e.login("alice")
	_, carol := e.login("carol")
	_, dave := e.login("dave")
	id := e.mkRoom(alice, map[string]any{"title": "solo", "type": "directStreaming"})["_id"].(string)
	os.MkdirAll(filepath.Join(dir, id), 0o755)
	os.WriteFile(filepath.Join(dir, id, "index.m3u8"), []byte("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:2.0,\nseg_00001.ts\n"), 0o644)
	os.WriteFile(filepath.Join(dir, id, "seg_00001.ts"), []byte("segment bytes"), 0o644)
	base := e.srv.URL + "/api/v1/rooms/" + id + "/live/"
	carolTok := signer.Token(id, carol["_id"].(string), now)

	res, body := get(t, base+"index.m3u8?token="+carolTok)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/vnd.apple.mpegurl" || res.Header.Get("Cache-Control") != "public, max-age=1" {
		t.Fatalf("playlist: %d %v %s", res.StatusCode, res.Header, body)
	}
	if !strings.Contains(body, "seg_00001.ts?token="+carolTok+"\n") || !strings.Contains(body, `URI="init.mp4?token=`+carolTok+`"`) {
		t.Fatalf("playlist URIs are not signed: %s", body)
	}
	res, body = get(t, base+"seg_00001.ts?token="+carolTok)
	if res.StatusCode != 200 || body != "segment bytes" || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
		t.Fatalf("segment: %d %v %q", res.StatusCode, res.Header, body)
	}
	if res, _ := get(t, base+"seg_00002.ts?token="+carolTok); res.StatusCode != 404 {
		t.Fatalf("missing segment: %d", res.StatusCode)
	}
	for _, u := range []string{"seg_00001.ts", "seg_00001.ts?token=" + carolTok + "x", "seg_00001.ts?token=%%%",
		"seg_00001.ts?token=" + signer.Token("0123456789abcdef01234567", carol["_id"].(string), now),
		"seg_00001.ts?token=" + playback.NewSigner([]byte("other key"), time.Minute).Token(id, carol["_id"].(string), now)} {
		if res, _ := get(t, base+u); res.StatusCode != 401 {
			t.Fatalf("%s: want 401, got %d", u, res.StatusCode)
		}
	}
	if res, _ := get(t, base+"..%2F..%2Fetc%2Fpasswd?token="+carolTok); res.StatusCode != 404 {
		t.Fatalf("path escape: %d", res.StatusCode)
	}

	// A viewer banned after the URL was issued is refused from the next fetch on.
	daveTok := signer.Token(id, dave["_id"].(string), now)
	if res, _ := get(t, base+"index.m3u8?token="+daveTok); res.StatusCode != 200 {
		t.Fatalf("dave before the ban: %d", res.StatusCode)
	}
	e.do(req{method: "POST", path: "/api/v1/rooms/" + id + "/viewer-bans", token: alice, body: map[string]any{"userIds": []string{"dave"}}}).ok()
	for _, f := range []string{"index.m3u8", "seg_00001.ts"} {
		if res, _ := get(t, base+f+"?token="+daveTok); res.StatusCode != 403 {
			t.Fatalf("banned dave %s: %d", f, res.StatusCode)
		}
	}

	// Expired: the token lasted a minute.
	now = now.Add(time.Minute)
	if res, _ := get(t, base+"seg_00001.ts?token="+carolTok); res.StatusCode != 403 {
		t.Fatalf("expired: %d", res.StatusCode)
	}
	if res, _ := get(t, base+"seg_00001.ts?token="+signer.Token(id, carol["_id"].(string), now)); res.StatusCode != 200 {
		t.Fatalf("fresh token: %d", res.StatusCode)
	}

	// A deleted room serves nothing.
	e.do(req{method: "DELETE", path: "/api/v1/rooms/" + id, token: alice}).ok()
	if res, _ := get(t, base+"seg_00001.ts?token="+signer.Token(id, carol["_id"].(string), now)); res.StatusCode != 403 {
		t.Fatalf("deleted room: %d", res.StatusCode)
	}
}
