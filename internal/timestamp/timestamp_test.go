package timestamp

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestRoundTripKeepsText(t *testing.T) {
	cases := []struct {
		text string
		want time.Time
	}{
		// MoneyKit's documented form: no offset, read as UTC.
		{"2023-02-16T09:14:11", time.Date(2023, 2, 16, 9, 14, 11, 0, time.UTC)},
		{"2023-02-16T09:14:11.250", time.Date(2023, 2, 16, 9, 14, 11, 250e6, time.UTC)},
		// Link Money's form: UTC with milliseconds, trailing zeros kept.
		{"2022-05-27T19:46:24.500Z", time.Date(2022, 5, 27, 19, 46, 24, 500e6, time.UTC)},
		// An offset is kept, in the text and in the instant.
		{"2023-12-30T07:00:00-04:00", time.Date(2023, 12, 30, 11, 0, 0, 0, time.UTC)},
		{"2023-12-30T07:00:00.1234-04:00", time.Date(2023, 12, 30, 11, 0, 0, 123400000, time.UTC)},
	}
	for _, c := range cases {
		t.Run(c.text, func(t *testing.T) {
			in := []byte(`{"at":"` + c.text + `"}`)
			var v struct {
				At Time `json:"at"`
			}
			if err := json.Unmarshal(in, &v); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !v.At.Time().Equal(c.want) {
				t.Fatalf("Time() = %v, want %v", v.At.Time(), c.want)
			}
			if v.At.String() != c.text {
				t.Fatalf("String() = %q, want %q", v.At.String(), c.text)
			}
			out, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			if string(out) != string(in) {
				t.Fatalf("re-encoded %s, want %s", out, in)
			}
		})
	}
}

func TestOffsetlessIsUTC(t *testing.T) {
	v, err := Parse("2023-02-16T09:14:11")
	if err != nil {
		t.Fatal(err)
	}
	if v.Time().Location() != time.UTC {
		t.Fatalf("location = %v, want UTC", v.Time().Location())
	}
	_, off := v.Time().Zone()
	if off != 0 {
		t.Fatalf("offset = %d, want 0", off)
	}
}

func TestNewEncodesRFC3339(t *testing.T) {
	at := time.Date(2024, 1, 2, 3, 4, 5, 600e6, time.FixedZone("", -5*3600))
	v := New(at)
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != `"2024-01-02T03:04:05.6-05:00"` {
		t.Fatalf("got %s", out)
	}
	back, err := Parse(v.String())
	if err != nil {
		t.Fatal(err)
	}
	if !back.Equal(v) || !back.Time().Equal(at) {
		t.Fatalf("parsed back %v, want %v", back.Time(), at)
	}
}

func TestZero(t *testing.T) {
	var z Time
	if !z.IsZero() {
		t.Fatal("zero Time is not IsZero")
	}
	out, err := json.Marshal(z)
	if err != nil || string(out) != "null" {
		t.Fatalf("zero encodes as %s, %v; want null", out, err)
	}
	// omitzero leaves the zero Time out; a set one stays.
	type body struct {
		At Time `json:"at,omitzero"`
	}
	out, _ = json.Marshal(body{})
	if string(out) != `{}` {
		t.Fatalf("omitzero kept the zero Time: %s", out)
	}
	out, _ = json.Marshal(body{At: New(time.Unix(0, 0).UTC())})
	if string(out) != `{"at":"1970-01-01T00:00:00Z"}` {
		t.Fatalf("omitzero dropped a set Time: %s", out)
	}
	// null decodes to the zero Time.
	var b body
	if err := json.Unmarshal([]byte(`{"at":null}`), &b); err != nil || !b.At.IsZero() {
		t.Fatalf("null gave %v, %v", b.At, err)
	}
}

func TestHostileInput(t *testing.T) {
	bad := []string{
		`""`,
		`"2023-02-16"`,
		`"2023-02-16 09:14:11"`,
		`"2023-02-30T09:14:11"`,
		`"2023-02-16T25:14:11Z"`,
		`"2023-02-16T09:14:11+99:00"`,
		`"09:14:11"`,
		`"` + strings.Repeat("9", 10000) + `"`,
		`"2023-02-16T09:14:11\u0000"`,
		`1676538851`,
		`true`,
		`{}`,
		`["2023-02-16T09:14:11"]`,
		`"unterminated`,
		`"\ud800"`,
	}
	for _, in := range bad {
		var v Time
		err := v.UnmarshalJSON([]byte(in))
		var te *Error
		if !errors.As(err, &te) {
			t.Errorf("%.40s: error %v (%T), want *timestamp.Error", in, err, err)
			continue
		}
		if strings.Contains(err.Error(), strings.Trim(in, `"`)) && len(in) > 2 {
			t.Errorf("%.40s: error quotes the input: %v", in, err)
		}
		if !v.IsZero() {
			t.Errorf("%.40s: failed decode left a value behind: %q", in, v.String())
		}
	}
	// Inside a document the typed error survives encoding/json's wrapping.
	var doc struct {
		At Time `json:"at"`
	}
	err := json.Unmarshal([]byte(`{"at":"yesterday"}`), &doc)
	var te *Error
	if !errors.As(err, &te) {
		t.Fatalf("document decode error %v (%T), want *timestamp.Error", err, err)
	}
}

func TestText(t *testing.T) {
	var v Time
	if err := v.UnmarshalText([]byte("2023-02-16T09:14:11")); err != nil {
		t.Fatal(err)
	}
	out, _ := v.MarshalText()
	if string(out) != "2023-02-16T09:14:11" {
		t.Fatalf("MarshalText = %q", out)
	}
	if err := v.UnmarshalText([]byte("soon")); err == nil {
		t.Fatal("UnmarshalText accepted garbage")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"2023-02-16T09:14:11", "2022-05-27T19:46:24.548Z", "2023-12-30T07:00:00-04:00", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if err != nil {
			var te *Error
			if !errors.As(err, &te) {
				t.Fatalf("error %T", err)
			}
			return
		}
		if v.String() != s {
			t.Fatalf("text %q became %q", s, v.String())
		}
		again, err := Parse(v.String())
		if err != nil || !again.Equal(v) {
			t.Fatalf("re-parse of %q: %v", s, err)
		}
	})
}
