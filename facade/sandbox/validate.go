package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/banklink/banklink/internal/timestamp"
)

// violation is one request-validation failure. Messages are built from the
// schema only, never from the request's values, which may be personal data.
type violation struct {
	loc []any
	msg string
	typ string
}

var validationOptions = &openapi3filter.Options{
	MultiError:          true,
	AuthenticationFunc:  openapi3filter.NoopAuthenticationFunc,
	SkipSettingDefaults: true,
	SchemaValidationOptions: []openapi3.SchemaValidationOption{
		openapi3.DisableSchemaErrorDetails(),
		openapi3.WithStringFormatValidators(map[string]openapi3.StringFormatValidator{
			"uri":       openapi3.NewCallbackValidator(validateURI),
			"email":     openapi3.NewCallbackValidator(validateEmail),
			"date-time": openapi3.NewCallbackValidator(validateDateTime),
		}),
	},
}

func validateURI(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || (u.Host == "" && u.Opaque == "") {
		return errors.New("not an absolute URI")
	}
	return nil
}

// validateDateTime reads date-time as the spec does: RFC 3339, or the same
// without an offset, taken as UTC.
func validateDateTime(s string) error {
	if _, err := timestamp.Parse(s); err != nil {
		return errors.New("not a date-time")
	}
	return nil
}

func validateEmail(s string) error {
	a, err := mail.ParseAddress(s)
	// A customer's address needs a dotted domain, as banklink's client-side
	// check requires (the differential test keeps the two in step).
	if err != nil || a.Address != s || !strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".") {
		return errors.New("not an email address")
	}
	return nil
}

// validate checks the request against the operation's spec and the
// x-banklink-* rules, and records the decoded body and requestKey.
func (s *Sandbox) validate(r *http.Request, op *opInfo, rs *reqState) []violation {
	var out []violation
	for _, p := range op.pathParams {
		if v := checkString(p.schema, r.PathValue(p.name)); v != nil {
			v.loc = []any{"path", p.name}
			out = append(out, *v)
		}
	}
	if (!op.hasBody && !op.hasQuery) || len(out) > 0 {
		return out
	}
	// MoneyKit's token endpoint answers its own 400/401 (see mkServer).
	if op.id == "createAccessToken" {
		return nil
	}
	in := &openapi3filter.RequestValidationInput{
		Request:    r,
		PathParams: pathParamsOf(r, op),
		Route:      op.route,
		Options:    validationOptions,
	}
	if err := openapi3filter.ValidateRequest(r.Context(), in); err != nil {
		collectViolations(err, nil, &out)
		if len(out) == 0 {
			out = append(out, violation{loc: []any{"body"}, msg: "Invalid request", typ: "value_error"})
		}
		return out
	}
	if op.bodySchema == nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(rs.body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return []violation{{loc: []any{"body"}, msg: "Invalid JSON", typ: "json_invalid"}}
	}
	rs.json = v
	checkExtensions(op.bodySchema, v, []any{"body"}, &out)
	return out
}

func pathParamsOf(r *http.Request, op *opInfo) map[string]string {
	if len(op.pathParams) == 0 {
		return nil
	}
	m := make(map[string]string, len(op.pathParams))
	for _, p := range op.pathParams {
		m[p.name] = r.PathValue(p.name)
	}
	return m
}

var (
	patternMu    sync.Mutex
	patternCache = map[string]*regexp.Regexp{}
)

func compiledPattern(p string) *regexp.Regexp {
	patternMu.Lock()
	defer patternMu.Unlock()
	re, ok := patternCache[p]
	if !ok {
		re, _ = regexp.Compile(p)
		patternCache[p] = re
	}
	return re
}

