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
	"github.com/banklink/banklink/facade/linkmoney"
	"github.com/banklink/banklink/facade/moneykit"
	"github.com/banklink/banklink/facade/sandbox"
)

// noWait makes the facade's retry back-off instant.
func noWait(ctx context.Context, _ time.Duration) error { return ctx.Err() }

func TestFacadeMoneyKitFlow(t *testing.T) {
	sb := sandbox.Start(t)
	sb.Setenv(t)
	ctx := context.Background()
	mk, err := moneykit.New()
	require.NoError(t, err)

	ls, err := mk.LinkSessions.Create(ctx, moneykit.NewLinkSession("user-facade", "https://app.example/oauth",
		moneykit.WithWebhook("https://app.example/hooks"), moneykit.WithLinkTags("checkout"), moneykit.WithInstitution("oauth_bank")))
	require.NoError(t, err)
	exch, err := sb.CompleteLinkSession(ls.LinkSessionToken, sandbox.ConnectOptions{})
	require.NoError(t, err)
	res, err := mk.LinkSessions.Exchange(ctx, exch)
	require.NoError(t, err)
	id := res.Link.LinkId
	assert.Equal(t, moneykit.PublicLinkStateConnected, res.Link.State)
	assert.Equal(t, "oauth_bank", res.Link.InstitutionId)

	_, err = mk.LinkSessions.Exchange(ctx, exch)
	assert.ErrorIs(t, err, facade.ErrInvalidTokenExchange)

	l, err := mk.Links.Get(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, "https://app.example/hooks", l.Webhook)

	l, err = mk.Links.Update(ctx, id, moneykit.NewLinkUpdate(moneykit.RemoveWebhook(), moneykit.SetLinkTags("a", "b")))
	require.NoError(t, err)
	assert.Zero(t, l.Webhook)
	assert.Equal(t, []string{"a", "b"}, l.LinkTags)

	links, err := mk.Users.Links(ctx, "user-facade")
	require.NoError(t, err)
	assert.Contains(t, links, id)

	jwks, err := mk.Webhooks.JWKS(ctx)
	require.NoError(t, err)
	require.Len(t, jwks.Keys, 1)
	assert.Equal(t, "ES256", jwks.Keys[0].Alg)

	require.NoError(t, sb.SetLinkState(id, "error", "auth_expired"))
	_, err = mk.Links.Get(ctx, id)
	assert.ErrorIs(t, err, facade.ErrBadState)
	require.NoError(t, sb.SetLinkState(id, "connected", ""))

	require.NoError(t, mk.Links.Delete(ctx, id))
	l, err = mk.Links.Get(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, moneykit.PublicLinkStateDeleted, l.State)
	assert.ErrorIs(t, mk.Links.Delete(ctx, id), facade.ErrLinkDeleted)
	_, err = mk.Links.Get(ctx, "mk_doesnotexist")
	assert.ErrorIs(t, err, facade.ErrLinkNotFound)

	_, err = mk.LinkSessions.Create(ctx, moneykit.NewLinkSession("user-facade", "https://app.example/oauth", moneykit.WithInstitution("forbidden")))
	assert.ErrorIs(t, err, facade.ErrForbiddenConfig)

	// Every request the facade sent carried the version header.
	for _, r := range sb.Requests() {
		if r.Provider == "moneykit" {
			assert.Equal(t, "2023-02-18", r.Header.Get("MoneyKit-Version"), r.Operation)
		}
	}
}

func TestFacadeMoneyKitRetriesInjectedFaults(t *testing.T) {
	sb := sandbox.Start(t, sandbox.Config{Seed: 3, NoRateLimits: true})
	sb.Setenv(t)
	ctx := context.Background()
	mk, err := moneykit.New(facade.WithWait(noWait), facade.WithoutDocumentedLimits(), facade.WithMaxRetries(6))
	require.NoError(t, err)
	ls, err := mk.LinkSessions.Create(ctx, moneykit.NewLinkSession("user-retry", "https://app.example/oauth"))
	require.NoError(t, err)
	exch, err := sb.CompleteLinkSession(ls.LinkSessionToken, sandbox.ConnectOptions{})
	require.NoError(t, err)
	res, err := mk.LinkSessions.Exchange(ctx, exch)
	require.NoError(t, err)

	sb.SetFaults(map[string]sandbox.Fault{"getLink": {Rate: 0.4, Statuses: []int{500, 502, 503, 429}}})
	for range 20 {
		_, err := mk.Links.Get(ctx, res.Link.LinkId)
		require.NoError(t, err)
	}
	var injected, total int
	for _, r := range sb.Requests() {
		if r.Operation == "getLink" {
			total++
			if r.Injected != "" {
				injected++
			}
		}
	}
	assert.Positive(t, injected)
	assert.Equal(t, 20+injected, total, "each injected failure was retried once more")
}

func TestFacadeMoneyKitTokenRefreshOnExpiry(t *testing.T) {
	cfg, _ := fakeClockConfig()
	cfg.TokenTTL = 5 * time.Second
	sb := sandbox.Start(t, cfg)
	sb.Setenv(t)
	ctx := context.Background()
	mk, err := moneykit.New(facade.WithWait(noWait), facade.WithoutDocumentedLimits())
	require.NoError(t, err)
	_, err = mk.Users.Links(ctx, "user-ttl")
	require.NoError(t, err)
	sb.Advance(time.Minute)
	_, err = mk.Users.Links(ctx, "user-ttl")
	require.NoError(t, err, "the facade gets a new token when the old one expired")
}

