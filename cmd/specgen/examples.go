package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// visitMode says whether an example is a request or a response value, which
// decides how readOnly and writeOnly properties are treated.
type visitMode int

const (
	visitAny visitMode = iota
	visitRequest
	visitResponse
)

// exampleChecker validates every example in a loaded document against its
// schema and reports failures at the example's own location.
type exampleChecker struct {
	s        *spec
	is31     bool
	findings []Finding
	seen     map[*openapi3.Schema]bool
}

// checkExamples validates schema examples, media type example/examples and
// parameter and header examples of doc.
func checkExamples(s *spec, doc *openapi3.T) []Finding {
	c := &exampleChecker{s: s, is31: doc.IsOpenAPI31OrLater(), seen: map[*openapi3.Schema]bool{}}
	if comps := doc.Components; comps != nil {
		for _, name := range sortedKeys(comps.Schemas) {
			c.schema(comps.Schemas[name], join("/components/schemas", name), visitAny)
		}
		for _, name := range sortedKeys(comps.Parameters) {
			if p := comps.Parameters[name]; p != nil && p.Ref == "" && p.Value != nil {
				c.parameter(p.Value, join("/components/parameters", name))
			}
		}
		for _, name := range sortedKeys(comps.Headers) {
			if h := comps.Headers[name]; h != nil && h.Ref == "" && h.Value != nil {
				c.parameter(&h.Value.Parameter, join("/components/headers", name))
			}
		}
		for _, name := range sortedKeys(comps.RequestBodies) {
			if b := comps.RequestBodies[name]; b != nil && b.Ref == "" && b.Value != nil {
				c.content(b.Value.Content, join("/components/requestBodies", name), visitRequest)
			}
		}
		for _, name := range sortedKeys(comps.Responses) {
			c.response(comps.Responses[name], join("/components/responses", name))
		}
	}
	if doc.Paths == nil {
		return c.findings
	}
	for _, path := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(path)
		pptr := join("/paths", path)
		c.parameters(item.Parameters, pptr)
		for method, op := range item.Operations() {
			optr := join(pptr, strings.ToLower(method))
			c.parameters(op.Parameters, optr)
			if b := op.RequestBody; b != nil && b.Ref == "" && b.Value != nil {
				c.content(b.Value.Content, join(optr, "requestBody"), visitRequest)
			}
			if op.Responses != nil {
				for code, r := range op.Responses.Map() {
					c.response(r, join(optr, "responses", code))
				}
			}
		}
	}
	return c.findings
}

func (c *exampleChecker) parameters(ps openapi3.Parameters, ptr string) {
	for i, p := range ps {
		if p != nil && p.Ref == "" && p.Value != nil {
			c.parameter(p.Value, join(ptr, "parameters", itoa(i)))
		}
	}
}

func (c *exampleChecker) response(r *openapi3.ResponseRef, ptr string) {
	if r == nil || r.Ref != "" || r.Value == nil {
		return
	}
	c.content(r.Value.Content, ptr, visitResponse)
	for _, name := range sortedKeys(r.Value.Headers) {
		if h := r.Value.Headers[name]; h != nil && h.Ref == "" && h.Value != nil {
			c.parameter(&h.Value.Parameter, join(ptr, "headers", name))
		}
	}
}

// parameter checks a parameter or header: its schema, its example(s) and
// its content.
func (c *exampleChecker) parameter(p *openapi3.Parameter, ptr string) {
	c.schema(p.Schema, join(ptr, "schema"), visitRequest)
	if p.Schema != nil && p.Schema.Value != nil {
		c.values(p.Schema.Value, p.Example, p.Examples, ptr, visitRequest)
	}
	c.content(p.Content, ptr, visitRequest)
}

// content checks each media type of a content map.
func (c *exampleChecker) content(content openapi3.Content, ptr string, mode visitMode) {
	for _, mt := range sortedKeys(content) {
		m := content[mt]
		if m == nil {
			continue
		}
		mptr := join(ptr, "content", mt)
		c.schema(m.Schema, join(mptr, "schema"), mode)
		if m.Schema != nil && m.Schema.Value != nil {
			c.values(m.Schema.Value, m.Example, m.Examples, mptr, mode)
		}
	}
}

