package linkmoney

import (
	"context"

	"github.com/google/uuid"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/internal/transport"
	gen "github.com/banklink/banklink/gen/linkmoney"
)

// PaymentsService moves money.
type PaymentsService struct{ t *transport.Client[gen.Op] }

// Create makes a debit (NewPayment) or credit (NewCredit) (POST /v1/payments).
// If req has no RequestKey, banklink generates a UUID v4 for this call and
// sends it on every retry, so Link Money executes the payment at most once;
// req itself is never modified. The key sent is reported by
// facade.WithResponse (Response.IdempotencyKey) and on every error
// (facade.IdempotencyKeyOf): to retry a call whose outcome is unknown, send
// the payment again with WithRequestKey(key). A business decline is a normal
// result with PaymentStatus TERMINAL_FAILED and ErrorDetails, not an error.
// A 202 or 204 answer without a body is not a success: the payment may
// exist, so it is an error carrying the key (facade.ErrOutcomeUnknown).
func (s *PaymentsService) Create(ctx context.Context, req *PaymentRequest, opts ...facade.CallOption) (*Payment, error) {
	r := keyed(req, func(r *PaymentRequest) (*string, string) { return &r.RequestKey, r.ClientReferenceId })
	return transport.Do[Payment](ctx, s.t, gen.OpCreatePayment, r, opts)
}

// keyed is the call of a money operation: req with its requestKey, or,
// when it has none, a copy of req with a new UUID v4, so the caller's value
// is never written to. fields points at req's requestKey and gives its
// clientReferenceId.
func keyed[R any](req *R, fields func(*R) (key *string, ref string)) transport.Call {
	if req == nil {
		return transport.Call{Body: req}
	}
	if key, _ := fields(req); *key == "" {
		cp := *req
		key, _ := fields(&cp)
		*key = uuid.NewString()
		req = &cp
	}
	key, ref := fields(req)
	return transport.Call{Body: req, Key: *key, Ref: ref}
}

// Release releases a payment Link Money held after decisioning (POST
// /v1/payments/{id}/release; the method is unconfirmed, see the spec). A
// release acts on one payment, so it may be replayed.
func (s *PaymentsService) Release(ctx context.Context, paymentID string, opts ...facade.CallOption) (*Payment, error) {
	return transport.Do[Payment](ctx, s.t, gen.OpReleasePayment, transport.Call{Path: []string{paymentID}}, opts)
}

// Status reads a payment's current lifecycle status (GET
// /v1/transactions/{id}; unconfirmed by Link Money, see the spec). Webhooks
// remain the documented way to follow a payment.
func (s *PaymentsService) Status(ctx context.Context, paymentID string, opts ...facade.CallOption) (*Transaction, error) {
	return transport.Do[Transaction](ctx, s.t, gen.OpGetTransaction, transport.Call{Path: []string{paymentID}}, opts)
}
