package playback

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Server serves the files a packager writes under Dir/<roomId>/: index.m3u8 (the live
// playlist, rewritten per viewer with their token), its segments and thumbnail.jpg.
type Server struct {
	Signer *Signer
	Dir    string
	// MayWatch tells whether the viewer may watch the room now (the room exists, is not
	// deleted, the viewer is not banned); room.Service.CanReadRoom.
	MayWatch func(ctx context.Context, userInternalID, roomID string) (bool, error)
	Now      func() time.Time // time.Now when nil
}

// fileName is what a packager writes: no directories, no dot files.
var fileName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}\.(m3u8|ts|m4s|mp4|aac|jpg)$`)

// Cache lifetimes. A segment never changes once written, so CDNs keep it; a live
// playlist changes every segment, so it is kept for less than one segment duration.
const (
	segmentCache  = "public, max-age=86400, immutable"
	playlistCache = "public, max-age=1"
	thumbCache    = "public, max-age=5"
)

// ServeHTTP answers GET …/rooms/{roomId}/live/{file}?token=…: 401 without a valid token,
// 403 for an expired one or a viewer who may not watch, 404 for what does not exist.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	roomID, name := r.PathValue("roomId"), r.PathValue("file")
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	token := r.URL.Query().Get("token")
	user, err := s.Signer.Verify(roomID, token, now)
	switch {
	case errors.Is(err, ErrExpired):
		http.Error(w, "The playback URL has expired.", http.StatusForbidden)
		return
	case err != nil:
		http.Error(w, "A valid playback token is required.", http.StatusUnauthorized)
		return
	}
	ok, err := s.MayWatch(r.Context(), user, roomID)
	if err != nil {
		http.Error(w, "Cannot check access now.", http.StatusServiceUnavailable)
		return
	}
	if !ok {
		http.Error(w, "You may not watch this room.", http.StatusForbidden)
		return
	}
	if !fileName.MatchString(name) || strings.ContainsAny(roomID, `/\.`) {
		http.NotFound(w, r)
		return
	}
	path := filepath.Join(s.Dir, roomID, name)
	w.Header().Set("Vary", "Origin")
	switch filepath.Ext(name) {
	case ".m3u8":
		b, err := os.ReadFile(path)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/vnd.apple.mpegurl")
		w.Header().Set("Cache-Control", playlistCache)
		w.Write(SignPlaylist(b, token))
		return
	case ".jpg":
		w.Header().Set("Content-Type", "image/jpeg")
		w.Header().Set("Cache-Control", thumbCache)
	case ".ts":
		w.Header().Set("Content-Type", "video/mp2t")
		w.Header().Set("Cache-Control", segmentCache)
	default:
		w.Header().Set("Cache-Control", segmentCache)
	}
	f, err := os.Open(path)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.IsDir() {
		http.NotFound(w, r)
		return
	}
	http.ServeContent(w, r, name, st.ModTime(), f)
}
