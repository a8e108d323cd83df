package sandbox_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade/sandbox"
	"github.com/banklink/banklink/gen/linkmoney"
	"github.com/banklink/banklink/gen/moneykit"
)

// dataFixture is a sandbox on a fake clock with a token and a helper to link
// an institution with every product requested.
type dataFixture struct {
	sb  *sandbox.Sandbox
	c   *moneykit.ClientWithResponses
	tok string
}

func newDataFixture(t *testing.T) *dataFixture {
	t.Helper()
	cfg, _ := fakeClockConfig()
	sb := sandbox.Start(t, cfg)
	c := mkClient(t, sb)
	return &dataFixture{sb: sb, c: c, tok: mkToken(t, c, sb.MoneyKit())}
}

func allProducts() moneykit.LinkSessionSettingOverrides {
	p := &moneykit.ProductSettings{}
	return moneykit.LinkSessionSettingOverrides{Products: moneykit.ProductsSettings{
		AccountNumbers: p, Identity: p, Transactions: p, Investments: p,
	}}
}

func (f *dataFixture) link(t *testing.T, user, inst string, opt sandbox.ConnectOptions) string {
	t.Helper()
	req := sessionRequest(user)
	req.Settings = allProducts()
	opt.InstitutionID = inst
	return newLink(t, f.sb, f.c, f.tok, req, opt)
}

var ctxb = context.Background()

func TestABACheck(t *testing.T) {
	// Real routing numbers pass; one changed digit fails.
	assert.True(t, abaValid("011000015"))
	assert.True(t, abaValid("021000021"))
	assert.False(t, abaValid("021000022"))
	assert.False(t, abaValid("12345678"))
}

func TestSandboxAccountsNumbersIdentity(t *testing.T) {
	f := newDataFixture(t)
	id := f.link(t, "user-data", "credentials_bank", sandbox.ConnectOptions{})

	res, err := f.c.GetAccountsWithResponse(ctxb, id, &moneykit.GetAccountsParams{MoneyKitVersion: mkVersion}, bearer(f.tok))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	accts := res.JSON200.Accounts
	types := map[string]bool{}
	for _, a := range accts {
		types[strings.SplitN(a.AccountType, ".", 2)[0]] = true
		require.NotNil(t, a.Balances.Current, a.AccountId)
		assert.Equal(t, "USD", a.Balances.Currency)
		assert.Len(t, a.AccountMask, 4)
	}
	assert.Equal(t, map[string]bool{"depository": true, "liability": true, "investment": true}, types)
	assert.Equal(t, id, res.JSON200.Link.LinkId)

	// account_ids filters; the generated client sends repeated keys.
	want := []string{accts[0].AccountId, accts[2].AccountId}
	res, err = f.c.GetAccountsWithResponse(ctxb, id, &moneykit.GetAccountsParams{AccountIds: want, MoneyKitVersion: mkVersion}, bearer(f.tok))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode())
	var got []string
	for _, a := range res.JSON200.Accounts {
		got = append(got, a.AccountId)
	}
	assert.Equal(t, want, got)

	one, err := f.c.GetAccountWithResponse(ctxb, id, accts[1].AccountId, &moneykit.GetAccountParams{MoneyKitVersion: mkVersion}, bearer(f.tok))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, one.StatusCode())
	assert.Equal(t, accts[1], one.JSON200.Account)
	missing, err := f.c.GetAccountWithResponse(ctxb, id, "acc_nope", &moneykit.GetAccountParams{MoneyKitVersion: mkVersion}, bearer(f.tok))
	require.NoError(t, err)
	assert.Equal(t, http.StatusNotFound, missing.StatusCode())
	assert.Equal(t, "account_error.not_found", mkErrorOf(t, missing.Body)["error_code"])

	nums, err := f.c.GetAccountNumbersWithResponse(ctxb, id, &moneykit.GetAccountNumbersParams{MoneyKitVersion: mkVersion}, bearer(f.tok))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, nums.StatusCode(), string(nums.Body))
	achs := 0
	for _, a := range nums.JSON200.Accounts {
		for _, n := range a.Numbers.Ach {
			achs++
			assert.True(t, abaValid(n.RoutingNumber), "routing number %s fails the ABA check", n.RoutingNumber)
			assert.True(t, strings.HasSuffix(n.AccountNumber, a.AccountMask))
		}
		if strings.HasPrefix(a.AccountType, "depository") {
			assert.Len(t, a.Numbers.Ach, 1, a.AccountType)
		} else {
			assert.Empty(t, a.Numbers.Ach, a.AccountType)
		}
	}
	assert.Equal(t, 2, achs)

	idn, err := f.c.GetIdentityWithResponse(ctxb, id, &moneykit.GetIdentityParams{MoneyKitVersion: mkVersion}, bearer(f.tok))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, idn.StatusCode())
	require.Len(t, idn.JSON200.Accounts, len(accts))
	for _, a := range idn.JSON200.Accounts {
		require.NotEmpty(t, a.Owners)
		assert.NotEmpty(t, a.Owners[0].Names)
		assert.NotEmpty(t, a.Owners[0].Addresses)
		assert.Contains(t, a.Owners[0].Emails[0].Address, "@example.com")
	}
}

