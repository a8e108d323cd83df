package sandbox_test

import (
	"net/http"
	"testing"
	"time"

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

// syncStore is a client's copy of a link's transactions, kept by the sync
// loop with MoneyKit's documented rule: pending transactions are replaced
// wholesale whenever new transactions come, so a fetch that reports created
// transactions first drops every stored pending transaction, then applies
// created, updated and removed.
type syncStore struct {
	txns   map[string]moneykit.TransactionResponse
	cursor string
}

// fetch runs the sync loop from the stored cursor and applies it. It
// returns what the fetch reported.
func (s *syncStore) fetch(t *testing.T, f *dataFixture, id string) (created, updated map[string]moneykit.TransactionResponse, removed []string) {
	t.Helper()
	created, updated, removed, s.cursor, _ = syncAll(t, f, id, s.cursor, 100)
	if len(created) > 0 {
		for id, tx := range s.txns {
			if tx.Pending {
				delete(s.txns, id)
			}
		}
	}
	for id, tx := range created {
		s.txns[id] = tx
	}
	for id, tx := range updated {
		s.txns[id] = tx
	}
	for _, id := range removed {
		delete(s.txns, id)
	}
	return created, updated, removed
}

func (f *dataFixture) refresh(t *testing.T, id string) {
	t.Helper()
	f.tok = mkToken(t, f.c, f.sb.MoneyKit())
	rr, err := f.c.RefreshProductsWithResponse(ctxb, id, &moneykit.RefreshProductsParams{MoneyKitVersion: mkVersion},
		moneykit.RefreshProductsRequest{Products: []moneykit.Product{"transactions"}}, bearer(f.tok))
	require.NoError(t, err)
	require.Equal(t, http.StatusAccepted, rr.StatusCode(), string(rr.Body))
}

// TestPendingReplacedWholesale follows the sync feed across refreshes, with
// and without the clock moving: no pending id is ever updated or removed;
// each refresh replaces the whole pending set with new ids; each pending
// transaction that posts comes back as a new posted transaction in
// created; and a client applying MoneyKit's rule ends with exactly the
// link's transactions.
func TestPendingReplacedWholesale(t *testing.T) {
	f := newDataFixture(t)
	id := f.link(t, "user-pending", "instant_bank", sandbox.ConnectOptions{})
	store := &syncStore{txns: map[string]moneykit.TransactionResponse{}}
	created, _, _ := store.fetch(t, f, id)
	everPending := map[string]bool{}
	var pending []moneykit.TransactionResponse
	for _, tx := range created {
		if tx.Pending {
			pending = append(pending, tx)
			everPending[tx.TransactionId] = true
		}
	}
	require.NotEmpty(t, pending, "a new link has pending transactions")
	assert.Equal(t, allTransactions(t, f, id), store.txns)

	// Without a refresh, a fetch brings nothing, and an enrichment update
	// of a posted transaction only an update: the pending ones stay.
	created, updated, removed := store.fetch(t, f, id)
	assert.Empty(t, created)
	assert.Empty(t, updated)
	assert.Empty(t, removed)
	var postedID string
	for pid, tx := range store.txns {
		if !tx.Pending {
			postedID = pid
			break
		}
	}
	er, err := f.c.UpdateTransactionEnrichmentWithResponse(ctxb, id, postedID, &moneykit.UpdateTransactionEnrichmentParams{MoneyKitVersion: mkVersion},
		moneykit.BudCategory{Category: "shopping", Subcategory: "books"}, bearer(f.tok))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, er.StatusCode(), string(er.Body))
	created, updated, _ = store.fetch(t, f, id)
	assert.Empty(t, created)
	assert.Len(t, updated, 1)
	assert.Equal(t, allTransactions(t, f, id), store.txns)

	posted := 0
	for i, advance := range []time.Duration{0, 26 * time.Hour, 0, 5 * 24 * time.Hour} {
		f.sb.Advance(advance)
		f.refresh(t, id)
		created, updated, removed := store.fetch(t, f, id)
		for uid := range updated {
			assert.False(t, everPending[uid], "refresh %d: pending %s reported as updated", i, uid)
		}
		for _, rid := range removed {
			assert.False(t, everPending[rid], "refresh %d: pending %s reported as removed", i, rid)
		}
		list := allTransactions(t, f, id)
		for _, p := range pending {
			assert.NotContains(t, list, p.TransactionId, "refresh %d: the previous pending set is gone", i)
			assert.NotContains(t, created, p.TransactionId, "refresh %d: a replaced pending transaction is not reported again", i)
			// It posted: a new posted transaction with the same facts.
			var match int
			for _, c := range created {
				if !c.Pending && c.TransactionId != p.TransactionId && c.AccountId == p.AccountId &&
					c.Amount == p.Amount && c.Date == p.Date && c.Description == p.Description {
					match++
				}
			}
			assert.Positive(t, match, "refresh %d: pending %s posted as a new transaction", i, p.TransactionId)
			posted++
		}
		pending = pending[:0]
		for _, tx := range created {
			if tx.Pending {
				assert.False(t, everPending[tx.TransactionId], "refresh %d: pending ids are new", i)
				everPending[tx.TransactionId] = true
				pending = append(pending, tx)
			}
		}
		assert.NotEmpty(t, pending, "refresh %d: new pending activity", i)
		assert.Equal(t, list, store.txns, "refresh %d: the rule keeps an exact copy", i)
	}
	assert.GreaterOrEqual(t, posted, 5, "two days of pending activity, then at least one more per refresh")

	// A full resync reports only the current pending set.
	fresh := &syncStore{txns: map[string]moneykit.TransactionResponse{}}
	all, _, _ := fresh.fetch(t, f, id)
	var current int
	for _, tx := range all {
		if tx.Pending {
			current++
			assert.Contains(t, pending, tx)
		}
	}
	assert.Len(t, pending, current)
	assert.Equal(t, allTransactions(t, f, id), fresh.txns)
}

