package facade_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/gen/linkmoney"
)

// stubAPI stands in for a provider in these examples: it answers each
// "METHOD /path" with a status and a JSON body.
func stubAPI(routes map[string]string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		reply, ok := routes[r.Method+" "+r.URL.Path]
		if !ok {
			reply = `404 {"error_code":"link_error.not_found","error_message":"Link not found."}`
		}
		var status int
		var body string
		_, _ = fmt.Sscanf(reply, "%d", &status)
		body = reply[4:]
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
}

const exampleLink = `{"link_id":"mk_eqkWN34UEoa2NxyALG8pcV","institution_id":"chase","institution_name":"Chase","institution_avatar":"https://example.com/a.png","state":"connected","provider":"akoya","link_tags":["checkout"],"products":{},"available_products":[]}`

// A backend creates a link session, exchanges the token Connect returns,
// then reads, updates and deletes the link.
func Example_moneyKitLinkFlow() {
	srv := stubAPI(map[string]string{
		"POST /auth/token":                        `201 {"access_token":"tok","token_type":"bearer","expires_in":3600}`,
		"POST /link-session":                      `201 {"link_session_token":"sandbox_2b3f5c1e"}`,
		"POST /link-session/exchange-token":       `201 {"link_id":"mk_eqkWN34UEoa2NxyALG8pcV","link":` + exampleLink + `}`,
		"GET /links/mk_eqkWN34UEoa2NxyALG8pcV":    `200 ` + exampleLink,
		"PATCH /links/mk_eqkWN34UEoa2NxyALG8pcV":  `200 ` + exampleLink,
		"DELETE /links/mk_eqkWN34UEoa2NxyALG8pcV": `204 `,
	})
	defer srv.Close()
	ctx := context.Background()

	mk, err := facade.NewMoneyKit(facade.WithCredentials("client-id", "client-secret"), facade.WithBaseURL(srv.URL))
	if err != nil {
		log.Fatal(err)
	}
	sess, err := mk.LinkSessions.Create(ctx, facade.NewLinkSession("user-42", "https://app.example/oauth",
		facade.WithLinkTags("checkout"), facade.WithProducts("account_numbers")))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("session token:", sess.LinkSessionToken)

	// The front end runs MoneyKit Connect with the token and sends back an exchangeable token.
	res, err := mk.LinkSessions.Exchange(ctx, "exchangeable-token-from-connect")
	if err != nil {
		log.Fatal(err)
	}
	linkID := res.Link.LinkId

	link, err := mk.Links.Get(ctx, linkID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(link.InstitutionName, link.State)

	if _, err := mk.Links.Update(ctx, linkID, facade.NewLinkUpdate(facade.SetWebhook("https://app.example/hooks/moneykit"), facade.SetLinkTags("checkout", "vip"))); err != nil {
		log.Fatal(err)
	}
	if err := mk.Links.Delete(ctx, linkID); err != nil {
		log.Fatal(err)
	}
	fmt.Println("deleted", linkID)
	// Output:
	// session token: sandbox_2b3f5c1e
	// Chase connected
	// deleted mk_eqkWN34UEoa2NxyALG8pcV
}

// A checkout opens a Link Money session that takes the payment in Link's UI;
// later the merchant debits a returning customer and refunds part of it.
func Example_linkMoneyCheckout() {
	srv := stubAPI(map[string]string{
		"POST /v1/tokens":   `200 {"access_token":"tok","token_type":"Bearer","expires_in":3600}`,
		"POST /v2/sessions": `200 {"sessionKey":"a5292de4","sessionUrl":"https://client.link-sandbox.money/?sessionKey=a5292de4"}`,
		"POST /v1/payments": `200 {"paymentId":"pay_1","paymentStatus":"PENDING","clientReferenceId":"order-1042"}`,
		"POST /v1/refunds":  `201 {"paymentId":"ref_1","paymentStatus":"PENDING"}`,
	})
	defer srv.Close()
	ctx := context.Background()

	lm, err := facade.NewLinkMoney(facade.WithCredentials("client-id", "client-secret"),
		facade.WithEnvironment(facade.Sandbox), facade.WithBaseURL(srv.URL))
	if err != nil {
		log.Fatal(err)
	}
	total := facade.USD(2500)
	sess, err := lm.Sessions.Create(ctx, facade.NewSession(
		facade.SessionCustomer{FirstName: "Jane", LastName: "Doe", Email: "jane.doe@example.com"},
		"https://merchant.example/return",
		facade.WithOrder(total,
			facade.WithItem("Widget", linkmoney.GoodTypePHYSICAL, facade.USD(2000)),
			facade.WithSubtotal(facade.USD(2000)),
			facade.WithShipping(facade.USD(500))),
		facade.WithPayment(total, facade.WithClientReferenceID("order-1042"))))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("send the customer to:", sess.SessionUrl)

	// The redirect back carries the customer id; charge them again later.
	req := facade.NewPayment("8c4d7b3e-4f5a-4b1c-9d2e-6f7a8b9c0d1e", "merchant-1", facade.USD(1234),
		facade.WithClientReferenceID("order-1042"), facade.WithSoftDescriptor("ACME ORDER 1042"))
	var resp facade.Response
	pay, err := lm.Payments.Create(ctx, req, facade.WithResponse(&resp))
	if err != nil {
		// Store facade.IdempotencyKeyOf(err) with the order: sending the
		// payment again with WithRequestKey(key) cannot charge twice.
		log.Fatal(err)
	}
	fmt.Println(pay.PaymentId, pay.PaymentStatus, "requestKey sent:", resp.IdempotencyKey != "")

	amount, err := facade.ParseUSD("2.34")
	if err != nil {
		log.Fatal(err)
	}
	ref, err := lm.Refunds.Create(ctx, facade.NewRefund(pay.PaymentId, amount))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ref.PaymentId, ref.PaymentStatus)
	// Output:
	// send the customer to: https://client.link-sandbox.money/?sessionKey=a5292de4
	// pay_1 PENDING requestKey sent: true
	// ref_1 PENDING
}

