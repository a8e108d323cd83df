package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/moneykit"
	"github.com/banklink/banklink/facade/sandbox"
)

// dataLink connects a Credentials Bank link of user with every product, and
// returns its id.
func dataLink(t *testing.T, sb *sandbox.Sandbox, user string) string {
	t.Helper()
	creds := sb.MoneyKit()
	mk, err := moneykit.New(facade.WithCredentials(creds.ClientID, creds.ClientSecret), facade.WithBaseURL(creds.BaseURL))
	require.NoError(t, err)
	ctx := context.Background()
	sess, err := mk.LinkSessions.Create(ctx, moneykit.NewLinkSession(user, "https://app.example/oauth",
		moneykit.WithInstitution("credentials_bank"),
		moneykit.WithProducts(moneykit.ProductTransactions, moneykit.ProductAccountNumbers, moneykit.ProductIdentity, moneykit.ProductInvestments)))
	require.NoError(t, err)
	tok, err := sb.CompleteLinkSession(sess.LinkSessionToken, sandbox.ConnectOptions{})
	require.NoError(t, err)
	res, err := mk.LinkSessions.Exchange(ctx, tok)
	require.NoError(t, err)
	return res.Link.LinkId
}

// runOK runs the CLI against the sandbox and requires exit status 0.
func runOK(t *testing.T, env []string, args ...string) string {
	t.Helper()
	code, out, errOut := cli(t, env, args...)
	require.Equal(t, exitOK, code, "%v: %s", args, errOut)
	requireNoSecrets(t, out, errOut)
	return out
}

// decode reads one JSON document.
func decode[T any](t *testing.T, out string) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal([]byte(out), &v), out)
	return v
}

// lines reads JSON lines, one value each.
func lines[T any](t *testing.T, out string) []T {
	t.Helper()
	var vs []T
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if l == "" {
			continue
		}
		require.False(t, strings.HasPrefix(l, " "), "--all prints compact lines: %q", l)
		vs = append(vs, decode[T](t, l))
	}
	return vs
}

type accountsDoc struct {
	Accounts []struct {
		AccountID   string `json:"account_id"`
		AccountType string `json:"account_type"`
		Numbers     struct {
			ACH []struct {
				RoutingNumber string `json:"routing_number"`
			} `json:"ach"`
		} `json:"numbers"`
		Owners []json.RawMessage `json:"owners"`
	} `json:"accounts"`
	Link struct {
		LinkID string `json:"link_id"`
	} `json:"link"`
}

type txnLine struct {
	TransactionID string `json:"transaction_id"`
	AccountID     string `json:"account_id"`
	Date          string `json:"date"`
	Pending       bool   `json:"pending"`
}

type pageDoc struct {
	Total        int       `json:"total"`
	Page         int       `json:"page"`
	Size         int       `json:"size"`
	Transactions []txnLine `json:"transactions"`
}

// abaValid reports whether a routing number passes the ABA check digit.
func abaValid(r string) bool {
	if len(r) != 9 {
		return false
	}
	sum := 0
	for i, w := range []int{3, 7, 1, 3, 7, 1, 3, 7, 1} {
		if r[i] < '0' || r[i] > '9' {
			return false
		}
		sum += w * int(r[i]-'0')
	}
	return sum%10 == 0
}

