package transport_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/linkmoney"
	"github.com/banklink/banklink/facade/moneykit"
	lmgen "github.com/banklink/banklink/gen/linkmoney"
	"github.com/banklink/banklink/gen/linkmoney/linkmoneyspec"
	mkgen "github.com/banklink/banklink/gen/moneykit"
	"github.com/banklink/banklink/gen/moneykit/moneykitspec"
	"github.com/banklink/banklink/internal/opmeta"
)

// opCall drives one operation through the public API.
type opCall struct {
	route string // METHOD and concrete path the call hits
	call  func(ctx context.Context, mk *moneykit.Client, lm *linkmoney.Client) error
}

func drop[T any](_ T, err error) error { return err }

var opCalls = map[string]opCall{
	"createAccessToken": {"POST /auth/token", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return drop(mk.Auth.Token(ctx))
	}},
	"createLinkSession": {"POST /link-session", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return drop(mk.LinkSessions.Create(ctx, moneykit.NewLinkSession("user-42", "https://app.example/oauth")))
	}},
	"exchangeToken": {"POST /link-session/exchange-token", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return drop(mk.LinkSessions.Exchange(ctx, "ex-tok"))
	}},
	"getLink": {"GET /links/mk_1", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return drop(mk.Links.Get(ctx, "mk_1"))
	}},
	"updateLink": {"PATCH /links/mk_1", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return drop(mk.Links.Update(ctx, "mk_1", moneykit.NewLinkUpdate(moneykit.SetLinkTags("a"))))
	}},
	"deleteLink": {"DELETE /links/mk_1", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return mk.Links.Delete(ctx, "mk_1")
	}},
	"getUserLinks": {"GET /users/user-42/links", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return drop(mk.Users.Links(ctx, "user-42"))
	}},
	"getJWKS": {"GET /.well-known/jwks.json", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return drop(mk.Webhooks.JWKS(ctx))
	}},
	"webhookTestLink": {"POST /webhooks/test/link/mk_1", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return drop(mk.Webhooks.TestLink(ctx, "mk_1", moneykit.WebhookLinkTestEventLinkStateChanged, ""))
	}},
	"subscribeWebhook": {"POST /v1/webhook/subscribe", func(ctx context.Context, _ *moneykit.Client, lm *linkmoney.Client) error {
		return drop(lm.Webhooks.Subscribe(ctx, "https://m.example/hook", "s3cret"))
	}},
	"unsubscribeWebhook": {"PUT /v1/webhook/unsubscribe", func(ctx context.Context, _ *moneykit.Client, lm *linkmoney.Client) error {
		return lm.Webhooks.Unsubscribe(ctx, "sub_1")
	}},
	"createToken": {"POST /v1/tokens", func(ctx context.Context, _ *moneykit.Client, lm *linkmoney.Client) error {
		return drop(lm.Auth.Token(ctx, linkmoney.TokenScopeLinkCore))
	}},
	"createSession": {"POST /v2/sessions", func(ctx context.Context, _ *moneykit.Client, lm *linkmoney.Client) error {
		return drop(lm.Sessions.Create(ctx, linkmoney.NewSession(linkmoney.SessionCustomer{FirstName: "A", LastName: "B", Email: "a@example.com"}, "https://m.example/r")))
	}},
	"getCustomer": {"GET /v1/customers/c1", func(ctx context.Context, _ *moneykit.Client, lm *linkmoney.Client) error {
		return drop(lm.Customers.Get(ctx, "c1"))
	}},
	"getCustomerAccounts": {"GET /v1/customers/c1/accounts", func(ctx context.Context, _ *moneykit.Client, lm *linkmoney.Client) error {
		return drop(lm.Customers.Accounts(ctx, "c1"))
	}},
	"createPayment": {"POST /v1/payments", func(ctx context.Context, _ *moneykit.Client, lm *linkmoney.Client) error {
		return drop(lm.Payments.Create(ctx, linkmoney.NewPayment("c1", "m1", linkmoney.USD(100))))
	}},
	"createRefund": {"POST /v1/refunds", func(ctx context.Context, _ *moneykit.Client, lm *linkmoney.Client) error {
		return drop(lm.Refunds.Create(ctx, linkmoney.NewRefund("p1", linkmoney.USD(100))))
	}},
	"releasePayment": {"POST /v1/payments/p1/release", func(ctx context.Context, _ *moneykit.Client, lm *linkmoney.Client) error {
		return drop(lm.Payments.Release(ctx, "p1"))
	}},
	"getTransaction": {"GET /v1/transactions/p1", func(ctx context.Context, _ *moneykit.Client, lm *linkmoney.Client) error {
		return drop(lm.Payments.Status(ctx, "p1"))
	}},
	"getLinks": {"GET /links", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return drop(mk.Links.List(ctx, moneykit.LinksParams{}))
	}},
	"refreshProducts": {"POST /links/mk_1/products", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return drop(mk.Links.Refresh(ctx, "mk_1", []moneykit.Product{"transactions"}))
	}},
	"resetLink": {"POST /links/mk_1/reset", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return drop(mk.Links.Reset(ctx, "mk_1"))
	}},
	"importLink": {"POST /links/import", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return drop(mk.Links.Import(ctx, &moneykit.ImportLinkRequest{
			CustomerUser: moneykit.LinkSessionCustomerUser{Id: "user-42"}, InstitutionId: "mx.chase",
			Accounts: []moneykit.AccountImportData{}, Transactions: []moneykit.TransactionImportData{},
		}))
	}},
	"importTransactions": {"POST /links/mk_1/import/transactions", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return drop(mk.Links.ImportTransactions(ctx, "mk_1", nil))
	}},
	"getAccounts": {"GET /links/mk_1/accounts", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return drop(mk.Accounts.List(ctx, "mk_1", nil))
	}},
	"getAccount": {"GET /links/mk_1/accounts/acc_1", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return drop(mk.Accounts.Get(ctx, "mk_1", "acc_1"))
	}},
	"getAccountNumbers": {"GET /links/mk_1/accounts/numbers", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return drop(mk.Accounts.Numbers(ctx, "mk_1"))
	}},
	"getIdentity": {"GET /links/mk_1/identity", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return drop(mk.Identity.Get(ctx, "mk_1", nil))
	}},
	"getTransactions": {"GET /links/mk_1/transactions", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return drop(mk.Transactions.List(ctx, "mk_1", moneykit.TransactionsParams{}))
	}},
	"getTransactionsSync": {"GET /links/mk_1/transactions/sync", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return drop(mk.Transactions.SyncPage(ctx, "mk_1", "", 0))
	}},
	"updateTransactionEnrichment": {"POST /links/mk_1/transactions/t1/enrichment", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return drop(mk.Transactions.UpdateEnrichment(ctx, "mk_1", "t1", "shopping", ""))
	}},
	"getHoldings": {"GET /links/mk_1/investments/holdings", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return drop(mk.Investments.Holdings(ctx, "mk_1", nil))
	}},
	"getInvestmentTransactions": {"GET /links/mk_1/investments/transactions", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return drop(mk.Investments.Transactions(ctx, "mk_1", moneykit.TransactionsParams{}))
	}},
	"getUserAccounts": {"GET /users/user-42/accounts", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return drop(mk.Users.Accounts(ctx, "user-42", nil))
	}},
	"getUserTransactions": {"GET /users/user-42/transactions", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return drop(mk.Users.Transactions(ctx, "user-42", moneykit.TransactionsParams{}))
	}},
	"getInstitutions": {"GET /institutions", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return drop(mk.Institutions.List(ctx, moneykit.InstitutionsParams{}))
	}},
	"getInstitution": {"GET /institutions/instant_bank", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return drop(mk.Institutions.Get(ctx, "instant_bank"))
	}},
	"introspectClient": {"GET /auth/introspect", func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) error {
		return drop(mk.Auth.Introspect(ctx))
	}},
}

