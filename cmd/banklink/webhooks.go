package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/banklink/banklink/facade/linkmoney"
	"github.com/banklink/banklink/facade/moneykit"
	"github.com/banklink/banklink/facade/webhook"
)

// webhookListening is called with the listener's address once
// `webhooks listen` accepts connections (a seam for tests).
var webhookListening = func(net.Addr) {}

// eventLine is what `webhooks listen` prints for each verified event.
type eventLine struct {
	Provider       string          `json:"provider"`
	Event          string          `json:"event"`
	IdempotencyKey string          `json:"idempotency_key"`
	Payload        json.RawMessage `json:"payload"`
}

// lineWriter writes whole lines to w, one writer at a time.
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lineWriter) event(e eventLine) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	_, err = l.Write(append(b, '\n'))
	return err
}

// webhooksCmd is `banklink webhooks`.
func webhooksCmd(a *app) *cobra.Command {
	return group(a, "webhooks", "Receive and verify webhooks locally",
		`  banklink webhooks listen --provider moneykit --addr 127.0.0.1:4020`,
		webhooksListenCmd(a))
}

// listenFlags are the flags of `webhooks listen`.
type listenFlags struct {
	provider, addr, path, secret string
}

func webhooksListenCmd(a *app) *cobra.Command {
	var lf listenFlags
	c := &cobra.Command{
		Use:   "listen --provider moneykit|linkmoney",
		Short: "Serve the verifying webhook handler and print each verified event as a JSON line",
		Long: `Serves banklink's verifying webhook handler until interrupted. Each verified event is
one JSON line on stdout (provider, event, idempotency key, payload). A rejected delivery
answers 400 and writes one line with the reason to stderr; a duplicate answers 200 and
is not printed again. MoneyKit keys come from MONEYKIT_BASE_URL with MONEYKIT_CLIENT_ID
(or --base-url and --client-id); Link Money deliveries are checked with --secret (or
LINKMONEY_WEBHOOK_SECRET), by banklink's assumed scheme (Link Money documents none).`,
		Example: `  banklink webhooks listen --provider moneykit --addr 127.0.0.1:4020 --path /webhook
  banklink webhooks listen --provider linkmoney --secret "$LINKMONEY_WEBHOOK_SECRET"`,
		Args: exactArgs(),
		RunE: func(c *cobra.Command, _ []string) error {
			return a.listenWebhooks(c.Context(), lf)
		},
	}
	f := c.Flags()
	f.StringVar(&lf.provider, "provider", "", "moneykit or linkmoney")
	f.StringVar(&lf.addr, "addr", "127.0.0.1:4020", "address to listen on")
	f.StringVar(&lf.path, "path", "/webhook", "path deliveries are posted to")
	f.StringVar(&lf.secret, "secret", "", "Link Money subscription secret (default $LINKMONEY_WEBHOOK_SECRET)")
	return c
}