func TestAccountsIdentityAndInvestmentsCommands(t *testing.T) {
	sb := sandbox.Start(t)
	env := sb.Env()
	linkID := dataLink(t, sb, "user-cli-data")

	all := decode[accountsDoc](t, runOK(t, env, "moneykit", "accounts", "list", linkID))
	require.Len(t, all.Accounts, 4, "checking, savings, card and brokerage")
	assert.Equal(t, linkID, all.Link.LinkID)
	first := all.Accounts[0].AccountID

	some := decode[accountsDoc](t, runOK(t, env, "moneykit", "accounts", "list", linkID, "--account-id", first))
	require.Len(t, some.Accounts, 1, "--account-id filters")
	assert.Equal(t, first, some.Accounts[0].AccountID)

	one := decode[struct {
		Account struct {
			AccountID string `json:"account_id"`
		} `json:"account"`
	}](t, runOK(t, env, "moneykit", "accounts", "get", linkID, first))
	assert.Equal(t, first, one.Account.AccountID)

	nums := decode[accountsDoc](t, runOK(t, env, "moneykit", "accounts", "numbers", linkID))
	routings := 0
	for _, a := range nums.Accounts {
		for _, ach := range a.Numbers.ACH {
			assert.True(t, abaValid(ach.RoutingNumber), "routing number %s passes the ABA check digit", ach.RoutingNumber)
			routings++
		}
	}
	assert.GreaterOrEqual(t, routings, 2, "the depository accounts have ACH numbers")

	id := decode[accountsDoc](t, runOK(t, env, "moneykit", "identity", "get", linkID, "--account-id", first))
	require.Len(t, id.Accounts, 1)
	assert.NotEmpty(t, id.Accounts[0].Owners)

	holdings := decode[struct {
		Holdings   []json.RawMessage `json:"holdings"`
		Securities []json.RawMessage `json:"securities"`
	}](t, runOK(t, env, "moneykit", "investments", "holdings", linkID))
	assert.Len(t, holdings.Holdings, 3)
	assert.Len(t, holdings.Securities, 3)

	page := decode[struct {
		Total                  int               `json:"total"`
		InvestmentTransactions []json.RawMessage `json:"investment_transactions"`
	}](t, runOK(t, env, "moneykit", "investments", "transactions", linkID, "--size", "5"))
	assert.Len(t, page.InvestmentTransactions, 5)
	before := count(sb, "getInvestmentTransactions")
	itxns := lines[json.RawMessage](t, runOK(t, env, "moneykit", "investments", "transactions", linkID, "--all", "--size", "5"))
	assert.Len(t, itxns, page.Total, "--all prints every investment transaction")
	assert.Equal(t, (page.Total+4)/5, count(sb, "getInvestmentTransactions")-before, "one request per page")

	// The user's view covers the link.
	users := decode[map[string]struct {
		Accounts []json.RawMessage `json:"accounts"`
	}](t, runOK(t, env, "moneykit", "users", "accounts", "user-cli-data"))
	assert.Len(t, users[linkID].Accounts, 4)
	userLinks := decode[map[string]json.RawMessage](t, runOK(t, env, "moneykit", "users", "links", "user-cli-data"))
	assert.Contains(t, userLinks, linkID)
	up := decode[pageDoc](t, runOK(t, env, "moneykit", "users", "transactions", "user-cli-data", "--size", "1000"))
	ut := lines[txnLine](t, runOK(t, env, "moneykit", "users", "transactions", "user-cli-data", "--all", "--size", "1000"))
	assert.Len(t, ut, up.Total)

	intro := decode[struct {
		ClientID string `json:"client_id"`
	}](t, runOK(t, env, "moneykit", "auth", "introspect"))
	assert.Equal(t, sandbox.MoneyKitClientID, intro.ClientID)

	// Errors carry the provider's status and code, exit 1.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"moneykit", "accounts", "list", "mk_doesNotExist000000000"}, "HTTP 404 link_error.not_found"},
		{[]string{"moneykit", "accounts", "get", linkID, "acc_doesNotExist"}, "HTTP 404"},
		{[]string{"moneykit", "institutions", "get", "no_such_bank"}, "HTTP 404"},
	} {
		code, out, errOut := cli(t, env, tc.args...)
		assert.Equal(t, exitAPI, code, "%v: %s", tc.args, errOut)
		assert.Empty(t, out)
		assert.Contains(t, errOut, tc.want, tc.args)
	}
	runOK(t, env, "moneykit", "links", "delete", linkID)
	code, _, errOut := cli(t, env, "moneykit", "identity", "get", linkID)
	assert.Equal(t, exitAPI, code)
	assert.Contains(t, errOut, "HTTP 410 link_error.deleted")
	assert.NotContains(t, errOut, "@", "no owner data in an error")
}