// specDocs returns each provider's embedded spec, decoded once (read only).
func specDocs(t *testing.T) map[facade.Provider]*openapi3.T {
	t.Helper()
	docs, err := loadedDocs()
	require.NoError(t, err)
	return docs
}

var loadedDocs = sync.OnceValues(func() (map[facade.Provider]*openapi3.T, error) {
	mk, err := moneykitspec.GetSwagger()
	if err != nil {
		return nil, err
	}
	lm, err := linkmoneyspec.GetSwagger()
	if err != nil {
		return nil, err
	}
	return map[facade.Provider]*openapi3.T{facade.ProviderMoneyKit: mk, facade.ProviderLinkMoney: lm}, nil
})

// TestEverySpecOperationHasAFacadeMethod walks each provider's spec and
// requires an entry in the table and a call that hits the operation's route.
func TestEverySpecOperationHasAFacadeMethod(t *testing.T) {
	covered := map[string]bool{}
	for _, o := range tableOps(t) {
		covered[string(o.provider)+"/"+strings.ToLower(o.id)] = true
		_, ok := opCalls[o.id]
		assert.True(t, ok, "no test call for %s", o.id)
	}
	for p, doc := range specDocs(t) {
		for path, item := range doc.Paths.Map() {
			for method, op := range item.Operations() {
				assert.True(t, covered[string(p)+"/"+strings.ToLower(op.OperationID)],
					"%s %s %s (%s) has no facade method", p, method, path, op.OperationID)
			}
		}
	}
	// Each call reaches its own route.
	for idx, oc := range opCalls {
		f := newFakeAPI(t)
		method, path, _ := strings.Cut(oc.route, " ")
		f.handle(oc.route, jsonReply(418, `{}`))
		_ = oc.call(context.Background(), f.moneyKit(), f.linkMoney())
		if path == "/auth/token" || path == "/v1/tokens" {
			continue // token routes are served by the fake itself
		}
		assert.Equal(t, 1, f.hitCount(oc.route), "%v does not reach %s %s", idx, method, path)
	}
}

