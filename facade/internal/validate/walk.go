package validate

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/oapi-codegen/nullable"

	"github.com/banklink/banklink/internal/timestamp"
)

var (
	numberType         = reflect.TypeFor[json.Number]()
	timeType           = reflect.TypeFor[time.Time]()
	timestampType      = reflect.TypeFor[timestamp.Time]()
	trueValue          = reflect.ValueOf(true)
	nullablePkgPath    = reflect.TypeFor[nullable.Nullable[string]]().PkgPath()
	nullableTypePrefix = "Nullable["
	pointerEscaper     = strings.NewReplacer("~", "~0", "/", "~1")
)

// isNullableType reports whether t is a nullable.Nullable[T]: a map[bool]T
// that is absent when empty, null when it holds only the key false and a
// value under the key true.
func isNullableType(t reflect.Type) bool {
	return t.Kind() == reflect.Map && t.Key().Kind() == reflect.Bool &&
		t.PkgPath() == nullablePkgPath && strings.HasPrefix(t.Name(), nullableTypePrefix)
}

// seg is one step of the current path: a property name or map key, or an
// array index when idx >= 0.
type seg struct {
	name string
	idx  int
}

// walker checks one value. Walkers are pooled so that a valid value is
// checked without allocating.
type walker struct {
	prefix string
	segs   []seg
	out    []Violation
}

var walkerPool = sync.Pool{New: func() any { return &walker{segs: make([]seg, 0, 16)} }}

func getWalker(prefix string) *walker {
	w := walkerPool.Get().(*walker)
	w.prefix = prefix
	return w
}

// done returns the violations, ordered by path, and recycles the walker.
func (w *walker) done() []Violation {
	out := w.out
	w.out, w.segs, w.prefix = nil, w.segs[:0], ""
	walkerPool.Put(w)
	if len(out) > 1 {
		slices.SortStableFunc(out, func(a, b Violation) int {
			if c := comparePaths(a.Path, b.Path); c != 0 {
				return c
			}
			if c := cmp.Compare(a.Rule, b.Rule); c != 0 {
				return c
			}
			return cmp.Compare(a.Message, b.Message)
		})
	}
	return out
}

// comparePaths orders paths segment by segment, array indexes numerically.
func comparePaths(a, b string) int {
	for a != "" && b != "" {
		var sa, sb string
		sa, a = cutSeg(a)
		sb, b = cutSeg(b)
		if sa == sb {
			continue
		}
		if isDigits(sa) && isDigits(sb) {
			if c := cmp.Compare(len(sa), len(sb)); c != 0 {
				return c
			}
		}
		return strings.Compare(sa, sb)
	}
	return cmp.Compare(len(a), len(b))
}

