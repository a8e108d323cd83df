package webhook

import (
	"context"
	"strings"
)

// WithTrace makes the handler report each delivery it serves to t, for
// tracing and metrics (facade/otelbanklink turns the reports into a server
// span per delivery and a counter by outcome and reason). The hooks see the
// provider, the outcome and the reason, the event type and the delivery id;
// never the body, the signature or the token. A nil t, or a nil field, is
// not called.
func WithTrace(t *Trace) HandlerOption { return func(c *handlerConfig) { c.trace = t } }

// Trace holds the hooks WithTrace installs.
type Trace struct {
	// DeliveryStart runs when a request reaches the handler, before its
	// body is read. The context it returns is the request's from then on:
	// the store and the function given to the handler receive it.
	DeliveryStart func(ctx context.Context, d TraceDelivery) context.Context
	// DeliveryDone runs once the handler has answered, with the context
	// DeliveryStart returned.
	DeliveryDone func(ctx context.Context, d TraceDelivery, r TraceDeliveryResult)
}

// TraceDelivery describes a request the handler is serving.
type TraceDelivery struct {
	Provider string // "moneykit" or "linkmoney"
	Method   string // the request's HTTP method
	Route    string // the path of the http.ServeMux pattern that matched (Request.Pattern), if any
}

// route is the path of a ServeMux pattern ("[METHOD ][HOST]/PATH"): the
// http.route of the semantic conventions.
func route(pattern string) string {
	if i := strings.IndexByte(pattern, '/'); i >= 0 {
		return pattern[i:]
	}
	return ""
}

// What became of a delivery (TraceDeliveryResult.Outcome).
const (
	// OutcomeHandled: verified, claimed, and the function returned nil (200).
	OutcomeHandled = "handled"
	// OutcomeDuplicate: verified, but its key was already claimed; the
	// function was not called (200).
	OutcomeDuplicate = "duplicate"
	// OutcomeRejected: refused before verification completed (400, 405, 413).
	OutcomeRejected = "rejected"
	// OutcomeFailed: verified, but the store or the function failed (500);
	// the provider will retry.
	OutcomeFailed = "failed"
)

// Reasons a delivery was rejected or failed (TraceDeliveryResult.Reason),
// besides the verification errors' own: missing_signature,
// invalid_signature, unknown_key, body_mismatch, too_old, from_future,
// issuer, body_too_large and malformed_payload.
const (
	ReasonMethodNotAllowed   = "method_not_allowed"
	ReasonUnreadableBody     = "unreadable_body"
	ReasonVerificationFailed = "verification_failed" // a LinkMoneyVerifier's own error
	ReasonStoreError         = "store_error"
	ReasonHandlerError       = "handler_error"
)

// TraceDeliveryResult is what the handler did with a delivery.
type TraceDeliveryResult struct {
	StatusCode int    // the status answered
	Outcome    string // OutcomeHandled, OutcomeDuplicate, OutcomeRejected or OutcomeFailed
	Reason     string // why it was rejected or failed, as a short name; "" when handled
	// The verified delivery's event type and idempotency key (MoneyKit's
	// webhook_idempotency_key, Link Money's unique id); "" before
	// verification.
	EventType  string
	DeliveryID string
}
