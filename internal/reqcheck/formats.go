package reqcheck

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/banklink/banklink/internal/timestamp"
)

// runeCount counts characters the way JSON Schema does (code points).
func runeCount(s string) int { return utf8.RuneCountInString(s) }

// validDateTime reports whether s is a date-time as banklink reads the
// format: RFC 3339, or the same without an offset (taken as UTC), the form
// MoneyKit uses in its own examples. timestamp.Time accepts exactly these.
func validDateTime(s string) bool {
	_, err := timestamp.Parse(s)
	return err == nil
}

// validEmail is a deliberately simple check: one @, a non-empty local part
// without spaces or specials, and a dotted domain of letters, digits and
// hyphens.
func validEmail(s string) bool {
	if len(s) > 254 {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at > 64 || at == len(s)-1 {
		return false
	}
	local, domain := s[:at], s[at+1:]
	if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return false
	}
	for i := 0; i < len(local); i++ {
		c := local[i]
		if c <= ' ' || c == 0x7f || strings.IndexByte("\"(),:;<>@[\\]", c) >= 0 {
			return false
		}
	}
	labels := 0
	for label := range strings.SplitSeq(domain, ".") {
		labels++
		if !validHostLabel(label) {
			return false
		}
	}
	return labels >= 2
}

// validHostLabel accepts one DNS label (UTF-8 letters allowed for
// internationalised names).
func validHostLabel(l string) bool {
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(isAlnum(c) || c == '-' || c >= 0x80) {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlnum(c byte) bool { return isAlpha(c) || isDigit(c) }
func isHex(c byte) bool   { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f') }

// validAbsoluteURL reports whether s is an absolute URL with a scheme and a
// non-empty host ("https://host/path"), with no spaces or control
// characters and well-formed percent escapes.
func validAbsoluteURL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c == 0x7f || c == '\\' {
			return false
		}
		if c == '%' && (i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2])) {
			return false
		}
	}
	colon := strings.IndexByte(s, ':')
	if colon <= 0 || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < colon; i++ {
		if c := s[i]; !(isAlnum(c) || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	rest, ok := strings.CutPrefix(s[colon+1:], "//")
	if !ok {
		return false
	}
	auth := rest
	if end := strings.IndexAny(rest, "/?#"); end >= 0 {
		auth = rest[:end]
	}
	if at := strings.LastIndexByte(auth, '@'); at >= 0 {
		auth = auth[at+1:]
	}
	host, port := auth, ""
	if strings.HasPrefix(auth, "[") {
		end := strings.IndexByte(auth, ']')
		if end < 2 {
			return false
		}
		host, port = auth[1:end], auth[end+1:]
		for i := 0; i < len(host); i++ {
			if c := host[i]; !(isHex(c) || c == ':' || c == '.') {
				return false
			}
		}
		if port != "" && port[0] != ':' {
			return false
		}
	} else {
		if c := strings.LastIndexByte(auth, ':'); c >= 0 {
			host, port = auth[:c], auth[c:]
		}
		if host == "" {
			return false
		}
		for i := 0; i < len(host); i++ {
			if c := host[i]; !(isAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '%' || c >= 0x80) {
				return false
			}
		}
	}
	if port != "" {
		for i := 1; i < len(port); i++ {
			if !isDigit(port[i]) {
				return false
			}
		}
	}
	return true
}

// plainDecimal reports whether s is an unsigned JSON decimal without
// exponent ("0", "12", "12.34"), and how many fraction digits it has.
func plainDecimal(s string) (frac int, ok bool) {
	i := 0
	switch {
	case s == "":
		return 0, false
	case s[0] == '0':
		i = 1
	case s[0] >= '1' && s[0] <= '9':
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	default:
		return 0, false
	}
	if i == len(s) {
		return 0, true
	}
	if s[i] != '.' || i+1 == len(s) {
		return 0, false
	}
	for j := i + 1; j < len(s); j++ {
		if !isDigit(s[j]) {
			return 0, false
		}
	}
	return len(s) - i - 1, true
}

// validJSONNumber reports whether s is a number in JSON syntax.
func validJSONNumber(s string) bool {
	s = strings.TrimPrefix(s, "-")
	i := 0
	switch {
	case s == "":
		return false
	case s[0] == '0':
		i = 1
	case s[0] >= '1' && s[0] <= '9':
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		start := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == start {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == start {
			return false
		}
	}
	return i == len(s)
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
