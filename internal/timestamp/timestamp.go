// Package timestamp holds Time, the type banklink's generated bindings use
// for every field the providers document as a date-time.
//
// Providers do not all send RFC 3339. MoneyKit documents its timestamps as
// date-time, yet its own examples carry no UTC offset
// ("2023-02-16T09:14:11"); Link Money sends RFC 3339 UTC with milliseconds
// ("2022-05-27T19:46:24.548Z"). Time accepts both:
//
//   - RFC 3339, with any number of fraction digits and a "Z" or ±hh:mm offset;
//   - the same form without an offset, which is taken as UTC.
//
// A decoded Time re-encodes the text exactly as it was received, so a value
// read from one provider and written back (or logged, or compared with a
// stored copy) is not rewritten. A Time built with New encodes RFC 3339.
package timestamp

import (
	"encoding/json"
	"time"
)

// offsetless is the documented form without a UTC offset.
const offsetless = "2006-01-02T15:04:05.999999999"

// maxLen bounds the text Parse looks at. The longest valid form,
// "2006-01-02T15:04:05.999999999-07:00", is 35 bytes; anything much longer is
// not a timestamp.
const maxLen = 64

// Time is an instant together with the text it was read from.
//
// The zero Time is "no timestamp": IsZero reports true, it encodes as JSON
// null, and fields that carry `omitzero` leave it out.
type Time struct {
	t    time.Time
	text string
}

// New returns the Time for t, which encodes as RFC 3339 with as many
// fraction digits as t needs (time.RFC3339Nano).
func New(t time.Time) Time {
	return Time{t: t, text: t.Format(time.RFC3339Nano)}
}

// Parse reads s as RFC 3339 or, if it carries no offset, as
// "2006-01-02T15:04:05[.fraction]" in UTC. Any other text gives a *Error.
func Parse(s string) (Time, error) {
	if len(s) > maxLen {
		return Time{}, &Error{Reason: "longer than any timestamp"}
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return Time{t: t, text: s}, nil
	}
	if t, err := time.ParseInLocation(offsetless, s, time.UTC); err == nil {
		return Time{t: t, text: s}, nil
	}
	return Time{}, &Error{Reason: "not RFC 3339 nor YYYY-MM-DDThh:mm:ss[.fraction] without an offset"}
}

// Time returns the instant. A Time decoded from the offset-less form is in
// UTC; one decoded from RFC 3339 keeps its offset.
func (t Time) Time() time.Time { return t.t }

// String returns the text the Time encodes as: the received text, or RFC 3339
// for a Time built with New. The zero Time gives "".
func (t Time) String() string { return t.text }

// IsZero reports whether t holds no timestamp.
func (t Time) IsZero() bool { return t.text == "" && t.t.IsZero() }

// Equal reports whether t and u are the same instant, whatever their text.
func (t Time) Equal(u Time) bool { return t.t.Equal(u.t) }

// MarshalJSON encodes the received text (or RFC 3339 for a Time built with
// New) as a JSON string, and the zero Time as null.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	text := t.text
	if text == "" {
		text = t.t.Format(time.RFC3339Nano)
	}
	return json.Marshal(text)
}

// UnmarshalJSON decodes a JSON string with Parse. JSON null leaves t
// unchanged, as encoding/json does for its own types; any other JSON value
// gives a *Error.
func (t *Time) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		return nil
	}
	if len(data) < 2 || data[0] != '"' || data[len(data)-1] != '"' {
		return &Error{Reason: "not a JSON string"}
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return &Error{Reason: "not a JSON string"}
	}
	v, err := Parse(s)
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// MarshalText encodes t as its text, for form and query encodings.
func (t Time) MarshalText() ([]byte, error) {
	if t.text == "" && !t.t.IsZero() {
		return []byte(t.t.Format(time.RFC3339Nano)), nil
	}
	return []byte(t.text), nil
}

// UnmarshalText decodes text with Parse.
func (t *Time) UnmarshalText(text []byte) error {
	v, err := Parse(string(text))
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// Error reports text that is not a timestamp. It never quotes the text: a
// hostile response can put anything in a timestamp field.
type Error struct {
	// Reason says which rule the text broke.
	Reason string
}

func (e *Error) Error() string { return "timestamp: " + e.Reason }
