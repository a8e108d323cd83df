package linkmoney_test

import (
	"context"
	"fmt"
	"log"

	"github.com/banklink/banklink/facade/linkmoney"
)

// The services fetch and cache a token per scope themselves; Auth.Token is
// for a caller that needs a token of its own. Never log the token.
func ExampleAuthService_Token() {
	_, lm, stop := startSandbox()
	defer stop()

	tok, err := lm.Auth.Token(context.Background(), linkmoney.TokenScopeLinkPayment)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.ExpiresIn, tok.AccessToken != "")
	// Output:
	// 3600 true
}
