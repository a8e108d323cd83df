package validate

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
)

// kind is the JSON type a schema node accepts.
type kind uint8

const (
	kindAny kind = iota
	kindObject
	kindArray
	kindString
	kindNumber
	kindInteger
	kindBoolean
)

func (k kind) String() string {
	switch k {
	case kindObject:
		return "an object"
	case kindArray:
		return "an array"
	case kindString:
		return "a string"
	case kindNumber:
		return "a number"
	case kindInteger:
		return "an integer"
	case kindBoolean:
		return "a boolean"
	}
	return "any value"
}

// strFormat is a string format banklink enforces.
type strFormat uint8

const (
	formatNone strFormat = iota
	formatDateTime
	formatEmail
	formatURI
	formatDate
)

func (f strFormat) String() string {
	switch f {
	case formatDateTime:
		return "date-time"
	case formatEmail:
		return "email"
	case formatURI:
		return "uri"
	case formatDate:
		return "date"
	}
	return ""
}

// Extensions banklink reads on schemas.
const (
	extDecimalPlaces    = "x-banklink-decimal-places"
	extNoQuery          = "x-banklink-no-query"
	extRequires         = "x-banklink-requires"
	extPII              = "x-banklink-pii"
	extDocumentedFormat = "x-banklink-documented-format"
	extUnconfirmed      = "x-banklink-unconfirmed"
	banklinkExtPrefix   = "x-banklink-"
	vendorExtPrefix     = "x-"
	unboundedLength     = -1
	unboundedDecimals   = -1
)

// informationalExt lists schema extensions that carry no rule.
var informationalExt = map[string]bool{
	extPII:              true,
	extDocumentedFormat: true,
	extUnconfirmed:      true,
}

// ruleExt lists schema extensions that carry a rule this package enforces.
var ruleExt = map[string]bool{
	extDecimalPlaces: true,
	extNoQuery:       true,
	extRequires:      true,
}

// pattern is a compiled `pattern` keyword.
type pattern struct {
	src string
	re  *regexp.Regexp
}

// requireRule is one x-banklink-requires entry resolved against an object's
// properties.
type requireRule struct {
	ifProp, thenProp string
	ifIdx, thenIdx   int
	equals           string
	hasEquals        bool
}

// prop is one object property.
type prop struct {
	name     string
	node     *node
	required bool
}

// node is the compiled form of one schema (allOf members merged, $refs
// resolved). Nodes are immutable after Compile except for the per-Go-type
// binding cache.
type node struct {
	where    string
	kind     kind
	nullable bool

	// strings
	minLen, maxLen int
	patterns       []pattern
	enums          [][]string
	format         strFormat
	noQuery        bool

	// numbers
	min, max         float64
	hasMin, hasMax   bool
	exclMin, exclMax bool
	decimals         int
	minText, maxText string

	// arrays
	items              *node
	minItems, maxItems int

	// objects
	props      []prop
	requires   []requireRule
	additional *node

	// bindings caches, per reflect.Type of a Go struct, which struct field
	// holds each property.
	bindings sync.Map
}

func newNode(where string) *node {
	return &node{where: where, maxLen: unboundedLength, maxItems: unboundedLength, decimals: unboundedDecimals}
}

// hasStringRules reports whether n constrains string values beyond their type.
func (n *node) hasStringRules() bool {
	return n.minLen > 0 || n.maxLen >= 0 || len(n.patterns) > 0 || len(n.enums) > 0 || n.format != formatNone || n.noQuery
}

func (n *node) propIndex(name string) int {
	i := sort.Search(len(n.props), func(i int) bool { return n.props[i].name >= name })
	if i < len(n.props) && n.props[i].name == name {
		return i
	}
	return -1
}

// compiler turns kin-openapi schemas into nodes.
type compiler struct {
	memo       map[*openapi3.Schema]*node
	inProgress map[*openapi3.Schema]bool
}

func newCompiler() *compiler {
	return &compiler{memo: map[*openapi3.Schema]*node{}, inProgress: map[*openapi3.Schema]bool{}}
}

