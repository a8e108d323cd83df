package webhook

import "errors"

// Verification errors. Every one of them wraps ErrVerification, so
// errors.Is(err, ErrVerification) tells a rejected delivery from a failure of
// the receiver itself. Their messages never contain the signature, the token
// or the body.
var (
	ErrVerification = errors.New("webhook: verification failed")

	ErrMissingSignature = wrap("missing_signature", "missing signature header")
	ErrInvalidSignature = wrap("invalid_signature", "invalid signature")
	ErrUnknownKey       = wrap("unknown_key", "signing key not found in the JWKS")
	ErrBodyMismatch     = wrap("body_mismatch", "body does not match the signed digest")
	ErrTooOld           = wrap("too_old", "signature older than the maximum age")
	ErrFromFuture       = wrap("from_future", "signature timestamp in the future")
	ErrIssuer           = wrap("issuer", "unexpected issuer")
	ErrBodyTooLarge     = wrap("body_too_large", "body larger than the limit")
	ErrMalformedPayload = wrap("malformed_payload", "payload is not a JSON object of the expected shape")
)

// verificationError is one of the errors above; reason is its short name
// in TraceDeliveryResult.Reason.
type verificationError struct{ reason, msg string }

func (e *verificationError) Error() string { return "webhook: " + e.msg }
func (e *verificationError) Is(target error) bool {
	return target == ErrVerification
}

func wrap(reason, msg string) error { return &verificationError{reason: reason, msg: msg} }

// rejectReason names why a delivery failed verification: the short name of
// the verification error in err's chain, or "verification_failed" for a
// LinkMoneyVerifier's own error.
func rejectReason(err error) string {
	var ve *verificationError
	if errors.As(err, &ve) {
		return ve.reason
	}
	return ReasonVerificationFailed
}
