package transport_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/moneykit"
)

func TestWebhookTestLinkReusesOneGeneratedKeyAcrossRetries(t *testing.T) {
	f := newFakeAPI(t)
	route := "POST /webhooks/test/link/mk_1"
	f.handle(route, sequence(jsonReply(503, `{"error_code":"api_error.internal","error_message":"x"}`),
		jsonReply(200, `{"delivery_token":"dt-1"}`)))
	res, err := f.moneyKit().Webhooks.TestLink(context.Background(), "mk_1", moneykit.WebhookLinkTestEventLinkStateChanged, "")
	require.NoError(t, err)
	assert.Equal(t, "dt-1", res.DeliveryToken)
	bodies := f.bodiesOf(route)
	require.Len(t, bodies, 2)
	assert.Equal(t, bodies[0], bodies[1], "the same webhook_idempotency_key on the retry")
	var sent map[string]string
	require.NoError(t, json.Unmarshal([]byte(bodies[0]), &sent))
	assert.Equal(t, "link.state_changed", sent["webhook_event"])
	assert.Len(t, sent["webhook_idempotency_key"], 36, "a UUID")

	// A caller's key is sent as given; a bad link id is refused before sending.
	_, err = f.moneyKit().Webhooks.TestLink(context.Background(), "mk_1", "link.product_refresh", "mine")
	require.NoError(t, err)
	assert.JSONEq(t, `{"webhook_event":"link.product_refresh","webhook_idempotency_key":"mine"}`, f.bodiesOf(route)[2])
	_, err = f.moneyKit().Webhooks.TestLink(context.Background(), "", "link.state_changed", "")
	require.ErrorIs(t, err, facade.ErrInvalidRequest)
	assert.Equal(t, 3, f.hitCount(route))
}

func TestLinkMoneySubscriptionsOnTheWire(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("POST /v1/webhook/subscribe", sequence(jsonReply(503, `{}`), jsonReply(200, `{"subscriptionKey":"sub-9"}`)))
	f.handle("PUT /v1/webhook/unsubscribe", sequence(jsonReply(503, `{}`), jsonReply(200, ``)))
	lm := f.linkMoney()
	ctx := context.Background()

	_, err := lm.Webhooks.Subscribe(ctx, "https://m.example/hook", "s3cret-value")
	require.ErrorIs(t, err, facade.ErrServer, "a 503 on subscribe is not replayed: it may have created a subscription")
	assert.Equal(t, 1, f.hitCount("POST /v1/webhook/subscribe"))
	assert.NotContains(t, err.Error(), "s3cret-value")
	sub, err := lm.Webhooks.Subscribe(ctx, "https://m.example/hook", "s3cret-value")
	require.NoError(t, err)
	assert.Equal(t, "sub-9", sub.SubscriptionKey)
	assert.JSONEq(t, `{"url":"https://m.example/hook","secretKey":"s3cret-value","subscriptionDetails":{"type":"ALL"}}`, f.bodiesOf("POST /v1/webhook/subscribe")[1])
	assert.Equal(t, "Bearer tok-LinkCore-1", f.headersOf("POST /v1/webhook/subscribe")[1].Get("Authorization"))

	require.NoError(t, lm.Webhooks.Unsubscribe(ctx, "sub-9"))
	assert.Equal(t, 2, f.hitCount("PUT /v1/webhook/unsubscribe"), "unsubscribe is retried")
	assert.JSONEq(t, `{"subscriptionId":"sub-9","subscriptionDetails":{"type":"ALL"}}`, f.bodiesOf("PUT /v1/webhook/unsubscribe")[1])

	for _, call := range []func() error{
		func() error { _, err := lm.Webhooks.Subscribe(ctx, "", "s"); return err },
		func() error { _, err := lm.Webhooks.Subscribe(ctx, "https://m.example/hook", ""); return err },
		func() error { return lm.Webhooks.Unsubscribe(ctx, "") },
	} {
		err := call()
		require.ErrorIs(t, err, facade.ErrInvalidRequest)
	}
	assert.Equal(t, 2, f.hitCount("POST /v1/webhook/subscribe"), "invalid input is not sent")
}

func TestSubscribeSecretNeverLogged(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("POST /v1/webhook/subscribe", jsonReply(400, `{"errorCode":"BAD_REQUEST","errorMessage":"bad url"}`))
	var logs bytes.Buffer
	lm := f.linkMoney(facade.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	_, err := lm.Webhooks.Subscribe(context.Background(), "https://m.example/hook", "whsec-NEVERLOGGED")
	require.Error(t, err)
	_, err2 := lm.Webhooks.Subscribe(context.Background(), "https://m.example/hook", string(bytes.Repeat([]byte("x"), 600))+"whsec-NEVERLOGGED")
	require.ErrorIs(t, err2, facade.ErrInvalidRequest)
	assert.NotEmpty(t, logs.String())
	for _, out := range []string{logs.String(), err.Error(), err2.Error()} {
		assert.NotContains(t, out, "NEVERLOGGED")
	}
}
