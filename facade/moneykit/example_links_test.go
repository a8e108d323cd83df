package moneykit_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/moneykit"
)

func ExampleLinksService_Get() {
	sb, mk, stop := startSandbox()
	defer stop()
	ctx := context.Background()
	linkID := connectLink(ctx, sb, mk, "user-42")

	link, err := mk.Links.Get(ctx, linkID)
	if moneykit.LinkDeleted(link, err) {
		fmt.Println("the link was deleted: ask the user to link the bank again")
		return
	}
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(link.InstitutionName, link.State)
	// Output:
	// Instant Bank connected
}

// One call can carry its own options: a retry budget, a header, a
// middleware that runs once per attempt, and a Response that reports what
// happened.
func ExampleLinksService_Get_callOptions() {
	sb, mk, stop := startSandbox()
	defer stop()
	ctx := context.Background()
	linkID := connectLink(ctx, sb, mk, "user-42")

	attempts := 0
	count := func(r *http.Request, next facade.Next) (*http.Response, error) {
		if info, _ := facade.AttemptInfoFrom(r.Context()); info.Operation == "getLink" {
			attempts++
		}
		return next(r)
	}
	var resp facade.Response
	link, err := mk.Links.Get(ctx, linkID, facade.WithMaxRetries(0), facade.WithHeader("X-Tenant", "eu-1"),
		facade.WithMiddleware(count), facade.WithResponse(&resp))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(link.State, resp.StatusCode, resp.Attempts, attempts)

	// Credentials are the client's: a call may not set its own.
	_, err = mk.Links.Get(ctx, linkID, facade.WithHeader("Authorization", "Bearer other"))
	fmt.Println(errors.Is(err, facade.ErrInvalidRequest))
	// Output:
	// connected 200 1 1
	// true
}

func ExampleLinksService_Update() {
	sb, mk, stop := startSandbox()
	defer stop()
	ctx := context.Background()
	linkID := connectLink(ctx, sb, mk, "user-42", moneykit.WithWebhook("https://app.example/hooks/old"))

	link, err := mk.Links.Update(ctx, linkID, moneykit.NewLinkUpdate(
		moneykit.SetWebhook("https://app.example/hooks/moneykit"),
		moneykit.SetLinkTags("checkout", "vip")))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(link.Webhook, link.LinkTags)

	// RemoveWebhook sends "webhook": null, which stops the link's webhooks.
	link, err = mk.Links.Update(ctx, linkID, moneykit.NewLinkUpdate(moneykit.RemoveWebhook()))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("webhook %q\n", link.Webhook)
	// Output:
	// https://app.example/hooks/moneykit [checkout vip]
	// webhook ""
}

func ExampleLinksService_Delete() {
	sb, mk, stop := startSandbox()
	defer stop()
	ctx := context.Background()
	linkID := connectLink(ctx, sb, mk, "user-42")

	if err := mk.Links.Delete(ctx, linkID); err != nil {
		log.Fatal(err)
	}
	// For a while MoneyKit still answers the link, in state deleted.
	link, err := mk.Links.Get(ctx, linkID)
	fmt.Println(link.State, moneykit.LinkDeleted(link, err))

	// Deleting it again is 410 link_error.deleted.
	err = mk.Links.Delete(ctx, linkID)
	fmt.Println(errors.Is(err, facade.ErrLinkDeleted))
	// Output:
	// deleted true
	// true
}
