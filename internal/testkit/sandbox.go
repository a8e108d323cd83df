package testkit

import (
	"log"
	"net/http/httptest"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/sandbox"
)

// StartSandbox serves a fresh sandbox made with cfg on a loopback port and
// returns it with a client of it, built by newClient (moneykit.New,
// linkmoney.New) from the credentials creds picks ((*sandbox.Sandbox).MoneyKit,
// (*sandbox.Sandbox).LinkMoney); stop closes both. For Examples, which have no
// *testing.T: a failure to build the client is fatal.
func StartSandbox[C interface{ CloseIdleConnections() }](cfg sandbox.Config, creds func(*sandbox.Sandbox) sandbox.Credentials,
	newClient func(...facade.Option) (C, error)) (sb *sandbox.Sandbox, client C, stop func()) {
	sb = sandbox.New(cfg)
	srv := httptest.NewServer(sb.Handler())
	sb.SetURL(srv.URL)
	c := creds(sb)
	client, err := newClient(facade.WithCredentials(c.ClientID, c.ClientSecret), facade.WithBaseURL(c.BaseURL))
	if err != nil {
		srv.Close()
		log.Fatal(err)
	}
	return sb, client, func() { client.CloseIdleConnections(); srv.Close() }
}
