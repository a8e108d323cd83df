package termsafe

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestString(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"link_error.not_found", "link_error.not_found"},
		{"naïve — ok ✓", "naïve — ok ✓"},
		{"\x1b[31mred\x1b[0m", "red"},
		{"\x1b]0;title\x07after", "after"},
		{"\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\", "click"},
		{"\x1bcreset", "reset"},
		{"a\tb\nc\r\nd", "a b c  d"},
		{"bell\x07 nul\x00 del\x7f", "bell\ufffd nul\ufffd del\ufffd"},
		{"c1 \u009b31m", "c1 \ufffd31m"},
		{"bidi \u202eevil\u202c", "bidi \ufffdevil\ufffd"},
		{"bad \xff utf8", "bad \ufffd utf8"},
		{"unterminated \x1b[31", "unterminated "},
		{"trailing esc \x1b", "trailing esc "},
	} {
		if got := String(tc.in, 0); got != tc.want {
			t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestStringBoundsLength(t *testing.T) {
	in := strings.Repeat("é", 1000) // 2 bytes each
	got := String(in, 101)
	if !strings.HasPrefix(got, strings.Repeat("é", 50)+"…(1900 more bytes)") || len(got) > 101+32 {
		t.Fatalf("String(2000 bytes, 101) = %q", got)
	}
	huge := strings.Repeat("x", 2<<20)
	if got := String(huge, 0); len(got) > DefaultMax+32 || !strings.HasSuffix(got, "…(2096640 more bytes)") {
		t.Fatalf("2 MiB input gave %d bytes ending %q", len(got), got[len(got)-24:])
	}
}

func TestReplaceAttr(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: ReplaceAttr}))
	l.Info("attempt", "request_id", strings.Repeat("r", 1<<20), "error", "\x1b[2Jgone", "status", 404)
	out := buf.String()
	if len(out) > 2*DefaultMax {
		t.Fatalf("log line is %d bytes", len(out))
	}
	if strings.Contains(out, "\x1b") || strings.Contains(out, `\x1b`) || !strings.Contains(out, "error=gone") || !strings.Contains(out, "status=404") {
		t.Fatalf("log line %q", out)
	}
}

// FuzzString: whatever the input, the output is valid UTF-8 without
// control characters or ESC, and bounded.
func FuzzString(f *testing.F) {
	for _, s := range []string{"", "plain", "\x1b[31mred", "\x1b]0;t\x07", "\xff\xfe", "a\u202eb", strings.Repeat("x", 600)} {
		f.Add(s, 0)
		f.Add(s, 7)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		max %= 4096
		out := String(s, max)
		if max <= 0 {
			max = DefaultMax
		}
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 out of %q", s)
		}
		for _, r := range out {
			if unsafeRune(r) {
				t.Fatalf("control %U in %q", r, out)
			}
		}
		if len(out) > max+len("…( more bytes)")+20 {
			t.Fatalf("len %d > max %d", len(out), max)
		}
	})
}