func TestSandboxDataErrors(t *testing.T) {
	f := newDataFixture(t)
	p := &moneykit.GetAccountsParams{MoneyKitVersion: mkVersion}
	status := func(id string) (int, map[string]any) {
		res, err := f.c.GetAccountsWithResponse(ctxb, id, p, bearer(f.tok))
		require.NoError(t, err)
		if res.StatusCode() == http.StatusOK {
			return 200, nil
		}
		return res.StatusCode(), mkErrorOf(t, res.Body)
	}

	st, body := status("mk_unknown")
	assert.Equal(t, 404, st)
	assert.Equal(t, "link_error.not_found", body["error_code"])

	denied := f.link(t, "user-denied", "instant_bank", sandbox.ConnectOptions{DenyProducts: []string{"accounts"}})
	st, body = status(denied)
	assert.Equal(t, 403, st)
	assert.Equal(t, "link_error.forbidden_action", body["error_code"])

	failed := f.link(t, "user-failed", "instant_bank", sandbox.ConnectOptions{FailWith: "auth_expired"})
	st, body = status(failed)
	assert.Equal(t, 422, st)
	assert.Equal(t, "link_error.bad_state", body["error_code"])
	assert.Equal(t, "auth_expired", body["link_error_code"])

	// A product the user did not grant is 403 on its endpoint only.
	noID := f.link(t, "user-noid", "instant_bank", sandbox.ConnectOptions{DenyProducts: []string{"identity"}})
	st, _ = status(noID)
	assert.Equal(t, 200, st)
	idn, err := f.c.GetIdentityWithResponse(ctxb, noID, &moneykit.GetIdentityParams{MoneyKitVersion: mkVersion}, bearer(f.tok))
	require.NoError(t, err)
	assert.Equal(t, http.StatusForbidden, idn.StatusCode())
	// Instant Bank has no investments product.
	h, err := f.c.GetHoldingsWithResponse(ctxb, noID, &moneykit.GetHoldingsParams{MoneyKitVersion: mkVersion}, bearer(f.tok))
	require.NoError(t, err)
	assert.Equal(t, http.StatusForbidden, h.StatusCode())

	// Another application's link is 401.
	other := mkToken(t, f.c, f.sb.MoneyKitOtherApp())
	res, err := f.c.GetAccountsWithResponse(ctxb, noID, p, bearer(other))
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode())
	assert.Equal(t, "link_error.unauthorized_access", mkErrorOf(t, res.Body)["error_code"])

	// Four reads a minute per link; the fifth is 429 until the window passes.
	f.sb.Advance(time.Minute)
	for range 4 {
		st, _ = status(noID)
		require.Equal(t, 200, st)
	}
	st, body = status(noID)
	assert.Equal(t, 429, st)
	assert.Equal(t, "api_error.rate_limit_exceeded", body["error_code"])
	f.sb.Advance(time.Minute)
	st, _ = status(noID)
	assert.Equal(t, 200, st)

	// A deleted link is 410.
	del, err := f.c.DeleteLinkWithResponse(ctxb, noID, &moneykit.DeleteLinkParams{MoneyKitVersion: mkVersion}, bearer(f.tok))
	require.NoError(t, err)
	require.Equal(t, http.StatusNoContent, del.StatusCode())
	f.sb.Advance(time.Minute)
	st, body = status(noID)
	assert.Equal(t, 410, st)
	assert.Equal(t, "link_error.deleted", body["error_code"])

	// No token is 401 before any handler runs.
	res, err = f.c.GetAccountsWithResponse(ctxb, failed, p)
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode())
}