func cutSeg(p string) (seg, rest string) {
	p = strings.TrimPrefix(p, "/")
	if i := strings.IndexByte(p, '/'); i >= 0 {
		return p[:i], p[i:]
	}
	return p, ""
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func (w *walker) push(name string) { w.segs = append(w.segs, seg{name: name, idx: -1}) }
func (w *walker) pushIndex(i int)  { w.segs = append(w.segs, seg{idx: i}) }
func (w *walker) pop()             { w.segs = w.segs[:len(w.segs)-1] }

// pointer is the JSON pointer of the current value, after the location
// prefix for parameters.
func (w *walker) pointer() string {
	var b strings.Builder
	b.WriteString(w.prefix)
	for _, s := range w.segs {
		b.WriteByte('/')
		if s.idx >= 0 {
			b.WriteString(strconv.Itoa(s.idx))
			continue
		}
		b.WriteString(pointerEscaper.Replace(s.name))
	}
	return b.String()
}

// field names the current value for messages: "customer_user.id",
// "link_tags[2]", "path parameter id".
func (w *walker) field() string {
	var b strings.Builder
	if w.prefix != "" {
		b.WriteString(w.prefix)
		b.WriteString(" parameter ")
	}
	for i, s := range w.segs {
		if s.idx >= 0 {
			fmt.Fprintf(&b, "[%d]", s.idx)
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.name)
	}
	if b.Len() == 0 {
		return "request body"
	}
	return b.String()
}

func (w *walker) add(rule, msg string) {
	w.out = append(w.out, Violation{Path: w.pointer(), Rule: rule, Message: msg})
}

func (w *walker) typeErr(n *node) {
	w.add("type", fmt.Sprintf("%s must be %s", w.field(), n.kind))
}

func (w *walker) null(n *node) {
	if !n.nullable {
		w.add("nullable", w.field()+" must not be null")
	}
}

// walk checks a present value v against n.
func (w *walker) walk(n *node, v reflect.Value) {
	for {
		switch v.Kind() {
		case reflect.Invalid:
			w.null(n)
			return
		case reflect.Pointer, reflect.Interface:
			if v.IsNil() {
				w.null(n)
				return
			}
			v = v.Elem()
			continue
		case reflect.Map:
			if isNullableType(v.Type()) {
				if v.CanInterface() {
					if ns, ok := v.Interface().(nullable.Nullable[string]); ok {
						s, set := ns[true]
						switch {
						case !set:
							w.null(n)
						case n.kind == kindString:
							w.str(n, s)
						case n.kind != kindAny:
							w.typeErr(n)
						}
						return
					}
				}
				e := v.MapIndex(trueValue)
				if !e.IsValid() {
					w.null(n)
					return
				}
				v = e
				continue
			}
		}
		break
	}

	switch t := v.Type(); t {
	case numberType:
		if n.kind == kindNumber || n.kind == kindInteger {
			w.numberText(n, v.String())
		} else if n.kind != kindAny {
			w.typeErr(n)
		}
		return
	case timeType:
		w.time(n, v)
		return
	case timestampType:
		// A timestamp.Time encodes as the text it holds; that text is
		// what the rules see.
		if n.kind != kindString && n.kind != kindAny {
			w.typeErr(n)
		} else if v.CanAddr() && v.Addr().CanInterface() {
			// Through a pointer: boxing the struct itself would allocate.
			w.str(n, v.Addr().Interface().(*timestamp.Time).String())
		} else if v.CanInterface() {
			w.str(n, v.Interface().(timestamp.Time).String())
		}
		return
	}

	switch n.kind {
	case kindAny:
	case kindString:
		if v.Kind() == reflect.String {
			w.str(n, v.String())
		} else {
			w.typeErr(n)
		}
	case kindNumber, kindInteger:
		switch v.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			w.bounds(n, float64(v.Int()))
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
			w.bounds(n, float64(v.Uint()))
		case reflect.Float32, reflect.Float64:
			w.float(n, v.Float())
		default:
			w.typeErr(n)
		}
	case kindBoolean:
		if v.Kind() != reflect.Bool {
			w.typeErr(n)
		}
	case kindObject:
		switch {
		case v.Kind() == reflect.Struct:
			w.object(n, v)
		case v.Kind() == reflect.Map && v.Type().Key().Kind() == reflect.String:
			w.mapObject(n, v)
		default:
			w.typeErr(n)
		}
	case kindArray:
		if v.Kind() == reflect.Slice || v.Kind() == reflect.Array {
			w.array(n, v)
		} else {
			w.typeErr(n)
		}
	}
}

// presence is whether a property appears in the marshalled JSON.
type presence uint8

const (
	present presence = iota
	absent
	null
)

// presenceOf says how encoding/json would emit field value v. A required
// property whose Go type cannot be absent counts as absent at its zero
// value.
func presenceOf(v reflect.Value, f *fieldRef, required bool) presence {
	if !v.IsValid() {
		return absent
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			if f.omitEmpty || f.omitZero {
				return absent
			}
			return null
		}
	case reflect.Map:
		if isNullableType(v.Type()) {
			if v.Len() == 0 {
				return absent
			}
			if !nullableSet(v) {
				return null
			}
			return present
		}
		fallthrough
	case reflect.Slice:
		if v.IsNil() {
			if f.omitEmpty || f.omitZero {
				return absent
			}
			return null
		}
		if f.omitEmpty && v.Len() == 0 {
			return absent
		}
	case reflect.String:
		if v.Len() == 0 && (f.omitEmpty || required) {
			return absent
		}
	case reflect.Struct:
		if (f.omitZero || required) && v.IsZero() {
			return absent
		}
	case reflect.Array:
		if (f.omitEmpty && v.Len() == 0) || (f.omitZero && v.IsZero()) {
			return absent
		}
	default:
		if (f.omitEmpty || f.omitZero) && v.IsZero() {
			return absent
		}
	}
	return present
}

