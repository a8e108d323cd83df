package transport

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
)

// A 2xx answer is a success only if it carries every field the success
// schema marks required (the generated table's ResponseRequired) and does
// not have the provider's error shape. The error shape is a top-level
// error_code or errorCode with a body that lacks a required field, or, for
// an operation whose answer requires nothing, with an error message beside
// it: a MoneyKit link carries an error_code of its own, so a code alone
// does not make an error. The decoded value settles most answers
// (present.go); the rest are decided by walking the body's bytes, without
// building a value: a call that succeeds pays no allocation for it.

// reqNode is one object level of an operation's required fields.
type reqNode struct {
	names    []string   // member names at this level that are required or lead to one
	required []bool     // names[i] itself must be present
	children []*reqNode // the level below each name, nil if none is required there
	star     *reqNode   // what every array item or map value must hold
}

// maxRequiredNames bounds the required members of one object level the
// walker tracks; levels beyond it are not checked past that many.
const maxRequiredNames = 64

// buildRequired turns JSON pointers ("/link/link_id", "/accounts/*/name")
// into a tree. skip names pointers banklink supplies a default for.
func buildRequired(ptrs []string, skip ...string) *reqNode {
	var root *reqNode
	for _, p := range ptrs {
		if p == "" || p[0] != '/' || slices.Contains(skip, p) {
			continue
		}
		if root == nil {
			root = &reqNode{}
		}
		n := root
		parts := strings.Split(p[1:], "/")
		for k, part := range parts {
			part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
			if part == "*" {
				if n.star == nil {
					n.star = &reqNode{}
				}
				n = n.star
				continue
			}
			i := slices.Index(n.names, part)
			if i < 0 {
				if len(n.names) >= maxRequiredNames {
					break
				}
				n.names = append(n.names, part)
				n.required = append(n.required, false)
				n.children = append(n.children, nil)
				i = len(n.names) - 1
			}
			if k == len(parts)-1 {
				n.required[i] = true
				break
			}
			if n.children[i] == nil {
				n.children[i] = &reqNode{}
			}
			n = n.children[i]
		}
	}
	return root
}

// errMalformed is returned by the walker on bytes that are not JSON.
var errMalformed = errors.New("malformed JSON")

// missingField is the walker's verdict: the pointer of the first required
// field the body lacks.
type missingField struct{ path []string }

func (m *missingField) Error() string {
	return "response lacks required field /" + strings.Join(m.path, "/")
}

// checkResponse reports a 2xx body with the provider's error shape
// (errShape true) or lacking a required field (a *missingField error).
func checkResponse(body []byte, root *reqNode) (errShape bool, err error) {
	w := walker{b: body}
	w.ws()
	var code, msg bool
	if w.i < len(w.b) && w.b[w.i] == '{' {
		code, msg = w.errorMembers()
	}
	if root == nil {
		return code && msg, nil
	}
	w.i = 0
	w.ws()
	err = w.value(root)
	if err != nil && code {
		return true, nil
	}
	return false, err
}

// within puts name in front of a missing field's path.
func within(name string, err error) error {
	if m, ok := err.(*missingField); ok {
		m.path = append([]string{name}, m.path...)
	}
	return err
}

// anyValue walks an array without requiring anything of its items.
var anyValue = &reqNode{}

type walker struct {
	b []byte
	i int
}

func (w *walker) ws() {
	for w.i < len(w.b) {
		switch w.b[w.i] {
		case ' ', '\t', '\n', '\r':
			w.i++
		default:
			return
		}
	}
}

// errorMembers reports whether the object at w.i has a top-level
// error_code or errorCode, and error_message or errorMessage, holding a
// non-empty string.
func (w *walker) errorMembers() (code, msg bool) {
	if w.openObject() {
		return false, false
	}
	for {
		key, raw, err := w.key()
		if err != nil {
			return code, msg
		}
		start := w.i
		if w.skip() != nil {
			return code, msg
		}
		if raw {
			v := w.b[start:w.i]
			set := len(v) > 2 && v[0] == '"'
			switch string(key) {
			case "error_code", "errorCode":
				code = code || set
			case "error_message", "errorMessage":
				msg = msg || set
			}
		}
		more, err := w.afterMember()
		if err != nil || !more {
			return code, msg
		}
	}
}

