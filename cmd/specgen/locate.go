package main

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Finding is one problem in the spec, tied to a JSON pointer and a line.
type Finding struct {
	// File is the spec path as given on the command line.
	File string
	// Line is the 1-based source line the finding points at.
	Line int
	// Pointer is an RFC 6901 JSON pointer into the spec ("" is the root).
	Pointer string
	// Message says what is wrong.
	Message string
}

// String renders the finding as "file:line: pointer: message".
func (f Finding) String() string {
	ptr := f.Pointer
	if ptr == "" {
		ptr = "#"
	}
	return fmt.Sprintf("%s:%d: %s: %s", f.File, f.Line, ptr, f.Message)
}

// sortFindings orders findings by line, then pointer, then message, and
// drops exact duplicates.
func sortFindings(fs []Finding) []Finding {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Pointer != b.Pointer {
			return a.Pointer < b.Pointer
		}
		return a.Message < b.Message
	})
	out := fs[:0]
	for i, f := range fs {
		if i > 0 && f == fs[i-1] {
			continue
		}
		out = append(out, f)
	}
	return out
}

// escapeToken escapes one JSON pointer reference token (RFC 6901).
func escapeToken(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// unescapeToken reverses escapeToken.
func unescapeToken(s string) string {
	return strings.NewReplacer("~1", "/", "~0", "~").Replace(s)
}

// join appends unescaped tokens to a JSON pointer.
func join(ptr string, tokens ...string) string {
	var b strings.Builder
	b.WriteString(ptr)
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(escapeToken(t))
	}
	return b.String()
}

// splitPointer returns the unescaped tokens of a JSON pointer.
func splitPointer(ptr string) []string {
	if ptr == "" {
		return nil
	}
	parts := strings.Split(strings.TrimPrefix(ptr, "/"), "/")
	for i, p := range parts {
		parts[i] = unescapeToken(p)
	}
	return parts
}

// parent returns the pointer one level up ("" stays "").
func parent(ptr string) string {
	if i := strings.LastIndexByte(ptr, '/'); i >= 0 {
		return ptr[:i]
	}
	return ""
}

// spec is a parsed spec: its YAML node tree plus a pointer→line index.
type spec struct {
	file  string
	root  *yaml.Node // the document's top-level mapping
	lines map[string]int
}

var yamlLineRe = regexp.MustCompile(`line (\d+)`)

// parseSpec parses YAML source into a spec. A syntax error is returned as
// a finding carrying the line the YAML parser reported.
func parseSpec(file string, data []byte) (*spec, *Finding) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line := 1
		if m := yamlLineRe.FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
		return nil, &Finding{File: file, Line: line, Message: "cannot parse spec: " + err.Error()}
	}
	if len(doc.Content) == 0 || deref(doc.Content[0]).Kind != yaml.MappingNode {
		return nil, &Finding{File: file, Line: 1, Message: "spec is not a YAML mapping"}
	}
	s := &spec{file: file, root: deref(doc.Content[0]), lines: map[string]int{}}
	s.index(s.root, "", 1, map[*yaml.Node]bool{})
	return s, nil
}

// index records the line of every element below n. Mapping entries are
// located at their key, sequence items at the item itself. onPath guards
// against aliases that point back at an ancestor.
func (s *spec) index(n *yaml.Node, ptr string, line int, onPath map[*yaml.Node]bool) {
	s.lines[ptr] = line
	n = deref(n)
	if onPath[n] {
		return
	}
	onPath[n] = true
	defer delete(onPath, n)
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			s.index(v, join(ptr, k.Value), k.Line, onPath)
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			s.index(item, join(ptr, strconv.Itoa(i)), item.Line, onPath)
		}
	}
}

// line returns the line of ptr, or of its nearest existing ancestor.
func (s *spec) line(ptr string) int {
	for {
		if l, ok := s.lines[ptr]; ok {
			return l
		}
		if ptr == "" {
			return 1
		}
		ptr = parent(ptr)
	}
}

// pointerAtLine returns the shortest pointer declared on line, preferring
// pointers at or below under; it returns under if nothing is on that line.
func (s *spec) pointerAtLine(line int, under string) string {
	var best string
	found, bestUnder := false, false
	for p, l := range s.lines {
		if l != line {
			continue
		}
		u := p == under || strings.HasPrefix(p, under+"/")
		shorter := len(p) < len(best) || (len(p) == len(best) && p < best)
		if !found || (u && !bestUnder) || (u == bestUnder && shorter) {
			best, bestUnder, found = p, u, true
		}
	}
	if !found {
		return under
	}
	return best
}

// finding builds a finding located at ptr.
func (s *spec) finding(ptr, format string, args ...any) Finding {
	return Finding{File: s.file, Line: s.line(ptr), Pointer: ptr, Message: fmt.Sprintf(format, args...)}
}

// lookup returns the node at ptr, or nil when there is none.
func (s *spec) lookup(ptr string) *yaml.Node {
	n := s.root
	for _, tok := range splitPointer(ptr) {
		switch n.Kind {
		case yaml.MappingNode:
			n = get(n, tok)
		case yaml.SequenceNode:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(n.Content) || tok != strconv.Itoa(i) {
				return nil
			}
			n = deref(n.Content[i])
		default:
			return nil
		}
		if n == nil {
			return nil
		}
	}
	return n
}

// resolveRef resolves a local "#/..." reference. It returns the target
// node and its pointer, or nil when the reference is not local or dangles.
func (s *spec) resolveRef(ref string) (*yaml.Node, string) {
	frag, ok := strings.CutPrefix(ref, "#")
	if !ok || (frag != "" && !strings.HasPrefix(frag, "/")) {
		return nil, ""
	}
	n := s.lookup(frag)
	if n == nil {
		return nil, ""
	}
	return n, frag
}

// deref follows YAML aliases.
func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// get returns the value of key in mapping n, or nil.
func get(n *yaml.Node, key string) *yaml.Node {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return deref(n.Content[i+1])
		}
	}
	return nil
}

// has reports whether mapping n has key.
func has(n *yaml.Node, key string) bool { return get(n, key) != nil }

// str returns the string value of key in mapping n ("" if absent or not a
// scalar).
func str(n *yaml.Node, key string) string {
	v := get(n, key)
	if v == nil || v.Kind != yaml.ScalarNode {
		return ""
	}
	return v.Value
}

// entries returns the key/value pairs of mapping n.
func entries(n *yaml.Node) [][2]*yaml.Node {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	out := make([][2]*yaml.Node, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		out = append(out, [2]*yaml.Node{n.Content[i], deref(n.Content[i+1])})
	}
	return out
}

// items returns the elements of sequence n.
func items(n *yaml.Node) []*yaml.Node {
	n = deref(n)
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		out[i] = deref(c)
	}
	return out
}

// isMap reports whether n is a mapping.
func isMap(n *yaml.Node) bool { n = deref(n); return n != nil && n.Kind == yaml.MappingNode }

// itoa formats a sequence index as a pointer token.
func itoa(i int) string { return strconv.Itoa(i) }