func TestTransactionsCommandsListPagesAndSyncAcrossARefresh(t *testing.T) {
	sb := sandbox.Start(t)
	env := sb.Env()
	linkID := dataLink(t, sb, "user-cli-txns")

	p1 := decode[pageDoc](t, runOK(t, env, "moneykit", "transactions", "list", linkID, "--size", "100"))
	require.Greater(t, p1.Total, 300, "a year of transactions")
	assert.Equal(t, 1, p1.Page)
	assert.Len(t, p1.Transactions, 100)
	p2 := decode[pageDoc](t, runOK(t, env, "moneykit", "transactions", "list", linkID, "--size", "100", "--page", "2"))
	assert.Equal(t, 2, p2.Page)
	assert.NotEqual(t, p1.Transactions[0].TransactionID, p2.Transactions[0].TransactionID)

	before := count(sb, "getTransactions")
	listed := lines[txnLine](t, runOK(t, env, "moneykit", "transactions", "list", linkID, "--all", "--size", "100"))
	assert.Len(t, listed, p1.Total, "--all prints every transaction, one line each")
	assert.Equal(t, (p1.Total+99)/100, count(sb, "getTransactions")-before, "one request per page, no more")
	ids := map[string]bool{}
	for _, l := range listed {
		assert.False(t, ids[l.TransactionID], "no transaction twice: %s", l.TransactionID)
		ids[l.TransactionID] = true
	}

	// Dates and accounts narrow the list.
	dated := lines[txnLine](t, runOK(t, env, "moneykit", "transactions", "list", linkID, "--all",
		"--start-date", listed[len(listed)/2].Date, "--end-date", listed[0].Date, "--account-id", listed[0].AccountID))
	require.NotEmpty(t, dated)
	assert.Less(t, len(dated), len(listed))
	for _, l := range dated {
		assert.Equal(t, listed[0].AccountID, l.AccountID)
		assert.GreaterOrEqual(t, l.Date, listed[len(listed)/2].Date)
	}

	// One sync response, then the whole sync as batches.
	one := decode[struct {
		HasMore bool `json:"has_more"`
		Cursor  struct {
			Next string `json:"next"`
		} `json:"cursor"`
		Transactions struct {
			Created []txnLine `json:"created"`
		} `json:"transactions"`
	}](t, runOK(t, env, "moneykit", "transactions", "sync", linkID, "--size", "10"))
	assert.True(t, one.HasMore)
	assert.Len(t, one.Transactions.Created, 10)
	assert.NotEmpty(t, one.Cursor.Next)

	type batch struct {
		Created []txnLine `json:"created"`
		Updated []txnLine `json:"updated"`
		Removed []string  `json:"removed"`
		Cursor  string    `json:"cursor"`
	}
	// A store kept as the help says: apply each line, keep its cursor. As
	// MoneyKit documents, pending transactions come only in created and are
	// replaced wholesale: a sync that brings created transactions first
	// drops the stored pending ones.
	store, pending := map[string]bool{}, map[string]bool{}
	apply := func(bs []batch) (created, updated, removed int) {
		for _, b := range bs {
			if len(b.Created) > 0 {
				for id := range pending {
					delete(store, id)
				}
				clear(pending)
				break
			}
		}
		for _, b := range bs {
			require.NotNil(t, b.Created, "lists print as [], never null")
			require.NotEmpty(t, b.Cursor)
			for _, c := range b.Created {
				assert.False(t, store[c.TransactionID], "created once: %s", c.TransactionID)
				store[c.TransactionID] = true
				if c.Pending {
					pending[c.TransactionID] = true
				}
			}
			for _, u := range b.Updated {
				assert.True(t, store[u.TransactionID], "an update is of a stored transaction")
				assert.False(t, u.Pending, "pending transactions are never updated")
			}
			for _, id := range b.Removed {
				assert.True(t, store[id], "a removal is of a stored transaction")
				assert.False(t, pending[id], "pending transactions are never removed")
				delete(store, id)
			}
			created, updated, removed = created+len(b.Created), updated+len(b.Updated), removed+len(b.Removed)
		}
		return
	}
	first := lines[batch](t, runOK(t, env, "moneykit", "transactions", "sync", linkID, "--all"))
	require.Greater(t, len(first), 1, "the year takes more than one batch of 500")
	created, _, _ := apply(first)
	assert.Equal(t, p1.Total, created)
	assert.Equal(t, ids, store, "the sync's transactions are the list's")
	cursor := first[len(first)-1].Cursor

	// Nothing changed: a resumed sync is one empty batch with the same cursor.
	none := lines[batch](t, runOK(t, env, "moneykit", "transactions", "sync", linkID, "--all", "--cursor", cursor))
	require.Len(t, none, 1)
	assert.Empty(t, none[0].Created)
	assert.Empty(t, none[0].Updated)
	assert.Empty(t, none[0].Removed)
	assert.Equal(t, cursor, none[0].Cursor)

	// A correction, three days and a refresh later: the resumed sync reports
	// exactly the changes, and the store then matches the list.
	var enriched string
	for _, l := range listed {
		if !l.Pending {
			enriched = l.TransactionID
			break
		}
	}
	runOK(t, env, "moneykit", "transactions", "enrich", linkID, enriched, "--category", "food_and_drink", "--subcategory", "groceries")
	sb.Advance(72 * time.Hour)
	out := runOK(t, env, "moneykit", "links", "refresh", linkID, "--product", "transactions")
	assert.Contains(t, out, linkID)
	later := lines[batch](t, runOK(t, env, "moneykit", "transactions", "sync", linkID, "--all", "--cursor", cursor))
	c2, u2, r2 := apply(later)
	assert.Positive(t, c2, "new transactions")
	assert.Equal(t, 2, u2, "the enrichment and the institution's correction")
	assert.Equal(t, 1, r2, "one removal")
	var updated []string
	for _, b := range later {
		for _, u := range b.Updated {
			updated = append(updated, u.TransactionID)
		}
	}
	assert.Contains(t, updated, enriched)
	relisted := lines[txnLine](t, runOK(t, env, "moneykit", "transactions", "list", linkID, "--all", "--size", "1000"))
	now := map[string]bool{}
	for _, l := range relisted {
		now[l.TransactionID] = true
	}
	assert.Equal(t, now, store, "the synced store is exactly what the link now lists")
}