// unsupportedKeywords names the schema keywords banklink does not enforce.
// A request schema that uses one fails Compile, so a constraint can never be
// added to the spec and silently ignored.
func unsupportedKeywords(s *openapi3.Schema) []string {
	var out []string
	add := func(cond bool, name string) {
		if cond {
			out = append(out, name)
		}
	}
	add(len(s.OneOf) > 0, "oneOf")
	add(len(s.AnyOf) > 0, "anyOf")
	add(s.Not != nil, "not")
	add(s.MultipleOf != nil, "multipleOf")
	add(s.UniqueItems, "uniqueItems")
	add(s.MinProps > 0, "minProperties")
	add(s.MaxProps != nil, "maxProperties")
	add(s.Discriminator != nil, "discriminator")
	add(s.Const != nil, "const")
	add(len(s.PrefixItems) > 0, "prefixItems")
	add(s.Contains != nil, "contains")
	add(len(s.PatternProperties) > 0, "patternProperties")
	add(len(s.DependentSchemas) > 0, "dependentSchemas")
	add(s.PropertyNames != nil, "propertyNames")
	add(s.If != nil || s.Then != nil || s.Else != nil, "if/then/else")
	add(len(s.DependentRequired) > 0, "dependentRequired")
	add(s.UnevaluatedItems.Has != nil || s.UnevaluatedItems.Schema != nil, "unevaluatedItems")
	add(s.UnevaluatedProperties.Has != nil || s.UnevaluatedProperties.Schema != nil, "unevaluatedProperties")
	add(s.Always != nil && !*s.Always, "false schema")
	return out
}

// checkExtensions rejects x-banklink-* keys banklink does not know and, when
// strict, any keyword kin-openapi did not recognise (a misspelt keyword lands
// among the extensions).
func checkExtensions(s *openapi3.Schema, where string, strict bool) error {
	keys := make([]string, 0, len(s.Extensions))
	for k := range s.Extensions {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch {
		case strings.HasPrefix(k, banklinkExtPrefix):
			if !informationalExt[k] && !ruleExt[k] {
				return fmt.Errorf("validate: schema %s: unknown extension %s", where, k)
			}
		case strings.HasPrefix(k, vendorExtPrefix):
		case strict:
			return fmt.Errorf("validate: schema %s: unknown keyword %s", where, k)
		}
	}
	return nil
}

func (c *compiler) compile(ref *openapi3.SchemaRef, where string) (*node, error) {
	if ref == nil {
		return newNode(where), nil
	}
	if ref.Ref != "" {
		where = ref.Ref
	}
	s := ref.Value
	if s == nil {
		return nil, fmt.Errorf("validate: schema %s: unresolved reference", where)
	}
	if n, ok := c.memo[s]; ok {
		return n, nil
	}
	n := newNode(where)
	c.memo[s] = n
	c.inProgress[s] = true
	defer delete(c.inProgress, s)

	if bad := unsupportedKeywords(s); len(bad) > 0 {
		return nil, fmt.Errorf("validate: schema %s: unsupported keyword %s", where, strings.Join(bad, ", "))
	}
	if err := checkExtensions(s, where, true); err != nil {
		return nil, err
	}
	if err := c.own(n, s, where); err != nil {
		return nil, err
	}
	if len(s.AllOf) > 0 {
		allNullable := true
		for i, m := range s.AllOf {
			if m != nil && m.Value != nil && c.inProgress[m.Value] {
				return nil, fmt.Errorf("validate: schema %s: recursive allOf", where)
			}
			mn, err := c.compile(m, fmt.Sprintf("%s/allOf/%d", where, i))
			if err != nil {
				return nil, err
			}
			if err := merge(n, mn); err != nil {
				return nil, err
			}
			allNullable = allNullable && mn.nullable
		}
		// OpenAPI 3.0 writes a nullable reference as `nullable: true` next
		// to `allOf: [$ref]`; either form makes the value nullable.
		n.nullable = s.Nullable || allNullable
	}
	if err := n.resolveRequires(); err != nil {
		return nil, err
	}
	return n, nil
}