// TestServiceMethodsAreAllExercised reflects over the services' method sets
// so a new public method without a spec operation (or a test) is noticed.
func TestServiceMethodsAreAllExercised(t *testing.T) {
	var names, helpers []string
	for _, v := range []any{&moneykit.LinkSessionsService{}, &moneykit.LinksService{}, &moneykit.UsersService{}, &moneykit.AuthService{}, &moneykit.WebhooksService{},
		&moneykit.AccountsService{}, &moneykit.IdentityService{}, &moneykit.TransactionsService{}, &moneykit.InvestmentsService{}, &moneykit.InstitutionsService{},
		&linkmoney.SessionsService{}, &linkmoney.CustomersService{}, &linkmoney.PaymentsService{}, &linkmoney.RefundsService{}, &linkmoney.AuthService{}, &linkmoney.WebhooksService{}} {
		rt := reflect.TypeOf(v)
		for i := range rt.NumMethod() {
			name := path.Base(rt.Elem().PkgPath()) + "." + rt.Elem().Name() + "." + rt.Method(i).Name
			// Pagers and the sync loop are built on the operation methods.
			if strings.HasSuffix(name, "Pager") || name == "moneykit.TransactionsService.Sync" {
				helpers = append(helpers, name)
				continue
			}
			names = append(names, name)
		}
	}
	sort.Strings(names)
	sort.Strings(helpers)
	assert.Equal(t, []string{
		"linkmoney.AuthService.Token",
		"linkmoney.CustomersService.Accounts", "linkmoney.CustomersService.Get",
		"linkmoney.PaymentsService.Create", "linkmoney.PaymentsService.Release", "linkmoney.PaymentsService.Status",
		"linkmoney.RefundsService.Create", "linkmoney.SessionsService.Create",
		"linkmoney.WebhooksService.Subscribe", "linkmoney.WebhooksService.Unsubscribe",
		"moneykit.AccountsService.Get", "moneykit.AccountsService.List", "moneykit.AccountsService.Numbers",
		"moneykit.AuthService.Introspect", "moneykit.AuthService.Token",
		"moneykit.IdentityService.Get",
		"moneykit.InstitutionsService.Get", "moneykit.InstitutionsService.List",
		"moneykit.InvestmentsService.Holdings", "moneykit.InvestmentsService.Transactions",
		"moneykit.LinkSessionsService.Create", "moneykit.LinkSessionsService.Exchange",
		"moneykit.LinksService.Delete", "moneykit.LinksService.Get", "moneykit.LinksService.Import", "moneykit.LinksService.ImportTransactions",
		"moneykit.LinksService.List", "moneykit.LinksService.Refresh", "moneykit.LinksService.Reset", "moneykit.LinksService.Update",
		"moneykit.TransactionsService.List", "moneykit.TransactionsService.SyncPage", "moneykit.TransactionsService.UpdateEnrichment",
		"moneykit.UsersService.Accounts", "moneykit.UsersService.Links", "moneykit.UsersService.Transactions",
		"moneykit.WebhooksService.JWKS", "moneykit.WebhooksService.TestLink",
	}, names, "one method per spec operation (update opCalls and this list together)")
	assert.Len(t, names, len(mkgen.Operations)+len(lmgen.Operations))
	assert.Equal(t, []string{
		"moneykit.InstitutionsService.Pager", "moneykit.InvestmentsService.TransactionsPager", "moneykit.LinksService.Pager",
		"moneykit.TransactionsService.Pager", "moneykit.TransactionsService.Sync", "moneykit.UsersService.TransactionsPager",
	}, helpers)
}

