package otelbanklink_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/banklink/banklink/facade/otelbanklink"
	"github.com/banklink/banklink/facade/webhook"
)

const hookSecret = "whsec-test-0123456789abcdef"

func TestWebhookSpans(t *testing.T) {
	r := newRig(t)
	v, err := webhook.NewHMACVerifier(hookSecret)
	require.NoError(t, err)
	var inSpan []trace.SpanContext
	fail := false
	mux := http.NewServeMux()
	mux.Handle("POST /hooks/linkmoney", webhook.LinkMoneyHandler(v, func(ctx context.Context, ev *webhook.LinkMoneyEvent) error {
		inSpan = append(inSpan, trace.SpanContextFromContext(ctx))
		if fail {
			return errors.New("database down")
		}
		return nil
	}, otelbanklink.WithWebhookTelemetry(r.opts()...)))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	body := []byte(`{"id":"evt-1","eventType":"PAYMENT_UPDATED","resourceId":"pay-1"}`)
	post := func(h http.Header, b []byte) int {
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/hooks/linkmoney", bytes.NewReader(b))
		require.NoError(t, err)
		for k, vs := range h {
			req.Header[k] = vs
		}
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	signed := webhook.LinkMoneySignatureHeaders(hookSecret, "delivery-1", time.Now(), body)
	bad := signed.Clone()
	bad.Set("X-Signature", "AAAA"+bad.Get("X-Signature")[4:])

	assert.Equal(t, 400, post(bad, body))
	assert.Equal(t, 200, post(signed, body))
	assert.Equal(t, 200, post(signed, body)) // the same delivery again
	fail = true
	assert.Equal(t, 500, post(webhook.LinkMoneySignatureHeaders(hookSecret, "delivery-2", time.Now(), body), body))

	spans := r.named("POST /hooks/linkmoney")
	require.Len(t, spans, 4)
	for _, s := range spans {
		assert.Equal(t, trace.SpanKindServer, s.SpanKind())
		a := attrs(s)
		assert.Equal(t, "linkmoney", a["banklink.provider"].AsString())
		assert.Equal(t, "/hooks/linkmoney", a["http.route"].AsString())
	}
	rejected, handled, dup, failed := attrs(spans[0]), attrs(spans[1]), attrs(spans[2]), attrs(spans[3])
	assert.Equal(t, "rejected", rejected["banklink.webhook.outcome"].AsString())
	assert.Equal(t, "invalid_signature", rejected["banklink.webhook.reason"].AsString())
	assert.Equal(t, "invalid_signature", rejected["error.type"].AsString())
	assert.Equal(t, int64(400), rejected["http.response.status_code"].AsInt64())
	assert.NotContains(t, rejected, attribute.Key("banklink.webhook.delivery_id"), "an unverified delivery's id is not trusted")
	assert.Equal(t, codes.Unset, spans[0].Status().Code, "a 4xx is not a server span's error")

	assert.Equal(t, "handled", handled["banklink.webhook.outcome"].AsString())
	assert.Equal(t, "PAYMENT_UPDATED", handled["banklink.webhook.event_type"].AsString())
	assert.Equal(t, "delivery-1", handled["banklink.webhook.delivery_id"].AsString())
	assert.NotContains(t, handled, attribute.Key("error.type"))

	assert.Equal(t, "duplicate", dup["banklink.webhook.outcome"].AsString())
	assert.Equal(t, "delivery-1", dup["banklink.webhook.delivery_id"].AsString())

	assert.Equal(t, "failed", failed["banklink.webhook.outcome"].AsString())
	assert.Equal(t, "handler_error", failed["banklink.webhook.reason"].AsString())
	assert.Equal(t, codes.Error, spans[3].Status().Code)

	require.Len(t, inSpan, 2, "the function ran for the first delivery and the failing one")
	assert.Equal(t, spans[1].SpanContext().SpanID(), inSpan[0].SpanID(), "the function runs inside the delivery's span")

	rm := r.collect(t)
	const m = "banklink.webhook.deliveries"
	assert.Equal(t, int64(1), count(t, rm, m, attribute.String("banklink.webhook.outcome", "rejected"), attribute.String("banklink.webhook.reason", "invalid_signature")))
	assert.Equal(t, int64(1), count(t, rm, m, attribute.String("banklink.webhook.outcome", "handled")))
	assert.Equal(t, int64(1), count(t, rm, m, attribute.String("banklink.webhook.outcome", "duplicate")))
	assert.Equal(t, int64(1), count(t, rm, m, attribute.String("banklink.webhook.outcome", "failed")))
	assert.Equal(t, int64(4), count(t, rm, m, attribute.String("banklink.provider", "linkmoney")))

	sweep(t, r, []string{hookSecret, bad.Get("X-Signature"), signed.Get("X-Signature"), `"resourceId"`, "pay-1"})
}

func TestWebhookRejectReasons(t *testing.T) {
	r := newRig(t)
	v, err := webhook.NewHMACVerifier(hookSecret)
	require.NoError(t, err)
	h := webhook.LinkMoneyHandler(v, func(context.Context, *webhook.LinkMoneyEvent) error { return nil },
		otelbanklink.WithWebhookTelemetry(r.opts()...), webhook.WithMaxBodyBytes(64))
	body := []byte(`{"id":"evt-1","eventType":"PAYMENT_UPDATED"}`)
	old := webhook.LinkMoneySignatureHeaders(hookSecret, "d-old", time.Now().Add(-time.Hour), body)
	for _, tc := range []struct {
		method string
		header http.Header
		body   []byte
		reason string
	}{
		{http.MethodGet, nil, nil, "method_not_allowed"},
		{"BREW", nil, nil, "method_not_allowed"},
		{http.MethodPost, nil, body, "missing_signature"},
		{http.MethodPost, old, body, "too_old"},
		{http.MethodPost, nil, bytes.Repeat([]byte("x"), 65), "body_too_large"},
	} {
		req := httptest.NewRequest(tc.method, "/hooks", bytes.NewReader(tc.body))
		for k, vs := range tc.header {
			req.Header[k] = vs
		}
		h.ServeHTTP(httptest.NewRecorder(), req)
		spans := r.ended()
		require.NotEmpty(t, spans)
		last := attrs(spans[len(spans)-1])
		assert.Equal(t, "rejected", last["banklink.webhook.outcome"].AsString(), tc.reason)
		assert.Equal(t, tc.reason, last["banklink.webhook.reason"].AsString())
		if tc.method == "BREW" {
			assert.Equal(t, "HTTP", spans[len(spans)-1].Name(), "a made-up method does not name the span")
			assert.Equal(t, "_OTHER", last["http.request.method"].AsString())
		} else {
			assert.Equal(t, tc.method, spans[len(spans)-1].Name(), "without a route the span is named by the method")
		}
	}
}
