package testkit

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/internal/opmeta"
)

// Module is banklink's module path.
const Module = "github.com/banklink/banklink"

// HeavyDeps are parts of import paths that a program using only a provider
// client must not link: the spec parser, YAML, the Redis and SQL drivers,
// JWT, the CLI framework, OpenTelemetry and the browser driver.
var HeavyDeps = []string{"kin-openapi", "yaml", "redis", "jwt", "jwkset", "keyfunc", "cobra", "opentelemetry", "otel", "chromedp", "sqlite", "pgx"}

// Deps lists what a program that imports only pkg links (go list -deps of
// the package: the program's own imports add only the standard library).
func Deps(t testing.TB, pkg string) []string {
	t.Helper()
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(goBin, "list", "-deps", pkg).CombinedOutput()
	require.NoError(t, err, string(out))
	deps := strings.Fields(string(out))
	require.Contains(t, deps, pkg, "the list is the package's, not an error's")
	return deps
}

// CheckDeps fails for every package pkg links whose import path contains
// one of forbidden, and requires each of required to be linked (proof that
// the list is the package's).
func CheckDeps(t testing.TB, pkg string, required []string, forbidden ...string) {
	t.Helper()
	deps := Deps(t, pkg)
	for _, r := range required {
		require.Contains(t, deps, r, "%s links %s", pkg, r)
	}
	short := strings.TrimPrefix(pkg, Module+"/")
	for _, d := range deps {
		for _, f := range forbidden {
			assert.NotContains(t, d, f, "%s links %s", short, d)
		}
	}
}

// CheckOperationsCovered fails when an operation of a generated table has
// no method in the package at pkgDir: every constant of type Op (the
// table's index type, gen/<provider>.Op) that operations.gen.go declares
// must be named by the package's non-test code (a service method's
// transport.Do, or the token fetch), in the table's order, and the package
// names nothing but those constants.
func CheckOperationsCovered[Op interface {
	~int
	String() string
}](t testing.TB, pkgDir string, table []opmeta.Operation) {
	t.Helper()
	genPath := reflect.TypeFor[Op]().PkgPath()
	root := moduleRoot(t, pkgDir)
	declared := opConstants(t, filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(genPath, Module+"/")), "operations.gen.go"))
	require.Len(t, declared, len(table), "one Op constant per operation")
	for i, op := range table {
		name := Op(i).String()
		require.Equal(t, op.ID, name)
		assert.Contains(t, declared, "Op"+strings.ToUpper(name[:1])+name[1:], "the constant of %s", name)
	}
	abs, err := filepath.Abs(pkgDir)
	require.NoError(t, err)
	rel, err := filepath.Rel(root, abs)
	require.NoError(t, err)
	pkg := filepath.ToSlash(rel)
	used := opsUsed(t, pkgDir, genPath)
	for _, name := range declared {
		assert.Contains(t, used, name, "gen.%s (%s) has no method in %s", name, table[slices.Index(declared, name)].ID, pkg)
	}
	for _, name := range used {
		assert.Contains(t, declared, name, "%s names gen.%s, which is no operation", pkg, name)
	}
}

// moduleRoot is the directory of the go.mod above dir.
func moduleRoot(t testing.TB, dir string) string {
	t.Helper()
	d, err := filepath.Abs(dir)
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		parent := filepath.Dir(d)
		require.NotEqual(t, d, parent, "no go.mod above %s", dir)
		d = parent
	}
}

// opConstants returns the names of the constants of type Op that file
// declares, in declaration order (the table's order).
func opConstants(t testing.TB, file string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.SkipObjectResolution)
	require.NoError(t, err)
	var names []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); ok && id.Name == "Op" {
				for _, n := range vs.Names {
					names = append(names, n.Name)
				}
			}
		}
	}
	return names
}

// opsUsed returns, sorted and without repeats, every OpXxx selected from
// the package importPath in the non-test Go files of dir, whatever name
// each file imports it under.
func opsUsed(t testing.TB, dir, importPath string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	require.NoError(t, err)
	var used []string
	parsed := 0
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		parsed++
		local := ""
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == importPath {
				local = filepath.Base(p)
				if imp.Name != nil {
					local = imp.Name.Name
				}
			}
		}
		if local == "" {
			continue
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if x, ok := sel.X.(*ast.Ident); ok && x.Name == local && isOpConstant(sel.Sel.Name) {
					used = append(used, sel.Sel.Name)
				}
			}
			return true
		})
	}
	require.NotZero(t, parsed, "no Go files in %s", dir)
	slices.Sort(used)
	return slices.Compact(used)
}

// isOpConstant reports whether name has the form of an Op constant, OpXxx
// (not Op itself, nor Operations).
func isOpConstant(name string) bool {
	return len(name) > 2 && strings.HasPrefix(name, "Op") && name[2] >= 'A' && name[2] <= 'Z'
}
