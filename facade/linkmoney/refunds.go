package linkmoney

import (
	"context"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/internal/transport"
	gen "github.com/banklink/banklink/gen/linkmoney"
)

// RefundsService refunds payments.
type RefundsService struct{ t *transport.Client[gen.Op] }

// Create refunds part or all of a payment (POST /v1/refunds); build req
// with NewRefund. The RequestKey is handled as in PaymentsService.Create.
func (s *RefundsService) Create(ctx context.Context, req *RefundRequest, opts ...facade.CallOption) (*Refund, error) {
	r := keyed(req, func(r *RefundRequest) (*string, string) { return &r.RequestKey, r.ClientReferenceId })
	return transport.Do[Refund](ctx, s.t, gen.OpCreateRefund, r, opts)
}
