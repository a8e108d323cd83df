package linkmoney_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http/httptest"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/linkmoney"
	"github.com/banklink/banklink/facade/sandbox"
)

// The examples run against banklink's embedded sandbox on a loopback port;
// against Link Money, leave out WithBaseURL, choose the environment with
// facade.WithEnvironment and use your own credentials.

// startSandbox serves a fresh sandbox and returns it with a client of it;
// stop closes both.
func startSandbox() (sb *sandbox.Sandbox, lm *linkmoney.Client, stop func()) {
	sb = sandbox.New(sandbox.Config{})
	srv := httptest.NewServer(sb.Handler())
	sb.SetURL(srv.URL)
	creds := sb.LinkMoney()
	lm, err := linkmoney.New(facade.WithCredentials(creds.ClientID, creds.ClientSecret), facade.WithBaseURL(creds.BaseURL))
	if err != nil {
		log.Fatal(err)
	}
	return sb, lm, func() { lm.CloseIdleConnections(); srv.Close() }
}

// onboard makes a customer the way a checkout does: a session, the hosted
// UI (played by the sandbox), and the customer id the redirect carries.
func onboard(ctx context.Context, sb *sandbox.Sandbox, lm *linkmoney.Client) string {
	sess, err := lm.Sessions.Create(ctx, linkmoney.NewSession(
		linkmoney.SessionCustomer{FirstName: "Jane", LastName: "Doe", Email: "jane.doe@example.com"},
		"https://merchant.example/return"))
	if err != nil {
		log.Fatal(err)
	}
	customerID, err := sb.CompleteSession(sess.SessionKey)
	if err != nil {
		log.Fatal(err)
	}
	return customerID
}

// A client reads its credentials from the options (or from
// LINKMONEY_CLIENT_ID and LINKMONEY_CLIENT_SECRET) and fetches and caches
// one access token per OAuth2 scope itself.
func ExampleNew() {
	sb := sandbox.New(sandbox.Config{})
	srv := httptest.NewServer(sb.Handler())
	defer srv.Close()
	sb.SetURL(srv.URL)
	creds := sb.LinkMoney()

	lm, err := linkmoney.New(
		facade.WithCredentials(creds.ClientID, creds.ClientSecret),
		facade.WithEnvironment(facade.Sandbox),
		facade.WithBaseURL(creds.BaseURL)) // only for this local sandbox
	if err != nil {
		log.Fatal(err)
	}
	defer lm.CloseIdleConnections()

	_, err = lm.Customers.Get(context.Background(), "8c4d7b3e-4f5a-4b1c-9d2e-6f7a8b9c0d1e")
	fmt.Println("unknown customer:", errors.Is(err, facade.ErrNotFound))
	// Output:
	// unknown customer: true
}
