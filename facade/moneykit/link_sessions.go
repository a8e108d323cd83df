package moneykit

import (
	"context"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/internal/transport"
	gen "github.com/banklink/banklink/gen/moneykit"
)

// LinkSessionsService creates link sessions and exchanges Connect tokens.
type LinkSessionsService struct{ t *transport.Client[gen.Op] }

// Create starts a link session (POST /link-session) and returns the
// link_session_token for MoneyKit Connect; build req with NewLinkSession.
// MoneyKit documents no idempotency key here, so a failed call is retried
// only after a 429 or when the request never reached MoneyKit.
func (s *LinkSessionsService) Create(ctx context.Context, req *LinkSessionRequest, opts ...facade.CallOption) (*LinkSession, error) {
	r := transport.Call{Body: req}
	if req != nil {
		r.ScopeID = req.CustomerUser.Id // MoneyKit's 20 sessions a minute are counted per user
	}
	return transport.Do[LinkSession](ctx, s.t, gen.OpCreateLinkSession, r, opts)
}

// Exchange trades the exchangeable token Connect gave the front end for the
// new link (POST /link-session/exchange-token). The token is single-use: the
// call is retried only when the request provably never reached MoneyKit.
func (s *LinkSessionsService) Exchange(ctx context.Context, exchangeableToken string, opts ...facade.CallOption) (*ExchangeResult, error) {
	return transport.Do[ExchangeResult](ctx, s.t, gen.OpExchangeToken, transport.Call{Body: &gen.ExchangeTokenRequest{ExchangeableToken: exchangeableToken}}, opts)
}
