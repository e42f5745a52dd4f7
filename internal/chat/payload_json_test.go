package chat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

// checkSame fails unless p.AppendJSON appends exactly what json.Marshal(p) returns, and
// fails exactly when json.Marshal fails.
func checkSame(t testing.TB, p *ChannelPayload) {
	t.Helper()
	want, wantErr := json.Marshal(p)
	got, err := p.AppendJSON([]byte("prefix"))
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("AppendJSON error %v, json.Marshal error %v", err, wantErr)
	}
	if wantErr != nil {
		return
	}
	if !bytes.HasPrefix(got, []byte("prefix")) {
		t.Fatalf("AppendJSON dropped what the buffer held: %q", got)
	}
	got = got[len("prefix"):]
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		from := max(0, i-60)
		t.Fatalf("differs at byte %d:\n got  ...%q\n want ...%q", i, got[from:min(len(got), i+60)], want[from:min(len(want), i+60)])
	}
}

var (
	tzEast = time.FixedZone("east", 5*3600+30*60)
	tzWest = time.FixedZone("west", -11*3600)
)

// edgeStrings are strings that json.Marshal escapes in every way it has.
var edgeStrings = []string{
	"", "plain", "quote\" back\\slash /", "<script>&amp;</script>", "\b\f\n\r\t", "\x00\x01\x1f\x7f",
	"line\u2028para\u2029", "Zoë 日本 😀", "bad\xffutf8\xe2\x80", "\xed\xa0\x80 surrogate", "\xf4\x90\x80\x80",
	"\u2027\u202a", "'single'", "\ufffd",
}

// edgeRaws are RawMessages: valid ones with whitespace and characters to escape, and
// ones json.Marshal refuses.
var edgeRaws = []string{
	"{}", "null", "[]", `{"a":1}`, " {\n\t\"k\" : [ 1 , 2.5e-3 , true , null ] ,\r\n \"h\" : \"<b>&amp;</b>\" } ",
	"\"\u2028\u2029\"", `"\u2028 \" \\ \/ \n"`, "\"bad \xff utf8\"", `{"s":"a\\\"b c"}`, " 12 ", "-0.5E+7",
	`[{"":{"x":[[],{}]}}]`, "\"\xe2\x80\"", "",
	"{", `{"a":}`, "nul", `{"a":1}x`, "\"\x01\"", "[1,]", "'x'", " ",
}

func TestChannelPayloadJSONEdgeCases(t *testing.T) {
	s := func(v string) *string { return &v }
	n := 7
	at := Time{time.Date(2024, 2, 29, 23, 59, 59, 999999999, tzEast)}
	checkSame(t, nil)
	checkSame(t, &ChannelPayload{})
	checkSame(t, &ChannelPayload{Channels: []Channel{}, ChannelUsers: []Membership{}, MessagePreviews: []json.RawMessage{},
		MessageFeedsInfo: []json.RawMessage{}, Users: []User{}, Files: []File{}, Paging: &Paging{}})
	checkSame(t, &ChannelPayload{MessagePreviews: []json.RawMessage{nil, json.RawMessage(`{"x": "<"}`)}, Paging: &Paging{Next: "n"}})
	checkSame(t, &ChannelPayload{Paging: &Paging{Previous: "p<"}})
	checkSame(t, &ChannelPayload{Paging: &Paging{Next: "n", Previous: "p"}})
	checkSame(t, &ChannelPayload{Channels: []Channel{{}}, ChannelUsers: []Membership{{}}, Users: []User{{}}, Files: []File{{}}})
	checkSame(t, &ChannelPayload{Users: []User{{Tags: []string{}, Roles: []string{""}, HashFlag: &HashFlag{}}}})
	checkSame(t, &ChannelPayload{Users: []User{{HashFlag: &HashFlag{Bits: 1, Hashes: -2, Hash: []int{}}}}})
	checkSame(t, &ChannelPayload{Users: []User{{HashFlag: &HashFlag{Hash: []int{0, -9, 1 << 40}}}}})
	checkSame(t, &ChannelPayload{Files: []File{
		{Attributes: FileAttributes{Metadata: FileMetadata{Width: 1}}},
		{Attributes: FileAttributes{Metadata: FileMetadata{Height: -1}}, Status: "uploaded"},
		{Attributes: FileAttributes{Metadata: FileMetadata{IsFull: true}}, VideoURL: map[string]string{}},
		{Attributes: FileAttributes{Metadata: FileMetadata{Width: 3, IsFull: true}}, VideoURL: map[string]string{"z<": "\u2028", "a": "&"}},
	}})
	checkSame(t, &ChannelPayload{Channels: []Channel{{
		AvatarFileID: s(""), AutoDeleteMessageByFlagLimit: &n, MessagePreviewID: s("<id>"), Tags: []string{},
		AttachedTo:  AttachedTo{PostID: s("p"), VideoStreamID: s("\u2029"), RoomID: s("r")},
		MuteTimeout: Forever, LastActivity: at, CreatedAt: at, RateLimit: -1, MessageCount: 1 << 62,
		CreatorID: "hidden", DistinctKey: "hidden",
	}}})
	for _, v := range edgeStrings {
		checkSame(t, &ChannelPayload{Channels: []Channel{{ID: v, DisplayName: v, Tags: []string{v, v}}},
			ChannelUsers: []Membership{{UserID: v, Roles: []string{v}}}, Users: []User{{Description: v, AvatarCustomURL: &v}},
			Files:  []File{{FileURL: v, Status: v, Attributes: FileAttributes{Name: v}, VideoURL: map[string]string{v: v}}},
			Paging: &Paging{Next: v}})
	}
	for _, raw := range edgeRaws {
		m := json.RawMessage(raw)
		checkSame(t, &ChannelPayload{Channels: []Channel{{Metadata: m}}})
		checkSame(t, &ChannelPayload{Users: []User{{Metadata: m}}})
		checkSame(t, &ChannelPayload{MessagePreviews: []json.RawMessage{m}, MessageFeedsInfo: []json.RawMessage{m, nil}})
	}
}

