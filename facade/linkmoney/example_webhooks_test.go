package linkmoney_test

import (
	"context"
	"fmt"
	"log"
)

// Link Money signs each delivery with the secret key given here (package
// facade/webhook verifies them). Keep the subscription key to unsubscribe.
func ExampleWebhooksService_Subscribe() {
	_, lm, stop := startSandbox()
	defer stop()
	ctx := context.Background()

	sub, err := lm.Webhooks.Subscribe(ctx, "https://merchant.example/hooks/linkmoney", "a-long-random-signing-secret")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("subscribed:", sub.SubscriptionKey != "")

	if err := lm.Webhooks.Unsubscribe(ctx, sub.SubscriptionKey); err != nil {
		log.Fatal(err)
	}
	fmt.Println("unsubscribed")
	// Output:
	// subscribed: true
	// unsubscribed
}
