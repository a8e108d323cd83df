package sandbox_test

import (
	"context"
	"iter"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/moneykit"
	"github.com/banklink/banklink/facade/sandbox"
)

// drain counts a pager's items.
func drain[T any](t *testing.T, seq iter.Seq2[T, error]) int {
	t.Helper()
	n := 0
	for _, err := range seq {
		require.NoError(t, err)
		n++
	}
	return n
}

// Every pager sends the call's options with every page it fetches, and
// leaves the caller's parameters, account ids included, as they were.
func TestFacadeEveryPagerHonoursCallOptionsAndLeavesParams(t *testing.T) {
	sb, mk := newFacadeData(t)
	ctx := context.Background()
	id := facadeLink(t, sb, mk, "user-fpagers", "credentials_bank", sandbox.ConnectOptions{})
	accts, err := mk.Accounts.List(ctx, id, nil)
	require.NoError(t, err)
	var ids []string
	for _, a := range accts.Accounts {
		ids = append(ids, a.AccountId)
	}
	want := append([]string(nil), ids...)

	txp := moneykit.TransactionsParams{AccountIDs: ids, Size: 5}
	inp := moneykit.InstitutionsParams{Limit: 5}
	lkp := moneykit.LinksParams{}
	usp := moneykit.TransactionsParams{AccountIDs: ids, Size: 200}
	for _, tc := range []struct {
		op       string
		pageSize int
		run      func(o facade.CallOption) int
	}{
		{"getInvestmentTransactions", 5, func(o facade.CallOption) int { return drain(t, mk.Investments.TransactionsPager(id, txp, o).All(ctx)) }},
		{"getInstitutions", 5, func(o facade.CallOption) int { return drain(t, mk.Institutions.Pager(inp, o).All(ctx)) }},
		{"getLinks", 1000, func(o facade.CallOption) int { return drain(t, mk.Links.Pager(lkp, o).All(ctx)) }},
		{"getUserTransactions", 200, func(o facade.CallOption) int {
			return drain(t, mk.Users.TransactionsPager("user-fpagers", usp, o).All(ctx))
		}},
	} {
		before := len(sb.Requests())
		n := tc.run(facade.WithHeader("X-Trace", tc.op))
		require.Positive(t, n, tc.op)
		pages := 0
		for _, r := range sb.Requests()[before:] {
			if r.Operation == tc.op {
				pages++
				assert.Equal(t, tc.op, r.Header.Get("X-Trace"), "%s page %d carries the call's header", tc.op, pages)
			}
		}
		if tc.op != "getLinks" {
			assert.Greater(t, pages, 1, "%s pages", tc.op)
		}
		// A last page that is exactly full is followed by an empty one.
		assert.Contains(t, []int{(n + tc.pageSize - 1) / tc.pageSize, n/tc.pageSize + 1}, pages, "%s: one request per page", tc.op)
	}
	assert.Equal(t, moneykit.TransactionsParams{AccountIDs: want, Size: 5}, txp)
	assert.Equal(t, moneykit.TransactionsParams{AccountIDs: want, Size: 200}, usp)
	assert.Equal(t, moneykit.InstitutionsParams{Limit: 5}, inp)
	assert.Equal(t, moneykit.LinksParams{}, lkp)
	assert.Equal(t, want, ids, "the caller's account ids are untouched")
}