// TestOperationTableMatchesSpec compares the loaded table with the raw extensions.
func TestOperationTableMatchesSpec(t *testing.T) {
	docs := specDocs(t)
	for _, o := range tableOps(t) {
		var found *openapi3.Operation
		var foundPath, foundMethod string
		for path, item := range docs[o.provider].Paths.Map() {
			for method, op := range item.Operations() {
				if strings.EqualFold(op.OperationID, o.id) {
					found, foundPath, foundMethod = op, path, method
				}
			}
		}
		require.NotNil(t, found, o.id)
		assert.Equal(t, foundPath, o.path)
		assert.Equal(t, foundMethod, o.method)
		assert.Equal(t, found.Extensions["x-banklink-retry"], o.safety.String(), o.id)
		if o.safety == facade.SafetyIdempotencyKey {
			assert.Equal(t, found.Extensions["x-banklink-idempotency-key"], o.idempotencyKey)
		}
	}
}

// tableOp is one row of a generated operation table, as the transport reads it.
type tableOp struct {
	provider       facade.Provider
	id             string
	method, path   string
	safety         facade.Safety
	idempotencyKey string
	tokenEndpoint  bool // the provider's client-credentials token operation
	meta           *opmeta.Operation
}

// tableOps lists the operations of both providers' generated tables
// (gen/moneykit.Operations, then gen/linkmoney.Operations).
func tableOps(t *testing.T) []tableOp {
	t.Helper()
	return allTableOps()
}

var allTableOps = sync.OnceValue(func() []tableOp {
	var out []tableOp
	add := func(p facade.Provider, table []opmeta.Operation, tokenOp int) {
		for i := range table {
			m := &table[i]
			out = append(out, tableOp{provider: p, id: m.ID, method: m.Method, path: m.Path, safety: m.Retry,
				idempotencyKey: m.IdempotencyKey, tokenEndpoint: i == tokenOp, meta: m})
		}
	}
	add(facade.ProviderMoneyKit, mkgen.Operations[:], int(mkgen.OpCreateAccessToken))
	add(facade.ProviderLinkMoney, lmgen.Operations[:], int(lmgen.OpCreateToken))
	return out
})

// opProvider names the provider of operationId id.
func opProvider(t *testing.T, id string) facade.Provider {
	for _, o := range tableOps(t) {
		if o.id == id {
			return o.provider
		}
	}
	t.Fatalf("no operation %s", id)
	return ""
}

// TestEveryOperationKeepsBaseURLPathPrefix: every operation's request goes to the base
// URL's path, kept byte for byte (an escaped "/" included), followed by the
// operation's own path.
func TestEveryOperationKeepsBaseURLPathPrefix(t *testing.T) {
	var (
		mu   sync.Mutex
		seen []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.RequestURI)
		mu.Unlock()
		if strings.HasSuffix(r.URL.Path, "/auth/token") || strings.HasSuffix(r.URL.Path, "/v1/tokens") {
			jsonReply(200, `{"access_token":"tok","token_type":"bearer","expires_in":3600}`)(w, r)
			return
		}
		jsonReply(418, `{}`)(w, r)
	}))
	defer srv.Close()
	const prefix = "/v/prefix%2Fx"
	for _, base := range []string{srv.URL + prefix, srv.URL + prefix + "/"} {
		opts := []facade.Option{facade.WithCredentials(testClientID, testClientSecret), facade.WithBaseURL(base), facade.WithMaxRetries(0)}
		mk, err := moneykit.New(opts...)
		require.NoError(t, err)
		lm, err := linkmoney.New(opts...)
		require.NoError(t, err)
		for _, o := range tableOps(t) {
			oc := opCalls[o.id]
			mu.Lock()
			seen = nil
			mu.Unlock()
			_ = oc.call(context.Background(), mk, lm)
			mu.Lock()
			got := seen
			mu.Unlock()
			method, path, _ := strings.Cut(oc.route, " ")
			require.NotEmpty(t, got, o.id)
			assert.Equal(t, method+" "+prefix+path, got[len(got)-1], "%s with base URL %s", o.id, base)
		}
	}
}
