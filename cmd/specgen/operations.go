package main

import (
	"bytes"
	_ "embed"
	"fmt"
	"go/format"
	"sort"
	"strconv"
	"strings"
	"text/template"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"
)

//go:embed templates/operations.go.tmpl
var operationsTmpl string

//go:embed templates/validate.go.tmpl
var validateTmpl string

var (
	operationsTemplate = template.Must(template.New("operations").Parse(operationsTmpl))
	validateTemplate   = template.Must(template.New("validate").Parse(validateTmpl))
)

// tableOp is one row of the generated operation table.
type tableOp struct {
	ID, GoName, Method, Path string
	Status                   int
	Retry                    string
	IdempotencyKey           string
	Auth                     string
	RateLimits               []string
	ResponseRequired         []string
	PathParams               []string
	CheckParam               string
}

var retryConsts = map[string]string{
	"safe":            "opmeta.RetrySafe",
	"idempotency-key": "opmeta.RetryIdempotencyKey",
	"single-use":      "opmeta.RetrySingleUse",
	"unsafe":          "opmeta.RetryUnsafe",
}

var limitKeys = map[string]string{
	"client": "opmeta.LimitPerClient",
	"app":    "opmeta.LimitPerApp",
	"user":   "opmeta.LimitPerUser",
	"link":   "opmeta.LimitPerLink",
}

var limitPeriods = map[string]string{
	"second": "time.Second",
	"minute": "time.Minute",
	"hour":   "time.Hour",
	"day":    "24 * time.Hour",
}

// generateOperations renders operations.gen.go and validate.gen.go of one
// provider package from doc (every operation tagged provider) and the Go
// types oapi-codegen generated for it.
func generateOperations(provider string, doc *openapi3.T, code string) (ops, validators []byte, err error) {
	pkg, err := parseGoPackage(code)
	if err != nil {
		return nil, nil, err
	}
	g := newValidatorGen(pkg)
	var rows []tableOp
	var paramFuncs []paramFunc
	type specOp struct {
		path, method string
		item         *openapi3.PathItem
		op           *openapi3.Operation
	}
	var list []specOp
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if len(op.Tags) == 1 && op.Tags[0] == provider {
				list = append(list, specOp{path, method, item, op})
			}
		}
	}
	// Operation order fixes the order of everything generated.
	sort.Slice(list, func(i, j int) bool { return list[i].op.OperationID < list[j].op.OperationID })
	for _, so := range list {
		row, fn, err := tableRow(doc, g, so.path, so.method, so.item, so.op)
		if err != nil {
			return nil, nil, fmt.Errorf("operation %s: %w", so.op.OperationID, err)
		}
		rows = append(rows, row)
		if fn.Name != "" {
			paramFuncs = append(paramFuncs, fn)
		}
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].ID < rows[j].ID })
	sort.Slice(paramFuncs, func(i, j int) bool { return paramFuncs[i].Name < paramFuncs[j].Name })
	if err := g.drain(); err != nil {
		return nil, nil, err
	}
	usesTime := false
	for _, r := range rows {
		usesTime = usesTime || len(r.RateLimits) > 0
	}
	data := map[string]any{"Package": provider, "Ops": rows, "UsesTime": usesTime}
	if ops, err = renderTemplate(operationsTemplate, data); err != nil {
		return nil, nil, err
	}
	sort.Slice(g.vars, func(i, j int) bool { return g.vars[i].Name < g.vars[j].Name })
	usesRegexp := false
	for _, v := range g.vars {
		usesRegexp = usesRegexp || v.Pattern != ""
	}
	data = map[string]any{"Package": provider, "Vars": g.vars, "Methods": g.methods, "ParamFuncs": paramFuncs, "UsesRegexp": usesRegexp}
	if validators, err = renderTemplate(validateTemplate, data); err != nil {
		return nil, nil, err
	}
	return ops, validators, nil
}

func renderTemplate(t *template.Template, data any) ([]byte, error) {
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return nil, err
	}
	out, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("formatting generated %s: %w\n%s", t.Name(), err, b.String())
	}
	return out, nil
}