// syncAll runs the sync loop from cursor and returns what it reported and the cursor to store.
func syncAll(t *testing.T, f *dataFixture, id, cursor string, size int) (created, updated map[string]moneykit.TransactionResponse, removed []string, next string, calls int) {
	t.Helper()
	created, updated = map[string]moneykit.TransactionResponse{}, map[string]moneykit.TransactionResponse{}
	for {
		p := &moneykit.GetTransactionsSyncParams{Size: &size, MoneyKitVersion: mkVersion}
		if cursor != "" {
			p.Cursor = &cursor
		}
		res, err := f.c.GetTransactionsSyncWithResponse(ctxb, id, p, bearer(f.tok))
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		calls++
		b := res.JSON200
		for _, tx := range b.Transactions.Created {
			_, dup := created[tx.TransactionId]
			require.False(t, dup, "created twice: %s", tx.TransactionId)
			created[tx.TransactionId] = tx
		}
		for _, tx := range b.Transactions.Updated {
			updated[tx.TransactionId] = tx
		}
		removed = append(removed, b.Transactions.Removed...)
		require.LessOrEqual(t, len(b.Transactions.Created)+len(b.Transactions.Updated)+len(b.Transactions.Removed), size)
		cursor = b.Cursor.Next
		if !b.HasMore {
			return created, updated, removed, cursor, calls
		}
	}
}

func allTransactions(t *testing.T, f *dataFixture, id string) map[string]moneykit.TransactionResponse {
	t.Helper()
	out := map[string]moneykit.TransactionResponse{}
	size := 1000
	for page := 1; ; page++ {
		res, err := f.c.GetTransactionsWithResponse(ctxb, id, &moneykit.GetTransactionsParams{Page: &page, Size: &size, MoneyKitVersion: mkVersion}, bearer(f.tok))
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		for _, tx := range res.JSON200.Transactions {
			out[tx.TransactionId] = tx
		}
		if page*size >= res.JSON200.Total {
			require.Len(t, out, res.JSON200.Total)
			return out
		}
	}
}

