package transport

import (
	"errors"

	"github.com/banklink/banklink/facade"
)

func invalid(op *operation, vs ...facade.Violation) error {
	return &facade.ValidationError{Operation: op.id, Violations: vs}
}

// errNilContext is a call's refusal of a nil context: net/http would panic
// on it mid-call. Nothing is sent.
func errNilContext(op *operation) error {
	return invalid(op, facade.Violation{Path: "ctx", Rule: "required", Message: "context must not be nil (use context.Background())"})
}

// Invalid is a *facade.ValidationError naming op, for the checks a service
// method makes itself ("at least one change is required").
func Invalid[O ~int](t *Client[O], op O, vs ...facade.Violation) error {
	return invalid(t.c.op(int(op)), vs...)
}

// validator is a generated request type.
type validator interface{ Validate() error }

// checkBody runs the request's generated Validate. Nil means valid.
func (c *client) checkBody(op *operation, body any) error {
	v, ok := body.(validator)
	if !ok {
		return invalid(op, facade.Violation{Rule: "type", Message: "request body is not a generated request type"})
	}
	return named(op, v.Validate())
}

// checkParam validates one path parameter with the operation's generated
// checker; the value must also become exactly one path segment. Nil means
// valid.
func (c *client) checkParam(op *operation, name, value string) error {
	if err := c.checkQuery(op, name, value); err != nil {
		return err
	}
	// Even if the spec forgot minLength or a pattern, an id that is empty or
	// leaves its path segment would address a different resource.
	if rule, msg := segmentViolation(value); rule != "" {
		return invalid(op, facade.Violation{Path: "path/" + name, Rule: rule, Message: "path parameter " + name + " " + msg})
	}
	return nil
}

// checkQuery validates one query parameter with the operation's generated checker.
func (c *client) checkQuery(op *operation, name, value string) error {
	if op.meta.CheckParam != nil {
		if err := op.meta.CheckParam(name, value); err != nil {
			return named(op, err)
		}
	}
	return nil
}

// named stamps the operationId on a validation error.
func named(op *operation, err error) error {
	var ve *facade.ValidationError
	if errors.As(err, &ve) && ve.Operation == "" {
		ve.Operation = op.id
	}
	return err
}
