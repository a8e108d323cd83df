package otelbanklink_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/linkmoney"
	"github.com/banklink/banklink/facade/moneykit"
	"github.com/banklink/banklink/facade/otelbanklink"
	"github.com/banklink/banklink/facade/sandbox"
	"github.com/banklink/banklink/internal/testkit"
)

// TestNoSecretsInTelemetryAgainstSandbox runs the operations that carry
// credentials, tokens and customers' personal data against the sandbox
// with tracing and metrics on (successes, expired tokens refreshed, 5xx and
// 429 retried, dropped connections, answers lost after the write, the
// sandbox's refusals, requests refused before sending, wrong credentials)
// and fails if any planted value appears in any span's name, status,
// attributes, events, links or resource, or in any metric's attributes.
func TestNoSecretsInTelemetryAgainstSandbox(t *testing.T) {
	cust := testkit.PlantedCustomer
	const (
		badMail       = testkit.PlantedBadEmail
		webhookSecret = testkit.PlantedWebhookSecret
	)
	pii := append(cust.Personal(), badMail)

	clock := sandbox.NewFakeClock(time.Time{})
	sb := sandbox.Start(t, sandbox.Config{Seed: 19, Clock: clock, NoRateLimits: true})
	rec := testkit.NewAuthRecorder(facade.DefaultHTTPClient().Transport)
	r := newRig(t)
	common := []facade.Option{facade.WithHTTPClient(rec.Client()), facade.WithWait(testkit.NoWait), otelbanklink.WithTelemetry(r.opts()...),
		facade.WithMiddleware(otelbanklink.Propagate())}
	mkc, lmc := sb.MoneyKit(), sb.LinkMoney()
	mk, err := moneykit.New(append(common, facade.WithCredentials(mkc.ClientID, mkc.ClientSecret), facade.WithBaseURL(mkc.BaseURL))...)
	require.NoError(t, err)
	lm, err := linkmoney.New(append(common, facade.WithCredentials(lmc.ClientID, lmc.ClientSecret), facade.WithBaseURL(lmc.BaseURL))...)
	require.NoError(t, err)

	ctx := context.Background()
	var tokens []string
	var linkID, customerID, paymentID string
	round := func() {
		if tr, err := mk.Auth.Token(ctx); err == nil {
			tokens = append(tokens, tr.AccessToken)
		}
		for _, scope := range []linkmoney.TokenScope{linkmoney.TokenScopeLinkCore, linkmoney.TokenScopeLinkPayment} {
			if tr, err := lm.Auth.Token(ctx, scope); err == nil {
				tokens = append(tokens, tr.AccessToken)
			}
		}
		ls, err := mk.LinkSessions.Create(ctx, moneykit.NewLinkSession(cust.UserID, "https://app.example/oauth",
			moneykit.WithCustomerEmail(cust.Email), moneykit.WithCustomerPhone(cust.Phone), moneykit.WithProducts(moneykit.ProductIdentity, moneykit.ProductTransactions)))
		if err == nil {
			if exch, err := sb.CompleteLinkSession(ls.LinkSessionToken, sandbox.ConnectOptions{InstitutionID: "credentials_bank"}); err == nil {
				if res, err := mk.LinkSessions.Exchange(ctx, exch); err == nil && linkID == "" {
					linkID = res.Link.LinkId
				}
			}
		}
		if linkID != "" {
			_, _ = mk.Links.Get(ctx, linkID)
			_, _ = mk.Identity.Get(ctx, linkID, nil)
			_, _ = mk.Accounts.Numbers(ctx, linkID)
			_, _ = mk.Transactions.List(ctx, linkID, moneykit.TransactionsParams{})
		}
		_, _ = mk.Users.Links(ctx, cust.UserID)
		sess, err := lm.Sessions.Create(ctx, linkmoney.NewSession(linkmoney.SessionCustomer{FirstName: cust.FirstName, LastName: cust.LastName, Email: cust.Email, Phone: cust.Phone},
			"https://merchant.example/return", linkmoney.WithBillingAddress(linkmoney.Address{StreetAddress: cust.Street, City: cust.City, StateOrProvince: "MI", Country: "US", PostalCode: cust.Postal})))
		if err == nil && customerID == "" {
			customerID, _ = sb.CompleteSession(sess.SessionKey)
		}
		if customerID != "" {
			_, _ = lm.Customers.Get(ctx, customerID)
			_, _ = lm.Customers.Accounts(ctx, customerID)
			if p, err := lm.Payments.Create(ctx, linkmoney.NewPayment(customerID, "merchant-1", linkmoney.USD(5000))); err == nil && paymentID == "" {
				paymentID = p.PaymentId
			}
		}
		if paymentID != "" {
			_, _ = lm.Refunds.Create(ctx, linkmoney.NewRefund(paymentID, linkmoney.USD(10)))
			_, _ = lm.Payments.Status(ctx, paymentID)
		}
		if sub, err := lm.Webhooks.Subscribe(ctx, "https://hooks.privacy-check.example/lm", webhookSecret); err == nil {
			_ = lm.Webhooks.Unsubscribe(ctx, sub.SubscriptionKey)
		}
	}

	round()
	require.NotEmpty(t, linkID)
	require.NotEmpty(t, customerID)
	require.NotEmpty(t, paymentID)
	sb.Advance(2 * time.Hour) // both providers answer 401; banklink refreshes
	round()
	for _, fault := range testkit.FaultRounds() {
		sb.SetFaults(map[string]sandbox.Fault{"*": fault})
		round()
	}
	sb.SetFaults(nil)
	_, err = lm.Sessions.Create(ctx, linkmoney.NewSession(linkmoney.SessionCustomer{FirstName: cust.FirstName, LastName: cust.LastName, Email: badMail, Phone: cust.Phone + "x" + cust.Street}, "relative/"+cust.City))
	require.ErrorIs(t, err, facade.ErrInvalidRequest)
	wrong, err := linkmoney.New(append(common, facade.WithCredentials(lmc.ClientID, "wrong-"+lmc.ClientSecret), facade.WithBaseURL(lmc.BaseURL))...)
	require.NoError(t, err)
	_, err = wrong.Customers.Get(ctx, customerID)
	require.ErrorIs(t, err, facade.ErrUnauthorized)

	// The check can see what it looks for: the values were on the wire.
	var sent strings.Builder
	for _, q := range sb.Requests() {
		sent.Write(q.Body)
	}
	for _, v := range append([]string{mkc.ClientSecret, lmc.ClientSecret, webhookSecret}, pii[:6]...) {
		require.Contains(t, sent.String(), v, "%q was sent, so a leak of it would be seen", v)
	}
	secrets := append([]string{mkc.ClientSecret, lmc.ClientSecret, "wrong-" + lmc.ClientSecret, webhookSecret,
		base64.StdEncoding.EncodeToString([]byte(lmc.ClientID + ":" + lmc.ClientSecret))}, pii...)
	bearers := rec.Bearers()
	require.GreaterOrEqual(t, len(bearers), 6, "MoneyKit and both Link Money scopes, before and after expiry")
	secrets = append(secrets, bearers...)
	secrets = append(secrets, tokens...)

	// The sweep saw the failure paths too.
	spans := r.ended()
	seen := map[string]bool{}
	for _, s := range spans {
		for _, kv := range s.Attributes() {
			if kv.Key == "http.response.status_code" || kv.Key == "error.type" {
				seen[fmt.Sprint(kv.Value.Emit())] = true
			}
		}
		for _, e := range s.Events() {
			seen[e.Name] = true
		}
	}
	for _, want := range []string{"401", "429", "503", "transport_error", "unauthorized", "banklink.wait"} {
		assert.True(t, seen[want], "the sweep's spans include %s", want)
	}
	assert.Greater(t, len(spans), 200)

	sweep(t, r, secrets)
	var rm metricdata.ResourceMetrics
	require.NoError(t, r.reader.Collect(ctx, &rm))
	var points int
	check := func(name string, set attribute.Set) {
		points++
		for _, kv := range set.ToSlice() {
			text := fmt.Sprintf("%s %s=%s", name, kv.Key, kv.Value.Emit())
			for _, s := range secrets {
				if strings.Contains(text, s) {
					t.Errorf("metric %s carries a planted secret (%d bytes)", name, len(s))
				}
			}
		}
	}
	for _, kv := range rm.Resource.Attributes() {
		for _, s := range secrets {
			assert.NotContains(t, kv.Value.Emit(), s)
		}
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, dp := range d.DataPoints {
					check(m.Name, dp.Attributes)
				}
			case metricdata.Histogram[float64]:
				for _, dp := range d.DataPoints {
					check(m.Name, dp.Attributes)
				}
			default:
				t.Errorf("metric %s of an unexpected kind %T is not inspected", m.Name, m.Data)
			}
		}
	}
	assert.Greater(t, points, 20)
}
