package httpapi_test

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io/fs"
	"mime/multipart"
	"net/textproto"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/chat"
)

// part is one part of a multipart upload: a file when filename is set, else a plain field.
type part struct {
	field, filename, contentType string
	data                         []byte
}

func filePart(name, contentType string, data []byte) part {
	return part{field: "files", filename: name, contentType: contentType, data: data}
}

func field(name, value string) part { return part{field: name, data: []byte(value)} }

// multipartBody encodes parts as multipart/form-data, the way the SDK's FormData does.
func multipartBody(t testing.TB, parts ...part) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		if p.filename != "" {
			h.Set("Content-Disposition", `form-data; name="`+p.field+`"; filename="`+p.filename+`"`)
			h.Set("Content-Type", p.contentType)
		} else {
			h.Set("Content-Disposition", `form-data; name="`+p.field+`"`)
		}
		pw, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		pw.Write(p.data)
	}
	w.Close()
	return b.Bytes(), w.FormDataContentType()
}

// upload sends a multipart upload through the kit, so its answer is validated too.
func (e *env) upload(path, token string, parts ...part) *resp {
	e.t.Helper()
	body, ct := multipartBody(e.t, parts...)
	return e.do(req{method: "POST", path: path, token: token, body: body, header: map[string]string{"Content-Type": ct}})
}

// uploadOne uploads parts and returns the one file answered.
func (e *env) uploadOne(path, token string, parts ...part) chat.File {
	e.t.Helper()
	var out []chat.File
	e.upload(path, token, parts...).ok().Decode(&out)
	if len(out) != 1 {
		e.t.Fatalf("want one file, got %d", len(out))
	}
	return out[0]
}

// blobCount counts the files on disk in the blob store, temporary ones included.
func (e *env) blobCount() int {
	e.t.Helper()
	n := 0
	filepath.WalkDir(filepath.Join(e.dir, "files"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return nil
	})
	return n
}

