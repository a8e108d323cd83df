package main

import (
	"fmt"
	"go/ast"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// validatorGen compiles request schemas into the validators of
// validate.gen.go over the types oapi-codegen generated for them. It builds
// the functions as data (validatorMethod, paramFunc, stmt);
// templates/validate.go.tmpl writes the Go code.
type validatorGen struct {
	pkg     *goPackage
	vars    []validatorVar    // package-level variables: enums, patterns, number rules
	varByID map[string]string // a variable's key -> its name
	done    map[string]bool   // struct types with a generated method
	queue   []pendingType
	// zeroQueue holds struct types that need an isZero method.
	zeroQueue []string
	zeroDone  map[string]bool
	methods   []validatorMethod // in generation order
	tmp       int
}

type pendingType struct {
	name  string
	ref   *openapi3.SchemaRef
	where string
}

// validatorVar is one package-level variable of validate.gen.go; exactly
// one of Enum, Pattern and Number is set.
type validatorVar struct {
	Name    string
	Enum    []string      // []string{...} of the allowed values
	Pattern string        // regexp.MustCompile(Pattern)
	Number  *numberLimits // reqcheck.Number{...}
}

// numberLimits is a reqcheck.Number literal.
type numberLimits struct {
	Integer  bool
	Decimals int
	HasMin   bool
	Min      string
	ExclMin  bool
	HasMax   bool
	Max      string
	ExclMax  bool
}

// validatorMethod is one method of validate.gen.go, by Kind:
//   - "struct": Validate and validateAt of request body type Type (Schema
//     names its schema), Body the checks of validateAt;
//   - "params": Validate of an operation's parameter struct Type,
//     NilRequired the parameters a nil receiver lacks, Body the checks;
//   - "zero": isZero of struct type Type, true when every Zero term is.
type validatorMethod struct {
	Kind        string
	Type        string
	Schema      string
	Body        []stmt
	NilRequired []paramRef
	Zero        []string
}

// paramRef names one parameter: its location and name.
type paramRef struct{ In, Name string }

// paramFunc is the check function of one operation's parameters, taking a
// parameter's name and one value.
type paramFunc struct {
	Name  string
	Cases []paramCase
}

// paramCase is the case of one parameter name: c.Param(In, Name), then
// Body.
type paramCase struct {
	In, Name string
	Body     []stmt
}

// stmt is one statement of a generated function, by Kind:
//   - "call": c.Fn(Args...)
//   - "let": Name := Expr
//   - "validate": Expr.validateAt(c)
//   - "if": if Expr { Body } else { Else }, Body never empty
//   - "for": for Expr { Body }
//   - "jsonNumber": the number text of json.Number Expr, in local Name,
//     checked against variable Var
//   - "boolText": Expr must read true or false
type stmt struct {
	Kind, Fn, Name, Expr, Var string
	Args                      []string
	Body, Else                []stmt
}

func call(fn string, args ...string) stmt { return stmt{Kind: "call", Fn: fn, Args: args} }

// ifElse is "if cond { then } else { els }" without empty branches: the
// negation neg of cond when then is empty, nothing when both are.
func ifElse(cond, neg string, then, els []stmt) []stmt {
	switch {
	case len(then) == 0 && len(els) == 0:
		return nil
	case len(then) == 0:
		return []stmt{{Kind: "if", Expr: neg, Body: els}}
	default:
		return []stmt{{Kind: "if", Expr: cond, Body: then, Else: els}}
	}
}

// scoped runs body with enter's path element on the checker: enter, body,
// c.Pop(). An empty body needs no scope.
func scoped(enter stmt, body []stmt) []stmt {
	if len(body) == 0 {
		return nil
	}
	return append(append([]stmt{enter}, body...), call("Pop"))
}

// report enters the path element, records one violation, and leaves.
func report(enter stmt, fn string) []stmt { return []stmt{enter, call(fn), call("Pop")} }

func newValidatorGen(pkg *goPackage) *validatorGen {
	return &validatorGen{pkg: pkg, varByID: map[string]string{}, done: map[string]bool{}}
}

// want queues a struct type for a generated Validate method.
func (g *validatorGen) want(name string, ref *openapi3.SchemaRef, where string) {
	if g.done[name] {
		return
	}
	g.done[name] = true
	g.queue = append(g.queue, pendingType{name, ref, where})
}

// drain generates every queued type.
func (g *validatorGen) drain() error {
	for len(g.queue) > 0 {
		p := g.queue[0]
		g.queue = g.queue[1:]
		if err := g.structMethod(p); err != nil {
			return err
		}
	}
	return g.zeroMethods()
}

// decl returns the name of the package-level variable v, declaring it
// (as prefix<n>) on first use; key identifies its value.
func (g *validatorGen) decl(prefix, key string, v validatorVar) string {
	if name, ok := g.varByID[key]; ok {
		return name
	}
	v.Name = fmt.Sprintf("%s%d", prefix, len(g.vars))
	g.vars = append(g.vars, v)
	g.varByID[key] = v.Name
	return v.Name
}

func (g *validatorGen) local(prefix string) string {
	g.tmp++
	return fmt.Sprintf("%s%d", prefix, g.tmp)
}

func (g *validatorGen) structMethod(p pendingType) error {
	v, err := buildView(p.ref, p.where)
	if err != nil {
		return err
	}
	fields, ok := g.pkg.fields(p.name)
	if !ok {
		return fmt.Errorf("%s: Go type %s is not a struct", p.where, p.name)
	}
	var body []stmt
	for _, name := range v.propNames() {
		f, ok := fields[name]
		if !ok {
			return fmt.Errorf("%s: property %s has no field in Go type %s", p.where, name, p.name)
		}
		pv, err := buildView(v.props[name], p.where+"/properties/"+name)
		if err != nil {
			return err
		}
		enter := call("Push", strconv.Quote(name))
		var checks []stmt
		if f.omitZero && !f.omitEmpty || f.omitZero && isStructish(g.pkg, f.typ) {
			checks, err = g.omitZeroProperty(pv, "r."+f.name, f.typ, v.required[name], enter)
		} else {
			checks, err = g.property(pv, "r."+f.name, f.typ, f.omitEmpty, v.required[name], enter)
		}
		if err != nil {
			return err
		}
		body = append(body, checks...)
	}
	for _, r := range v.requires {
		ifF, thenF := fields[r.ifProp], fields[r.thenProp]
		ifPresent, err := g.presentField(ifF)
		if err != nil {
			return fmt.Errorf("%s: x-banklink-requires: %w", p.where, err)
		}
		thenOK, err := g.presentField(thenF)
		if err != nil {
			return fmt.Errorf("%s: x-banklink-requires: %w", p.where, err)
		}
		if r.equals != "" {
			eq, err := g.equalsExpr("r."+thenF.name, thenF.typ, r.equals)
			if err != nil {
				return fmt.Errorf("%s: x-banklink-requires: %w", p.where, err)
			}
			thenOK = thenOK + " && " + eq
		}
		body = append(body, stmt{Kind: "if", Expr: ifPresent + " && !(" + thenOK + ")", Body: []stmt{
			call("Requires", strconv.Quote(r.ifProp), strconv.Quote(r.thenProp), strconv.Quote(r.equals)),
		}})
	}
	if v.hasAdditional && len(v.props) > 0 {
		return fmt.Errorf("%s: additionalProperties next to properties is not supported in request schemas", p.where)
	}
	g.methods = append(g.methods, validatorMethod{
		Kind:   "struct",
		Type:   p.name,
		Schema: strings.TrimPrefix(p.where, "#/components/schemas/"),
		Body:   body,
	})
	return nil
}

// zeroExpr is a Go expression that is true when expr holds its type's zero
// value, as encoding/json's omitzero decides it (IsZero where the type has
// one).
func (g *validatorGen) zeroExpr(expr string, t ast.Expr) (string, error) {
	if sel, ok := t.(*ast.SelectorExpr); ok && exprString(sel) == "timestamp.Time" {
		return expr + ".IsZero()", nil
	}
	gt, err := g.pkg.resolve(t)
	if err != nil {
		return "", err
	}
	switch gt.shape {
	case shapePointer, shapeMap, shapeNullable, shapeSlice, shapeAny:
		return expr + " == nil", nil
	case shapeString, shapeNumber:
		return expr + ` == ""`, nil
	case shapeInt, shapeFloat:
		return expr + " == 0", nil
	case shapeBool:
		return "!" + expr, nil
	case shapeStruct:
		g.wantZero(gt.name)
		return expr + ".isZero()", nil
	}
	return "", fmt.Errorf("cannot tell whether %s of Go type %s is zero (omitzero)", expr, exprString(t))
}

func (g *validatorGen) wantZero(name string) {
	if g.zeroDone == nil {
		g.zeroDone = map[string]bool{}
	}
	if !g.zeroDone[name] {
		g.zeroDone[name] = true
		g.zeroQueue = append(g.zeroQueue, name)
	}
}

// zeroMethods adds isZero for every struct type an omitzero field needs.
func (g *validatorGen) zeroMethods() error {
	for len(g.zeroQueue) > 0 {
		name := g.zeroQueue[0]
		g.zeroQueue = g.zeroQueue[1:]
		fields, ok := g.pkg.allFields(name)
		if !ok {
			return fmt.Errorf("Go type %s is not a struct", name)
		}
		var terms []string
		for _, f := range fields {
			z, err := g.zeroExpr("r."+f.name, f.typ)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			terms = append(terms, z)
		}
		if len(terms) == 0 {
			terms = []string{"true"}
		}
		g.methods = append(g.methods, validatorMethod{Kind: "zero", Type: name, Zero: terms})
	}
	return nil
}

// property checks one field of Go type t held in expr: its presence
// (absent, null) and, when present, its value. enter puts the field on the
// checker's path. omitEmpty tells whether encoding/json leaves an empty
// value out.
func (g *validatorGen) property(v *view, expr string, t ast.Expr, omitEmpty, required bool, enter stmt) ([]stmt, error) {
	gt, err := g.pkg.resolve(t)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", v.where, err)
	}
	var absent, null []stmt
	if required {
		absent = report(enter, "Required")
	}
	switch {
	case v.nullable:
	case required:
		null = report(enter, "Required")
	default:
		null = report(enter, "Null")
	}
	// present checks the value e of Go type et, after prelude.
	present := func(e string, et ast.Expr, prelude ...stmt) ([]stmt, error) {
		checks, err := g.value(v, e, et)
		if err != nil || len(checks) == 0 {
			return nil, err
		}
		return append(prelude, scoped(enter, checks)...), nil
	}
	switch gt.shape {
	case shapePointer:
		miss := absent
		if !omitEmpty {
			miss = null
		}
		p, err := present("(*"+expr+")", gt.elem)
		if err != nil {
			return nil, err
		}
		return ifElse(expr+" == nil", expr+" != nil", miss, p), nil
	case shapeNullable:
		nv := g.local("nv")
		p, err := present(nv, gt.elem, stmt{Kind: "let", Name: nv, Expr: expr + "[true]"})
		if err != nil {
			return nil, err
		}
		specified := ifElse(expr+".IsNull()", "!"+expr+".IsNull()", null, p)
		return ifElse("!"+expr+".IsSpecified()", expr+".IsSpecified()", absent, specified), nil
	case shapeSlice, shapeMap:
		miss := absent
		if !omitEmpty {
			miss = null
		}
		cond, neg := expr+" == nil", expr+" != nil"
		if gt.shape == shapeSlice && omitEmpty {
			// encoding/json omits an empty slice as it omits a nil one.
			cond, neg = "len("+expr+") == 0", "len("+expr+") > 0"
		}
		p, err := present(expr, t)
		if err != nil {
			return nil, err
		}
		return ifElse(cond, neg, miss, p), nil
	case shapeString, shapeNumber, shapeInt, shapeFloat, shapeBool:
		p, err := present(expr, t)
		if err != nil || !omitEmpty {
			return p, err
		}
		zero := `""`
		switch gt.shape {
		case shapeInt, shapeFloat:
			zero = "0"
		case shapeBool:
			zero = "false"
		}
		return ifElse(expr+" == "+zero, expr+" != "+zero, absent, p), nil
	default:
		return present(expr, t)
	}
}

