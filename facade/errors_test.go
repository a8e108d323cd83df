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
	"github.com/banklink/banklink/internal/testkit"
	"github.com/banklink/banklink/internal/testkit/opcalls"
)

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
	assert.Len(t, opcalls.ByOperation, len(ids))
	for _, id := range ids {
		assert.Contains(t, opcalls.ByOperation, id)
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
				oc, ok := opcalls.ByOperation[op.OperationID]
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
							f.Handle(oc.Route, testkit.JSONReply(status, body, "X-Request-Id", "req-123"))
							err := oc.Call(context.Background(), f.moneyKit(facade.WithMaxRetries(0)), f.linkMoney(facade.WithMaxRetries(0)))
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
	f.Handle("POST /link-session", testkit.JSONReply(422, `{"error_code":"api_error.request.validation_failed","error_message":"Request validation error","validation_errors":[{"location":["body","redirect_uri"],"message":"bad uri","type":"value_error"}]}`))
	f.Handle("GET /links/mk_1", testkit.JSONReply(422, `{"error_code":"link_error.bad_state","error_message":"Link error","link_error_code":"auth_expired"}`))
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
	f.Handle("POST /v1/payments", testkit.JSONReply(400, `{"errorId":4001,"errorCode":"DUPLICATE_REQUEST_KEY","errorMessage":"duplicate","errorSeverity":"ERROR"}`))
	_, err := f.linkMoney().Payments.Create(context.Background(), linkmoney.NewPayment("c1", "m1", linkmoney.USD(100), linkmoney.WithRequestKey("k1")))
	require.ErrorIs(t, err, facade.ErrDuplicateRequestKey)
	assert.Equal(t, 1, f.HitCount("POST /v1/payments"))
}

func TestLinkMoneyBareErrorString(t *testing.T) {
	f := newFakeAPI(t)
	f.Handle("GET /v1/customers/c1", testkit.JSONReply(404, `{"error":"customer not found"}`))
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
			f.Handle("GET /links/mk_1", func(w http.ResponseWriter, r *http.Request) {
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
			f.Handle("GET /links/mk_1", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.ctype)
				_, _ = io.WriteString(w, tc.body)
			})
			_, err := f.moneyKit().Links.Get(context.Background(), "mk_1")
			var apiErr *facade.Error
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, 200, apiErr.StatusCode)
			assert.Equal(t, tc.body, string(apiErr.Body))
			assert.Error(t, apiErr.Err, "decoding cause kept")
			assert.Equal(t, 1, f.HitCount("GET /links/mk_1"), "a 2xx is not retried")
		})
	}
}

func TestUnknownFieldsAndEnumValuesDecode(t *testing.T) {
	f := newFakeAPI(t)
	f.Handle("GET /links/mk_1", testkit.JSONReply(200, `{"link_id":"mk_1","institution_id":"i","institution_name":"n","institution_avatar":"a",
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
