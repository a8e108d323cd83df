package linkmoney_test

import (
	"context"
	"fmt"
	"log"

	"github.com/banklink/banklink/facade/linkmoney"
)

// A partial refund; the amount is parsed from text exactly, never through
// a float.
func ExampleRefundsService_Create() {
	sb, lm, stop := startSandbox()
	defer stop()
	ctx := context.Background()
	customerID := onboard(ctx, sb, lm)
	pay, err := lm.Payments.Create(ctx, linkmoney.NewPayment(customerID, "merchant-1", linkmoney.USD(2500)))
	if err != nil {
		log.Fatal(err)
	}

	amount, err := linkmoney.ParseUSD("10.00")
	if err != nil {
		log.Fatal(err)
	}
	ref, err := lm.Refunds.Create(ctx, linkmoney.NewRefund(pay.PaymentId, amount,
		linkmoney.WithClientReferenceID("order-1042-refund-1")))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ref.PaymentStatus, ref.ClientReferenceId)
	// Output:
	// PENDING order-1042-refund-1
}
