package transport_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/linkmoney"
	"github.com/banklink/banklink/facade/moneykit"
	"github.com/banklink/banklink/facade/sandbox"
	lmgen "github.com/banklink/banklink/gen/linkmoney"
	mkgen "github.com/banklink/banklink/gen/moneykit"
)

// lockedBuffer is a log destination safe for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// authRecorder notes every Authorization header banklink puts on the wire:
// the Basic value and every bearer token the sandbox issued and banklink used.
type authRecorder struct {
	base http.RoundTripper

	mu   sync.Mutex
	seen map[string]bool
}

func (a *authRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	if v := r.Header.Get("Authorization"); v != "" {
		a.mu.Lock()
		a.seen[v] = true
		a.mu.Unlock()
	}
	return a.base.RoundTrip(r)
}

func (a *authRecorder) CloseIdleConnections() {
	if c, ok := a.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

func (a *authRecorder) values() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for v := range a.seen {
		out = append(out, v)
	}
	return out
}

// TestNoSecretsInLogsOrErrorsAgainstSandbox runs every operation of both
// providers against the sandbox with debug logging: successes, validation
// failures, expired tokens refreshed, 429s, 5xx retried until the budget is
// spent, dropped connections, and the sandbox's own 4xx answers. No client
// secret, Basic credential, access token or customer value may appear in a
// log line or an error message. TestNoSecretsOrPIIInLogsOrErrors covers the
// same against a scripted server.
func TestNoSecretsInLogsOrErrorsAgainstSandbox(t *testing.T) {
	const (
		first   = "Zebulonia"
		last    = "Quickfeatherstone"
		email   = "zebulonia.qf@privacy-check.example"
		phone   = "+15555550199"
		street  = "742 Evergreenwood Terrace"
		city    = "Shelbyvillezz"
		postal  = "49007"
		userID  = "user-" + email
		badMail = "zebulonia-at-privacy-check"
		// webhookSecret signs Link Money's deliveries to the subscription.
		webhookSecret = "whsec-Zebulonia-0123456789"
	)
	pii := []string{first, last, email, phone, street, city, badMail}

	clock := sandbox.NewFakeClock(time.Time{})
	sb := sandbox.Start(t, sandbox.Config{Seed: 11, Clock: clock, NoRateLimits: true})
	rec := &authRecorder{base: facade.DefaultHTTPClient().Transport, seen: map[string]bool{}}
	t.Cleanup(rec.CloseIdleConnections)
	hc := facade.DefaultHTTPClient()
	hc.Transport = rec
	var logs lockedBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	instant := func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	common := []facade.Option{facade.WithHTTPClient(hc), facade.WithLogger(logger), facade.WithWait(instant)}
	mkc, lmc := sb.MoneyKit(), sb.LinkMoney()
	mk, err := moneykit.New(append(common, facade.WithCredentials(mkc.ClientID, mkc.ClientSecret), facade.WithBaseURL(mkc.BaseURL))...)
	require.NoError(t, err)
	lm, err := linkmoney.New(append(common, facade.WithCredentials(lmc.ClientID, lmc.ClientSecret), facade.WithBaseURL(lmc.BaseURL))...)
	require.NoError(t, err)

	ctx := context.Background()
	var errs []error
	var tokens []string
	keep := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	customer := linkmoney.SessionCustomer{FirstName: first, LastName: last, Email: email, Phone: phone}
	address := linkmoney.WithBillingAddress(linkmoney.Address{StreetAddress: street, City: city, StateOrProvince: "MI", Country: "US", PostalCode: postal})
	newLinkSession := func() *moneykit.LinkSessionRequest {
		return moneykit.NewLinkSession(userID, "https://app.example/oauth", moneykit.WithCustomerEmail(email), moneykit.WithCustomerPhone(phone),
			moneykit.WithProducts(moneykit.ProductAccountNumbers, moneykit.ProductIdentity, moneykit.ProductTransactions, moneykit.ProductInvestments),
			moneykit.WithWebhook("https://hooks.privacy-check.example/mk")) // the sandbox refuses to deliver off loopback
	}

	// Every operation, and the data later rounds need.
	var linkID, customerID, paymentID string
	var dataOperations func(round string)
	everyOperation := func(round string) {
		if tr, err := mk.Auth.Token(ctx); err == nil {
			tokens = append(tokens, tr.AccessToken)
		} else {
			keep(err)
		}
		for _, scope := range []linkmoney.TokenScope{linkmoney.TokenScopeLinkCore, linkmoney.TokenScopeLinkPayment} {
			if tr, err := lm.Auth.Token(ctx, scope); err == nil {
				tokens = append(tokens, tr.AccessToken)
			} else {
				keep(err)
			}
		}
		ls, err := mk.LinkSessions.Create(ctx, newLinkSession())
		keep(err)
		if err == nil {
			exch, cerr := sb.CompleteLinkSession(ls.LinkSessionToken, sandbox.ConnectOptions{InstitutionID: "credentials_bank"})
			require.NoError(t, cerr)
			res, err := mk.LinkSessions.Exchange(ctx, exch)
			keep(err)
			if err == nil && linkID == "" {
				linkID = res.Link.LinkId
			}
		}
		if linkID != "" {
			_, err = mk.Links.Get(ctx, linkID)
			keep(err)
			_, err = mk.Links.Update(ctx, linkID, moneykit.NewLinkUpdate(moneykit.SetLinkTags(round)))
			keep(err)
		}
		_, err = mk.Users.Links(ctx, userID)
		keep(err)
		_, err = mk.Webhooks.JWKS(ctx)
		keep(err)
		sess, err := lm.Sessions.Create(ctx, linkmoney.NewSession(customer, "https://merchant.example/return", address))
		keep(err)
		if err == nil && customerID == "" {
			customerID, err = sb.CompleteSession(sess.SessionKey)
			require.NoError(t, err)
		}
		if customerID != "" {
			_, err = lm.Customers.Get(ctx, customerID)
			keep(err)
			_, err = lm.Customers.Accounts(ctx, customerID)
			keep(err)
			p, err := lm.Payments.Create(ctx, linkmoney.NewPayment(customerID, "merchant-1", linkmoney.USD(5000), linkmoney.WithClientReferenceID("order-"+round)))
			keep(err)
			if err == nil && paymentID == "" {
				paymentID = p.PaymentId
			}
		}
		if paymentID != "" {
			_, err = lm.Refunds.Create(ctx, linkmoney.NewRefund(paymentID, linkmoney.USD(10)))
			keep(err)
			_, err = lm.Payments.Status(ctx, paymentID)
			keep(err)
		}
		if customerID != "" {
			held, err := lm.Payments.Create(ctx, linkmoney.NewPayment(customerID, "merchant-1", linkmoney.USD(500000)))
			keep(err)
			if err == nil {
				_, err = lm.Payments.Release(ctx, held.PaymentId)
				keep(err)
			}
		}
		sub, err := lm.Webhooks.Subscribe(ctx, "https://hooks.privacy-check.example/lm", webhookSecret)
		keep(err)
		if err == nil {
			keep(lm.Webhooks.Unsubscribe(ctx, sub.SubscriptionKey))
		}
		dataOperations(round)
	}
	// The data operations, on the link of the first round and on a link
	// imported each round.
	dataOperations = func(round string) {
		_, err := mk.Auth.Introspect(ctx)
		keep(err)
		_, err = mk.Links.List(ctx, moneykit.LinksParams{})
		keep(err)
		inst, err := mk.Institutions.List(ctx, moneykit.InstitutionsParams{})
		keep(err)
		if err == nil && len(inst.Institutions) > 0 {
			_, err = mk.Institutions.Get(ctx, inst.Institutions[0].InstitutionId)
			keep(err)
		}
		_, err = mk.Users.Accounts(ctx, userID, nil)
		keep(err)
		_, err = mk.Users.Transactions(ctx, userID, moneykit.TransactionsParams{})
		keep(err)
		imported, err := mk.Links.Import(ctx, &moneykit.ImportLinkRequest{
			CustomerUser:  moneykit.LinkSessionCustomerUser{Id: userID},
			InstitutionId: "instant_bank",
			Accounts:      []moneykit.AccountImportData{{AccountId: "ext-1", Name: "Checking", Type: "checking", Balances: moneykit.AccountBalances{Current: new(10.0)}}},
			Transactions:  []moneykit.TransactionImportData{{AccountId: "ext-1", Amount: "-9.99", Date: "2025-02-01"}},
		})
		keep(err)
		if err == nil {
			_, err = mk.Links.ImportTransactions(ctx, imported.LinkId, []moneykit.TransactionImportData{{AccountId: "ext-1", Amount: "5", Date: "2025-02-02"}})
			keep(err)
			_, err = mk.Links.Reset(ctx, imported.LinkId)
			keep(err)
		}
		if linkID == "" {
			return
		}
		accts, err := mk.Accounts.List(ctx, linkID, nil)
		keep(err)
		if err == nil && len(accts.Accounts) > 0 {
			_, err = mk.Accounts.Get(ctx, linkID, accts.Accounts[0].AccountId)
			keep(err)
		}
		_, err = mk.Accounts.Numbers(ctx, linkID)
		keep(err)
		_, err = mk.Identity.Get(ctx, linkID, nil)
		keep(err)
		txns, err := mk.Transactions.List(ctx, linkID, moneykit.TransactionsParams{})
		keep(err)
		if err == nil && len(txns.Transactions) > 0 {
			_, err = mk.Transactions.UpdateEnrichment(ctx, linkID, txns.Transactions[0].TransactionId, "shopping", "")
			keep(err)
		}
		_, err = mk.Transactions.SyncPage(ctx, linkID, "", 0)
		keep(err)
		_, err = mk.Investments.Holdings(ctx, linkID, nil)
		keep(err)
		_, err = mk.Investments.Transactions(ctx, linkID, moneykit.TransactionsParams{})
		keep(err)
		_, err = mk.Links.Refresh(ctx, linkID, []moneykit.Product{moneykit.ProductTransactions})
		keep(err)
		_, err = mk.Webhooks.TestLink(ctx, linkID, moneykit.WebhookLinkTestEventLinkStateChanged, "")
		keep(err)
	}
	deleteLink := func() {
		if linkID != "" {
			keep(mk.Links.Delete(ctx, linkID))
		}
	}

	everyOperation("ok")
	require.Empty(t, errs, "the clean round succeeds")
	require.NotEmpty(t, linkID)
	require.NotEmpty(t, customerID)
	require.NotEmpty(t, paymentID)

	// Expired tokens: both providers answer 401 and banklink refreshes once.
	sb.Advance(2 * time.Hour)
	everyOperation("expired")
	assert.Contains(t, logs.String(), "access token rejected; refreshing it")

	// 5xx on every request until the retry budget is spent, 429s with a
	// Retry-After, dropped connections, and answers lost after the write.
	for _, fault := range []sandbox.Fault{
		{Rate: 1, Statuses: []int{500, 502, 503}},
		{Rate: 1, Statuses: []int{429}, RetryAfter: time.Second},
		{Rate: 1, Drop: true},
		{Rate: 0.5, Statuses: []int{503}, Drop: true, Truncate: true, AfterHandling: true},
	} {
		sb.SetFaults(map[string]sandbox.Fault{"*": fault})
		everyOperation("faults")
	}
	sb.SetFaults(nil)

	// Validation failures carrying personal data: nothing is sent.
	_, err = lm.Sessions.Create(ctx, linkmoney.NewSession(linkmoney.SessionCustomer{FirstName: first, LastName: last, Email: badMail, Phone: phone + "x" + street}, "relative/"+city))
	require.ErrorIs(t, err, facade.ErrInvalidRequest)
	keep(err)
	_, err = mk.LinkSessions.Create(ctx, moneykit.NewLinkSession(userID, "not a uri "+street, moneykit.WithCustomerEmail(badMail), moneykit.WithCustomerPhone(street)))
	require.ErrorIs(t, err, facade.ErrInvalidRequest)
	keep(err)
	_, err = lm.Payments.Create(ctx, linkmoney.NewPayment(customerID, "merchant-1", linkmoney.USD(-5), linkmoney.WithSoftDescriptor(email), linkmoney.WithClientReferenceID(street)))
	require.ErrorIs(t, err, facade.ErrInvalidRequest)
	keep(err)

	// The sandbox's own refusals.
	_, err = lm.Customers.Get(ctx, "8c4d7b3e-4f5a-4b1c-9d2e-6f7a8b9c0d1e")
	require.ErrorIs(t, err, facade.ErrNotFound)
	keep(err)
	_, err = mk.LinkSessions.Create(ctx, moneykit.NewLinkSession(userID, "https://app.example/oauth", moneykit.WithInstitution("forbidden"), moneykit.WithCustomerEmail(email)))
	require.ErrorIs(t, err, facade.ErrForbiddenConfig)
	keep(err)
	_, err = lm.Payments.Create(ctx, linkmoney.NewPayment(customerID, "merchant-1", linkmoney.USD(100), linkmoney.WithRequestKey("rk-secrets")))
	require.NoError(t, err)
	_, err = lm.Payments.Create(ctx, linkmoney.NewPayment(customerID, "merchant-1", linkmoney.USD(100), linkmoney.WithRequestKey("rk-secrets")))
	require.ErrorIs(t, err, facade.ErrDuplicateRequestKey)
	keep(err)
	deleteLink()
	deleteLink() // 410 link_error.deleted
	wrong, err := linkmoney.New(append(common, facade.WithCredentials(lmc.ClientID, "wrong-"+lmc.ClientSecret), facade.WithBaseURL(lmc.BaseURL))...)
	require.NoError(t, err)
	_, err = wrong.Customers.Get(ctx, customerID)
	require.ErrorIs(t, err, facade.ErrUnauthorized)
	keep(err)

	// The check can see what it looks for: every value was on the wire.
	var sent bytes.Buffer
	for _, q := range sb.Requests() {
		sent.Write(q.Body)
		sent.WriteByte('\n')
	}
	for _, v := range append([]string{mkc.ClientSecret, lmc.ClientSecret, postal}, pii[:6]...) {
		require.Contains(t, sent.String(), v, "%q was sent, so a leak of it would be seen", v)
	}
	wire := rec.values()
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(lmc.ClientID+":"+lmc.ClientSecret))
	require.Contains(t, wire, basic)
	require.Contains(t, sent.String(), webhookSecret)
	secrets := []string{mkc.ClientSecret, lmc.ClientSecret, "wrong-" + lmc.ClientSecret, strings.TrimPrefix(basic, "Basic "), webhookSecret}
	bearers := 0
	for _, v := range wire {
		if tok, ok := strings.CutPrefix(v, "Bearer "); ok {
			secrets = append(secrets, tok)
			bearers++
		}
	}
	require.GreaterOrEqual(t, bearers, 6, "MoneyKit and both Link Money scopes, before and after expiry")
	require.GreaterOrEqual(t, len(tokens), 3)
	secrets = append(append(secrets, tokens...), pii...)

	out := logs.String()
	var ids []string
	for _, op := range mkgen.Operations {
		ids = append(ids, op.ID)
	}
	for _, op := range lmgen.Operations {
		ids = append(ids, op.ID)
	}
	for _, id := range ids {
		assert.Contains(t, out, `"operation":"`+id+`"`, "every operation of the generated tables was called and logged")
	}
	for _, s := range []string{`"status":503`, `"status":429`, `"status":401`, `"decision":"retry"`, `"attempt":3`} {
		assert.Contains(t, out, s)
	}
	require.Greater(t, len(errs), 40, "the failure rounds produced errors to inspect")
	for _, s := range secrets {
		require.NotEmpty(t, s)
		assert.NotContains(t, out, s, "a log line leaks %q", s)
		for _, e := range errs {
			assert.NotContains(t, e.Error(), s, "error %q leaks %q", e.Error(), s)
		}
	}
}
