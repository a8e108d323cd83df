package sandbox_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/moneykit"
	"github.com/banklink/banklink/facade/sandbox"
)

// dataCall calls one data operation with the link (or user) id.
type dataCall struct {
	op   string
	call func(ctx context.Context, mk *moneykit.Client, id string, opts ...facade.CallOption) error
}

func discard[T any](_ T, err error) error { return err }

// linkCalls are the data operations on one link.
var linkCalls = []dataCall{
	{"getAccounts", func(ctx context.Context, mk *moneykit.Client, id string, o ...facade.CallOption) error {
		return discard(mk.Accounts.List(ctx, id, nil, o...))
	}},
	{"getAccount", func(ctx context.Context, mk *moneykit.Client, id string, o ...facade.CallOption) error {
		return discard(mk.Accounts.Get(ctx, id, "acc_0", o...))
	}},
	{"getAccountNumbers", func(ctx context.Context, mk *moneykit.Client, id string, o ...facade.CallOption) error {
		return discard(mk.Accounts.Numbers(ctx, id, o...))
	}},
	{"getIdentity", func(ctx context.Context, mk *moneykit.Client, id string, o ...facade.CallOption) error {
		return discard(mk.Identity.Get(ctx, id, nil, o...))
	}},
	{"getTransactions", func(ctx context.Context, mk *moneykit.Client, id string, o ...facade.CallOption) error {
		return discard(mk.Transactions.List(ctx, id, moneykit.TransactionsParams{}, o...))
	}},
	{"getTransactionsSync", func(ctx context.Context, mk *moneykit.Client, id string, o ...facade.CallOption) error {
		return discard(mk.Transactions.SyncPage(ctx, id, "", 0, o...))
	}},
	{"updateTransactionEnrichment", func(ctx context.Context, mk *moneykit.Client, id string, o ...facade.CallOption) error {
		return discard(mk.Transactions.UpdateEnrichment(ctx, id, "txn_x", "food_and_drink", "", o...))
	}},
	{"getHoldings", func(ctx context.Context, mk *moneykit.Client, id string, o ...facade.CallOption) error {
		return discard(mk.Investments.Holdings(ctx, id, nil, o...))
	}},
	{"getInvestmentTransactions", func(ctx context.Context, mk *moneykit.Client, id string, o ...facade.CallOption) error {
		return discard(mk.Investments.Transactions(ctx, id, moneykit.TransactionsParams{}, o...))
	}},
	{"refreshProducts", func(ctx context.Context, mk *moneykit.Client, id string, o ...facade.CallOption) error {
		return discard(mk.Links.Refresh(ctx, id, []moneykit.Product{moneykit.ProductTransactions}, o...))
	}},
	{"resetLink", func(ctx context.Context, mk *moneykit.Client, id string, o ...facade.CallOption) error {
		return discard(mk.Links.Reset(ctx, id, o...))
	}},
	{"importTransactions", func(ctx context.Context, mk *moneykit.Client, id string, o ...facade.CallOption) error {
		return discard(mk.Links.ImportTransactions(ctx, id, []moneykit.TransactionImportData{{AccountId: "ext-1", Amount: "1.00", Date: "2025-02-01"}}, o...))
	}},
}

// appCalls are the data operations outside one link; id is the user's.
var appCalls = []dataCall{
	{"getLinks", func(ctx context.Context, mk *moneykit.Client, _ string, o ...facade.CallOption) error {
		return discard(mk.Links.List(ctx, moneykit.LinksParams{}, o...))
	}},
	{"importLink", func(ctx context.Context, mk *moneykit.Client, id string, o ...facade.CallOption) error {
		return discard(mk.Links.Import(ctx, importRequest(id), o...))
	}},
	{"getUserAccounts", func(ctx context.Context, mk *moneykit.Client, id string, o ...facade.CallOption) error {
		return discard(mk.Users.Accounts(ctx, id, nil, o...))
	}},
	{"getUserTransactions", func(ctx context.Context, mk *moneykit.Client, id string, o ...facade.CallOption) error {
		return discard(mk.Users.Transactions(ctx, id, moneykit.TransactionsParams{}, o...))
	}},
	{"getInstitutions", func(ctx context.Context, mk *moneykit.Client, _ string, o ...facade.CallOption) error {
		return discard(mk.Institutions.List(ctx, moneykit.InstitutionsParams{}, o...))
	}},
	{"getInstitution", func(ctx context.Context, mk *moneykit.Client, _ string, o ...facade.CallOption) error {
		return discard(mk.Institutions.Get(ctx, "instant_bank", o...))
	}},
	{"introspectClient", func(ctx context.Context, mk *moneykit.Client, _ string, o ...facade.CallOption) error {
		return discard(mk.Auth.Introspect(ctx, o...))
	}},
}

