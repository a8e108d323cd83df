package main

import (
	"context"
	"errors"
	"net/url"
	"path"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v3"

	"github.com/banklink/banklink/internal/timestamp"
)

// specgen reads format date-time as banklink does: RFC 3339, or the same
// without an offset (taken as UTC), which MoneyKit uses in its own examples.
// The generated bindings decode date-time fields with timestamp.Time, which
// accepts exactly these. kin-openapi validates a document's examples with its
// process-wide formats only, and specgen is its own process, so the format is
// replaced there.
func init() {
	openapi3.DefineStringFormatValidator("date-time", openapi3.NewCallbackValidator(func(s string) error {
		_, err := timestamp.Parse(s)
		return err
	}))
}

// checkSpec validates the spec source with kin-openapi, applies banklink's
// own rules, validates every example, and returns all findings sorted by
// line. file is used only to label the findings.
func checkSpec(file string, data []byte) []Finding {
	s, perr := parseSpec(file, data)
	if perr != nil {
		return []Finding{*perr}
	}
	l := lint(s)
	findings := l.findings

	doc, err := loadDoc(data, path.Base(file), true)
	if err != nil {
		// Without a document there is nothing for kin-openapi to validate
		// and no resolved schema to check examples against.
		return sortFindings(append(findings, l.loaderFindings(err)...))
	}
	examples := checkExamples(s, doc)
	findings = append(findings, examples...)
	err = doc.Validate(context.Background(), openapi3.EnableExamplesValidation(), openapi3.EnableMultiError())
	findings = append(findings, validationFindings(s, err, examples)...)
	return sortFindings(findings)
}

// loadDoc loads a spec with kin-openapi. External references are refused:
// the spec must be self-contained. name only labels origins.
func loadDoc(data []byte, name string, withOrigin bool) (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	loader.IncludeOrigin = withOrigin
	return loader.LoadFromDataWithPath(data, &url.URL{Path: name})
}

var (
	quotedRefRe = regexp.MustCompile(`"(#[^"]*)"`)
	lineRe      = regexp.MustCompile(`\bline (\d+)`)
	// fieldRe matches encoding/json type errors such as
	// "cannot unmarshal number -1 into field Schema.minLength".
	fieldRe = regexp.MustCompile(`cannot unmarshal (\w+)(?: (\S+))? into field \w+\.(\w+)`)
)

// loaderFindings locates an error from kin-openapi's loader. Loader errors
// carry no structure, so the location is recovered from the message: a
// quoted "#/..." reference is looked up among the spec's $refs, and a
// "line N" is used as is. Errors about a $ref the linter already reported
// as dangling (named whole or by its last token) are dropped as duplicates.
func (l *linter) loaderFindings(err error) []Finding {
	msg := "kin-openapi cannot load the spec: " + err.Error()
	for ref := range l.dangling {
		toks := splitPointer(strings.TrimPrefix(ref, "#"))
		if strings.Contains(err.Error(), ref) || (len(toks) > 0 && strings.Contains(err.Error(), strconv.Quote(toks[len(toks)-1]))) {
			return nil
		}
	}
	for _, m := range quotedRefRe.FindAllStringSubmatch(err.Error(), -1) {
		if ptr := l.refSite(m[1]); ptr != "" {
			return []Finding{l.finding(ptr, "%s", msg)}
		}
	}
	if m := fieldRe.FindStringSubmatch(err.Error()); m != nil {
		if ptr := l.fieldSite(m[3], m[2]); ptr != "" {
			return []Finding{l.finding(ptr, "%s", msg)}
		}
	}
	if m := lineRe.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		return []Finding{{File: l.file, Line: line, Pointer: l.pointerAtLine(line, ""), Message: msg}}
	}
	return []Finding{l.finding("", "%s", msg)}
}

// refSite returns the pointer of the first $ref in the spec whose value is
// ref, or "".
func (l *linter) refSite(ref string) string {
	best := ""
	for ptr := range l.lines {
		if !strings.HasSuffix(ptr, "/$ref") {
			continue
		}
		if n := l.lookup(ptr); n != nil && n.Value == ref && (best == "" || l.earlier(ptr, best)) {
			best = ptr
		}
	}
	return best
}

// fieldSite returns the pointer of the first key named field whose scalar
// value is value (any value when value is empty), or "".
func (l *linter) fieldSite(field, value string) string {
	best := ""
	for ptr := range l.lines {
		if !strings.HasSuffix(ptr, "/"+escapeToken(field)) {
			continue
		}
		n := l.lookup(ptr)
		if n == nil || (value != "" && n.Kind == yaml.ScalarNode && n.Value != value) {
			continue
		}
		if best == "" || l.earlier(ptr, best) {
			best = ptr
		}
	}
	return best
}

