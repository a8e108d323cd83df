package moneykit_test

import (
	"context"
	"fmt"
	"log"
	"sort"

	"github.com/banklink/banklink/facade/moneykit"
)

// Every link of one of your users, keyed by link id.
func ExampleUsersService_Links() {
	sb, mk, stop := startSandbox()
	defer stop()
	ctx := context.Background()
	connectLink(ctx, sb, mk, "user-42")
	connectLink(ctx, sb, mk, "user-42", moneykit.WithInstitution("oauth_bank"))

	links, err := mk.Users.Links(ctx, "user-42")
	if err != nil {
		log.Fatal(err)
	}
	var names []string
	for _, l := range links {
		names = append(names, l.InstitutionName)
	}
	sort.Strings(names)
	fmt.Println(len(links), names)
	// Output:
	// 2 [Instant Bank OAuth Bank]
}
