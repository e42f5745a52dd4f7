package chat

import (
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Channel payloads are the answer of the busiest calls (a members page, a channel) and
// the data of every membership event. json.Marshal spent a quarter of a members page's
// CPU on them: reflection, a Time.MarshalJSON allocation per timestamp, and a second
// scan of every MarshalJSON result (appendCompact). The appenders below write the same
// bytes directly. They must stay byte-identical to json.Marshal: payload_json_test.go
// compares them on hand-made and random payloads and fuzzes them, so a field added to
// any of these structs fails the tests until it is written here too.

// AppendJSON appends p's JSON to b: exactly what json.Marshal(p) writes, without
// reflection. The error is json.Marshal's one case too: a RawMessage (metadata, message
// previews) that is not valid JSON.
func (p *ChannelPayload) AppendJSON(b []byte) ([]byte, error) {
	if p == nil {
		return append(b, "null"...), nil
	}
	// One allocation for a typical answer instead of a doubling series.
	// (The sizes are those of the benchmark's members page, rounded up.)
	b = slices.Grow(b, 64+900*len(p.Channels)+520*len(p.ChannelUsers)+600*len(p.Users)+
		400*len(p.Files)+300*(len(p.MessagePreviews)+len(p.MessageFeedsInfo)))
	var err error
	b = append(b, `{"channels":`...)
	if b, err = appendArray(b, p.Channels, appendChannel); err != nil {
		return nil, err
	}
	b = append(b, `,"channelUsers":`...)
	if b, err = appendArray(b, p.ChannelUsers, appendMembership); err != nil {
		return nil, err
	}
	b = append(b, `,"messagePreviews":`...)
	if b, err = appendArray(b, p.MessagePreviews, appendRawAt); err != nil {
		return nil, err
	}
	b = append(b, `,"messageFeedsInfo":`...)
	if b, err = appendArray(b, p.MessageFeedsInfo, appendRawAt); err != nil {
		return nil, err
	}
	b = append(b, `,"users":`...)
	if b, err = appendArray(b, p.Users, appendUser); err != nil {
		return nil, err
	}
	b = append(b, `,"files":`...)
	if b, err = appendArray(b, p.Files, appendFile); err != nil {
		return nil, err
	}
	if p.Paging != nil { // omitempty
		b = append(b, `,"paging":`...)
		b = appendPaging(b, p.Paging)
	}
	return append(b, '}'), nil
}

func appendChannel(b []byte, c *Channel) ([]byte, error) {
	b = append(b, `{"_id":`...)
	b = appendString(b, c.ID)
	b = append(b, `,"channelId":`...)
	b = appendString(b, c.ChannelID)
	b = append(b, `,"channelInternalId":`...)
	b = appendString(b, c.ChannelInternalID)
	b = append(b, `,"channelPublicId":`...)
	b = appendString(b, c.ChannelPublicID)
	b = append(b, `,"type":`...)
	b = appendString(b, c.Type)
	b = append(b, `,"path":`...)
	b = appendString(b, c.Path)
	b = append(b, `,"displayName":`...)
	b = appendString(b, c.DisplayName)
	b = append(b, `,"avatarFileId":`...)
	b = appendStringPtr(b, c.AvatarFileID)
	b = append(b, `,"isDistinct":`...)
	b = strconv.AppendBool(b, c.IsDistinct)
	b = append(b, `,"isPublic":`...)
	b = strconv.AppendBool(b, c.IsPublic)
	b = append(b, `,"isMuted":`...)
	b = strconv.AppendBool(b, c.IsMuted)
	b = append(b, `,"muteTimeout":`...)
	b = appendTime(b, c.MuteTimeout)
	b = append(b, `,"isRateLimited":`...)
	b = strconv.AppendBool(b, c.IsRateLimited)
	b = append(b, `,"rateLimit":`...)
	b = strconv.AppendInt(b, int64(c.RateLimit), 10)
	b = append(b, `,"rateLimitWindow":`...)
	b = strconv.AppendInt(b, int64(c.RateLimitWindow), 10)
	b = append(b, `,"rateLimitTimeout":`...)
	b = appendTime(b, c.RateLimitTimeout)
	b = append(b, `,"messageAutoDeleteEnabled":`...)
	b = strconv.AppendBool(b, c.MessageAutoDeleteEnabled)
	b = append(b, `,"autoDeleteMessageByFlagLimit":`...)
	if c.AutoDeleteMessageByFlagLimit == nil {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, int64(*c.AutoDeleteMessageByFlagLimit), 10)
	}
	b = append(b, `,"notificationMode":`...)
	b = appendString(b, c.NotificationMode)
	b = append(b, `,"memberCount":`...)
	b = strconv.AppendInt(b, int64(c.MemberCount), 10)
	b = append(b, `,"moderatorMemberCount":`...)
	b = strconv.AppendInt(b, int64(c.ModeratorMemberCount), 10)
	b = append(b, `,"messageCount":`...)
	b = strconv.AppendInt(b, c.MessageCount, 10)
	b = append(b, `,"lastActivity":`...)
	b = appendTime(b, c.LastActivity)
	b = append(b, `,"messagePreviewId":`...)
	b = appendStringPtr(b, c.MessagePreviewID)
	b = append(b, `,"metadata":`...)
	b, err := appendRaw(b, c.Metadata)
	if err != nil {
		return nil, err
	}
	b = append(b, `,"tags":`...)
	b = appendStrings(b, c.Tags)
	b = append(b, `,"attachedTo":{"postId":`...)
	b = appendStringPtr(b, c.AttachedTo.PostID)
	b = append(b, `,"videoStreamId":`...)
	b = appendStringPtr(b, c.AttachedTo.VideoStreamID)
	b = append(b, `,"roomId":`...)
	b = appendStringPtr(b, c.AttachedTo.RoomID)
	b = append(b, `},"isDeleted":`...)
	b = strconv.AppendBool(b, c.IsDeleted)
	b = append(b, `,"createdAt":`...)
	b = appendTime(b, c.CreatedAt)
	b = append(b, `,"updatedAt":`...)
	b = appendTime(b, c.UpdatedAt)
	b = append(b, `,"deletedAt":`...)
	b = appendTime(b, c.DeletedAt)
	return append(b, '}'), nil
}