// value checks a present, non-null value expr of Go type t.
func (g *validatorGen) value(v *view, expr string, t ast.Expr) ([]stmt, error) {
	gt, err := g.pkg.resolve(t)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", v.where, err)
	}
	switch gt.shape {
	case shapePointer, shapeNullable:
		// A pointer inside an array or map: nil marshals as null.
		cond, neg, inner := expr+" == nil", expr+" != nil", "(*"+expr+")"
		if gt.shape == shapeNullable {
			cond, neg, inner = expr+".IsNull() || !"+expr+".IsSpecified()", expr+".IsSpecified() && !"+expr+".IsNull()", expr+"[true]"
		}
		var null []stmt
		if !v.nullable {
			null = []stmt{call("Null")}
		}
		checks, err := g.value(v, inner, gt.elem)
		if err != nil {
			return nil, err
		}
		return ifElse(cond, neg, null, checks), nil
	case shapeStruct:
		if v.kind != "" && v.kind != openapi3.TypeObject {
			return nil, fmt.Errorf("%s: Go type %s is a struct but the schema is %s", v.where, gt.name, v.kind)
		}
		g.want(gt.name, v.self, v.where)
		if strings.HasSuffix(expr, "[true]") {
			// A map index expression is not addressable: copy it first.
			tv := g.local("sv")
			return []stmt{{Kind: "let", Name: tv, Expr: expr}, {Kind: "validate", Expr: tv}}, nil
		}
		return []stmt{{Kind: "validate", Expr: expr}}, nil
	case shapeString:
		if v.kind != "" && v.kind != openapi3.TypeString {
			return nil, fmt.Errorf("%s: Go string for a %s schema", v.where, v.kind)
		}
		s := expr
		if gt.conv != "" {
			s = gt.conv + "(" + expr + ")"
		}
		return g.stringChecks(v, s), nil
	case shapeNumber:
		return []stmt{{Kind: "jsonNumber", Name: g.local("s"), Expr: expr, Var: g.numberVar(v)}}, nil
	case shapeInt, shapeFloat:
		if v.hasNumberRules() {
			return []stmt{call("Float", "float64("+expr+")", "&"+g.numberVar(v))}, nil
		}
	case shapeSlice:
		var checks []stmt
		if v.minItems > 0 || v.maxItems >= 0 {
			checks = append(checks, call("Items", "len("+expr+")", strconv.Itoa(v.minItems), strconv.Itoa(v.maxItems)))
		}
		if v.items == nil {
			return checks, nil
		}
		iv, err := buildView(v.items, v.where+"/items")
		if err != nil {
			return nil, err
		}
		i := g.local("i")
		items, err := g.value(iv, expr+"["+i+"]", gt.elem)
		if err != nil {
			return nil, err
		}
		if len(items) > 0 {
			checks = append(checks, stmt{Kind: "for", Expr: i + " := range " + expr, Body: scoped(call("PushIndex", i), items)})
		}
		return checks, nil
	case shapeMap:
		if v.additional == nil {
			return nil, nil
		}
		av, err := buildView(v.additional, v.where+"/additionalProperties")
		if err != nil {
			return nil, err
		}
		k, mv := g.local("k"), g.local("mv")
		values, err := g.value(av, mv, gt.elem)
		if err != nil || len(values) == 0 {
			return nil, err
		}
		return []stmt{{Kind: "for", Expr: k + ", " + mv + " := range " + expr, Body: scoped(call("Push", k), values)}}, nil
	case shapeOpaque:
		// The Go type guarantees its own encoding (time values, UUIDs); a
		// format on it needs no check, other string rules cannot be applied.
		if v.minLen > 0 || v.maxLen >= 0 || len(v.patterns) > 0 || len(v.enums) > 0 || v.noQuery {
			return nil, fmt.Errorf("%s: string rules on Go type %s, which the validators cannot read", v.where, exprString(t))
		}
	}
	// shapeBool, shapeAny and unconstrained numbers need no check.
	return nil, nil
}

