package webhook_test

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/linkmoney"
	"github.com/banklink/banklink/facade/moneykit"
	"github.com/banklink/banklink/facade/sandbox"
	"github.com/banklink/banklink/facade/webhook"
)

// recorder collects the events a handler was called with.
type recorder[E any] struct {
	mu     sync.Mutex
	events []E
	fail   int // answer an error to this many calls first
}

func (r *recorder[E]) fn(_ context.Context, ev E) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail > 0 {
		r.fail--
		return context.DeadlineExceeded
	}
	r.events = append(r.events, ev)
	return nil
}

func (r *recorder[E]) got() []E {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]E(nil), r.events...)
}

func statuses(d sandbox.WebhookDelivery) []int {
	var out []int
	for _, a := range d.Attempts {
		out = append(out, a.Status)
	}
	return out
}

type mkEnv struct {
	sb    *sandbox.Sandbox
	mk    *moneykit.Client
	v     *webhook.MoneyKitVerifier
	rec   *recorder[*webhook.MoneyKitEvent]
	hook  string
	clock *sandbox.FakeClock
}

func newMKEnv(t *testing.T) *mkEnv {
	t.Helper()
	clock := sandbox.NewFakeClock(time.Time{})
	sb := sandbox.Start(t, sandbox.Config{Clock: clock})
	creds := sb.MoneyKit()
	mk, err := moneykit.New(facade.WithBaseURL(creds.BaseURL), facade.WithCredentials(creds.ClientID, creds.ClientSecret))
	require.NoError(t, err)
	v, err := webhook.NewMoneyKitVerifier(webhook.MoneyKitOptions{BaseURL: creds.BaseURL, ClientID: creds.ClientID, Now: sb.Now})
	require.NoError(t, err)
	t.Cleanup(func() { _ = v.Close() })
	rec := &recorder[*webhook.MoneyKitEvent]{}
	srv := httptest.NewServer(webhook.MoneyKitHandler(v, rec.fn))
	t.Cleanup(srv.Close)
	t.Cleanup(mk.CloseIdleConnections)
	return &mkEnv{sb: sb, mk: mk, v: v, rec: rec, hook: srv.URL + "/webhooks/moneykit", clock: clock}
}

// connect runs the link flow with the env's webhook and returns the link id.
func (e *mkEnv) connect(t *testing.T, ctx context.Context) string {
	t.Helper()
	sess, err := e.mk.LinkSessions.Create(ctx, moneykit.NewLinkSession("user-42", "https://app.example/oauth", moneykit.WithWebhook(e.hook), moneykit.WithLinkTags("checkout")))
	require.NoError(t, err)
	tok, err := e.sb.CompleteLinkSession(sess.LinkSessionToken, sandbox.ConnectOptions{})
	require.NoError(t, err)
	res, err := e.mk.LinkSessions.Exchange(ctx, tok)
	require.NoError(t, err)
	require.NoError(t, e.sb.WaitWebhooks(ctx))
	return res.LinkId
}

func TestEndToEndMoneyKitLinkStateChanged(t *testing.T) {
	ctx := context.Background()
	e := newMKEnv(t)
	linkID := e.connect(t, ctx)

	evs := e.rec.got()
	require.Len(t, evs, 1)
	ev := evs[0]
	assert.Equal(t, webhook.LinkStateChanged, ev.Type)
	assert.Equal(t, linkID, ev.LinkID)
	assert.Equal(t, []string{"checkout"}, ev.LinkTags)
	require.NotNil(t, ev.LinkStateChanged)
	assert.Equal(t, "connected", ev.LinkStateChanged.State)
	assert.Equal(t, "1", ev.DeliveryAttempt)
	assert.NotEmpty(t, ev.DeliveryToken)

	// A control call sets the link to error; deleting it sends deleted.
	require.NoError(t, e.sb.SetLinkState(linkID, "error", "auth_expired"))
	require.NoError(t, e.mk.Links.Delete(ctx, linkID))
	require.NoError(t, e.sb.WaitWebhooks(ctx))
	evs = e.rec.got()
	require.Len(t, evs, 3)
	assert.Equal(t, "error", evs[1].LinkStateChanged.State)
	assert.Equal(t, "auth_expired", *evs[1].LinkStateChanged.Error)
	assert.Equal(t, "deleted", evs[2].LinkStateChanged.State)

	for _, d := range e.sb.WebhookDeliveries() {
		assert.Equal(t, sandbox.DeliveryDelivered, d.State)
		assert.Equal(t, []int{200}, statuses(d))
	}
}