func tableRow(doc *openapi3.T, g *validatorGen, path, method string, item *openapi3.PathItem, op *openapi3.Operation) (tableOp, paramFunc, error) {
	goName := codegen.ToCamelCase(op.OperationID)
	row := tableOp{ID: op.OperationID, GoName: goName, Method: strings.ToUpper(method), Path: path}

	retry, err := extString(op.Extensions["x-banklink-retry"])
	if err != nil || retryConsts[retry] == "" {
		return row, paramFunc{}, fmt.Errorf("x-banklink-retry %q is not a retry class", retry)
	}
	row.Retry = retryConsts[retry]
	if raw, ok := op.Extensions["x-banklink-idempotency-key"]; ok {
		if row.IdempotencyKey, err = extString(raw); err != nil {
			return row, paramFunc{}, fmt.Errorf("x-banklink-idempotency-key: %w", err)
		}
	}

	var codes []string
	for code := range op.Responses.Map() {
		if len(code) == 3 && code[0] == '2' {
			codes = append(codes, code)
		}
	}
	sort.Strings(codes)
	if len(codes) == 0 {
		return row, paramFunc{}, fmt.Errorf("no 2xx response")
	}
	row.Status, _ = strconv.Atoi(codes[0])
	if resp := op.Responses.Value(codes[0]); resp != nil && resp.Value != nil {
		if mt := resp.Value.Content.Get("application/json"); mt != nil {
			row.ResponseRequired = requiredPointers(mt.Schema, "", map[*openapi3.Schema]bool{}, 0)
		}
	}

	if row.Auth, err = authLiteral(doc, op); err != nil {
		return row, paramFunc{}, err
	}

	if raw, ok := op.Extensions["x-banklink-rate-limits"]; ok {
		var limits []struct {
			Requests int    `json:"requests"`
			Per      string `json:"per"`
			Key      string `json:"key"`
		}
		if err := extDecode(raw, &limits); err != nil {
			return row, paramFunc{}, fmt.Errorf("x-banklink-rate-limits: %w", err)
		}
		for _, l := range limits {
			if l.Requests <= 0 || limitPeriods[l.Per] == "" || limitKeys[l.Key] == "" {
				return row, paramFunc{}, fmt.Errorf("x-banklink-rate-limits: bad entry %+v", l)
			}
			row.RateLimits = append(row.RateLimits, fmt.Sprintf("{Requests: %d, Per: %s, Key: %s}", l.Requests, limitPeriods[l.Per], limitKeys[l.Key]))
		}
	}

	// Parameters: operation-level ones override the path item's.
	byKey := map[string]*openapi3.Parameter{}
	for _, list := range []openapi3.Parameters{item.Parameters, op.Parameters} {
		for _, p := range list {
			if p == nil || p.Value == nil {
				return row, paramFunc{}, fmt.Errorf("unresolved parameter")
			}
			byKey[p.Value.In+"/"+p.Value.Name] = p.Value
		}
	}
	var pathParams, other []*openapi3.Parameter
	for _, p := range byKey {
		switch p.In {
		case openapi3.ParameterInPath:
			pathParams = append(pathParams, p)
		case openapi3.ParameterInQuery, openapi3.ParameterInHeader:
			other = append(other, p)
		default:
			return row, paramFunc{}, fmt.Errorf("parameter %s: %s parameters are not supported", p.Name, p.In)
		}
	}
	for _, seg := range strings.Split(path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			row.PathParams = append(row.PathParams, strings.Trim(seg, "{}"))
		}
	}
	var fn paramFunc
	if len(pathParams)+len(other) > 0 {
		row.CheckParam = "check" + goName + "Param"
		all := append(append([]*openapi3.Parameter{}, pathParams...), other...)
		if fn, err = g.paramFunc(row.CheckParam, all); err != nil {
			return row, paramFunc{}, err
		}
	}
	if len(other) > 0 {
		if err := g.paramsMethod(goName+"Params", other); err != nil {
			return row, paramFunc{}, err
		}
	}

	if op.RequestBody != nil && op.RequestBody.Value != nil {
		for _, media := range []struct{ mt, suffix string }{
			{"application/json", "JSONRequestBody"},
			{"application/x-www-form-urlencoded", "FormdataRequestBody"},
		} {
			mt := op.RequestBody.Value.Content.Get(media.mt)
			if mt == nil {
				continue
			}
			ts := g.pkg.types[goName+media.suffix]
			if ts == nil {
				return row, paramFunc{}, fmt.Errorf("oapi-codegen generated no %s%s", goName, media.suffix)
			}
			gt, err := g.pkg.resolve(ts.Type)
			if err != nil {
				return row, paramFunc{}, err
			}
			if gt.shape != shapeStruct {
				return row, paramFunc{}, fmt.Errorf("request body %s is not a struct", goName+media.suffix)
			}
			where := "#/paths/" + path + "/" + method + "/requestBody"
			if mt.Schema != nil && mt.Schema.Ref != "" {
				where = mt.Schema.Ref
			}
			g.want(gt.name, mt.Schema, where)
		}
	}
	if row.IdempotencyKey != "" && op.RequestBody == nil {
		return row, paramFunc{}, fmt.Errorf("x-banklink-idempotency-key without a request body")
	}
	return row, fn, nil
}

