package webhook

import "errors"

// Verification errors. Every one of them wraps ErrVerification, so
// errors.Is(err, ErrVerification) tells a rejected delivery from a failure of
// the receiver itself. Their messages never contain the signature, the token
// or the body.
var (
	ErrVerification = errors.New("webhook: verification failed")

	ErrMissingSignature = wrap("missing signature header")
	ErrInvalidSignature = wrap("invalid signature")
	ErrUnknownKey       = wrap("signing key not found in the JWKS")
	ErrBodyMismatch     = wrap("body does not match the signed digest")
	ErrTooOld           = wrap("signature older than the maximum age")
	ErrFromFuture       = wrap("signature timestamp in the future")
	ErrIssuer           = wrap("unexpected issuer")
	ErrBodyTooLarge     = wrap("body larger than the limit")
	ErrMalformedPayload = wrap("payload is not a JSON object of the expected shape")
)

type verificationError struct{ msg string }

func (e *verificationError) Error() string { return "webhook: " + e.msg }
func (e *verificationError) Is(target error) bool {
	return target == ErrVerification
}

func wrap(msg string) error { return &verificationError{msg: msg} }