// TestAppendTimeFormats covers the years outside the fast path and fractions that are
// not whole milliseconds.
func TestAppendTimeFormats(t *testing.T) {
	times := []time.Time{
		{}, time.Unix(0, 0), time.Unix(0, 1), time.Unix(-1, 999999999), time.Unix(1, 0).In(tzWest),
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 12, 31, 23, 59, 59, 1e6, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Date(9999, 12, 31, 23, 0, 0, 0, tzWest),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-123456, 7, 8, 9, 10, 11, 12, tzEast),
		time.Date(1, 1, 1, 0, 0, 0, 0, tzEast), time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), Forever.Time,
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		times = append(times, randomTime(r).Time)
	}
	for _, tm := range times {
		want, _ := Time{tm}.MarshalJSON()
		if got := appendTime(nil, Time{tm}); !bytes.Equal(got, want) {
			t.Fatalf("%v: got %s, want %s", tm, got, want)
		}
	}
}

func randomTime(r *rand.Rand) Time {
	zones := []*time.Location{time.UTC, tzEast, tzWest}
	switch r.IntN(6) {
	case 0:
		return Time{}
	case 1: // a stored time: whole milliseconds around now
		return FromMillis(time.Now().UnixMilli() + r.Int64N(1e12) - 5e11)
	case 2: // anything, including years the fast path leaves to Format
		return Time{time.Unix(r.Int64N(1<<40)-1<<39, r.Int64N(1e9)).In(zones[r.IntN(3)])}
	default: // years 0 to 9999 at any nanosecond
		return Time{time.Unix(r.Int64N(315537897600)-62167219200, r.Int64N(1e9)).In(zones[r.IntN(3)])}
	}
}

// filler sets every exported field of a value, so that a field added to any of the
// payload's structs shows up in json.Marshal's output and fails checkSame until
// AppendJSON writes it too.
type filler struct {
	str   func() string
	raw   func() json.RawMessage
	time  func() Time
	num   func() int64
	count func() int // a slice's or map's length; -1 makes it, or a pointer, nil
}

var (
	timeType = reflect.TypeFor[Time]()
	rawType  = reflect.TypeFor[json.RawMessage]()
)