func TestInstitutionsAndLinksCommands(t *testing.T) {
	sb := sandbox.Start(t)
	env := sb.Env()
	linkID := dataLink(t, sb, "user-cli-inst")

	type inst struct {
		InstitutionID string `json:"institution_id"`
		Name          string `json:"name"`
		IsFeatured    bool   `json:"is_featured"`
	}
	pg := decode[struct {
		Institutions []inst `json:"institutions"`
		Cursors      struct {
			Next string `json:"next"`
		} `json:"cursors"`
	}](t, runOK(t, env, "moneykit", "institutions", "list", "--limit", "2"))
	require.Len(t, pg.Institutions, 2)
	require.NotEmpty(t, pg.Cursors.Next)
	next := decode[struct {
		Institutions []inst `json:"institutions"`
	}](t, runOK(t, env, "moneykit", "institutions", "list", "--limit", "2", "--cursor", pg.Cursors.Next))
	require.NotEmpty(t, next.Institutions)
	assert.NotEqual(t, pg.Institutions[0].InstitutionID, next.Institutions[0].InstitutionID, "--cursor moves on")

	before := count(sb, "getInstitutions")
	all := lines[inst](t, runOK(t, env, "moneykit", "institutions", "list", "--all", "--limit", "7"))
	require.Greater(t, len(all), 7, "enough institutions to page through")
	assert.Equal(t, (len(all)+6)/7, count(sb, "getInstitutions")-before, "one request per page")

	var featured []string
	for _, in := range lines[inst](t, runOK(t, env, "moneykit", "institutions", "list", "--featured", "--all")) {
		assert.True(t, in.IsFeatured)
		featured = append(featured, in.Name)
	}
	assert.Subset(t, featured, []string{"Instant Bank", "Credentials Bank", "OAuth Bank"})
	for _, in := range lines[inst](t, runOK(t, env, "moneykit", "institutions", "list", "--name", "OAuth", "--all")) {
		assert.Contains(t, in.Name, "OAuth")
	}
	got := decode[inst](t, runOK(t, env, "moneykit", "institutions", "get", "instant_bank"))
	assert.Equal(t, "Instant Bank", got.Name)

	ls := decode[struct {
		Links []struct {
			LinkID string `json:"link_id"`
		} `json:"links"`
	}](t, runOK(t, env, "moneykit", "links", "list"))
	require.Len(t, ls.Links, 1)
	assert.Equal(t, linkID, ls.Links[0].LinkID)
	linkLines := lines[struct {
		LinkID string `json:"link_id"`
	}](t, runOK(t, env, "moneykit", "links", "list", "--all"))
	require.Len(t, linkLines, 1)
	assert.Equal(t, linkID, linkLines[0].LinkID)

	reset := decode[struct {
		State     string `json:"state"`
		ErrorCode string `json:"error_code"`
	}](t, runOK(t, env, "moneykit", "links", "reset", linkID))
	assert.Equal(t, "error", reset.State)
	assert.Equal(t, "auth_expired", reset.ErrorCode)
}