// checkString validates a string against the string constraints of a schema.
// It serves path parameters, which the hot path checks without kin-openapi.
func checkString(sc *openapi3.Schema, v string) *violation {
	if sc == nil {
		return nil
	}
	n := uint64(utf8.RuneCountInString(v))
	switch {
	case n < sc.MinLength:
		return &violation{msg: fmt.Sprintf("String should have at least %d characters", sc.MinLength), typ: "string_too_short"}
	case sc.MaxLength != nil && n > *sc.MaxLength:
		return &violation{msg: fmt.Sprintf("String should have at most %d characters", *sc.MaxLength), typ: "string_too_long"}
	case sc.Pattern != "":
		if re := compiledPattern(sc.Pattern); re != nil && !re.MatchString(v) {
			return &violation{msg: fmt.Sprintf("String should match pattern '%s'", sc.Pattern), typ: "string_pattern_mismatch"}
		}
	}
	if len(sc.Enum) > 0 {
		for _, e := range sc.Enum {
			if e == v {
				return nil
			}
		}
		return &violation{msg: "Input should be " + enumList(sc.Enum), typ: "enum"}
	}
	return nil
}

// collectViolations turns kin-openapi's errors into violations, taking
// messages from the schema rather than from the errors' text.
func collectViolations(err error, loc []any, out *[]violation) {
	if me, ok := err.(openapi3.MultiError); ok {
		for _, e := range me {
			collectViolations(e, loc, out)
		}
		return
	}
	switch e := err.(type) {
	case *openapi3filter.RequestError:
		l := loc
		switch {
		case e.Parameter != nil:
			l = []any{e.Parameter.In, e.Parameter.Name}
		case e.RequestBody != nil:
			l = []any{"body"}
		}
		if e.Err == nil {
			msg, typ := "Invalid request", "value_error"
			if strings.HasPrefix(e.Reason, "header Content-Type") {
				msg, typ = "Unsupported content type", "content_type"
			}
			*out = append(*out, violation{loc: l, msg: msg, typ: typ})
			return
		}
		collectViolations(e.Err, l, out)
	case *openapi3.SchemaError:
		l := append(append([]any(nil), loc...), pointerLoc(e.JSONPointer())...)
		switch e.SchemaField {
		case "allOf", "anyOf", "oneOf", "not":
			if e.Origin != nil {
				// The inner errors carry the whole path already.
				collectViolations(e.Origin, loc, out)
				return
			}
		}
		msg, typ := schemaMessage(e)
		*out = append(*out, violation{loc: l, msg: msg, typ: typ})
	case *openapi3filter.ParseError:
		*out = append(*out, violation{loc: loc, msg: "Invalid request encoding", typ: "json_invalid"})
	default:
		switch {
		case errors.Is(err, openapi3filter.ErrInvalidRequired):
			*out = append(*out, violation{loc: loc, msg: "Field required", typ: "missing"})
		case errors.Is(err, openapi3filter.ErrInvalidEmptyValue):
			*out = append(*out, violation{loc: loc, msg: "Value must not be empty", typ: "missing"})
		default:
			var se *openapi3.SchemaError
			if errors.As(err, &se) {
				collectViolations(se, loc, out)
				return
			}
			*out = append(*out, violation{loc: loc, msg: "Invalid value", typ: "value_error"})
		}
	}
}

func pointerLoc(p []string) []any {
	out := make([]any, len(p))
	for i, s := range p {
		if n, err := strconv.Atoi(s); err == nil && n >= 0 {
			out[i] = n
		} else {
			out[i] = s
		}
	}
	return out
}

