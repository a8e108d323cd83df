package moneykit

import (
	"context"

	"github.com/google/uuid"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/internal/transport"
	gen "github.com/banklink/banklink/gen/moneykit"
)

// WebhooksService fetches what webhook verification needs, and sends test
// webhooks. Package facade/webhook verifies and handles the deliveries.
type WebhooksService struct{ t *transport.Client[gen.Op] }

// JWKS fetches the keys that sign MoneyKit webhooks (GET /.well-known/jwks.json,
// sent with X-Client-Id, no token). Cache the result; refetch on an unknown kid.
func (s *WebhooksService) JWKS(ctx context.Context, opts ...facade.CallOption) (*JWKSet, error) {
	return transport.Do[JWKSet](ctx, s.t, gen.OpGetJWKS, transport.Call{}, opts)
}

// TestLink asks MoneyKit to deliver a test webhook of type event to a sandbox
// link's webhook URL (POST /webhooks/test/link/{id}) and returns the
// delivery token, which the delivery carries as MoneyKit-Delivery-Token.
// idempotencyKey becomes the delivery's webhook_idempotency_key; when it is
// empty a UUID v4 is generated. Every retry sends the same key, so a receiver
// that deduplicates handles the event once. A live link, or one without a
// webhook URL, answers 400 link_error.bad_config. The key sent is reported
// by facade.WithResponse and on every error (facade.IdempotencyKeyOf).
func (s *WebhooksService) TestLink(ctx context.Context, linkID string, event WebhookLinkTestEvent, idempotencyKey string, opts ...facade.CallOption) (*WebhookTestResult, error) {
	if idempotencyKey == "" {
		idempotencyKey = uuid.NewString()
	}
	body := &gen.WebhookTestLinkRequest{WebhookEvent: event, WebhookIdempotencyKey: idempotencyKey}
	return transport.Do[WebhookTestResult](ctx, s.t, gen.OpWebhookTestLink, transport.Call{Path: []string{linkID}, Body: body, Key: idempotencyKey}, opts)
}
