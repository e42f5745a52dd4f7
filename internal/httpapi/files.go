package httpapi

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/parley-chat/parley/internal/chat"
)

func (a *API) routesFiles() {
	a.mux.HandleFunc("POST /api/v4/files", a.auth(a.upload("file")))
	a.mux.HandleFunc("POST /api/v4/images", a.auth(a.upload("image")))
	a.mux.HandleFunc("POST /api/v4/videos", a.auth(a.upload("video")))
	a.mux.HandleFunc("GET /api/v3/files/{fileId}", a.auth(a.getFile))
	a.mux.HandleFunc("DELETE /api/v3/files/{fileId}", a.auth(a.deleteFile))
	// Downloads are not behind a.auth: public files are fetched by <img> tags and the
	// SDK straight from fileUrl, without a token. Network files need one (see download).
	a.mux.HandleFunc("GET /api/v3/files/{fileId}/download", a.download)
}

// upload streams a multipart/form-data body part by part into chat.UploadFiles, so that
// a file goes from the socket to the blob store without being held in memory or spooled
// to a temporary file first. The request size limit is applied by outer (isUpload).
func (a *API) upload(kind string) authed {
	return func(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
		mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
			a.writeError(w, r, badRequest("Content-Type must be multipart/form-data with a boundary."))
			return
		}
		mr := multipart.NewReader(r.Body, params["boundary"])
		in := chat.UploadInput{Type: kind, Next: func() (*chat.UploadPart, error) {
			p, err := mr.NextPart()
			if err != nil {
				if errors.Is(err, io.EOF) {
					return nil, io.EOF
				}
				return nil, uploadReadError(err)
			}
			part := &chat.UploadPart{Field: p.FormName(), FileName: p.FileName(),
				ContentType: p.Header.Get("Content-Type"), Body: partReader{p}}
			if !utf8.ValidString(part.Field) || !utf8.ValidString(part.FileName) || !utf8.ValidString(part.ContentType) {
				return nil, badRequest("Multipart field names, file names and content types must be valid UTF-8.")
			}
			return part, nil
		}}
		out, err := a.svc.UploadFiles(r.Context(), c, in)
		a.reply(w, r, out, err)
	}
}

// partReader turns failures to read a part (a truncated or malformed body, a body over
// the size limit) into 400000 answers: they are the client's doing, not the server's.
type partReader struct{ p *multipart.Part }

func (pr partReader) Read(b []byte) (int, error) {
	n, err := pr.p.Read(b)
	if err != nil && !errors.Is(err, io.EOF) {
		err = uploadReadError(err)
	}
	return n, err
}

func uploadReadError(err error) error {
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return badRequest("Request body is larger than %d bytes.", maxErr.Limit)
	}
	return badRequest("Malformed multipart body: %s.", strings.TrimPrefix(err.Error(), "multipart: "))
}

func (a *API) getFile(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	out, err := a.svc.GetFile(r.Context(), c, r.PathValue("fileId"))
	a.reply(w, r, out, err)
}

func (a *API) deleteFile(w http.ResponseWriter, r *http.Request, c *chat.Caller) {
	err := a.svc.DeleteFile(r.Context(), c, r.PathValue("fileId"))
	a.reply(w, r, success{true}, err)
}

// download streams a file's bytes. Access follows the file's accessType: a public file
// is served to anyone with its URL, a network file only with a valid access token, given
// as a Bearer header or, as Amity allows for <img> tags, as the `t` query parameter. A
// token is consulted only when the file needs one, so a stale token never hides a public
// file. Range requests and conditional GETs are served by http.ServeContent.
func (a *API) download(w http.ResponseWriter, r *http.Request) {
	var caller *chat.Caller
	var authErr error
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if token = strings.TrimSpace(token); token == "" {
		token = r.URL.Query().Get("t")
	}
	if token != "" {
		caller, authErr = a.svc.Authenticate(r.Context(), token)
	}
	f, body, err := a.svc.OpenFile(r.Context(), caller, r.PathValue("fileId"))
	if err != nil {
		if e, ok := chat.AsError(err); ok && e.Code == chat.CodeUnauthorized && authErr != nil {
			err = authErr // say why the token that was sent did not do
		}
		a.writeError(w, r, err)
		return
	}
	defer body.Close()
	h := w.Header()
	h.Set("Content-Type", f.Attributes.MimeType)
	disposition := "attachment"
	if f.Inline() {
		disposition = "inline"
	}
	if v := mime.FormatMediaType(disposition, map[string]string{"filename": f.Attributes.Name}); v != "" {
		disposition = v
	}
	h.Set("Content-Disposition", disposition)
	// Client-declared types are kept for attachments; never let a browser second-guess
	// them or run anything a file holds.
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("ETag", `"`+f.FileID+`"`) // bytes never change under an id
	if f.AccessType == "public" {
		h.Set("Cache-Control", "public, max-age=86400")
	} else {
		h.Set("Cache-Control", "private, max-age=86400")
	}
	if rs, ok := body.(io.ReadSeeker); ok {
		http.ServeContent(w, r, "", f.CreatedAt.Time, rs)
		return
	}
	h.Set("Content-Length", strconv.FormatInt(f.Attributes.Size, 10))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		io.Copy(w, body)
	}
}
