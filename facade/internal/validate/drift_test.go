package validate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The drift test reads the raw spec (not kin-openapi's model, so that no
// keyword can hide), finds every constraint on every request body and
// parameter, breaks exactly that constraint in an otherwise valid request
// and checks that the engine reports it at the right path with the right
// rule. A keyword it does not know how to break fails the test.

// schemaInformational are schema keys that carry no request constraint.
var schemaInformational = map[string]bool{
	"description": true, "example": true, "default": true, "deprecated": true, "title": true,
	"x-go-type": true, "x-go-type-import": true, "x-go-type-skip-optional-pointer": true, "x-banklink-pii": true, "x-banklink-documented-format": true, "x-banklink-unconfirmed": true,
}

// schemaConstraints are the keywords the drift test knows how to break.
var schemaConstraints = map[string]bool{
	"type": true, "required": true, "enum": true, "minLength": true, "maxLength": true, "pattern": true,
	"minItems": true, "maxItems": true, "minimum": true, "maximum": true, "exclusiveMinimum": true,
	"exclusiveMaximum": true, "format": true, "nullable": true,
	"x-banklink-decimal-places": true, "x-banklink-no-query": true, "x-banklink-requires": true,
}

// numericFormats are formats that only restate a number's Go type.
var numericFormats = map[string]bool{"int32": true, "int64": true, "float": true, "double": true}

// driftCase is one constraint keyword found at one place.
type driftCase struct {
	op      string
	keyword string
	path    []string // JSON pointer tokens into the body; nil for a parameter
	schema  map[string]any
	where   string
	param   *paramInfo
}

type paramInfo struct {
	in, name string
	required bool
}

// mutation is one request that breaks one constraint.
type mutation struct {
	desc      string
	doc       any      // mutated generic body
	value     string   // parameter value
	wantPath  string   // JSON pointer or "in/name"
	wantRules []string // any of these rules at wantPath
	wantNone  string   // when set, no violation with this rule ("*" for any) may be at wantPath
	// typeMayReject allows the generated Go type to refuse the JSON
	// outright, which enforces the constraint before validation.
	typeMayReject bool
	secret        string
}

// driftSpec is what the drift test needs about one spec.
type driftSpec struct {
	name   string
	raw    []byte
	rules  *Rules
	bodies map[string]string
	types  map[string]func() any
}

type driftRunner struct {
	t       *testing.T
	spec    driftSpec
	root    map[string]any
	cases   []driftCase
	unknown []string
	missing []string
	body    any
	op      string
	minLen  map[string]int
	maxLen  map[string]int
	reqPath map[string]bool
}

func TestDriftEveryConstraintIsEnforced(t *testing.T) {
	found := map[string]int{}
	for _, name := range []string{"moneykit", "linkmoney"} {
		p := getProvider(t, name)
		t.Run(name, func(t *testing.T) {
			for k, n := range runDrift(t, driftSpec{name: name, raw: p.raw, rules: p.rules, bodies: p.bodies, types: p.types}) {
				found[k] += n
			}
		})
	}
	t.Logf("constraints exercised: %v", found)
	// The walker must find every kind of constraint the providers' documented
	// rules rely on; finding none would mean it walked nothing.
	for _, k := range []string{"type", "required", "enum", "minLength", "maxLength", "pattern", "minimum",
		"exclusiveMinimum", "format", "nullable", "x-banklink-decimal-places", "x-banklink-no-query", "x-banklink-requires"} {
		assert.Positive(t, found[k], "no %s constraint found in the specs", k)
	}
}

// driftFixture exercises the keywords the provider specs do not use today
// (minItems, maxItems, maximum, exclusiveMaximum, allOf siblings) through the
// same drift machinery, with a plain map as the Go body type.
const driftFixture = `{
  "openapi": "3.0.3",
  "info": {"title": "fixture", "version": "1"},
  "paths": {
    "/widgets/{code}": {
      "parameters": [{"name": "code", "in": "path", "required": true, "schema": {"type": "string", "minLength": 3, "maxLength": 5, "pattern": "^[A-Z]+$"}}],
      "post": {
        "operationId": "CreateWidget",
        "parameters": [
          {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 10}},
          {"name": "mode", "in": "query", "schema": {"type": "string", "enum": ["fast", "slow"]}},
          {"name": "since", "in": "query", "schema": {"type": "string", "format": "date-time"}}
        ],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Widget"}}}},
        "responses": {"200": {"description": "ok"}}
      }
    }
  },
  "components": {"schemas": {
    "Widget": {
      "type": "object",
      "required": ["name", "parts"],
      "x-banklink-requires": [{"if": "color", "then": "size", "equals": "L"}],
      "properties": {
        "name": {"allOf": [{"$ref": "#/components/schemas/Name"}], "maxLength": 10},
        "parts": {"type": "array", "minItems": 1, "maxItems": 3, "items": {"$ref": "#/components/schemas/Part"}},
        "weight": {"type": "number", "minimum": 1, "maximum": 100, "exclusiveMaximum": true, "x-banklink-decimal-places": 1},
        "count": {"type": "integer", "format": "int32", "minimum": 0, "maximum": 5},
        "color": {"type": "string", "enum": ["red", "blue"]},
        "size": {"type": "string"},
        "note": {"type": "string", "nullable": true, "minLength": 2},
        "when": {"type": "string", "format": "date-time"},
        "contact": {"type": "string", "format": "email"},
        "site": {"type": "string", "format": "uri", "x-banklink-no-query": true},
        "flag": {"type": "boolean"}
      }
    },
    "Name": {"type": "string", "minLength": 2, "pattern": "^[a-z]+$"},
    "Part": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string", "minLength": 1}}}
  }}
}`

const driftFixtureBody = `{"name": "abc", "parts": [{"id": "p1"}, {"id": "p2"}], "weight": 2.5, "count": 3,
  "color": "red", "size": "L", "note": "hello", "when": "2024-01-01T00:00:00Z", "contact": "a@b.example",
  "site": "https://x.example/a", "flag": true}`

func TestDriftFixture(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData([]byte(driftFixture))
	require.NoError(t, err)
	rules, err := Compile(doc)
	require.NoError(t, err)
	found := runDrift(t, driftSpec{
		name:   "fixture",
		raw:    []byte(driftFixture),
		rules:  rules,
		bodies: map[string]string{"CreateWidget": driftFixtureBody},
		types:  map[string]func() any{"CreateWidget": func() any { return new(jsonObject) }},
	})
	for _, k := range []string{"minItems", "maxItems", "maximum", "exclusiveMaximum", "x-banklink-requires", "nullable"} {
		assert.Positive(t, found[k], k)
	}
}

// jsonObject is a generic JSON object that keeps numbers as json.Number, so
// the fixture's decimals reach the engine as written.
type jsonObject map[string]any

func (o *jsonObject) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return err
	}
	*o = m
	return nil
}

