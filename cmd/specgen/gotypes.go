package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"strings"
)

// goPackage is what specgen reads back from oapi-codegen's output: the type
// declarations, so the generated validators follow the Go shapes
// oapi-codegen chose (pointer or value, nullable.Nullable, named enum types,
// x-go-type overrides) instead of guessing them.
type goPackage struct {
	types map[string]*ast.TypeSpec
}

func parseGoPackage(code string) (*goPackage, error) {
	f, err := parser.ParseFile(token.NewFileSet(), "gen.go", code, parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("reading oapi-codegen output: %w", err)
	}
	p := &goPackage{types: map[string]*ast.TypeSpec{}}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.TYPE {
			continue
		}
		for _, s := range gd.Specs {
			ts := s.(*ast.TypeSpec)
			p.types[ts.Name.Name] = ts
		}
	}
	return p, nil
}

// goField is one struct field, found by its JSON name.
type goField struct {
	name      string
	typ       ast.Expr
	omitEmpty bool
	omitZero  bool
}

// fields maps the JSON names of struct type name's fields to the fields.
func (p *goPackage) fields(name string) (map[string]goField, bool) {
	ts := p.types[name]
	if ts == nil {
		return nil, false
	}
	st, ok := ts.Type.(*ast.StructType)
	if !ok {
		return nil, false
	}
	out := map[string]goField{}
	for _, f := range st.Fields.List {
		if f.Tag == nil || len(f.Names) != 1 {
			continue
		}
		tag := reflect.StructTag(strings.Trim(f.Tag.Value, "`")).Get("json")
		jname, opts, _ := strings.Cut(tag, ",")
		if jname == "" || jname == "-" {
			continue
		}
		omit, zero := false, false
		for _, o := range strings.Split(opts, ",") {
			omit = omit || o == "omitempty"
			zero = zero || o == "omitzero"
		}
		out[jname] = goField{name: f.Names[0].Name, typ: f.Type, omitEmpty: omit, omitZero: zero}
	}
	return out, true
}

// shape is how a Go type holds a JSON value.
type shape int

const (
	shapeOpaque   shape = iota // a type specgen cannot look into (x-go-type, time.Time, uuid)
	shapeString                // string or a type whose underlying type is string
	shapeNumber                // json.Number
	shapeInt                   // Go integer types
	shapeFloat                 // float32, float64
	shapeBool                  // bool
	shapePointer               // *T
	shapeNullable              // nullable.Nullable[T]
	shapeSlice                 // []T
	shapeMap                   // map[string]T
	shapeStruct                // a struct type declared in the package
	shapeAny                   // interface{}
)

// goType is a resolved Go type.
type goType struct {
	shape shape
	name  string   // for shapeStruct: the type name
	conv  string   // for scalars of a named type: the conversion to the basic type ("string")
	elem  ast.Expr // for pointer, nullable, slice, map
}

func (p *goPackage) resolve(e ast.Expr) (goType, error) {
	switch t := e.(type) {
	case *ast.StarExpr:
		return goType{shape: shapePointer, elem: t.X}, nil
	case *ast.ArrayType:
		if t.Len != nil {
			return goType{shape: shapeOpaque}, nil
		}
		return goType{shape: shapeSlice, elem: t.Elt}, nil
	case *ast.MapType:
		return goType{shape: shapeMap, elem: t.Value}, nil
	case *ast.InterfaceType:
		return goType{shape: shapeAny}, nil
	case *ast.IndexExpr:
		if sel, ok := t.X.(*ast.SelectorExpr); ok && sel.Sel.Name == "Nullable" {
			return goType{shape: shapeNullable, elem: t.Index}, nil
		}
		return goType{shape: shapeOpaque}, nil
	case *ast.SelectorExpr:
		switch exprString(t) {
		case "json.Number":
			return goType{shape: shapeNumber, conv: "string"}, nil
		case "openapi_types.Email":
			return goType{shape: shapeString, conv: "string"}, nil
		}
		return goType{shape: shapeOpaque}, nil
	case *ast.Ident:
		switch t.Name {
		case "string":
			return goType{shape: shapeString}, nil
		case "bool":
			return goType{shape: shapeBool}, nil
		case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
			return goType{shape: shapeInt, conv: "float64"}, nil
		case "float32", "float64":
			return goType{shape: shapeFloat, conv: "float64"}, nil
		case "any":
			return goType{shape: shapeAny}, nil
		}
		ts := p.types[t.Name]
		if ts == nil {
			return goType{}, fmt.Errorf("unknown Go type %s", t.Name)
		}
		if _, ok := ts.Type.(*ast.StructType); ok {
			return goType{shape: shapeStruct, name: t.Name}, nil
		}
		under, err := p.resolve(ts.Type)
		if err != nil {
			return goType{}, err
		}
		if ts.Assign.IsValid() {
			return under, nil // alias
		}
		switch under.shape {
		case shapeString:
			under.conv = "string"
		case shapeNumber:
			under.conv = "string"
		case shapeInt, shapeFloat:
			under.conv = "float64"
		}
		return under, nil
	}
	return goType{shape: shapeOpaque}, nil
}

func exprString(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.Ident:
		return t.Name
	case *ast.SelectorExpr:
		return exprString(t.X) + "." + t.Sel.Name
	case *ast.StarExpr:
		return "*" + exprString(t.X)
	}
	return fmt.Sprintf("%T", e)
}

// allFields lists every field of struct type name, tagged or not: what
// encoding/json's omitzero compares with the zero value.
func (p *goPackage) allFields(name string) ([]goField, bool) {
	ts := p.types[name]
	if ts == nil {
		return nil, false
	}
	st, ok := ts.Type.(*ast.StructType)
	if !ok {
		return nil, false
	}
	var out []goField
	for _, f := range st.Fields.List {
		for _, n := range f.Names {
			out = append(out, goField{name: n.Name, typ: f.Type})
		}
	}
	return out, true
}