func TestPagedCommandErrorMidwayKeepsWhatWasPrinted(t *testing.T) {
	sb := sandbox.Start(t)
	env := sb.Env()
	linkID := dataLink(t, sb, "user-cli-fail")
	total := decode[pageDoc](t, runOK(t, env, "moneykit", "transactions", "list", linkID, "--size", "100")).Total
	require.Greater(t, total, 200)

	// A proxy passes the first transactions page and fails the rest.
	target, err := url.Parse(sb.MoneyKit().BaseURL)
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(target)
	var pages atomic.Int32
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/transactions") && pages.Add(1) > 1 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"error_code":"api_error.service_unavailable","error_message":"down"}`))
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)

	code, out, errOut := cli(t, env, "moneykit", "transactions", "list", linkID, "--all", "--size", "100", "--max-retries", "0", "--base-url", front.URL)
	assert.Equal(t, exitAPI, code)
	assert.Len(t, lines[txnLine](t, out), 100, "the first page's lines stay printed")
	assert.Contains(t, errOut, "HTTP 503")
	assert.EqualValues(t, 2, pages.Load(), "the pager stops at the failed page")
}

func TestDataCommandsRejectInvalidInputBeforeSending(t *testing.T) {
	sb := sandbox.Start(t)
	env := sb.Env()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"moneykit", "transactions", "list", "mk_1", "--size", "5000"}, "size"},
		{[]string{"moneykit", "transactions", "list", "mk_1", "--page", "-1"}, "page"},
		{[]string{"moneykit", "transactions", "list", "mk_1", "--start-date", "2026-13-01"}, "--start-date must be a date as YYYY-MM-DD"},
		{[]string{"moneykit", "transactions", "list", "mk_1", "--start-date", "2026-02-01", "--end-date", "2026-01-01"}, "end_date must not be before start_date"},
		{[]string{"moneykit", "transactions", "sync", "mk_1", "--size", "501"}, "size"},
		{[]string{"moneykit", "transactions", "sync", "mk_1", "--all", "--size", "5"}, "--size goes without --all"},
		{[]string{"moneykit", "transactions", "enrich", "mk_1", "txn_1"}, "--category is required"},
		{[]string{"moneykit", "users", "transactions", "user-42", "--size", "0", "--page", "0", "--end-date", "01/02/2026"}, "--end-date"},
		{[]string{"moneykit", "institutions", "list", "--limit", "1001"}, "limit"},
		{[]string{"moneykit", "links", "list", "--limit", "10"}, "limit"},
		{[]string{"moneykit", "links", "refresh", "mk_1"}, "at least one --product"},
		{[]string{"moneykit", "links", "refresh", "mk_1", "--product", "bogus"}, "products"},
		{[]string{"moneykit", "link-sessions", "create", "--customer-user-id", "user-42", "--redirect-uri", "https://a.example/o", "--product", "bogus"}, "--product must be one of"},
		{[]string{"moneykit", "accounts", "get", "mk_1"}, "<link_id> <account_id>"},
		{[]string{"moneykit", "accounts", "list", "../etc"}, "id"},
		{[]string{"moneykit", "auth", "introspect", "extra"}, "takes no arguments"},
		{[]string{"linkmoney", "payments", "release"}, "<payment_id>"},
		{[]string{"linkmoney", "transactions", "get", "a/b"}, "transactionId"},
	} {
		code, out, errOut := cli(t, env, tc.args...)
		assert.Equal(t, exitUsage, code, "%v: %s", tc.args, errOut)
		assert.Empty(t, out, tc.args)
		assert.Contains(t, errOut, tc.want, tc.args)
	}
	assert.Empty(t, sb.Requests(), "nothing is sent for invalid input, not even a token request")
}

