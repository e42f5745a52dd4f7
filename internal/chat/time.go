package chat

import (
	"strconv"
	"time"
)

// Time is a moment as the wire shows it: ISO-8601 UTC with milliseconds. The store keeps
// it as Unix milliseconds, which both SQL dialects index and compare the same way.
type Time struct{ time.Time }

const wireTime = "2006-01-02T15:04:05.000Z"

// Now is the real clock's time truncated to milliseconds, the precision the wire
// carries, for code outside the service (a message's send time on the wire). The
// service reads its Config.Clock instead (Service.now), so that tests can move it on.
func Now() Time { return Time{time.Now().UTC().Truncate(time.Millisecond)} }

// FromMillis turns stored Unix milliseconds into a Time.
func FromMillis(ms int64) Time { return Time{time.UnixMilli(ms).UTC()} }

// Millis is the stored form.
func (t Time) Millis() int64 { return t.UnixMilli() }

func (t Time) String() string { return t.UTC().Format(wireTime) }

func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	b := make([]byte, 0, len(wireTime)+2)
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, wireTime)
	return append(b, '"'), nil
}

func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*t = Time{}
		return nil
	}
	s, err := strconv.Unquote(string(b))
	if err != nil {
		return err
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return err
	}
	*t = Time{v.UTC()}
	return nil
}

// Add returns t moved by d.
func (t Time) Add(d time.Duration) Time { return Time{t.Time.Add(d)} }
