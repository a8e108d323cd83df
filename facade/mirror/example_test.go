package mirror_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/mirror"
	"github.com/banklink/banklink/facade/moneykit"
	"github.com/banklink/banklink/facade/sandbox"
	"github.com/banklink/banklink/facade/webhook"
)

// Open a mirror from a DSN: sqlite:PATH or postgres://…, as
// BANKLINK_MIRROR_DB would hold it. Migrations run on open.
func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "mirror-example-")
	defer os.RemoveAll(dir)

	m, err := mirror.Open(context.Background(), "sqlite:"+filepath.Join(dir, "banklink.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	fmt.Println(m.Dialect(), "schema version", mirror.SchemaVersion())

	_, err = mirror.Open(context.Background(), "mysql://db/bank")
	fmt.Println(err)
	// Output:
	// sqlite schema version 1
	// mirror: unknown database scheme "mysql": the database must be sqlite:PATH or postgres://…
}

// Sync a link with a *moneykit.Client: the link, its accounts and its
// transactions, each page committed with its cursor.
func ExampleMirror_SyncLink() {
	ctx := context.Background()
	sb := sandbox.New(sandbox.Config{})
	srv := httptest.NewServer(sb.Handler())
	defer srv.Close()
	sb.SetURL(srv.URL)
	c := sb.MoneyKit()
	mk, err := moneykit.New(facade.WithCredentials(c.ClientID, c.ClientSecret), facade.WithBaseURL(c.BaseURL))
	if err != nil {
		log.Fatal(err)
	}
	sess, _ := mk.LinkSessions.Create(ctx, moneykit.NewLinkSession("user-42", "https://app.example/oauth",
		moneykit.WithProducts(moneykit.ProductTransactions)))
	tok, _ := sb.CompleteLinkSession(sess.LinkSessionToken, sandbox.ConnectOptions{})
	link, _ := mk.LinkSessions.Exchange(ctx, tok)

	dir, _ := os.MkdirTemp("", "mirror-example-")
	defer os.RemoveAll(dir)
	m, err := mirror.Open(ctx, "sqlite:"+filepath.Join(dir, "banklink.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()

	res, err := m.SyncLink(ctx, mirror.MoneyKitClient(mk), link.Link.LinkId)
	if err != nil {
		log.Fatal(err)
	}
	var stored, pending int
	m.DB().QueryRow(`SELECT count(*), coalesce(sum(pending), 0) FROM transactions`).Scan(&stored, &pending)
	fmt.Println("state:", res.State)
	fmt.Println("every change stored:", stored == res.Created, "pending:", pending == res.Pending)
	// Output:
	// state: connected
	// every change stored: true pending: true
}

// Mount the mirror's webhook handler in your own server. Here a Link Money
// payment event, delivered twice, is applied once.
func ExampleMirror_Handler() {
	dir, _ := os.MkdirTemp("", "mirror-example-")
	defer os.RemoveAll(dir)
	m, err := mirror.Open(context.Background(), "sqlite:"+filepath.Join(dir, "banklink.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()

	const secret = "the secret given to POST /v1/webhook/subscribe"
	hv, _ := webhook.NewHMACVerifier(secret)
	mux := http.NewServeMux()
	mux.Handle("/webhooks/", m.Handler(mirror.HandlerConfig{LinkMoneyVerifier: hv}))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	body := []byte(`{"id":"evt_1","eventType":"payment.authorized","resourceId":"pay_1","resourceType":"Payment"}`)
	for range 2 {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/webhooks/linkmoney", bytes.NewReader(body))
		req.Header = webhook.LinkMoneySignatureHeaders(secret, "delivery_1", time.Now(), body)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		fmt.Println(resp.StatusCode)
	}
	var status string
	var events int
	m.DB().QueryRow(`SELECT status FROM payments WHERE payment_id = 'pay_1'`).Scan(&status)
	m.DB().QueryRow(`SELECT count(*) FROM webhook_events`).Scan(&events)
	fmt.Println(status, events)
	// Output:
	// 200
	// 200
	// AUTHORIZED 1
}