// listenWebhooks serves the library's verifying handler until ctx ends.
func (a *app) listenWebhooks(ctx context.Context, lf listenFlags) error {
	if !strings.HasPrefix(lf.path, "/") {
		return usagef("webhooks listen: --path must start with /")
	}
	out, errOut := &lineWriter{w: a.out}, &lineWriter{w: a.err}
	// Rejections are warnings; duplicates (info) stay off stderr.
	logger := slog.New(slog.NewTextHandler(errOut, &slog.HandlerOptions{Level: slog.LevelWarn}))

	var h http.Handler
	switch lf.provider {
	case "moneykit":
		base, id := a.getenv("MONEYKIT_BASE_URL"), a.getenv("MONEYKIT_CLIENT_ID")
		if a.g.baseURL != "" {
			base = a.g.baseURL
		}
		if a.g.clientID != "" {
			id = a.g.clientID
		}
		if id == "" {
			return usagef("webhooks listen: MONEYKIT_CLIENT_ID (or --client-id) is required to fetch MoneyKit's keys")
		}
		v, err := webhook.NewMoneyKitVerifier(webhook.MoneyKitOptions{BaseURL: base, ClientID: id, Logger: logger})
		if err != nil {
			return usagef("%v", err)
		}
		defer v.Close()
		h = webhook.MoneyKitHandler(v, func(_ context.Context, ev *webhook.MoneyKitEvent) error {
			return out.event(eventLine{"moneykit", ev.Type, ev.IdempotencyKey, ev.Raw})
		}, webhook.WithLogger(logger))
	case "linkmoney":
		secret := lf.secret
		if secret == "" {
			secret = a.getenv("LINKMONEY_WEBHOOK_SECRET")
		}
		v, err := webhook.NewHMACVerifier(secret)
		if err != nil {
			return usagef("webhooks listen: --secret (or LINKMONEY_WEBHOOK_SECRET) is required for Link Money")
		}
		h = webhook.LinkMoneyHandler(v, func(_ context.Context, ev *webhook.LinkMoneyEvent) error {
			return out.event(eventLine{"linkmoney", ev.Type, ev.DeliveryID, ev.Raw})
		}, webhook.WithLogger(logger))
	default:
		return usagef("webhooks listen: --provider must be moneykit or linkmoney")
	}

	mux := http.NewServeMux()
	mux.Handle(lf.path, h)
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", lf.addr)
	if err != nil {
		return fmt.Errorf("webhooks listen: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(errOut, "banklink: listening for %s webhooks on http://%s%s; interrupt to stop\n", lf.provider, ln.Addr(), lf.path)
	webhookListening(ln.Addr())
	select {
	case err := <-served:
		return fmt.Errorf("webhooks listen: %w", err)
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		_ = srv.Close()
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("webhooks listen: %w", err)
	}
	return nil
}

// moneyKitWebhooksTriggerCmd is `banklink moneykit webhooks trigger <link_id>`.
func moneyKitWebhooksTriggerCmd(a *app) *cobra.Command {
	var event, key string
	c := &cobra.Command{
		Use:   "trigger <link_id>",
		Short: "Ask MoneyKit to send a test webhook to a sandbox link's webhook URL",
		Example: `  banklink moneykit webhooks trigger mk_eqkWN34UEoa2NxyALG8pcV --event link.state_changed
  banklink moneykit webhooks trigger mk_eqkWN34UEoa2NxyALG8pcV --event transactions.updates_available --idempotency-key test-1`,
		Args: exactArgs("<link_id>"),
		RunE: a.moneyKitRun(func(ctx context.Context, mk *moneykit.Client, args []string) (any, error) {
			res, err := mk.Webhooks.TestLink(ctx, args[0], moneykit.WebhookLinkTestEvent(event), key)
			if err != nil {
				return nil, err
			}
			return map[string]any{"link_id": args[0], "webhook_event": event, "delivery_token": res.DeliveryToken}, nil
		}),
	}
	f := c.Flags()
	f.StringVar(&event, "event", "link.state_changed", "webhook_event: link.state_changed, link.product_refresh, transactions.updates_available or product.state_changed")
	f.StringVar(&key, "idempotency-key", "", "webhook_idempotency_key of the delivery (default: a new UUID)")
	return c
}

// linkMoneyWebhooksSubscribeCmd is `banklink linkmoney webhooks subscribe`.
func linkMoneyWebhooksSubscribeCmd(a *app) *cobra.Command {
	var u, secret string
	c := &cobra.Command{
		Use:     "subscribe --url URL --secret S",
		Short:   "Subscribe a URL to every Link Money event, signed with a secret you choose",
		Example: `  banklink linkmoney webhooks subscribe --url https://merchant.example/webhooks/linkmoney --secret "$LINKMONEY_WEBHOOK_SECRET"`,
		Args:    exactArgs(),
		RunE: a.linkMoneyRun(func(ctx context.Context, lm *linkmoney.Client) (any, error) {
			if secret == "" {
				secret = a.getenv("LINKMONEY_WEBHOOK_SECRET")
			}
			return lm.Webhooks.Subscribe(ctx, u, secret)
		}),
	}
	f := c.Flags()
	f.StringVar(&u, "url", "", "the endpoint that receives deliveries")
	f.StringVar(&secret, "secret", "", "the secret deliveries are signed with (default $LINKMONEY_WEBHOOK_SECRET)")
	return c
}

// linkMoneyWebhooksUnsubscribeCmd is `banklink linkmoney webhooks unsubscribe <subscription_key>`.
func linkMoneyWebhooksUnsubscribeCmd(a *app) *cobra.Command {
	var key string
	c := &cobra.Command{
		Use:     "unsubscribe <subscription_key>",
		Short:   "Cancel a webhook subscription",
		Example: `  banklink linkmoney webhooks unsubscribe "$SUBSCRIPTION_KEY"`,
		Args: func(c *cobra.Command, args []string) error {
			if err := exactArgs("<subscription_key>")(c, args); err != nil {
				return err
			}
			key = args[0]
			return nil
		},
		RunE: a.linkMoneyRun(func(ctx context.Context, lm *linkmoney.Client) (any, error) {
			if err := lm.Webhooks.Unsubscribe(ctx, key); err != nil {
				return nil, err
			}
			return map[string]any{"subscription_key": key, "unsubscribed": true}, nil
		}),
	}
	return c
}
