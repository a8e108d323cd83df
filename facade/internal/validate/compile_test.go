package validate

import (
	"fmt"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// specWith returns a one-operation spec whose request body is the Thing
// schema given (as JSON), plus extra component schemas.
func specWith(t *testing.T, thing string, extra string) *openapi3.T {
	t.Helper()
	src := fmt.Sprintf(`{
  "openapi": "3.0.3",
  "info": {"title": "t", "version": "1"},
  "paths": {"/things": {"post": {
    "operationId": "createThing",
    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
    "responses": {"200": {"description": "ok"}}
  }}},
  "components": {"schemas": {"Thing": %s%s}}
}`, thing, extra)
	doc, err := openapi3.NewLoader().LoadFromData([]byte(src))
	require.NoError(t, err)
	return doc
}

func TestCompileRejects(t *testing.T) {
	tests := []struct {
		name, thing, extra string
		wantErr            []string
	}{
		{"unknown banklink extension", `{"type": "object", "properties": {"a": {"type": "string", "x-banklink-max-bytes": 3}}}`, "",
			[]string{"#/components/schemas/Thing/properties/a", "x-banklink-max-bytes"}},
		{"unknown extension on a schema no request uses", `{"type": "object"}`, `, "Other": {"type": "string", "x-banklink-lowercase": true}`,
			[]string{"#/components/schemas/Other", "x-banklink-lowercase"}},
		{"misspelt keyword", `{"type": "object", "properties": {"a": {"type": "string", "minLenght": 3}}}`, "",
			[]string{"#/components/schemas/Thing/properties/a", "minLenght"}},
		{"unsupported keyword", `{"type": "object", "properties": {"a": {"type": "array", "uniqueItems": true, "items": {"type": "string"}}}}`, "",
			[]string{"Thing/properties/a", "uniqueItems"}},
		{"oneOf", `{"oneOf": [{"type": "string"}, {"type": "integer"}]}`, "", []string{"#/components/schemas/Thing", "oneOf"}},
		{"unsupported format", `{"type": "object", "properties": {"a": {"type": "string", "format": "uuid"}}}`, "", []string{"Thing/properties/a", "uuid"}},
		{"decimal places on a string", `{"type": "string", "x-banklink-decimal-places": 2}`, "", []string{"#/components/schemas/Thing", "x-banklink-decimal-places"}},
		{"negative decimal places", `{"type": "number", "x-banklink-decimal-places": -1}`, "", []string{"x-banklink-decimal-places"}},
		{"no-query not boolean", `{"type": "string", "x-banklink-no-query": "yes"}`, "", []string{"x-banklink-no-query"}},
		{"requires unknown property", `{"type": "object", "properties": {"a": {"type": "string"}}, "x-banklink-requires": [{"if": "a", "then": "b"}]}`, "",
			[]string{"#/components/schemas/Thing", "x-banklink-requires"}},
		{"requires unknown key", `{"type": "object", "properties": {"a": {"type": "string"}}, "x-banklink-requires": [{"if": "a", "then": "a", "unless": "a"}]}`, "",
			[]string{"unless"}},
		{"requires without then", `{"type": "object", "properties": {"a": {"type": "string"}}, "x-banklink-requires": [{"if": "a"}]}`, "",
			[]string{"needs if and then"}},
		{"bad pattern", `{"type": "string", "pattern": "(?<=a)b"}`, "", []string{"#/components/schemas/Thing", "pattern"}},
		{"conflicting allOf types", `{"allOf": [{"type": "string"}, {"type": "object"}]}`, "", []string{"#/components/schemas/Thing", "allOf"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile(specWith(t, tc.thing, tc.extra))
			require.Error(t, err)
			for _, s := range tc.wantErr {
				assert.Contains(t, err.Error(), s)
			}
		})
	}
}

func TestCompileAcceptsInformationalExtensions(t *testing.T) {
	doc := specWith(t, `{"type": "object", "x-banklink-unconfirmed": "x", "x-go-type-name": "T", "properties": {
		"a": {"type": "string", "x-banklink-pii": true, "x-banklink-documented-format": "date-time"}}}`, "")
	r, err := Compile(doc)
	require.NoError(t, err)
	assert.Empty(t, r.Body("createThing", map[string]any{"a": "x"}))
}

func TestAllOfMerge(t *testing.T) {
	doc := specWith(t, `{
	  "allOf": [
	    {"$ref": "#/components/schemas/Base"},
	    {"type": "object", "required": ["b"], "properties": {"a": {"maxLength": 5}, "b": {"type": "integer", "maximum": 10}}}
	  ],
	  "x-banklink-requires": [{"if": "a", "then": "c"}]
	}`, `, "Base": {"type": "object", "required": ["a"], "properties": {"a": {"type": "string", "minLength": 2, "pattern": "^[a-z]+$"}, "c": {"type": "boolean"}}}`)
	r, err := Compile(doc)
	require.NoError(t, err)

	tests := []struct {
		name string
		body map[string]any
		want []rp
	}{
		{"valid", map[string]any{"a": "abc", "b": 3, "c": true}, nil},
		{"members' rules combine", map[string]any{"a": "abcdefg", "b": 11.0, "c": false}, []rp{{"/a", "maxLength"}, {"/b", "maximum"}}},
		{"first member's rules", map[string]any{"a": "A", "b": 1, "c": true}, []rp{{"/a", "minLength"}, {"/a", "pattern"}}},
		{"required from both", map[string]any{}, []rp{{"/a", "required"}, {"/b", "required"}}},
		{"requires across members", map[string]any{"a": "ab", "b": 1}, []rp{{"/c", "requires"}}},
		{"integer type", map[string]any{"a": "ab", "b": 1.5, "c": true}, []rp{{"/b", "type"}}},
		{"string type", map[string]any{"a": 7, "b": 1, "c": true}, []rp{{"/a", "type"}}},
		{"null", map[string]any{"a": nil, "b": 1, "c": true}, []rp{{"/a", "required"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := r.Body("createThing", tc.body)
			if tc.want == nil {
				assert.Empty(t, got)
				return
			}
			assert.Equal(t, tc.want, pairs(got))
		})
	}
}

// Go structs that are not generated code: embedded structs, omitzero,
// fields without tags, and maps for additionalProperties.
func TestStructShapes(t *testing.T) {
	doc := specWith(t, `{"type": "object", "required": ["Name", "when"], "properties": {
		"Name": {"type": "string", "minLength": 2},
		"inner": {"type": "string", "enum": ["x"]},
		"when": {"type": "string", "format": "date-time"},
		"labels": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 3}},
		"list": {"type": "array", "items": {"type": "string", "minLength": 1}, "maxItems": 2},
		"n": {"type": "number", "x-banklink-decimal-places": 1, "minimum": 0}
	}}`, "")
	r, err := Compile(doc)
	require.NoError(t, err)

	type Inner struct {
		Inner *string `json:"inner,omitempty"`
	}
	type thing struct {
		*Inner
		Name   string
		When   string            `json:"when,omitzero"`
		Labels map[string]string `json:"labels,omitempty"`
		List   []*string         `json:"list"`
		N      float64           `json:"n,omitempty"`
		hidden string            // unexported: not marshalled, not checked
	}
	x := "y"
	long := "long!"
	got := r.Body("createThing", thing{
		Inner:  &Inner{Inner: &x},
		Name:   "a",
		Labels: map[string]string{"ok": "abc", "a/b": long},
		List:   []*string{nil, &x, &x},
		N:      1.25,
		hidden: "",
	})
	assert.Equal(t, []rp{
		{"/Name", "minLength"},
		{"/inner", "enum"},
		{"/labels/a~1b", "maxLength"},
		{"/list", "maxItems"},
		{"/list/0", "nullable"},
		{"/n", "decimalPlaces"},
		{"/when", "required"},
	}, pairs(got))

	// A nil embedded pointer hides its fields; a nil slice without
	// omitempty is a null.
	got = r.Body("createThing", &thing{Name: "ab", When: "2024-01-01T00:00:00Z"})
	assert.Equal(t, []rp{{"/list", "nullable"}}, pairs(got))
}

func TestViolationOrder(t *testing.T) {
	assert.Negative(t, comparePaths("/a/2", "/a/10"))
	assert.Positive(t, comparePaths("/a/10/x", "/a/9/y"))
	assert.Negative(t, comparePaths("/a", "/a/0"))
	assert.Negative(t, comparePaths("", "/a"))
	assert.Zero(t, comparePaths("/a/b", "/a/b"))
}

func TestFormats(t *testing.T) {
	for _, s := range []string{"https://a.example", "http://a.example:8080/p?q#f", "https://user@[::1]:443/x", "custom+app://host/cb", "https://xn--bcher-kva.example/%C3%A9"} {
		assert.True(t, validAbsoluteURL(s), s)
	}
	for _, s := range []string{"", "a.example/x", "//a.example", "https:/a.example", "https://", "https://:80/", "1http://a.example", "https://a b.example", "https://a.example/%zz", "https://a.example:8o/", "https://[::1/"} {
		assert.False(t, validAbsoluteURL(s), s)
	}
	for _, s := range []string{"jane@example.com", "jane.doe+tag@sub.example.co", "j@b.io"} {
		assert.True(t, validEmail(s), s)
	}
	for _, s := range []string{"", "jane", "@example.com", "jane@", "jane@example", "ja ne@example.com", "jane@exa_mple.com", ".jane@example.com", "jane..doe@example.com", "jane@-example.com", "jane@example..com"} {
		assert.False(t, validEmail(s), s)
	}
	for _, s := range []string{"0", "12", "12.3", "0.01"} {
		_, ok := plainDecimal(s)
		assert.True(t, ok, s)
	}
	for _, s := range []string{"", "-1", "+1", "01", "1.", ".5", "1e2", "1E2", "0x1", "1.2.3", " 1", "NaN"} {
		_, ok := plainDecimal(s)
		assert.False(t, ok, s)
	}
	for _, s := range []string{"0", "-1", "1.5e-3", "1E+2", "12"} {
		assert.True(t, validJSONNumber(s), s)
	}
	for _, s := range []string{"", "-", "01", "1.", "1e", "+1", "abc", "1.5e+"} {
		assert.False(t, validJSONNumber(s), s)
	}
}
