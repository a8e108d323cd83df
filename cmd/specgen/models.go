package main

import (
	_ "embed"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"unicode"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"
)

//go:embed templates/models.go.tmpl
var modelsTmpl string

var modelsTemplate = template.Must(template.New("models").Parse(modelsTmpl))

// genImportBase is the import path of the directory holding the generated
// provider packages; facade/<provider>/models.gen.go imports
// genImportBase/<provider> under the name genImportName.
const (
	genImportBase = "github.com/banklink/banklink/gen"
	genImportName = "gen"
)

// machineryStart names the first types of oapi-codegen's client and server
// code. Everything oapi-codegen writes before the first of them is the
// models section: the types of components and the operations' parameter and
// body types.
var machineryStart = map[string]bool{
	"RequestEditorFn":       true,
	"HttpRequestDoer":       true,
	"Client":                true,
	"ClientInterface":       true,
	"ServerInterface":       true,
	"StrictServerInterface": true,
}

// opTypeSuffix matches what follows an operation's Go name in the types
// oapi-codegen derives from the operation: GetLinksParams (and the inline
// enums of its fields, GetLinksParamsStatus), CreatePaymentJSONBody,
// CreatePaymentJSONRequestBody, CreateTokenFormdataRequestBody.
var opTypeSuffix = regexp.MustCompile(`^(Params|[A-Z][A-Za-z]*?(Request)?Body)`)

// modelAlias is one type alias of models.gen.go and the enum constants of
// its type.
type modelAlias struct {
	Name   string   // the type's name, in gen and in the facade package
	Doc    []string // the lines of its doc comment, each starting with "//"
	Skip   bool     // declared by hand in the facade package: no alias, constants untyped
	Consts []enumConst
}

// enumConst is one Go-style enum constant: Name = gen.GenName.
type enumConst struct {
	Name, GenName string
}

// goConstWords turns an enum value into the CamelCase part of a Go
// constant name: the value is split into words at every character that is
// neither a letter nor a digit ("_", ".", "-", " ", "/", ...), and each word
// is written with its first letter upper-case and the rest lower-case,
// except initialisms, which Go style keeps upper-case (see initialisms).
// TERMINAL_FAILED → TerminalFailed, link.state_changed → LinkStateChanged,
// 2023-02-18 → 20230218, USD → USD, account_id → AccountID. A value with no
// letter or digit gives "Empty".
func goConstWords(value string) string {
	var b strings.Builder
	words := strings.FieldsFunc(value, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	for _, w := range words {
		if up := strings.ToUpper(w); initialisms[up] || (len(words) == 1 && len(w) == 2 && up == w) {
			// A lone two-letter upper-case value is a code (a country: CA, GB, US).
			b.WriteString(up)
			continue
		}
		rs := []rune(strings.ToLower(w))
		rs[0] = unicode.ToUpper(rs[0])
		b.WriteString(string(rs))
	}
	if b.Len() == 0 {
		return "Empty"
	}
	return b.String()
}

// initialisms are the words Go style writes upper-case in names (the list
// of golint and staticcheck's ST1003, with the currency code the providers use).
var initialisms = map[string]bool{
	"ACL": true, "API": true, "ASCII": true, "CPU": true, "CSS": true, "DNS": true, "EOF": true,
	"GUID": true, "HTML": true, "HTTP": true, "HTTPS": true, "ID": true, "IP": true, "JSON": true,
	"JWT": true, "QPS": true, "RAM": true, "RPC": true, "SLA": true, "SMTP": true,
	"SQL": true, "SSH": true, "TCP": true, "TLS": true, "TTL": true, "UDP": true, "UI": true,
	"UID": true, "UUID": true, "URI": true, "URL": true, "UTF8": true, "VM": true, "XML": true,
	"XSRF": true, "XSS": true, "USD": true,
}

// handDeclared returns the package-level identifiers that the hand-written
// Go files of dir declare: every *.go file except *.gen.go and except test
// files of an external _test package. A missing dir declares nothing.
func handDeclared(dir string) (map[string]bool, error) {
	names := map[string]bool{}
	paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	for _, path := range paths {
		if strings.HasSuffix(path, ".gen.go") {
			continue
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		f, err := parser.ParseFile(fset, path, src, parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("reading hand-written declarations: %w", err)
		}
		if strings.HasSuffix(f.Name.Name, "_test") {
			continue
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					names[d.Name.Name] = true
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						names[s.Name.Name] = true
					case *ast.ValueSpec:
						for _, n := range s.Names {
							names[n.Name] = true
						}
					}
				}
			}
		}
	}
	delete(names, "_")
	delete(names, "init")
	return names, nil
}

// notModels lists the type names that oapi-codegen writes in its models
// section but that are not models of components/schemas: the types of
// components/parameters, responses, requestBodies and headers. doc is the
// provider's document as oapi-codegen left it (pruned to the provider).
func notModels(doc *openapi3.T) map[string]bool {
	out := map[string]bool{}
	if doc.Components == nil {
		return out
	}
	for name := range doc.Components.Parameters {
		out[codegen.SchemaNameToTypeName(name)] = true
	}
	for name := range doc.Components.Responses {
		out[codegen.SchemaNameToTypeName(name)] = true
	}
	for name := range doc.Components.RequestBodies {
		out[codegen.SchemaNameToTypeName(name)] = true
	}
	for name := range doc.Components.Headers {
		out[codegen.SchemaNameToTypeName(name)] = true
	}
	for name := range doc.Components.Schemas {
		delete(out, codegen.SchemaNameToTypeName(name))
	}
	return out
}

