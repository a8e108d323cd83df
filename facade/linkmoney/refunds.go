package linkmoney

import (
	"context"

	"github.com/google/uuid"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/internal/transport"
	gen "github.com/banklink/banklink/gen/linkmoney"
)

// RefundsService refunds payments.
type RefundsService struct{ t *transport.Client[gen.Op] }

// Create refunds part or all of a payment (POST /v1/refunds); build req
// with NewRefund. The RequestKey is handled as in PaymentsService.Create.
func (s *RefundsService) Create(ctx context.Context, req *RefundRequest, opts ...facade.CallOption) (*Refund, error) {
	r := transport.Call{Body: req}
	if req != nil {
		if req.RequestKey == "" {
			cp := *req
			cp.RequestKey = uuid.NewString()
			req = &cp
		}
		r = transport.Call{Body: req, Key: req.RequestKey, Ref: req.ClientReferenceId}
	}
	return transport.Do[Refund](ctx, s.t, gen.OpCreateRefund, r, opts)
}