// own compiles the schema's own keywords, without its allOf members.
func (c *compiler) own(n *node, s *openapi3.Schema, where string) error {
	n.nullable = s.Nullable
	types := s.Type.Slice()
	var named []string
	for _, t := range types {
		if t == openapi3.TypeNull {
			n.nullable = true
			continue
		}
		named = append(named, t)
	}
	switch len(named) {
	case 0:
		switch {
		case len(s.Properties) > 0 || len(s.Required) > 0 || s.AdditionalProperties.Schema != nil:
			n.kind = kindObject
		case s.Items != nil:
			n.kind = kindArray
		case len(s.Enum) > 0 || s.Pattern != "" || s.MinLength > 0 || s.MaxLength != nil:
			n.kind = kindString
		case s.Min != nil || s.Max != nil:
			n.kind = kindNumber
		}
	case 1:
		switch named[0] {
		case openapi3.TypeObject:
			n.kind = kindObject
		case openapi3.TypeArray:
			n.kind = kindArray
		case openapi3.TypeString:
			n.kind = kindString
		case openapi3.TypeNumber:
			n.kind = kindNumber
		case openapi3.TypeInteger:
			n.kind = kindInteger
		case openapi3.TypeBoolean:
			n.kind = kindBoolean
		default:
			return fmt.Errorf("validate: schema %s: unknown type %s", where, named[0])
		}
	default:
		return fmt.Errorf("validate: schema %s: several types (%s) are not supported", where, strings.Join(named, ", "))
	}

	if err := c.format(n, s, where); err != nil {
		return err
	}

	// strings
	if s.MinLength > 0 {
		n.minLen = int(min(s.MinLength, math.MaxInt32))
	}
	if s.MaxLength != nil {
		n.maxLen = int(min(*s.MaxLength, math.MaxInt32))
	}
	if s.Pattern != "" {
		re, err := regexp.Compile(s.Pattern)
		if err != nil {
			return fmt.Errorf("validate: schema %s: pattern: %w", where, err)
		}
		n.patterns = append(n.patterns, pattern{src: s.Pattern, re: re})
	}
	if len(s.Enum) > 0 {
		vals := make([]string, 0, len(s.Enum))
		for _, e := range s.Enum {
			switch e := e.(type) {
			case nil:
				n.nullable = true
			case string:
				vals = append(vals, e)
			default:
				return fmt.Errorf("validate: schema %s: enum value of type %T is not supported", where, e)
			}
		}
		if n.kind == kindAny {
			n.kind = kindString
		}
		if n.kind != kindString {
			return fmt.Errorf("validate: schema %s: enum on %s is not supported", where, n.kind)
		}
		n.enums = append(n.enums, vals)
	}

	// numbers
	if s.Min != nil {
		n.setMin(*s.Min, s.ExclusiveMin.IsTrue())
	}
	if v := s.ExclusiveMin.Value; v != nil {
		n.setMin(*v, true)
	}
	if s.Max != nil {
		n.setMax(*s.Max, s.ExclusiveMax.IsTrue())
	}
	if v := s.ExclusiveMax.Value; v != nil {
		n.setMax(*v, true)
	}
	n.boundTexts()

	// arrays
	n.minItems = int(min(s.MinItems, math.MaxInt32))
	if s.MaxItems != nil {
		n.maxItems = int(min(*s.MaxItems, math.MaxInt32))
	}
	if s.Items != nil {
		items, err := c.compile(s.Items, where+"/items")
		if err != nil {
			return err
		}
		n.items = items
	}

	// objects
	if len(s.Properties) > 0 || len(s.Required) > 0 {
		names := make([]string, 0, len(s.Properties))
		for name := range s.Properties {
			names = append(names, name)
		}
		for _, name := range s.Required {
			if _, ok := s.Properties[name]; !ok {
				names = append(names, name)
			}
		}
		sort.Strings(names)
		names = dedupe(names)
		required := map[string]bool{}
		for _, name := range s.Required {
			required[name] = true
		}
		for _, name := range names {
			var child *node
			if ref, ok := s.Properties[name]; ok {
				var err error
				child, err = c.compile(ref, where+"/properties/"+name)
				if err != nil {
					return err
				}
			} else {
				child = newNode(where + "/properties/" + name)
			}
			n.props = append(n.props, prop{name: name, node: child, required: required[name]})
		}
	}
	if ap := s.AdditionalProperties.Schema; ap != nil {
		add, err := c.compile(ap, where+"/additionalProperties")
		if err != nil {
			return err
		}
		n.additional = add
	}

	return c.extensions(n, s, where)
}

func dedupe(sorted []string) []string {
	out := sorted[:0]
	for i, s := range sorted {
		if i == 0 || s != sorted[i-1] {
			out = append(out, s)
		}
	}
	return out
}

func (c *compiler) format(n *node, s *openapi3.Schema, where string) error {
	if s.Format == "" {
		return nil
	}
	switch n.kind {
	case kindString, kindAny:
		switch s.Format {
		case "date-time":
			n.format = formatDateTime
		case "email":
			n.format = formatEmail
		case "uri":
			n.format = formatURI
		case "date":
			n.format = formatDate
		default:
			return fmt.Errorf("validate: schema %s: string format %s is not supported", where, s.Format)
		}
		if n.kind == kindAny {
			n.kind = kindString
		}
	case kindInteger:
		if s.Format != "int32" && s.Format != "int64" {
			return fmt.Errorf("validate: schema %s: integer format %s is not supported", where, s.Format)
		}
	case kindNumber:
		if s.Format != "float" && s.Format != "double" {
			return fmt.Errorf("validate: schema %s: number format %s is not supported", where, s.Format)
		}
	default:
		return fmt.Errorf("validate: schema %s: format %s on %s is not supported", where, s.Format, n.kind)
	}
	return nil
}