// runDrift runs the drift test over one spec and returns how many
// constraints of each keyword it broke.
func runDrift(t *testing.T, spec driftSpec) map[string]int {
	t.Helper()
	var root map[string]any
	require.NoError(t, json.Unmarshal(spec.raw, &root))
	d := &driftRunner{t: t, spec: spec, root: root}

	paths, _ := root["paths"].(map[string]any)
	for _, pathName := range sortedKeys(paths) {
		item := paths[pathName].(map[string]any)
		shared, _ := item["parameters"].([]any)
		for _, method := range sortedKeys(item) {
			op, ok := item[method].(map[string]any)
			if !ok || method == "parameters" {
				continue
			}
			id, _ := op["operationId"].(string)
			require.NotEmpty(t, id, "%s %s has no operationId", method, pathName)
			own, _ := op["parameters"].([]any)
			d.params(id, append(slices.Clone(shared), own...))
			d.requestBody(id, op)
		}
	}
	require.Empty(t, d.unknown, "the drift test does not know how to break these keywords; teach it (and the engine) first")
	require.Empty(t, d.missing, "the valid bodies must set every property so that its constraints are tested")
	require.NotEmpty(t, d.cases)

	counts := map[string]int{}
	for _, c := range d.cases {
		counts[c.keyword]++
		for _, m := range d.mutations(c) {
			d.check(c, m)
		}
	}
	return counts
}