func TestFacadeLinkMoneyFlow(t *testing.T) {
	sb := sandbox.Start(t)
	sb.Setenv(t)
	ctx := context.Background()
	lm, err := linkmoney.New()
	require.NoError(t, err)

	sess, err := lm.Sessions.Create(ctx, linkmoney.NewSession(linkmoney.SessionCustomer{FirstName: "Jane", LastName: "Doe", Email: "jane.doe@example.com"},
		"https://merchant.example/return"))
	require.NoError(t, err)
	cust, err := sb.CompleteSession(sess.SessionKey)
	require.NoError(t, err)

	c, err := lm.Customers.Get(ctx, cust)
	require.NoError(t, err)
	assert.Equal(t, linkmoney.CustomerStatusActive, c.CustomerStatus)
	accts, err := lm.Customers.Accounts(ctx, cust)
	require.NoError(t, err)
	assert.Len(t, accts.AccountDetails, 2)

	p, err := lm.Payments.Create(ctx, linkmoney.NewPayment(cust, "merchant-1", linkmoney.USD(2500), linkmoney.WithClientReferenceID("order-1")))
	require.NoError(t, err)
	assert.Equal(t, linkmoney.PaymentStatusAuthorized, p.PaymentStatus)
	assert.Equal(t, "order-1", p.ClientReferenceId)

	r, err := lm.Refunds.Create(ctx, linkmoney.NewRefund(p.PaymentId, linkmoney.USD(1000)))
	require.NoError(t, err)
	assert.Equal(t, linkmoney.PaymentStatusPending, r.PaymentStatus)
	_, err = lm.Refunds.Create(ctx, linkmoney.NewRefund(p.PaymentId, linkmoney.USD(1501)))
	assert.Error(t, err)

	big, err := lm.Payments.Create(ctx, linkmoney.NewPayment(cust, "merchant-1", linkmoney.USD(900001)))
	require.NoError(t, err)
	assert.Equal(t, linkmoney.PaymentStatusTerminalFailed, big.PaymentStatus)

	_, err = lm.Payments.Create(ctx, linkmoney.NewPayment(cust, "merchant-1", linkmoney.USD(100), linkmoney.WithRequestKey("rk-facade")))
	require.NoError(t, err)
	_, err = lm.Payments.Create(ctx, linkmoney.NewPayment(cust, "merchant-1", linkmoney.USD(100), linkmoney.WithRequestKey("rk-facade")))
	assert.ErrorIs(t, err, facade.ErrDuplicateRequestKey)

	_, err = lm.Customers.Get(ctx, "8c4d7b3e-4f5a-4b1c-9d2e-6f7a8b9c0d1e")
	assert.ErrorIs(t, err, facade.ErrNotFound)

	// Payments went out with a Link-Payment token, customers with Link-Core:
	// the sandbox would have answered 401 INVALID_SCOPE otherwise.
	for _, q := range sb.Requests() {
		if q.Provider == "linkmoney" {
			assert.NotEqual(t, http.StatusUnauthorized, q.Status, q.Operation)
		}
	}
}

func TestFacadeLinkMoneyPaymentLostAfterHandling(t *testing.T) {
	sb := sandbox.Start(t, sandbox.Config{Seed: 3})
	sb.Setenv(t)
	ctx := context.Background()
	lm, err := linkmoney.New(facade.WithWait(noWait), facade.WithoutDocumentedLimits())
	require.NoError(t, err)
	sess, err := lm.Sessions.Create(ctx, linkmoney.NewSession(linkmoney.SessionCustomer{FirstName: "Jane", LastName: "Doe", Email: "jane.doe@example.com"},
		"https://merchant.example/return"))
	require.NoError(t, err)
	cust, err := sb.CompleteSession(sess.SessionKey)
	require.NoError(t, err)

	// With seed 3 the first createPayment is hit and the second is not: the
	// first attempt makes the payment but its response is lost; the retry
	// reuses the requestKey and meets the recorded payment.
	sb.SetFaults(map[string]sandbox.Fault{"createPayment": {Rate: 0.5, Statuses: []int{503}, AfterHandling: true}})
	_, err = lm.Payments.Create(ctx, linkmoney.NewPayment(cust, "merchant-1", linkmoney.USD(700), linkmoney.WithRequestKey("rk-lost")))
	var attempts []sandbox.Request
	for _, q := range sb.Requests() {
		if q.Operation == "createPayment" {
			attempts = append(attempts, q)
		}
	}
	require.Len(t, attempts, 2, "one lost attempt, one retry")
	assert.Equal(t, "status=503 after-handling", attempts[0].Injected)
	assert.Equal(t, http.StatusOK, attempts[0].HandlerStatus)
	assert.Empty(t, attempts[1].Injected)
	for _, a := range attempts {
		assert.Equal(t, "rk-lost", a.RequestKey, "every attempt reuses the key")
	}
	// banklink's own retry met the recorded payment: the earlier attempt
	// was accepted, which is not the caller's reused key.
	assert.True(t, errors.Is(err, facade.ErrAcceptedEarlier), "err = %v", err)
	assert.False(t, errors.Is(err, facade.ErrDuplicateRequestKey), "err = %v", err)
}
