package facade_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/linkmoney"
	"github.com/banklink/banklink/facade/moneykit"
	genlm "github.com/banklink/banklink/gen/linkmoney"
	"github.com/banklink/banklink/gen/linkmoney/linkmoneyspec"
	genmk "github.com/banklink/banklink/gen/moneykit"
	"github.com/banklink/banklink/gen/moneykit/moneykitspec"
)

// opCall drives one operation through a provider client.
type opCall struct {
	route string // METHOD and concrete path the call hits
	call  func(ctx context.Context, mk *moneykit.Client, lm *linkmoney.Client) error
}

// errorCalls holds one call per operation of both generated tables.
var errorCalls = map[string]opCall{
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
		return drop(mk.Links.Refresh(ctx, "mk_1", []moneykit.Product{moneykit.ProductTransactions}))
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

// specDocs returns each provider's embedded spec.
func specDocs(t *testing.T) map[facade.Provider]*openapi3.T {
	t.Helper()
	mk, err := moneykitspec.GetSpec()
	require.NoError(t, err)
	lm, err := linkmoneyspec.GetSpec()
	require.NoError(t, err)
	return map[facade.Provider]*openapi3.T{facade.ProviderMoneyKit: mk, facade.ProviderLinkMoney: lm}
}

// codeSentinel is the sentinel each documented error code matches, as the
// facade documents them.
var codeSentinel = map[string]error{
	facade.CodeLinkNotFound:         facade.ErrLinkNotFound,
	facade.CodeLinkDeleted:          facade.ErrLinkDeleted,
	facade.CodeForbiddenAction:      facade.ErrForbiddenAction,
	facade.CodeBadState:             facade.ErrBadState,
	facade.CodeUnauthorizedAccess:   facade.ErrUnauthorizedLinkAccess,
	facade.CodeBadConfig:            facade.ErrBadConfig,
	facade.CodeRateLimitExceeded:    facade.ErrRateLimited,
	facade.CodeExpiredAccessToken:   facade.ErrAuthExpired,
	facade.CodeUnauthorized:         facade.ErrUnauthorized,
	facade.CodeInvalidTokenExchange: facade.ErrInvalidTokenExchange,
	facade.CodeForbiddenConfig:      facade.ErrForbiddenConfig,
	facade.CodeValidationFailed:     facade.ErrValidationFailed,
	facade.CodeInstitutionNotFound:  facade.ErrNotFound,
	facade.CodeDuplicateRequestKey:  facade.ErrDuplicateRequestKey,
}

func TestErrorCallsCoverEveryOperation(t *testing.T) {
	var ids []string
	for _, op := range genmk.Operations {
		ids = append(ids, op.ID)
	}
	for _, op := range genlm.Operations {
		ids = append(ids, op.ID)
	}
	assert.Len(t, errorCalls, len(ids))
	for _, id := range ids {
		assert.Contains(t, errorCalls, id)
	}
}

// documentedCodes collects the error_code enum values a response schema allows.
func documentedCodes(s *openapi3.SchemaRef) []string {
	if s == nil || s.Value == nil {
		return nil
	}
	var out []string
	if p, ok := s.Value.Properties["error_code"]; ok && p.Value != nil {
		for _, v := range p.Value.Enum {
			out = append(out, v.(string))
		}
	}
	for _, sub := range s.Value.AllOf {
		out = append(out, documentedCodes(sub)...)
	}
	for _, sub := range s.Value.OneOf { // a 401 body is one of several error schemas
		out = append(out, documentedCodes(sub)...)
	}
	return out
}

// statusSentinel is what every error of a status matches, whatever its code.
func statusSentinel(p facade.Provider, op string, status int, code string) error {
	switch {
	case status == 400 && (op == "createToken" || op == "createAccessToken"):
		return facade.ErrUnauthorized // a token endpoint refusing the client credentials
	case status == 429:
		return facade.ErrRateLimited
	case status >= 500:
		return facade.ErrServer
	case status == 404:
		return facade.ErrNotFound
	case status == 410 && p == facade.ProviderMoneyKit:
		return facade.ErrLinkDeleted
	case status == 401 && code != facade.CodeUnauthorizedAccess:
		return facade.ErrUnauthorized
	}
	return nil
}

var allSentinels = []error{facade.ErrLinkNotFound, facade.ErrLinkDeleted, facade.ErrForbiddenAction, facade.ErrBadState, facade.ErrRateLimited,
	facade.ErrAuthExpired, facade.ErrUnauthorized, facade.ErrUnauthorizedLinkAccess, facade.ErrInvalidTokenExchange, facade.ErrForbiddenConfig,
	facade.ErrValidationFailed, facade.ErrDuplicateRequestKey, facade.ErrNotFound, facade.ErrServer, facade.ErrInvalidRequest, facade.ErrBadConfig}

// TestErrorMappingForEveryDocumentedStatusAndCode drives every operation
// through the API with every error status its spec documents and, for
// MoneyKit, every error_code that status may carry.
func TestErrorMappingForEveryDocumentedStatusAndCode(t *testing.T) {
	seenCodes := map[string]bool{}
	for p, doc := range specDocs(t) {
		for _, item := range doc.Paths.Map() {
			for _, op := range item.Operations() {
				oc, ok := errorCalls[op.OperationID]
				require.True(t, ok, "%s %s", p, op.OperationID)
				for statusText, resp := range op.Responses.Map() {
					status, err := strconv.Atoi(statusText)
					require.NoError(t, err)
					if status < 400 {
						continue
					}
					var codes []string
					if mt := resp.Value.Content.Get("application/json"); mt != nil {
						codes = documentedCodes(mt.Schema)
					}
					if p == facade.ProviderLinkMoney {
						codes = []string{"SOME_CODE"}
					}
					if len(codes) == 0 {
						codes = []string{""}
					}
					for _, code := range codes {
						seenCodes[code] = true
						name := op.OperationID + "/" + statusText + "/" + code
						t.Run(name, func(t *testing.T) {
							f := newFakeAPI(t)
							body := `{"error_code":"` + code + `","error_message":"provider says no","documentation_url":"https://docs.example/e","link_error_code":"auth_expired"}`
							if p == facade.ProviderLinkMoney {
								body = `{"errorId":10003,"errorCode":"` + code + `","errorMessage":"provider says no","errorSeverity":"ERROR"}`
							}
							f.handle(oc.route, jsonReply(status, body, "X-Request-Id", "req-123"))
							err := oc.call(context.Background(), f.moneyKit(facade.WithMaxRetries(0)), f.linkMoney(facade.WithMaxRetries(0)))
							var apiErr *facade.Error
							require.ErrorAs(t, err, &apiErr)
							assert.Equal(t, status, apiErr.StatusCode)
							assert.Equal(t, code, apiErr.Code)
							assert.Equal(t, p, apiErr.Provider)
							assert.Equal(t, op.OperationID, apiErr.Operation)
							assert.Equal(t, "provider says no", apiErr.Message)
							assert.Equal(t, "req-123", apiErr.RequestID)
							if p == facade.ProviderLinkMoney {
								assert.Equal(t, int64(10003), apiErr.ErrorID)
								assert.Equal(t, "ERROR", apiErr.Severity)
							} else {
								assert.Equal(t, "https://docs.example/e", apiErr.DocumentationURL)
							}
							want := map[error]bool{}
							if s, ok := codeSentinel[code]; ok {
								want[s] = true
							} else if p == facade.ProviderMoneyKit && code != "" {
								t.Errorf("documented code %q maps to no sentinel", code)
							}
							if s := statusSentinel(p, op.OperationID, status, code); s != nil {
								want[s] = true
							}
							for _, s := range allSentinels {
								assert.Equal(t, want[s], errors.Is(err, s), "errors.Is(%v) for %s", s, name)
							}
						})
					}
				}
			}
		}
	}
	var codes []string
	for c := range seenCodes {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range []string{facade.CodeLinkNotFound, facade.CodeLinkDeleted, facade.CodeForbiddenAction, facade.CodeBadState, facade.CodeUnauthorizedAccess,
		facade.CodeRateLimitExceeded, facade.CodeExpiredAccessToken, facade.CodeUnauthorized, facade.CodeInvalidTokenExchange, facade.CodeForbiddenConfig, facade.CodeValidationFailed, facade.CodeBadConfig} {
		assert.Contains(t, codes, c, "code documented in the spec")
	}
}

func TestMoneyKit422DecodedOnCode(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("POST /link-session", jsonReply(422, `{"error_code":"api_error.request.validation_failed","error_message":"Request validation error","validation_errors":[{"location":["body","redirect_uri"],"message":"bad uri","type":"value_error"}]}`))
	f.handle("GET /links/mk_1", jsonReply(422, `{"error_code":"link_error.bad_state","error_message":"Link error","link_error_code":"auth_expired"}`))
	mk := f.moneyKit()
	_, err := mk.LinkSessions.Create(context.Background(), moneykit.NewLinkSession("user-42", "https://app.example/oauth"))
	require.ErrorIs(t, err, facade.ErrValidationFailed)
	assert.NotErrorIs(t, err, facade.ErrBadState)
	var apiErr *facade.Error
	require.ErrorAs(t, err, &apiErr)
	require.Len(t, apiErr.ValidationErrors, 1)
	assert.Equal(t, "bad uri", apiErr.ValidationErrors[0].Message)

	_, err = mk.Links.Get(context.Background(), "mk_1")
	require.ErrorIs(t, err, facade.ErrBadState)
	assert.NotErrorIs(t, err, facade.ErrValidationFailed)
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "auth_expired", apiErr.LinkErrorCode)
	assert.Contains(t, apiErr.Error(), "link_error.bad_state (auth_expired)")
}

func TestDuplicateRequestKey(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("POST /v1/payments", jsonReply(400, `{"errorId":4001,"errorCode":"DUPLICATE_REQUEST_KEY","errorMessage":"duplicate","errorSeverity":"ERROR"}`))
	_, err := f.linkMoney().Payments.Create(context.Background(), linkmoney.NewPayment("c1", "m1", linkmoney.USD(100), linkmoney.WithRequestKey("k1")))
	require.ErrorIs(t, err, facade.ErrDuplicateRequestKey)
	assert.Equal(t, 1, f.hitCount("POST /v1/payments"))
}

func TestLinkMoneyBareErrorString(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("GET /v1/customers/c1", jsonReply(404, `{"error":"customer not found"}`))
	_, err := f.linkMoney().Customers.Get(context.Background(), "c1")
	require.ErrorIs(t, err, facade.ErrNotFound)
	var apiErr *facade.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "customer not found", apiErr.Message)
}

