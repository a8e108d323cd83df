package facade

import (
	"context"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/gen/linkmoney"
	"github.com/banklink/banklink/gen/linkmoney/linkmoneyspec"
	"github.com/banklink/banklink/gen/moneykit"
	"github.com/banklink/banklink/gen/moneykit/moneykitspec"
)

// opCall drives one operation through the public API.
type opCall struct {
	route string // METHOD and concrete path the call hits
	call  func(ctx context.Context, mk *MoneyKit, lm *LinkMoney) error
}

func drop[T any](_ T, err error) error { return err }

var opCalls = map[string]opCall{
	"createAccessToken": {"POST /auth/token", func(ctx context.Context, mk *MoneyKit, _ *LinkMoney) error {
		return drop(mk.Auth.Token(ctx))
	}},
	"createLinkSession": {"POST /link-session", func(ctx context.Context, mk *MoneyKit, _ *LinkMoney) error {
		return drop(mk.LinkSessions.Create(ctx, NewLinkSession("user-42", "https://app.example/oauth")))
	}},
	"exchangeToken": {"POST /link-session/exchange-token", func(ctx context.Context, mk *MoneyKit, _ *LinkMoney) error {
		return drop(mk.LinkSessions.Exchange(ctx, "ex-tok"))
	}},
	"getLink": {"GET /links/mk_1", func(ctx context.Context, mk *MoneyKit, _ *LinkMoney) error {
		return drop(mk.Links.Get(ctx, "mk_1"))
	}},
	"updateLink": {"PATCH /links/mk_1", func(ctx context.Context, mk *MoneyKit, _ *LinkMoney) error {
		return drop(mk.Links.Update(ctx, "mk_1", NewLinkUpdate(SetLinkTags("a"))))
	}},
	"deleteLink": {"DELETE /links/mk_1", func(ctx context.Context, mk *MoneyKit, _ *LinkMoney) error {
		return mk.Links.Delete(ctx, "mk_1")
	}},
	"getUserLinks": {"GET /users/user-42/links", func(ctx context.Context, mk *MoneyKit, _ *LinkMoney) error {
		return drop(mk.Users.Links(ctx, "user-42"))
	}},
	"getJWKS": {"GET /.well-known/jwks.json", func(ctx context.Context, mk *MoneyKit, _ *LinkMoney) error {
		return drop(mk.Webhooks.JWKS(ctx))
	}},
	"webhookTestLink": {"POST /webhooks/test/link/mk_1", func(ctx context.Context, mk *MoneyKit, _ *LinkMoney) error {
		return drop(mk.Webhooks.TestLink(ctx, "mk_1", moneykit.WebhookLinkTestEventLinkStateChanged, ""))
	}},
	"subscribeWebhook": {"POST /v1/webhook/subscribe", func(ctx context.Context, _ *MoneyKit, lm *LinkMoney) error {
		return drop(lm.Webhooks.Subscribe(ctx, "https://m.example/hook", "s3cret"))
	}},
	"unsubscribeWebhook": {"PUT /v1/webhook/unsubscribe", func(ctx context.Context, _ *MoneyKit, lm *LinkMoney) error {
		return lm.Webhooks.Unsubscribe(ctx, "sub_1")
	}},
	"createToken": {"POST /v1/tokens", func(ctx context.Context, _ *MoneyKit, lm *LinkMoney) error {
		return drop(lm.Auth.Token(ctx, linkmoney.TokenScopeLinkCore))
	}},
	"createSession": {"POST /v2/sessions", func(ctx context.Context, _ *MoneyKit, lm *LinkMoney) error {
		return drop(lm.Sessions.Create(ctx, NewSession(SessionCustomer{FirstName: "A", LastName: "B", Email: "a@example.com"}, "https://m.example/r")))
	}},
	"getCustomer": {"GET /v1/customers/c1", func(ctx context.Context, _ *MoneyKit, lm *LinkMoney) error {
		return drop(lm.Customers.Get(ctx, "c1"))
	}},
	"getCustomerAccounts": {"GET /v1/customers/c1/accounts", func(ctx context.Context, _ *MoneyKit, lm *LinkMoney) error {
		return drop(lm.Customers.Accounts(ctx, "c1"))
	}},
	"createPayment": {"POST /v1/payments", func(ctx context.Context, _ *MoneyKit, lm *LinkMoney) error {
		return drop(lm.Payments.Create(ctx, NewPayment("c1", "m1", USD(100))))
	}},
	"createRefund": {"POST /v1/refunds", func(ctx context.Context, _ *MoneyKit, lm *LinkMoney) error {
		return drop(lm.Refunds.Create(ctx, NewRefund("p1", USD(100))))
	}},
	"releasePayment": {"POST /v1/payments/p1/release", func(ctx context.Context, _ *MoneyKit, lm *LinkMoney) error {
		return drop(lm.Payments.Release(ctx, "p1"))
	}},
	"getTransaction": {"GET /v1/transactions/p1", func(ctx context.Context, _ *MoneyKit, lm *LinkMoney) error {
		return drop(lm.Payments.Status(ctx, "p1"))
	}},
	"getLinks": {"GET /links", func(ctx context.Context, mk *MoneyKit, _ *LinkMoney) error {
		return drop(mk.Links.List(ctx, LinksParams{}))
	}},
	"refreshProducts": {"POST /links/mk_1/products", func(ctx context.Context, mk *MoneyKit, _ *LinkMoney) error {
		return drop(mk.Links.Refresh(ctx, "mk_1", []moneykit.Product{"transactions"}))
	}},
	"resetLink": {"POST /links/mk_1/reset", func(ctx context.Context, mk *MoneyKit, _ *LinkMoney) error {
		return drop(mk.Links.Reset(ctx, "mk_1"))
	}},
	"importLink": {"POST /links/import", func(ctx context.Context, mk *MoneyKit, _ *LinkMoney) error {
		return drop(mk.Links.Import(ctx, &moneykit.ImportLinkRequest{
			CustomerUser: moneykit.LinkSessionCustomerUser{Id: "user-42"}, InstitutionId: "mx.chase",
			Accounts: []moneykit.AccountImportData{}, Transactions: []moneykit.TransactionImportData{},
		}))
	}},
	"importTransactions": {"POST /links/mk_1/import/transactions", func(ctx context.Context, mk *MoneyKit, _ *LinkMoney) error {
		return drop(mk.Links.ImportTransactions(ctx, "mk_1", nil))
	}},
	"getAccounts": {"GET /links/mk_1/accounts", func(ctx context.Context, mk *MoneyKit, _ *LinkMoney) error {
		return drop(mk.Accounts.List(ctx, "mk_1", nil))
	}},
	"getAccount": {"GET /links/mk_1/accounts/acc_1", func(ctx context.Context, mk *MoneyKit, _ *LinkMoney) error {
		return drop(mk.Accounts.Get(ctx, "mk_1", "acc_1"))
	}},
	"getAccountNumbers": {"GET /links/mk_1/accounts/numbers", func(ctx context.Context, mk *MoneyKit, _ *LinkMoney) error {
		return drop(mk.Accounts.Numbers(ctx, "mk_1"))
	}},
	"getIdentity": {"GET /links/mk_1/identity", func(ctx context.Context, mk *MoneyKit, _ *LinkMoney) error {
		return drop(mk.Identity.Get(ctx, "mk_1", nil))
	}},
	"getTransactions": {"GET /links/mk_1/transactions", func(ctx context.Context, mk *MoneyKit, _ *LinkMoney) error {
		return drop(mk.Transactions.List(ctx, "mk_1", TransactionsParams{}))
	}},
	"getTransactionsSync": {"GET /links/mk_1/transactions/sync", func(ctx context.Context, mk *MoneyKit, _ *LinkMoney) error {
		return drop(mk.Transactions.SyncPage(ctx, "mk_1", "", 0))
	}},
	"updateTransactionEnrichment": {"POST /links/mk_1/transactions/t1/enrichment", func(ctx context.Context, mk *MoneyKit, _ *LinkMoney) error {
		return drop(mk.Transactions.UpdateEnrichment(ctx, "mk_1", "t1", "shopping", ""))
	}},
	"getHoldings": {"GET /links/mk_1/investments/holdings", func(ctx context.Context, mk *MoneyKit, _ *LinkMoney) error {
		return drop(mk.Investments.Holdings(ctx, "mk_1", nil))
	}},
	"getInvestmentTransactions": {"GET /links/mk_1/investments/transactions", func(ctx context.Context, mk *MoneyKit, _ *LinkMoney) error {
		return drop(mk.Investments.Transactions(ctx, "mk_1", TransactionsParams{}))
	}},
	"getUserAccounts": {"GET /users/user-42/accounts", func(ctx context.Context, mk *MoneyKit, _ *LinkMoney) error {
		return drop(mk.Users.Accounts(ctx, "user-42", nil))
	}},
	"getUserTransactions": {"GET /users/user-42/transactions", func(ctx context.Context, mk *MoneyKit, _ *LinkMoney) error {
		return drop(mk.Users.Transactions(ctx, "user-42", TransactionsParams{}))
	}},
	"getInstitutions": {"GET /institutions", func(ctx context.Context, mk *MoneyKit, _ *LinkMoney) error {
		return drop(mk.Institutions.List(ctx, InstitutionsParams{}))
	}},
	"getInstitution": {"GET /institutions/instant_bank", func(ctx context.Context, mk *MoneyKit, _ *LinkMoney) error {
		return drop(mk.Institutions.Get(ctx, "instant_bank"))
	}},
	"introspectClient": {"GET /auth/introspect", func(ctx context.Context, mk *MoneyKit, _ *LinkMoney) error {
		return drop(mk.Auth.Introspect(ctx))
	}},
}

