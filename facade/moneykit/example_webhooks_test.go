package moneykit_test

import (
	"context"
	"fmt"
	"log"
)

// MoneyKit signs webhooks with the keys JWKS returns (package
// facade/webhook verifies deliveries with them): cache the set, and fetch
// it again when a delivery names a key id it does not hold.
func ExampleWebhooksService_JWKS() {
	_, mk, stop := startSandbox()
	defer stop()

	set, err := mk.Webhooks.JWKS(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	for _, k := range set.Keys {
		fmt.Println(k.Kty, k.Alg, k.Kid != "")
	}
	// Output:
	// EC ES256 true
}
