package transport

import (
	"reflect"
	"strings"
	"sync"
)

// The decoded answer usually proves by itself that the body carried every
// required field: decoding starts from a zero value, so a required field
// that decoded to a non-zero value was in the body. present checks that on
// the value the decoder filled in, which costs a few field reads instead of
// a second pass over the bytes. Only when a required field is zero (absent,
// or sent as "", 0, false, {} or null) is the body walked (checkResponse)
// to tell which.

// present reports whether v shows every field n requires as a non-zero
// value. False means the bytes must decide.
func present(v reflect.Value, n *reqNode) bool {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return true // absent or null: nothing below it to require
		}
		v = v.Elem()
	}
	if n.star != nil {
		switch v.Kind() {
		case reflect.Slice, reflect.Array:
			for i := range v.Len() {
				if !present(v.Index(i), n.star) {
					return false
				}
			}
			return true
		case reflect.Map:
			for it := v.MapRange(); it.Next(); {
				if !present(it.Value(), n.star) {
					return false
				}
			}
			return true
		}
		return false
	}
	if len(n.names) == 0 {
		return true
	}
	if v.Kind() != reflect.Struct {
		return false
	}
	fields := jsonFields(v.Type())
	for i, name := range n.names {
		idx, ok := fields[name]
		if !ok {
			return false
		}
		f := v.Field(idx)
		if n.required[i] && f.IsZero() {
			return false
		}
		if c := n.children[i]; c != nil && !present(f, c) {
			return false
		}
	}
	return true
}

// fieldIndex caches, per struct type, the index of each field by its JSON
// member name.
var fieldIndex sync.Map // reflect.Type -> map[string]int

// jsonFields returns t's fields by JSON member name, as encoding/json names
// them (the json tag's name, else the field's name); embedded and
// unexported fields are left out, so their members are decided by the bytes.
func jsonFields(t reflect.Type) map[string]int {
	if m, ok := fieldIndex.Load(t); ok {
		return m.(map[string]int)
	}
	m := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous || !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		m[name] = i
	}
	actual, _ := fieldIndex.LoadOrStore(t, m)
	return actual.(map[string]int)
}