func TestSandboxTransactionsPagedAndSynced(t *testing.T) {
	f := newDataFixture(t)
	id := f.link(t, "user-sync", "instant_bank", sandbox.ConnectOptions{})
	now := f.sb.Now()

	before := allTransactions(t, f, id)
	oldest, pending := now, 0
	for _, tx := range before {
		if tx.Date.Before(oldest) {
			oldest = tx.Date.Time
		}
		if tx.Pending {
			pending++
		}
	}
	assert.Less(t, oldest, now.AddDate(-1, 0, 0), "at least a year of history")
	assert.Positive(t, pending, "recent transactions are pending")

	// Pages are newest first and dates filter.
	size, page := 5, 1
	start := now.AddDate(0, 0, -30).Format(time.DateOnly)
	res, err := f.c.GetTransactionsWithResponse(ctxb, id, &moneykit.GetTransactionsParams{
		Page: &page, Size: &size, StartDate: mustDate(t, start), MoneyKitVersion: mkVersion,
	}, bearer(f.tok))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	ts := res.JSON200.Transactions
	require.Len(t, ts, 5)
	assert.Equal(t, 5, res.JSON200.Size)
	assert.Less(t, res.JSON200.Total, len(before))
	assert.True(t, sort.SliceIsSorted(ts, func(i, j int) bool { return ts[i].Date.After(ts[j].Date.Time) }), "newest first")

	// The first sync reports the whole history as created, in batches.
	created, updated, removed, cursor, calls := syncAll(t, f, id, "", 500)
	assert.Greater(t, calls, 1, "a year does not fit one batch")
	assert.Len(t, created, len(before))
	assert.Empty(t, removed)
	for id := range updated {
		assert.Contains(t, before, id)
	}

	// Three days on, a refresh brings new transactions, replaces the pending
	// ones (those that post come back as new posted transactions), corrects
	// one and removes one; the sync from the stored cursor reports exactly
	// that.
	f.sb.Advance(72 * time.Hour)
	f.tok = mkToken(t, f.c, f.sb.MoneyKit())
	rr, err := f.c.RefreshProductsWithResponse(ctxb, id, &moneykit.RefreshProductsParams{MoneyKitVersion: mkVersion},
		moneykit.RefreshProductsRequest{Products: []moneykit.Product{"transactions"}}, bearer(f.tok))
	require.NoError(t, err)
	require.Equal(t, http.StatusAccepted, rr.StatusCode(), string(rr.Body))
	after := allTransactions(t, f, id)

	created2, updated2, removed2, _, _ := syncAll(t, f, id, cursor, 50)
	var wantNew, gotNew []string
	for id := range after {
		if _, ok := before[id]; !ok {
			wantNew = append(wantNew, id)
		}
	}
	for id := range created2 {
		gotNew = append(gotNew, id)
	}
	sort.Strings(wantNew)
	sort.Strings(gotNew)
	assert.NotEmpty(t, wantNew)
	assert.Equal(t, wantNew, gotNew, "created: exactly the new transactions")
	require.Len(t, removed2, 1)
	assert.Contains(t, before, removed2[0])
	assert.False(t, before[removed2[0]].Pending, "only posted transactions are removed")
	assert.NotContains(t, after, removed2[0], "removed transactions are gone from the list")
	require.Len(t, updated2, 1)
	for id, tx := range updated2 {
		assert.False(t, before[id].Pending, "only posted transactions are updated")
		assert.Equal(t, after[id], tx)
		assert.NotEmpty(t, tx.Enrichment.Subcategory.Value, "the correction refines the category")
	}
	for id, tx := range before {
		if tx.Pending {
			assert.NotContains(t, after, id, "the pending set is replaced wholesale")
		}
	}
	// Resuming again from the end reports nothing: no duplicate.
	_, _, _, end, _ := syncAll(t, f, id, cursor, 50)
	c3, u3, r3, _, calls3 := syncAll(t, f, id, end, 50)
	assert.Empty(t, c3)
	assert.Empty(t, u3)
	assert.Empty(t, r3)
	assert.Equal(t, 1, calls3)

	// A cursor the sandbox never gave is 422.
	bad := "sync_99999999"
	sr, err := f.c.GetTransactionsSyncWithResponse(ctxb, id, &moneykit.GetTransactionsSyncParams{Cursor: &bad, MoneyKitVersion: mkVersion}, bearer(f.tok))
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnprocessableEntity, sr.StatusCode())

	// An enrichment correction is reported as an update.
	var anyID string
	for id := range after {
		anyID = id
		break
	}
	er, err := f.c.UpdateTransactionEnrichmentWithResponse(ctxb, id, anyID, &moneykit.UpdateTransactionEnrichmentParams{MoneyKitVersion: mkVersion},
		moneykit.BudCategory{Category: "shopping", Subcategory: "books"}, bearer(f.tok))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, er.StatusCode(), string(er.Body))
	assert.Equal(t, "shopping", er.JSON200.Transactions[0].Enrichment.Category.Value)
	_, u4, _, _, _ := syncAll(t, f, id, end, 50)
	assert.Equal(t, "books", u4[anyID].Enrichment.Subcategory.Value)
}

func mustDate(t *testing.T, s string) *moneykit.StartDate {
	t.Helper()
	d, err := time.Parse(time.DateOnly, s)
	require.NoError(t, err)
	return &moneykit.StartDate{Time: d}
}

