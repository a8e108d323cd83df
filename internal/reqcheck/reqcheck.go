// Package reqcheck is the run-time support of the request validators that
// cmd/specgen generates: every request type in gen/<provider> has a
// Validate() error method compiled from the spec's constraints, and those
// methods report through a Checker.
//
// A Checker keeps the current JSON path on a fixed-size stack and builds
// strings only when it records a violation, so validating a valid request
// allocates nothing. Messages name the field and the rule, never the value:
// request fields carry secrets and customer PII.
package reqcheck

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
)

// ErrInvalid is matched (errors.Is) by every *Error.
var ErrInvalid = errors.New("banklink: invalid request")

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
	// "nullable" or "type".
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

// Error reports that a request breaks the spec's constraints, with every
// violation found. Operation is the operationId when the facade refused a
// call, and empty when Validate was called directly.
type Error struct {
	Operation  string
	Violations []Violation
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("banklink: invalid ")
	if e.Operation != "" {
		b.WriteString(e.Operation)
		b.WriteString(" request (nothing was sent): ")
	} else {
		b.WriteString("request: ")
	}
	for i, v := range e.Violations {
		if i > 0 {
			b.WriteString("; ")
		}
		path := v.Path
		if path == "" {
			path = "(request)"
		}
		b.WriteString(path)
		b.WriteString(": ")
		b.WriteString(v.Rule)
		if v.Message != "" {
			b.WriteString(" (")
			b.WriteString(v.Message)
			b.WriteByte(')')
		}
	}
	return b.String()
}

// Is matches ErrInvalid.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// maxDepth bounds the path stack; deeper paths are truncated in messages
// (no request schema nests this deep).
const maxDepth = 24

type seg struct {
	name string
	idx  int // >= 0 for an array index
}

// Checker collects violations. The zero value checks a request body; use
// it by pointer, on the stack of one Validate call.
type Checker struct {
	in   string // "" for the body, else the parameter location
	segs [maxDepth]seg
	n    int // logical depth (may exceed maxDepth)
	out  []Violation
}

// Push enters the property name.
func (c *Checker) Push(name string) {
	if c.n < maxDepth {
		c.segs[c.n] = seg{name: name, idx: -1}
	}
	c.n++
}

// PushIndex enters array item i.
func (c *Checker) PushIndex(i int) {
	if c.n < maxDepth {
		c.segs[c.n] = seg{idx: i}
	}
	c.n++
}

// Pop leaves the innermost property or item.
func (c *Checker) Pop() { c.n-- }

// Param starts checking the parameter name in location in ("path",
// "query", "header").
func (c *Checker) Param(in, name string) {
	c.in = in
	c.n = 0
	c.Push(name)
}

// Err returns nil when nothing was recorded, else an *Error with every
// violation.
func (c *Checker) Err() error {
	if len(c.out) == 0 {
		return nil
	}
	return &Error{Violations: c.out}
}

func (c *Checker) depth() int { return min(c.n, maxDepth) }

// Pointer is the current JSON pointer (or "in/name" for a parameter).
func (c *Checker) Pointer() string {
	var b strings.Builder
	b.WriteString(c.in)
	for _, s := range c.segs[:c.depth()] {
		if b.Len() > 0 || c.in == "" {
			b.WriteByte('/')
		}
		if s.idx >= 0 {
			b.WriteString(strconv.Itoa(s.idx))
			continue
		}
		writeToken(&b, s.name)
	}
	return b.String()
}

// writeToken writes one JSON-pointer token, escaping ~ and / (RFC 6901).
func writeToken(b *strings.Builder, name string) {
	for i := 0; i < len(name); i++ {
		switch name[i] {
		case '~':
			b.WriteString("~0")
		case '/':
			b.WriteString("~1")
		default:
			b.WriteByte(name[i])
		}
	}
}

// Field is the current field as a reader writes it ("customer_user.id",
// "link_tags[2]"), "request body" at the top.
func (c *Checker) Field() string {
	var b strings.Builder
	if c.in != "" {
		b.WriteString(c.in)
		b.WriteString(" parameter ")
	}
	for i, s := range c.segs[:c.depth()] {
		if s.idx >= 0 {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.idx))
			b.WriteByte(']')
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.name)
	}
	if b.Len() == 0 {
		return "request body"
	}
	return b.String()
}

// Add records a violation of rule at the current path.
func (c *Checker) Add(rule, msg string) {
	c.out = append(c.out, Violation{Path: c.Pointer(), Rule: rule, Message: msg})
}

// Required records that the current field is missing.
func (c *Checker) Required() { c.Add("required", c.Field()+" is required") }

// Null records that the current field is null but may not be.
func (c *Checker) Null() { c.Add("nullable", c.Field()+" must not be null") }

// MissingBody records that a required request body is nil.
func (c *Checker) MissingBody() { c.Add("required", "request body is required") }

// Length checks the length of s in characters (code points); max < 0 means
// unbounded.
func (c *Checker) Length(s string, minLen, maxLen int) {
	n := runeCount(s)
	switch {
	case n < minLen:
		c.Add("minLength", c.lengthMessage(minLen, maxLen))
	case maxLen >= 0 && n > maxLen:
		c.Add("maxLength", c.lengthMessage(minLen, maxLen))
	}
}

