package moneykit_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/moneykit"
	"github.com/banklink/banklink/facade/sandbox"
)

// The examples run against banklink's embedded sandbox on a loopback port;
// against MoneyKit, leave out WithBaseURL and use your own credentials.

// startSandbox serves a fresh sandbox and returns it with a client of it;
// stop closes both.
func startSandbox() (sb *sandbox.Sandbox, mk *moneykit.Client, stop func()) {
	sb = sandbox.New(sandbox.Config{})
	srv := httptest.NewServer(sb.Handler())
	sb.SetURL(srv.URL)
	creds := sb.MoneyKit()
	mk, err := moneykit.New(facade.WithCredentials(creds.ClientID, creds.ClientSecret), facade.WithBaseURL(creds.BaseURL))
	if err != nil {
		log.Fatal(err)
	}
	return sb, mk, func() { mk.CloseIdleConnections(); srv.Close() }
}

// connectLink links a bank for user the way an application does: a link
// session, MoneyKit Connect (played by the sandbox), then the exchange. It
// returns the new link's id.
func connectLink(ctx context.Context, sb *sandbox.Sandbox, mk *moneykit.Client, user string, opts ...moneykit.LinkSessionOption) string {
	sess, err := mk.LinkSessions.Create(ctx, moneykit.NewLinkSession(user, "https://app.example/oauth", opts...))
	if err != nil {
		log.Fatal(err)
	}
	exch, err := sb.CompleteLinkSession(sess.LinkSessionToken, sandbox.ConnectOptions{})
	if err != nil {
		log.Fatal(err)
	}
	res, err := mk.LinkSessions.Exchange(ctx, exch)
	if err != nil {
		log.Fatal(err)
	}
	return res.Link.LinkId
}

// A client reads its credentials from the options (or from
// MONEYKIT_CLIENT_ID and MONEYKIT_CLIENT_SECRET) and fetches and caches
// its access token itself.
func ExampleNew() {
	sb := sandbox.New(sandbox.Config{})
	srv := httptest.NewServer(sb.Handler())
	defer srv.Close()
	sb.SetURL(srv.URL)
	creds := sb.MoneyKit()

	mk, err := moneykit.New(
		facade.WithCredentials(creds.ClientID, creds.ClientSecret),
		facade.WithBaseURL(creds.BaseURL))
	if err != nil {
		log.Fatal(err)
	}
	defer mk.CloseIdleConnections()

	inst, err := mk.Institutions.Get(context.Background(), "instant_bank")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(inst.Name, inst.Country)
	// Output:
	// Instant Bank US
}
