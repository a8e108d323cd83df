package linkmoney_test

import (
	"context"
	"fmt"
	"log"
)

// A customer's name, email, phone and address are personal data: keep
// them out of logs, as this example does.
func ExampleCustomersService_Get() {
	sb, lm, stop := startSandbox()
	defer stop()
	ctx := context.Background()
	customerID := onboard(ctx, sb, lm)

	c, err := lm.Customers.Get(ctx, customerID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.CustomerStatus)

	accts, err := lm.Customers.Accounts(ctx, customerID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("linked accounts:", len(accts.AccountDetails))
	// Output:
	// ACTIVE
	// linked accounts: 2
}
