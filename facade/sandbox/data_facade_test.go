package sandbox_test

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/linkmoney"
	"github.com/banklink/banklink/facade/moneykit"
	"github.com/banklink/banklink/facade/sandbox"
)

// facadeLink links institution inst for user through the facade, with every
// product requested, and returns the link id.
func facadeLink(t *testing.T, sb *sandbox.Sandbox, mk *moneykit.Client, user, inst string, opt sandbox.ConnectOptions) string {
	t.Helper()
	ctx := context.Background()
	p := &moneykit.ProductSettings{}
	req := moneykit.NewLinkSession(user, "https://app.example/oauth", moneykit.WithInstitution(inst))
	req.Settings = moneykit.LinkSessionSettingOverrides{Products: moneykit.ProductsSettings{AccountNumbers: p, Identity: p, Transactions: p, Investments: p}}
	ls, err := mk.LinkSessions.Create(ctx, req)
	require.NoError(t, err)
	exch, err := sb.CompleteLinkSession(ls.LinkSessionToken, opt)
	require.NoError(t, err)
	res, err := mk.LinkSessions.Exchange(ctx, exch)
	require.NoError(t, err)
	return res.Link.LinkId
}

func newFacadeData(t *testing.T, opts ...facade.Option) (*sandbox.Sandbox, *moneykit.Client) {
	t.Helper()
	cfg, _ := fakeClockConfig()
	sb := sandbox.Start(t, cfg)
	sb.Setenv(t)
	mk, err := moneykit.New(append([]facade.Option{facade.WithWait(noWait), facade.WithoutDocumentedLimits()}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(mk.CloseIdleConnections)
	return sb, mk
}

func TestFacadeAccountData(t *testing.T) {
	sb, mk := newFacadeData(t)
	ctx := context.Background()
	id := facadeLink(t, sb, mk, "user-fdata", "credentials_bank", sandbox.ConnectOptions{})

	accts, err := mk.Accounts.List(ctx, id, nil)
	require.NoError(t, err)
	require.Len(t, accts.Accounts, 4)
	one, err := mk.Accounts.List(ctx, id, []string{accts.Accounts[1].AccountId})
	require.NoError(t, err)
	require.Len(t, one.Accounts, 1)
	a, err := mk.Accounts.Get(ctx, id, accts.Accounts[0].AccountId)
	require.NoError(t, err)
	assert.Equal(t, accts.Accounts[0], a.Account)
	_, err = mk.Accounts.Get(ctx, id, "acc_nope")
	assert.ErrorIs(t, err, facade.ErrNotFound)
	assert.NotErrorIs(t, err, facade.ErrLinkNotFound)

	nums, err := mk.Accounts.Numbers(ctx, id)
	require.NoError(t, err)
	for _, a := range nums.Accounts {
		for _, n := range a.Numbers.Ach {
			assert.True(t, abaValid(n.RoutingNumber))
		}
	}
	idn, err := mk.Identity.Get(ctx, id, nil)
	require.NoError(t, err)
	assert.NotEmpty(t, idn.Accounts[0].Owners)

	h, err := mk.Investments.Holdings(ctx, id, nil)
	require.NoError(t, err)
	assert.Len(t, h.Holdings, 3)
	var inv []string
	for it, err := range mk.Investments.TransactionsPager(id, moneykit.TransactionsParams{Size: 5}).All(ctx) {
		require.NoError(t, err)
		inv = append(inv, it.InvestmentTransactionId)
	}
	assert.Len(t, inv, 12)

	byUser, err := mk.Users.Accounts(ctx, "user-fdata", nil)
	require.NoError(t, err)
	assert.Len(t, byUser[id].Accounts, 4)
	ut, err := mk.Users.Transactions(ctx, "user-fdata", moneykit.TransactionsParams{Size: 3})
	require.NoError(t, err)
	assert.Len(t, ut.Transactions, 3)

	links := mk.Links.Pager(moneykit.LinksParams{})
	var ids []string
	for l, err := range links.All(ctx) {
		require.NoError(t, err)
		ids = append(ids, l.LinkId)
	}
	assert.Equal(t, []string{id}, ids)
	assert.Equal(t, 1, links.Pages())

	in, err := mk.Auth.Introspect(ctx)
	require.NoError(t, err)
	assert.Equal(t, sandbox.MoneyKitClientID, in.ClientId)

	r, err := mk.Links.Reset(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, moneykit.PublicLinkState("error"), r.State)
	_, err = mk.Accounts.List(ctx, id, nil)
	assert.ErrorIs(t, err, facade.ErrBadState)
}

func TestFacadeDataErrors(t *testing.T) {
	sb, mk := newFacadeData(t, facade.WithMaxRetries(0))
	ctx := context.Background()
	_, err := mk.Accounts.List(ctx, "mk_unknown", nil)
	assert.ErrorIs(t, err, facade.ErrLinkNotFound)

	denied := facadeLink(t, sb, mk, "user-fdenied", "instant_bank", sandbox.ConnectOptions{DenyProducts: []string{"accounts"}})
	_, err = mk.Accounts.List(ctx, denied, nil)
	assert.ErrorIs(t, err, facade.ErrForbiddenAction, "reading accounts the user denied is 403")
	_, err = mk.Transactions.List(ctx, denied, moneykit.TransactionsParams{})
	assert.ErrorIs(t, err, facade.ErrForbiddenAction)

	id := facadeLink(t, sb, mk, "user-ferr", "instant_bank", sandbox.ConnectOptions{})
	_, err = mk.Investments.Holdings(ctx, id, nil)
	assert.ErrorIs(t, err, facade.ErrForbiddenAction, "Instant Bank has no investments")

	other, err := moneykit.New(facade.WithCredentials(sandbox.MoneyKitOtherClientID, sandbox.MoneyKitOtherClientSecret), facade.WithMaxRetries(0))
	require.NoError(t, err)
	t.Cleanup(other.CloseIdleConnections)
	_, err = other.Identity.Get(ctx, id, nil)
	assert.ErrorIs(t, err, facade.ErrUnauthorizedLinkAccess)

	// Bad input is refused before anything is sent.
	before := len(sb.Requests())
	_, err = mk.Transactions.List(ctx, id, moneykit.TransactionsParams{Size: 1001})
	require.ErrorIs(t, err, facade.ErrInvalidRequest)
	assert.Contains(t, err.Error(), "size")
	_, err = mk.Transactions.SyncPage(ctx, id, "", 501)
	require.ErrorIs(t, err, facade.ErrInvalidRequest)
	_, err = mk.Links.List(ctx, moneykit.LinksParams{Limit: 10})
	require.ErrorIs(t, err, facade.ErrInvalidRequest)
	_, err = mk.Institutions.List(ctx, moneykit.InstitutionsParams{Limit: 1001})
	require.ErrorIs(t, err, facade.ErrInvalidRequest)
	_, err = mk.Links.Refresh(ctx, id, nil)
	require.ErrorIs(t, err, facade.ErrInvalidRequest, "at least one product")
	_, err = mk.Accounts.Get(ctx, id, "")
	require.ErrorIs(t, err, facade.ErrInvalidRequest)
	_, err = mk.Transactions.List(ctx, id, moneykit.TransactionsParams{StartDate: time.Now(), EndDate: time.Now().AddDate(0, 0, -1)})
	require.ErrorIs(t, err, facade.ErrInvalidRequest)
	assert.Len(t, sb.Requests(), before, "nothing was sent")

	require.NoError(t, mk.Links.Delete(ctx, denied))
	_, err = mk.Accounts.List(ctx, denied, nil)
	assert.ErrorIs(t, err, facade.ErrLinkDeleted)
	// Last, as the client then waits out the server's window: the identity
	// endpoint allows three reads a minute per link.
	sb.Advance(time.Minute)
	for range 3 {
		_, err = mk.Identity.Get(ctx, id, nil)
		require.NoError(t, err)
	}
	_, err = mk.Identity.Get(ctx, id, nil)
	assert.ErrorIs(t, err, facade.ErrRateLimited)
}

func TestFacadeTransactionsPagerAndSyncResume(t *testing.T) {
	sb, mk := newFacadeData(t)
	ctx := context.Background()
	id := facadeLink(t, sb, mk, "user-fsync", "oauth_bank", sandbox.ConnectOptions{})

	list := func() map[string]moneykit.Transaction {
		t.Helper()
		params := moneykit.TransactionsParams{Size: 200, AccountIDs: nil}
		p := mk.Transactions.Pager(id, params)
		out := map[string]moneykit.Transaction{}
		for tx, err := range p.All(ctx) {
			require.NoError(t, err)
			_, dup := out[tx.TransactionId]
			require.False(t, dup, "a pager yields each transaction once")
			out[tx.TransactionId] = tx
		}
		assert.Equal(t, moneykit.TransactionsParams{Size: 200}, params, "the caller's parameters are not changed")
		assert.True(t, p.Done())
		assert.Greater(t, p.Page(), 1)
		return out
	}
	before := list()

	// The first sync applies the whole history; the cursor is stored per batch.
	var stored string
	created := map[string]bool{}
	sync := mk.Transactions.Sync(id, "")
	batches := 0
	for b, err := range sync.All(ctx) {
		require.NoError(t, err)
		for _, tx := range b.Created {
			created[tx.TransactionId] = true
		}
		stored = b.Cursor
		batches++
	}
	require.NoError(t, sync.Err())
	assert.Equal(t, stored, sync.Cursor())
	assert.Greater(t, batches, 1)
	assert.Len(t, created, len(before))

	// A refresh later, a sync resumed from the stored cursor yields exactly
	// the new, updated and removed transactions.
	sb.Advance(50 * time.Hour)
	_, err := mk.Links.Refresh(ctx, id, []moneykit.Product{"transactions"})
	require.NoError(t, err)
	after := list()

	var gotNew, gotRemoved []string
	updated := map[string]moneykit.Transaction{}
	for b, err := range mk.Transactions.Sync(id, stored).All(ctx) {
		require.NoError(t, err)
		for _, tx := range b.Created {
			gotNew = append(gotNew, tx.TransactionId)
		}
		for _, tx := range b.Updated {
			updated[tx.TransactionId] = tx
		}
		gotRemoved = append(gotRemoved, b.Removed...)
	}
	var wantNew, wantRemoved []string
	for id := range after {
		if _, ok := before[id]; !ok {
			wantNew = append(wantNew, id)
		}
	}
	for id, tx := range before {
		if _, ok := after[id]; !ok && !tx.Pending {
			wantRemoved = append(wantRemoved, id)
		}
	}
	sort.Strings(gotNew)
	sort.Strings(wantNew)
	assert.NotEmpty(t, wantNew)
	assert.Equal(t, wantNew, gotNew, "no gap and no duplicate")
	assert.Equal(t, wantRemoved, gotRemoved)
	assert.Len(t, wantRemoved, 1)
	// Pending transactions are replaced wholesale: the previous ones are
	// gone from the list, and never reported updated or removed.
	for id, tx := range before {
		if tx.Pending {
			assert.NotContains(t, after, id)
			assert.NotContains(t, updated, id)
			assert.NotContains(t, gotRemoved, id)
		}
	}
	assert.NotEmpty(t, updated, "a posted transaction is corrected")
}

func TestFacadeInstitutionsPager(t *testing.T) {
	_, mk := newFacadeData(t)
	ctx := context.Background()
	params := moneykit.InstitutionsParams{Limit: 10}
	p := mk.Institutions.Pager(params)
	var names []string
	for in, err := range p.All(ctx) {
		require.NoError(t, err)
		names = append(names, in.Name)
	}
	assert.Greater(t, p.Pages(), 5)
	assert.Equal(t, "", p.Cursor())
	assert.Subset(t, names, []string{"Instant Bank", "Credentials Bank", "OAuth Bank"})
	assert.Equal(t, moneykit.InstitutionsParams{Limit: 10}, params)

	in, err := mk.Institutions.Get(ctx, "oauth_bank")
	require.NoError(t, err)
	assert.True(t, in.IsFeatured)
	_, err = mk.Institutions.Get(ctx, "no_such_bank")
	assert.ErrorIs(t, err, facade.ErrNotFound)
}

func TestFacadeImport(t *testing.T) {
	_, mk := newFacadeData(t)
	ctx := context.Background()
	l, err := mk.Links.Import(ctx, &moneykit.ImportLinkRequest{
		CustomerUser:  moneykit.LinkSessionCustomerUser{Id: "user-fimport"},
		InstitutionId: "instant_bank",
		Accounts:      []moneykit.AccountImportData{{AccountId: "ext-1", Name: "Checking", Type: "checking", Balances: moneykit.AccountBalances{Current: ptr(10.0)}}},
		Transactions:  []moneykit.TransactionImportData{{AccountId: "ext-1", Amount: "-9.99", Date: "2024-04-01"}},
	})
	require.NoError(t, err)
	assert.Equal(t, moneykit.PublicLinkError("auth_expired"), l.ErrorCode)
	l2, err := mk.Links.ImportTransactions(ctx, l.LinkId, []moneykit.TransactionImportData{{AccountId: "ext-1", Amount: "5", Date: "2024-04-02"}})
	require.NoError(t, err)
	assert.Equal(t, l.LinkId, l2.LinkId)
	_, err = mk.Links.ImportTransactions(ctx, l.LinkId, []moneykit.TransactionImportData{{AccountId: "ext-1", Amount: "5", Date: "April 2"}})
	require.ErrorIs(t, err, facade.ErrInvalidRequest, "the date pattern is checked before sending")
}

func TestFacadePaymentStatusAndRelease(t *testing.T) {
	cfg, _ := fakeClockConfig()
	sb := sandbox.Start(t, cfg)
	sb.Setenv(t)
	lm, err := linkmoney.New(facade.WithWait(noWait), facade.WithoutDocumentedLimits())
	require.NoError(t, err)
	t.Cleanup(lm.CloseIdleConnections)
	ctx := context.Background()
	cust := newCustomer(t, sb, lmClient(t, sb))

	held, err := lm.Payments.Create(ctx, linkmoney.NewPayment(cust, "m1", linkmoney.USD(500000)))
	require.NoError(t, err)
	st, err := lm.Payments.Status(ctx, held.PaymentId)
	require.NoError(t, err)
	assert.Equal(t, "PENDING", string(st.TransactionStatus))
	rel, err := lm.Payments.Release(ctx, held.PaymentId)
	require.NoError(t, err)
	assert.Equal(t, "AUTHORIZED", string(rel.PaymentStatus))
	sb.Advance(26 * time.Hour)
	st, err = lm.Payments.Status(ctx, held.PaymentId)
	require.NoError(t, err)
	assert.Equal(t, "INITIATED", string(st.TransactionStatus))
	_, err = lm.Payments.Status(ctx, "no-such-payment")
	assert.ErrorIs(t, err, facade.ErrNotFound)
}

// A pager and the sync loop send the call's options with every page.
func TestFacadePagersHonourCallOptionsOnEveryPage(t *testing.T) {
	sb, mk := newFacadeData(t)
	ctx := context.Background()
	id := facadeLink(t, sb, mk, "user-fopts", "instant_bank", sandbox.ConnectOptions{})
	before := len(sb.Requests())
	n := 0
	for _, err := range mk.Transactions.Pager(id, moneykit.TransactionsParams{Size: 100}, facade.WithHeader("X-Trace", "pager-1")).All(ctx) {
		require.NoError(t, err)
		n++
	}
	for _, err := range mk.Transactions.Sync(id, "", facade.WithHeader("X-Trace", "sync-1")).All(ctx) {
		require.NoError(t, err)
	}
	var pages, syncs int
	for _, r := range sb.Requests()[before:] {
		switch r.Operation {
		case "getTransactions":
			pages++
			assert.Equal(t, "pager-1", r.Header.Get("X-Trace"))
		case "getTransactionsSync":
			syncs++
			assert.Equal(t, "sync-1", r.Header.Get("X-Trace"))
		}
	}
	assert.Equal(t, (n+99)/100, pages, "one request per page")
	assert.Greater(t, pages, 1)
	assert.Positive(t, syncs)
}