func (d *driftRunner) requestBody(op string, o map[string]any) {
	rb, ok := o["requestBody"].(map[string]any)
	if !ok {
		return
	}
	rb = d.deref(rb)
	content, _ := rb["content"].(map[string]any)
	var schema map[string]any
	for _, mt := range []string{"application/json", "application/x-www-form-urlencoded"} {
		if m, ok := content[mt].(map[string]any); ok {
			schema, _ = m["schema"].(map[string]any)
			break
		}
	}
	require.NotNil(d.t, schema, "%s: no JSON or form request schema", op)
	body, ok := d.spec.bodies[op]
	require.True(d.t, ok, "%s has a request body but the test has no valid body for it", op)
	_, ok = d.spec.types[op]
	require.True(d.t, ok, "%s has a request body but the test has no Go type for it", op)

	d.op, d.body = op, decodeGeneric(d.t, body)
	d.minLen, d.maxLen, d.reqPath = map[string]int{}, map[string]int{}, map[string]bool{}
	start := len(d.cases)
	d.walk(schema, nil, op+" request body", 0)
	// Facts about a path can come from several schemas (allOf members).
	for _, c := range d.cases[start:] {
		key := pointer(c.path)
		switch c.keyword {
		case "minLength":
			d.minLen[key] = max(d.minLen[key], toIntAny(c.schema["minLength"]))
		case "maxLength":
			if v, ok := d.maxLen[key]; !ok || toIntAny(c.schema["maxLength"]) < v {
				d.maxLen[key] = toIntAny(c.schema["maxLength"])
			}
		case "required":
			for _, name := range c.schema["required"].([]any) {
				d.reqPath[pointer(append(slices.Clone(c.path), name.(string)))] = true
			}
		}
	}
	for i := start; i < len(d.cases); i++ {
		d.cases[i].schema = withFacts(d.cases[i].schema, d.minLen, d.maxLen, d.reqPath, d.cases[i].path)
	}

	// The valid body itself must pass.
	v := d.decodeInto(op, d.body)
	require.NotNil(d.t, v)
	assert.Empty(d.t, d.spec.rules.Body(op, v), "%s: valid body", op)
}

// withFacts annotates a case's schema with facts gathered at its path.
func withFacts(s map[string]any, minLen, maxLen map[string]int, req map[string]bool, path []string) map[string]any {
	out := map[string]any{}
	for k, v := range s {
		out[k] = v
	}
	key := pointer(path)
	out["@minLength"] = minLen[key]
	if v, ok := maxLen[key]; ok {
		out["@maxLength"] = v
	}
	out["@required"] = req[key]
	return out
}

func (d *driftRunner) deref(m map[string]any) map[string]any {
	for i := 0; i < 16; i++ {
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		m = d.resolve(ref)
	}
	d.t.Fatalf("reference chain too long")
	return nil
}

