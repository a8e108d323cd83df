package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/banklink/banklink/facade/linkmoney"
	"github.com/banklink/banklink/facade/moneykit"
	"github.com/banklink/banklink/facade/sandbox"
	"github.com/banklink/banklink/facade/webhook"
)

// webhookStory: a receiver on loopback runs both verifying handlers; a new
// link's link.state_changed, a test trigger, and a Link Money customer's and
// payment's events arrive there verified and typed.
func webhookStory(ctx context.Context, s *story, sb *sandbox.Sandbox, mk *moneykit.Client, lm *linkmoney.Client) (err error) {
	const p = "webhooks"
	const secret = "demo-webhook-secret-0001"
	var mu sync.Mutex
	var got []string // "provider event", in arrival order
	record := func(provider, event string) {
		mu.Lock()
		got = append(got, provider+" "+event)
		mu.Unlock()
	}
	drain := func() []string {
		mu.Lock()
		defer mu.Unlock()
		out := got
		got = nil
		return out
	}
	mkCreds := sb.MoneyKit()
	v, err := webhook.NewMoneyKitVerifier(webhook.MoneyKitOptions{BaseURL: mkCreds.BaseURL, ClientID: mkCreds.ClientID, Now: sb.Now})
	if err != nil {
		return err
	}
	defer v.Close()
	hv, err := webhook.NewHMACVerifier(secret)
	if err != nil {
		return err
	}
	hv.Now = sb.Now
	mux := http.NewServeMux()
	mux.Handle("POST /moneykit", webhook.MoneyKitHandler(v, func(_ context.Context, ev *webhook.MoneyKitEvent) error {
		record("moneykit", ev.Type)
		return nil
	}))
	mux.Handle("POST /linkmoney", webhook.LinkMoneyHandler(hv, func(_ context.Context, ev *webhook.LinkMoneyEvent) error {
		record("linkmoney", ev.Type)
		return nil
	}))
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		_ = srv.Close()
		if serr := <-served; err == nil && serr != nil && !errors.Is(serr, http.ErrServerClosed) {
			err = serr
		}
	}()
	base := "http://" + ln.Addr().String()

	wait := func(want ...string) (map[string]any, error) {
		if err := sb.WaitWebhooks(ctx); err != nil {
			return nil, err
		}
		arrived := drain()
		if fmt.Sprint(arrived) != fmt.Sprint(want) {
			return nil, fmt.Errorf("verified events %v, want %v", arrived, want)
		}
		return map[string]any{"verified": arrived}, nil
	}
	var linkID, customerID string
	steps := []struct {
		name string
		fn   func() (map[string]any, error)
	}{
		{"moneykit link connects", func() (map[string]any, error) {
			sess, err := mk.LinkSessions.Create(ctx, moneykit.NewLinkSession("demo-user-0042", "https://app.example/oauth",
				moneykit.WithWebhook(base+"/moneykit")))
			if err != nil {
				return nil, err
			}
			tok, err := sb.CompleteLinkSession(sess.LinkSessionToken, sandbox.ConnectOptions{})
			if err != nil {
				return nil, err
			}
			res, err := mk.LinkSessions.Exchange(ctx, tok)
			if err != nil {
				return nil, err
			}
			linkID = res.LinkId
			return wait("moneykit link.state_changed")
		}},
		{"moneykit test trigger", func() (map[string]any, error) {
			if _, err := mk.Webhooks.TestLink(ctx, linkID, moneykit.WebhookLinkTestEventTransactionsUpdatesAvailable, ""); err != nil {
				return nil, err
			}
			return wait("moneykit transactions.updates_available")
		}},
		{"linkmoney subscribe", func() (map[string]any, error) {
			sub, err := lm.Webhooks.Subscribe(ctx, base+"/linkmoney", secret)
			if err != nil {
				return nil, err
			}
			return map[string]any{"subscription_key": short(sub.SubscriptionKey)}, nil
		}},
		{"linkmoney customer links", func() (map[string]any, error) {
			sess, err := lm.Sessions.Create(ctx, linkmoney.NewSession(linkmoney.SessionCustomer{FirstName: "Demo", LastName: "Customer", Email: "demo.customer@example.com"},
				"https://merchant.example/return"))
			if err != nil {
				return nil, err
			}
			if customerID, err = sb.CompleteSession(sess.SessionKey); err != nil {
				return nil, err
			}
			return wait("linkmoney customer.created", "linkmoney customer.activated")
		}},
		{"linkmoney payment", func() (map[string]any, error) {
			if _, err := lm.Payments.Create(ctx, linkmoney.NewPayment(customerID, "demo-merchant", linkmoney.USD(1234))); err != nil {
				return nil, err
			}
			return wait("linkmoney payment.created", "linkmoney payment.authorized")
		}},
	}
	for _, st := range steps {
		if err := s.do(p, st.name, st.fn); err != nil {
			return err
		}
	}
	return nil
}