// value checks the value at w.i against n (nil: anything goes).
func (w *walker) value(n *reqNode) error {
	if n == nil {
		return w.skip()
	}
	if w.i >= len(w.b) {
		return errMalformed
	}
	switch w.b[w.i] {
	case '{':
		return w.object(n)
	case '[':
		w.i++
		w.ws()
		if w.i < len(w.b) && w.b[w.i] == ']' {
			w.i++
			return nil
		}
		for {
			w.ws()
			if err := within("*", w.value(n.star)); err != nil {
				return err
			}
			w.ws()
			if w.i >= len(w.b) {
				return errMalformed
			}
			switch w.b[w.i] {
			case ',':
				w.i++
			case ']':
				w.i++
				return nil
			default:
				return errMalformed
			}
		}
	}
	// A scalar (or null) where an object was described: its members are
	// not there to require.
	return w.skip()
}

// object checks the object at w.i against n.
func (w *walker) object(n *reqNode) error {
	var found [maxRequiredNames]bool
	if !w.openObject() {
		for {
			key, raw, err := w.key()
			if err != nil {
				return err
			}
			if err := w.member(n, key, raw, &found); err != nil {
				return err
			}
			more, err := w.afterMember()
			if err != nil {
				return err
			}
			if !more {
				break
			}
		}
	}
	for i, ok := range found[:len(n.names)] {
		if !ok && n.required[i] {
			return &missingField{path: []string{n.names[i]}}
		}
	}
	return nil
}

// member checks the value of member key against n's rules for it.
func (w *walker) member(n *reqNode, key []byte, raw bool, found *[maxRequiredNames]bool) error {
	if n.star != nil {
		return within("*", w.value(n.star))
	}
	if !raw {
		u, ok := unescape(key)
		if !ok {
			return errMalformed
		}
		key = u
	}
	for i, want := range n.names {
		if string(key) == want {
			found[i] = true
			return within(want, w.value(n.children[i]))
		}
	}
	return w.skip()
}

// openObject consumes '{' and reports whether the object is empty (then
// its '}' is consumed too).
func (w *walker) openObject() (empty bool) {
	w.i++
	w.ws()
	if w.i < len(w.b) && w.b[w.i] == '}' {
		w.i++
		return true
	}
	return false
}

// key consumes a member's key and colon: raw reports a key without
// escapes, given without its quotes; an escaped key is given quoted.
func (w *walker) key() (key []byte, raw bool, err error) {
	w.ws()
	start := w.i
	escaped, err := w.str()
	if err != nil {
		return nil, false, err
	}
	key, raw = w.b[start+1:w.i-1], !escaped
	if escaped {
		key = w.b[start:w.i]
	}
	w.ws()
	if w.i >= len(w.b) || w.b[w.i] != ':' {
		return nil, false, errMalformed
	}
	w.i++
	w.ws()
	return key, raw, nil
}

// afterMember consumes the ',' or '}' after a member's value.
func (w *walker) afterMember() (more bool, err error) {
	w.ws()
	if w.i >= len(w.b) {
		return false, errMalformed
	}
	switch w.b[w.i] {
	case ',':
		w.i++
		return true, nil
	case '}':
		w.i++
		return false, nil
	}
	return false, errMalformed
}

// str consumes the string at w.i and reports whether it held an escape.
func (w *walker) str() (escaped bool, err error) {
	if w.i >= len(w.b) || w.b[w.i] != '"' {
		return false, errMalformed
	}
	for w.i++; w.i < len(w.b); w.i++ {
		switch w.b[w.i] {
		case '\\':
			escaped = true
			w.i++
		case '"':
			w.i++
			return escaped, nil
		}
	}
	return false, errMalformed
}

// skip consumes any value at w.i.
func (w *walker) skip() error {
	if w.i >= len(w.b) {
		return errMalformed
	}
	switch c := w.b[w.i]; c {
	case '"':
		_, err := w.str()
		return err
	case '{':
		return w.object(anyValue)
	case '[':
		return w.value(anyValue)
	default:
		for w.i < len(w.b) {
			switch w.b[w.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return nil
			}
			w.i++
		}
		return nil
	}
}

// unescape decodes a quoted JSON key with escapes in it (rare).
func unescape(quoted []byte) ([]byte, bool) {
	var s string
	if json.Unmarshal(quoted, &s) != nil {
		return nil, false
	}
	return []byte(s), true
}