func TestHostileErrorBodies(t *testing.T) {
	huge := strings.Repeat("x", 5<<20)
	tests := []struct {
		name, ctype, body string
		status            int
		code              string
		bodyLen           int
		is                error
	}{
		{"html 502", "text/html", "<html><body>Bad Gateway</body></html>", 502, "", 37, facade.ErrServer},
		{"truncated json", "application/json", `{"error_code":"link_error.not_fo`, 404, "", 32, facade.ErrNotFound},
		{"json under text/plain", "text/plain", `{"error_code":"link_error.deleted","error_message":"gone"}`, 410, facade.CodeLinkDeleted, 58, facade.ErrLinkDeleted},
		{"5 MiB body", "application/json", huge, 500, "", 1 << 20, facade.ErrServer},
		{"empty body", "", "", 403, "", 0, nil},
		{"json array", "application/json", `[1,2]`, 404, "", 5, facade.ErrNotFound},
		{"error_code wrong type", "application/json", `{"error_code":17}`, 404, "", 17, facade.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAPI(t)
			f.handle("GET /links/mk_1", func(w http.ResponseWriter, r *http.Request) {
				if tc.ctype != "" {
					w.Header().Set("Content-Type", tc.ctype)
				}
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			})
			_, err := f.moneyKit(facade.WithMaxRetries(0)).Links.Get(context.Background(), "mk_1")
			var apiErr *facade.Error
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tc.status, apiErr.StatusCode)
			assert.Equal(t, tc.code, apiErr.Code)
			assert.Len(t, apiErr.Body, tc.bodyLen)
			if tc.is != nil {
				assert.ErrorIs(t, err, tc.is)
			}
			// The response stays readable and carries no credentials.
			again, rerr := io.ReadAll(apiErr.Response.Body)
			require.NoError(t, rerr)
			assert.Equal(t, apiErr.Body, again)
			assert.NotContains(t, apiErr.Response.Request.Header.Get("Authorization"), "tok-")
			assert.Less(t, len(err.Error()), 400, "message does not embed the body")
		})
	}
}