func importRequest(user string) *moneykit.ImportLinkRequest {
	return &moneykit.ImportLinkRequest{
		CustomerUser:  moneykit.LinkSessionCustomerUser{Id: user},
		InstitutionId: "instant_bank",
		Accounts:      []moneykit.AccountImportData{{AccountId: "ext-1", Name: "Checking", Type: "checking", Balances: moneykit.AccountBalances{Current: ptr(10.0)}}},
		Transactions:  []moneykit.TransactionImportData{{AccountId: "ext-1", Amount: "-9.99", Date: "2025-02-01"}},
	}
}

// statusOf is the HTTP status of a facade error.
func statusOf(err error) int {
	var ae *facade.Error
	if errors.As(err, &ae) {
		return ae.StatusCode
	}
	return 0
}

// revokedToken is a call option that sends a bearer token the provider
// never issued, as after a revocation.
var revokedToken = facade.WithMiddleware(func(req *http.Request, next facade.Next) (*http.Response, error) {
	req.Header.Set("Authorization", "Bearer revoked-token")
	return next(req)
})

// Every data operation answers its documented error statuses in the right
// cases, and the facade turns each into its typed error.
func TestFacadeEveryDataOperationErrorStatuses(t *testing.T) {
	sb, mk := newFacadeData(t, facade.WithMaxRetries(0))
	ctx := context.Background()
	connected := facadeLink(t, sb, mk, "user-ferrs", "credentials_bank", sandbox.ConnectOptions{})
	imported, err := mk.Links.Import(ctx, importRequest("user-ferrs-imp"))
	require.NoError(t, err)
	gone := facadeLink(t, sb, mk, "user-ferrs-gone", "credentials_bank", sandbox.ConnectOptions{})
	impGone, err := mk.Links.Import(ctx, importRequest("user-ferrs-impgone"))
	require.NoError(t, err)
	require.NoError(t, mk.Links.Delete(ctx, gone))
	require.NoError(t, mk.Links.Delete(ctx, impGone.LinkId))
	other, err := moneykit.New(facade.WithBaseURL(sb.MoneyKit().BaseURL),
		facade.WithCredentials(sandbox.MoneyKitOtherClientID, sandbox.MoneyKitOtherClientSecret), facade.WithMaxRetries(0), facade.WithWait(noWait), facade.WithoutDocumentedLimits())
	require.NoError(t, err)
	t.Cleanup(other.CloseIdleConnections)

	// The link each operation works on: imported links for the import.
	own := func(op string) (link, deleted string) {
		if op == "importTransactions" {
			return imported.LinkId, impGone.LinkId
		}
		return connected, gone
	}
	for _, c := range linkCalls {
		t.Run(c.op, func(t *testing.T) {
			link, deleted := own(c.op)
			err := c.call(ctx, mk, "mk_unknown00000000000000")
			assert.ErrorIs(t, err, facade.ErrLinkNotFound, "an unknown link")
			assert.Equal(t, 404, statusOf(err))

			err = c.call(ctx, mk, deleted)
			assert.ErrorIs(t, err, facade.ErrLinkDeleted, "a deleted link")
			assert.Equal(t, 410, statusOf(err))

			err = c.call(ctx, mk, link, revokedToken)
			assert.ErrorIs(t, err, facade.ErrUnauthorized, "a token the provider did not issue")
			assert.Equal(t, 401, statusOf(err))

			err = c.call(ctx, other, link)
			assert.Equal(t, 401, statusOf(err), "another application's link: %v", err)
			if c.op != "importTransactions" {
				assert.ErrorIs(t, err, facade.ErrUnauthorizedLinkAccess)
			}

			sb.SetFaults(map[string]sandbox.Fault{c.op: {Rate: 1, Statuses: []int{429}}})
			err = c.call(ctx, mk, link)
			sb.SetFaults(nil)
			assert.ErrorIs(t, err, facade.ErrRateLimited)
			assert.Equal(t, 429, statusOf(err))
		})
	}
	for _, c := range appCalls {
		t.Run(c.op, func(t *testing.T) {
			err := c.call(ctx, mk, "user-ferrs", revokedToken)
			assert.ErrorIs(t, err, facade.ErrUnauthorized)
			assert.Equal(t, 401, statusOf(err))

			sb.SetFaults(map[string]sandbox.Fault{c.op: {Rate: 1, Statuses: []int{429}}})
			err = c.call(ctx, mk, "user-ferrs")
			sb.SetFaults(nil)
			assert.ErrorIs(t, err, facade.ErrRateLimited)
			assert.Equal(t, 429, statusOf(err))

			require.NoError(t, c.call(ctx, mk, "user-ferrs"), "the same call succeeds without the fault")
		})
	}

	// 403: products the user did not grant, or the institution lacks.
	instant := facadeLink(t, sb, mk, "user-ferrs-instant", "instant_bank", sandbox.ConnectOptions{})
	denied := facadeLink(t, sb, mk, "user-ferrs-denied", "credentials_bank", sandbox.ConnectOptions{
		DenyProducts: []string{"accounts", "transactions", "identity", "account_numbers", "investments"},
	})
	for _, c := range linkCalls {
		switch c.op {
		case "resetLink", "importTransactions":
			continue // no product behind them
		case "getHoldings", "getInvestmentTransactions":
			err := c.call(ctx, mk, instant)
			assert.ErrorIs(t, err, facade.ErrForbiddenAction, "%s: Instant Bank has no investments", c.op)
			assert.Equal(t, 403, statusOf(err), c.op)
		}
		err := c.call(ctx, mk, denied)
		assert.ErrorIs(t, err, facade.ErrForbiddenAction, "%s: the user denied its product", c.op)
		assert.Equal(t, 403, statusOf(err), c.op)
	}

	// 422: a link in an error state cannot be read or refreshed.
	_, err = mk.Links.Reset(ctx, connected)
	require.NoError(t, err)
	for _, c := range linkCalls {
		switch c.op {
		case "resetLink", "importTransactions", "updateTransactionEnrichment":
			continue
		}
		err := c.call(ctx, mk, connected)
		assert.ErrorIs(t, err, facade.ErrBadState, "%s of a link in state error", c.op)
		assert.Equal(t, 422, statusOf(err), c.op)
	}
	// 422 for the import of transactions into a link that was not imported.
	_, err = mk.Links.ImportTransactions(ctx, instant, []moneykit.TransactionImportData{{AccountId: "ext-1", Amount: "1.00", Date: "2025-02-01"}})
	assert.Equal(t, 422, statusOf(err), "%v", err)
}