func TestLinkMoneyReleaseAndStatusCommands(t *testing.T) {
	clock := sandbox.NewFakeClock(time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC))
	sb := sandbox.Start(t, sandbox.Config{Clock: clock})
	env := sb.Env()
	sess := decode[struct {
		SessionKey string `json:"sessionKey"`
	}](t, runOK(t, env, "linkmoney", "sessions", "create", "--first-name", "Jane", "--last-name", "Doe",
		"--email", "jane.release@example.com", "--redirect-url", "https://merchant.example/return"))
	customerID, err := sb.CompleteSession(sess.SessionKey)
	require.NoError(t, err)

	// Above the authorized limit, the payment is held until released.
	pay := decode[struct {
		PaymentID     string `json:"paymentId"`
		PaymentStatus string `json:"paymentStatus"`
	}](t, runOK(t, env, "linkmoney", "payments", "create", "--customer-id", customerID, "--merchant-id", "m-1", "--amount", "1500.00"))
	assert.Equal(t, "PENDING", pay.PaymentStatus)
	type status struct {
		Status        string `json:"transactionStatus"`
		AchReturnCode string `json:"achReturnCode"`
	}
	assert.Equal(t, "PENDING", decode[status](t, runOK(t, env, "linkmoney", "transactions", "get", pay.PaymentID)).Status)

	rel := decode[struct {
		PaymentStatus string `json:"paymentStatus"`
	}](t, runOK(t, env, "linkmoney", "payments", "release", pay.PaymentID))
	assert.Equal(t, "AUTHORIZED", rel.PaymentStatus)
	assert.Equal(t, "AUTHORIZED", decode[status](t, runOK(t, env, "linkmoney", "transactions", "get", pay.PaymentID)).Status)
	sb.Advance(time.Hour)
	assert.Equal(t, "SCHEDULED", decode[status](t, runOK(t, env, "linkmoney", "transactions", "get", pay.PaymentID)).Status)
	sb.Advance(24 * time.Hour)
	assert.Equal(t, "INITIATED", decode[status](t, runOK(t, env, "linkmoney", "transactions", "get", pay.PaymentID)).Status)
	sb.Advance(48 * time.Hour)
	assert.Equal(t, status{Status: "SUCCEEDED"}, decode[status](t, runOK(t, env, "linkmoney", "transactions", "get", pay.PaymentID)))

	// 13 cents fails after initiation with R01, shown with its return code.
	failing := decode[struct {
		PaymentID string `json:"paymentId"`
	}](t, runOK(t, env, "linkmoney", "payments", "create", "--customer-id", customerID, "--merchant-id", "m-1", "--amount", "12.13"))
	sb.Advance(73 * time.Hour)
	got := decode[status](t, runOK(t, env, "linkmoney", "transactions", "get", failing.PaymentID))
	assert.Equal(t, "R01", got.AchReturnCode)
	assert.Contains(t, got.Status, "FAILED")

	code, _, errOut := cli(t, env, "linkmoney", "payments", "release", "00000000-0000-0000-0000-000000000000")
	assert.Equal(t, exitAPI, code)
	assert.Contains(t, errOut, "HTTP 404")
	code, _, errOut = cli(t, env, "linkmoney", "transactions", "get", "00000000-0000-0000-0000-000000000000")
	assert.Equal(t, exitAPI, code)
	assert.Contains(t, errOut, "HTTP 404")
	requireNoSecrets(t, errOut)
}