func appendMembership(b []byte, m *Membership) ([]byte, error) {
	b = append(b, `{"channelId":`...)
	b = appendString(b, m.ChannelID)
	b = append(b, `,"channelInternalId":`...)
	b = appendString(b, m.ChannelInternalID)
	b = append(b, `,"channelPublicId":`...)
	b = appendString(b, m.ChannelPublicID)
	b = append(b, `,"userId":`...)
	b = appendString(b, m.UserID)
	b = append(b, `,"userInternalId":`...)
	b = appendString(b, m.UserInternalID)
	b = append(b, `,"userPublicId":`...)
	b = appendString(b, m.UserPublicID)
	b = append(b, `,"membership":`...)
	b = appendString(b, m.Membership)
	b = append(b, `,"isBanned":`...)
	b = strconv.AppendBool(b, m.IsBanned)
	b = append(b, `,"isMuted":`...)
	b = strconv.AppendBool(b, m.IsMuted)
	b = append(b, `,"muteTimeout":`...)
	b = appendTime(b, m.MuteTimeout)
	b = append(b, `,"lastActivity":`...)
	b = appendTime(b, m.LastActivity)
	b = append(b, `,"roles":`...)
	b = appendStrings(b, m.Roles)
	b = append(b, `,"permissions":`...)
	b = appendStrings(b, m.Permissions)
	b = append(b, `,"readToSegment":`...)
	b = strconv.AppendInt(b, m.ReadToSegment, 10)
	b = append(b, `,"lastMentionedSegment":`...)
	b = strconv.AppendInt(b, m.LastMentionedSegment, 10)
	b = append(b, `,"createdAt":`...)
	b = appendTime(b, m.CreatedAt)
	b = append(b, `,"updatedAt":`...)
	b = appendTime(b, m.UpdatedAt)
	return append(b, '}'), nil
}