func (d *driftRunner) resolve(ref string) map[string]any {
	require.True(d.t, strings.HasPrefix(ref, "#/"), "external reference %s", ref)
	var cur any = d.root
	for _, tok := range strings.Split(ref[2:], "/") {
		m, ok := cur.(map[string]any)
		require.True(d.t, ok, "cannot resolve %s", ref)
		cur = m[strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")]
	}
	out, ok := cur.(map[string]any)
	require.True(d.t, ok, "cannot resolve %s", ref)
	return out
}

// walk records every keyword of schema s, which describes the body value at
// path.
func (d *driftRunner) walk(s map[string]any, path []string, where string, depth int) {
	require.Less(d.t, depth, 32, "schema too deep at %s", where)
	for _, k := range sortedKeys(s) {
		v := s[k]
		switch {
		case k == "$ref":
			d.walk(d.resolve(v.(string)), path, v.(string), depth+1)
		case k == "allOf":
			for i, m := range v.([]any) {
				d.walk(m.(map[string]any), path, fmt.Sprintf("%s/allOf/%d", where, i), depth+1)
			}
		case k == "properties":
			props := v.(map[string]any)
			for _, name := range sortedKeys(props) {
				p := append(slices.Clone(path), name)
				if _, parent := getAt(d.body, path); parent {
					if _, ok := getAt(d.body, p); !ok {
						d.missing = append(d.missing, d.op+" "+pointer(p))
					}
				}
				d.walk(props[name].(map[string]any), p, where+"/properties/"+name, depth+1)
			}
		case k == "items":
			p := append(slices.Clone(path), "0")
			if arr, ok := getAt(d.body, path); ok {
				if a, isArr := arr.([]any); isArr && len(a) == 0 {
					d.missing = append(d.missing, d.op+" "+pointer(p))
				}
			}
			d.walk(v.(map[string]any), p, where+"/items", depth+1)
		case schemaInformational[k]:
		case schemaConstraints[k]:
			d.cases = append(d.cases, driftCase{op: d.op, keyword: k, path: path, schema: s, where: where})
		default:
			d.unknown = append(d.unknown, where+": "+k)
		}
	}
}

// params records the constraints of an operation's parameters.
func (d *driftRunner) params(op string, list []any) {
	for _, raw := range list {
		p := d.deref(raw.(map[string]any))
		info := &paramInfo{}
		var schema map[string]any
		for _, k := range sortedKeys(p) {
			switch k {
			case "name":
				info.name = p[k].(string)
			case "in":
				info.in = p[k].(string)
			case "required":
				info.required = p[k].(bool)
			case "schema":
				schema = p[k].(map[string]any)
			case "description", "example", "deprecated", "x-go-type-skip-optional-pointer":
			case "style", "explode":
				// Exploded form style is how array query parameters are sent
				// (one key per element); the engine checks each element.
				if v := p[k]; v != "form" && v != true {
					d.unknown = append(d.unknown, op+" parameter: "+k)
				}
			default:
				d.unknown = append(d.unknown, op+" parameter: "+k)
			}
		}
		if schema == nil {
			continue
		}
		where := op + " parameter " + info.in + "/" + info.name
		if info.required {
			d.cases = append(d.cases, driftCase{op: op, keyword: "required", schema: map[string]any{}, where: where, param: info})
		}
		d.paramSchema(op, info, schema, where, 0)
	}
}

func (d *driftRunner) paramSchema(op string, info *paramInfo, s map[string]any, where string, depth int) {
	require.Less(d.t, depth, 16)
	for _, k := range sortedKeys(s) {
		switch {
		case k == "$ref":
			d.paramSchema(op, info, d.resolve(s[k].(string)), s[k].(string), depth+1)
		case k == "items" && s["type"] == "array":
			// An exploded array parameter: each element is one value.
			d.paramSchema(op, info, s[k].(map[string]any), where+": items", depth+1)
		case k == "type" && s[k] == "array":
		case schemaInformational[k]:
		case schemaConstraints[k] && k != "required" && k != "nullable" && !strings.HasPrefix(k, "x-banklink-requires"):
			d.cases = append(d.cases, driftCase{op: op, keyword: k, schema: s, where: where, param: info})
		default:
			d.unknown = append(d.unknown, where+": "+k)
		}
	}
}

// mutations builds the requests that break case c.
func (d *driftRunner) mutations(c driftCase) []mutation {
	if c.param != nil {
		return d.paramMutations(c)
	}
	body := decodeGeneric(d.t, d.spec.bodies[c.op])
	at := pointer(c.path)
	set := func(v any) any {
		doc := cloneGeneric(d.t, body)
		doc, ok := setAt(doc, c.path, v)
		require.True(d.t, ok, "%s: cannot set %s", c.where, at)
		return doc
	}
	s := c.schema
	switch c.keyword {
	case "type":
		var bad any
		switch s["type"] {
		case "string":
			bad = json.Number("12345")
		case "number", "integer":
			bad = "not-a-number"
		case "boolean", "object", "array":
			bad = "not-a-" + s["type"].(string)
		default:
			d.t.Errorf("%s: unknown type %v", c.where, s["type"])
			return nil
		}
		return []mutation{{desc: "wrong type", doc: set(bad), wantPath: at, wantRules: []string{"type"}, typeMayReject: true}}

	case "required":
		var out []mutation
		for _, name := range s["required"].([]any) {
			p := append(slices.Clone(c.path), name.(string))
			doc := cloneGeneric(d.t, body)
			require.True(d.t, deleteAt(doc, p), "%s: valid body lacks required %s", c.where, pointer(p))
			out = append(out, mutation{desc: "delete " + pointer(p), doc: doc, wantPath: pointer(p), wantRules: []string{"required"}})
		}
		return out

	case "enum":
		const bad = "NOT_IN_THE_ENUM_ZQX"
		return []mutation{{desc: "value outside the enum", doc: set(bad), wantPath: at, wantRules: []string{"enum"}, secret: bad}}

	case "minLength":
		m := toIntAny(s["minLength"])
		if m == 0 {
			return nil
		}
		rules := []string{"minLength"}
		if m == 1 && s["@required"] == true {
			// A required non-pointer Go string cannot tell "" from absent.
			rules = append(rules, "required")
		}
		if m == 1 && d.isProperty(body, c.path) && s["@required"] != true && s["nullable"] != true && s["x-go-type-skip-optional-pointer"] != false {
			// An optional string is a plain Go value tagged omitzero: ""
			// is absent and never sent, so the schema holds.
			return []mutation{{desc: "empty optional string is absent", doc: set(""), wantPath: at, wantNone: "*"}}
		}
		return []mutation{{desc: "too short", doc: set(strings.Repeat("a", m-1)), wantPath: at, wantRules: rules}}

	case "maxLength":
		m := toIntAny(s["maxLength"])
		return []mutation{{desc: "too long", doc: set(strings.Repeat("a", m+1)), wantPath: at, wantRules: []string{"maxLength"}}}

	case "pattern":
		bad := nonMatching(d.t, s["pattern"].(string), toIntAny(s["@minLength"]), s["@maxLength"])
		return []mutation{{desc: "pattern mismatch", doc: set(bad), wantPath: at, wantRules: []string{"pattern"}}}

	case "format":
		f := s["format"].(string)
		if numericFormats[f] {
			return nil
		}
		bad, mayReject := badFormat(f)
		if bad == "" {
			d.t.Errorf("%s: the drift test does not know how to break format %s", c.where, f)
			return nil
		}
		return []mutation{{desc: "bad " + f, doc: set(bad), wantPath: at, wantRules: []string{"format"}, typeMayReject: mayReject, secret: bad}}

	case "minimum", "maximum":
		bound := toFloatAny(s[c.keyword])
		excl := s["exclusiveM"+c.keyword[1:]] == true
		v := bound
		switch {
		case excl:
		case c.keyword == "minimum":
			v = bound - 1
		default:
			v = bound + 1
		}
		rules := []string{c.keyword}
		if v < 0 && s["x-banklink-decimal-places"] != nil {
			rules = append(rules, "decimalPlaces") // a sign is not a plain decimal
		}
		return []mutation{{desc: "out of bounds", doc: set(json.Number(strconv.FormatFloat(v, 'f', -1, 64))), wantPath: at, wantRules: rules}}

	case "exclusiveMinimum", "exclusiveMaximum":
		base := "minimum"
		if c.keyword == "exclusiveMaximum" {
			base = "maximum"
		}
		switch v := s[c.keyword].(type) {
		case bool:
			// A 3.0 modifier: the bound itself is broken by the minimum or
			// maximum case, which reads this flag.
			if _, ok := s[base]; !ok {
				d.t.Errorf("%s: %s without %s", c.where, c.keyword, base)
			}
			return nil
		case float64:
			return []mutation{{desc: "at the exclusive bound", doc: set(json.Number(strconv.FormatFloat(v, 'f', -1, 64))), wantPath: at, wantRules: []string{base}}}
		}
		d.t.Errorf("%s: %s has an unexpected value", c.where, c.keyword)
		return nil

	case "minItems", "maxItems":
		n := toIntAny(s[c.keyword])
		cur, ok := getAt(body, c.path)
		require.True(d.t, ok, "%s: valid body lacks %s", c.where, at)
		arr := cur.([]any)
		require.NotEmpty(d.t, arr, "%s: valid body has an empty %s", c.where, at)
		var next []any
		if c.keyword == "minItems" {
			if n == 0 {
				return nil
			}
			next = slices.Clone(arr[:min(len(arr), n-1)])
		} else {
			for len(next) <= n {
				next = append(next, arr[0])
			}
		}
		return []mutation{{desc: c.keyword, doc: set(next), wantPath: at, wantRules: []string{c.keyword}}}

	case "x-banklink-decimal-places":
		n := toIntAny(s[c.keyword])
		return []mutation{
			{desc: "too many decimals", doc: set(json.Number("1." + strings.Repeat("1", n+1))), wantPath: at, wantRules: []string{"decimalPlaces"}},
			{desc: "exponent", doc: set(json.Number("1e2")), wantPath: at, wantRules: []string{"decimalPlaces"}},
		}

	case "x-banklink-no-query":
		if s[c.keyword] != true {
			return nil
		}
		cur, ok := getAt(body, c.path)
		require.True(d.t, ok, "%s: valid body lacks %s", c.where, at)
		url := cur.(string)
		return []mutation{
			{desc: "query", doc: set(url + "?token=SECRET-VALUE-123"), wantPath: at, wantRules: []string{"noQuery"}, secret: "SECRET-VALUE-123"},
			{desc: "fragment", doc: set(url + "#SECRET-VALUE-123"), wantPath: at, wantRules: []string{"noQuery"}, secret: "SECRET-VALUE-123"},
		}

	case "x-banklink-requires":
		return d.requiresMutations(c, body)

	case "nullable":
		if s["nullable"] != true {
			return nil
		}
		return []mutation{{desc: "null", doc: set(nil), wantPath: at, wantNone: "*"}}
	}
	d.t.Errorf("%s: no mutation for %s", c.where, c.keyword)
	return nil
}

func (d *driftRunner) requiresMutations(c driftCase, body any) []mutation {
	list := c.schema["x-banklink-requires"].([]any)
	var out []mutation
	for _, raw := range list {
		r := raw.(map[string]any)
		ifP := append(slices.Clone(c.path), r["if"].(string))
		thenP := append(slices.Clone(c.path), r["then"].(string))
		_, ok := getAt(body, ifP)
		require.True(d.t, ok, "%s: valid body must set %s", c.where, pointer(ifP))

		doc := cloneGeneric(d.t, body)
		require.True(d.t, deleteAt(doc, thenP), "%s: valid body must set %s", c.where, pointer(thenP))
		out = append(out, mutation{desc: "then absent", doc: doc, wantPath: pointer(thenP), wantRules: []string{"requires"}})

		if eq, ok := r["equals"]; ok {
			doc := cloneGeneric(d.t, body)
			doc, _ = setAt(doc, thenP, eq.(string)+"_OTHER")
			out = append(out, mutation{desc: "then differs", doc: doc, wantPath: pointer(thenP), wantRules: []string{"requires"}})
		}

		// The rule is conditional: without any of its if-properties the
		// then-property may be absent.
		doc = cloneGeneric(d.t, body)
		deleteAt(doc, thenP)
		for _, other := range list {
			o := other.(map[string]any)
			if o["then"] == r["then"] {
				deleteAt(doc, append(slices.Clone(c.path), o["if"].(string)))
			}
		}
		out = append(out, mutation{desc: "if absent", doc: doc, wantPath: pointer(thenP), wantNone: "requires"})
	}
	return out
}

func (d *driftRunner) paramMutations(c driftCase) []mutation {
	at := c.param.in + "/" + c.param.name
	s := c.schema
	switch c.keyword {
	case "required":
		return []mutation{{desc: "missing", value: "", wantPath: at, wantRules: []string{"required"}}}
	case "type":
		switch s["type"] {
		case "string":
			return nil // every parameter value is text
		case "integer", "number", "boolean":
			return []mutation{{desc: "wrong type", value: "not-a-" + s["type"].(string), wantPath: at, wantRules: []string{"type"}}}
		}
	case "enum":
		return []mutation{{desc: "enum", value: "NOT_IN_THE_ENUM_ZQX", wantPath: at, wantRules: []string{"enum"}, secret: "NOT_IN_THE_ENUM_ZQX"}}
	case "minLength":
		m := toIntAny(s["minLength"])
		if m <= 1 {
			// An empty parameter value is an absent parameter.
			if c.param.required {
				return []mutation{{desc: "empty", value: "", wantPath: at, wantRules: []string{"required"}}}
			}
			return nil
		}
		return []mutation{{desc: "short", value: strings.Repeat("A", m-1), wantPath: at, wantRules: []string{"minLength"}}}
	case "maxLength":
		return []mutation{{desc: "long", value: strings.Repeat("A", toIntAny(s["maxLength"])+1), wantPath: at, wantRules: []string{"maxLength"}}}
	case "pattern":
		bad := nonMatching(d.t, s["pattern"].(string), toIntAny(s["minLength"]), s["maxLength"])
		return []mutation{{desc: "pattern", value: bad, wantPath: at, wantRules: []string{"pattern"}}}
	case "format":
		if numericFormats[s["format"].(string)] {
			return nil
		}
		bad, _ := badFormat(s["format"].(string))
		require.NotEmpty(d.t, bad, "%s: unknown format", c.where)
		return []mutation{{desc: "format", value: bad, wantPath: at, wantRules: []string{"format"}, secret: bad}}
	case "minimum", "maximum":
		v := toFloatAny(s[c.keyword])
		if s["exclusiveM"+c.keyword[1:]] != true {
			if c.keyword == "minimum" {
				v--
			} else {
				v++
			}
		}
		return []mutation{{desc: "bounds", value: strconv.FormatFloat(v, 'f', -1, 64), wantPath: at, wantRules: []string{c.keyword}}}
	case "exclusiveMinimum", "exclusiveMaximum":
		return nil // read by the minimum and maximum cases
	}
	d.t.Errorf("%s: no parameter mutation for %s", c.where, c.keyword)
	return nil
}

// check runs one mutation.
func (d *driftRunner) check(c driftCase, m mutation) {
	t := d.t
	label := fmt.Sprintf("%s: %s %s (%s)", c.where, c.keyword, m.desc, m.wantPath)
	var got []Violation
	if c.param != nil {
		got = d.spec.rules.Param(c.op, c.param.name, m.value)
	} else {
		v := d.decodeInto(c.op, m.doc)
		if v == nil {
			assert.True(t, m.typeMayReject, "%s: the Go type rejects the mutated body, so the test cannot reach the engine", label)
			return
		}
		got = d.spec.rules.Body(c.op, v)
	}
	if m.wantNone != "" {
		for _, g := range got {
			if g.Path == m.wantPath && (m.wantNone == "*" || g.Rule == m.wantNone) {
				t.Errorf("%s: unexpected violation %+v", label, g)
			}
		}
		return
	}
	hit := false
	for _, g := range got {
		if g.Path == m.wantPath && slices.Contains(m.wantRules, g.Rule) {
			hit = true
		}
		if m.secret != "" {
			assert.NotContains(t, g.Message, m.secret, label)
			assert.NotContains(t, g.Path, m.secret, label)
		}
	}
	assert.True(t, hit, "%s: want %v at %s, got %v", label, m.wantRules, m.wantPath, got)
}

// decodeInto marshals a generic body and unmarshals it into the operation's
// Go type; nil when the type refuses it.
func (d *driftRunner) decodeInto(op string, doc any) any {
	data, err := json.Marshal(doc)
	require.NoError(d.t, err)
	v := d.spec.types[op]()
	if err := json.Unmarshal(data, v); err != nil {
		return nil
	}
	return v
}

// nonMatching finds a string of an allowed length that the pattern rejects.
func nonMatching(t *testing.T, pat string, minLen int, maxLen any) string {
	re := regexp.MustCompile(pat)
	n := max(minLen, 1)
	for _, unit := range []string{"-", "!", " ", "~", "é", "a", "A", "0", "a-", "-a"} {
		s := strings.Repeat(unit, n)
		for len([]rune(s)) > n {
			_, size := lastRune(s)
			s = s[:len(s)-size]
		}
		if maxLen != nil && len([]rune(s)) > toIntAny(maxLen) {
			continue
		}
		if !re.MatchString(s) {
			return s
		}
	}
	t.Fatalf("no string of length %d breaks pattern %s", n, pat)
	return ""
}

func lastRune(s string) (rune, int) {
	r := []rune(s)
	last := r[len(r)-1]
	return last, len(string(last))
}

// badFormat returns a value that breaks format f, and whether the generated
// Go type (time.Time for date-time) may refuse it before validation.
func badFormat(f string) (string, bool) {
	switch f {
	case "date-time":
		return "2024-13-45 25:61", true
	case "email":
		return "jane.doe.pii.example.com", false
	case "uri":
		return "relative/jane.doe.pii", false
	case "date":
		return "2024-02-30", true
	}
	return "", false
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func pointer(path []string) string {
	var b strings.Builder
	for _, p := range path {
		b.WriteByte('/')
		b.WriteString(strings.ReplaceAll(strings.ReplaceAll(p, "~", "~0"), "/", "~1"))
	}
	return b.String()
}

func toIntAny(v any) int {
	f := toFloatAny(v)
	if f != math.Trunc(f) {
		panic(fmt.Sprintf("not an integer: %v", v))
	}
	return int(f)
}

func toFloatAny(v any) float64 {
	switch v := v.(type) {
	case float64:
		return v
	case int:
		return float64(v)
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			panic(err)
		}
		return f
	}
	panic(fmt.Sprintf("not a number: %#v", v))
}

// Generic JSON documents (numbers kept as json.Number).

func decodeGeneric(t *testing.T, s string) any {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	require.NoError(t, dec.Decode(&v))
	return v
}

func cloneGeneric(t *testing.T, v any) any {
	data, err := json.Marshal(v)
	require.NoError(t, err)
	return decodeGeneric(t, string(data))
}

func getAt(doc any, path []string) (any, bool) {
	cur := doc
	for _, tok := range path {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[tok]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// setAt sets the value at path (its parent must exist) and returns the root.
// isProperty reports whether path names an object property (not an
// array element) of the body.
func (d *driftRunner) isProperty(body any, path []string) bool {
	if len(path) == 0 {
		return false
	}
	parent, ok := getAt(body, path[:len(path)-1])
	if !ok {
		return false
	}
	_, isObject := parent.(map[string]any)
	return isObject
}

func setAt(doc any, path []string, v any) (any, bool) {
	if len(path) == 0 {
		return v, true
	}
	parent, ok := getAt(doc, path[:len(path)-1])
	if !ok {
		return doc, false
	}
	last := path[len(path)-1]
	switch p := parent.(type) {
	case map[string]any:
		p[last] = v
		return doc, true
	case []any:
		i, err := strconv.Atoi(last)
		if err != nil || i < 0 || i >= len(p) {
			return doc, false
		}
		p[i] = v
		return doc, true
	}
	return doc, false
}

func deleteAt(doc any, path []string) bool {
	if len(path) == 0 {
		return false
	}
	parent, ok := getAt(doc, path[:len(path)-1])
	if !ok {
		return false
	}
	m, ok := parent.(map[string]any)
	if !ok {
		return false
	}
	if _, ok := m[path[len(path)-1]]; !ok {
		return false
	}
	delete(m, path[len(path)-1])
	return true
}
