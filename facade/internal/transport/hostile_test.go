package transport_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/internal/transport"
	"github.com/banklink/banklink/facade/linkmoney"
	"github.com/banklink/banklink/facade/moneykit"
)

// Hostile answers. TestHostileErrorBodiesEveryOperation: error answers from
// proxies, cut short or oversized give every operation of the generated
// tables an *Error with the status and at most 1 MiB of the body.
// TestHostileSuccessBodiesKeepNovelValues: success bodies with unknown fields
// and enum values decode with the values kept, for the operations of
// hostileOps; truncated JSON, XML and HTML bodies give an *Error carrying the
// status and the bytes. TestHostileServerEveryOperation (hostile_ops_test.go)
// puts every operation against many more shapes.

const linkWithNovelties = `{"link_id":"mk_1","institution_id":"i","institution_name":"n","institution_avatar":"a",
	"state":"frozen","error_code":"novel_error","provider":"newco","products":{"brand_new_product":{}},
	"available_products":["teleportation"],"surprise":{"nested":[1,2,3]}}`

func assertNovelLink(t *testing.T, l moneykit.LinkCommon) {
	t.Helper()
	assert.Equal(t, "mk_1", l.LinkId)
	assert.Equal(t, moneykit.PublicLinkState("frozen"), l.State)
	assert.Equal(t, moneykit.PublicLinkError("novel_error"), l.ErrorCode)
	assert.Equal(t, moneykit.Provider("newco"), l.Provider)
	assert.Equal(t, []moneykit.Product{"teleportation"}, l.AvailableProducts)
}

type hostileOp struct {
	name   string
	route  string // "METHOD /path" on the fake API
	status int    // the operation's success status
	body   string // a success body with unknown fields and enum values
	call   func(ctx context.Context, mk *moneykit.Client, lm *linkmoney.Client) (any, error)
	check  func(t *testing.T, v any) // the values survived decoding
}

