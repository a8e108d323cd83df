package moneykit_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	gen "github.com/banklink/banklink/gen/moneykit"
)

const genPath = "github.com/banklink/banklink/gen/moneykit"

// TestEveryOperationHasAMethod fails when an operation of the generated
// table has no method here: every Op constant of gen/moneykit must be named
// by the package's code (a service method's transport.Do, or the token
// fetch), and nothing but those constants.
func TestEveryOperationHasAMethod(t *testing.T) {
	declared := opConstants(t, filepath.Join("..", "..", "gen", "moneykit", "operations.gen.go"))
	require.Len(t, declared, len(gen.Operations), "one Op constant per operation")
	for i, op := range gen.Operations {
		name := gen.Op(i).String()
		require.Equal(t, op.ID, name)
		assert.Contains(t, declared, "Op"+strings.ToUpper(name[:1])+name[1:], "the constant of %s", name)
	}
	used := opsUsed(t, ".", genPath)
	for _, name := range declared {
		assert.Contains(t, used, name, "gen.%s (%s) has no method in facade/moneykit", name, gen.Operations[slices.Index(declared, name)].ID)
	}
	for _, name := range used {
		assert.Contains(t, declared, name, "facade/moneykit names gen.%s, which is no operation", name)
	}
}

// opConstants returns the names of the constants of type Op that file
// declares, in declaration order (the table's order).
func opConstants(t *testing.T, file string) []string {
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
func opsUsed(t *testing.T, dir, importPath string) []string {
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
