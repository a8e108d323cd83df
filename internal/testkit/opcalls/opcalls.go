// Package opcalls drives every operation of both providers' generated
// tables through the public clients, for tests that must reach each one.
package opcalls

import (
	"context"

	"github.com/banklink/banklink/facade/linkmoney"
	"github.com/banklink/banklink/facade/moneykit"
	"github.com/banklink/banklink/internal/testkit"
)

// Call drives one operation through a provider client.
type Call struct {
	Route string // METHOD and concrete path the call hits
	Call  func(ctx context.Context, mk *moneykit.Client, lm *linkmoney.Client) error
}

// ByOperation holds one call per operation of both generated tables, by
// operationId.
var ByOperation = map[string]Call{
	"createAccessToken": {"POST /auth/token", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return testkit.Drop(mk.Auth.Token(ctx))
	}},
	"createLinkSession": {"POST /link-session", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return testkit.Drop(mk.LinkSessions.Create(ctx, moneykit.NewLinkSession("user-42", "https://app.example/oauth")))
	}},
	"exchangeToken": {"POST /link-session/exchange-token", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return testkit.Drop(mk.LinkSessions.Exchange(ctx, "ex-tok"))
	}},
	"getLink": {"GET /links/mk_1", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return testkit.Drop(mk.Links.Get(ctx, "mk_1"))
	}},
	"updateLink": {"PATCH /links/mk_1", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return testkit.Drop(mk.Links.Update(ctx, "mk_1", moneykit.NewLinkUpdate(moneykit.SetLinkTags("a"))))
	}},
	"deleteLink": {"DELETE /links/mk_1", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return mk.Links.Delete(ctx, "mk_1")
	}},
	"getUserLinks": {"GET /users/user-42/links", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return testkit.Drop(mk.Users.Links(ctx, "user-42"))
	}},
	"getJWKS": {"GET /.well-known/jwks.json", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return testkit.Drop(mk.Webhooks.JWKS(ctx))
	}},
	"webhookTestLink": {"POST /webhooks/test/link/mk_1", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return testkit.Drop(mk.Webhooks.TestLink(ctx, "mk_1", moneykit.WebhookLinkTestEventLinkStateChanged, ""))
	}},
	"subscribeWebhook": {"POST /v1/webhook/subscribe", func(ctx context.Context, _ *moneykit.Client, lm *linkmoney.Client) error {
		return testkit.Drop(lm.Webhooks.Subscribe(ctx, "https://m.example/hook", "s3cret"))
	}},
	"unsubscribeWebhook": {"PUT /v1/webhook/unsubscribe", func(ctx context.Context, _ *moneykit.Client, lm *linkmoney.Client) error {
		return lm.Webhooks.Unsubscribe(ctx, "sub_1")
	}},
	"createToken": {"POST /v1/tokens", func(ctx context.Context, _ *moneykit.Client, lm *linkmoney.Client) error {
		return testkit.Drop(lm.Auth.Token(ctx, linkmoney.TokenScopeLinkCore))
	}},
	"createSession": {"POST /v2/sessions", func(ctx context.Context, _ *moneykit.Client, lm *linkmoney.Client) error {
		return testkit.Drop(lm.Sessions.Create(ctx, linkmoney.NewSession(linkmoney.SessionCustomer{FirstName: "A", LastName: "B", Email: "a@example.com"}, "https://m.example/r")))
	}},
	"getCustomer": {"GET /v1/customers/c1", func(ctx context.Context, _ *moneykit.Client, lm *linkmoney.Client) error {
		return testkit.Drop(lm.Customers.Get(ctx, "c1"))
	}},
	"getCustomerAccounts": {"GET /v1/customers/c1/accounts", func(ctx context.Context, _ *moneykit.Client, lm *linkmoney.Client) error {
		return testkit.Drop(lm.Customers.Accounts(ctx, "c1"))
	}},
	"createPayment": {"POST /v1/payments", func(ctx context.Context, _ *moneykit.Client, lm *linkmoney.Client) error {
		return testkit.Drop(lm.Payments.Create(ctx, linkmoney.NewPayment("c1", "m1", linkmoney.USD(100))))
	}},
	"createRefund": {"POST /v1/refunds", func(ctx context.Context, _ *moneykit.Client, lm *linkmoney.Client) error {
		return testkit.Drop(lm.Refunds.Create(ctx, linkmoney.NewRefund("p1", linkmoney.USD(100))))
	}},
	"releasePayment": {"POST /v1/payments/p1/release", func(ctx context.Context, _ *moneykit.Client, lm *linkmoney.Client) error {
		return testkit.Drop(lm.Payments.Release(ctx, "p1"))
	}},
	"getTransaction": {"GET /v1/transactions/p1", func(ctx context.Context, _ *moneykit.Client, lm *linkmoney.Client) error {
		return testkit.Drop(lm.Payments.Status(ctx, "p1"))
	}},
	"getLinks": {"GET /links", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return testkit.Drop(mk.Links.List(ctx, moneykit.LinksParams{}))
	}},
	"refreshProducts": {"POST /links/mk_1/products", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return testkit.Drop(mk.Links.Refresh(ctx, "mk_1", []moneykit.Product{moneykit.ProductTransactions}))
	}},
	"resetLink": {"POST /links/mk_1/reset", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return testkit.Drop(mk.Links.Reset(ctx, "mk_1"))
	}},
	"importLink": {"POST /links/import", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return testkit.Drop(mk.Links.Import(ctx, &moneykit.ImportLinkRequest{
			CustomerUser: moneykit.LinkSessionCustomerUser{Id: "user-42"}, InstitutionId: "mx.chase",
			Accounts: []moneykit.AccountImportData{}, Transactions: []moneykit.TransactionImportData{},
		}))
	}},
	"importTransactions": {"POST /links/mk_1/import/transactions", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return testkit.Drop(mk.Links.ImportTransactions(ctx, "mk_1", nil))
	}},
	"getAccounts": {"GET /links/mk_1/accounts", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return testkit.Drop(mk.Accounts.List(ctx, "mk_1", nil))
	}},
	"getAccount": {"GET /links/mk_1/accounts/acc_1", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return testkit.Drop(mk.Accounts.Get(ctx, "mk_1", "acc_1"))
	}},
	"getAccountNumbers": {"GET /links/mk_1/accounts/numbers", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return testkit.Drop(mk.Accounts.Numbers(ctx, "mk_1"))
	}},
	"getIdentity": {"GET /links/mk_1/identity", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return testkit.Drop(mk.Identity.Get(ctx, "mk_1", nil))
	}},
	"getTransactions": {"GET /links/mk_1/transactions", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return testkit.Drop(mk.Transactions.List(ctx, "mk_1", moneykit.TransactionsParams{}))
	}},
	"getTransactionsSync": {"GET /links/mk_1/transactions/sync", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return testkit.Drop(mk.Transactions.SyncPage(ctx, "mk_1", "", 0))
	}},
	"updateTransactionEnrichment": {"POST /links/mk_1/transactions/t1/enrichment", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return testkit.Drop(mk.Transactions.UpdateEnrichment(ctx, "mk_1", "t1", "shopping", ""))
	}},
	"getHoldings": {"GET /links/mk_1/investments/holdings", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return testkit.Drop(mk.Investments.Holdings(ctx, "mk_1", nil))
	}},
	"getInvestmentTransactions": {"GET /links/mk_1/investments/transactions", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return testkit.Drop(mk.Investments.Transactions(ctx, "mk_1", moneykit.TransactionsParams{}))
	}},
	"getUserAccounts": {"GET /users/user-42/accounts", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return testkit.Drop(mk.Users.Accounts(ctx, "user-42", nil))
	}},
	"getUserTransactions": {"GET /users/user-42/transactions", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return testkit.Drop(mk.Users.Transactions(ctx, "user-42", moneykit.TransactionsParams{}))
	}},
	"getInstitutions": {"GET /institutions", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return testkit.Drop(mk.Institutions.List(ctx, moneykit.InstitutionsParams{}))
	}},
	"getInstitution": {"GET /institutions/instant_bank", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return testkit.Drop(mk.Institutions.Get(ctx, "instant_bank"))
	}},
	"introspectClient": {"GET /auth/introspect", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return testkit.Drop(mk.Auth.Introspect(ctx))
	}},
}