// stringFormats maps the enforced string formats to reqcheck's.
var stringFormats = map[string]string{
	"date-time": "reqcheck.FormatDateTime",
	"email":     "reqcheck.FormatEmail",
	"uri":       "reqcheck.FormatURI",
}

// stringChecks checks the string expression s against v's string rules.
func (g *validatorGen) stringChecks(v *view, s string) []stmt {
	var checks []stmt
	for _, set := range v.enums {
		name := g.decl("enum", fmt.Sprintf("enum %q", set), validatorVar{Enum: set})
		checks = append(checks, call("Enum", s, name))
	}
	if v.minLen > 0 || v.maxLen >= 0 {
		checks = append(checks, call("Length", s, strconv.Itoa(v.minLen), strconv.Itoa(v.maxLen)))
	}
	for _, p := range v.patterns {
		name := g.decl("pattern", "pattern "+strconv.Quote(p), validatorVar{Pattern: p})
		checks = append(checks, call("Pattern", s, name, strconv.Quote(p)))
	}
	if f := stringFormats[v.format]; f != "" {
		checks = append(checks, call("Format", s, f))
	}
	if v.noQuery {
		checks = append(checks, call("NoQuery", s))
	}
	return checks
}

func (g *validatorGen) numberVar(v *view) string {
	n := numberLimits{Integer: v.kind == openapi3.TypeInteger, Decimals: v.decimals}
	if v.min != nil {
		n.HasMin, n.Min, n.ExclMin = true, formatNumber(*v.min), v.exclMin
	}
	if v.max != nil {
		n.HasMax, n.Max, n.ExclMax = true, formatNumber(*v.max), v.exclMax
	}
	return g.decl("number", fmt.Sprintf("number %+v", n), validatorVar{Number: &n})
}