// nullableSet reports whether a non-empty nullable.Nullable holds a value.
func nullableSet(v reflect.Value) bool {
	if v.CanInterface() {
		if ns, ok := v.Interface().(nullable.Nullable[string]); ok {
			_, set := ns[true]
			return set
		}
	}
	return v.MapIndex(trueValue).IsValid()
}

// object checks a struct against an object node.
func (w *walker) object(n *node, v reflect.Value) {
	b := n.binding(v.Type())
	for i := range n.props {
		p := &n.props[i]
		fv, f := b.field(v, i)
		st := absent
		if f != nil {
			st = presenceOf(fv, f, p.required)
		}
		w.property(p, st, fv)
	}
	for i := range n.requires {
		r := &n.requires[i]
		fv, f := b.field(v, r.ifIdx)
		if f == nil || presenceOf(fv, f, n.props[r.ifIdx].required) != present {
			continue
		}
		tv, tf := b.field(v, r.thenIdx)
		tst := absent
		if tf != nil {
			tst = presenceOf(tv, tf, n.props[r.thenIdx].required)
		}
		w.require(r, tst, tv)
	}
}

// property checks one property given its presence.
func (w *walker) property(p *prop, st presence, v reflect.Value) {
	w.push(p.name)
	switch st {
	case absent:
		if p.required {
			w.add("required", w.field()+" is required")
		}
	case null:
		switch {
		case p.node.nullable:
		case p.required:
			w.add("required", w.field()+" is required")
		default:
			w.add("nullable", w.field()+" must not be null")
		}
	default:
		w.walk(p.node, v)
	}
	w.pop()
}

// require checks one x-banklink-requires rule whose if-property is present.
func (w *walker) require(r *requireRule, then presence, v reflect.Value) {
	if r.hasEquals && then == present {
		if s, ok := stringOf(v); ok && s == r.equals {
			return
		}
	} else if !r.hasEquals && then == present {
		return
	}
	w.push(r.ifProp)
	ifField := w.field()
	w.pop()
	w.push(r.thenProp)
	defer w.pop()
	if r.hasEquals {
		w.add("requires", fmt.Sprintf("%s requires %s %s", ifField, w.field(), r.equals))
		return
	}
	w.add("requires", fmt.Sprintf("%s is required when %s is present", w.field(), ifField))
}

// stringOf returns the string a value marshals to, when it is a string.
func stringOf(v reflect.Value) (string, bool) {
	for v.IsValid() {
		switch v.Kind() {
		case reflect.Pointer, reflect.Interface:
			if v.IsNil() {
				return "", false
			}
			v = v.Elem()
		case reflect.Map:
			if !isNullableType(v.Type()) {
				return "", false
			}
			if v.CanInterface() {
				if ns, ok := v.Interface().(nullable.Nullable[string]); ok {
					s, set := ns[true]
					return s, set
				}
			}
			v = v.MapIndex(trueValue)
		case reflect.String:
			if v.Type() == numberType {
				return "", false
			}
			return v.String(), true
		default:
			return "", false
		}
	}
	return "", false
}

// mapObject checks a map with string keys against an object node: named
// properties by key, the other keys against additionalProperties.
func (w *walker) mapObject(n *node, v reflect.Value) {
	kt := v.Type().Key()
	lookup := func(name string) (reflect.Value, presence) {
		e := v.MapIndex(reflect.ValueOf(name).Convert(kt))
		if !e.IsValid() {
			return e, absent
		}
		if isNil(e) {
			return e, null
		}
		return e, present
	}
	for i := range n.props {
		e, st := lookup(n.props[i].name)
		w.property(&n.props[i], st, e)
	}
	for i := range n.requires {
		r := &n.requires[i]
		if _, st := lookup(r.ifProp); st != present {
			continue
		}
		e, st := lookup(r.thenProp)
		w.require(r, st, e)
	}
	if n.additional == nil {
		return
	}
	it := v.MapRange()
	for it.Next() {
		k := it.Key().String()
		if n.propIndex(k) >= 0 {
			continue
		}
		w.push(k)
		w.walk(n.additional, it.Value())
		w.pop()
	}
}