func appendUser(b []byte, u *User) ([]byte, error) {
	b = append(b, `{"_id":`...)
	b = appendString(b, u.ID)
	b = append(b, `,"userId":`...)
	b = appendString(b, u.UserID)
	b = append(b, `,"userInternalId":`...)
	b = appendString(b, u.UserInternalID)
	b = append(b, `,"userPublicId":`...)
	b = appendString(b, u.UserPublicID)
	b = append(b, `,"path":`...)
	b = appendString(b, u.Path)
	b = append(b, `,"displayName":`...)
	b = appendString(b, u.DisplayName)
	b = append(b, `,"avatarFileId":`...)
	b = appendStringPtr(b, u.AvatarFileID)
	b = append(b, `,"avatarCustomUrl":`...)
	b = appendStringPtr(b, u.AvatarCustomURL)
	b = append(b, `,"description":`...)
	b = appendString(b, u.Description)
	b = append(b, `,"isBrand":`...)
	b = strconv.AppendBool(b, u.IsBrand)
	b = append(b, `,"metadata":`...)
	b, err := appendRaw(b, u.Metadata)
	if err != nil {
		return nil, err
	}
	b = append(b, `,"tags":`...)
	b = appendStrings(b, u.Tags)
	b = append(b, `,"roles":`...)
	b = appendStrings(b, u.Roles)
	b = append(b, `,"permissions":`...)
	b = appendStrings(b, u.Permissions)
	b = append(b, `,"isGlobalBan":`...)
	b = strconv.AppendBool(b, u.IsGlobalBan)
	b = append(b, `,"flagCount":`...)
	b = strconv.AppendInt(b, int64(u.FlagCount), 10)
	b = append(b, `,"hashFlag":`...)
	if h := u.HashFlag; h == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"bits":`...)
		b = strconv.AppendInt(b, int64(h.Bits), 10)
		b = append(b, `,"hashes":`...)
		b = strconv.AppendInt(b, int64(h.Hashes), 10)
		b = append(b, `,"hash":`...)
		b, _ = appendArray(b, h.Hash, func(b []byte, n *int) ([]byte, error) { return strconv.AppendInt(b, int64(*n), 10), nil })
		b = append(b, '}')
	}
	b = append(b, `,"isDeleted":`...)
	b = strconv.AppendBool(b, u.IsDeleted)
	b = append(b, `,"createdAt":`...)
	b = appendTime(b, u.CreatedAt)
	b = append(b, `,"updatedAt":`...)
	b = appendTime(b, u.UpdatedAt)
	b = append(b, `,"deletedAt":`...)
	b = appendTime(b, u.DeletedAt)
	return append(b, '}'), nil
}

// appendFile writes a file; users' avatars put one in most member pages.
func appendFile(b []byte, f *File) ([]byte, error) {
	b = append(b, `{"fileId":`...)
	b = appendString(b, f.FileID)
	b = append(b, `,"type":`...)
	b = appendString(b, f.Type)
	b = append(b, `,"fileUrl":`...)
	b = appendString(b, f.FileURL)
	b = append(b, `,"accessType":`...)
	b = appendString(b, f.AccessType)
	a := &f.Attributes
	b = append(b, `,"attributes":{"name":`...)
	b = appendString(b, a.Name)
	b = append(b, `,"extension":`...)
	b = appendString(b, a.Extension)
	b = append(b, `,"size":`...)
	b = strconv.AppendInt(b, a.Size, 10)
	b = append(b, `,"mimeType":`...)
	b = appendString(b, a.MimeType)
	b = append(b, `,"metadata":`...)
	sep := byte('{') // every FileMetadata field is omitempty
	if a.Metadata.Width != 0 {
		b = append(b, sep)
		b = append(b, `"width":`...)
		b = strconv.AppendInt(b, int64(a.Metadata.Width), 10)
		sep = ','
	}
	if a.Metadata.Height != 0 {
		b = append(b, sep)
		b = append(b, `"height":`...)
		b = strconv.AppendInt(b, int64(a.Metadata.Height), 10)
		sep = ','
	}
	if a.Metadata.IsFull {
		b = append(b, sep)
		b = append(b, `"isFull":true`...)
		sep = ','
	}
	if sep == '{' {
		b = append(b, '{')
	}
	b = append(b, `}},"isDeleted":`...)
	b = strconv.AppendBool(b, f.IsDeleted)
	b = append(b, `,"createdAt":`...)
	b = appendTime(b, f.CreatedAt)
	b = append(b, `,"updatedAt":`...)
	b = appendTime(b, f.UpdatedAt)
	if f.Status != "" {
		b = append(b, `,"status":`...)
		b = appendString(b, f.Status)
	}
	if len(f.VideoURL) > 0 {
		// Videos only, never avatars: json.Marshal sorts and writes the map.
		v, err := json.Marshal(f.VideoURL)
		if err != nil {
			return nil, err
		}
		b = append(b, `,"videoUrl":`...)
		b = append(b, v...)
	}
	return append(b, '}'), nil
}

func appendPaging(b []byte, p *Paging) []byte {
	sep := byte('{') // both fields are omitempty
	if p.Next != "" {
		b = append(b, sep)
		b = append(b, `"next":`...)
		b = appendString(b, p.Next)
		sep = ','
	}
	if p.Previous != "" {
		b = append(b, sep)
		b = append(b, `"previous":`...)
		b = appendString(b, p.Previous)
		sep = ','
	}
	if sep == '{' {
		b = append(b, '{')
	}
	return append(b, '}')
}

// appendArray writes a slice as json.Marshal does: nil is null, empty is [].
func appendArray[T any](b []byte, s []T, one func([]byte, *T) ([]byte, error)) ([]byte, error) {
	if s == nil {
		return append(b, "null"...), nil
	}
	b = append(b, '[')
	for i := range s {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = one(b, &s[i]); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

func appendStrings(b []byte, s []string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, v := range s {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, v)
	}
	return append(b, ']')
}

func appendStringPtr(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return appendString(b, *s)
}

// htmlSafe is encoding/json's htmlSafeSet: the ASCII bytes a string carries as they are.
var htmlSafe = func() (t [utf8.RuneSelf]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// appendString writes s quoted as json.Marshal does (encoding/json's appendString with
// HTML escaping): \" \\ \b \f \n \r \t, other control bytes and < > & as \u00XX,
// U+2028 and U+2029 as \u202X, and each byte of invalid UTF-8 as \ufffd.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if htmlSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// AppendJSONString and AppendJSON (of a Time) are appendString and appendTime for the
// other hand-written encoders (the MQTT event envelope): one escaper for all of them.
func AppendJSONString(b []byte, s string) []byte { return appendString(b, s) }

// AppendJSON appends what MarshalJSON returns.
func (t Time) AppendJSON(b []byte) []byte { return appendTime(b, t) }

// appendTime writes what Time.MarshalJSON returns (null when zero, else the wire format
// in UTC) without its allocation and without parsing the layout for the usual years.
func appendTime(b []byte, t Time) []byte {
	if t.IsZero() {
		return append(b, "null"...)
	}
	u := t.UTC()
	year, month, day := u.Date()
	if year < 0 || year > 9999 { // Format's own width and sign rules
		b = append(b, '"')
		b = u.AppendFormat(b, wireTime)
		return append(b, '"')
	}
	hour, minute, sec := u.Clock()
	ms := u.Nanosecond() / 1e6 // Format truncates the fraction
	return append(b, '"',
		byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-',
		byte('0'+month/10), byte('0'+month%10), '-', byte('0'+day/10), byte('0'+day%10), 'T',
		byte('0'+hour/10), byte('0'+hour%10), ':', byte('0'+minute/10), byte('0'+minute%10), ':',
		byte('0'+sec/10), byte('0'+sec%10), '.',
		byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), 'Z', '"')
}

var errRawJSON = errors.New("json: a RawMessage is not valid JSON")

func appendRawAt(b []byte, m *json.RawMessage) ([]byte, error) { return appendRaw(b, *m) }

// appendRaw writes a json.RawMessage as json.Marshal does: nil is null; anything else
// must be valid JSON (an empty one is not) and is compacted, with < > & and U+2028/9
// escaped as in strings, the only place valid JSON can hold them. Invalid UTF-8 is
// copied as it is, as json.Marshal copies it.
func appendRaw(b []byte, m json.RawMessage) ([]byte, error) {
	if m == nil {
		return append(b, "null"...), nil
	}
	if string(m) == "{}" { // what most metadata is
		return append(b, m...), nil
	}
	if !json.Valid(m) {
		return nil, errRawJSON
	}
	inString := false
	for i := 0; i < len(m); i++ {
		c := m[i]
		switch {
		case inString && c == '\\': // an escape's next byte is ASCII and never ends the string
			b = append(b, c, m[i+1])
			i++
			continue
		case c == '"':
			inString = !inString
		case !inString && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			continue
		case c == '<' || c == '>' || c == '&':
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			continue
		case c == 0xE2 && i+2 < len(m) && m[i+1] == 0x80 && m[i+2]&^1 == 0xA8:
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[m[i+2]&0xF])
			i += 2
			continue
		}
		b = append(b, c)
	}
	return b, nil
}
