package moneykit_test

import (
	"context"
	"fmt"
	"log"

	"github.com/banklink/banklink/facade/moneykit"
)

// A pager fetches pages only as the loop needs them; here two institutions
// a page.
func ExampleInstitutionsService_Pager() {
	_, mk, stop := startSandbox()
	defer stop()
	ctx := context.Background()

	pager := mk.Institutions.Pager(moneykit.InstitutionsParams{Featured: true, Limit: 2})
	for inst, err := range pager.All(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(inst.InstitutionId, inst.Name)
	}
	fmt.Println("pages:", pager.Pages())
	// Output:
	// credentials_bank Credentials Bank
	// instant_bank Instant Bank
	// oauth_bank OAuth Bank
	// pages: 2
}
