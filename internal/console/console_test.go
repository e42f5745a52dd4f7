package console

// What the handler promises besides the pages (which cmd/parley's browser test drives):
// every page script is listed in index.html, the headers that keep an admin token's page
// safe, and no directory listings.

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	res := rec.Result()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

func TestIndexListsEveryPageScript(t *testing.T) {
	res, body := get(t, "/console/")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("index: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	pages, _ := fs.Glob(static, "static/pages/*.js")
	if len(pages) < 8 {
		t.Fatalf("only %d page scripts embedded", len(pages))
	}
	for _, p := range pages {
		src := strings.TrimPrefix(p, "static/")
		if !strings.Contains(body, `<script src="`+src+`" defer></script>`) {
			t.Errorf("index.html does not load %s", src)
		}
		if res, _ := get(t, "/console/"+src); res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Type"), "javascript") {
			t.Errorf("%s: %d %s", src, res.StatusCode, res.Header.Get("Content-Type"))
		}
	}
}

func TestHeadersKeepThePageToItself(t *testing.T) {
	for _, path := range []string{"/console/", "/console/app.js", "/console/console.css"} {
		res, _ := get(t, path)
		csp := res.Header.Get("Content-Security-Policy")
		for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "connect-src 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: Content-Security-Policy %q lacks %q", path, csp, want)
			}
		}
		if res.Header.Get("X-Frame-Options") != "DENY" || res.Header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s: headers %v", path, res.Header)
		}
	}
}

func TestNoDirectoryListingsOrMissingFiles(t *testing.T) {
	for _, path := range []string{"/console/pages/", "/console/nothing.js", "/console/../console.go"} {
		if res, body := get(t, path); res.StatusCode != 404 {
			t.Errorf("%s: %d %q", path, res.StatusCode, body)
		}
	}
}
