package facade

import (
	"errors"

	"github.com/banklink/banklink/internal/reqcheck"
)

// Violation is one broken request rule: the JSON path, the rule, and a message
// that names the field but never its value.
type Violation = reqcheck.Violation

// ValidationError is returned, before anything is sent, when a request breaks
// the spec's constraints. errors.Is(err, ErrInvalidRequest) matches it. The
// generated Validate methods of the request types (PaymentRequest.Validate,
// ...) return it too, with Operation empty.
type ValidationError = reqcheck.Error

func invalid(op *operation, vs ...Violation) error {
	return &ValidationError{Operation: op.id, Violations: vs}
}

// errNilContext is a call's refusal of a nil context: net/http would panic
// on it mid-call. Nothing is sent.
func errNilContext(op *operation) error {
	return invalid(op, Violation{Path: "ctx", Rule: "required", Message: "context must not be nil (use context.Background())"})
}

// validator is a generated request type.
type validator interface{ Validate() error }

// checkBody runs the request's generated Validate. Nil means valid.
func (c *client) checkBody(op *operation, body any) error {
	v, ok := body.(validator)
	if !ok {
		return invalid(op, Violation{Rule: "type", Message: "request body is not a generated request type"})
	}
	return named(op, v.Validate())
}

// checkParam validates one path parameter with the operation's generated
// checker; the value must also become exactly one path segment. Nil means
// valid.
func (c *client) checkParam(op *operation, name, value string) error {
	if op.meta.CheckParam != nil {
		if err := op.meta.CheckParam(name, value); err != nil {
			return named(op, err)
		}
	}
	// Even if the spec forgot minLength or a pattern, an id that is empty or
	// leaves its path segment would address a different resource.
	if rule, msg := segmentViolation(value); rule != "" {
		return invalid(op, Violation{Path: "path/" + name, Rule: rule, Message: "path parameter " + name + " " + msg})
	}
	return nil
}

// named stamps the operationId on a validation error.
func named(op *operation, err error) error {
	var ve *ValidationError
	if errors.As(err, &ve) && ve.Operation == "" {
		ve.Operation = op.id
	}
	return err
}