// Errors match sentinels with errors.Is and carry the provider's answer in *facade.Error.
func Example_errorHandling() {
	srv := stubAPI(map[string]string{
		"POST /auth/token":  `201 {"access_token":"tok","token_type":"bearer","expires_in":3600}`,
		"GET /links/mk_old": `410 {"error_code":"link_error.deleted","error_message":"This link was deleted at some earlier time."}`,
		"GET /links/mk_hot": `429 {"error_code":"api_error.rate_limit_exceeded","error_message":"Rate limit exceeded"}`,
	})
	defer srv.Close()
	ctx := context.Background()
	mk, err := facade.NewMoneyKit(facade.WithCredentials("client-id", "client-secret"), facade.WithBaseURL(srv.URL),
		facade.WithMaxRetryAfter(5*time.Second))
	if err != nil {
		log.Fatal(err)
	}

	_, err = mk.Links.Get(ctx, "mk_old")
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

	_, err = mk.Links.Get(ctx, "")
	fmt.Println(errors.Is(err, facade.ErrInvalidRequest), err)

	// A 429 is retried with backoff (a server hint over the cap fails at
	// once); this call allows no retries, so the 429 is its answer.
	_, err = mk.Links.Get(ctx, "mk_hot", facade.WithMaxRetries(0))
	fmt.Println("rate limited:", errors.Is(err, facade.ErrRateLimited))
	// Output:
	// link was deleted; ask the user to link again
	// 410 link_error.deleted
	// true banklink: invalid getLink request (nothing was sent): path/id: required (path parameter id is required)
	// rate limited: true
}

// One call can carry its own options: a retry budget, a header, and a
// Response that reports what happened. Middleware set on the client runs
// once per attempt.
func ExampleWithResponse() {
	srv := stubAPI(map[string]string{
		"POST /auth/token":                     `201 {"access_token":"tok","token_type":"bearer","expires_in":3600}`,
		"GET /links/mk_eqkWN34UEoa2NxyALG8pcV": `200 ` + exampleLink,
	})
	defer srv.Close()
	ctx := context.Background()

	attempts := 0
	count := func(r *http.Request, next facade.Next) (*http.Response, error) {
		if info, _ := facade.AttemptInfoFrom(r.Context()); info.Operation == "getLink" {
			attempts++
		}
		return next(r)
	}
	mk, err := facade.NewMoneyKit(facade.WithCredentials("client-id", "client-secret"), facade.WithBaseURL(srv.URL),
		facade.WithMiddleware(count))
	if err != nil {
		log.Fatal(err)
	}
	var resp facade.Response
	link, err := mk.Links.Get(ctx, "mk_eqkWN34UEoa2NxyALG8pcV",
		facade.WithMaxRetries(0), facade.WithHeader("X-Tenant", "eu-1"), facade.WithResponse(&resp))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(link.State, resp.StatusCode, resp.Attempts, attempts)

	_, err = mk.Links.Get(ctx, "mk_eqkWN34UEoa2NxyALG8pcV", facade.WithHeader("Authorization", "Bearer other"))
	fmt.Println(errors.Is(err, facade.ErrInvalidRequest))
	// Output:
	// connected 200 1 1
	// true
}
