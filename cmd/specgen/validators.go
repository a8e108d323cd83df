package main

import (
	"fmt"
	"go/ast"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// validatorGen compiles request schemas into Go validation code over the
// types oapi-codegen generated for them.
type validatorGen struct {
	pkg     *goPackage
	vars    []string          // package-level declarations (patterns, enums, number rules)
	varByID map[string]string // declaration text -> variable name
	done    map[string]bool   // struct types with a generated method
	queue   []pendingType
	// zeroQueue holds struct types that need an isZero method.
	zeroQueue []string
	zeroDone  map[string]bool
	methods   []string // rendered methods, in generation order
	tmp       int
}

type pendingType struct {
	name  string
	ref   *openapi3.SchemaRef
	where string
}

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

func (g *validatorGen) decl(prefix, text string) string {
	if name, ok := g.varByID[text]; ok {
		return name
	}
	name := fmt.Sprintf("%s%d", prefix, len(g.vars))
	g.vars = append(g.vars, fmt.Sprintf("\t%s = %s", name, text))
	g.varByID[text] = name
	return name
}

func (g *validatorGen) local(prefix string) string {
	g.tmp++
	return fmt.Sprintf("%s%d", prefix, g.tmp)
}

type writer struct {
	b      strings.Builder
	indent int
}

func (w *writer) line(format string, args ...any) {
	w.b.WriteString(strings.Repeat("\t", w.indent))
	fmt.Fprintf(&w.b, format, args...)
	w.b.WriteByte('\n')
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
	w := &writer{indent: 1}
	for _, name := range v.propNames() {
		f, ok := fields[name]
		if !ok {
			return fmt.Errorf("%s: property %s has no field in Go type %s", p.where, name, p.name)
		}
		pv, err := buildView(v.props[name], p.where+"/properties/"+name)
		if err != nil {
			return err
		}
		if f.omitZero && !f.omitEmpty || f.omitZero && isStructish(g.pkg, f.typ) {
			if err := g.omitZeroProperty(w, pv, "r."+f.name, f.typ, v.required[name], fmt.Sprintf("c.Push(%q)", name)); err != nil {
				return err
			}
			continue
		}
		if err := g.property(w, pv, "r."+f.name, f.typ, hasOmitEmpty(f), v.required[name], fmt.Sprintf("c.Push(%q)", name)); err != nil {
			return err
		}
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
		w.line("if %s && !(%s) {", ifPresent, thenOK)
		w.line("\tc.Requires(%q, %q, %q)", r.ifProp, r.thenProp, r.equals)
		w.line("}")
	}
	if v.hasAdditional && len(v.props) > 0 {
		return fmt.Errorf("%s: additionalProperties next to properties is not supported in request schemas", p.where)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "// Validate checks r against the constraints api/openapi.yaml states for\n")
	fmt.Fprintf(&b, "// %s, as r would be marshalled. It returns nil, or an error\n", strings.TrimPrefix(p.where, "#/components/schemas/"))
	fmt.Fprintf(&b, "// (facade.ValidationError) that lists every violation by field and rule,\n// never by value.\n")
	fmt.Fprintf(&b, "func (r *%s) Validate() error {\n\tvar c reqcheck.Checker\n\tif r == nil {\n\t\tc.MissingBody()\n\t\treturn c.Err()\n\t}\n\tr.validateAt(&c)\n\treturn c.Err()\n}\n\n", p.name)
	fmt.Fprintf(&b, "func (r *%s) validateAt(c *reqcheck.Checker) {\n", p.name)
	if w.b.Len() == 0 {
		b.WriteString("\t_ = c\n")
	}
	b.WriteString(w.b.String())
	b.WriteString("}\n")
	g.methods = append(g.methods, b.String())
	return nil
}

func hasOmitEmpty(f goField) bool { return f.omitEmpty }

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

// zeroMethods renders isZero for every struct type an omitzero field needs.
func (g *validatorGen) zeroMethods() error {
	for len(g.zeroQueue) > 0 {
		name := g.zeroQueue[0]
		g.zeroQueue = g.zeroQueue[1:]
		fields, ok := g.pkg.allFields(name)
		if !ok {
			return fmt.Errorf("Go type %s is not a struct", name)
		}
		var parts []string
		for _, f := range fields {
			z, err := g.zeroExpr("r."+f.name, f.typ)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			parts = append(parts, z)
		}
		if len(parts) == 0 {
			parts = []string{"true"}
		}
		g.methods = append(g.methods, fmt.Sprintf("// isZero reports whether encoding/json's omitzero leaves r out.\nfunc (r *%s) isZero() bool {\n\treturn %s\n}\n", name, strings.Join(parts, " &&\n\t\t")))
	}
	return nil
}

// property emits the presence handling of one field and, when present,
// the checks of its value. push enters the field on the checker's path.
func (g *validatorGen) property(w *writer, v *view, expr string, t ast.Expr, omitEmpty, required bool, push string) error {
	gt, err := g.pkg.resolve(t)
	if err != nil {
		return fmt.Errorf("%s: %w", v.where, err)
	}
	sub := func() *writer { return &writer{indent: w.indent + 1} }
	absent := func() *writer {
		a := sub()
		if required {
			a.line("%s", push)
			a.line("c.Required()")
			a.line("c.Pop()")
		}
		return a
	}
	null := func() *writer {
		a := sub()
		switch {
		case v.nullable:
		case required:
			a.line("%s", push)
			a.line("c.Required()")
			a.line("c.Pop()")
		default:
			a.line("%s", push)
			a.line("c.Null()")
			a.line("c.Pop()")
		}
		return a
	}
	present := func(e string, et ast.Expr, prelude ...string) (*writer, error) {
		inner := &writer{indent: w.indent + 2}
		if err := g.value(inner, v, e, et); err != nil {
			return nil, err
		}
		a := sub()
		if inner.b.Len() == 0 {
			return a, nil
		}
		for _, l := range prelude {
			a.line("%s", l)
		}
		a.line("%s", push)
		a.b.WriteString(strings.Replace(inner.b.String(), "\n\t", "\n", -1)[0:0])
		for _, l := range strings.SplitAfter(inner.b.String(), "\n") {
			if l != "" {
				a.b.WriteString(strings.TrimPrefix(l, "\t"))
			}
		}
		a.line("c.Pop()")
		return a, nil
	}
	// branch writes "if cond {a} else {b}", dropping empty branches.
	branch := func(cond, neg string, a, b *writer) {
		switch {
		case a.b.Len() == 0 && b.b.Len() == 0:
		case b.b.Len() == 0:
			w.line("if %s {", cond)
			w.b.WriteString(a.b.String())
			w.line("}")
		case a.b.Len() == 0:
			w.line("if %s {", neg)
			w.b.WriteString(b.b.String())
			w.line("}")
		default:
			w.line("if %s {", cond)
			w.b.WriteString(a.b.String())
			w.line("} else {")
			w.b.WriteString(b.b.String())
			w.line("}")
		}
	}
	switch gt.shape {
	case shapePointer:
		miss := absent()
		if !omitEmpty {
			miss = null()
		}
		p, err := present("(*"+expr+")", gt.elem)
		if err != nil {
			return err
		}
		branch(expr+" == nil", expr+" != nil", miss, p)
	case shapeNullable:
		nv := g.local("nv")
		p, err := present(nv, gt.elem, nv+" := "+expr+"[true]")
		if err != nil {
			return err
		}
		inner := &writer{indent: w.indent}
		branchInner := *w
		_ = branchInner
		set := &writer{indent: w.indent + 1}
		saved := w.b.String()
		w.b.Reset()
		w.indent = set.indent - 1
		branch(expr+".IsNull()", "!"+expr+".IsNull()", null(), p)
		body := w.b.String()
		w.b.Reset()
		w.b.WriteString(saved)
		_ = inner
		a := absent()
		bw := sub()
		for _, l := range strings.SplitAfter(body, "\n") {
			if l != "" {
				bw.b.WriteString("\t" + l)
			}
		}
		branch("!"+expr+".IsSpecified()", expr+".IsSpecified()", a, bw)
	case shapeSlice, shapeMap:
		miss := absent()
		if !omitEmpty {
			miss = null()
		}
		cond, neg := expr+" == nil", expr+" != nil"
		if gt.shape == shapeSlice && omitEmpty {
			// encoding/json omits an empty slice as it omits a nil one.
			cond, neg = "len("+expr+") == 0", "len("+expr+") > 0"
		}
		p, err := present(expr, t)
		if err != nil {
			return err
		}
		branch(cond, neg, miss, p)
	case shapeString, shapeNumber, shapeInt, shapeFloat, shapeBool:
		p, err := present(expr, t)
		if err != nil {
			return err
		}
		if !omitEmpty {
			w.b.WriteString(dedent(p.b.String()))
			return nil
		}
		zero := `""`
		switch gt.shape {
		case shapeInt, shapeFloat:
			zero = "0"
		case shapeBool:
			zero = "false"
		}
		branch(expr+" == "+zero, expr+" != "+zero, absent(), p)
	default:
		p, err := present(expr, t)
		if err != nil {
			return err
		}
		w.b.WriteString(dedent(p.b.String()))
	}
	return nil
}

func dedent(s string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(s, "\n") {
		b.WriteString(strings.TrimPrefix(l, "\t"))
	}
	return b.String()
}

// value emits the checks of a present, non-null value expr of Go type t.
func (g *validatorGen) value(w *writer, v *view, expr string, t ast.Expr) error {
	gt, err := g.pkg.resolve(t)
	if err != nil {
		return fmt.Errorf("%s: %w", v.where, err)
	}
	switch gt.shape {
	case shapePointer, shapeNullable:
		// A pointer inside an array or map: nil marshals as null.
		if gt.shape == shapePointer {
			w.line("if %s == nil {", expr)
		} else {
			w.line("if %s.IsNull() || !%s.IsSpecified() {", expr, expr)
		}
		if !v.nullable {
			w.line("\tc.Null()")
		}
		w.line("} else {")
		w.indent++
		inner := expr
		if gt.shape == shapePointer {
			inner = "(*" + expr + ")"
		} else {
			inner = expr + "[true]"
		}
		if err := g.value(w, v, inner, gt.elem); err != nil {
			return err
		}
		w.indent--
		w.line("}")
	case shapeStruct:
		if v.kind != "" && v.kind != openapi3.TypeObject {
			return fmt.Errorf("%s: Go type %s is a struct but the schema is %s", v.where, gt.name, v.kind)
		}
		g.want(gt.name, schemaRefOf(v), v.where)
		if strings.HasSuffix(expr, "[true]") {
			tv := g.local("sv")
			w.line("%s := %s", tv, expr)
			w.line("%s.validateAt(c)", tv)
		} else {
			w.line("%s.validateAt(c)", expr)
		}
	case shapeString:
		if v.kind != "" && v.kind != openapi3.TypeString {
			return fmt.Errorf("%s: Go string for a %s schema", v.where, v.kind)
		}
		s := expr
		if gt.conv != "" {
			s = gt.conv + "(" + expr + ")"
		}
		g.stringChecks(w, v, s)
	case shapeNumber:
		w.line("{")
		n := g.local("s")
		w.line("\t%s := string(%s)", n, expr)
		w.line("\tif %s == \"\" {", n)
		w.line("\t\t%s = \"0\" // encoding/json sends an empty json.Number as 0", n)
		w.line("\t}")
		w.line("\tc.NumberText(%s, &%s)", n, g.numberVar(v))
		w.line("}")
	case shapeInt, shapeFloat:
		if v.hasNumberRules() {
			w.line("c.Float(float64(%s), &%s)", expr, g.numberVar(v))
		}
	case shapeBool, shapeAny:
	case shapeSlice:
		if v.minItems > 0 || v.maxItems >= 0 {
			w.line("c.Items(len(%s), %d, %d)", expr, v.minItems, v.maxItems)
		}
		if v.items == nil {
			return nil
		}
		iv, err := buildView(v.items, v.where+"/items")
		if err != nil {
			return err
		}
		i := g.local("i")
		inner := &writer{indent: w.indent + 1}
		if err := g.value(inner, iv, expr+"["+i+"]", gt.elem); err != nil {
			return err
		}
		if inner.b.Len() > 0 {
			w.line("for %s := range %s {", i, expr)
			w.line("\tc.PushIndex(%s)", i)
			w.b.WriteString(inner.b.String())
			w.line("\tc.Pop()")
			w.line("}")
		}
	case shapeMap:
		if v.additional == nil {
			return nil
		}
		av, err := buildView(v.additional, v.where+"/additionalProperties")
		if err != nil {
			return err
		}
		k, mv := g.local("k"), g.local("mv")
		inner := &writer{indent: w.indent + 1}
		if err := g.value(inner, av, mv, gt.elem); err != nil {
			return err
		}
		if inner.b.Len() > 0 {
			w.line("for %s, %s := range %s {", k, mv, expr)
			w.line("\tc.Push(%s)", k)
			w.b.WriteString(inner.b.String())
			w.line("\tc.Pop()")
			w.line("}")
		}
	case shapeOpaque:
		// The Go type guarantees its own encoding (time values, UUIDs); a
		// format on it needs no check, other string rules cannot be applied.
		if v.minLen > 0 || v.maxLen >= 0 || len(v.patterns) > 0 || len(v.enums) > 0 || v.noQuery {
			return fmt.Errorf("%s: string rules on Go type %s, which the validators cannot read", v.where, exprString(t))
		}
	}
	return nil
}

func schemaRefOf(v *view) *openapi3.SchemaRef { return v.self }

func (g *validatorGen) stringChecks(w *writer, v *view, s string) {
	for _, set := range v.enums {
		quoted := make([]string, len(set))
		for i, e := range set {
			quoted[i] = strconv.Quote(e)
		}
		w.line("c.Enum(%s, %s)", s, g.decl("enum", "[]string{"+strings.Join(quoted, ", ")+"}"))
	}
	if v.minLen > 0 || v.maxLen >= 0 {
		w.line("c.Length(%s, %d, %d)", s, v.minLen, v.maxLen)
	}
	for _, p := range v.patterns {
		w.line("c.Pattern(%s, %s, %s)", s, g.decl("pattern", "regexp.MustCompile("+strconv.Quote(p)+")"), strconv.Quote(p))
	}
	switch v.format {
	case "date-time":
		w.line("c.Format(%s, reqcheck.FormatDateTime)", s)
	case "email":
		w.line("c.Format(%s, reqcheck.FormatEmail)", s)
	case "uri":
		w.line("c.Format(%s, reqcheck.FormatURI)", s)
	}
	if v.noQuery {
		w.line("c.NoQuery(%s)", s)
	}
}

func (g *validatorGen) numberVar(v *view) string {
	var parts []string
	if v.kind == openapi3.TypeInteger {
		parts = append(parts, "Integer: true")
	}
	parts = append(parts, fmt.Sprintf("Decimals: %d", v.decimals))
	if v.min != nil {
		parts = append(parts, fmt.Sprintf("Min: %s, HasMin: true, ExclMin: %t, MinText: %q", formatNumber(*v.min), v.exclMin, formatNumber(*v.min)))
	}
	if v.max != nil {
		parts = append(parts, fmt.Sprintf("Max: %s, HasMax: true, ExclMax: %t, MaxText: %q", formatNumber(*v.max), v.exclMax, formatNumber(*v.max)))
	}
	return g.decl("number", "reqcheck.Number{"+strings.Join(parts, ", ")+"}")
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

// paramChecks emits the validation of path parameters of one operation.
func (g *validatorGen) paramFunc(fn string, params []*openapi3.Parameter) (string, error) {
	w := &writer{indent: 1}
	w.line("var c reqcheck.Checker")
	w.line("switch name {")
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
			return "", err
		}
		if v.kind == openapi3.TypeArray && v.items != nil {
			// One value of an array parameter is checked against its items.
			if v, err = buildView(v.items, "parameter "+p.Name+"/items"); err != nil {
				return "", err
			}
		}
		if v.kind == openapi3.TypeObject || v.kind == openapi3.TypeArray {
			return "", fmt.Errorf("parameter %s: %s parameters are not supported", p.Name, v.kind)
		}
		w.line("case %q:", p.Name)
		w.indent++
		w.line("c.Param(%q, %q)", p.In, p.Name)
		w.line("if value == \"\" {")
		if p.Required || p.In == openapi3.ParameterInPath {
			w.line("\tc.Required()")
		}
		w.line("} else {")
		w.indent++
		switch v.kind {
		case openapi3.TypeNumber, openapi3.TypeInteger:
			w.line("c.NumberText(value, &%s)", g.numberVar(v))
		case openapi3.TypeBoolean:
			w.line("if value != \"true\" && value != \"false\" {")
			w.line("\tc.Add(\"type\", c.Field()+\" must be a boolean\")")
			w.line("}")
		default:
			g.stringChecks(w, v, "value")
		}
		w.indent--
		w.line("}")
		w.indent--
	}
	w.line("default:")
	w.line("\tc.Param(\"path\", name)")
	w.line("\tc.Add(\"unknown\", \"the operation has no parameter \"+name)")
	w.line("}")
	w.line("return c.Err()")
	return fmt.Sprintf("func %s(name, value string) error {\n%s}\n", fn, w.b.String()), nil
}