func pngBytes(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func maxFileBytes(n int64) envOption { return func(c *envConfig) { c.MaxFileBytes = n } }

func TestUploadImageGetAndDownload(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.login("alice")
	img := pngBytes(t, 3, 2)
	f := e.uploadOne("/api/v4/images", tok, filePart("dot.png", "image/png", img))
	a := f.Attributes
	if f.Type != "image" || f.AccessType != "public" || a.Name != "dot.png" || a.Extension != "png" ||
		a.MimeType != "image/png" || a.Size != int64(len(img)) || a.Metadata.Width != 3 || a.Metadata.Height != 2 {
		t.Fatalf("uploaded image: %+v", f)
	}
	if f.FileURL != e.srv.URL+"/api/v3/files/"+f.FileID+"/download" {
		t.Fatalf("fileUrl %q", f.FileURL)
	}
	if n := e.count("files", "id = ?", f.FileID); n != 1 {
		t.Fatalf("records: %d", n)
	}

	var got chat.File
	e.do(req{method: "GET", path: "/api/v3/files/" + f.FileID, token: tok}).ok().Decode(&got)
	if got.FileID != f.FileID || got.Attributes != f.Attributes || got.Type != "image" || got.FileURL != f.FileURL {
		t.Fatalf("get: %+v", got)
	}

	// Public: no token needed, as <img src=fileUrl> fetches it.
	r := e.do(req{method: "GET", path: "/api/v3/files/" + f.FileID + "/download"}).ok()
	if !bytes.Equal(r.Body, img) {
		t.Fatalf("downloaded %d bytes, uploaded %d", len(r.Body), len(img))
	}
	if ct := r.Header.Get("Content-Type"); ct != "image/png" {
		t.Fatalf("Content-Type %q", ct)
	}
	if cl := r.Header.Get("Content-Length"); cl != strconv.Itoa(len(img)) {
		t.Fatalf("Content-Length %q", cl)
	}
	if cd := r.Header.Get("Content-Disposition"); cd != `inline; filename=dot.png` {
		t.Fatalf("Content-Disposition %q", cd)
	}

	// Ranges, for video seeking and resumed downloads.
	r = e.do(req{method: "GET", path: "/api/v3/files/" + f.FileID + "/download", header: map[string]string{"Range": "bytes=1-4"}})
	r.expect(206, 0)
	if !bytes.Equal(r.Body, img[1:5]) {
		t.Fatalf("range: %q", r.Body)
	}
}

func TestEveryImageFormatIsAccepted(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.login("alice")
	img := image.NewPaletted(image.Rect(0, 0, 6, 4), color.Palette{color.Black, color.White})
	var jpg, gf bytes.Buffer
	if err := jpeg.Encode(&jpg, img, nil); err != nil {
		t.Fatal(err)
	}
	if err := gif.Encode(&gf, img, nil); err != nil {
		t.Fatal(err)
	}
	// A 1×1 lossless WebP (the standard library has no WebP encoder).
	webp, _ := base64.StdEncoding.DecodeString("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")
	for _, c := range []struct {
		name, mime string
		data       []byte
		w, h       int
	}{
		{"a.jpeg", "image/jpeg", jpg.Bytes(), 6, 4},
		{"a.gif", "image/gif", gf.Bytes(), 6, 4},
		{"a.webp", "image/webp", webp, 1, 1},
		{"noext", "image/png", pngBytes(t, 2, 3), 2, 3},
	} {
		// The declared type is ignored for images: the bytes decide.
		f := e.uploadOne("/api/v4/images", tok, filePart(c.name, "application/octet-stream", c.data))
		m := f.Attributes.Metadata
		if f.Attributes.MimeType != c.mime || m.Width != c.w || m.Height != c.h || !m.IsFull {
			t.Errorf("%s: %+v", c.name, f.Attributes)
		}
		if c.name == "noext" && f.Attributes.Extension != "png" {
			t.Errorf("extension from the content: %q", f.Attributes.Extension)
		}
	}
}

func TestUploadTextFileIsAnAttachment(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.login("alice")
	text := []byte("hello, parley\n")
	f := e.uploadOne("/api/v4/files", tok, filePart(`C:\Users\alice\notes.TXT`, "text/plain", text))
	a := f.Attributes
	if f.Type != "file" || a.Name != "notes.TXT" || a.Extension != "txt" || a.MimeType != "text/plain" ||
		a.Size != int64(len(text)) || a.Metadata.Width != 0 {
		t.Fatalf("uploaded text: %+v", f)
	}
	r := e.do(req{method: "GET", path: "/api/v3/files/" + f.FileID + "/download"}).ok()
	if !bytes.Equal(r.Body, text) || r.Header.Get("Content-Type") != "text/plain" {
		t.Fatalf("download: %q %v", r.Body, r.Header)
	}
	if cd := r.Header.Get("Content-Disposition"); cd != "attachment; filename=notes.TXT" {
		t.Fatalf("Content-Disposition %q", cd)
	}
	if r.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("downloads must forbid sniffing: %v", r.Header)
	}
	// A declared type the bytes do not bear out never makes a file an inline image.
	f = e.uploadOne("/api/v4/files", tok, filePart("page.png", "image/png", []byte("<html><script>alert(1)</script>")))
	r = e.do(req{method: "GET", path: "/api/v3/files/" + f.FileID + "/download"}).ok()
	if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") {
		t.Fatalf("a fake image must be an attachment: %q", cd)
	}
}

func TestImageOnFileRouteKeepsTypeFileWithDimensions(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.login("alice")
	f := e.uploadOne("/api/v4/files", tok, filePart("blob", "application/octet-stream", pngBytes(t, 5, 7)),
		field("preferredFilename", "holiday.png"), field("accessType", "network"))
	a := f.Attributes
	if f.Type != "file" || f.AccessType != "network" || a.Name != "holiday.png" || a.Extension != "png" ||
		a.MimeType != "image/png" || a.Metadata.Width != 5 || a.Metadata.Height != 7 {
		t.Fatalf("image on /files: %+v", f)
	}
}

func TestUploadSeveralFilesAndVideo(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.login("alice")
	var out []chat.File
	e.upload("/api/v4/files", tok, filePart("a.txt", "text/plain", []byte("a")), filePart("b.txt", "text/plain", []byte("bb"))).ok().Decode(&out)
	if len(out) != 2 || out[0].Attributes.Name != "a.txt" || out[1].Attributes.Name != "b.txt" || out[1].Attributes.Size != 2 {
		t.Fatalf("two files: %+v", out)
	}
	if n := e.count("files", ""); n != 2 {
		t.Fatalf("records: %d", n)
	}
	ten := make([]part, 10)
	for i := range ten {
		ten[i] = filePart("f"+strconv.Itoa(i)+".txt", "text/plain", []byte{byte('a' + i)})
	}
	e.upload("/api/v4/files", tok, ten...).Decode(&out)
	if len(out) != 10 || out[9].Attributes.Name != "f9.txt" {
		t.Fatalf("ten files: %d", len(out))
	}

	body := e.upload("/api/v4/videos", tok, filePart("clip.mp4", "video/mp4", []byte("\x00\x00\x00\x18ftypmp42not really a video")), field("feedType", "post")).ok()
	var vids []map[string]any
	body.Decode(&vids)
	v := vids[0]
	if v["type"] != "video" || v["status"] != "uploaded" || v["attributes"].(map[string]any)["mimeType"] != "video/mp4" {
		t.Fatalf("video: %v", v)
	}
	if v["videoUrl"].(map[string]any)["original"] != v["fileUrl"] {
		t.Fatalf("videoUrl: %v", v)
	}
}