// values checks the example and the examples map of an element at ptr.
func (c *exampleChecker) values(schema *openapi3.Schema, example any, examples openapi3.Examples, ptr string, mode visitMode) {
	if example != nil {
		c.check(schema, example, join(ptr, "example"), mode)
	}
	for _, name := range sortedKeys(examples) {
		ex := examples[name]
		if ex == nil || ex.Value == nil || ex.Value.Value == nil {
			continue
		}
		eptr := join(ptr, "examples", name)
		if ex.Ref == "" {
			eptr = join(eptr, "value")
		}
		c.check(schema, ex.Value.Value, eptr, mode)
	}
}

// schema checks the examples of a schema defined at ptr and of everything
// nested in it. References are skipped: their targets are checked where
// they are defined.
func (c *exampleChecker) schema(ref *openapi3.SchemaRef, ptr string, mode visitMode) {
	if ref == nil || ref.Ref != "" || ref.Value == nil || c.seen[ref.Value] {
		return
	}
	s := ref.Value
	c.seen[s] = true
	if s.Example != nil {
		c.check(s, s.Example, join(ptr, "example"), mode)
	}
	for i, ex := range s.Examples {
		c.check(s, ex, join(ptr, "examples", itoa(i)), mode)
	}
	for _, name := range sortedKeys(s.Properties) {
		c.schema(s.Properties[name], join(ptr, "properties", name), mode)
	}
	c.schema(s.Items, join(ptr, "items"), mode)
	c.schema(s.Not, join(ptr, "not"), mode)
	c.schema(s.AdditionalProperties.Schema, join(ptr, "additionalProperties"), mode)
	for kw, list := range map[string]openapi3.SchemaRefs{"allOf": s.AllOf, "oneOf": s.OneOf, "anyOf": s.AnyOf, "prefixItems": s.PrefixItems} {
		for i, sub := range list {
			c.schema(sub, join(ptr, kw, itoa(i)), mode)
		}
	}
}

// check validates one example value located at ptr against schema and
// records one finding per violation, located inside the example where the
// violation's path allows.
func (c *exampleChecker) check(schema *openapi3.Schema, value any, ptr string, mode visitMode) {
	value, err := normalize(value)
	if err != nil {
		c.findings = append(c.findings, c.s.finding(ptr, "example cannot be represented as JSON: %v", err))
		return
	}
	opts := []openapi3.SchemaValidationOption{openapi3.MultiErrors()}
	switch mode {
	case visitRequest:
		opts = append(opts, openapi3.VisitAsRequest())
	case visitResponse:
		opts = append(opts, openapi3.VisitAsResponse())
	}
	if c.is31 {
		opts = append(opts, openapi3.EnableJSONSchema2020())
	}
	for _, e := range flattenSchemaErrors(schema.VisitJSON(value, opts...)) {
		at := ptr
		msg := e.Error()
		var se *openapi3.SchemaError
		if errors.As(e, &se) {
			// A missing required property has a path that does not
			// exist in the spec; point at the nearest enclosing value.
			at = join(ptr, se.JSONPointer()...)
			for _, ok := c.s.lines[at]; !ok && at != ptr; _, ok = c.s.lines[at] {
				at = parent(at)
			}
			msg = se.Reason
			if se.SchemaField != "" {
				msg = fmt.Sprintf("%s (schema keyword %q)", msg, se.SchemaField)
			}
		}
		c.findings = append(c.findings, c.s.finding(at, "example does not match its schema: %s", msg))
	}
}

// flattenSchemaErrors splits a VisitJSON error into its individual errors.
func flattenSchemaErrors(err error) []error {
	if err == nil {
		return nil
	}
	var me openapi3.MultiError
	if errors.As(err, &me) {
		var out []error
		for _, e := range me {
			out = append(out, flattenSchemaErrors(e)...)
		}
		return out
	}
	return []error{err}
}

// normalize turns a decoded example into the shapes VisitJSON expects
// (map[string]any, []any, float64, string, bool, nil) by a JSON round trip.
func normalize(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	err = json.Unmarshal(b, &out)
	return out, err
}

// sortedKeys returns the keys of m in sorted order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
