package moneykit_test

import (
	"context"
	"fmt"
	"log"

	"github.com/banklink/banklink/facade/moneykit"
)

func ExampleInvestmentsService_Holdings() {
	sb, mk, stop := startSandbox()
	defer stop()
	ctx := context.Background()
	linkID := connectLink(ctx, sb, mk, "user-42",
		moneykit.WithInstitution("credentials_bank"), moneykit.WithProducts(moneykit.ProductInvestments))

	h, err := mk.Investments.Holdings(ctx, linkID, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("accounts:", len(h.Accounts), "holdings:", len(h.Holdings), "securities:", len(h.Securities))
	// Output:
	// accounts: 1 holdings: 3 securities: 3
}
