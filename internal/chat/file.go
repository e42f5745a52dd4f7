package chat

import (
	"bytes"
	"context"
	"errors"
	"image"
	_ "image/gif" // the image decoders DecodeConfig needs to read dimensions
	_ "image/jpeg"
	_ "image/png"
	"io"
	"net/http" // only for DetectContentType, the standard content sniffer
	"path"
	"strings"
	"unicode/utf8"

	_ "golang.org/x/image/webp"
)

// File is an uploaded file in the shape the SDK reads.
type File struct {
	FileID     string         `json:"fileId"`
	Type       string         `json:"type"` // file | image | video
	FileURL    string         `json:"fileUrl"`
	AccessType string         `json:"accessType"` // public | network
	Attributes FileAttributes `json:"attributes"`
	IsDeleted  bool           `json:"isDeleted"`
	CreatedAt  Time           `json:"createdAt"`
	UpdatedAt  Time           `json:"updatedAt"`
	// Videos only. Parley does not transcode: a video is always "uploaded" and its one
	// rendition is the original.
	Status   string            `json:"status,omitempty"`
	VideoURL map[string]string `json:"videoUrl,omitempty"`
	// UploaderID is the internal id of the user who uploaded it.
	UploaderID string `json:"-"`
}

// FileAttributes describe a file's content.
type FileAttributes struct {
	Name      string       `json:"name"`
	Extension string       `json:"extension"`
	Size      int64        `json:"size"`
	MimeType  string       `json:"mimeType"`
	Metadata  FileMetadata `json:"metadata"`
}

// FileMetadata holds an image's dimensions; both are zero and omitted for other files.
type FileMetadata struct {
	Width  int  `json:"width,omitempty"`
	Height int  `json:"height,omitempty"`
	IsFull bool `json:"isFull,omitempty"`
}

// FileStore is the persistence of file records; the bytes live in Blobs.
type FileStore interface {
	InsertFile(f *File) error
	FileByID(id string) (*File, error)
	FilesByIDs(ids []string) ([]File, error)
	DeleteFile(id string, at Time) error
}

// Blobs keeps file bytes. The local-disk backend is the default; an S3-compatible one can
// stand in later without the domain noticing.
type Blobs interface {
	Put(ctx context.Context, key string, r io.Reader) (int64, error)
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	Delete(ctx context.Context, key string) error
}

// files loads file records by id, skipping missing ones, with their URLs filled.
func (s *Service) files(tx Tx, ids []string) ([]File, error) {
	out := []File{}
	if len(ids) == 0 {
		return out, nil
	}
	fs, err := tx.FilesByIDs(Unique(ids))
	if err != nil {
		return nil, err
	}
	for i := range fs {
		s.fileURL(&fs[i])
	}
	return append(out, fs...), nil
}

// fileURL fills the fields derived from a stored record: its download URL, whether an
// image is full size, and for a video the status and renditions the SDK reads.
func (s *Service) fileURL(f *File) {
	f.FileURL = s.cfg.PublicURL + "/api/v3/files/" + f.FileID + "/download"
	f.Attributes.Metadata.IsFull = f.Type == "image" // Parley keeps only the original
	if f.Type == "video" {
		f.Status = "uploaded"
		f.VideoURL = map[string]string{"original": f.FileURL}
	}
}

// requireImage checks that an avatar names an existing image file.
func (s *Service) requireImage(tx Tx, fileID string) error {
	f, err := tx.FileByID(fileID)
	if err != nil {
		return err
	}
	if f == nil || f.IsDeleted {
		return NotFound("File")
	}
	if f.Type != "image" {
		return Errorf(CodeForbidden, "Avatar must be an image.")
	}
	return nil
}

// Upload limits.
const (
	MaxFilesPerUpload   = 10
	maxFileNameChars    = 200
	maxUploadFieldBytes = 4096
)

// imageTypes are the image formats Parley accepts as images, with their extension. They
// are raster formats a browser shows without running anything, so they alone are served
// inline.
var imageTypes = map[string]string{
	"image/jpeg": "jpg",
	"image/png":  "png",
	"image/gif":  "gif",
	"image/webp": "webp",
}

// UploadInput is one multipart upload as the transport reads it: Next returns the parts
// in body order, and io.EOF after the last. Errors the transport hands over (from Next or
// from reading a part's Body) are *Error values when the client is at fault.
type UploadInput struct {
	Type string // file | image | video: which upload route was called
	Next func() (*UploadPart, error)
}

// UploadPart is one part of a multipart upload.
type UploadPart struct {
	Field       string // form field name: files, accessType, preferredFilename, …
	FileName    string // the name the client gave the file
	ContentType string // the Content-Type the client declared for the part
	Body        io.Reader
}

