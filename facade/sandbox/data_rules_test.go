package sandbox_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade/sandbox"
	"github.com/banklink/banklink/gen/moneykit"
)

// TestImportedLinkIsReadable: MoneyKit documents an imported link as
// disconnected with auth_expired, "but all data will be available": its
// accounts and transactions read; a refresh, which needs the institution,
// answers 422 link_error.bad_state; a link reset into the same state
// without being imported stays unreadable.
func TestImportedLinkIsReadable(t *testing.T) {
	f := newDataFixture(t)
	imp, err := f.c.ImportLinkWithResponse(ctxb, &moneykit.ImportLinkParams{MoneyKitVersion: mkVersion}, moneykit.ImportLinkRequest{
		CustomerUser:  moneykit.LinkSessionCustomerUser{Id: "user-import"},
		InstitutionId: "instant_bank",
		Accounts:      []moneykit.AccountImportData{{AccountId: "ext-1", Name: "Old Checking", Type: "depository.checking", Balances: moneykit.AccountBalances{Current: ptr(12.5)}}},
		Transactions: []moneykit.TransactionImportData{
			{AccountId: "ext-1", Amount: "-3.20", Date: "2024-05-01", TransactionId: "ext-t1", Description: "Coffee"},
			{AccountId: "ext-1", Amount: "100", Date: "2024-05-02", TransactionId: "ext-t2", Description: "Payroll"},
		},
	}, bearer(f.tok))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, imp.StatusCode(), string(imp.Body))
	id := imp.JSON200.LinkId
	assert.Equal(t, moneykit.PublicLinkState("error"), imp.JSON200.State)
	assert.Equal(t, moneykit.PublicLinkError("auth_expired"), imp.JSON200.ErrorCode)

	accts, err := f.c.GetAccountsWithResponse(ctxb, id, &moneykit.GetAccountsParams{MoneyKitVersion: mkVersion}, bearer(f.tok))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, accts.StatusCode(), string(accts.Body))
	require.Len(t, accts.JSON200.Accounts, 1)
	assert.Equal(t, "ext-1", accts.JSON200.Accounts[0].OriginalId)
	assert.Equal(t, 12.5, *accts.JSON200.Accounts[0].Balances.Current)

	txns := allTransactions(t, f, id)
	require.Len(t, txns, 2)
	byOriginal := map[string]moneykit.TransactionResponse{}
	for _, tx := range txns {
		byOriginal[tx.OriginalId] = tx
	}
	assert.Equal(t, "3.20", byOriginal["ext-t1"].Amount)
	assert.Equal(t, moneykit.TransactionType("debit"), byOriginal["ext-t1"].Type)
	assert.Equal(t, "100.00", byOriginal["ext-t2"].Amount)

	created, _, _, _, _ := syncAll(t, f, id, "", 50)
	assert.Len(t, created, 2, "the sync feed reports the imported transactions")

	rr, err := f.c.RefreshProductsWithResponse(ctxb, id, &moneykit.RefreshProductsParams{MoneyKitVersion: mkVersion},
		moneykit.RefreshProductsRequest{Products: []moneykit.Product{"transactions"}}, bearer(f.tok))
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnprocessableEntity, rr.StatusCode(), string(rr.Body))
	assert.Equal(t, "link_error.bad_state", mkErrorOf(t, rr.Body)["error_code"])

	// A connected link reset to auth_expired has to be reconnected first.
	other := f.link(t, "user-reset", "instant_bank", sandbox.ConnectOptions{})
	reset, err := f.c.ResetLinkWithResponse(ctxb, other, &moneykit.ResetLinkParams{MoneyKitVersion: mkVersion}, bearer(f.tok))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, reset.StatusCode())
	ra, err := f.c.GetAccountsWithResponse(ctxb, other, &moneykit.GetAccountsParams{MoneyKitVersion: mkVersion}, bearer(f.tok))
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnprocessableEntity, ra.StatusCode(), string(ra.Body))
	assert.Equal(t, "link_error.bad_state", mkErrorOf(t, ra.Body)["error_code"])
}
