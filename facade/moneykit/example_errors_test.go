package moneykit_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/moneykit"
	"github.com/banklink/banklink/facade/sandbox"
)

// Errors match banklink's sentinels with errors.Is and carry MoneyKit's
// answer in *facade.Error.
func Example_errorHandling() {
	sb, mk, stop := startSandbox()
	defer stop()
	ctx := context.Background()
	linkID := connectLink(ctx, sb, mk, "user-42")
	if err := mk.Links.Delete(ctx, linkID); err != nil {
		log.Fatal(err)
	}

	_, err := mk.Links.Update(ctx, linkID, moneykit.NewLinkUpdate(moneykit.SetLinkTags("vip")))
	switch {
	case errors.Is(err, facade.ErrLinkDeleted):
		fmt.Println("link was deleted; ask the user to link again")
	case err != nil:
		log.Fatal(err)
	}
	var apiErr *facade.Error
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Code)
	}

	// A request that breaks the spec is refused before anything is sent.
	_, err = mk.Links.Get(ctx, "")
	fmt.Println(errors.Is(err, facade.ErrInvalidRequest), err)

	// A 429 is retried with backoff (a server hint over the cap fails at
	// once); this call allows no retries, so the 429 is its answer.
	sb.SetFaults(map[string]sandbox.Fault{"getLink": {Rate: 1, Statuses: []int{429}}})
	_, err = mk.Links.Get(ctx, linkID, facade.WithMaxRetries(0))
	fmt.Println("rate limited:", errors.Is(err, facade.ErrRateLimited))
	// Output:
	// link was deleted; ask the user to link again
	// 410 link_error.deleted
	// true banklink: invalid getLink request (nothing was sent): path/id: required (path parameter id is required)
	// rate limited: true
}