func TestSandboxCustomSandboxData(t *testing.T) {
	f := newDataFixture(t)
	req := sessionRequest("user-custom")
	req.Settings = allProducts()
	req.CustomSandboxData = moneykit.CustomSandboxData{
		Accounts: []moneykit.CustomSandboxAccount{
			{AccountType: "depository.checking", Name: "My Checking", AccountNumber: "9876543210", RoutingNumber: "021000021"},
			{AccountType: "depository.savings", Name: "My Savings", AccountNumber: "1111222233"},
		},
		Owners: []moneykit.Owner{{Names: []string{"Custom Owner"}, Addresses: []moneykit.OwnerAddress{}, PhoneNumbers: []moneykit.PhoneNumber{}, Emails: []moneykit.OwnerEmail{}}},
	}
	id := newLink(t, f.sb, f.c, f.tok, req, sandbox.ConnectOptions{InstitutionID: "credentials_bank"})
	nums, err := f.c.GetAccountNumbersWithResponse(ctxb, id, &moneykit.GetAccountNumbersParams{MoneyKitVersion: mkVersion}, bearer(f.tok))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, nums.StatusCode(), string(nums.Body))
	require.Len(t, nums.JSON200.Accounts, 2, "the custom accounts replace the generated ones")
	a := nums.JSON200.Accounts[0]
	assert.Equal(t, "My Checking", a.Name)
	assert.Equal(t, "3210", a.AccountMask)
	assert.Equal(t, []moneykit.AchNumber{{AccountNumber: "9876543210", RoutingNumber: "021000021", WireRoutingNumber: "021000021"}}, a.Numbers.Ach)
	assert.True(t, abaValid(nums.JSON200.Accounts[1].Numbers.Ach[0].RoutingNumber), "a generated routing number passes the check")
	idn, err := f.c.GetIdentityWithResponse(ctxb, id, &moneykit.GetIdentityParams{MoneyKitVersion: mkVersion}, bearer(f.tok))
	require.NoError(t, err)
	assert.Equal(t, []string{"Custom Owner"}, idn.JSON200.Accounts[1].Owners[0].Names)

	// A routing number with a wrong check digit is refused.
	req.CustomSandboxData.Accounts[0].RoutingNumber = "021000022"
	res, err := f.c.CreateLinkSessionWithResponse(ctxb, &moneykit.CreateLinkSessionParams{MoneyKitVersion: mkVersion}, req, bearer(f.tok))
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnprocessableEntity, res.StatusCode())
	assert.Contains(t, string(res.Body), "custom_sandbox_data.accounts[0].routing_number")
}

func TestSandboxInvestments(t *testing.T) {
	f := newDataFixture(t)
	id := f.link(t, "user-inv", "credentials_bank", sandbox.ConnectOptions{})
	h, err := f.c.GetHoldingsWithResponse(ctxb, id, &moneykit.GetHoldingsParams{MoneyKitVersion: mkVersion}, bearer(f.tok))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, h.StatusCode(), string(h.Body))
	require.Len(t, h.JSON200.Accounts, 1)
	assert.Equal(t, "investment.brokerage", h.JSON200.Accounts[0].AccountType)
	secs := map[string]bool{}
	for _, s := range h.JSON200.Securities {
		secs[s.SecurityId] = true
	}
	require.Len(t, h.JSON200.Holdings, 3)
	for _, x := range h.JSON200.Holdings {
		assert.True(t, secs[x.SecurityId], "a holding names a listed security")
		assert.Equal(t, h.JSON200.Accounts[0].AccountId, x.AccountId)
	}
	size, page := 5, 3
	it, err := f.c.GetInvestmentTransactionsWithResponse(ctxb, id, &moneykit.GetInvestmentTransactionsParams{Page: &page, Size: &size, MoneyKitVersion: mkVersion}, bearer(f.tok))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, it.StatusCode(), string(it.Body))
	assert.Equal(t, 12, it.JSON200.Total)
	assert.Len(t, it.JSON200.InvestmentTransactions, 2, "page 3 of 5 holds the last two of twelve")
}