func TestLinksImportCommands(t *testing.T) {
	sb := sandbox.Start(t)
	env := sb.Env()
	dir := t.TempDir()
	doc := `{"customer_user": {"id": "user-cli-import"}, "institution_id": "instant_bank",
  "accounts": [{"account_id": "ext-1", "name": "Checking", "type": "checking", "balances": {"current": 10.5}}],
  "transactions": [{"account_id": "ext-1", "amount": "-9.99", "date": "2025-02-01"}]}`
	file := filepath.Join(dir, "import.json")
	require.NoError(t, os.WriteFile(file, []byte(doc), 0o600))

	type linkDoc struct {
		LinkID    string `json:"link_id"`
		State     string `json:"state"`
		ErrorCode string `json:"error_code"`
	}
	l := decode[linkDoc](t, runOK(t, env, "moneykit", "links", "import", "--file", file))
	assert.Equal(t, "error", l.State)
	assert.Equal(t, "auth_expired", l.ErrorCode)

	code, out, errOut := cliIn(t, env, doc, "moneykit", "links", "import", "--file", "-")
	require.Equal(t, exitOK, code, errOut)
	assert.NotEqual(t, l.LinkID, decode[linkDoc](t, out).LinkID, "standard input imports a second link")

	more := filepath.Join(dir, "more.json")
	require.NoError(t, os.WriteFile(more, []byte(`[{"account_id": "ext-1", "amount": "5.00", "date": "2025-02-02"}]`), 0o600))
	assert.Equal(t, l.LinkID, decode[linkDoc](t, runOK(t, env, "moneykit", "links", "import-transactions", l.LinkID, "--file", more)).LinkID)
	assert.Equal(t, 1, count(sb, "importTransactions"))

	// Refused before sending: no file, unknown fields, bad values, over 1 MB,
	// two readers of standard input.
	before := len(sb.Requests())
	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"customer_user": {"id": "user-cli-import"}, "institution": "x"}`), 0o600))
	badDate := filepath.Join(dir, "date.json")
	require.NoError(t, os.WriteFile(badDate, []byte(`[{"account_id": "ext-1", "amount": "5.00", "date": "Feb 2"}]`), 0o600))
	big := filepath.Join(dir, "big.json")
	require.NoError(t, os.WriteFile(big, []byte(`[`+strings.Repeat(" ", 1<<20)+`]`), 0o600))
	for _, tc := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"", []string{"moneykit", "links", "import"}, "--file is required"},
		{"", []string{"moneykit", "links", "import", "--file", filepath.Join(dir, "missing.json")}, "--file"},
		{"", []string{"moneykit", "links", "import", "--file", bad}, `unknown field "institution"`},
		{"", []string{"moneykit", "links", "import-transactions", l.LinkID, "--file", badDate}, "date"},
		{"", []string{"moneykit", "links", "import-transactions", l.LinkID, "--file", big}, "1 MB"},
		{sandbox.MoneyKitClientSecret + "\n", []string{"--client-secret-stdin", "moneykit", "links", "import", "--file", "-"}, "both read standard input"},
	} {
		code, out, errOut := cliIn(t, env, tc.stdin, tc.args...)
		assert.Equal(t, exitUsage, code, "%v: %s", tc.args, errOut)
		assert.Empty(t, out)
		assert.Contains(t, errOut, tc.want, tc.args)
		requireNoSecrets(t, errOut)
	}
	assert.Len(t, sb.Requests(), before, "nothing is sent for a refused import")

	// A link that was not imported takes no imported transactions.
	connected := dataLink(t, sb, "user-cli-import2")
	code, _, errOut = cli(t, env, "moneykit", "links", "import-transactions", connected, "--file", more)
	assert.Equal(t, exitAPI, code)
	assert.Contains(t, errOut, "HTTP 422")
}
