package moneykit_test

import (
	"context"
	"fmt"
	"log"
)

func ExampleAccountsService_List() {
	sb, mk, stop := startSandbox()
	defer stop()
	ctx := context.Background()
	linkID := connectLink(ctx, sb, mk, "user-42")

	accts, err := mk.Accounts.List(ctx, linkID, nil) // nil: every account
	if err != nil {
		log.Fatal(err)
	}
	for _, a := range accts.Accounts {
		fmt.Println(a.AccountType, a.Balances.Currency)
	}
	// Output:
	// depository.checking USD
	// depository.savings USD
	// liability.credit_card USD
}
