package moneykit_test

import (
	"context"
	"fmt"
	"log"

	"github.com/banklink/banklink/facade/moneykit"
	"github.com/banklink/banklink/facade/sandbox"
)

// A backend starts a link session for its user, hands the token to
// MoneyKit Connect in the front end, and exchanges the token Connect gives
// back for the new link.
func ExampleLinkSessionsService_Create() {
	sb, mk, stop := startSandbox()
	defer stop()
	ctx := context.Background()

	sess, err := mk.LinkSessions.Create(ctx, moneykit.NewLinkSession("user-42", "https://app.example/oauth",
		moneykit.WithProducts(moneykit.ProductTransactions),
		moneykit.WithOptionalProducts(moneykit.ProductIdentity),
		moneykit.WithWebhook("https://app.example/hooks/moneykit"),
		moneykit.WithLinkTags("checkout")))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("token for Connect:", sess.LinkSessionToken != "")

	// The user picks a bank in Connect; the front end posts back the
	// exchangeable token (here the sandbox plays the user).
	exch, err := sb.CompleteLinkSession(sess.LinkSessionToken, sandbox.ConnectOptions{InstitutionID: "oauth_bank"})
	if err != nil {
		log.Fatal(err)
	}
	res, err := mk.LinkSessions.Exchange(ctx, exch)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Link.InstitutionName, res.Link.State, res.Link.LinkTags)
	// Output:
	// token for Connect: true
	// OAuth Bank connected [checkout]
}