// The published per-link limits answer 429 with a Retry-After the facade
// reports.
func TestFacadeDataRateLimitsPerLink(t *testing.T) {
	sb, mk := newFacadeData(t, facade.WithMaxRetries(0))
	ctx := context.Background()
	id := facadeLink(t, sb, mk, "user-flimits", "credentials_bank", sandbox.ConnectOptions{})
	accts, err := mk.Accounts.List(ctx, id, nil)
	require.NoError(t, err)
	acct := accts.Accounts[0].AccountId
	sb.Advance(time.Minute) // a fresh window for every limit
	for _, tc := range []struct {
		op   string
		n    int
		call func(mk *moneykit.Client) error
	}{
		{"getAccounts", 4, func(mk *moneykit.Client) error { return discard(mk.Accounts.List(ctx, id, nil)) }},
		{"getAccountNumbers", 3, func(mk *moneykit.Client) error { return discard(mk.Accounts.Numbers(ctx, id)) }},
		{"getIdentity", 3, func(mk *moneykit.Client) error { return discard(mk.Identity.Get(ctx, id, nil)) }},
		{"getAccount", 15, func(mk *moneykit.Client) error { return discard(mk.Accounts.Get(ctx, id, acct)) }},
	} {
		// A client of its own: a client holds its calls back after a 429.
		mk, err := moneykit.New(facade.WithMaxRetries(0), facade.WithWait(noWait), facade.WithoutDocumentedLimits())
		require.NoError(t, err)
		t.Cleanup(mk.CloseIdleConnections)
		for i := range tc.n {
			require.NoError(t, tc.call(mk), "%s call %d is within the limit", tc.op, i+1)
		}
		err = tc.call(mk)
		require.ErrorIs(t, err, facade.ErrRateLimited, tc.op)
		var ae *facade.Error
		require.ErrorAs(t, err, &ae)
		assert.Positive(t, ae.RetryAfter, tc.op)
	}
}
