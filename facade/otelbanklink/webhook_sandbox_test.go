package otelbanklink_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/moneykit"
	"github.com/banklink/banklink/facade/otelbanklink"
	"github.com/banklink/banklink/facade/sandbox"
	"github.com/banklink/banklink/facade/webhook"
)

// The sandbox delivers MoneyKit's link.state_changed to a traced handler:
// first with a bad signature (rejected), then cleanly twice (handled, then
// a duplicate).
func TestWebhookSandboxDeliveries(t *testing.T) {
	ctx := context.Background()
	clock := sandbox.NewFakeClock(time.Time{})
	sb := sandbox.Start(t, sandbox.Config{Clock: clock})
	creds := sb.MoneyKit()
	mk, err := moneykit.New(facade.WithBaseURL(creds.BaseURL), facade.WithCredentials(creds.ClientID, creds.ClientSecret))
	require.NoError(t, err)
	v, err := webhook.NewMoneyKitVerifier(webhook.MoneyKitOptions{BaseURL: creds.BaseURL, ClientID: creds.ClientID, Now: sb.Now})
	require.NoError(t, err)
	t.Cleanup(func() { _ = v.Close() })
	r := newRig(t)
	handled := 0
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/moneykit", webhook.MoneyKitHandler(v, func(context.Context, *webhook.MoneyKitEvent) error {
		handled++
		return nil
	}, otelbanklink.WithWebhookTelemetry(r.opts()...)))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	connect := func() {
		sess, err := mk.LinkSessions.Create(ctx, moneykit.NewLinkSession("user-hooks", "https://app.example/oauth", moneykit.WithWebhook(srv.URL+"/webhooks/moneykit")))
		require.NoError(t, err)
		tok, err := sb.CompleteLinkSession(sess.LinkSessionToken, sandbox.ConnectOptions{})
		require.NoError(t, err)
		_, err = mk.LinkSessions.Exchange(ctx, tok)
		require.NoError(t, err)
		require.NoError(t, sb.WaitWebhooks(ctx))
	}
	sb.SetWebhookOptions(sandbox.WebhookOptions{MaxAttempts: 1})
	sb.SetWebhookFaults(sandbox.WebhookFaults{BadSignature: true})
	connect()
	sb.SetWebhookFaults(sandbox.WebhookFaults{Duplicate: true})
	connect()
	require.Equal(t, 1, handled)

	spans := r.named("POST /webhooks/moneykit")
	require.Len(t, spans, 3)
	outcomes := map[string]string{}
	for _, s := range spans {
		a := attrs(s)
		outcomes[a["banklink.webhook.outcome"].AsString()] = a["banklink.webhook.reason"].AsString()
		assert.Equal(t, "moneykit", a["banklink.provider"].AsString())
		if a["banklink.webhook.outcome"].AsString() != "rejected" {
			assert.Equal(t, "link.state_changed", a["banklink.webhook.event_type"].AsString())
			assert.NotEmpty(t, a["banklink.webhook.delivery_id"].AsString())
		}
	}
	assert.Equal(t, map[string]string{"rejected": "invalid_signature", "handled": "", "duplicate": ""}, outcomes)
	rm := r.collect(t)
	assert.Equal(t, int64(1), count(t, rm, "banklink.webhook.deliveries", attribute.String("banklink.webhook.reason", "invalid_signature")))
	assert.Equal(t, int64(3), count(t, rm, "banklink.webhook.deliveries", attribute.String("banklink.provider", "moneykit")))
}