func (c *Checker) lengthMessage(minLen, maxLen int) string {
	f := c.Field()
	switch {
	case minLen > 0 && maxLen >= 0 && minLen == maxLen:
		return f + " must be exactly " + count(minLen, "character")
	case minLen > 0 && maxLen >= 0:
		return f + " must be " + strconv.Itoa(minLen) + " to " + strconv.Itoa(maxLen) + " characters"
	case minLen > 0:
		return f + " must be at least " + count(minLen, "character")
	}
	return f + " must be at most " + count(maxLen, "character")
}

func count(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// Pattern checks s against re, whose source src the message quotes.
func (c *Checker) Pattern(s string, re *regexp.Regexp, src string) {
	if !re.MatchString(s) {
		c.Add("pattern", c.Field()+" must match the pattern "+src)
	}
}

// Enum checks that s is one of allowed.
func (c *Checker) Enum(s string, allowed []string) {
	for _, a := range allowed {
		if s == a {
			return
		}
	}
	c.Add("enum", c.Field()+" must be one of "+strings.Join(allowed, ", "))
}

// Format is a string format the validators enforce.
type Format uint8

const (
	FormatDateTime Format = iota + 1
	FormatEmail
	FormatURI
)

// Format checks s against format f.
func (c *Checker) Format(s string, f Format) {
	switch f {
	case FormatDateTime:
		if !validDateTime(s) {
			c.Add("format", c.Field()+" must be an RFC 3339 date-time, or one without an offset (read as UTC)")
		}
	case FormatEmail:
		if !validEmail(s) {
			c.Add("format", c.Field()+" must be an email address")
		}
	case FormatURI:
		if !validAbsoluteURL(s) {
			c.Add("format", c.Field()+" must be an absolute URL with a scheme and a host")
		}
	}
}

// NoQuery checks that the URL s has no query and no fragment
// (x-banklink-no-query).
func (c *Checker) NoQuery(s string) {
	if strings.ContainsAny(s, "?#") {
		c.Add("noQuery", c.Field()+" must not have query parameters or a fragment")
	}
}

// Items checks an array's length; max < 0 means unbounded.
func (c *Checker) Items(n, minItems, maxItems int) {
	if n < minItems {
		c.Add("minItems", c.Field()+" must have at least "+count(minItems, "item"))
	}
	if maxItems >= 0 && n > maxItems {
		c.Add("maxItems", c.Field()+" must have at most "+count(maxItems, "item"))
	}
}

// Requires records a broken x-banklink-requires rule: then must be present
// (and equal equals, when set) because ifName is. The checker is at the
// object holding both.
func (c *Checker) Requires(ifName, thenName, equals string) {
	c.Push(ifName)
	ifField := c.Field()
	c.Pop()
	c.Push(thenName)
	if equals != "" {
		c.Add("requires", ifField+" requires "+c.Field()+" "+equals)
	} else {
		c.Add("requires", c.Field()+" is required when "+ifField+" is present")
	}
	c.Pop()
}

// Number holds a schema's numeric constraints.
type Number struct {
	Integer          bool
	Decimals         int // fraction digits allowed; < 0 means no x-banklink-decimal-places
	Min, Max         float64
	HasMin, HasMax   bool
	ExclMin, ExclMax bool
	MinText, MaxText string
}

func (n *Number) kind() string {
	if n.Integer {
		return "an integer"
	}
	return "a number"
}

// NumberText checks the text of a number (a json.Number or a parameter).
func (c *Checker) NumberText(s string, n *Number) {
	if n.Decimals >= 0 {
		frac, ok := plainDecimal(s)
		if !ok {
			c.Add("decimalPlaces", c.Field()+" must be a plain decimal number: digits with an optional decimal point, no sign or exponent")
			return
		}
		if frac > n.Decimals {
			c.Add("decimalPlaces", c.Field()+" must have at most "+strconv.Itoa(n.Decimals)+" decimal "+plural(n.Decimals, "place"))
		}
	} else if !validJSONNumber(s) {
		c.Add("type", c.Field()+" must be "+n.kind())
		return
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		c.Add("type", c.Field()+" must be "+n.kind())
		return
	}
	if n.Integer && f != float64(int64(f)) {
		c.Add("type", c.Field()+" must be "+n.kind())
		return
	}
	c.bounds(f, n)
}

// Float checks a Go number value.
func (c *Checker) Float(f float64, n *Number) {
	if f != f || f > 1.7976931348623157e308 || f < -1.7976931348623157e308 {
		c.Add("type", c.Field()+" must be "+n.kind())
		return
	}
	if n.Decimals >= 0 {
		c.NumberText(formatFloat(f), n)
		return
	}
	c.bounds(f, n)
}

func (c *Checker) bounds(f float64, n *Number) {
	if n.HasMin && (f < n.Min || (n.ExclMin && f == n.Min)) {
		if n.ExclMin {
			c.Add("minimum", c.Field()+" must be greater than "+n.MinText)
		} else {
			c.Add("minimum", c.Field()+" must be at least "+n.MinText)
		}
	}
	if n.HasMax && (f > n.Max || (n.ExclMax && f == n.Max)) {
		if n.ExclMax {
			c.Add("maximum", c.Field()+" must be less than "+n.MaxText)
		} else {
			c.Add("maximum", c.Field()+" must be at most "+n.MaxText)
		}
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