func TestSandboxInstitutionsCatalogue(t *testing.T) {
	f := newDataFixture(t)
	limit := 7
	var names []string
	var cursor *string
	pages := 0
	for {
		res, err := f.c.GetInstitutionsWithResponse(ctxb, &moneykit.GetInstitutionsParams{Limit: &limit, Cursor: cursor, MoneyKitVersion: mkVersion}, bearer(f.tok))
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		pages++
		for _, in := range res.JSON200.Institutions {
			names = append(names, in.Name)
		}
		if res.JSON200.Cursors.Next == "" {
			break
		}
		next := res.JSON200.Cursors.Next
		cursor = &next
	}
	assert.Greater(t, pages, 5, "enough institutions to page through")
	assert.Subset(t, names, []string{"Instant Bank", "Credentials Bank", "OAuth Bank"})
	seen := map[string]bool{}
	for _, n := range names {
		assert.False(t, seen[n], "listed twice: %s", n)
		seen[n] = true
	}

	featured := true
	res, err := f.c.GetInstitutionsWithResponse(ctxb, &moneykit.GetInstitutionsParams{Featured: &featured, MoneyKitVersion: mkVersion}, bearer(f.tok))
	require.NoError(t, err)
	require.Len(t, res.JSON200.Institutions, 3)
	name := "oauth"
	res, err = f.c.GetInstitutionsWithResponse(ctxb, &moneykit.GetInstitutionsParams{Name: &name, MoneyKitVersion: mkVersion}, bearer(f.tok))
	require.NoError(t, err)
	require.Len(t, res.JSON200.Institutions, 1)
	assert.Equal(t, "oauth_bank", res.JSON200.Institutions[0].InstitutionId)

	one, err := f.c.GetInstitutionWithResponse(ctxb, "sandbox.instant_bank", &moneykit.GetInstitutionParams{MoneyKitVersion: mkVersion}, bearer(f.tok))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, one.StatusCode())
	assert.Equal(t, "Instant Bank", one.JSON200.Name)
	none, err := f.c.GetInstitutionWithResponse(ctxb, "nope", &moneykit.GetInstitutionParams{MoneyKitVersion: mkVersion}, bearer(f.tok))
	require.NoError(t, err)
	assert.Equal(t, http.StatusNotFound, none.StatusCode())
	assert.Equal(t, "institution_error.not_found", mkErrorOf(t, none.Body)["error_code"])

	// The limit is checked before anything is answered.
	zero := 0
	bad, err := f.c.GetInstitutionsWithResponse(ctxb, &moneykit.GetInstitutionsParams{Limit: &zero, MoneyKitVersion: mkVersion}, bearer(f.tok))
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnprocessableEntity, bad.StatusCode())
}

func TestSandboxLinksUsersImportResetIntrospect(t *testing.T) {
	f := newDataFixture(t)
	a := f.link(t, "user-many", "instant_bank", sandbox.ConnectOptions{})
	f.sb.Advance(time.Second)
	b := f.link(t, "user-many", "oauth_bank", sandbox.ConnectOptions{})

	links, err := f.c.GetLinksWithResponse(ctxb, &moneykit.GetLinksParams{MoneyKitVersion: mkVersion}, bearer(f.tok))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, links.StatusCode(), string(links.Body))
	require.Len(t, links.JSON200.Links, 2)
	assert.Equal(t, a, links.JSON200.Links[0].LinkId, "oldest first")
	assert.Equal(t, "", links.JSON200.NextCursor)

	ua, err := f.c.GetUserAccountsWithResponse(ctxb, "user-many", &moneykit.GetUserAccountsParams{MoneyKitVersion: mkVersion}, bearer(f.tok))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, ua.StatusCode())
	assert.Len(t, ua.JSON200.Links, 2)
	assert.Len(t, ua.JSON200.Links[b].Accounts, 3)

	size := 10
	ut, err := f.c.GetUserTransactionsWithResponse(ctxb, "user-many", &moneykit.GetUserTransactionsParams{Size: &size, MoneyKitVersion: mkVersion}, bearer(f.tok))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, ut.StatusCode(), string(ut.Body))
	assert.Len(t, ut.JSON200.Transactions, 10)
	for _, tx := range ut.JSON200.Transactions {
		acct, ok := ut.JSON200.Accounts[tx.AccountId]
		require.True(t, ok, "every transaction's account is described")
		assert.Contains(t, []string{a, b}, acct.LinkId)
	}

	reset, err := f.c.ResetLinkWithResponse(ctxb, a, &moneykit.ResetLinkParams{MoneyKitVersion: mkVersion}, bearer(f.tok))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, reset.StatusCode())
	assert.Equal(t, moneykit.PublicLinkState("error"), reset.JSON200.State)
	assert.Equal(t, moneykit.PublicLinkError("auth_expired"), reset.JSON200.ErrorCode)

	imp, err := f.c.ImportLinkWithResponse(ctxb, &moneykit.ImportLinkParams{MoneyKitVersion: mkVersion}, moneykit.ImportLinkRequest{
		CustomerUser:  moneykit.LinkSessionCustomerUser{Id: "user-import"},
		InstitutionId: "mx.chase",
		Accounts:      []moneykit.AccountImportData{{AccountId: "ext-1", Name: "Old Checking", Type: "checking", Balances: moneykit.AccountBalances{Current: ptr(12.5)}}},
		Transactions:  []moneykit.TransactionImportData{{AccountId: "ext-1", Amount: "-3.20", Date: "2024-05-01", TransactionId: "ext-t1"}},
	}, bearer(f.tok))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, imp.StatusCode(), string(imp.Body))
	assert.Equal(t, moneykit.PublicLinkState("error"), imp.JSON200.State, "an imported link starts disconnected")
	more, err := f.c.ImportTransactionsWithResponse(ctxb, imp.JSON200.LinkId, &moneykit.ImportTransactionsParams{MoneyKitVersion: mkVersion},
		moneykit.ImportTransactionsRequest{Transactions: []moneykit.TransactionImportData{{AccountId: "ext-404", Amount: "1", Date: "2024-05-02"}}}, bearer(f.tok))
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnprocessableEntity, more.StatusCode())
	assert.Contains(t, string(more.Body), "transactions[0].account_id")

	in, err := f.c.IntrospectClientWithResponse(ctxb, &moneykit.IntrospectClientParams{MoneyKitVersion: mkVersion}, bearer(f.tok))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, in.StatusCode())
	assert.Equal(t, sandbox.MoneyKitClientID, in.JSON200.ClientId)
}