// array checks a slice or array.
func (w *walker) array(n *node, v reflect.Value) {
	l := v.Len()
	if l < n.minItems {
		w.add("minItems", fmt.Sprintf("%s must have at least %d %s", w.field(), n.minItems, plural(n.minItems, "item")))
	}
	if n.maxItems >= 0 && l > n.maxItems {
		w.add("maxItems", fmt.Sprintf("%s must have at most %d %s", w.field(), n.maxItems, plural(n.maxItems, "item")))
	}
	if n.items == nil {
		return
	}
	for i := 0; i < l; i++ {
		w.pushIndex(i)
		w.walk(n.items, v.Index(i))
		w.pop()
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// str checks a string value.
func (w *walker) str(n *node, s string) {
	for _, set := range n.enums {
		if !slices.Contains(set, s) {
			w.add("enum", fmt.Sprintf("%s must be one of %s", w.field(), strings.Join(set, ", ")))
		}
	}
	if n.minLen > 0 || n.maxLen >= 0 {
		c := runeCount(s)
		switch {
		case c < n.minLen:
			w.add("minLength", w.lengthMessage(n))
		case n.maxLen >= 0 && c > n.maxLen:
			w.add("maxLength", w.lengthMessage(n))
		}
	}
	for _, p := range n.patterns {
		if !p.re.MatchString(s) {
			w.add("pattern", fmt.Sprintf("%s must match the pattern %s", w.field(), p.src))
		}
	}
	switch n.format {
	case formatDateTime:
		if !validDateTime(s) {
			w.add("format", w.field()+" must be an RFC 3339 date-time, or one without an offset (read as UTC)")
		}
	case formatEmail:
		if !validEmail(s) {
			w.add("format", w.field()+" must be an email address")
		}
	case formatURI:
		if !validAbsoluteURL(s) {
			w.add("format", w.field()+" must be an absolute URL with a scheme and a host")
		}
	case formatDate:
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			w.add("format", w.field()+" must be a date formatted as YYYY-MM-DD")
		}
	}
	if n.noQuery && strings.ContainsAny(s, "?#") {
		w.add("noQuery", w.field()+" must not have query parameters or a fragment")
	}
}

func (w *walker) lengthMessage(n *node) string {
	f := w.field()
	switch {
	case n.minLen > 0 && n.maxLen >= 0 && n.minLen == n.maxLen:
		return fmt.Sprintf("%s must be exactly %d %s", f, n.minLen, plural(n.minLen, "character"))
	case n.minLen > 0 && n.maxLen >= 0:
		return fmt.Sprintf("%s must be %d to %d characters", f, n.minLen, n.maxLen)
	case n.minLen > 0:
		return fmt.Sprintf("%s must be at least %d %s", f, n.minLen, plural(n.minLen, "character"))
	}
	return fmt.Sprintf("%s must be at most %d %s", f, n.maxLen, plural(n.maxLen, "character"))
}

// time checks a time.Time, which always marshals as an RFC 3339 date-time
// unless its year has more than four digits.
func (w *walker) time(n *node, v reflect.Value) {
	if n.kind != kindString && n.kind != kindAny {
		w.typeErr(n)
		return
	}
	var t time.Time
	switch {
	case !v.CanInterface():
		return
	case v.CanAddr():
		t = *v.Addr().Interface().(*time.Time)
	default:
		t = v.Interface().(time.Time)
	}
	if y := t.Year(); y < 0 || y > 9999 {
		w.add("format", w.field()+" must be an RFC 3339 date-time with a four-digit year")
		return
	}
	if n.minLen > 0 || n.maxLen >= 0 || len(n.patterns) > 0 || len(n.enums) > 0 || n.noQuery ||
		(n.format != formatNone && n.format != formatDateTime) {
		w.str(n, t.Format(time.RFC3339Nano))
	}
}

// numberText checks the text of a json.Number (or a parameter) against a
// number node.
func (w *walker) numberText(n *node, s string) {
	if n.decimals >= 0 {
		frac, ok := plainDecimal(s)
		if !ok {
			w.add("decimalPlaces", w.field()+" must be a plain decimal number: digits with an optional decimal point, no sign or exponent")
			return
		}
		if frac > n.decimals {
			w.add("decimalPlaces", fmt.Sprintf("%s must have at most %d decimal %s", w.field(), n.decimals, plural(n.decimals, "place")))
		}
	} else if !validJSONNumber(s) {
		w.add("type", fmt.Sprintf("%s must be %s", w.field(), n.kind))
		return
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		w.add("type", fmt.Sprintf("%s must be %s", w.field(), n.kind))
		return
	}
	if n.kind == kindInteger && f != math.Trunc(f) {
		w.typeErr(n)
		return
	}
	w.bounds(n, f)
}

// float checks a float64 (a number decoded into an interface).
func (w *walker) float(n *node, f float64) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		w.typeErr(n)
		return
	}
	if n.kind == kindInteger && f != math.Trunc(f) {
		w.typeErr(n)
		return
	}
	if n.decimals >= 0 {
		w.numberText(n, strconv.FormatFloat(f, 'f', -1, 64))
		return
	}
	w.bounds(n, f)
}