func (c *compiler) extensions(n *node, s *openapi3.Schema, where string) error {
	if raw, ok := s.Extensions[extDecimalPlaces]; ok {
		if n.kind != kindNumber {
			return fmt.Errorf("validate: schema %s: %s applies to numbers only", where, extDecimalPlaces)
		}
		d, ok := toInt(raw)
		if !ok || d < 0 {
			return fmt.Errorf("validate: schema %s: %s must be a non-negative integer", where, extDecimalPlaces)
		}
		n.decimals = d
	}
	if raw, ok := s.Extensions[extNoQuery]; ok {
		b, ok := raw.(bool)
		if !ok {
			return fmt.Errorf("validate: schema %s: %s must be a boolean", where, extNoQuery)
		}
		if b && n.kind != kindString {
			return fmt.Errorf("validate: schema %s: %s applies to strings only", where, extNoQuery)
		}
		n.noQuery = b
	}
	if raw, ok := s.Extensions[extRequires]; ok {
		list, ok := raw.([]any)
		if !ok {
			return fmt.Errorf("validate: schema %s: %s must be a list", where, extRequires)
		}
		for i, e := range list {
			m, ok := e.(map[string]any)
			if !ok {
				return fmt.Errorf("validate: schema %s: %s[%d] must be an object", where, extRequires, i)
			}
			var r requireRule
			for k, v := range m {
				sv, isStr := v.(string)
				if !isStr {
					return fmt.Errorf("validate: schema %s: %s[%d].%s must be a string", where, extRequires, i, k)
				}
				switch k {
				case "if":
					r.ifProp = sv
				case "then":
					r.thenProp = sv
				case "equals":
					r.equals, r.hasEquals = sv, true
				default:
					return fmt.Errorf("validate: schema %s: %s[%d] has unknown key %s", where, extRequires, i, k)
				}
			}
			if r.ifProp == "" || r.thenProp == "" {
				return fmt.Errorf("validate: schema %s: %s[%d] needs if and then", where, extRequires, i)
			}
			n.requires = append(n.requires, r)
		}
	}
	return nil
}

// resolveRequires binds each x-banklink-requires rule to property indexes.
func (n *node) resolveRequires() error {
	for i := range n.requires {
		r := &n.requires[i]
		r.ifIdx, r.thenIdx = n.propIndex(r.ifProp), n.propIndex(r.thenProp)
		if r.ifIdx < 0 || r.thenIdx < 0 {
			return fmt.Errorf("validate: schema %s: %s names a property the object does not have (%s, %s)", n.where, extRequires, r.ifProp, r.thenProp)
		}
		if r.hasEquals {
			t := n.props[r.thenIdx].node
			if t.kind != kindString && t.kind != kindAny {
				return fmt.Errorf("validate: schema %s: %s equals applies to string properties only (%s)", n.where, extRequires, r.thenProp)
			}
		}
	}
	return nil
}

func toInt(v any) (int, bool) {
	switch v := v.(type) {
	case float64:
		if v != math.Trunc(v) || v > math.MaxInt32 {
			return 0, false
		}
		return int(v), true
	case int:
		return v, true
	case int64:
		return int(v), true
	case uint64:
		return int(v), true
	case json.Number:
		i, err := v.Int64()
		return int(i), err == nil
	}
	return 0, false
}

// setMin tightens the lower bound to v (exclusive when excl).
func (n *node) setMin(v float64, excl bool) {
	switch {
	case !n.hasMin || v > n.min:
		n.hasMin, n.min, n.exclMin = true, v, excl
	case v == n.min:
		n.exclMin = n.exclMin || excl
	}
}

// setMax tightens the upper bound to v (exclusive when excl).
func (n *node) setMax(v float64, excl bool) {
	switch {
	case !n.hasMax || v < n.max:
		n.hasMax, n.max, n.exclMax = true, v, excl
	case v == n.max:
		n.exclMax = n.exclMax || excl
	}
}

func (n *node) boundTexts() {
	if n.hasMin {
		n.minText = formatFloat(n.min)
	}
	if n.hasMax {
		n.maxText = formatFloat(n.max)
	}
}

