package transport

import "strings"

// segmentViolation reports why value cannot be sent as one path segment, or
// "" when it can. Path parameters are percent-escaped ("/", "?" and "#"
// included), but a dot segment ("." or "..") survives escaping and URL resolution
// folds it away, so "DELETE /links/.." would become "DELETE /". Characters
// that a proxy or server may decode or normalise into a separator ("%" of an
// encoded "/" or ".", "\" which some servers read as "/") and control
// characters are refused as well: no provider identifier contains them.
func segmentViolation(value string) (rule, message string) {
	switch value {
	case "":
		return "required", "must not be empty"
	case ".", "..":
		return "path_segment", "must not be \".\" or \"..\""
	}
	if i := strings.IndexFunc(value, func(r rune) bool {
		return r < 0x20 || r == 0x7f || strings.ContainsRune(`/\?#%`, r)
	}); i >= 0 {
		return "path_segment", "must be a single path segment (no '/', '\\', '?', '#', '%' or control characters)"
	}
	return "", ""
}