// bounds checks minimum and maximum.
func (w *walker) bounds(n *node, f float64) {
	if n.hasMin && (f < n.min || (n.exclMin && f == n.min)) {
		if n.exclMin {
			w.add("minimum", fmt.Sprintf("%s must be greater than %s", w.field(), n.minText))
		} else {
			w.add("minimum", fmt.Sprintf("%s must be at least %s", w.field(), n.minText))
		}
	}
	if n.hasMax && (f > n.max || (n.exclMax && f == n.max)) {
		if n.exclMax {
			w.add("maximum", fmt.Sprintf("%s must be less than %s", w.field(), n.maxText))
		} else {
			w.add("maximum", fmt.Sprintf("%s must be at most %s", w.field(), n.maxText))
		}
	}
}

// scalarText checks a parameter value as sent in the URL or header.
func (w *walker) scalarText(n *node, s string) {
	switch n.kind {
	case kindNumber, kindInteger:
		w.numberText(n, s)
	case kindBoolean:
		if s != "true" && s != "false" {
			w.typeErr(n)
		}
	default:
		w.str(n, s)
	}
}

// fieldRef locates a struct field by its JSON name.
type fieldRef struct {
	index     []int
	omitEmpty bool
	omitZero  bool
}

// binding maps an object node's properties to the fields of one struct
// type, by index into node.props; a nil entry means the struct has no field
// for that property.
type binding struct {
	fields []*fieldRef
}

// binding returns (and caches) the property-to-field mapping of t.
func (n *node) binding(t reflect.Type) *binding {
	if b, ok := n.bindings.Load(t); ok {
		return b.(*binding)
	}
	byName := structFields(t)
	b := &binding{fields: make([]*fieldRef, len(n.props))}
	for i, p := range n.props {
		b.fields[i] = byName[p.name]
	}
	actual, _ := n.bindings.LoadOrStore(t, b)
	return actual.(*binding)
}

// field returns the struct field bound to property i; f is nil when the
// struct has no such field or it sits behind a nil embedded pointer.
func (b *binding) field(v reflect.Value, i int) (reflect.Value, *fieldRef) {
	f := b.fields[i]
	if f == nil {
		return reflect.Value{}, nil
	}
	for j, x := range f.index {
		if j > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, nil
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, f
}

var fieldCache sync.Map // reflect.Type → map[string]*fieldRef

// structFields lists the JSON-visible fields of struct type t by JSON name,
// following encoding/json: `json:"-"` fields and unexported fields are
// skipped, untagged embedded structs are flattened and a shallower field
// hides a deeper one of the same name.
func structFields(t reflect.Type) map[string]*fieldRef {
	if c, ok := fieldCache.Load(t); ok {
		return c.(map[string]*fieldRef)
	}
	out := map[string]*fieldRef{}
	depth := map[string]int{}
	var visit func(t reflect.Type, index []int, seen map[reflect.Type]bool)
	visit = func(t reflect.Type, index []int, seen map[reflect.Type]bool) {
		seen[t] = true
		defer delete(seen, t)
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			tag := sf.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			idx := append(slices.Clone(index), i)
			if sf.Anonymous && name == "" {
				et := sf.Type
				if et.Kind() == reflect.Pointer {
					et = et.Elem()
				}
				if et.Kind() == reflect.Struct {
					if !seen[et] {
						visit(et, idx, seen)
					}
					continue
				}
			}
			if !sf.IsExported() {
				continue
			}
			if name == "" {
				name = sf.Name
			}
			if d, ok := depth[name]; ok && d <= len(index) {
				continue
			}
			depth[name] = len(index)
			ref := &fieldRef{index: idx}
			for _, o := range strings.Split(opts, ",") {
				switch o {
				case "omitempty":
					ref.omitEmpty = true
				case "omitzero":
					ref.omitZero = true
				}
			}
			out[name] = ref
		}
	}
	visit(t, nil, map[reflect.Type]bool{})
	actual, _ := fieldCache.LoadOrStore(t, out)
	return actual.(map[string]*fieldRef)
}