// merge folds src (an allOf member) into dst: every constraint of both
// applies.
func merge(dst, src *node) error {
	switch {
	case src.kind == kindAny:
	case dst.kind == kindAny:
		dst.kind = src.kind
	case dst.kind == src.kind:
	case dst.kind == kindNumber && src.kind == kindInteger, dst.kind == kindInteger && src.kind == kindNumber:
		dst.kind = kindInteger
	default:
		return fmt.Errorf("validate: schema %s: allOf member %s has type %s, want %s", dst.where, src.where, src.kind, dst.kind)
	}
	dst.minLen = max(dst.minLen, src.minLen)
	dst.maxLen = minBound(dst.maxLen, src.maxLen)
	dst.patterns = append(dst.patterns, src.patterns...)
	dst.enums = append(dst.enums, src.enums...)
	if src.format != formatNone {
		if dst.format != formatNone && dst.format != src.format {
			return fmt.Errorf("validate: schema %s: allOf member %s has format %s, want %s", dst.where, src.where, src.format, dst.format)
		}
		dst.format = src.format
	}
	dst.noQuery = dst.noQuery || src.noQuery
	if src.hasMin {
		dst.setMin(src.min, src.exclMin)
	}
	if src.hasMax {
		dst.setMax(src.max, src.exclMax)
	}
	dst.boundTexts()
	if src.decimals >= 0 && (dst.decimals < 0 || src.decimals < dst.decimals) {
		dst.decimals = src.decimals
	}
	dst.minItems = max(dst.minItems, src.minItems)
	dst.maxItems = minBound(dst.maxItems, src.maxItems)
	var err error
	if dst.items, err = mergeChild(dst.items, src.items); err != nil {
		return err
	}
	if dst.additional, err = mergeChild(dst.additional, src.additional); err != nil {
		return err
	}
	for _, p := range src.props {
		i := dst.propIndex(p.name)
		if i < 0 {
			dst.props = append(dst.props, p)
			sort.Slice(dst.props, func(a, b int) bool { return dst.props[a].name < dst.props[b].name })
			continue
		}
		if dst.props[i].node, err = mergeChild(dst.props[i].node, p.node); err != nil {
			return err
		}
		dst.props[i].required = dst.props[i].required || p.required
	}
	dst.requires = append(dst.requires, src.requires...)
	return nil
}

// mergeChild merges two (shared, immutable) child nodes into a new one.
func mergeChild(a, b *node) (*node, error) {
	switch {
	case a == nil:
		return b, nil
	case b == nil || a == b:
		return a, nil
	}
	n := newNode(a.where)
	if err := merge(n, a); err != nil {
		return nil, err
	}
	if err := merge(n, b); err != nil {
		return nil, err
	}
	n.nullable = a.nullable && b.nullable
	if err := n.resolveRequires(); err != nil {
		return nil, err
	}
	return n, nil
}

func minBound(a, b int) int {
	switch {
	case a < 0:
		return b
	case b < 0:
		return a
	}
	return min(a, b)
}

// scanExtensions checks every schema under s (component schemas included,
// whether or not a request uses them) for unknown x-banklink-* extensions.
func scanExtensions(ref *openapi3.SchemaRef, where string, seen map[*openapi3.Schema]bool) error {
	if ref == nil || ref.Value == nil {
		return nil
	}
	if ref.Ref != "" {
		where = ref.Ref
	}
	s := ref.Value
	if seen[s] {
		return nil
	}
	seen[s] = true
	if err := checkExtensions(s, where, false); err != nil {
		return err
	}
	for _, group := range []struct {
		name string
		refs openapi3.SchemaRefs
	}{{"allOf", s.AllOf}, {"oneOf", s.OneOf}, {"anyOf", s.AnyOf}, {"prefixItems", s.PrefixItems}} {
		for i, m := range group.refs {
			if err := scanExtensions(m, fmt.Sprintf("%s/%s/%d", where, group.name, i), seen); err != nil {
				return err
			}
		}
	}
	names := make([]string, 0, len(s.Properties))
	for name := range s.Properties {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := scanExtensions(s.Properties[name], where+"/properties/"+name, seen); err != nil {
			return err
		}
	}
	for _, sub := range []struct {
		name string
		ref  *openapi3.SchemaRef
	}{{"items", s.Items}, {"not", s.Not}, {"additionalProperties", s.AdditionalProperties.Schema}, {"contains", s.Contains}} {
		if err := scanExtensions(sub.ref, where+"/"+sub.name, seen); err != nil {
			return err
		}
	}
	return nil
}
