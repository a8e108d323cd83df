// Package termsafe makes text that came from a provider or the network safe
// to write to a terminal or a log line: it removes control characters and
// terminal escape sequences and bounds the length.
//
// banklink keeps the raw bytes (Error.Body, Error.Message) for programs; this
// package is for the places where text meets a human: the CLI's error printer,
// its --verbose log, and the Error() strings of the facade's errors.
package termsafe

import (
	"log/slog"
	"strconv"
	"strings"
	"unicode/utf8"
)

// DefaultMax is the bound, in bytes of output text, that String uses when
// given max <= 0: long enough for any real error message or request id.
const DefaultMax = 512

// String returns s with terminal escape sequences (CSI "ESC [ … final", OSC
// "ESC ] … BEL|ESC \", and any other ESC pair) removed, every other control
// character (C0, DEL, C1), Unicode bidirectional override and invalid UTF-8
// byte replaced by U+FFFD, tabs and newlines folded into a space, and the
// result cut to at most max bytes (DefaultMax if max <= 0) on a rune
// boundary, followed by a note of how many input bytes were left out.
// Text that needs none of this is returned unchanged, without allocating.
func String(s string, max int) string {
	if max <= 0 {
		max = DefaultMax
	}
	if len(s) <= max && clean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(min(len(s), max) + 32)
	i := 0
	for i < len(s) && b.Len() < max {
		c := s[i]
		if c == 0x1b {
			i = skipEscape(s, i)
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			r = utf8.RuneError
		case r == '\t' || r == '\n' || r == '\r':
			r = ' '
		case unsafeRune(r):
			r = utf8.RuneError
		}
		if b.Len()+utf8.RuneLen(r) > max {
			break
		}
		b.WriteRune(r)
		i += size
	}
	if i < len(s) {
		b.WriteString("…(")
		b.WriteString(strconv.Itoa(len(s) - i))
		b.WriteString(" more bytes)")
	}
	return b.String()
}

// clean reports whether s is valid UTF-8 without anything String changes.
func clean(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size <= 1) || unsafeRune(r) {
			return false
		}
		i += size
	}
	return true
}

// unsafeRune: C0 and C1 controls, DEL, and the bidirectional embedding,
// override and isolate controls that can make a terminal show text in an
// order other than the bytes'.
func unsafeRune(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r <= 0x9f) ||
		(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) ||
		r == 0x200e || r == 0x200f || r == 0x061c
}

// skipEscape returns the index just past the escape sequence starting at
// s[i] == ESC.
func skipEscape(s string, i int) int {
	i++ // ESC
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case '[': // CSI: parameters and intermediates, then a final byte 0x40–0x7e
		for i++; i < len(s); i++ {
			if s[i] >= 0x40 && s[i] <= 0x7e {
				return i + 1
			}
		}
		return i
	case ']', 'P', '^', '_': // OSC, DCS, PM, APC: until BEL or ST (ESC \)
		for i++; i < len(s); i++ {
			if s[i] == 0x07 {
				return i + 1
			}
			if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
		}
		return i
	}
	return i + 1 // a two-byte escape
}

// ReplaceAttr is a slog.HandlerOptions.ReplaceAttr that passes every string
// attribute value, and the message, through String with DefaultMax, for a
// handler writing to a terminal.
func ReplaceAttr(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindString {
		if s := a.Value.String(); !(len(s) <= DefaultMax && clean(s)) {
			a.Value = slog.StringValue(String(s, DefaultMax))
		}
	}
	return a
}