func (f *filler) fill(v reflect.Value) {
	switch v.Type() {
	case timeType:
		v.Set(reflect.ValueOf(f.time()))
		return
	case rawType:
		v.Set(reflect.ValueOf(f.raw()))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(f.str())
	case reflect.Bool:
		v.SetBool(f.num()%2 != 0)
	case reflect.Int, reflect.Int64:
		v.SetInt(f.num())
	case reflect.Pointer:
		if f.count() < 0 {
			v.SetZero()
			return
		}
		v.Set(reflect.New(v.Type().Elem()))
		f.fill(v.Elem())
	case reflect.Slice:
		n := f.count()
		if n < 0 {
			v.SetZero()
			return
		}
		v.Set(reflect.MakeSlice(v.Type(), n, n))
		for i := range n {
			f.fill(v.Index(i))
		}
	case reflect.Map:
		n := f.count()
		if n < 0 {
			v.SetZero()
			return
		}
		m := reflect.MakeMap(v.Type())
		for range n {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			f.fill(k)
			f.fill(e)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				f.fill(v.Field(i))
			}
		}
	default:
		panic("filler: no values for " + v.Type().String())
	}
}

func randomFiller(r *rand.Rand) *filler {
	pieces := append([]string{"a", "bc", " ", "é", "\\u2028", `\"`}, edgeStrings...)
	rawPieces := []string{"a", " ", "<", ">", "&", "\u2028", "\u2029", "\xff", "é", `\"`, `\\`, `\n`, `\u0041`, `\u2028`, "\xe2\x80"}
	var rawValue func(depth int) string
	rawValue = func(depth int) string {
		ws := func() string { return []string{"", "", " ", "\n\t ", "\r\n"}[r.IntN(5)] }
		str := func() string {
			var s strings.Builder
			s.WriteByte('"')
			for range r.IntN(5) {
				s.WriteString(rawPieces[r.IntN(len(rawPieces))])
			}
			s.WriteByte('"')
			return s.String()
		}
		k := r.IntN(7)
		if depth > 2 {
			k %= 4
		}
		switch k {
		case 0:
			return str()
		case 1:
			return fmt.Sprint(r.NormFloat64() * 1e6)
		case 2:
			return []string{"true", "false", "null", "0", "-12", "1e+300"}[r.IntN(6)]
		case 3:
			return "{}"
		case 4, 5:
			var parts []string
			for range r.IntN(4) {
				parts = append(parts, ws()+str()+ws()+":"+ws()+rawValue(depth+1)+ws())
			}
			return "{" + ws() + strings.Join(parts, ",") + ws() + "}"
		default:
			var parts []string
			for range r.IntN(4) {
				parts = append(parts, ws()+rawValue(depth+1)+ws())
			}
			return "[" + strings.Join(parts, ",") + "]"
		}
	}
	return &filler{
		str: func() string {
			if r.IntN(4) == 0 {
				return "" // for omitempty
			}
			var s strings.Builder
			for range r.IntN(6) {
				s.WriteString(pieces[r.IntN(len(pieces))])
			}
			return s.String()
		},
		raw: func() json.RawMessage {
			switch r.IntN(200) {
			case 0: // rarely, so that most payloads encode
				return json.RawMessage(edgeRaws[r.IntN(len(edgeRaws))])
			case 1, 2, 3, 4, 5, 6, 7, 8, 9, 10:
				return nil
			}
			if r.IntN(3) == 0 {
				return json.RawMessage("{}")
			}
			return json.RawMessage(" " + rawValue(0) + "\n")
		},
		time: func() Time { return randomTime(r) },
		num: func() int64 {
			switch r.IntN(4) {
			case 0:
				return 0
			case 1:
				return r.Int64() - r.Int64()
			}
			return r.Int64N(2000) - 1000
		},
		count: func() int { return r.IntN(5) - 1 },
	}
}

func TestChannelPayloadJSONRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(20240229, 1))
	f := randomFiller(r)
	failed := 0
	const runs = 3000
	for range runs {
		var p ChannelPayload
		f.fill(reflect.ValueOf(&p).Elem())
		if _, err := json.Marshal(&p); err != nil {
			failed++
		}
		checkSame(t, &p)
	}
	// Both outcomes must be exercised: payloads that encode and ones json.Marshal refuses.
	if failed == 0 || failed > runs/2 {
		t.Fatalf("%d of %d random payloads were refused", failed, runs)
	}
}