func schemaMessage(e *openapi3.SchemaError) (msg, typ string) {
	sc := e.Schema
	if sc == nil {
		return "Invalid value", "value_error"
	}
	switch e.SchemaField {
	case "required":
		return "Field required", "missing"
	case "type":
		t := strings.Join(sc.Type.Slice(), " or ")
		return "Input should be a valid " + t, t + "_type"
	case "minLength":
		return fmt.Sprintf("String should have at least %d characters", sc.MinLength), "string_too_short"
	case "maxLength":
		if sc.MaxLength != nil {
			return fmt.Sprintf("String should have at most %d characters", *sc.MaxLength), "string_too_long"
		}
	case "pattern":
		return fmt.Sprintf("String should match pattern '%s'", sc.Pattern), "string_pattern_mismatch"
	case "enum":
		return "Input should be " + enumList(sc.Enum), "enum"
	case "format":
		return "Input should be a valid " + sc.Format, "value_error"
	case "minimum", "exclusiveMinimum":
		if sc.Min != nil {
			if sc.ExclusiveMin.IsTrue() || e.SchemaField == "exclusiveMinimum" {
				return "Input should be greater than " + fmtNum(*sc.Min), "greater_than"
			}
			return "Input should be greater than or equal to " + fmtNum(*sc.Min), "greater_than_equal"
		}
	case "maximum", "exclusiveMaximum":
		if sc.Max != nil {
			if sc.ExclusiveMax.IsTrue() || e.SchemaField == "exclusiveMaximum" {
				return "Input should be less than " + fmtNum(*sc.Max), "less_than"
			}
			return "Input should be less than or equal to " + fmtNum(*sc.Max), "less_than_equal"
		}
	case "minItems":
		return fmt.Sprintf("List should have at least %d items", sc.MinItems), "too_short"
	case "maxItems":
		if sc.MaxItems != nil {
			return fmt.Sprintf("List should have at most %d items", *sc.MaxItems), "too_long"
		}
	case "additionalProperties":
		return "Extra inputs are not permitted", "extra_forbidden"
	}
	return "Invalid value", "value_error"
}

func fmtNum(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func enumList(vals []any) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = fmt.Sprintf("'%v'", v)
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
}

// checkExtensions applies the x-banklink-* rules that plain JSON Schema
// cannot express: x-banklink-requires (cross-field rules),
// x-banklink-decimal-places and x-banklink-no-query.
func checkExtensions(sc *openapi3.Schema, v any, loc []any, out *[]violation) {
	if sc == nil || v == nil {
		return
	}
	for _, sub := range sc.AllOf {
		if sub != nil {
			checkExtensions(sub.Value, v, loc, out)
		}
	}
	switch val := v.(type) {
	case map[string]any:
		if rules, ok := sc.Extensions["x-banklink-requires"].([]any); ok {
			for _, rule := range rules {
				checkRequires(rule, val, loc, out)
			}
		}
		for name, p := range sc.Properties {
			if pv, ok := val[name]; ok && p != nil {
				checkExtensions(p.Value, pv, appendLoc(loc, name), out)
			}
		}
	case []any:
		if sc.Items != nil {
			for i, item := range val {
				checkExtensions(sc.Items.Value, item, appendLoc(loc, i), out)
			}
		}
	case json.Number:
		if !numberInBounds(string(val)) {
			*out = append(*out, violation{loc: loc, msg: fmt.Sprintf("Input should have at most %d digits and an exponent of at most %d", maxNumberDigits, maxNumberExponent), typ: "decimal_max_digits"})
			return
		}
		if dp, ok := sc.Extensions["x-banklink-decimal-places"].(float64); ok && !hasDecimalPlaces(string(val), int(dp)) {
			*out = append(*out, violation{loc: loc, msg: fmt.Sprintf("Input should have at most %d decimal places", int(dp)), typ: "decimal_max_places"})
		}
	case string:
		if nq, _ := sc.Extensions["x-banklink-no-query"].(bool); nq && strings.ContainsAny(val, "?") {
			*out = append(*out, violation{loc: loc, msg: "URL should not contain query parameters", typ: "url_query"})
		}
	}
}

