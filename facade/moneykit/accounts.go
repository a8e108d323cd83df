package moneykit

import (
	"context"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/internal/transport"
	gen "github.com/banklink/banklink/gen/moneykit"
)

// AccountsService reads a link's accounts.
type AccountsService struct{ t *transport.Client[gen.Op] }

// List returns the link's accounts with their balances (GET
// /links/{id}/accounts), only those in accountIDs when any are given.
// facade.ErrForbiddenAction means the user did not share accounts.
func (s *AccountsService) List(ctx context.Context, linkID string, accountIDs []string, opts ...facade.CallOption) (*GetAccountsResponse, error) {
	q := transport.Query{}.Each("account_ids", accountIDs)
	return transport.Do[GetAccountsResponse](ctx, s.t, gen.OpGetAccounts, transport.Call{Path: []string{linkID}, Query: q}, opts)
}

// Get returns one account of the link (GET /links/{id}/accounts/{account_id}).
// An unknown account is facade.ErrNotFound, like an unknown link; Error.Code
// tells them apart.
func (s *AccountsService) Get(ctx context.Context, linkID, accountID string, opts ...facade.CallOption) (*GetAccountResponse, error) {
	return transport.Do[GetAccountResponse](ctx, s.t, gen.OpGetAccount, transport.Call{Path: []string{linkID, accountID}}, opts)
}

// Numbers returns the link's accounts with their account and routing
// numbers (GET /links/{id}/accounts/numbers). Account numbers are personal
// data: banklink never logs them.
func (s *AccountsService) Numbers(ctx context.Context, linkID string, opts ...facade.CallOption) (*GetAccountNumbersResponse, error) {
	return transport.Do[GetAccountNumbersResponse](ctx, s.t, gen.OpGetAccountNumbers, transport.Call{Path: []string{linkID}}, opts)
}
