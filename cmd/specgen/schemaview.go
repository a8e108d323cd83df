package main

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// view is one request schema with its allOf members merged and $refs
// resolved: the constraints a generated validator enforces.
type view struct {
	where    string
	self     *openapi3.SchemaRef
	kind     string // object, array, string, number, integer, boolean, or "" for any
	nullable bool

	minLen, maxLen int // maxLen < 0: unbounded
	patterns       []string
	enums          [][]string
	format         string // "date-time", "email", "uri" or ""
	noQuery        bool

	decimals                int // < 0: none
	min, max                *float64
	exclMin, exclMax        bool
	items                   *openapi3.SchemaRef
	minItems, maxItems      int
	props                   map[string]*openapi3.SchemaRef
	required                map[string]bool
	requires                []requireRule
	additional              *openapi3.SchemaRef
	hasAdditional, isObject bool
}

type requireRule struct{ ifProp, thenProp, equals string }

func newView(where string) *view {
	return &view{where: where, maxLen: -1, maxItems: -1, decimals: -1, props: map[string]*openapi3.SchemaRef{}, required: map[string]bool{}}
}

// enforcedFormats are the string formats the validators check; others are
// recorded in the spec with x-banklink-documented-format.
var enforcedFormats = map[string]bool{"date-time": true, "email": true, "uri": true}

// buildView merges ref's schema and its allOf members.
func buildView(ref *openapi3.SchemaRef, where string) (*view, error) {
	v := newView(where)
	v.self = ref
	if ref == nil {
		return v, nil
	}
	if err := v.merge(ref, where, 0); err != nil {
		return nil, err
	}
	return v, nil
}

func (v *view) merge(ref *openapi3.SchemaRef, where string, depth int) error {
	if ref.Ref != "" {
		where = ref.Ref
	}
	s := ref.Value
	if s == nil {
		return fmt.Errorf("%s: unresolved reference", where)
	}
	if depth > 16 {
		return fmt.Errorf("%s: allOf nests too deep", where)
	}
	if bad := unsupportedKeywords(s); len(bad) > 0 {
		return fmt.Errorf("%s: the request validators do not support %s", where, strings.Join(bad, ", "))
	}
	types := s.Type.Slice()
	nullable := s.Nullable
	for _, t := range types {
		if t == openapi3.TypeNull {
			nullable = true
			continue
		}
		if v.kind != "" && v.kind != t {
			return fmt.Errorf("%s: conflicting types %s and %s", where, v.kind, t)
		}
		v.kind = t
	}
	if depth == 0 || len(s.AllOf) == 0 {
		v.nullable = v.nullable || nullable
	}
	if s.MinLength > 0 {
		v.minLen = max(v.minLen, int(min(s.MinLength, math.MaxInt32)))
	}
	if s.MaxLength != nil {
		m := int(min(*s.MaxLength, math.MaxInt32))
		if v.maxLen < 0 || m < v.maxLen {
			v.maxLen = m
		}
	}
	if s.Pattern != "" {
		if _, err := regexp.Compile(s.Pattern); err != nil {
			return fmt.Errorf("%s: pattern: %w", where, err)
		}
		v.patterns = append(v.patterns, s.Pattern)
	}
	if len(s.Enum) > 0 {
		var set []string
		for _, e := range s.Enum {
			switch e := e.(type) {
			case nil:
				v.nullable = true
			case string:
				set = append(set, e)
			default:
				return fmt.Errorf("%s: enum value of type %T is not supported", where, e)
			}
		}
		v.enums = append(v.enums, set)
	}
	if s.Format != "" && enforcedFormats[s.Format] {
		v.format = s.Format
	}
	if n, ok := s.Extensions["x-banklink-no-query"]; ok {
		b, err := extBool(n)
		if err != nil {
			return fmt.Errorf("%s: x-banklink-no-query: %w", where, err)
		}
		v.noQuery = v.noQuery || b
	}
	if n, ok := s.Extensions["x-banklink-decimal-places"]; ok {
		d, err := extInt(n)
		if err != nil || d < 0 {
			return fmt.Errorf("%s: x-banklink-decimal-places must be a non-negative integer", where)
		}
		if v.decimals < 0 || d < v.decimals {
			v.decimals = d
		}
	}
	if s.Min != nil {
		v.min, v.exclMin = s.Min, s.ExclusiveMin.IsTrue()
	}
	if s.ExclusiveMin.Value != nil {
		v.min, v.exclMin = s.ExclusiveMin.Value, true
	}
	if s.Max != nil {
		v.max, v.exclMax = s.Max, s.ExclusiveMax.IsTrue()
	}
	if s.ExclusiveMax.Value != nil {
		v.max, v.exclMax = s.ExclusiveMax.Value, true
	}
	if s.Items != nil {
		v.items = s.Items
	}
	if s.MinItems > 0 {
		v.minItems = int(min(s.MinItems, math.MaxInt32))
	}
	if s.MaxItems != nil {
		v.maxItems = int(min(*s.MaxItems, math.MaxInt32))
	}
	for name, p := range s.Properties {
		v.props[name] = p
		v.isObject = true
	}
	for _, r := range s.Required {
		v.required[r] = true
		v.isObject = true
	}
	if s.AdditionalProperties.Schema != nil {
		v.additional, v.hasAdditional, v.isObject = s.AdditionalProperties.Schema, true, true
	}
	if raw, ok := s.Extensions["x-banklink-requires"]; ok {
		rules, err := extRequires(raw)
		if err != nil {
			return fmt.Errorf("%s: x-banklink-requires: %w", where, err)
		}
		v.requires = append(v.requires, rules...)
	}
	allNullable := len(s.AllOf) > 0
	for i, m := range s.AllOf {
		sub := newView("")
		if err := sub.merge(m, fmt.Sprintf("%s/allOf/%d", where, i), depth+1); err != nil {
			return err
		}
		allNullable = allNullable && sub.nullable
		if err := v.merge(m, fmt.Sprintf("%s/allOf/%d", where, i), depth+1); err != nil {
			return err
		}
	}
	if len(s.AllOf) > 0 {
		v.nullable = nullable || allNullable
	}
	if v.kind == "" {
		switch {
		case v.isObject:
			v.kind = openapi3.TypeObject
		case v.items != nil:
			v.kind = openapi3.TypeArray
		}
	}
	for _, r := range v.requires {
		if _, ok := v.props[r.ifProp]; !ok && depth == 0 {
			return fmt.Errorf("%s: x-banklink-requires names %q, which is not a property", where, r.ifProp)
		}
		if _, ok := v.props[r.thenProp]; !ok && depth == 0 {
			return fmt.Errorf("%s: x-banklink-requires names %q, which is not a property", where, r.thenProp)
		}
	}
	return nil
}