// checkRequires applies one {if, then, equals} rule to an object.
func checkRequires(rule any, obj map[string]any, loc []any, out *[]violation) {
	m, ok := rule.(map[string]any)
	if !ok {
		return
	}
	ifField, _ := m["if"].(string)
	thenField, _ := m["then"].(string)
	if ifField == "" || thenField == "" {
		return
	}
	if v, present := obj[ifField]; !present || v == nil {
		return
	}
	got, present := obj[thenField]
	if !present || got == nil {
		*out = append(*out, violation{
			loc: appendLoc(loc, thenField),
			msg: fmt.Sprintf("Field required when %s is given", ifField),
			typ: "missing",
		})
		return
	}
	if want, ok := m["equals"]; ok && fmt.Sprint(got) != fmt.Sprint(want) {
		*out = append(*out, violation{
			loc: appendLoc(loc, thenField),
			msg: fmt.Sprintf("Input should be '%v' when %s is given", want, ifField),
			typ: "value_error",
		})
	}
}

func appendLoc(loc []any, seg any) []any {
	return append(append(make([]any, 0, len(loc)+1), loc...), seg)
}

// Bounds on a JSON number in a request body. Exact decimal arithmetic on a
// number costs time that grows faster than its length (a 900,000-digit
// amount took seconds), and no amount needs more than a few dozen digits.
const (
	maxNumberDigits   = 32
	maxNumberExponent = 32
)

// numberInBounds reports whether the JSON number s has at most
// maxNumberDigits digits in its mantissa and an exponent whose magnitude is
// at most maxNumberExponent.
func numberInBounds(s string) bool {
	mant, exp, hasExp := strings.Cut(strings.ToLower(s), "e")
	digits := 0
	for i := 0; i < len(mant); i++ {
		if mant[i] >= '0' && mant[i] <= '9' {
			digits++
		}
	}
	if digits > maxNumberDigits {
		return false
	}
	if hasExp {
		exp = strings.TrimLeft(exp, "+-")
		if len(exp) > 3 {
			return false
		}
		n, err := strconv.Atoi(exp)
		if err != nil || n > maxNumberExponent {
			return false
		}
	}
	return true
}

// hasDecimalPlaces reports whether the JSON number s has at most places
// fraction digits (after normalising any exponent).
func hasDecimalPlaces(s string, places int) bool {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return false
	}
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil)
	return new(big.Rat).Mul(r, new(big.Rat).SetInt(scale)).IsInt()
}

// writeValidation answers violations in the provider's validation shape:
// MoneyKit 422 api_error.request.validation_failed with validation_errors,
// Link Money 400 BAD_REQUEST with the violations summarised in errorMessage.
func (s *Sandbox) writeValidation(w http.ResponseWriter, provider string, vs []violation) {
	if provider == provLinkMoney {
		parts := make([]string, len(vs))
		for i, v := range vs {
			parts[i] = locString(v.loc) + ": " + v.msg
		}
		s.writeLM(w, http.StatusBadRequest, "BAD_REQUEST", "Invalid request: "+strings.Join(parts, "; "))
		return
	}
	list := make([]mkViolation, len(vs))
	for i, v := range vs {
		list[i] = mkViolation{Location: v.loc, Message: v.msg, Type: v.typ}
	}
	writeJSON(w, http.StatusUnprocessableEntity, mkValidation(list...))
}

func locString(loc []any) string {
	parts := make([]string, len(loc))
	for i, l := range loc {
		parts[i] = fmt.Sprint(l)
	}
	return strings.Join(parts, ".")
}

// requestKeyOf returns the Link Money requestKey a body carries: the
// operation's idempotency key, or paymentDetails.requestKey of a session.
func requestKeyOf(op *opInfo, body []byte) string {
	if op.provider != provLinkMoney || len(body) == 0 || op.bodySchema == nil {
		return ""
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return ""
	}
	raw := m[op.idemKey]
	if op.idemKey == "" {
		var pd struct {
			RequestKey string `json:"requestKey"`
		}
		if json.Unmarshal(m["paymentDetails"], &pd) == nil {
			return pd.RequestKey
		}
		return ""
	}
	var k string
	_ = json.Unmarshal(raw, &k)
	return k
}
