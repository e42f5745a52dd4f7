package chat

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// Field checks. Lengths are counted in characters, as Amity documents them.

// Text checks an optional string's length; min applies only when the value is given.
func (p *Problems) Text(field string, v *string, min, max int) {
	if v == nil {
		return
	}
	n := utf8.RuneCountInString(*v)
	switch {
	case n < min:
		p.Add(field, "must be at least %d characters", min)
	case n > max:
		p.Add(field, "must be at most %d characters", max)
	}
}

// Required checks a required string: present and within min..max characters.
func (p *Problems) Required(field string, v *string, min, max int) {
	if v == nil {
		p.Add(field, "is required")
		return
	}
	p.Text(field, v, min, max)
}

// OneOf checks an optional value against its allowed set.
func (p *Problems) OneOf(field string, v *string, allowed ...string) { OneOf(p, field, v, allowed...) }

// OneOf is Problems.OneOf for the named string types of the enums (SortBy, SortOrder).
func OneOf[T ~string](p *Problems, field string, v *T, allowed ...T) {
	if v == nil {
		return
	}
	for _, a := range allowed {
		if *v == a {
			return
		}
	}
	p.Add(field, "must be one of %v", allowed)
}

// List checks a list's length and each item's length in characters.
func (p *Problems) List(field string, v []string, minItems, maxItems, minLen, maxLen int) {
	if len(v) < minItems {
		p.Add(field, "must have at least %d items", minItems)
	}
	if len(v) > maxItems {
		p.Add(field, "must have at most %d items", maxItems)
		return
	}
	for i := range v {
		n := utf8.RuneCountInString(v[i])
		if n < minLen || n > maxLen {
			p.Add(field, "items must be %d to %d characters", minLen, maxLen)
			return
		}
	}
}

// Range checks an optional integer.
func (p *Problems) Range(field string, v *int, min, max int) {
	if v != nil && (*v < min || *v > max) {
		p.Add(field, "must be between %d and %d", min, max)
	}
}

// Unique returns v without repeats, keeping the first order.
func Unique(v []string) []string {
	seen := make(map[string]struct{}, len(v))
	out := v[:0:0]
	for _, s := range v {
		if _, ok := seen[s]; ok {
			continue
		}
		seen[s] = struct{}{}
		out = append(out, s)
	}
	return out
}

// MaxMetadataBytes bounds a metadata object's encoded size.
const MaxMetadataBytes = 100_000

// Metadata checks an optional metadata value: a JSON object of bounded size.
func (p *Problems) Metadata(field string, v *json.RawMessage) {
	if v == nil {
		return
	}
	b := bytes.TrimSpace(*v)
	if len(b) == 0 || b[0] != '{' {
		p.Add(field, "must be an object")
		return
	}
	if len(b) > MaxMetadataBytes {
		p.Add(field, "must be at most %d bytes", MaxMetadataBytes)
	}
}
