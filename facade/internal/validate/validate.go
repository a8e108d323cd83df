// Package validate checks banklink requests against the provider OpenAPI
// document before anything is sent.
//
// Compile reads the constraints of every operation's request body and
// parameters from the spec (required, enum, minLength, maxLength, pattern,
// minItems, maxItems, minimum, maximum, exclusive bounds, format date-time,
// email and uri, nullable, and the banklink extensions
// x-banklink-decimal-places, x-banklink-no-query and x-banklink-requires).
// A schema keyword or x-banklink-* extension the package does not enforce
// makes Compile fail, so the rules cannot drift from the spec unnoticed.
//
// Body walks the generated Go request value with reflect, the way
// encoding/json would marshal it, and reports every violation with its JSON
// pointer. Messages name fields and rules, never values: request fields can
// carry secrets and customer PII.
package validate

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Violation is one broken rule. Message names the field and the rule, and
// never contains the offending value (values can be secrets or customer PII).
type Violation struct {
	// Path is a JSON pointer into the request body ("/customer_user/id",
	// "/link_tags/2"), or for a parameter its location and name
	// ("path/id", "query/x", "header/MoneyKit-Version").
	Path string
	// Rule is the short name of the broken rule: "required", "minLength",
	// "maxLength", "pattern", "enum", "format", "minimum", "maximum",
	// "minItems", "maxItems", "decimalPlaces", "noQuery", "requires",
	// "nullable", "type", or for a misuse of the API "operation", "body" and
	// "unknown".
	Rule string
	// Message says what is wrong, e.g. "customer_user.id must be 4 to 150
	// characters".
	Message string
}

// String formats the violation as "path: message".
func (v Violation) String() string {
	if v.Path == "" {
		return v.Message
	}
	return v.Path + ": " + v.Message
}

// Error reports that a request was refused before it was sent, with every
// violation found.
type Error struct {
	Operation  string
	Violations []Violation
}

// Error lists every violation.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "banklink: invalid %s request: ", e.Operation)
	for i, v := range e.Violations {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(v.String())
	}
	return b.String()
}

// Rules holds the compiled constraints of one provider's spec. It is safe
// for concurrent use.
type Rules struct {
	ops map[string]*operation
}

// operation is the compiled request side of one operation.
type operation struct {
	id           string
	body         *node
	bodyRequired bool
	mediaType    string
	params       map[string]*param
}

// param is one compiled parameter.
type param struct {
	in, name string
	required bool
	node     *node
}

// paramLocationOrder says which parameter a bare name selects when several
// locations use it.
var paramLocationOrder = map[string]int{
	openapi3.ParameterInPath:   0,
	openapi3.ParameterInQuery:  1,
	openapi3.ParameterInHeader: 2,
	openapi3.ParameterInCookie: 3,
}

// Compile builds the rules for every operation's JSON request body, form
// body and path, query and header parameters. It fails, naming the schema,
// on a constraint or x-banklink-* extension it does not enforce.
func Compile(doc *openapi3.T) (*Rules, error) {
	if doc == nil {
		return nil, fmt.Errorf("validate: nil document")
	}
	seen := map[*openapi3.Schema]bool{}
	if doc.Components != nil {
		names := make([]string, 0, len(doc.Components.Schemas))
		for name := range doc.Components.Schemas {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			if err := scanExtensions(doc.Components.Schemas[name], "#/components/schemas/"+name, seen); err != nil {
				return nil, err
			}
		}
	}

	c := newCompiler()
	r := &Rules{ops: map[string]*operation{}}
	if doc.Paths == nil {
		return r, nil
	}
	paths := doc.Paths.Map()
	pathNames := make([]string, 0, len(paths))
	for p := range paths {
		pathNames = append(pathNames, p)
	}
	sort.Strings(pathNames)
	var ids []string
	for _, path := range pathNames {
		item := paths[path]
		if item == nil {
			continue
		}
		ops := item.Operations()
		methods := make([]string, 0, len(ops))
		for m := range ops {
			methods = append(methods, m)
		}
		sort.Strings(methods)
		for _, method := range methods {
			o := ops[method]
			if o == nil || o.OperationID == "" {
				continue
			}
			if _, dup := r.ops[o.OperationID]; dup {
				return nil, fmt.Errorf("validate: operationId %s is used twice", o.OperationID)
			}
			op, err := c.operation(o, item.Parameters)
			if err != nil {
				return nil, err
			}
			r.ops[o.OperationID] = op
			ids = append(ids, o.OperationID)
		}
	}
	return r, nil
}

// bodyMediaTypes lists the request media types banklink validates, most
// preferred first.
var bodyMediaTypes = []string{"application/json", "application/x-www-form-urlencoded", "multipart/form-data"}