// authLiteral renders the operation's security requirement as an
// opmeta.Auth literal.
func authLiteral(doc *openapi3.T, op *openapi3.Operation) (string, error) {
	reqs := doc.Security
	if op.Security != nil {
		reqs = *op.Security
	}
	optional := false
	var chosen openapi3.SecurityRequirement
	for _, r := range reqs {
		if len(r) == 0 {
			optional = true
			continue
		}
		if chosen == nil {
			chosen = r
		}
	}
	if chosen == nil {
		return "opmeta.Auth{Kind: opmeta.AuthNone}", nil
	}
	if len(chosen) != 1 {
		return "", fmt.Errorf("security requirement needs exactly one scheme, has %d", len(chosen))
	}
	for name, scopes := range chosen {
		ref := doc.Components.SecuritySchemes[name]
		if ref == nil || ref.Value == nil {
			return "", fmt.Errorf("unknown security scheme %q", name)
		}
		s := ref.Value
		kind, header := "", ""
		switch {
		case s.Type == "http" && strings.EqualFold(s.Scheme, "basic"):
			kind = "opmeta.AuthBasic"
		case s.Type == "http" && strings.EqualFold(s.Scheme, "bearer"), s.Type == "oauth2":
			kind = "opmeta.AuthBearer"
		case s.Type == "apiKey" && s.In == "header":
			kind, header = "opmeta.AuthAPIKeyHeader", s.Name
		default:
			return "", fmt.Errorf("unsupported security scheme %q (%s)", name, s.Type)
		}
		var b strings.Builder
		fmt.Fprintf(&b, "opmeta.Auth{Kind: %s, Scheme: %q", kind, name)
		if header != "" {
			fmt.Fprintf(&b, ", Header: %q", header)
		}
		if len(scopes) > 0 {
			q := make([]string, len(scopes))
			for i, sc := range scopes {
				q[i] = strconv.Quote(sc)
			}
			fmt.Fprintf(&b, ", Scopes: []string{%s}", strings.Join(q, ", "))
		}
		if optional {
			b.WriteString(", Optional: true")
		}
		b.WriteString("}")
		return b.String(), nil
	}
	return "", nil
}

// requiredPointers lists the JSON pointers of the fields a response schema
// marks required, "*" standing for every array item or map value.
func requiredPointers(ref *openapi3.SchemaRef, at string, onPath map[*openapi3.Schema]bool, depth int) []string {
	if ref == nil || ref.Value == nil || onPath[ref.Value] || depth > 8 {
		return nil
	}
	s := ref.Value
	onPath[s] = true
	defer delete(onPath, s)
	var out []string
	props := map[string]*openapi3.SchemaRef{}
	required := map[string]bool{}
	var collect func(s *openapi3.Schema)
	collect = func(s *openapi3.Schema) {
		for n, p := range s.Properties {
			props[n] = p
		}
		for _, r := range s.Required {
			required[r] = true
		}
		for _, m := range s.AllOf {
			if m != nil && m.Value != nil {
				collect(m.Value)
			}
		}
	}
	collect(s)
	names := make([]string, 0, len(props))
	for n := range props {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := at + "/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(n)
		if required[n] {
			out = append(out, p)
		}
		out = append(out, requiredPointers(props[n], p, onPath, depth+1)...)
	}
	if s.Items != nil {
		out = append(out, requiredPointers(s.Items, at+"/*", onPath, depth+1)...)
	}
	if s.AdditionalProperties.Schema != nil {
		out = append(out, requiredPointers(s.AdditionalProperties.Schema, at+"/*", onPath, depth+1)...)
	}
	return out
}