func TestSandboxPaymentLifecycleOnTheFakeClock(t *testing.T) {
	cfg, _ := fakeClockConfig()
	sb := sandbox.Start(t, cfg)
	c := lmClient(t, sb)
	cust := newCustomer(t, sb, c)
	pay := lmToken(t, c, linkmoney.TokenScopeLinkPayment)
	create := func(value, key string) string {
		t.Helper()
		res, err := c.CreatePaymentWithResponse(ctxb, debit(cust, value, key), lmBearer(pay))
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		return res.JSON200.PaymentId
	}
	read := func(id string) *linkmoney.Transaction {
		t.Helper()
		res, err := c.GetTransactionWithResponse(ctxb, id, lmBearer(pay))
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		return res.JSON200
	}
	ok, bounced, held := create("25.00", "rk-ok"), create("25.13", "rk-r01"), create("5000.00", "rk-held")

	steps := []struct {
		after      time.Duration
		ok, bounce string
	}{
		{0, "AUTHORIZED", "AUTHORIZED"},
		{time.Hour, "SCHEDULED", "SCHEDULED"},
		{24 * time.Hour, "INITIATED", "INITIATED"},
		{48 * time.Hour, "SUCCEEDED", "TERMINAL_FAILED"},
	}
	for _, st := range steps {
		sb.Advance(st.after)
		pay = lmToken(t, c, linkmoney.TokenScopeLinkPayment)
		assert.Equal(t, linkmoney.TransactionStatus(st.ok), read(ok).TransactionStatus, "after %v", st.after)
		assert.Equal(t, linkmoney.TransactionStatus(st.bounce), read(bounced).TransactionStatus, "after %v", st.after)
		assert.Equal(t, linkmoney.TransactionStatus("PENDING"), read(held).TransactionStatus, "a held payment waits for its release")
	}
	b := read(bounced)
	assert.Equal(t, "R01", b.AchReturnCode)
	assert.Equal(t, "R01", b.TransactionFailureReason.Code)
	assert.Empty(t, read(ok).AchReturnCode)
	assert.Equal(t, json.Number("25.00"), read(ok).Amount.Value)

	rel, err := c.ReleasePaymentWithResponse(ctxb, held, lmBearer(pay))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, rel.StatusCode(), string(rel.Body))
	assert.Equal(t, linkmoney.PaymentStatusAUTHORIZED, rel.JSON200.PaymentStatus)
	sb.Advance(time.Hour)
	pay = lmToken(t, c, linkmoney.TokenScopeLinkPayment)
	assert.Equal(t, linkmoney.TransactionStatus("SCHEDULED"), read(held).TransactionStatus, "a released payment moves on")

	none, err := c.GetTransactionWithResponse(ctxb, "no-such-payment", lmBearer(pay))
	require.NoError(t, err)
	assert.Equal(t, http.StatusNotFound, none.StatusCode())
	nr, err := c.ReleasePaymentWithResponse(ctxb, "no-such-payment", lmBearer(pay))
	require.NoError(t, err)
	assert.Equal(t, http.StatusNotFound, nr.StatusCode())
	// The read needs a Link-Payment token.
	core := lmToken(t, c, linkmoney.TokenScopeLinkCore)
	wrong, err := c.GetTransactionWithResponse(ctxb, ok, lmBearer(core))
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, wrong.StatusCode())
}
