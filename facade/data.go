package facade

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/banklink/banklink/gen/linkmoney"
	"github.com/banklink/banklink/gen/moneykit"
)

// The data a link is for: accounts, numbers, identity, transactions,
// investments and institutions. Reads return what MoneyKit last fetched;
// Links.Refresh asks it to fetch again.

// Names for the generated types the data services return.
type (
	// Account is one account of a link.
	Account = moneykit.AccountResponse
	// Transaction is one transaction of an account.
	Transaction = moneykit.TransactionResponse
	// Institution is a financial institution of MoneyKit's catalogue.
	Institution = moneykit.Institution
	// InvestmentTransaction is one transaction of an investment account.
	InvestmentTransaction = moneykit.InvestmentTransactionResponse
	// LinkSummary is one entry of the application's link list.
	LinkSummary = moneykit.GetLinksLink
	// PaymentStatus is a Link Money payment with its current lifecycle status.
	PaymentStatus = linkmoney.Transaction
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

func (p TransactionsParams) check(c *client, op *operation, accountKey string) error {
	for _, id := range p.AccountIDs {
		if err := c.checkParam(op, accountKey, id); err != nil {
			return err
		}
	}
	if p.Page != 0 {
		if err := c.checkParam(op, "page", strconv.Itoa(p.Page)); err != nil {
			return err
		}
	}
	if p.Size != 0 {
		if err := c.checkParam(op, "size", strconv.Itoa(p.Size)); err != nil {
			return err
		}
	}
	if !p.StartDate.IsZero() && !p.EndDate.IsZero() && p.EndDate.Before(p.StartDate) {
		return invalid(op, Violation{Path: "end_date", Rule: "range", Message: "end_date must not be before start_date"})
	}
	return nil
}

// checkFor checks id as the operation's path parameter "id", then p, as a
// check for sendOp.
func (p TransactionsParams) checkFor(c *client, id, accountKey string) func(*operation) error {
	return func(op *operation) error {
		if err := c.checkParam(op, "id", id); err != nil {
			return err
		}
		return p.check(c, op, accountKey)
	}
}

func (p TransactionsParams) dates() (start, end *openapi_types.Date) {
	if !p.StartDate.IsZero() {
		start = &openapi_types.Date{Time: p.StartDate}
	}
	if !p.EndDate.IsZero() {
		end = &openapi_types.Date{Time: p.EndDate}
	}
	return start, end
}

// transactionsPager pages through what list answers for p, from p.Page on
// (size 0 means 50); items takes a page's items and total out of an answer.
func transactionsPager[T, R any](p TransactionsParams, list func(context.Context, TransactionsParams) (*R, error), items func(*R) ([]T, int)) *PagePager[T] {
	size := p.Size
	if size == 0 {
		size = 50
	}
	return NewPagePager(p.Page, size, func(ctx context.Context, page, size int) (NumberedPage[T], error) {
		q := p
		q.Page, q.Size = page, size
		r, err := list(ctx, q)
		if err != nil {
			return NumberedPage[T]{}, err
		}
		got, total := items(r)
		return NumberedPage[T]{Items: got, Total: total}, nil
	})
}

// opt makes an optional query parameter: nil (not sent) for the zero value.
func opt[T comparable](v T) *T {
	var zero T
	if v == zero {
		return nil
	}
	return &v
}

// optIDs copies ids, so that a request never shares the caller's slice.
func optIDs(ids []string) []string {
	if len(ids) == 0 {
		return nil
	}
	return append([]string(nil), ids...)
}

// checkIDs checks linkID and each of accountIDs as the operation's parameters.
func (c *client) checkIDs(op *operation, linkID string, accountKey string, accountIDs []string) error {
	if err := c.checkParam(op, "id", linkID); err != nil {
		return err
	}
	for _, id := range accountIDs {
		if err := c.checkParam(op, accountKey, id); err != nil {
			return err
		}
	}
	return nil
}

// paramCheck checks value as the operation's parameter name, for sendOp.
func (c *client) paramCheck(name, value string) func(*operation) error {
	return func(op *operation) error { return c.checkParam(op, name, value) }
}

// idsCheck is checkIDs as a check for sendOp.
func (c *client) idsCheck(linkID, accountKey string, accountIDs []string) func(*operation) error {
	return func(op *operation) error { return c.checkIDs(op, linkID, accountKey, accountIDs) }
}

// limitCheck checks a page size as the operation's limit parameter, when
// one is given (0 means the provider's default).
func (c *client) limitCheck(limit int) func(*operation) error {
	return func(op *operation) error {
		if limit == 0 {
			return nil
		}
		return c.checkParam(op, "limit", strconv.Itoa(limit))
	}
}

// sendOp is the shape of a call whose request a generated builder makes:
// it prepares the call from opts, runs check (nil for none) on the
// operation's parameters and sends what build makes. Nothing is sent when an
// option or a parameter is invalid.
func sendOp[Resp any](ctx context.Context, c *client, idx opIndex, opts []CallOption, check func(*operation) error, build func() (*http.Request, error)) (*Resp, error) {
	op := c.op(idx)
	cl, err := c.newCall(op, opts)
	if err != nil {
		return nil, err
	}
	if check != nil {
		if err := check(op); err != nil {
			return nil, err
		}
	}
	hreq, err := build()
	return send[Resp](ctx, c, op, hreq, err, cl)
}

// sendOpBody is sendOp for a call with a JSON body: after check it
// validates body, marshals it once and sends the request build makes from
// those bytes.
func sendOpBody[Resp any](ctx context.Context, c *client, idx opIndex, opts []CallOption, check func(*operation) error, body any, build func(io.Reader) (*http.Request, error)) (*Resp, error) {
	op := c.op(idx)
	cl, err := c.newCall(op, opts)
	if err != nil {
		return nil, err
	}
	if err := check(op); err != nil {
		return nil, err
	}
	if err := c.checkBody(op, body); err != nil {
		return nil, err
	}
	rbody, err := marshalBody(op, body)
	if err != nil {
		return nil, err
	}
	hreq, err := build(rbody)
	return send[Resp](ctx, c, op, hreq, err, cl)
}

// ---------------------------------------------------------------- accounts

// AccountsService reads a link's accounts.
type AccountsService struct{ c *client }

// List returns the link's accounts with their balances (GET
// /links/{id}/accounts), only those in accountIDs when any are given.
// ErrForbiddenAction means the user did not share accounts.
func (s *AccountsService) List(ctx context.Context, linkID string, accountIDs []string, opts ...CallOption) (*moneykit.GetAccountsResponse, error) {
	c := s.c
	return sendOp[moneykit.GetAccountsResponse](ctx, c, int(moneykit.OpGetAccounts), opts, c.idsCheck(linkID, "account_ids", accountIDs), func() (*http.Request, error) {
		return moneykit.NewGetAccountsRequest(c.baseURL, linkID, &moneykit.GetAccountsParams{AccountIds: optIDs(accountIDs)})
	})
}

// Get returns one account of the link (GET /links/{id}/accounts/{account_id}).
// An unknown account is ErrNotFound, like an unknown link; Error.Code tells them apart.
func (s *AccountsService) Get(ctx context.Context, linkID, accountID string, opts ...CallOption) (*moneykit.GetAccountResponse, error) {
	c := s.c
	return sendOp[moneykit.GetAccountResponse](ctx, c, int(moneykit.OpGetAccount), opts, c.idsCheck(linkID, "account_id", []string{accountID}), func() (*http.Request, error) {
		return moneykit.NewGetAccountRequest(c.baseURL, linkID, accountID, nil)
	})
}

// Numbers returns the link's accounts with their account and routing
// numbers (GET /links/{id}/accounts/numbers). Account numbers are personal
// data: banklink never logs them.
func (s *AccountsService) Numbers(ctx context.Context, linkID string, opts ...CallOption) (*moneykit.GetAccountNumbersResponse, error) {
	c := s.c
	return sendOp[moneykit.GetAccountNumbersResponse](ctx, c, int(moneykit.OpGetAccountNumbers), opts, c.paramCheck("id", linkID), func() (*http.Request, error) {
		return moneykit.NewGetAccountNumbersRequest(c.baseURL, linkID, nil)
	})
}

// IdentityService reads who owns a link's accounts.
type IdentityService struct{ c *client }

// Get returns the link's accounts with their owners (GET /links/{id}/identity).
func (s *IdentityService) Get(ctx context.Context, linkID string, accountIDs []string, opts ...CallOption) (*moneykit.IdentityResponse, error) {
	c := s.c
	return sendOp[moneykit.IdentityResponse](ctx, c, int(moneykit.OpGetIdentity), opts, c.idsCheck(linkID, "account_ids", accountIDs), func() (*http.Request, error) {
		return moneykit.NewGetIdentityRequest(c.baseURL, linkID, &moneykit.GetIdentityParams{AccountIds: optIDs(accountIDs)})
	})
}

// ------------------------------------------------------------ transactions

// TransactionsService reads a link's transactions.
type TransactionsService struct{ c *client }

// List returns one page of the link's transactions, newest first (GET
// /links/{id}/transactions). Use Pager to read them all, and Sync to keep a
// copy up to date.
func (s *TransactionsService) List(ctx context.Context, linkID string, p TransactionsParams, opts ...CallOption) (*moneykit.GetTransactionsResponse, error) {
	c := s.c
	return sendOp[moneykit.GetTransactionsResponse](ctx, c, int(moneykit.OpGetTransactions), opts, p.checkFor(c, linkID, "account_ids"), func() (*http.Request, error) {
		start, end := p.dates()
		return moneykit.NewGetTransactionsRequest(c.baseURL, linkID, &moneykit.GetTransactionsParams{
			AccountIds: optIDs(p.AccountIDs), StartDate: start, EndDate: end, Page: opt(p.Page), Size: opt(p.Size),
		})
	})
}

// Pager returns a lazy pager over every transaction List selects, from
// p.Page on.
func (s *TransactionsService) Pager(linkID string, p TransactionsParams, opts ...CallOption) *PagePager[Transaction] {
	return transactionsPager(p, func(ctx context.Context, q TransactionsParams) (*moneykit.GetTransactionsResponse, error) {
		return s.List(ctx, linkID, q, opts...)
	}, func(r *moneykit.GetTransactionsResponse) ([]Transaction, int) { return r.Transactions, r.Total })
}

// syncBatchSize is how many changes Sync asks for per call: MoneyKit's maximum.
const syncBatchSize = 500

// SyncPage makes one call of GET /links/{id}/transactions/sync: the changes
// after cursor ("" for the whole history), at most size (0 means 50).
// Sync runs the loop around it.
func (s *TransactionsService) SyncPage(ctx context.Context, linkID, cursor string, size int, opts ...CallOption) (*moneykit.TransactionSyncResponse, error) {
	c := s.c
	check := func(op *operation) error {
		if err := c.checkParam(op, "id", linkID); err != nil {
			return err
		}
		if size != 0 {
			return c.checkParam(op, "size", strconv.Itoa(size))
		}
		return nil
	}
	return sendOp[moneykit.TransactionSyncResponse](ctx, c, int(moneykit.OpGetTransactionsSync), opts, check, func() (*http.Request, error) {
		return moneykit.NewGetTransactionsSyncRequest(c.baseURL, linkID, &moneykit.GetTransactionsSyncParams{Cursor: opt(cursor), Size: opt(size)})
	})
}

// Sync returns the resumable sync loop for the link, starting after cursor
// (the last SyncBatch.Cursor you stored, or "" for the whole history). See
// TransactionSync for the right use.
func (s *TransactionsService) Sync(linkID, cursor string, opts ...CallOption) *TransactionSync {
	return NewTransactionSync(cursor, func(ctx context.Context, cursor string) (*moneykit.TransactionSyncResponse, error) {
		return s.SyncPage(ctx, linkID, cursor, syncBatchSize, opts...)
	})
}

// UpdateEnrichment corrects a transaction's category (POST
// /links/{id}/transactions/{transaction_id}/enrichment); subcategory may be
// "". Sync reports the transaction as updated.
func (s *TransactionsService) UpdateEnrichment(ctx context.Context, linkID, transactionID, category, subcategory string, opts ...CallOption) (*moneykit.UpdateTransactionEnrichmentResponse, error) {
	c := s.c
	body := moneykit.BudCategory{Category: category, Subcategory: subcategory}
	return sendOpBody[moneykit.UpdateTransactionEnrichmentResponse](ctx, c, int(moneykit.OpUpdateTransactionEnrichment), opts, c.idsCheck(linkID, "transaction_id", []string{transactionID}), &body, func(r io.Reader) (*http.Request, error) {
		return moneykit.NewUpdateTransactionEnrichmentRequestWithBody(c.baseURL, linkID, transactionID, nil, contentJSON, r)
	})
}

// ------------------------------------------------------------- investments

// InvestmentsService reads a link's investment accounts.
type InvestmentsService struct{ c *client }

// Holdings returns the holdings of the link's investment accounts with the
// securities they hold (GET /links/{id}/investments/holdings).
func (s *InvestmentsService) Holdings(ctx context.Context, linkID string, accountIDs []string, opts ...CallOption) (*moneykit.GetHoldingsResponse, error) {
	c := s.c
	return sendOp[moneykit.GetHoldingsResponse](ctx, c, int(moneykit.OpGetHoldings), opts, c.idsCheck(linkID, "account_ids", accountIDs), func() (*http.Request, error) {
		return moneykit.NewGetHoldingsRequest(c.baseURL, linkID, &moneykit.GetHoldingsParams{AccountIds: optIDs(accountIDs)})
	})
}

// Transactions returns one page of investment transactions, newest first
// (GET /links/{id}/investments/transactions).
func (s *InvestmentsService) Transactions(ctx context.Context, linkID string, p TransactionsParams, opts ...CallOption) (*moneykit.GetInvestmentTransactionsResponse, error) {
	c := s.c
	return sendOp[moneykit.GetInvestmentTransactionsResponse](ctx, c, int(moneykit.OpGetInvestmentTransactions), opts, p.checkFor(c, linkID, "account_ids"), func() (*http.Request, error) {
		start, end := p.dates()
		return moneykit.NewGetInvestmentTransactionsRequest(c.baseURL, linkID, &moneykit.GetInvestmentTransactionsParams{
			AccountIds: optIDs(p.AccountIDs), StartDate: start, EndDate: end, Page: opt(p.Page), Size: opt(p.Size),
		})
	})
}

// TransactionsPager returns a lazy pager over every investment transaction
// Transactions selects.
func (s *InvestmentsService) TransactionsPager(linkID string, p TransactionsParams, opts ...CallOption) *PagePager[InvestmentTransaction] {
	return transactionsPager(p, func(ctx context.Context, q TransactionsParams) (*moneykit.GetInvestmentTransactionsResponse, error) {
		return s.Transactions(ctx, linkID, q, opts...)
	}, func(r *moneykit.GetInvestmentTransactionsResponse) ([]InvestmentTransaction, int) {
		return r.InvestmentTransactions, r.Total
	})
}

// ------------------------------------------------------------ institutions

// InstitutionsParams selects institutions of GET /institutions.
type InstitutionsParams struct {
	// Name keeps institutions whose name contains it (wholly or as a prefix).
	Name string
	// Featured keeps only featured institutions.
	Featured bool
	// Cursor is where to start: "" for the first page, or a previous
	// page's cursors.next.
	Cursor string
	// Limit is the page size, 1 to 1000 (0 means 50).
	Limit int
}

// InstitutionsService searches MoneyKit's institution catalogue.
type InstitutionsService struct{ c *client }

// List returns one page of institutions (GET /institutions).
func (s *InstitutionsService) List(ctx context.Context, p InstitutionsParams, opts ...CallOption) (*moneykit.GetInstitutionsResponse, error) {
	c := s.c
	return sendOp[moneykit.GetInstitutionsResponse](ctx, c, int(moneykit.OpGetInstitutions), opts, c.limitCheck(p.Limit), func() (*http.Request, error) {
		return moneykit.NewGetInstitutionsRequest(c.baseURL, &moneykit.GetInstitutionsParams{Name: opt(p.Name), Featured: opt(p.Featured), Cursor: opt(p.Cursor), Limit: opt(p.Limit)})
	})
}

// Pager returns a lazy pager over every institution List selects.
func (s *InstitutionsService) Pager(p InstitutionsParams, opts ...CallOption) *CursorPager[Institution] {
	return NewCursorPager(p.Cursor, func(ctx context.Context, cursor string) (CursorPage[Institution], error) {
		q := p
		q.Cursor = cursor
		r, err := s.List(ctx, q, opts...)
		if err != nil {
			return CursorPage[Institution]{}, err
		}
		return institutionsPage(r), nil
	})
}

// Get returns one institution by id or alias (GET /institutions/{institution_id}).
func (s *InstitutionsService) Get(ctx context.Context, institutionID string, opts ...CallOption) (*Institution, error) {
	c := s.c
	return sendOp[Institution](ctx, c, int(moneykit.OpGetInstitution), opts, c.paramCheck("institution_id", institutionID), func() (*http.Request, error) {
		return moneykit.NewGetInstitutionRequest(c.baseURL, institutionID, nil)
	})
}

// ------------------------------------------------------------------- links

// LinksParams selects a page of GET /links.
type LinksParams struct {
	// Cursor is where to start: "" for the first page, or a previous page's next_cursor.
	Cursor string
	// Limit is the page size, 500 to 5000 (0 means 1000).
	Limit int
}

// List returns one page of the application's active links (GET /links).
func (s *LinksService) List(ctx context.Context, p LinksParams, opts ...CallOption) (*moneykit.GetLinksResponse, error) {
	c := s.c
	return sendOp[moneykit.GetLinksResponse](ctx, c, int(moneykit.OpGetLinks), opts, c.limitCheck(p.Limit), func() (*http.Request, error) {
		return moneykit.NewGetLinksRequest(c.baseURL, &moneykit.GetLinksParams{Cursor: opt(p.Cursor), Limit: opt(p.Limit)})
	})
}

// Pager returns a lazy pager over every active link of the application.
func (s *LinksService) Pager(p LinksParams, opts ...CallOption) *CursorPager[LinkSummary] {
	return NewCursorPager(p.Cursor, func(ctx context.Context, cursor string) (CursorPage[LinkSummary], error) {
		q := p
		q.Cursor = cursor
		r, err := s.List(ctx, q, opts...)
		if err != nil {
			return CursorPage[LinkSummary]{}, err
		}
		return linksPage(r), nil
	})
}

// Refresh asks MoneyKit to fetch the given products again (POST
// /links/{id}/products, at least one product). It answers once MoneyKit has
// accepted the request; the data arrives later, announced by a
// link.product_refresh webhook. MoneyKit throttles refreshes (accounts and
// transactions hourly, numbers and identity daily): too soon is
// ErrRateLimited. The link is returned when MoneyKit sends it, nil otherwise.
func (s *LinksService) Refresh(ctx context.Context, linkID string, products []moneykit.Product, opts ...CallOption) (*Link, error) {
	c := s.c
	body := moneykit.RefreshProductsRequest{Products: append([]moneykit.Product{}, products...)}
	l, err := sendOpBody[Link](ctx, c, int(moneykit.OpRefreshProducts), opts, c.paramCheck("id", linkID), &body, func(r io.Reader) (*http.Request, error) {
		return moneykit.NewRefreshProductsRequestWithBody(c.baseURL, linkID, nil, contentJSON, r)
	})
	if err != nil || l.LinkId == "" {
		return nil, err
	}
	return l, nil
}

// Reset forces a sandbox link into the error state auth_expired (POST
// /links/{id}/reset), to test reconnection.
func (s *LinksService) Reset(ctx context.Context, linkID string, opts ...CallOption) (*Link, error) {
	c := s.c
	return sendOp[Link](ctx, c, int(moneykit.OpResetLink), opts, c.paramCheck("id", linkID), func() (*http.Request, error) {
		return moneykit.NewResetLinkRequest(c.baseURL, linkID, nil)
	})
}

// Import creates a link from accounts and transactions held elsewhere (POST
// /links/import). The link starts disconnected; the user reconnects it with
// a link session made WithExistingLink. MoneyKit documents no idempotency
// key, so a failed import is not replayed once MoneyKit may have seen it.
func (s *LinksService) Import(ctx context.Context, req *moneykit.ImportLinkRequest, opts ...CallOption) (*Link, error) {
	c := s.c
	check := func(op *operation) error {
		if req == nil {
			return invalid(op, Violation{Rule: "required", Message: "request body is required"})
		}
		return nil
	}
	return sendOpBody[Link](ctx, c, int(moneykit.OpImportLink), opts, check, req, func(r io.Reader) (*http.Request, error) {
		return moneykit.NewImportLinkRequestWithBody(c.baseURL, nil, contentJSON, r)
	})
}

// ImportTransactions adds transactions to an imported link (POST
// /links/{id}/import/transactions). Like Import, it is not replayed.
func (s *LinksService) ImportTransactions(ctx context.Context, linkID string, txns []moneykit.TransactionImportData, opts ...CallOption) (*Link, error) {
	c := s.c
	body := moneykit.ImportTransactionsRequest{Transactions: append([]moneykit.TransactionImportData{}, txns...)}
	return sendOpBody[Link](ctx, c, int(moneykit.OpImportTransactions), opts, c.paramCheck("id", linkID), &body, func(r io.Reader) (*http.Request, error) {
		return moneykit.NewImportTransactionsRequestWithBody(c.baseURL, linkID, nil, contentJSON, r)
	})
}

// ------------------------------------------------------------------- users

// Accounts returns the accounts of every link of your user customerUserID,
// keyed by link id (GET /users/{id}/accounts).
func (s *UsersService) Accounts(ctx context.Context, customerUserID string, accountIDs []string, opts ...CallOption) (map[string]moneykit.AccountGroup, error) {
	c := s.c
	out, err := sendOp[moneykit.GetUserAccountsResponse](ctx, c, int(moneykit.OpGetUserAccounts), opts, c.idsCheck(customerUserID, "account_ids", accountIDs), func() (*http.Request, error) {
		return moneykit.NewGetUserAccountsRequest(c.baseURL, customerUserID, &moneykit.GetUserAccountsParams{AccountIds: optIDs(accountIDs)})
	})
	if err != nil {
		return nil, err
	}
	if out.Links == nil {
		out.Links = map[string]moneykit.AccountGroup{}
	}
	return out.Links, nil
}

// Transactions returns one page of the transactions of every link of your
// user, newest first (GET /users/{id}/transactions; p.AccountIDs is sent as
// account_id).
func (s *UsersService) Transactions(ctx context.Context, customerUserID string, p TransactionsParams, opts ...CallOption) (*moneykit.GetUserTransactionsResponse, error) {
	c := s.c
	return sendOp[moneykit.GetUserTransactionsResponse](ctx, c, int(moneykit.OpGetUserTransactions), opts, p.checkFor(c, customerUserID, "account_id"), func() (*http.Request, error) {
		start, end := p.dates()
		return moneykit.NewGetUserTransactionsRequest(c.baseURL, customerUserID, &moneykit.GetUserTransactionsParams{
			AccountId: optIDs(p.AccountIDs), StartDate: start, EndDate: end, Page: opt(p.Page), Size: opt(p.Size),
		})
	})
}

// TransactionsPager returns a lazy pager over every transaction
// Transactions selects.
func (s *UsersService) TransactionsPager(customerUserID string, p TransactionsParams, opts ...CallOption) *PagePager[Transaction] {
	return transactionsPager(p, func(ctx context.Context, q TransactionsParams) (*moneykit.GetUserTransactionsResponse, error) {
		return s.Transactions(ctx, customerUserID, q, opts...)
	}, func(r *moneykit.GetUserTransactionsResponse) ([]Transaction, int) { return r.Transactions, r.Total })
}

// -------------------------------------------------------------------- auth

// Introspect describes the application and client behind the client's
// access token (GET /auth/introspect).
func (s *MoneyKitAuthService) Introspect(ctx context.Context, opts ...CallOption) (*moneykit.IntrospectClientResponse, error) {
	c := s.c
	return sendOp[moneykit.IntrospectClientResponse](ctx, c, int(moneykit.OpIntrospectClient), opts, nil, func() (*http.Request, error) {
		return moneykit.NewIntrospectClientRequest(c.baseURL, nil)
	})
}

// -------------------------------------------------------------- Link Money

// Release releases a payment Link Money held after decisioning (POST
// /v1/payments/{id}/release; the method is unconfirmed, see the spec). A
// release acts on one payment, so it may be replayed.
func (s *PaymentsService) Release(ctx context.Context, paymentID string, opts ...CallOption) (*Payment, error) {
	c := s.c
	return sendOp[Payment](ctx, c, int(linkmoney.OpReleasePayment), opts, c.paramCheck("transactionId", paymentID), func() (*http.Request, error) {
		return linkmoney.NewReleasePaymentRequest(c.baseURL, paymentID)
	})
}

// Status reads a payment's current lifecycle status (GET
// /v1/transactions/{id}; unconfirmed by Link Money, see the spec). Webhooks
// remain the documented way to follow a payment.
func (s *PaymentsService) Status(ctx context.Context, paymentID string, opts ...CallOption) (*PaymentStatus, error) {
	c := s.c
	return sendOp[PaymentStatus](ctx, c, int(linkmoney.OpGetTransaction), opts, c.paramCheck("transactionId", paymentID), func() (*http.Request, error) {
		return linkmoney.NewGetTransactionRequest(c.baseURL, paymentID)
	})
}
