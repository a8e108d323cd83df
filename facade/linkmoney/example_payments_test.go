package linkmoney_test

import (
	"context"
	"fmt"
	"log"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/linkmoney"
	"github.com/banklink/banklink/facade/sandbox"
)

// Every payment carries a requestKey, so Link Money executes it at most
// once. When a call fails without a clear answer, the key it sent comes
// back from facade.IdempotencyKeyOf: store it with the order and send the
// payment again WithRequestKey(key), which cannot charge twice.
func ExamplePaymentsService_Create() {
	sb, lm, stop := startSandbox()
	defer stop()
	ctx := context.Background()
	customerID := onboard(ctx, sb, lm)

	// Link Money is down for this call, and the call allows no retry.
	sb.SetFaults(map[string]sandbox.Fault{"createPayment": {Rate: 1, Statuses: []int{503}}})
	req := linkmoney.NewPayment(customerID, "merchant-1", linkmoney.USD(1234),
		linkmoney.WithClientReferenceID("order-1042"), linkmoney.WithSoftDescriptor("ACME ORDER 1042"))
	_, err := lm.Payments.Create(ctx, req, facade.WithMaxRetries(0))
	key := facade.IdempotencyKeyOf(err)
	fmt.Println("failed:", err != nil, "key to store:", key != "")

	// Later, the same payment with the stored key.
	sb.SetFaults(nil)
	req = linkmoney.NewPayment(customerID, "merchant-1", linkmoney.USD(1234),
		linkmoney.WithClientReferenceID("order-1042"), linkmoney.WithSoftDescriptor("ACME ORDER 1042"),
		linkmoney.WithRequestKey(key))
	var resp facade.Response
	pay, err := lm.Payments.Create(ctx, req, facade.WithResponse(&resp))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(pay.PaymentStatus, pay.ClientReferenceId, resp.IdempotencyKey == key)
	// Output:
	// failed: true key to store: true
	// AUTHORIZED order-1042 true
}
