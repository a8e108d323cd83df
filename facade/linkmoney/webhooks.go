package linkmoney

import (
	"context"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/internal/transport"
	gen "github.com/banklink/banklink/gen/linkmoney"
)

// WebhooksService manages webhook subscriptions. Package facade/webhook
// verifies and handles the deliveries.
type WebhooksService struct{ t *transport.Client[gen.Op] }

// allEvents is the only documented subscription selection, ALL.
func allEvents() gen.WebhookSubscriptionDetails {
	return gen.WebhookSubscriptionDetails{Type: gen.WebhookSubscriptionDetailsTypeALL}
}

// Subscribe registers url for every Link Money event (POST
// /v1/webhook/subscribe, subscriptionDetails type ALL); deliveries are signed
// with secretKey. Keep the returned SubscriptionKey to unsubscribe. A repeated
// call may create a second subscription, so it is retried only after a 429 or
// when the request never reached Link Money.
func (s *WebhooksService) Subscribe(ctx context.Context, url, secretKey string, opts ...facade.CallOption) (*WebhookSubscription, error) {
	body := &gen.WebhookSubscribeRequest{Url: url, SecretKey: secretKey, SubscriptionDetails: allEvents()}
	return transport.Do[WebhookSubscription](ctx, s.t, gen.OpSubscribeWebhook, transport.Call{Body: body}, opts)
}

// Unsubscribe cancels the subscription that Subscribe returned (PUT
// /v1/webhook/unsubscribe). Cancelling twice has no further effect, so it is
// retried like a read.
func (s *WebhooksService) Unsubscribe(ctx context.Context, subscriptionKey string, opts ...facade.CallOption) error {
	body := &gen.WebhookUnsubscribeRequest{SubscriptionId: subscriptionKey, SubscriptionDetails: allEvents()}
	_, err := transport.Do[struct{}](ctx, s.t, gen.OpUnsubscribeWebhook, transport.Call{Body: body}, opts)
	return err
}
