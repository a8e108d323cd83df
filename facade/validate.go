package facade

import "github.com/banklink/banklink/internal/reqcheck"

// Violation is one broken request rule: the JSON path, the rule, and a message
// that names the field but never its value.
type Violation = reqcheck.Violation

// ValidationError is returned, before anything is sent, when a request breaks
// the spec's constraints. errors.Is(err, ErrInvalidRequest) matches it. The
// generated Validate methods of the request types (linkmoney.PaymentRequest.Validate,
// ...) return it too, with Operation empty.
type ValidationError = reqcheck.Error