var hostileOps = []hostileOp{
	{"MoneyKit Auth.Token", "POST /auth/token", 201,
		`{"access_token":"tok-novel","token_type":"mac","expires_in":60,"refresh_token":"r","scope":["x"]}`,
		func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) (any, error) {
			return mk.Auth.Token(ctx)
		},
		func(t *testing.T, v any) {
			r := v.(*moneykit.CreateAccessTokenResponse)
			assert.Equal(t, "tok-novel", r.AccessToken)
			assert.Equal(t, "mac", r.TokenType)
			assert.Equal(t, 60, r.ExpiresIn)
		}},
	{"LinkSessions.Create", "POST /link-session", 201, `{"link_session_token":"lst-1","expires_at":"2030-01-01T00:00:00Z"}`,
		func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) (any, error) {
			return mk.LinkSessions.Create(ctx, moneykit.NewLinkSession("user-1234", "https://app.example/oauth"))
		},
		func(t *testing.T, v any) { assert.Equal(t, "lst-1", v.(*moneykit.LinkSession).LinkSessionToken) }},
	{"LinkSessions.Exchange", "POST /link-session/exchange-token", 201, `{"link_id":"mk_1","link":` + linkWithNovelties + `,"request_id":"x"}`,
		func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) (any, error) {
			return mk.LinkSessions.Exchange(ctx, "ex-tok")
		},
		func(t *testing.T, v any) {
			r := v.(*moneykit.ExchangeResult)
			assert.Equal(t, "mk_1", r.LinkId)
			assertNovelLink(t, r.Link)
		}},
	{"Links.Get", "GET /links/mk_1", 200, linkWithNovelties,
		func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) (any, error) {
			return mk.Links.Get(ctx, "mk_1")
		},
		func(t *testing.T, v any) { assertNovelLink(t, *v.(*moneykit.Link)) }},
	{"Links.Update", "PATCH /links/mk_1", 200, linkWithNovelties,
		func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) (any, error) {
			return mk.Links.Update(ctx, "mk_1", moneykit.NewLinkUpdate(moneykit.SetLinkTags("a")))
		},
		func(t *testing.T, v any) { assertNovelLink(t, *v.(*moneykit.Link)) }},
	{"Users.Links", "GET /users/user-1234/links", 200, `{"links":{"mk_1":` + linkWithNovelties + `},"cursor":"next"}`,
		func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) (any, error) {
			return mk.Users.Links(ctx, "user-1234")
		},
		func(t *testing.T, v any) {
			links := v.(map[string]moneykit.Link)
			require.Contains(t, links, "mk_1")
			assertNovelLink(t, links["mk_1"])
		}},
	{"Webhooks.JWKS", "GET /.well-known/jwks.json", 200,
		`{"keys":[{"kty":"OKP","crv":"Ed448","kid":"k1","x":"abc","alg":"EdDSA","use":"sig","extra":true}],"next":1}`,
		func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client) (any, error) {
			return mk.Webhooks.JWKS(ctx)
		},
		func(t *testing.T, v any) {
			ks := v.(*moneykit.JWKSet).Keys
			require.Len(t, ks, 1)
			assert.Equal(t, "OKP", ks[0].Kty)
			assert.Equal(t, "Ed448", ks[0].Crv)
			assert.Equal(t, "EdDSA", ks[0].Alg)
		}},
	{"Link Money Auth.Token", "POST /v1/tokens", 200,
		`{"access_token":"tok-novel","expires_in":60,"scope":"Link-Future","token_type":"DPoP","issued_at":1}`,
		func(ctx context.Context, _ *moneykit.Client, lm *linkmoney.Client) (any, error) {
			return lm.Auth.Token(ctx, linkmoney.TokenScopeLinkCore)
		},
		func(t *testing.T, v any) {
			r := v.(*linkmoney.TokenResponse)
			assert.Equal(t, "tok-novel", r.AccessToken)
			assert.Equal(t, "Link-Future", r.Scope)
			assert.Equal(t, "DPoP", r.TokenType)
		}},
	{"Sessions.Create", "POST /v2/sessions", 200, `{"sessionKey":"sk-1","sessionUrl":"https://client.example/?s=1","expiresAt":"later"}`,
		func(ctx context.Context, _ *moneykit.Client, lm *linkmoney.Client) (any, error) {
			return lm.Sessions.Create(ctx, linkmoney.NewSession(linkmoney.SessionCustomer{FirstName: "A", LastName: "B", Email: "a@example.com"}, "https://m.example/r"))
		},
		func(t *testing.T, v any) { assert.Equal(t, "sk-1", v.(*linkmoney.Session).SessionKey) }},
	{"Customers.Get", "GET /v1/customers/c1", 200, `{"id":"c1","customerStatus":"FROZEN","firstName":"A","loyalty":{"tier":9}}`,
		func(ctx context.Context, _ *moneykit.Client, lm *linkmoney.Client) (any, error) {
			return lm.Customers.Get(ctx, "c1")
		},
		func(t *testing.T, v any) {
			c := v.(*linkmoney.Customer)
			assert.Equal(t, "c1", c.Id)
			assert.Equal(t, linkmoney.CustomerStatus("FROZEN"), c.CustomerStatus)
		}},
	{"Customers.Accounts", "GET /v1/customers/c1/accounts", 200,
		`{"customerId":"c1","accountDetails":[{"accountId":1,"accountStatus":"PAUSED","accountType":"CRYPTO","brandNew":true}]}`,
		func(ctx context.Context, _ *moneykit.Client, lm *linkmoney.Client) (any, error) {
			return lm.Customers.Accounts(ctx, "c1")
		},
		func(t *testing.T, v any) {
			as := v.(*linkmoney.CustomerAccounts).AccountDetails
			require.Len(t, as, 1)
			assert.Equal(t, linkmoney.AccountStatus("PAUSED"), as[0].AccountStatus)
			assert.Equal(t, linkmoney.AccountType("CRYPTO"), as[0].AccountType)
		}},
	{"Payments.Create", "POST /v1/payments", 200, `{"paymentId":"p1","paymentStatus":"SETTLING","errorDetails":{"errorCode":"NEW","hint":1},"fee":{"value":1}}`,
		func(ctx context.Context, _ *moneykit.Client, lm *linkmoney.Client) (any, error) {
			return lm.Payments.Create(ctx, linkmoney.NewPayment("c1", "m1", linkmoney.USD(100)))
		},
		func(t *testing.T, v any) {
			p := v.(*linkmoney.Payment)
			assert.Equal(t, "p1", p.PaymentId)
			assert.Equal(t, linkmoney.PaymentStatus("SETTLING"), p.PaymentStatus)
			assert.Equal(t, "NEW", p.ErrorDetails.ErrorCode)
		}},
	{"Refunds.Create", "POST /v1/refunds", 201, `{"paymentId":"r1","paymentStatus":"REVERSED","extra":[]}`,
		func(ctx context.Context, _ *moneykit.Client, lm *linkmoney.Client) (any, error) {
			return lm.Refunds.Create(ctx, linkmoney.NewRefund("p1", linkmoney.USD(100)))
		},
		func(t *testing.T, v any) {
			assert.Equal(t, linkmoney.PaymentStatus("REVERSED"), v.(*linkmoney.Refund).PaymentStatus)
		}},
}