func (v *view) propNames() []string {
	names := make([]string, 0, len(v.props))
	for n := range v.props {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (v *view) hasStringRules() bool {
	return v.minLen > 0 || v.maxLen >= 0 || len(v.patterns) > 0 || len(v.enums) > 0 || v.format != "" || v.noQuery
}

func (v *view) hasNumberRules() bool {
	return v.decimals >= 0 || v.min != nil || v.max != nil
}

// unsupportedKeywords names the schema keywords the generated validators
// do not enforce. A request schema that uses one fails specgen, so a
// constraint can never be added to the spec and silently ignored.
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
	add(s.If != nil || s.Then != nil || s.Else != nil, "if/then/else")
	add(len(s.DependentRequired) > 0, "dependentRequired")
	return out
}

func extDecode(raw any, out any) error {
	switch r := raw.(type) {
	case json.RawMessage:
		return json.Unmarshal(r, out)
	default:
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		return json.Unmarshal(b, out)
	}
}

func extBool(raw any) (bool, error) {
	var b bool
	err := extDecode(raw, &b)
	return b, err
}

func extInt(raw any) (int, error) {
	var n int
	err := extDecode(raw, &n)
	return n, err
}

func extString(raw any) (string, error) {
	var s string
	err := extDecode(raw, &s)
	return s, err
}

func extRequires(raw any) ([]requireRule, error) {
	var list []struct {
		If     string  `json:"if"`
		Then   string  `json:"then"`
		Equals *string `json:"equals"`
	}
	if err := extDecode(raw, &list); err != nil {
		return nil, err
	}
	out := make([]requireRule, 0, len(list))
	for _, r := range list {
		if r.If == "" || r.Then == "" {
			return nil, fmt.Errorf("every rule needs if and then")
		}
		rr := requireRule{ifProp: r.If, thenProp: r.Then}
		if r.Equals != nil {
			rr.equals = *r.Equals
		}
		out = append(out, rr)
	}
	return out, nil
}

func formatNumber(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