func TestDeleteFile(t *testing.T) {
	e := newEnv(t)
	alice, _ := e.login("alice")
	bob, _ := e.login("bob")
	f := e.uploadOne("/api/v4/files", alice, filePart("a.txt", "text/plain", []byte("secret plans")))
	blobs := e.blobCount()

	e.do(req{method: "DELETE", path: "/api/v3/files/" + f.FileID, token: bob}).expect(403, 400301)
	e.do(req{method: "GET", path: "/api/v3/files/" + f.FileID, token: bob}).ok()

	r := e.do(req{method: "DELETE", path: "/api/v3/files/" + f.FileID, token: alice}).ok()
	if r.JSON()["success"] != true {
		t.Fatalf("delete: %s", r.Body)
	}
	e.do(req{method: "GET", path: "/api/v3/files/" + f.FileID, token: alice}).expect(404, 400400)
	e.do(req{method: "GET", path: "/api/v3/files/" + f.FileID + "/download"}).expect(404, 400400)
	e.do(req{method: "DELETE", path: "/api/v3/files/" + f.FileID, token: alice}).expect(404, 400400)
	if n := e.blobCount(); n != blobs-1 {
		t.Fatalf("blobs on disk after delete: %d, before %d", n, blobs)
	}

	// A global admin may delete anyone's file.
	g := e.uploadOne("/api/v4/files", bob, filePart("b.txt", "text/plain", []byte("b")))
	e.do(req{method: "DELETE", path: "/api/v3/files/" + g.FileID, token: e.adminToken()}).ok()
	e.do(req{method: "GET", path: "/api/v3/files/" + g.FileID, token: bob}).expect(404, 400400)

	e.do(req{method: "GET", path: "/api/v3/files/000000000000000000000000", token: bob}).expect(404, 400400)
	e.do(req{method: "GET", path: "/api/v3/files/nope/download"}).expect(404, 400400)
}

func TestNetworkFileNeedsAToken(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.login("alice")
	other, _ := e.login("bob")
	data := []byte("members only")
	f := e.uploadOne("/api/v4/files", tok, filePart("m.txt", "text/plain", data), field("accessType", "network"))
	if f.AccessType != "network" {
		t.Fatalf("accessType %q", f.AccessType)
	}
	path := "/api/v3/files/" + f.FileID + "/download"
	e.do(req{method: "GET", path: path}).expect(401, 400100)
	e.do(req{method: "GET", path: path, token: "not-a-token"}).expect(401, 400100)
	if r := e.do(req{method: "GET", path: path, token: other}).ok(); !bytes.Equal(r.Body, data) {
		t.Fatalf("with token: %q", r.Body)
	}
	if r := e.do(req{method: "GET", path: path + "?t=" + other}).ok(); !bytes.Equal(r.Body, data) {
		t.Fatalf("with t: %q", r.Body)
	}

	// A public file ignores a stale token instead of refusing.
	p := e.uploadOne("/api/v4/files", tok, filePart("p.txt", "text/plain", data))
	e.do(req{method: "GET", path: "/api/v3/files/" + p.FileID + "/download", token: "stale"}).ok()
}

