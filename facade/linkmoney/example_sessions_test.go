package linkmoney_test

import (
	"context"
	"fmt"
	"log"
	"strings"

	"github.com/banklink/banklink/facade/linkmoney"
)

// A checkout opens a session that takes the payment in Link Money's hosted
// UI: the order's lines, and the payment with the merchant's reference.
func ExampleSessionsService_Create() {
	sb, lm, stop := startSandbox()
	defer stop()
	ctx := context.Background()

	total := linkmoney.USD(2500)
	sess, err := lm.Sessions.Create(ctx, linkmoney.NewSession(
		linkmoney.SessionCustomer{FirstName: "Jane", LastName: "Doe", Email: "jane.doe@example.com"},
		"https://merchant.example/return",
		linkmoney.WithOrder(total,
			linkmoney.WithItem("Widget", linkmoney.GoodTypePhysical, linkmoney.USD(2000)),
			linkmoney.WithSubtotal(linkmoney.USD(2000)),
			linkmoney.WithShipping(linkmoney.USD(500))),
		linkmoney.WithPayment(total, linkmoney.WithClientReferenceID("order-1042"))))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("send the customer to the session URL:", strings.Contains(sess.SessionUrl, sess.SessionKey))

	// The customer links a bank and approves; the redirect back carries
	// the customer id, and the payment is made.
	customerID, paymentID, err := sb.CompleteSessionPayment(sess.SessionKey)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("customer:", customerID != "", "payment:", paymentID != "")
	// Output:
	// send the customer to the session URL: true
	// customer: true payment: true
}