func (c *compiler) operation(o *openapi3.Operation, shared openapi3.Parameters) (*operation, error) {
	op := &operation{id: o.OperationID, params: map[string]*param{}}
	where := "operation " + o.OperationID

	if o.RequestBody != nil {
		rb := o.RequestBody.Value
		if rb == nil {
			return nil, fmt.Errorf("validate: %s: unresolved request body", where)
		}
		media := ""
		for _, mt := range bodyMediaTypes {
			if rb.Content[mt] != nil {
				media = mt
				break
			}
		}
		if media == "" {
			for mt := range rb.Content {
				if strings.HasSuffix(mt, "+json") && (media == "" || mt < media) {
					media = mt
				}
			}
		}
		if media == "" && len(rb.Content) > 0 {
			return nil, fmt.Errorf("validate: %s: unsupported request media type", where)
		}
		if media != "" {
			mt := rb.Content[media]
			body, err := c.compile(mt.Schema, where+" request body")
			if err != nil {
				return nil, err
			}
			op.body, op.bodyRequired, op.mediaType = body, rb.Required, media
		}
	}

	// Operation parameters override path-item parameters of the same name
	// and location.
	all := map[string]*openapi3.Parameter{}
	var keys []string
	for _, list := range []openapi3.Parameters{shared, o.Parameters} {
		for _, pr := range list {
			if pr == nil || pr.Value == nil {
				return nil, fmt.Errorf("validate: %s: unresolved parameter", where)
			}
			key := pr.Value.In + "/" + pr.Value.Name
			if _, ok := all[key]; !ok {
				keys = append(keys, key)
			}
			all[key] = pr.Value
		}
	}
	sort.Strings(keys)
	for _, key := range keys {
		p := all[key]
		if _, ok := paramLocationOrder[p.In]; !ok {
			return nil, fmt.Errorf("validate: %s: parameter %s: unknown location %s", where, p.Name, p.In)
		}
		sref := p.Schema
		if sref == nil {
			for _, mt := range p.Content {
				sref = mt.Schema
				break
			}
		}
		n, err := c.compile(sref, where+" parameter "+key)
		if err != nil {
			return nil, err
		}
		// An array of scalars in the query is sent exploded, one key per
		// element; each element is checked against the item schema.
		if n.kind == kindArray && p.In == openapi3.ParameterInQuery && n.items != nil &&
			n.items.kind != kindObject && n.items.kind != kindArray && (p.Explode == nil || *p.Explode) {
			n = n.items
		}
		if n.kind == kindObject || n.kind == kindArray {
			return nil, fmt.Errorf("validate: %s: parameter %s: %s parameters are not supported", where, key, n.kind)
		}
		pp := &param{in: p.In, name: p.Name, required: p.Required || p.In == openapi3.ParameterInPath, node: n}
		op.params[key] = pp
		if prev, ok := op.params[p.Name]; !ok || paramLocationOrder[p.In] < paramLocationOrder[prev.in] {
			op.params[p.Name] = pp
		}
	}
	return op, nil
}

func (r *Rules) op(id string) *operation {
	if r == nil {
		return nil
	}
	return r.ops[id]
}

// HasOperation reports whether the spec defines the operation.
func (r *Rules) HasOperation(operationID string) bool { return r.op(operationID) != nil }

func unknownOperation(operationID string) []Violation {
	return []Violation{{Rule: "operation", Message: "unknown operation " + operationID}}
}

// Body checks a request body value (the generated Go request struct, pointer
// or value, exactly as the generated client would marshal it) for the given
// operationId. It returns nil when the body is valid; otherwise every
// violation, ordered by path.
//
// A body is read the way encoding/json marshals it: a nil pointer, nil
// slice or nil map field tagged omitempty is absent, an unset
// nullable.Nullable is absent and a null one is null. A required field whose
// Go type cannot be absent (a string, json.Number, struct or slice that is
// not a pointer) counts as absent when it holds its zero value.
func (r *Rules) Body(operationID string, body any) []Violation {
	op := r.op(operationID)
	if op == nil {
		return unknownOperation(operationID)
	}
	v := reflect.ValueOf(body)
	if isNil(v) {
		if op.body != nil && op.bodyRequired {
			return []Violation{{Rule: "required", Message: "request body is required"}}
		}
		return nil
	}
	if op.body == nil {
		return []Violation{{Rule: "body", Message: "operation " + operationID + " takes no request body"}}
	}
	w := getWalker("")
	w.walk(op.body, v)
	return w.done()
}

// Param checks one path, query or header parameter value, given as sent. An
// empty value stands for an absent parameter. For an exploded array query
// parameter, value is one element. name is the parameter's name
// or, when several locations share it, "location/name" ("query/id").
func (r *Rules) Param(operationID, name, value string) []Violation {
	op := r.op(operationID)
	if op == nil {
		return unknownOperation(operationID)
	}
	p := op.params[name]
	if p == nil {
		return []Violation{{Path: "parameter/" + name, Rule: "unknown", Message: "operation " + operationID + " has no parameter " + name}}
	}
	w := getWalker(p.in)
	w.push(p.name)
	switch {
	case value == "":
		if p.required {
			w.add("required", w.field()+" is required")
		}
	default:
		w.scalarText(p.node, value)
	}
	return w.done()
}

func isNil(v reflect.Value) bool {
	for v.IsValid() {
		switch v.Kind() {
		case reflect.Pointer, reflect.Interface:
			if v.IsNil() {
				return true
			}
			v = v.Elem()
		default:
			return false
		}
	}
	return true
}