// paramsMethod emits Validate on an operation's query/header parameter struct.
func (g *validatorGen) paramsMethod(typeName string, params []*openapi3.Parameter) error {
	fields, ok := g.pkg.fields(typeName)
	if !ok {
		return nil
	}
	w := &writer{indent: 1}
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
		if err := g.property(w, v, "r."+f.name, f.typ, true, p.Required, fmt.Sprintf("c.Param(%q, %q)", p.In, p.Name)); err != nil {
			return err
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "// Validate checks the parameters against api/openapi.yaml. A nil\n// receiver stands for no parameters.\n")
	fmt.Fprintf(&b, "func (r *%s) Validate() error {\n\tvar c reqcheck.Checker\n\tif r == nil {\n", typeName)
	for _, p := range params {
		if p.Required {
			fmt.Fprintf(&b, "\t\tc.Param(%q, %q)\n\t\tc.Required()\n", p.In, p.Name)
		}
	}
	fmt.Fprintf(&b, "\t\treturn c.Err()\n\t}\n%s\treturn c.Err()\n}\n", w.b.String())
	g.methods = append(g.methods, b.String())
	return nil
}

// isStructish reports whether t is (an alias of) a struct or an opaque
// value type, which omitempty never omits and omitzero does.
func isStructish(p *goPackage, t ast.Expr) bool {
	gt, err := p.resolve(t)
	return err == nil && (gt.shape == shapeStruct || gt.shape == shapeOpaque)
}

// omitZeroProperty handles a field tagged omitzero: absent when zero.
func (g *validatorGen) omitZeroProperty(w *writer, v *view, expr string, t ast.Expr, required bool, push string) error {
	z, err := g.zeroExpr(expr, t)
	if err != nil {
		return fmt.Errorf("%s: %w", v.where, err)
	}
	inner := &writer{indent: w.indent + 1}
	if err := g.value(inner, v, expr, t); err != nil {
		return err
	}
	switch {
	case inner.b.Len() == 0 && !required:
		return nil
	case inner.b.Len() == 0:
		w.line("if %s {", z)
		w.line("\t%s", push)
		w.line("\tc.Required()")
		w.line("\tc.Pop()")
		w.line("}")
	default:
		if required {
			w.line("if %s {", z)
			w.line("\t%s", push)
			w.line("\tc.Required()")
			w.line("\tc.Pop()")
			w.line("} else {")
		} else {
			w.line("if !(%s) {", z)
		}
		w.line("\t%s", push)
		w.b.WriteString(inner.b.String())
		w.line("\tc.Pop()")
		w.line("}")
	}
	return nil
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
