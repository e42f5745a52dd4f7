package chat

import (
	"context"
	"io"
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

func (s *Service) fileURL(f *File) {
	f.FileURL = s.cfg.PublicURL + "/api/v3/files/" + f.FileID + "/download"
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