func TestEndToEndMoneyKitTestTriggerAndKeyRotation(t *testing.T) {
	ctx := context.Background()
	e := newMKEnv(t)
	linkID := e.connect(t, ctx)

	// The sandbox rotates its key; the next delivery carries the new kid and
	// the verifier picks it up with one JWKS fetch.
	jwksFetches := func() int {
		n := 0
		for _, r := range e.sb.Requests() {
			if r.Operation == "getJWKS" {
				n++
			}
		}
		return n
	}
	before := jwksFetches()
	kid := e.sb.RotateWebhookKey()
	set, err := e.mk.Webhooks.JWKS(ctx)
	require.NoError(t, err)
	require.Len(t, set.Keys, 2, "the old key stays published")
	assert.Equal(t, kid, set.Keys[0].Kid)

	res, err := e.mk.Webhooks.TestLink(ctx, linkID, moneykit.WebhookLinkTestEventTransactionsUpdatesAvailable, "test-key-1")
	require.NoError(t, err)
	require.NoError(t, e.sb.WaitWebhooks(ctx))
	evs := e.rec.got()
	require.Len(t, evs, 2)
	ev := evs[1]
	assert.Equal(t, webhook.TransactionsUpdatesAvailable, ev.Type)
	assert.Equal(t, "test-key-1", ev.IdempotencyKey)
	assert.Equal(t, res.DeliveryToken, ev.DeliveryToken)
	require.NotNil(t, ev.TransactionsUpdates)
	assert.Equal(t, before+2, jwksFetches(), "one fetch by the test, one refetch by the verifier")

	// The same idempotency key again: delivered, but the handler runs once.
	_, err = e.mk.Webhooks.TestLink(ctx, linkID, moneykit.WebhookLinkTestEventTransactionsUpdatesAvailable, "test-key-1")
	require.NoError(t, err)
	require.NoError(t, e.sb.WaitWebhooks(ctx))
	assert.Len(t, e.rec.got(), 2)

	// A link without a webhook URL cannot be triggered.
	_, err = e.mk.Links.Update(ctx, linkID, moneykit.NewLinkUpdate(moneykit.RemoveWebhook()))
	require.NoError(t, err)
	_, err = e.mk.Webhooks.TestLink(ctx, linkID, moneykit.WebhookLinkTestEventLinkStateChanged, "")
	require.ErrorIs(t, err, facade.ErrBadConfig)
}

func TestEndToEndMoneyKitRetriesOnTheFakeClock(t *testing.T) {
	ctx := context.Background()
	e := newMKEnv(t)
	e.sb.SetWebhookOptions(sandbox.WebhookOptions{MaxAttempts: 4, Backoff: time.Second, MaxBackoff: 2 * time.Second})
	e.rec.fail = 2
	e.connect(t, ctx)
	d := e.sb.WebhookDeliveries()[0]
	assert.Equal(t, []int{500}, statuses(d))
	assert.Equal(t, sandbox.DeliveryPending, d.State)

	e.sb.Advance(999 * time.Millisecond)
	require.NoError(t, e.sb.WaitWebhooks(ctx))
	assert.Len(t, e.sb.WebhookDeliveries()[0].Attempts, 1, "not retried before the backoff")
	e.sb.Advance(time.Millisecond)
	require.NoError(t, e.sb.WaitWebhooks(ctx))
	assert.Equal(t, []int{500, 500}, statuses(e.sb.WebhookDeliveries()[0]))
	e.sb.Advance(2 * time.Second) // 1s doubled, at the cap
	require.NoError(t, e.sb.WaitWebhooks(ctx))
	d = e.sb.WebhookDeliveries()[0]
	assert.Equal(t, []int{500, 500, 200}, statuses(d))
	assert.Equal(t, sandbox.DeliveryDelivered, d.State)
	assert.Equal(t, 2*time.Second, d.Attempts[2].At.Sub(d.Attempts[1].At))
	require.Len(t, e.rec.got(), 1)
	assert.Equal(t, "3", e.rec.got()[0].DeliveryAttempt)
}

