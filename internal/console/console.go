// Package console is the operator's web console, served by the binary at /console/ from
// files embedded in it: plain HTML, one stylesheet and vanilla JavaScript, with no build
// step (docs/console.md says why). The console is a client of the public admin API like
// any other: it holds an admin token in the tab's sessionStorage and every action is a
// REST call the OpenAPI document describes. Nothing here reaches the domain directly.
package console

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"sort"
	"strings"
)

//go:embed static
var static embed.FS

// Handler serves the console's files under /console/. The page scripts are every file
// in static/pages/: a new page is one new file, listed in index.html by itself.
func Handler() http.Handler {
	files, _ := fs.Sub(static, "static")
	index := renderIndex(files)
	fileServer := http.StripPrefix("/console/", http.FileServerFS(files))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		// Scripts and styles from this origin only, no framing, no referrer: the page
		// holds an admin token.
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		if r.URL.Path == "/console/" || r.URL.Path == "/console/index.html" {
			h.Set("Content-Type", "text/html; charset=utf-8")
			w.Write(index)
			return
		}
		if strings.HasSuffix(r.URL.Path, "/") { // no directory listings
			http.NotFound(w, r)
			return
		}
		fileServer.ServeHTTP(w, r)
	})
}

var indexTemplate = template.Must(template.ParseFS(static, "static/index.html"))

// renderIndex fills index.html with the page scripts, in name order (each page says
// where its nav entry goes).
func renderIndex(files fs.FS) []byte {
	pages, _ := fs.Glob(files, "pages/*.js")
	sort.Strings(pages)
	var b bytes.Buffer
	if err := indexTemplate.Execute(&b, struct{ Pages []string }{pages}); err != nil {
		panic(err) // a broken embedded template is a build mistake
	}
	return b.Bytes()
}
