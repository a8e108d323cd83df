package moneykit_test

import (
	"context"
	"fmt"
	"log"
)

// The services fetch and cache tokens themselves; Auth.Token is for a
// caller that needs a token of its own. Never log the token.
func ExampleAuthService_Token() {
	_, mk, stop := startSandbox()
	defer stop()

	tok, err := mk.Auth.Token(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.TokenType, tok.ExpiresIn, tok.AccessToken != "")
	// Output:
	// bearer 3600 true
}