// reply answers with a status, content type and body.
func reply(status int, ctype, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if ctype != "" {
			w.Header().Set("Content-Type", ctype)
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func TestHostileSuccessBodiesKeepNovelValues(t *testing.T) {
	for _, op := range hostileOps {
		t.Run(op.name, func(t *testing.T) {
			for _, tc := range []struct {
				name, ctype, body string
				ok                bool
			}{
				{"unknown fields and enum values", "application/json", op.body, true},
				{"JSON labelled text/plain", "text/plain; charset=utf-8", op.body, true},
				{"JSON with no content type", "", op.body, true},
				{"truncated JSON", "application/json", op.body[:len(op.body)/2], false},
				{"XML", "application/xml", `<?xml version="1.0"?><result><id>1</id></result>`, false},
				{"HTML maintenance page", "text/html", "<html><body>Down for maintenance</body></html>", false},
				{"empty body", "application/json", "", false},
			} {
				t.Run(tc.name, func(t *testing.T) {
					f := newFakeAPI(t)
					f.handle(op.route, reply(op.status, tc.ctype, tc.body))
					v, err := op.call(context.Background(), f.moneyKit(facade.WithMaxRetries(0)), f.linkMoney(facade.WithMaxRetries(0)))
					if tc.ok {
						require.NoError(t, err)
						op.check(t, v)
						return
					}
					apiErr, ok := err.(*facade.Error)
					require.True(t, ok, "%T %v", err, err)
					assert.Equal(t, op.status, apiErr.StatusCode)
					want := tc.body
					if strings.Contains(want, "access_token") {
						want = "" // a token endpoint's body that cannot be redacted is dropped
					}
					assert.Equal(t, want, string(apiErr.Body))
					assert.Error(t, apiErr.Err, "the decoding failure is kept")
					assert.False(t, errors.Is(err, facade.ErrServer))
					again, rerr := io.ReadAll(apiErr.Response.Body)
					require.NoError(t, rerr)
					assert.Equal(t, want, string(again))
					if !strings.HasSuffix(op.route, "/token") && !strings.HasSuffix(op.route, "/tokens") {
						assert.Equal(t, 1, f.hitCount(op.route), "a 2xx is never retried")
					}
				})
			}
		})
	}
}

func TestHostileErrorBodiesEveryOperation(t *testing.T) {
	huge := strings.Repeat("<p>upstream overloaded</p>", (3<<20)/26)
	for _, to := range tableOps(t) {
		oc, ok := opCalls[to.id]
		require.True(t, ok, "no call for %s", to.id)
		op := struct {
			name, route string
			call        func(ctx context.Context, mk *moneykit.Client, lm *linkmoney.Client) error
		}{to.id, oc.route, oc.call}
		t.Run(op.name, func(t *testing.T) {
			novelCode := `{"error_code":"api_error.brand_new","error_message":"Something new.","retry_hint":1}`
			wantCode := "api_error.brand_new"
			if to.provider == facade.ProviderLinkMoney {
				novelCode = `{"errorId":77,"errorCode":"BRAND_NEW","errorMessage":"Something new.","errorSeverity":"FATAL","retryHint":1}`
				wantCode = "BRAND_NEW"
			}
			for _, tc := range []struct {
				name, ctype, body string
				status            int
				code, message     string
				bodyLen           int
			}{
				{"HTML 502 from a proxy", "text/html", "<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>", 502,
					"", "unexpected text/html error body", -1},
				{"truncated JSON", "application/json", novelCode[:len(novelCode)/2], 500, "", "unexpected application/json error body", -1},
				{"XML", "application/xml", `<Error><Code>ServiceUnavailable</Code></Error>`, 503, "", "unexpected application/xml error body", -1},
				{"oversized", "text/html", huge, 503, "", "error body larger than 1 MiB (truncated)", transport.MaxErrorBody},
				{"unknown code and fields", "application/json", novelCode, 409, wantCode, "Something new.", -1},
				{"JSON labelled text/plain", "text/plain", novelCode, 409, wantCode, "Something new.", -1},
			} {
				t.Run(tc.name, func(t *testing.T) {
					f := newFakeAPI(t)
					f.handle(op.route, reply(tc.status, tc.ctype, tc.body))
					err := op.call(context.Background(), f.moneyKit(facade.WithMaxRetries(0)), f.linkMoney(facade.WithMaxRetries(0)))
					apiErr, ok := err.(*facade.Error)
					require.True(t, ok, "%T %v", err, err)
					assert.Equal(t, tc.status, apiErr.StatusCode)
					assert.Equal(t, tc.code, apiErr.Code)
					assert.Equal(t, tc.message, apiErr.Message)
					want := tc.body
					if tc.bodyLen >= 0 {
						want = tc.body[:tc.bodyLen]
					}
					assert.Equal(t, len(want), len(apiErr.Body), "the stored body is capped at 1 MiB")
					assert.Equal(t, want, string(apiErr.Body))
					assert.Equal(t, tc.status >= 500, errors.Is(err, facade.ErrServer))
					assert.Less(t, len(err.Error()), 300, "the message does not embed the body")
				})
			}
		})
	}
}