func TestEndToEndMoneyKitFaults(t *testing.T) {
	ctx := context.Background()

	t.Run("bad signature and stale timestamp are rejected until the attempts run out", func(t *testing.T) {
		for _, f := range []sandbox.WebhookFaults{{BadSignature: true}, {StaleTimestamp: true}} {
			e := newMKEnv(t)
			e.sb.SetWebhookOptions(sandbox.WebhookOptions{MaxAttempts: 3})
			e.sb.SetWebhookFaults(f)
			e.connect(t, ctx)
			for range 2 {
				e.sb.Advance(time.Minute)
				require.NoError(t, e.sb.WaitWebhooks(ctx))
			}
			d := e.sb.WebhookDeliveries()[0]
			assert.Equal(t, []int{400, 400, 400}, statuses(d), "%+v", f)
			assert.Equal(t, sandbox.DeliveryFailed, d.State)
			assert.Empty(t, e.rec.got())
		}
	})
	t.Run("a duplicate is handled once", func(t *testing.T) {
		e := newMKEnv(t)
		e.sb.SetWebhookFaults(sandbox.WebhookFaults{Duplicate: true})
		e.connect(t, ctx)
		ds := e.sb.WebhookDeliveries()
		require.Len(t, ds, 2)
		assert.Equal(t, ds[0].IdempotencyKey, ds[1].IdempotencyKey)
		assert.Equal(t, []int{200}, statuses(ds[1]))
		assert.Len(t, e.rec.got(), 1)
	})
	t.Run("out of order", func(t *testing.T) {
		e := newMKEnv(t)
		linkID := e.connect(t, ctx)
		e.sb.SetWebhookFaults(sandbox.WebhookFaults{OutOfOrder: true})
		require.NoError(t, e.sb.SetLinkState(linkID, "error", "auth_expired"))
		require.NoError(t, e.sb.WaitWebhooks(ctx))
		assert.Len(t, e.rec.got(), 1, "the first event is held back")
		require.NoError(t, e.mk.Links.Delete(ctx, linkID))
		require.NoError(t, e.sb.WaitWebhooks(ctx))
		evs := e.rec.got()
		require.Len(t, evs, 3)
		assert.Equal(t, "deleted", evs[1].LinkStateChanged.State)
		assert.Equal(t, "error", evs[2].LinkStateChanged.State)
	})
	t.Run("only loopback URLs by default", func(t *testing.T) {
		e := newMKEnv(t)
		e.hook = "https://merchant.example/webhooks"
		e.connect(t, ctx)
		d := e.sb.WebhookDeliveries()[0]
		assert.Equal(t, sandbox.DeliveryRefused, d.State)
		assert.Empty(t, d.Attempts)
	})
}