// FuzzChannelPayloadJSON puts the fuzzed string, RawMessage and time into every field of
// their types, with every slice, map and pointer nil, empty or of one element.
func FuzzChannelPayloadJSON(f *testing.F) {
	for i, s := range edgeStrings {
		raw := edgeRaws[i%len(edgeRaws)]
		f.Add(s, []byte(raw), int64(1709251199), int64(999999999), uint8(i))
	}
	for i, raw := range edgeRaws {
		f.Add("x", []byte(raw), int64(-62135596800), int64(i), uint8(2))
	}
	f.Add("<", []byte(nil), int64(253402300800), int64(0), uint8(0))
	f.Fuzz(func(t *testing.T, s string, raw []byte, sec, nsec int64, shape uint8) {
		count := int(shape%3) - 1
		fill := func(raw json.RawMessage) *ChannelPayload {
			f := &filler{
				str:   func() string { return s },
				raw:   func() json.RawMessage { return raw },
				time:  func() Time { return Time{time.Unix(sec, nsec).In(tzEast)} },
				num:   func() int64 { return sec },
				count: func() int { return count },
			}
			var p ChannelPayload
			f.fill(reflect.ValueOf(&p).Elem())
			return &p
		}
		checkSame(t, fill(raw))
		checkSame(t, fill(nil)) // the strings and times even when raw is refused
	})
}

// benchPage is a members page as GET /api/v4/channels/{id}/users answers it: one
// channel, 20 members and their users, half of them with an avatar.
func benchPage() *ChannelPayload {
	now := Now()
	ch := Channel{ID: NewID(), ChannelID: NewID(), Type: ChannelCommunity, DisplayName: "bench 1",
		IsPublic: true, RateLimitWindow: 1000, NotificationMode: "default", MemberCount: 20,
		MessageCount: 1234, LastActivity: now, Metadata: json.RawMessage("{}"), Tags: []string{},
		CreatedAt: now, UpdatedAt: now}
	ch.ChannelInternalID, ch.ChannelPublicID, ch.Path = ch.ID, ch.ChannelID, "network0123456789abcdef/chat/"+ch.ID
	p := &ChannelPayload{Channels: []Channel{ch}, MessagePreviews: []json.RawMessage{}, MessageFeedsInfo: []json.RawMessage{},
		Files: []File{}, Paging: &Paging{Next: "eyJuIjoxNzA5MjUxMTk5MDAwLCJpZCI6IjY1ZTBhYmNkZWYwMTIzNDU2Nzg5YWJjZCIsImxpbWl0IjoyMH0="}}
	for i := range 20 {
		u := User{ID: NewID(), UserID: fmt.Sprintf("bench-user-%d", i), DisplayName: fmt.Sprintf("Bench User %d", i),
			Metadata: json.RawMessage("{}"), Tags: []string{}, Roles: []string{}, Permissions: []string{},
			CreatedAt: now, UpdatedAt: now}
		u.UserInternalID, u.UserPublicID, u.Path = u.ID, u.UserID, "network0123456789abcdef/user/"+u.ID
		roles := []string{}
		if i == 0 {
			roles = []string{"channel-moderator"}
		}
		p.ChannelUsers = append(p.ChannelUsers, Membership{ChannelID: ch.ChannelID, ChannelInternalID: ch.ID,
			ChannelPublicID: ch.ChannelID, UserID: u.UserID, UserInternalID: u.ID, UserPublicID: u.UserID,
			Membership: MembershipMember, LastActivity: now, Roles: roles, Permissions: []string{},
			ReadToSegment: int64(i), CreatedAt: now, UpdatedAt: now})
		if i%2 == 0 {
			id := NewID()
			u.AvatarFileID = &id
			p.Files = append(p.Files, File{FileID: id, Type: "image", AccessType: "public",
				FileURL: "https://chat.example.com/api/v3/files/" + id + "/download",
				Attributes: FileAttributes{Name: "avatar.png", Extension: "png", Size: 20480, MimeType: "image/png",
					Metadata: FileMetadata{Width: 256, Height: 256, IsFull: true}},
				CreatedAt: now, UpdatedAt: now})
		}
		p.Users = append(p.Users, u)
	}
	return p
}

func TestBenchPageSame(t *testing.T) { checkSame(t, benchPage()) }

func BenchmarkChannelPayloadJSON(b *testing.B) {
	p := benchPage()
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("AppendJSON", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.AppendJSON(nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}
