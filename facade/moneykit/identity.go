package moneykit

import (
	"context"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/internal/transport"
	gen "github.com/banklink/banklink/gen/moneykit"
)

// IdentityService reads who owns a link's accounts.
type IdentityService struct{ t *transport.Client[gen.Op] }

// Get returns the link's accounts with their owners (GET
// /links/{id}/identity), only those in accountIDs when any are given.
// Owners' names, addresses, emails and phones are personal data: banklink
// never logs them.
func (s *IdentityService) Get(ctx context.Context, linkID string, accountIDs []string, opts ...facade.CallOption) (*IdentityResponse, error) {
	q := transport.Query{}.Each("account_ids", accountIDs)
	return transport.Do[IdentityResponse](ctx, s.t, gen.OpGetIdentity, transport.Call{Path: []string{linkID}, Query: q}, opts)
}
