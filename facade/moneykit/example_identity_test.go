package moneykit_test

import (
	"context"
	"fmt"
	"log"

	"github.com/banklink/banklink/facade/moneykit"
)

// Owners' names, emails, phones and addresses are personal data: keep them
// out of logs, as this example does.
func ExampleIdentityService_Get() {
	sb, mk, stop := startSandbox()
	defer stop()
	ctx := context.Background()
	linkID := connectLink(ctx, sb, mk, "user-42", moneykit.WithProducts(moneykit.ProductIdentity))

	id, err := mk.Identity.Get(ctx, linkID, nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, a := range id.Accounts {
		fmt.Println(a.AccountType, "owners:", len(a.Owners))
	}
	// Output:
	// depository.checking owners: 1
	// depository.savings owners: 1
	// liability.credit_card owners: 1
}
