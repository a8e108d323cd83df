package transport_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/linkmoney"
	"github.com/banklink/banklink/facade/moneykit"
	"github.com/banklink/banklink/facade/otelbanklink"
	"github.com/banklink/banklink/facade/sandbox"
	lmgen "github.com/banklink/banklink/gen/linkmoney"
	mkgen "github.com/banklink/banklink/gen/moneykit"
	"github.com/banklink/banklink/internal/testkit"
)

// TestNoSecretsInLogsOrErrorsAgainstSandbox runs every operation of both
// providers against the sandbox with debug logging: successes, validation
// failures, expired tokens refreshed, 429s, 5xx retried until the budget is
// spent, dropped connections, and the sandbox's own 4xx answers. No client
// secret, Basic credential, access token or customer value may appear in a
// log line or an error message. TestNoSecretsOrPIIInLogsOrErrors covers the
// same against a scripted server.
func TestNoSecretsInLogsOrErrorsAgainstSandbox(t *testing.T) {
	cust := testkit.PlantedCustomer
	const (
		badMail = testkit.PlantedBadEmail
		// webhookSecret signs Link Money's deliveries to the subscription.
		webhookSecret = testkit.PlantedWebhookSecret
	)
	pii := append(cust.Personal(), badMail)

	clock := sandbox.NewFakeClock(time.Time{})
	sb := sandbox.Start(t, sandbox.Config{Seed: 11, Clock: clock, NoRateLimits: true})
	rec := testkit.NewAuthRecorder(facade.DefaultHTTPClient().Transport)
	t.Cleanup(rec.CloseIdleConnections)
	var logs testkit.SyncBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// Tracing and metrics are on: the spans and metric points are swept too.
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()); _ = mp.Shutdown(context.Background()) })
	common := []facade.Option{facade.WithHTTPClient(rec.Client()), facade.WithLogger(logger), facade.WithWait(testkit.NoWait), otelbanklink.WithTelemetry(otelbanklink.WithTracerProvider(tp), otelbanklink.WithMeterProvider(mp))}
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
	customer := linkmoney.SessionCustomer{FirstName: cust.FirstName, LastName: cust.LastName, Email: cust.Email, Phone: cust.Phone}
	address := linkmoney.WithBillingAddress(linkmoney.Address{StreetAddress: cust.Street, City: cust.City, StateOrProvince: "MI", Country: "US", PostalCode: cust.Postal})
	newLinkSession := func() *moneykit.LinkSessionRequest {
		return moneykit.NewLinkSession(cust.UserID, "https://app.example/oauth", moneykit.WithCustomerEmail(cust.Email), moneykit.WithCustomerPhone(cust.Phone),
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
		_, err = mk.Users.Links(ctx, cust.UserID)
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
		_, err = mk.Users.Accounts(ctx, cust.UserID, nil)
		keep(err)
		_, err = mk.Users.Transactions(ctx, cust.UserID, moneykit.TransactionsParams{})
		keep(err)
		imported, err := mk.Links.Import(ctx, &moneykit.ImportLinkRequest{
			CustomerUser:  moneykit.LinkSessionCustomerUser{Id: cust.UserID},
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
	for _, fault := range testkit.FaultRounds() {
		sb.SetFaults(map[string]sandbox.Fault{"*": fault})
		everyOperation("faults")
	}
	sb.SetFaults(nil)

	// Validation failures carrying personal data: nothing is sent.
	_, err = lm.Sessions.Create(ctx, linkmoney.NewSession(linkmoney.SessionCustomer{FirstName: cust.FirstName, LastName: cust.LastName, Email: badMail, Phone: cust.Phone + "x" + cust.Street}, "relative/"+cust.City))
	require.ErrorIs(t, err, facade.ErrInvalidRequest)
	keep(err)
	_, err = mk.LinkSessions.Create(ctx, moneykit.NewLinkSession(cust.UserID, "not a uri "+cust.Street, moneykit.WithCustomerEmail(badMail), moneykit.WithCustomerPhone(cust.Street)))
	require.ErrorIs(t, err, facade.ErrInvalidRequest)
	keep(err)
	_, err = lm.Payments.Create(ctx, linkmoney.NewPayment(customerID, "merchant-1", linkmoney.USD(-5), linkmoney.WithSoftDescriptor(cust.Email), linkmoney.WithClientReferenceID(cust.Street)))
	require.ErrorIs(t, err, facade.ErrInvalidRequest)
	keep(err)

	// The sandbox's own refusals.
	_, err = lm.Customers.Get(ctx, "8c4d7b3e-4f5a-4b1c-9d2e-6f7a8b9c0d1e")
	require.ErrorIs(t, err, facade.ErrNotFound)
	keep(err)
	_, err = mk.LinkSessions.Create(ctx, moneykit.NewLinkSession(cust.UserID, "https://app.example/oauth", moneykit.WithInstitution("forbidden"), moneykit.WithCustomerEmail(cust.Email)))
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
	for _, v := range append([]string{mkc.ClientSecret, lmc.ClientSecret, cust.Postal}, pii[:6]...) {
		require.Contains(t, sent.String(), v, "%q was sent, so a leak of it would be seen", v)
	}
	wire := rec.Values()
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(lmc.ClientID+":"+lmc.ClientSecret))
	require.Contains(t, wire, basic)
	require.Contains(t, sent.String(), webhookSecret)
	secrets := []string{mkc.ClientSecret, lmc.ClientSecret, "wrong-" + lmc.ClientSecret, strings.TrimPrefix(basic, "Basic "), webhookSecret}
	bearers := rec.Bearers()
	require.GreaterOrEqual(t, len(bearers), 6, "MoneyKit and both Link Money scopes, before and after expiry")
	secrets = append(secrets, bearers...)
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
	testkit.AssertNoLeaks(t, secrets, out, errs)
	telemetry := telemetryTexts(t, spans, reader)
	require.Greater(t, len(telemetry), 1000, "the sweep recorded spans and metrics to inspect")
	for _, id := range ids {
		assert.Contains(t, telemetry, "span "+id, "every operation of the generated tables was traced")
	}
	for _, s := range secrets {
		for _, text := range telemetry {
			if strings.Contains(text, s) {
				t.Errorf("telemetry leaks %q: %s", s, text)
			}
		}
	}
}

// telemetryTexts renders everything the sweep's spans and metrics carry,
// one string per name, status, attribute, event, link, resource attribute
// and metric point attribute.
func telemetryTexts(t *testing.T, spans *tracetest.SpanRecorder, reader *sdkmetric.ManualReader) []string {
	t.Helper()
	var out []string
	kvs := func(prefix string, list []attribute.KeyValue) {
		for _, kv := range list {
			out = append(out, prefix+" "+string(kv.Key)+"="+kv.Value.Emit())
		}
	}
	for _, s := range spans.Ended() {
		out = append(out, "span "+s.Name(), "status "+s.Status().Description)
		kvs("attr", s.Attributes())
		for _, e := range s.Events() {
			out = append(out, "event "+e.Name)
			kvs("event", e.Attributes)
		}
		for _, l := range s.Links() {
			kvs("link", l.Attributes)
		}
		kvs("resource", s.Resource().Attributes())
	}
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	kvs("resource", rm.Resource.Attributes())
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			out = append(out, "metric "+m.Name)
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, dp := range d.DataPoints {
					kvs("metric "+m.Name, dp.Attributes.ToSlice())
				}
			case metricdata.Histogram[float64]:
				for _, dp := range d.DataPoints {
					kvs("metric "+m.Name, dp.Attributes.ToSlice())
				}
			default:
				t.Errorf("metric %s of an unexpected kind %T is not inspected", m.Name, m.Data)
			}
		}
	}
	return out
}