// presentExpr is a Go expression that is true when the field is sent with
// a non-null value.
func (g *validatorGen) presentExpr(expr string, t ast.Expr, omitEmpty bool) (string, error) {
	gt, err := g.pkg.resolve(t)
	if err != nil {
		return "", err
	}
	switch gt.shape {
	case shapePointer, shapeMap:
		return expr + " != nil", nil
	case shapeSlice:
		if omitEmpty {
			return "len(" + expr + ") > 0", nil
		}
		return expr + " != nil", nil
	case shapeNullable:
		return "(" + expr + ".IsSpecified() && !" + expr + ".IsNull())", nil
	case shapeString, shapeNumber:
		if omitEmpty {
			return expr + ` != ""`, nil
		}
		return "true", nil
	case shapeInt, shapeFloat:
		if omitEmpty {
			return expr + " != 0", nil
		}
		return "true", nil
	case shapeBool:
		if omitEmpty {
			return expr, nil
		}
		return "true", nil
	}
	return "true", nil
}

// equalsExpr is a Go expression that is true when the (present) field's
// string value is want.
func (g *validatorGen) equalsExpr(expr string, t ast.Expr, want string) (string, error) {
	gt, err := g.pkg.resolve(t)
	if err != nil {
		return "", err
	}
	switch gt.shape {
	case shapePointer:
		et, err := g.pkg.resolve(gt.elem)
		if err != nil {
			return "", err
		}
		if et.shape != shapeString {
			return "", fmt.Errorf("equals needs a string field")
		}
		return fmt.Sprintf("%s(*%s) == %q", convOr(et.conv), expr, want), nil
	case shapeNullable:
		et, err := g.pkg.resolve(gt.elem)
		if err != nil {
			return "", err
		}
		if et.shape != shapeString {
			return "", fmt.Errorf("equals needs a string field")
		}
		return fmt.Sprintf("%s(%s[true]) == %q", convOr(et.conv), expr, want), nil
	case shapeString:
		return fmt.Sprintf("%s(%s) == %q", convOr(gt.conv), expr, want), nil
	}
	return "", fmt.Errorf("equals needs a string field")
}