// specDocs returns each provider's embedded spec, decoded once (read only).
func specDocs(t *testing.T) map[Provider]*openapi3.T {
	t.Helper()
	docs, err := loadedDocs()
	require.NoError(t, err)
	return docs
}

var loadedDocs = sync.OnceValues(func() (map[Provider]*openapi3.T, error) {
	mk, err := moneykitspec.GetSwagger()
	if err != nil {
		return nil, err
	}
	lm, err := linkmoneyspec.GetSwagger()
	if err != nil {
		return nil, err
	}
	return map[Provider]*openapi3.T{ProviderMoneyKit: mk, ProviderLinkMoney: lm}, nil
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
	for _, v := range []any{&LinkSessionsService{}, &LinksService{}, &UsersService{}, &MoneyKitAuthService{}, &WebhooksService{},
		&AccountsService{}, &IdentityService{}, &TransactionsService{}, &InvestmentsService{}, &InstitutionsService{},
		&SessionsService{}, &CustomersService{}, &PaymentsService{}, &RefundsService{}, &LinkMoneyAuthService{}, &LinkMoneyWebhooksService{}} {
		rt := reflect.TypeOf(v)
		for i := range rt.NumMethod() {
			name := rt.Elem().Name() + "." + rt.Method(i).Name
			// Pagers and the sync loop are built on the operation methods.
			if strings.HasSuffix(name, "Pager") || name == "TransactionsService.Sync" {
				helpers = append(helpers, name)
				continue
			}
			names = append(names, name)
		}
	}
	sort.Strings(names)
	sort.Strings(helpers)
	assert.Equal(t, []string{
		"AccountsService.Get", "AccountsService.List", "AccountsService.Numbers",
		"CustomersService.Accounts", "CustomersService.Get",
		"IdentityService.Get",
		"InstitutionsService.Get", "InstitutionsService.List",
		"InvestmentsService.Holdings", "InvestmentsService.Transactions",
		"LinkMoneyAuthService.Token", "LinkMoneyWebhooksService.Subscribe", "LinkMoneyWebhooksService.Unsubscribe",
		"LinkSessionsService.Create", "LinkSessionsService.Exchange",
		"LinksService.Delete", "LinksService.Get", "LinksService.Import", "LinksService.ImportTransactions",
		"LinksService.List", "LinksService.Refresh", "LinksService.Reset", "LinksService.Update",
		"MoneyKitAuthService.Introspect", "MoneyKitAuthService.Token",
		"PaymentsService.Create", "PaymentsService.Release", "PaymentsService.Status",
		"RefundsService.Create", "SessionsService.Create",
		"TransactionsService.List", "TransactionsService.SyncPage", "TransactionsService.UpdateEnrichment",
		"UsersService.Accounts", "UsersService.Links", "UsersService.Transactions",
		"WebhooksService.JWKS", "WebhooksService.TestLink",
	}, names, "one method per spec operation (update opCalls and this list together)")
	assert.Len(t, names, len(moneykit.Operations)+len(linkmoney.Operations))
	assert.Equal(t, []string{
		"InstitutionsService.Pager", "InvestmentsService.TransactionsPager", "LinksService.Pager",
		"TransactionsService.Pager", "TransactionsService.Sync", "UsersService.TransactionsPager",
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
		if o.safety == SafetyIdempotencyKey {
			assert.Equal(t, found.Extensions["x-banklink-idempotency-key"], o.idempotencyKey)
		}
	}
	// Spot checks of what the spec says today.
	want := map[string]struct {
		safety Safety
		auth   authKind
		scope  string
	}{
		"createAccessToken":   {SafetySafe, authNone, ""},
		"createLinkSession":   {SafetyUnsafe, authBearer, ""},
		"exchangeToken":       {SafetySingleUse, authBearer, ""},
		"getLink":             {SafetySafe, authBearer, ""},
		"updateLink":          {SafetySafe, authBearer, ""},
		"deleteLink":          {SafetySafe, authBearer, ""},
		"getUserLinks":        {SafetySafe, authBearer, ""},
		"getJWKS":             {SafetySafe, authClientID, ""},
		"createToken":         {SafetySafe, authNone, ""},
		"createSession":       {SafetyUnsafe, authBasic, ""},
		"getCustomer":         {SafetySafe, authBearer, "Link-Core"},
		"getCustomerAccounts": {SafetySafe, authBearer, "Link-Core"},
		"createPayment":       {SafetyIdempotencyKey, authBearer, "Link-Payment"},
		"createRefund":        {SafetyIdempotencyKey, authBearer, "Link-Payment"},
	}
	byID := map[string]*operation{}
	for _, o := range tableOps(t) {
		byID[o.id] = o
	}
	for id, w := range want {
		o := byID[id]
		require.NotNil(t, o, id)
		assert.Equal(t, w.safety, o.safety, o.id)
		assert.Equal(t, w.auth, o.auth, o.id)
		assert.Equal(t, w.scope, o.scope, o.id)
	}
	ps, _ := specFor(ProviderMoneyKit)
	assert.Equal(t, "X-Client-Id", ps.ops[int(moneykit.OpGetJWKS)].authHeader)
}

// tableOps lists the operations of both providers' generated tables.
func tableOps(t *testing.T) []*operation {
	t.Helper()
	var out []*operation
	for _, p := range []Provider{ProviderMoneyKit, ProviderLinkMoney} {
		ps, err := specFor(p)
		require.NoError(t, err)
		for _, o := range ps.ops {
			if o != nil {
				out = append(out, o)
			}
		}
	}
	return out
}

// opProvider names the provider of operationId id.
func opProvider(t *testing.T, id string) Provider {
	for _, o := range tableOps(t) {
		if o.id == id {
			return o.provider
		}
	}
	t.Fatalf("no operation %s", id)
	return ""
}
