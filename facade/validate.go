package facade

import (
	"strings"

	"github.com/banklink/banklink/facade/internal/validate"
)

// Violation is one broken request rule: the JSON path, the rule, and a message
// that names the field but never its value.
type Violation = validate.Violation

// ValidationError is returned, before anything is sent, when a request breaks
// the spec's constraints. errors.Is(err, ErrInvalidRequest) matches it.
type ValidationError struct {
	Operation  string
	Violations []Violation
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("banklink: invalid ")
	b.WriteString(e.Operation)
	b.WriteString(" request (nothing was sent): ")
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

// Is matches ErrInvalidRequest.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalidRequest }

func invalid(op *operation, vs ...Violation) error {
	return &ValidationError{Operation: op.id, Violations: vs}
}

// checkBody validates a request body against the spec. Nil means valid.
func (c *client) checkBody(op *operation, body any) error {
	if vs := c.spec.rules.Body(op.id, body); len(vs) > 0 {
		return invalid(op, vs...)
	}
	return nil
}

// checkParam validates one path parameter, which must become exactly one
// path segment. Nil means valid.
func (c *client) checkParam(op *operation, name, value string) error {
	if vs := c.spec.rules.Param(op.id, name, value); len(vs) > 0 {
		return invalid(op, vs...)
	}
	// Even if the spec forgot minLength or a pattern, an id that is empty or
	// leaves its path segment would address a different resource.
	if rule, msg := segmentViolation(value); rule != "" {
		return invalid(op, Violation{Path: "path/" + name, Rule: rule, Message: "path parameter " + name + " " + msg})
	}
	return nil
}