// TestRefreshBringsNews: with the clock standing still, every refresh
// reports new activity, a correction and a reversal, and moves the link's
// data forward.
func TestRefreshBringsNews(t *testing.T) {
	f := newDataFixture(t)
	id := f.link(t, "user-news", "instant_bank", sandbox.ConnectOptions{})
	store := &syncStore{txns: map[string]moneykit.TransactionResponse{}}
	store.fetch(t, f, id)
	var totals [3]int
	for i := range 3 {
		before := allTransactions(t, f, id)
		f.refresh(t, id)
		created, updated, removed := store.fetch(t, f, id)
		t.Logf("refresh %d: %d created, %d updated, %d removed", i, len(created), len(updated), len(removed))
		var fresh int
		for cid, tx := range created {
			if tx.Pending {
				fresh++
			}
			assert.NotContains(t, before, cid)
		}
		assert.Positive(t, fresh, "refresh %d: new activity", i)
		require.Len(t, updated, 1, "refresh %d: one correction", i)
		for uid, tx := range updated {
			assert.Contains(t, before, uid)
			assert.Empty(t, before[uid].Enrichment.Subcategory.Value)
			assert.NotEmpty(t, tx.Enrichment.Subcategory.Value, "refresh %d: the category is refined", i)
		}
		require.Len(t, removed, 1, "refresh %d: one reversal", i)
		assert.Contains(t, before, removed[0])
		totals[0] += len(created)
		totals[1] += len(updated)
		totals[2] += len(removed)
	}
	assert.GreaterOrEqual(t, totals[0], 6)
	assert.Equal(t, 3, totals[1])
	assert.Equal(t, 3, totals[2])
}

// TestIntrospectAnswersTheSDKsAppResponse: GET /auth/introspect answers the
// fields the 2025 MoneyKit SDK's AppClientResponse and AppResponse require,
// each a non-empty string.
func TestIntrospectAnswersTheSDKsAppResponse(t *testing.T) {
	f := newDataFixture(t)
	for _, creds := range []sandbox.Credentials{f.sb.MoneyKit(), f.sb.MoneyKitOtherApp()} {
		res, err := f.c.IntrospectClientWithResponse(ctxb, &moneykit.IntrospectClientParams{MoneyKitVersion: mkVersion}, bearer(mkToken(t, f.c, creds)))
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		var raw map[string]any
		require.NoError(t, jsonUnmarshal(res.Body, &raw))
		for _, k := range []string{"client_id", "client_name", "scope"} {
			assert.IsType(t, "", raw[k], k)
		}
		assert.Equal(t, creds.ClientID, raw["client_id"])
		app, ok := raw["app"].(map[string]any)
		require.True(t, ok, string(res.Body))
		for _, k := range []string{"app_id", "name", "id", "app_name"} {
			v, _ := app[k].(string)
			assert.NotEmpty(t, v, "app.%s", k)
		}
		assert.Equal(t, app["id"], app["app_id"])
		assert.Equal(t, app["app_name"], app["name"])
	}
}