func TestEndToEndLinkMoneyPaymentEvents(t *testing.T) {
	ctx := context.Background()
	clock := sandbox.NewFakeClock(time.Time{})
	sb := sandbox.Start(t, sandbox.Config{Clock: clock})
	creds := sb.LinkMoney()
	lm, err := linkmoney.New(facade.WithBaseURL(creds.BaseURL), facade.WithCredentials(creds.ClientID, creds.ClientSecret))
	require.NoError(t, err)
	t.Cleanup(lm.CloseIdleConnections)

	const secret = "whsec-sandbox-test"
	hv, err := webhook.NewHMACVerifier(secret)
	require.NoError(t, err)
	hv.Now = sb.Now
	rec := &recorder[*webhook.LinkMoneyEvent]{}
	srv := httptest.NewServer(webhook.LinkMoneyHandler(hv, rec.fn))
	t.Cleanup(srv.Close)
	sub, err := lm.Webhooks.Subscribe(ctx, srv.URL+"/webhooks/linkmoney", secret)
	require.NoError(t, err)

	sess, err := lm.Sessions.Create(ctx, linkmoney.NewSession(linkmoney.SessionCustomer{FirstName: "Ada", LastName: "L", Email: "ada@example.com"}, "https://m.example/r"))
	require.NoError(t, err)
	customerID, err := sb.CompleteSession(sess.SessionKey)
	require.NoError(t, err)
	pay, err := lm.Payments.Create(ctx, linkmoney.NewPayment(customerID, sandbox.LinkMoneyMerchantID, linkmoney.USD(1234), linkmoney.WithClientReferenceID("order-7")))
	require.NoError(t, err)
	require.NoError(t, sb.WaitWebhooks(ctx))

	evs := rec.got()
	require.Len(t, evs, 4)
	assert.Equal(t, webhook.CustomerCreated, evs[0].Type)
	assert.Equal(t, webhook.CustomerActivated, evs[1].Type)
	assert.Equal(t, customerID, evs[1].ResourceID)
	assert.Equal(t, "Customer", evs[1].ResourceType)
	assert.Equal(t, webhook.PaymentCreated, evs[2].Type)
	assert.Equal(t, webhook.PaymentAuthorized, evs[3].Type)
	for _, ev := range evs[2:] {
		assert.Equal(t, pay.PaymentId, ev.ResourceID)
		assert.Equal(t, "Payment", ev.ResourceType)
		assert.Equal(t, "Debit", ev.PaymentType)
		assert.Equal(t, "order-7", ev.ClientReferenceID)
		assert.Equal(t, ev.ID, ev.DeliveryID)
	}

	// The nested shape, a duplicate and a reordering, handled once each.
	sb.SetWebhookOptions(sandbox.WebhookOptions{LinkMoneyNested: true})
	sb.SetWebhookFaults(sandbox.WebhookFaults{Duplicate: true, OutOfOrder: true})
	pay2, err := lm.Payments.Create(ctx, linkmoney.NewPayment(customerID, sandbox.LinkMoneyMerchantID, linkmoney.USD(9999_00)))
	require.NoError(t, err)
	require.NoError(t, sb.WaitWebhooks(ctx))
	sb.SetWebhookFaults(sandbox.WebhookFaults{})
	require.NoError(t, sb.WaitWebhooks(ctx))
	evs = rec.got()[4:]
	require.Len(t, evs, 2)
	assert.Equal(t, webhook.PaymentFailed, evs[0].Type, "delivered out of order")
	assert.Equal(t, webhook.PaymentCreated, evs[1].Type)
	assert.Equal(t, pay2.PaymentId, evs[0].ResourceID)
	var sent []string
	for _, d := range sb.WebhookDeliveries()[4:] {
		assert.Equal(t, []int{200}, statuses(d), "every copy was delivered")
		sent = append(sent, d.Event)
	}
	assert.Equal(t, []string{"payment.created", "payment.created", "payment.failed", "payment.failed"}, sent, "the log is in raise order")

	// Unsubscribed: no more deliveries.
	n := len(sb.WebhookDeliveries())
	require.NoError(t, lm.Webhooks.Unsubscribe(ctx, sub.SubscriptionKey))
	_, err = lm.Payments.Create(ctx, linkmoney.NewPayment(customerID, sandbox.LinkMoneyMerchantID, linkmoney.USD(100)))
	require.NoError(t, err)
	assert.Len(t, sb.WebhookDeliveries(), n)
	require.ErrorIs(t, lm.Webhooks.Unsubscribe(ctx, sub.SubscriptionKey), facade.ErrNotFound)
}

func TestEndToEndNoGoroutinesLeftAfterClose(t *testing.T) {
	before := goleak.IgnoreCurrent()
	func() {
		ctx := context.Background()
		sb := sandbox.New(sandbox.Config{Clock: sandbox.NewFakeClock(time.Time{})})
		srv := httptest.NewServer(sb.Handler())
		sb.SetURL(srv.URL)
		defer srv.Close()
		creds := sb.MoneyKit()
		v, err := webhook.NewMoneyKitVerifier(webhook.MoneyKitOptions{BaseURL: creds.BaseURL, ClientID: creds.ClientID, Now: sb.Now})
		require.NoError(t, err)
		recv := httptest.NewServer(webhook.MoneyKitHandler(v, func(context.Context, *webhook.MoneyKitEvent) error { return nil }))
		defer recv.Close()
		mk, err := moneykit.New(facade.WithBaseURL(creds.BaseURL), facade.WithCredentials(creds.ClientID, creds.ClientSecret))
		require.NoError(t, err)
		defer mk.CloseIdleConnections()
		sess, err := mk.LinkSessions.Create(ctx, moneykit.NewLinkSession("user-42", "https://app.example/oauth", moneykit.WithWebhook(recv.URL)))
		require.NoError(t, err)
		tok, err := sb.CompleteLinkSession(sess.LinkSessionToken, sandbox.ConnectOptions{})
		require.NoError(t, err)
		_, err = mk.LinkSessions.Exchange(ctx, tok)
		require.NoError(t, err)
		require.NoError(t, sb.WaitWebhooks(ctx))
		require.Equal(t, sandbox.DeliveryDelivered, sb.WebhookDeliveries()[0].State)
		require.NoError(t, v.Close())
	}()
	goleak.VerifyNone(t, before)
}
