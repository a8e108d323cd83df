package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/webhook"
	"github.com/banklink/banklink/gen/moneykit"
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

// runWebhooks handles `banklink webhooks listen ...`.
func runWebhooks(ctx context.Context, args []string, stdout, stderr io.Writer, getenv env) int {
	if len(args) == 0 || args[0] != "listen" {
		return report(stderr, usagef("usage: banklink webhooks listen --provider moneykit|linkmoney [--addr 127.0.0.1:4020] [--path /webhook] [--secret S]"))
	}
	return runWebhooksListen(ctx, args[1:], stdout, stderr, getenv)
}

// runWebhooksListen serves the library's verifying handler until ctx ends:
// each verified event is one JSON line on stdout; each rejected delivery
// answers 400 and is one line on stderr with the reason; a duplicate answers
// 200 and is not printed again.
func runWebhooksListen(ctx context.Context, args []string, stdout, stderr io.Writer, getenv env) int {
	fs := flag.NewFlagSet("webhooks listen", flag.ContinueOnError)
	provider := fs.String("provider", "", "moneykit or linkmoney")
	addr := fs.String("addr", "127.0.0.1:4020", "address to listen on")
	path := fs.String("path", "/webhook", "path deliveries are posted to")
	secret := fs.String("secret", "", "Link Money subscription secret (default $LINKMONEY_WEBHOOK_SECRET)")
	baseURL := fs.String("base-url", "", "MoneyKit base URL for the JWKS (default $MONEYKIT_BASE_URL)")
	clientID := fs.String("client-id", "", "MoneyKit client id for the JWKS (default $MONEYKIT_CLIENT_ID)")
	pos, err := parse(fs, args)
	if err != nil {
		return report(stderr, err)
	}
	if err := wantArgs(fs.Name(), pos); err != nil {
		return report(stderr, err)
	}
	if !strings.HasPrefix(*path, "/") {
		return report(stderr, usagef("--path must start with /"))
	}
	out, errOut := &lineWriter{w: stdout}, &lineWriter{w: stderr}
	// Rejections are warnings; duplicates (info) stay off stderr.
	logger := slog.New(slog.NewTextHandler(errOut, &slog.HandlerOptions{Level: slog.LevelWarn}))

	var h http.Handler
	switch *provider {
	case "moneykit":
		if *baseURL == "" {
			*baseURL = getenv("MONEYKIT_BASE_URL")
		}
		if *clientID == "" {
			*clientID = getenv("MONEYKIT_CLIENT_ID")
		}
		if *clientID == "" {
			return report(stderr, usagef("webhooks listen: MONEYKIT_CLIENT_ID (or --client-id) is required to fetch MoneyKit's keys"))
		}
		v, err := webhook.NewMoneyKitVerifier(webhook.MoneyKitOptions{BaseURL: *baseURL, ClientID: *clientID, Logger: logger})
		if err != nil {
			return report(stderr, usagef("%v", err))
		}
		defer v.Close()
		h = webhook.MoneyKitHandler(v, func(_ context.Context, ev *webhook.MoneyKitEvent) error {
			return out.event(eventLine{"moneykit", ev.Type, ev.IdempotencyKey, ev.Raw})
		}, webhook.WithLogger(logger))
	case "linkmoney":
		if *secret == "" {
			*secret = getenv("LINKMONEY_WEBHOOK_SECRET")
		}
		v, err := webhook.NewHMACVerifier(*secret)
		if err != nil {
			return report(stderr, usagef("webhooks listen: --secret (or LINKMONEY_WEBHOOK_SECRET) is required for Link Money"))
		}
		h = webhook.LinkMoneyHandler(v, func(_ context.Context, ev *webhook.LinkMoneyEvent) error {
			return out.event(eventLine{"linkmoney", ev.Type, ev.DeliveryID, ev.Raw})
		}, webhook.WithLogger(logger))
	default:
		return report(stderr, usagef("webhooks listen: --provider must be moneykit or linkmoney"))
	}

	mux := http.NewServeMux()
	mux.Handle(*path, h)
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", *addr)
	if err != nil {
		return report(stderr, fmt.Errorf("webhooks listen: %w", err))
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(errOut, "banklink: listening for %s webhooks on http://%s%s; interrupt to stop\n", *provider, ln.Addr(), *path)
	webhookListening(ln.Addr())
	select {
	case err := <-served:
		return report(stderr, fmt.Errorf("webhooks listen: %w", err))
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		_ = srv.Close()
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return report(stderr, fmt.Errorf("webhooks listen: %w", err))
	}
	return exitOK
}

// moneyKitWebhooksTrigger builds `banklink moneykit webhooks trigger
// <link_id> --event E [--idempotency-key K]`.
func moneyKitWebhooksTrigger(ctx context.Context, fs *flag.FlagSet) func(mk *facade.MoneyKit, pos []string) (any, error) {
	event := fs.String("event", "link.state_changed", "webhook_event to send (link.state_changed, link.product_refresh, transactions.updates_available, product.state_changed)")
	key := fs.String("idempotency-key", "", "webhook_idempotency_key of the delivery (default: a new UUID)")
	return func(mk *facade.MoneyKit, pos []string) (any, error) {
		if err := wantArgs(fs.Name(), pos, "<link_id>"); err != nil {
			return nil, err
		}
		res, err := mk.Webhooks.TestLink(ctx, pos[0], moneykit.WebhookLinkTestEvent(*event), *key)
		if err != nil {
			return nil, err
		}
		return map[string]any{"link_id": pos[0], "webhook_event": *event, "delivery_token": res.DeliveryToken}, nil
	}
}

// linkMoneyWebhooks builds `banklink linkmoney webhooks subscribe --url U
// --secret S` and `banklink linkmoney webhooks unsubscribe --subscription-key K`.
func linkMoneyWebhooks(ctx context.Context, fs *flag.FlagSet, verb string, getenv env) func(lm *facade.LinkMoney) (any, error) {
	switch verb {
	case "subscribe":
		u := fs.String("url", "", "the endpoint that receives deliveries")
		secret := fs.String("secret", "", "the secret deliveries are signed with (default $LINKMONEY_WEBHOOK_SECRET)")
		return func(lm *facade.LinkMoney) (any, error) {
			if *secret == "" {
				*secret = getenv("LINKMONEY_WEBHOOK_SECRET")
			}
			sub, err := lm.Webhooks.Subscribe(ctx, *u, *secret)
			if err != nil {
				return nil, err
			}
			return sub, nil
		}
	case "unsubscribe":
		key := fs.String("subscription-key", "", "the subscriptionKey that subscribing returned")
		return func(lm *facade.LinkMoney) (any, error) {
			if err := lm.Webhooks.Unsubscribe(ctx, *key); err != nil {
				return nil, err
			}
			return map[string]any{"subscription_key": *key, "unsubscribed": true}, nil
		}
	}
	return nil
}
