package moneykit

import (
	"context"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/internal/transport"
	gen "github.com/banklink/banklink/gen/moneykit"
)

// UsersService reads the data of every link of one of your users.
type UsersService struct{ t *transport.Client[gen.Op] }

// Links returns every link of your user customerUserID, keyed by link id
// (GET /users/{id}/links).
func (s *UsersService) Links(ctx context.Context, customerUserID string, opts ...facade.CallOption) (map[string]Link, error) {
	out, err := transport.Do[GetUserLinksResponse](ctx, s.t, gen.OpGetUserLinks, transport.Call{Path: []string{customerUserID}}, opts)
	if err != nil {
		return nil, err
	}
	if out.Links == nil {
		out.Links = map[string]Link{}
	}
	return out.Links, nil
}

// Accounts returns the accounts of every link of your user customerUserID,
// keyed by link id (GET /users/{id}/accounts).
func (s *UsersService) Accounts(ctx context.Context, customerUserID string, accountIDs []string, opts ...facade.CallOption) (map[string]AccountGroup, error) {
	q := transport.Query{}.Each("account_ids", accountIDs)
	out, err := transport.Do[GetUserAccountsResponse](ctx, s.t, gen.OpGetUserAccounts, transport.Call{Path: []string{customerUserID}, Query: q}, opts)
	if err != nil {
		return nil, err
	}
	if out.Links == nil {
		out.Links = map[string]AccountGroup{}
	}
	return out.Links, nil
}

// Transactions returns one page of the transactions of every link of your
// user, newest first (GET /users/{id}/transactions; p.AccountIDs is sent as
// account_id).
func (s *UsersService) Transactions(ctx context.Context, customerUserID string, p TransactionsParams, opts ...facade.CallOption) (*GetUserTransactionsResponse, error) {
	return listTransactions[GetUserTransactionsResponse](ctx, s.t, gen.OpGetUserTransactions, customerUserID, "account_id", p, opts)
}

// TransactionsPager returns a lazy pager over every transaction
// Transactions selects.
func (s *UsersService) TransactionsPager(customerUserID string, p TransactionsParams, opts ...facade.CallOption) *PagePager[Transaction] {
	return transactionsPager(p, func(ctx context.Context, q TransactionsParams) (*GetUserTransactionsResponse, error) {
		return s.Transactions(ctx, customerUserID, q, opts...)
	}, func(r *GetUserTransactionsResponse) ([]Transaction, int) { return r.Transactions, r.Total })
}