func convOr(conv string) string {
	if conv == "" {
		return "string"
	}
	return conv
}

// paramFunc builds fn, the check of one value of any parameter of one
// operation, selected by name.
func (g *validatorGen) paramFunc(fn string, params []*openapi3.Parameter) (paramFunc, error) {
	f := paramFunc{Name: fn}
	order := map[string]int{openapi3.ParameterInPath: 0, openapi3.ParameterInQuery: 1, openapi3.ParameterInHeader: 2}
	sort.Slice(params, func(i, j int) bool {
		if params[i].Name != params[j].Name {
			return params[i].Name < params[j].Name
		}
		return order[params[i].In] < order[params[j].In]
	})
	seen := map[string]bool{}
	for _, p := range params {
		if seen[p.Name] {
			continue // a bare name selects the first location: path, then query, then header
		}
		seen[p.Name] = true
		v, err := buildView(p.Schema, "parameter "+p.Name)
		if err != nil {
			return f, err
		}
		if v.kind == openapi3.TypeArray && v.items != nil {
			// One value of an array parameter is checked against its items.
			if v, err = buildView(v.items, "parameter "+p.Name+"/items"); err != nil {
				return f, err
			}
		}
		if v.kind == openapi3.TypeObject || v.kind == openapi3.TypeArray {
			return f, fmt.Errorf("parameter %s: %s parameters are not supported", p.Name, v.kind)
		}
		var missing, checks []stmt
		if p.Required || p.In == openapi3.ParameterInPath {
			missing = []stmt{call("Required")}
		}
		switch v.kind {
		case openapi3.TypeNumber, openapi3.TypeInteger:
			checks = []stmt{call("NumberText", "value", "&"+g.numberVar(v))}
		case openapi3.TypeBoolean:
			checks = []stmt{{Kind: "boolText", Expr: "value"}}
		default:
			checks = g.stringChecks(v, "value")
		}
		f.Cases = append(f.Cases, paramCase{In: p.In, Name: p.Name, Body: ifElse(`value == ""`, `value != ""`, missing, checks)})
	}
	return f, nil
}

