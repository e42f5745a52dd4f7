package store

import "github.com/parley-chat/parley/internal/chat"

const fileColumns = `id, type, access_type, name, extension, size, mime_type, width, height, uploader_id, is_deleted, created_at, updated_at`

func scanFile(s scanner) (chat.File, error) {
	var f chat.File
	var deleted int
	var created, updated int64
	a := &f.Attributes
	err := s.Scan(&f.FileID, &f.Type, &f.AccessType, &a.Name, &a.Extension, &a.Size, &a.MimeType,
		&a.Metadata.Width, &a.Metadata.Height, &f.UploaderID, &deleted, &created, &updated)
	f.IsDeleted = deleted == 1
	f.CreatedAt, f.UpdatedAt = chat.FromMillis(created), chat.FromMillis(updated)
	a.Metadata.IsFull = f.Type == "image"
	return f, err
}

func (t *tx) InsertFile(f *chat.File) error {
	a := f.Attributes
	_, err := t.exec(`INSERT INTO files (`+fileColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		f.FileID, f.Type, f.AccessType, a.Name, a.Extension, a.Size, a.MimeType, a.Metadata.Width, a.Metadata.Height,
		f.UploaderID, boolInt(f.IsDeleted), f.CreatedAt.Millis(), f.UpdatedAt.Millis())
	return err
}

func (t *tx) FileByID(id string) (*chat.File, error) {
	return one(t.queryRow(`SELECT `+fileColumns+` FROM files WHERE id = ?`, id), scanFile)
}

// FilesByIDs returns the files that exist and are not deleted.
func (t *tx) FilesByIDs(ids []string) ([]chat.File, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return queryAll(t, scanFile, `SELECT `+fileColumns+` FROM files WHERE is_deleted = 0 AND id IN (`+placeholders(len(ids))+`)`, anys(ids)...)
}

func (t *tx) DeleteFile(id string, at chat.Time) error {
	_, err := t.exec(`UPDATE files SET is_deleted = 1, updated_at = ? WHERE id = ?`, at.Millis(), id)
	return err
}
