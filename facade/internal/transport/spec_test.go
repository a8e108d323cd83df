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
	"github.com/banklink/banklink/internal/testkit"
	"github.com/banklink/banklink/internal/testkit/opcalls"
)

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
		_, ok := opcalls.ByOperation[o.id]
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
	for idx, oc := range opcalls.ByOperation {
		f := newFakeAPI(t)
		method, path, _ := strings.Cut(oc.Route, " ")
		f.Handle(oc.Route, testkit.JSONReply(418, `{}`))
		_ = oc.Call(context.Background(), f.moneyKit(), f.linkMoney())
		if path == "/auth/token" || path == "/v1/tokens" {
			continue // token routes are served by the fake itself
		}
		assert.Equal(t, 1, f.HitCount(oc.Route), "%v does not reach %s %s", idx, method, path)
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
	}, names, "one method per spec operation (update opcalls.ByOperation and this list together)")
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
			testkit.JSONReply(200, `{"access_token":"tok","token_type":"bearer","expires_in":3600}`)(w, r)
			return
		}
		testkit.JSONReply(418, `{}`)(w, r)
	}))
	defer srv.Close()
	const prefix = "/v/prefix%2Fx"
	for _, base := range []string{srv.URL + prefix, srv.URL + prefix + "/"} {
		opts := []facade.Option{facade.WithCredentials(testkit.ClientID, testkit.ClientSecret), facade.WithBaseURL(base), facade.WithMaxRetries(0)}
		mk, err := moneykit.New(opts...)
		require.NoError(t, err)
		lm, err := linkmoney.New(opts...)
		require.NoError(t, err)
		for _, o := range tableOps(t) {
			oc := opcalls.ByOperation[o.id]
			mu.Lock()
			seen = nil
			mu.Unlock()
			_ = oc.Call(context.Background(), mk, lm)
			mu.Lock()
			got := seen
			mu.Unlock()
			method, path, _ := strings.Cut(oc.Route, " ")
			require.NotEmpty(t, got, o.id)
			assert.Equal(t, method+" "+prefix+path, got[len(got)-1], "%s with base URL %s", o.id, base)
		}
	}
}