// paramsMethod adds Validate on an operation's query/header parameter
// struct.
func (g *validatorGen) paramsMethod(typeName string, params []*openapi3.Parameter) error {
	fields, ok := g.pkg.fields(typeName)
	if !ok {
		return nil
	}
	m := validatorMethod{Kind: "params", Type: typeName}
	sort.Slice(params, func(i, j int) bool { return params[i].In+params[i].Name < params[j].In+params[j].Name })
	for _, p := range params {
		f, ok := fields[p.Name]
		if !ok {
			return fmt.Errorf("parameter %s has no field in Go type %s", p.Name, typeName)
		}
		v, err := buildView(p.Schema, "parameter "+p.Name)
		if err != nil {
			return err
		}
		enter := call("Param", strconv.Quote(p.In), strconv.Quote(p.Name))
		checks, err := g.property(v, "r."+f.name, f.typ, true, p.Required, enter)
		if err != nil {
			return err
		}
		m.Body = append(m.Body, checks...)
		if p.Required {
			m.NilRequired = append(m.NilRequired, paramRef{In: p.In, Name: p.Name})
		}
	}
	g.methods = append(g.methods, m)
	return nil
}

// isStructish reports whether t is (an alias of) a struct or an opaque
// value type, which omitempty never omits and omitzero does.
func isStructish(p *goPackage, t ast.Expr) bool {
	gt, err := p.resolve(t)
	return err == nil && (gt.shape == shapeStruct || gt.shape == shapeOpaque)
}

// omitZeroProperty checks a field tagged omitzero: absent when zero.
func (g *validatorGen) omitZeroProperty(v *view, expr string, t ast.Expr, required bool, enter stmt) ([]stmt, error) {
	z, err := g.zeroExpr(expr, t)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", v.where, err)
	}
	checks, err := g.value(v, expr, t)
	if err != nil {
		return nil, err
	}
	var absent []stmt
	if required {
		absent = report(enter, "Required")
	}
	return ifElse(z, "!("+z+")", absent, scoped(enter, checks)), nil
}

// presentField is a Go expression that is true when field f is sent.
func (g *validatorGen) presentField(f goField) (string, error) {
	if f.omitZero && (!f.omitEmpty || isStructish(g.pkg, f.typ)) {
		z, err := g.zeroExpr("r."+f.name, f.typ)
		if err != nil {
			return "", err
		}
		return "!(" + z + ")", nil
	}
	return g.presentExpr("r."+f.name, f.typ, f.omitEmpty)
}