func TestUploadRefusals(t *testing.T) {
	e := newEnv(t, maxFileBytes(1<<20))
	tok, _ := e.login("alice")
	text := filePart("a.txt", "text/plain", []byte("a"))
	eleven := make([]part, 11)
	for i := range eleven {
		eleven[i] = text
	}
	fakePNG := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 64)...)
	cases := []struct {
		name  string
		path  string
		parts []part
	}{
		{"no files part", "/api/v4/files", []part{field("accessType", "public")}},
		{"only other fields", "/api/v4/files", []part{field("feedType", "post")}},
		{"no parts at all", "/api/v4/files", nil},
		{"eleven files", "/api/v4/files", eleven},
		{"unknown accessType", "/api/v4/files", []part{text, field("accessType", "private")}},
		{"long preferredFilename", "/api/v4/files", []part{text, field("preferredFilename", strings.Repeat("n", 201))}},
		{"long file name", "/api/v4/files", []part{filePart(strings.Repeat("n", 201), "text/plain", []byte("a"))}},
		{"empty file", "/api/v4/files", []part{filePart("e.txt", "text/plain", nil)}},
		{"file over the per-file limit", "/api/v4/files", []part{filePart("big.bin", "application/octet-stream", make([]byte, 1<<20+1))}},
		{"text on images", "/api/v4/images", []part{filePart("a.png", "image/png", []byte("not an image at all"))}},
		{"broken png on images", "/api/v4/images", []part{filePart("a.png", "image/png", fakePNG)}},
		{"svg on images", "/api/v4/images", []part{filePart("a.svg", "image/svg+xml", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`))}},
		{"one good image then text", "/api/v4/images", []part{filePart("ok.png", "image/png", pngBytes(t, 1, 1)), filePart("a.txt", "text/plain", []byte("x"))}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.upload(c.path, tok, c.parts...).expect(400, 400000)
			t.Logf("%s", r.JSON()["message"])
		})
	}

	body, ct := multipartBody(t, text)
	raw := []struct {
		name string
		ct   string
		body []byte
	}{
		{"json body", "application/json", []byte(`{"files":"a"}`)},
		{"no content type", "", body},
		{"multipart without boundary", "multipart/form-data", body},
		{"multipart/mixed", strings.Replace(ct, "form-data", "mixed", 1), body},
		{"garbage body", ct, []byte("this is not multipart at all")},
		{"truncated body", ct, body[:len(body)-20]},
		{"a huge line before the first part", ct, append(bytes.Repeat([]byte("x"), 3<<20), body...)},
	}
	for _, c := range raw {
		t.Run(c.name, func(t *testing.T) {
			h := map[string]string{"Content-Type": c.ct}
			if c.ct == "" {
				h = nil
			}
			// Without a header the kit labels raw bodies application/json: no upload either.
			r := e.do(req{method: "POST", path: "/api/v4/files", token: tok, body: c.body, header: h}).expect(400, 400000)
			t.Logf("%s", r.JSON()["message"])
		})
	}

	// Files each under the per-file limit still may not add up past the request limit.
	var many []part
	for i := 0; i < 3; i++ {
		many = append(many, filePart("p"+strconv.Itoa(i), "application/octet-stream", make([]byte, 900<<10)))
	}
	t.Logf("%s", e.upload("/api/v4/files", tok, many...).expect(400, 400000).JSON()["message"])

	e.upload("/api/v4/files", "", text).expect(401, 400100)

	if n := e.count("files", ""); n != 0 {
		t.Fatalf("refused uploads wrote %d records", n)
	}
	if n := e.blobCount(); n != 0 {
		t.Fatalf("refused uploads left %d blobs on disk", n)
	}
}

func TestAvatarMustBeAnImage(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.login("alice")
	text := e.uploadOne("/api/v4/files", tok, filePart("a.txt", "text/plain", []byte("a")))
	e.do(req{method: "PUT", path: "/api/v3/users", token: tok, body: map[string]any{"avatarFileId": text.FileID}}).expect(403, 400300)
	// An image sent to /files stays a file, as on Amity: it is no avatar either.
	pngFile := e.uploadOne("/api/v4/files", tok, filePart("a.png", "image/png", pngBytes(t, 2, 2)))
	e.do(req{method: "PUT", path: "/api/v3/users", token: tok, body: map[string]any{"avatarFileId": pngFile.FileID}}).expect(403, 400300)
	e.do(req{method: "PUT", path: "/api/v3/users", token: tok, body: map[string]any{"avatarFileId": "000000000000000000000000"}}).expect(404, 400400)

	img := e.uploadOne("/api/v4/images", tok, filePart("me.png", "image/png", pngBytes(t, 4, 4)))
	var out chat.UserPayload
	e.do(req{method: "PUT", path: "/api/v3/users/", token: tok, body: map[string]any{"avatarFileId": img.FileID}}).ok().Decode(&out)
	if out.Users[0].AvatarFileID == nil || *out.Users[0].AvatarFileID != img.FileID {
		t.Fatalf("avatar: %+v", out.Users[0])
	}
	if len(out.Files) != 1 || out.Files[0].FileID != img.FileID || out.Files[0].Type != "image" || out.Files[0].Attributes.Metadata.Width != 4 {
		t.Fatalf("payload files: %+v", out.Files)
	}
	e.do(req{method: "GET", path: "/api/v3/users/alice", token: tok}).ok().Decode(&out)
	if len(out.Files) != 1 || out.Files[0].FileID != img.FileID {
		t.Fatalf("get user files: %+v", out.Files)
	}
}
