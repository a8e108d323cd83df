package moneykit

import (
	"context"
	"time"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/internal/transport"
	gen "github.com/banklink/banklink/gen/moneykit"
)

// TransactionsParams selects transactions of GET /links/{id}/transactions,
// /users/{id}/transactions and /links/{id}/investments/transactions. The
// zero value asks for everything, page 1, MoneyKit's default page size (50).
// It is passed by value: pagers work on their own copy.
type TransactionsParams struct {
	// AccountIDs keeps only these accounts' transactions (sent as repeated keys).
	AccountIDs []string
	// StartDate and EndDate bound the transaction dates, inclusive; only the
	// date is sent. Zero means unbounded.
	StartDate, EndDate time.Time
	// Page is the page to start at, from 1 (0 means 1).
	Page int
	// Size is the number of transactions per page, 1 to 1000 (0 means 50).
	Size int
}

// call checks the date range and makes the call of a transactions list
// under id, sending p.AccountIDs as accountKey.
func (p TransactionsParams) call(t *transport.Client[gen.Op], op gen.Op, id, accountKey string) (transport.Call, error) {
	if !p.StartDate.IsZero() && !p.EndDate.IsZero() && p.EndDate.Before(p.StartDate) {
		return transport.Call{}, transport.Invalid(t, op, facade.Violation{Path: "end_date", Rule: "range", Message: "end_date must not be before start_date"})
	}
	q := transport.Query{}.Each(accountKey, p.AccountIDs).Date("start_date", p.StartDate).Date("end_date", p.EndDate).Int("page", p.Page).Int("size", p.Size)
	return transport.Call{Path: []string{id}, Query: q}, nil
}

// listTransactions is the call of the three transactions lists.
func listTransactions[R any](ctx context.Context, t *transport.Client[gen.Op], op gen.Op, id, accountKey string, p TransactionsParams, opts []facade.CallOption) (*R, error) {
	r, err := p.call(t, op, id, accountKey)
	if err != nil {
		return nil, err
	}
	return transport.Do[R](ctx, t, op, r, opts)
}

// TransactionsService reads a link's transactions.
type TransactionsService struct{ t *transport.Client[gen.Op] }

// List returns one page of the link's transactions, newest first (GET
// /links/{id}/transactions). Use Pager to read them all, and Sync to keep a
// copy up to date.
func (s *TransactionsService) List(ctx context.Context, linkID string, p TransactionsParams, opts ...facade.CallOption) (*GetTransactionsResponse, error) {
	return listTransactions[GetTransactionsResponse](ctx, s.t, gen.OpGetTransactions, linkID, "account_ids", p, opts)
}

// Pager returns a lazy pager over every transaction List selects, from
// p.Page on.
func (s *TransactionsService) Pager(linkID string, p TransactionsParams, opts ...facade.CallOption) *PagePager[Transaction] {
	return transactionsPager(p, func(ctx context.Context, q TransactionsParams) (*GetTransactionsResponse, error) {
		return s.List(ctx, linkID, q, opts...)
	}, func(r *GetTransactionsResponse) ([]Transaction, int) { return r.Transactions, r.Total })
}

// syncBatchSize is how many changes Sync asks for per call: MoneyKit's maximum.
const syncBatchSize = 500

// SyncPage makes one call of GET /links/{id}/transactions/sync: the changes
// after cursor ("" for the whole history), at most size (0 means 50).
// Sync runs the loop around it.
func (s *TransactionsService) SyncPage(ctx context.Context, linkID, cursor string, size int, opts ...facade.CallOption) (*TransactionSyncResponse, error) {
	q := transport.Query{}.Str("cursor", cursor).Int("size", size)
	return transport.Do[TransactionSyncResponse](ctx, s.t, gen.OpGetTransactionsSync, transport.Call{Path: []string{linkID}, Query: q}, opts)
}

// Sync returns the resumable sync loop for the link, starting after cursor
// (the last SyncBatch.Cursor you stored, or "" for the whole history). See
// TransactionSync for the right use, and for MoneyKit's rule on pending
// transactions.
func (s *TransactionsService) Sync(linkID, cursor string, opts ...facade.CallOption) *TransactionSync {
	return newTransactionSync(cursor, func(ctx context.Context, cursor string) (*TransactionSyncResponse, error) {
		return s.SyncPage(ctx, linkID, cursor, syncBatchSize, opts...)
	})
}

// UpdateEnrichment corrects a transaction's category (POST
// /links/{id}/transactions/{transaction_id}/enrichment); subcategory may be
// "". Sync reports the transaction as updated.
func (s *TransactionsService) UpdateEnrichment(ctx context.Context, linkID, transactionID, category, subcategory string, opts ...facade.CallOption) (*UpdateTransactionEnrichmentResponse, error) {
	body := &gen.BudCategory{Category: category, Subcategory: subcategory}
	return transport.Do[UpdateTransactionEnrichmentResponse](ctx, s.t, gen.OpUpdateTransactionEnrichment, transport.Call{Path: []string{linkID, transactionID}, Body: body}, opts)
}

// transactionsPager pages through what list answers for p, from p.Page on
// (size 0 means 50); items takes a page's items and total out of an answer.
func transactionsPager[T, R any](p TransactionsParams, list func(context.Context, TransactionsParams) (*R, error), items func(*R) ([]T, int)) *PagePager[T] {
	size := p.Size
	if size == 0 {
		size = 50
	}
	return newPagePager(p.Page, size, func(ctx context.Context, page, size int) (numberedPage[T], error) {
		q := p
		q.Page, q.Size = page, size
		r, err := list(ctx, q)
		if err != nil {
			return numberedPage[T]{}, err
		}
		got, total := items(r)
		return numberedPage[T]{Items: got, Total: total}, nil
	})
}