// UploadFiles answers POST /api/v4/files, /images and /videos. Each `files` part is
// streamed to the blob store under a fresh id, then all records are written in one
// transaction. Any failure deletes the bytes already stored, so a refused upload leaves
// neither records nor bytes behind; a record is only ever written after its bytes.
func (s *Service) UploadFiles(ctx context.Context, c *Caller, in UploadInput) (out []File, err error) {
	if c.User == nil {
		return nil, PermissionDenied()
	}
	var stored []File
	defer func() {
		if err != nil {
			for _, f := range stored {
				s.blobs.Delete(context.WithoutCancel(ctx), f.FileID)
			}
		}
	}()
	var accessType, preferred *string
	for {
		part, err := in.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch part.Field {
		case "files":
			if len(stored) == MaxFilesPerUpload {
				return nil, badField("files", "must have at most %d items", MaxFilesPerUpload)
			}
			f, err := s.storeUpload(ctx, in.Type, part)
			if err != nil {
				return nil, err
			}
			stored = append(stored, *f)
		case "accessType":
			if accessType, err = readField(part); err != nil {
				return nil, err
			}
		case "preferredFilename":
			if preferred, err = readField(part); err != nil {
				return nil, err
			}
		}
		// Other fields (feedType, fullImage, …) are accepted and ignored; the transport
		// skips their bytes when it moves to the next part.
	}

	var p Problems
	if len(stored) == 0 {
		p.Add("files", "is required: send one or more parts named files")
	}
	if accessType == nil || *accessType == "" {
		public := "public"
		accessType = &public
	}
	p.OneOf("accessType", accessType, "public", "network")
	if preferred != nil && *preferred == "" {
		preferred = nil
	}
	p.Text("preferredFilename", preferred, 1, maxFileNameChars)
	if err := p.Err(); err != nil {
		return nil, err
	}

	now := s.now()
	for i := range stored {
		f := &stored[i]
		f.AccessType = *accessType
		if preferred != nil {
			f.Attributes.Name = baseName(*preferred)
			if ext := extensionOf(f.Attributes.Name); ext != "" {
				f.Attributes.Extension = ext
			}
		}
		f.UploaderID = c.User.ID
		f.CreatedAt, f.UpdatedAt = now, now
	}
	err = s.store.Write(ctx, func(tx Tx) error {
		for i := range stored {
			if err := tx.InsertFile(&stored[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i := range stored {
		s.fileURL(&stored[i])
	}
	return stored, nil
}

// storeUpload streams one file part to the blob store and inspects what it holds. On any
// failure its own bytes are gone again.
func (s *Service) storeUpload(ctx context.Context, kind string, part *UploadPart) (*File, error) {
	name := baseName(part.FileName)
	if utf8.RuneCountInString(name) > maxFileNameChars {
		return nil, badField("files", "names must be at most %d characters", maxFileNameChars)
	}
	id := NewID()
	size, err := s.blobs.Put(ctx, id, &sizeLimit{r: part.Body, max: s.cfg.MaxFileBytes})
	if err != nil {
		return nil, err
	}
	f := &File{FileID: id, Type: kind, Attributes: FileAttributes{Name: name, Size: size, Metadata: FileMetadata{}}}
	// An empty part is nearly always a client bug (a stream read twice), never a file
	// anyone meant to share.
	err = badField("files", "must not be empty")
	if size > 0 {
		err = s.inspect(ctx, f, part.ContentType)
	}
	if err != nil {
		s.blobs.Delete(context.WithoutCancel(ctx), id)
		return nil, err
	}
	return f, nil
}

// inspect sets a stored file's MIME type, extension and, for images, dimensions. The
// bytes decide: content sniffing, and for the image formats a decoded header. An image
// route refuses anything that is not one of the accepted image formats; the file route
// keeps every file as type "file", as Amity does, but still records an image's size.
func (s *Service) inspect(ctx context.Context, f *File, declared string) error {
	r, err := s.blobs.Open(ctx, f.FileID)
	if err != nil {
		return err
	}
	defer r.Close()
	head := make([]byte, 512)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return err
	}
	head = head[:n]
	sniffed, _, _ := strings.Cut(http.DetectContentType(head), ";")
	a := &f.Attributes
	if ext, ok := imageTypes[sniffed]; ok {
		cfg, format, err := image.DecodeConfig(io.MultiReader(bytes.NewReader(head), r))
		if err == nil && "image/"+format == sniffed && cfg.Width > 0 && cfg.Height > 0 {
			a.MimeType = sniffed
			a.Metadata.Width, a.Metadata.Height = cfg.Width, cfg.Height
			a.Extension = extensionOf(a.Name)
			if a.Extension == "" {
				a.Extension = ext
			}
			return nil
		}
	}
	if f.Type == "image" {
		return badField("files", "must be a JPEG, PNG, GIF or WebP image")
	}
	// Not an image: keep the type the client declared when it is a sane media type (it
	// knows a .docx from a .zip better than sniffing does), else what sniffing found.
	// Such files are always served as attachments, so a declared type cannot make a
	// browser run them.
	a.MimeType = sniffed
	if mt := strings.TrimSpace(declared); mt != "" && len(mt) <= 100 && strings.Count(mt, "/") == 1 &&
		!strings.HasPrefix(mt, "application/octet-stream") && !strings.ContainsAny(mt, "\r\n") {
		a.MimeType = mt
	}
	a.Extension = extensionOf(a.Name)
	return nil
}

// GetFile answers GET /api/v3/files/{fileId}.
func (s *Service) GetFile(ctx context.Context, c *Caller, fileID string) (*File, error) {
	var f *File
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		f, err = liveFile(tx, fileID)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.fileURL(f)
	return f, nil
}

// OpenFile answers GET /api/v3/files/{fileId}/download: the record and its bytes. A
// public file is readable by anyone who has its URL (the SDK and <img> tags fetch
// fileUrl without a token); a network file needs a logged-in caller, so c may be nil
// only for public files. The caller closes the reader.
func (s *Service) OpenFile(ctx context.Context, c *Caller, fileID string) (*File, io.ReadCloser, error) {
	var f *File
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		f, err = liveFile(tx, fileID)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	if f.AccessType != "public" && c == nil {
		return nil, nil, Unauthorized("This file needs an access token.")
	}
	r, err := s.blobs.Open(ctx, f.FileID)
	if err != nil {
		return nil, nil, err
	}
	s.fileURL(f)
	return f, r, nil
}

// DeleteFile answers DELETE /api/v3/files/{fileId}: the uploader or a global admin
// removes a file. The record is marked deleted first and the bytes removed after the
// commit, so no live record ever points at missing bytes.
func (s *Service) DeleteFile(ctx context.Context, c *Caller, fileID string) error {
	err := s.store.Write(ctx, func(tx Tx) error {
		f, err := liveFile(tx, fileID)
		if err != nil {
			return err
		}
		if !c.IsAdmin() && (c.User == nil || f.UploaderID != c.User.ID) {
			return PermissionDenied()
		}
		return tx.DeleteFile(f.FileID, s.now())
	})
	if err != nil {
		return err
	}
	// The file is gone for every client once the record is; bytes a failed removal
	// leaves behind are unreachable and harmless, so they never turn the answer into a 500.
	s.blobs.Delete(context.WithoutCancel(ctx), fileID)
	return nil
}

// Inline tells whether a file may be shown in the browser rather than downloaded: only
// images whose header decoded as one of the accepted raster formats.
func (f *File) Inline() bool {
	_, ok := imageTypes[f.Attributes.MimeType]
	return ok && f.Attributes.Metadata.Width > 0
}

// liveFile loads a file that exists and is not deleted.
func liveFile(tx Tx, fileID string) (*File, error) {
	f, err := tx.FileByID(fileID)
	if err != nil {
		return nil, err
	}
	if f == nil || f.IsDeleted {
		return nil, NotFound("File")
	}
	return f, nil
}

// readField reads a small form field.
func readField(part *UploadPart) (*string, error) {
	b, err := io.ReadAll(io.LimitReader(part.Body, maxUploadFieldBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxUploadFieldBytes {
		return nil, badField(part.Field, "must be at most %d bytes", maxUploadFieldBytes)
	}
	v := string(b)
	return &v, nil
}

// baseName keeps the last element of a client's file name, whichever separator its
// system used, and drops control characters.
func baseName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, name)
	if name == "" || name == "." || name == ".." {
		return "file"
	}
	return name
}

// extensionOf is a name's extension without the dot, lower-cased.
func extensionOf(name string) string {
	return strings.ToLower(strings.TrimPrefix(path.Ext(name), "."))
}

// badField is a 400000 about one field.
func badField(field, format string, args ...any) error {
	var p Problems
	p.Add(field, format, args...)
	return p.Err()
}

// sizeLimit reads at most max bytes and fails the upload past that.
type sizeLimit struct {
	r         io.Reader
	read, max int64
}

func (l *sizeLimit) Read(p []byte) (int, error) {
	if rest := l.max - l.read + 1; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := l.r.Read(p)
	l.read += int64(n)
	if l.read > l.max {
		return 0, badField("files", "must be at most %d bytes each", l.max)
	}
	return n, err
}
