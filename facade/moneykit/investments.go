package moneykit

import (
	"context"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/internal/transport"
	gen "github.com/banklink/banklink/gen/moneykit"
)

// InvestmentsService reads a link's investment accounts.
type InvestmentsService struct{ t *transport.Client[gen.Op] }

// Holdings returns the holdings of the link's investment accounts with the
// securities they hold (GET /links/{id}/investments/holdings).
func (s *InvestmentsService) Holdings(ctx context.Context, linkID string, accountIDs []string, opts ...facade.CallOption) (*GetHoldingsResponse, error) {
	q := transport.Query{}.Each("account_ids", accountIDs)
	return transport.Do[GetHoldingsResponse](ctx, s.t, gen.OpGetHoldings, transport.Call{Path: []string{linkID}, Query: q}, opts)
}

// Transactions returns one page of investment transactions, newest first
// (GET /links/{id}/investments/transactions).
func (s *InvestmentsService) Transactions(ctx context.Context, linkID string, p TransactionsParams, opts ...facade.CallOption) (*GetInvestmentTransactionsResponse, error) {
	return listTransactions[GetInvestmentTransactionsResponse](ctx, s.t, gen.OpGetInvestmentTransactions, linkID, "account_ids", p, opts)
}

// TransactionsPager returns a lazy pager over every investment transaction
// Transactions selects.
func (s *InvestmentsService) TransactionsPager(linkID string, p TransactionsParams, opts ...facade.CallOption) *PagePager[InvestmentTransaction] {
	return transactionsPager(p, func(ctx context.Context, q TransactionsParams) (*GetInvestmentTransactionsResponse, error) {
		return s.Transactions(ctx, linkID, q, opts...)
	}, func(r *GetInvestmentTransactionsResponse) ([]InvestmentTransaction, int) {
		return r.InvestmentTransactions, r.Total
	})
}