func TestHostileSuccessBodies(t *testing.T) {
	tests := []struct {
		name, ctype, body string
	}{
		{"html 200", "text/html", "<html>maintenance</html>"},
		{"truncated", "application/json", `{"link_id":"mk_1","state":"conn`},
		{"empty", "application/json", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAPI(t)
			f.handle("GET /links/mk_1", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.ctype)
				_, _ = io.WriteString(w, tc.body)
			})
			_, err := f.moneyKit().Links.Get(context.Background(), "mk_1")
			var apiErr *facade.Error
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, 200, apiErr.StatusCode)
			assert.Equal(t, tc.body, string(apiErr.Body))
			assert.Error(t, apiErr.Err, "decoding cause kept")
			assert.Equal(t, 1, f.hitCount("GET /links/mk_1"), "a 2xx is not retried")
		})
	}
}

func TestUnknownFieldsAndEnumValuesDecode(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("GET /links/mk_1", jsonReply(200, `{"link_id":"mk_1","institution_id":"i","institution_name":"n","institution_avatar":"a",
		"state":"frozen","error_code":"brand_new_error","provider":"newco","products":{"accounts":{"error_code":"novel"},"brand_new_product":{}},
		"available_products":["teleportation"],"surprise":{"nested":[1,2,3]}}`))
	link, err := f.moneyKit().Links.Get(context.Background(), "mk_1")
	require.NoError(t, err)
	assert.Equal(t, moneykit.PublicLinkState("frozen"), link.State)
	assert.False(t, link.State.Valid())
	assert.Equal(t, moneykit.Provider("newco"), link.Provider)
	assert.Equal(t, []moneykit.Product{"teleportation"}, link.AvailableProducts)
}

func TestErrorMessages(t *testing.T) {
	e := &facade.Error{Provider: facade.ProviderMoneyKit, Operation: "getLink", StatusCode: 404, Code: facade.CodeLinkNotFound, Message: "Link not found.", RequestID: "r1", Attempts: 1}
	assert.Equal(t, "banklink: moneykit getLink: 404 Not Found: link_error.not_found: Link not found. [request id r1]", e.Error())
	rl := &facade.RateLimitError{Operation: "getLink", RetryAfter: 90e9, Err: e}
	assert.Contains(t, rl.Error(), "retry after 1m30s")
	assert.ErrorIs(t, rl, facade.ErrRateLimited)
	assert.ErrorIs(t, rl, facade.ErrLinkNotFound, "unwraps to the response")
	var nilCause error = (&facade.RateLimitError{}).Unwrap()
	assert.Nil(t, nilCause)
	te := &facade.TransportError{Provider: facade.ProviderLinkMoney, Operation: "getCustomer", Attempts: 3, Err: io.ErrUnexpectedEOF}
	assert.Equal(t, "banklink: linkmoney getCustomer: unexpected EOF after 3 attempts", te.Error())
	assert.ErrorIs(t, te, io.ErrUnexpectedEOF)
}
