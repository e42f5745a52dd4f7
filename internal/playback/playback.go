// Package playback serves a live room's HLS output (playlist, segments, thumbnail) to
// viewers over signed URLs. A URL carries a token, an HMAC over the room, the viewer and
// an expiry, so a player that cannot send an Authorization header (an <video> element,
// a CDN in front of Parley) still fetches only what one viewer was given, and only for a
// while. The ban check runs on every fetch: a viewer banned after the URL was issued is
// refused from the next request on.
package playback

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Signer issues and checks viewer tokens. Every node of a cluster must hold the same key.
type Signer struct {
	key []byte
	ttl time.Duration
}

// NewSigner signs with key; tokens last ttl.
func NewSigner(key []byte, ttl time.Duration) *Signer {
	return &Signer{key: append([]byte(nil), key...), ttl: ttl}
}

// Errors of Verify.
var (
	ErrBadToken = errors.New("playback token is malformed or not ours")
	ErrExpired  = errors.New("playback token has expired")
)

// Token gives the viewer userInternalID access to roomID's live output until now+ttl.
// Its form is base64url(user "." expiry-unix "." mac).
func (s *Signer) Token(roomID, userInternalID string, now time.Time) string {
	exp := now.Add(s.ttl).Unix()
	payload := userInternalID + "." + strconv.FormatInt(exp, 10)
	return base64.RawURLEncoding.EncodeToString([]byte(payload + "." + s.mac(roomID, payload)))
}

// Verify checks a token for roomID and returns the viewer it was issued to.
func (s *Signer) Verify(roomID, token string, now time.Time) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return "", ErrBadToken
	}
	parts := strings.Split(string(raw), ".")
	if len(parts) != 3 || parts[0] == "" {
		return "", ErrBadToken
	}
	payload := parts[0] + "." + parts[1]
	if !hmac.Equal([]byte(parts[2]), []byte(s.mac(roomID, payload))) {
		return "", ErrBadToken
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return "", ErrBadToken
	}
	if now.Unix() >= exp {
		return "", ErrExpired
	}
	return parts[0], nil
}

func (s *Signer) mac(roomID, payload string) string {
	m := hmac.New(sha256.New, s.key)
	fmt.Fprintf(m, "parley-playback\x00%s\x00%s", roomID, payload)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// SignPlaylist appends the viewer's token to every URI of an HLS playlist (segment lines
// and URI="…" attributes), so that the player fetches segments with it.
func SignPlaylist(playlist []byte, token string) []byte {
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(playlist))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
		case !strings.HasPrefix(line, "#"):
			line = withToken(line, token)
		case strings.Contains(line, `URI="`):
			i := strings.Index(line, `URI="`) + len(`URI="`)
			if j := strings.IndexByte(line[i:], '"'); j >= 0 {
				line = line[:i] + withToken(line[i:i+j], token) + line[i+j:]
			}
		}
		out.WriteString(line)
		out.WriteByte('\n')
	}
	return out.Bytes()
}

func withToken(uri, token string) string {
	sep := "?"
	if strings.Contains(uri, "?") {
		sep = "&"
	}
	return uri + sep + "token=" + token
}