// operationGoNames lists the Go names oapi-codegen gives the operations of
// doc (GetLink for getLink), as tableRow does.
func operationGoNames(doc *openapi3.T) []string {
	var names []string
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			names = append(names, codegen.ToCamelCase(op.OperationID))
		}
	}
	sort.Strings(names)
	return names
}

// modelAliases reads oapi-codegen's output code back and lists the model
// and enum types of its models section, in source order, with their doc
// comments and enum constants. Types named in skipTypes, and the types
// oapi-codegen derives from the operations named in opNames (parameters
// and bodies), are left out.
func modelAliases(code string, opNames []string, skipTypes map[string]bool) ([]*modelAlias, error) {
	f, err := parser.ParseFile(token.NewFileSet(), "gen.go", code, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("reading oapi-codegen output: %w", err)
	}
	fromOperation := func(name string) bool {
		for _, op := range opNames {
			if rest, ok := strings.CutPrefix(name, op); ok && opTypeSuffix.MatchString(rest) {
				return true
			}
		}
		return false
	}
	var (
		types  []*modelAlias
		byName = map[string]*modelAlias{}
		// Enum constants come before their types in oapi-codegen's output.
		consts  = map[string][]enumConst{}
		reached bool
	)
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok {
			continue
		}
		switch gd.Tok {
		case token.TYPE:
			for _, s := range gd.Specs {
				ts := s.(*ast.TypeSpec)
				name := ts.Name.Name
				if machineryStart[name] {
					reached = true
				}
				if reached || !ast.IsExported(name) || skipTypes[name] || fromOperation(name) {
					continue
				}
				doc := ts.Doc
				if doc == nil && len(gd.Specs) == 1 {
					doc = gd.Doc
				}
				m := &modelAlias{Name: name}
				if doc != nil {
					for _, c := range doc.List {
						m.Doc = append(m.Doc, c.Text)
					}
				}
				types = append(types, m)
				byName[name] = m
			}
		case token.CONST:
			if reached {
				continue
			}
			for _, s := range gd.Specs {
				vs := s.(*ast.ValueSpec)
				typ, ok := vs.Type.(*ast.Ident)
				if !ok || len(vs.Names) != 1 || len(vs.Values) != 1 {
					continue
				}
				lit, ok := vs.Values[0].(*ast.BasicLit)
				if !ok {
					continue
				}
				value := lit.Value
				if lit.Kind == token.STRING {
					if value, err = strconv.Unquote(lit.Value); err != nil {
						return nil, fmt.Errorf("enum constant %s: %w", vs.Names[0].Name, err)
					}
				}
				consts[typ.Name] = append(consts[typ.Name], enumConst{
					Name:    typ.Name + goConstWords(value),
					GenName: vs.Names[0].Name,
				})
			}
		}
	}
	if !reached {
		return nil, errors.New("reading oapi-codegen output: no client or server code after the models")
	}
	for typ, cs := range consts {
		if m := byName[typ]; m != nil {
			m.Consts = cs
		}
	}
	return types, nil
}

// generateModels renders facade/<provider>/models.gen.go: a type alias of
// every model and enum type of package gen/<provider> and a Go-style
// constant for every enum value, leaving out every identifier that the
// hand-written files of the facade package declare (handWritten).
func generateModels(provider string, models []*modelAlias, handWritten map[string]bool) ([]byte, error) {
	if handWritten[genImportName] {
		return nil, fmt.Errorf("package %s declares %q, the name models.gen.go imports gen/%s as", provider, genImportName, provider)
	}
	// Each generated name and what it stands for, to report a collision.
	declared := map[string]string{}
	declare := func(name, what string) error {
		if prev, ok := declared[name]; ok {
			return fmt.Errorf("models.gen.go of package %s: %s and %s are both named %s; "+
				"rename one in api/openapi.yaml (x-go-name, x-enum-varnames) or declare %s by hand in facade/%s",
				provider, prev, what, name, name, provider)
		}
		declared[name] = what
		return nil
	}
	var out []*modelAlias
	count := 0
	for _, m := range models {
		g := &modelAlias{Name: m.Name, Doc: m.Doc, Skip: handWritten[m.Name]}
		if !g.Skip {
			if err := declare(m.Name, "the alias of type gen."+m.Name); err != nil {
				return nil, err
			}
			count++
		}
		for _, c := range m.Consts {
			if handWritten[c.Name] {
				continue
			}
			if err := declare(c.Name, "the constant for gen."+c.GenName); err != nil {
				return nil, err
			}
			g.Consts = append(g.Consts, c)
			count++
		}
		if !g.Skip || len(g.Consts) > 0 {
			out = append(out, g)
		}
	}
	data := map[string]any{
		"Package":    provider,
		"ImportName": genImportName,
		"ImportPath": genImportBase + "/" + provider,
		"Models":     out,
		"Empty":      count == 0,
	}
	return renderTemplate(modelsTemplate, data)
}