// earlier orders pointers by line, then by pointer, for a stable choice.
func (l *linter) earlier(a, b string) bool {
	if l.lines[a] != l.lines[b] {
		return l.lines[a] < l.lines[b]
	}
	return a < b
}

// componentSections maps kin-openapi's component labels to the keys of the
// components object.
var componentSections = map[string]string{
	"schema": "schemas", "parameter": "parameters", "header": "headers",
	"request body": "requestBodies", "response": "responses",
	"security scheme": "securitySchemes", "example": "examples",
	"link": "links", "callback": "callbacks",
}

// validationFindings locates the errors of doc.Validate. The context
// wrappers kin-openapi puts around each error (section, path, operation,
// component) give the JSON pointer; the Origin recorded on the innermost
// error gives the line, which refines the pointer further. Example errors
// already reported by checkExamples are dropped as duplicates.
func validationFindings(s *spec, err error, examples []Finding) []Finding {
	var out []Finding
	var walk func(err error, ptr string)
	walk = func(err error, ptr string) {
		switch e := err.(type) {
		case nil:
			return
		case openapi3.MultiError:
			for _, inner := range e {
				walk(inner, ptr)
			}
			return
		case *openapi3.SectionValidationError:
			if e.Section == "external docs" {
				walk(e.Cause, join(ptr, "externalDocs"))
			} else {
				walk(e.Cause, join("", e.Section))
			}
			return
		case *openapi3.PathValidationError:
			walk(e.Cause, join("/paths", e.Path))
			return
		case *openapi3.WebhookValidationError:
			walk(e.Cause, join("/webhooks", e.Name))
			return
		case *openapi3.OperationValidationError:
			walk(e.Cause, join(ptr, strings.ToLower(e.Method)))
			return
		case *openapi3.ComponentValidationError:
			if section, ok := componentSections[e.Section]; ok {
				walk(e.Cause, join("/components", section, e.Name))
				return
			}
		}
		f := locateError(s, err, ptr)
		var sve *openapi3.SchemaValueError
		if errors.As(err, &sve) && strings.HasPrefix(sve.ValueKind, "example") && reportedUnder(examples, f.Pointer) {
			return
		}
		out = append(out, f)
	}
	walk(err, "")
	return out
}

// locateError builds the finding for one kin-openapi validation error whose
// context pointer is ptr.
func locateError(s *spec, err error, ptr string) Finding {
	msg := oneLine(err.Error())
	// The origin of a path parameter mismatch is the path item, but the
	// operation is the one to fix.
	var ppe *openapi3.PathParametersError
	if errors.As(err, &ppe) {
		return s.finding(join("/paths", ppe.Path, strings.ToLower(ppe.Method)), "%s", msg)
	}
	// Some messages name the exact pointer themselves; that beats origins.
	named := false
	for _, m := range msgPointerRe.FindAllString(msg, -1) {
		if _, ok := s.lines[m]; ok && strings.HasPrefix(m, ptr) && len(m) > len(ptr) {
			ptr, named = m, true
		}
	}
	f := s.finding(ptr, "%s", msg)
	if named {
		return f
	}
	if line := originLine(err); line > 0 {
		f.Line = line
		f.Pointer = s.pointerAtLine(line, ptr)
	}
	return f
}

// msgPointerRe matches JSON pointers quoted in kin-openapi messages.
var msgPointerRe = regexp.MustCompile(`/(?:paths|components|webhooks)/[^\s"',)]+`)

// oneLine drops the schema and value dumps kin-openapi appends to schema
// errors and folds the rest onto one line.
func oneLine(msg string) string {
	if i := strings.Index(msg, "\nSchema:"); i >= 0 {
		msg = msg[:i]
	}
	return strings.Join(strings.Fields(msg), " ")
}

var originType = reflect.TypeFor[*openapi3.Origin]()

// originLine returns the line of the innermost error in err's chain that
// carries a kin-openapi Origin, or 0.
func originLine(err error) int {
	line := 0
	for e := err; e != nil; e = errors.Unwrap(e) {
		v := reflect.ValueOf(e)
		for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
			if v.IsNil() {
				break
			}
			v = v.Elem()
		}
		if v.Kind() != reflect.Struct {
			continue
		}
		if fv := v.FieldByName("Origin"); fv.IsValid() && fv.Type() == originType && !fv.IsNil() {
			if o := fv.Interface().(*openapi3.Origin); o.Key != nil && o.Key.Line > 0 {
				line = o.Key.Line
			}
		}
	}
	return line
}

// reportedUnder reports whether one of fs is located at or below ptr.
func reportedUnder(fs []Finding, ptr string) bool {
	for _, f := range fs {
		if f.Pointer == ptr || strings.HasPrefix(f.Pointer, ptr+"/") {
			return true
		}
	}
	return false
}
