package transport_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/linkmoney"
	"github.com/banklink/banklink/facade/moneykit"
)

func TestCarelessContextEveryOperation(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, op := range tableOps(t) {
		oc := opCalls[op.id]
		for name, ctx := range map[string]context.Context{"cancelled": cancelled, "nil": nil} {
			t.Run(op.id+"/"+name, func(t *testing.T) {
				f := newFakeAPI(t)
				var err error
				require.NotPanics(t, func() { err = oc.call(ctx, f.moneyKit(), f.linkMoney()) })
				require.Error(t, err)
				var te *facade.TransportError
				var ve *facade.ValidationError
				assert.True(t, errors.As(err, &te) || errors.As(err, &ve), "%T %v", err, err)
				assert.Zero(t, f.requestsSeen(), "nothing is sent")
				if ctx == nil {
					require.ErrorAs(t, err, &ve)
					assert.Equal(t, []facade.Violation{{Path: "ctx", Rule: "required", Message: "context must not be nil (use context.Background())"}}, ve.Violations)
				} else {
					require.ErrorAs(t, err, &te)
					assert.ErrorIs(t, err, context.Canceled)
				}
			})
		}
	}
}

// pathCalls calls each operation with path parameters with the values p, in
// the order of the operation's PathParams.
var pathCalls = map[string]func(ctx context.Context, mk *moneykit.Client, lm *linkmoney.Client, p []string) error{
	"deleteLink": func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client, p []string) error {
		return mk.Links.Delete(ctx, p[0])
	},
	"getAccount": func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client, p []string) error {
		return drop(mk.Accounts.Get(ctx, p[0], p[1]))
	},
	"getAccountNumbers": func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client, p []string) error {
		return drop(mk.Accounts.Numbers(ctx, p[0]))
	},
	"getAccounts": func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client, p []string) error {
		return drop(mk.Accounts.List(ctx, p[0], nil))
	},
	"getHoldings": func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client, p []string) error {
		return drop(mk.Investments.Holdings(ctx, p[0], nil))
	},
	"getIdentity": func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client, p []string) error {
		return drop(mk.Identity.Get(ctx, p[0], nil))
	},
	"getInstitution": func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client, p []string) error {
		return drop(mk.Institutions.Get(ctx, p[0]))
	},
	"getInvestmentTransactions": func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client, p []string) error {
		return drop(mk.Investments.Transactions(ctx, p[0], moneykit.TransactionsParams{}))
	},
	"getLink": func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client, p []string) error {
		return drop(mk.Links.Get(ctx, p[0]))
	},
	"getTransactions": func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client, p []string) error {
		return drop(mk.Transactions.List(ctx, p[0], moneykit.TransactionsParams{}))
	},
	"getTransactionsSync": func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client, p []string) error {
		return drop(mk.Transactions.SyncPage(ctx, p[0], "", 0))
	},
	"getUserAccounts": func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client, p []string) error {
		return drop(mk.Users.Accounts(ctx, p[0], nil))
	},
	"getUserLinks": func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client, p []string) error {
		return drop(mk.Users.Links(ctx, p[0]))
	},
	"getUserTransactions": func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client, p []string) error {
		return drop(mk.Users.Transactions(ctx, p[0], moneykit.TransactionsParams{}))
	},
	"importTransactions": func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client, p []string) error {
		return drop(mk.Links.ImportTransactions(ctx, p[0], nil))
	},
	"refreshProducts": func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client, p []string) error {
		return drop(mk.Links.Refresh(ctx, p[0], []moneykit.Product{"transactions"}))
	},
	"resetLink": func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client, p []string) error {
		return drop(mk.Links.Reset(ctx, p[0]))
	},
	"updateLink": func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client, p []string) error {
		return drop(mk.Links.Update(ctx, p[0], moneykit.NewLinkUpdate(moneykit.SetLinkTags("a"))))
	},
	"updateTransactionEnrichment": func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client, p []string) error {
		return drop(mk.Transactions.UpdateEnrichment(ctx, p[0], p[1], "shopping", ""))
	},
	"webhookTestLink": func(ctx context.Context, mk *moneykit.Client, _ *linkmoney.Client, p []string) error {
		return drop(mk.Webhooks.TestLink(ctx, p[0], moneykit.WebhookLinkTestEventLinkStateChanged, ""))
	},
	"getCustomer": func(ctx context.Context, _ *moneykit.Client, lm *linkmoney.Client, p []string) error {
		return drop(lm.Customers.Get(ctx, p[0]))
	},
	"getCustomerAccounts": func(ctx context.Context, _ *moneykit.Client, lm *linkmoney.Client, p []string) error {
		return drop(lm.Customers.Accounts(ctx, p[0]))
	},
	"getTransaction": func(ctx context.Context, _ *moneykit.Client, lm *linkmoney.Client, p []string) error {
		return drop(lm.Payments.Status(ctx, p[0]))
	},
	"releasePayment": func(ctx context.Context, _ *moneykit.Client, lm *linkmoney.Client, p []string) error {
		return drop(lm.Payments.Release(ctx, p[0]))
	},
}

// TestCarelessPathParamsEveryOperation gives each path parameter of every
// operation in the generated tables values that are not one path segment:
// each is refused naming the parameter, before anything is sent.
func TestCarelessPathParamsEveryOperation(t *testing.T) {
	bad := []string{"", ".", "..", "../links", "mk_1/..", "a/b", `a\b`, "a?b=1", "a#b", "%2e%2e", "%2F", "a\nb", "a\x00b", "a\x7fb"}
	for _, op := range tableOps(t) {
		params := op.meta.PathParams
		call, ok := pathCalls[op.id]
		if len(params) == 0 {
			assert.False(t, ok, "%s has no path parameters", op.id)
			continue
		}
		require.True(t, ok, "no pathCalls entry for %s", op.id)
		for i, name := range params {
			for _, v := range bad {
				t.Run(fmt.Sprintf("%s/%s=%q", op.id, name, v), func(t *testing.T) {
					f := newFakeAPI(t)
					p := make([]string, len(params))
					for j := range p {
						p[j] = "ok_1"
					}
					p[i] = v
					err := call(context.Background(), f.moneyKit(), f.linkMoney(), p)
					var ve *facade.ValidationError
					require.ErrorAs(t, err, &ve)
					assert.ErrorIs(t, err, facade.ErrInvalidRequest)
					require.NotEmpty(t, ve.Violations)
					viol := ve.Violations[len(ve.Violations)-1]
					assert.Equal(t, "path/"+name, viol.Path)
					assert.Contains(t, []string{"required", "path_segment", "minLength", "pattern", "maxLength"}, viol.Rule)
					assert.Contains(t, err.Error(), "nothing was sent")
					if len(v) > 2 { // "." and ".." are quoted by the rule itself
						assert.NotContains(t, err.Error(), v, "the refused value is not echoed")
					}
					assert.Zero(t, f.requestsSeen(), "nothing is sent, not even a token request")
				})
			}
		}
	}
}

// TestCarelessRequestValues sends nil and zero request values: each is
// refused naming a field and a rule, before anything is sent.
func TestCarelessRequestValues(t *testing.T) {
	ctx := context.Background()
	for name, call := range map[string]func(mk *moneykit.Client, lm *linkmoney.Client) error{
		"LinkSessions.Create nil": func(mk *moneykit.Client, _ *linkmoney.Client) error { return drop(mk.LinkSessions.Create(ctx, nil)) },
		"LinkSessions.Create zero": func(mk *moneykit.Client, _ *linkmoney.Client) error {
			return drop(mk.LinkSessions.Create(ctx, &moneykit.LinkSessionRequest{}))
		},
		"LinkSessions.Exchange \"\"": func(mk *moneykit.Client, _ *linkmoney.Client) error { return drop(mk.LinkSessions.Exchange(ctx, "")) },
		"Links.Update nil":           func(mk *moneykit.Client, _ *linkmoney.Client) error { return drop(mk.Links.Update(ctx, "mk_1", nil)) },
		"Links.Import nil":           func(mk *moneykit.Client, _ *linkmoney.Client) error { return drop(mk.Links.Import(ctx, nil)) },
		"Links.Import zero": func(mk *moneykit.Client, _ *linkmoney.Client) error {
			return drop(mk.Links.Import(ctx, &moneykit.ImportLinkRequest{}))
		},
		"Links.Refresh no products": func(mk *moneykit.Client, _ *linkmoney.Client) error { return drop(mk.Links.Refresh(ctx, "mk_1", nil)) },
		"Transactions.UpdateEnrichment zero": func(mk *moneykit.Client, _ *linkmoney.Client) error {
			return drop(mk.Transactions.UpdateEnrichment(ctx, "mk_1", "t1", "", ""))
		},
		"Webhooks.TestLink zero event": func(mk *moneykit.Client, _ *linkmoney.Client) error {
			return drop(mk.Webhooks.TestLink(ctx, "mk_1", "", ""))
		},
		"Sessions.Create nil": func(_ *moneykit.Client, lm *linkmoney.Client) error { return drop(lm.Sessions.Create(ctx, nil)) },
		"Sessions.Create zero": func(_ *moneykit.Client, lm *linkmoney.Client) error {
			return drop(lm.Sessions.Create(ctx, &linkmoney.SessionRequest{}))
		},
		"Payments.Create nil": func(_ *moneykit.Client, lm *linkmoney.Client) error { return drop(lm.Payments.Create(ctx, nil)) },
		"Payments.Create zero": func(_ *moneykit.Client, lm *linkmoney.Client) error {
			return drop(lm.Payments.Create(ctx, &linkmoney.PaymentRequest{}))
		},
		"Refunds.Create nil": func(_ *moneykit.Client, lm *linkmoney.Client) error { return drop(lm.Refunds.Create(ctx, nil)) },
		"Refunds.Create zero": func(_ *moneykit.Client, lm *linkmoney.Client) error {
			return drop(lm.Refunds.Create(ctx, &linkmoney.RefundRequest{}))
		},
		"Webhooks.Subscribe zero":   func(_ *moneykit.Client, lm *linkmoney.Client) error { return drop(lm.Webhooks.Subscribe(ctx, "", "")) },
		"Webhooks.Unsubscribe zero": func(_ *moneykit.Client, lm *linkmoney.Client) error { return lm.Webhooks.Unsubscribe(ctx, "") },
		"Auth.Token zero scope":     func(_ *moneykit.Client, lm *linkmoney.Client) error { return drop(lm.Auth.Token(ctx, "")) },
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeAPI(t)
			var err error
			require.NotPanics(t, func() { err = call(f.moneyKit(), f.linkMoney()) })
			var ve *facade.ValidationError
			require.ErrorAs(t, err, &ve, "%v", err)
			require.NotEmpty(t, ve.Violations)
			for _, v := range ve.Violations {
				assert.NotEmpty(t, v.Rule, "%+v names its rule", v)
			}
			assert.Contains(t, err.Error(), "nothing was sent")
			assert.Zero(t, f.requestsSeen(), "nothing is sent")
		})
	}
}

// TestCarelessSharedRequestValues sends one request value from many
// goroutines at once (run with -race): every call is sent, the value is
// never written to, and a keyless payment gets a key of its own per call.
func TestCarelessSharedRequestValues(t *testing.T) {
	const n = 16
	f := newFakeAPI(t)
	f.handle("POST /v1/payments", jsonReply(200, `{"paymentId":"p1","paymentStatus":"PENDING"}`))
	f.handle("POST /v2/sessions", jsonReply(200, `{"sessionKey":"sk","sessionUrl":"https://client.example/s"}`))
	f.handle("PATCH /links/mk_1", jsonReply(200, linkJSON))
	f.handle("GET /links/mk_1/transactions", jsonReply(200, txnPage(1, 50, 0, 0)))
	f.handle("POST /link-session", jsonReply(201, `{"link_session_token":"lst"}`))
	mk, lm := f.moneyKit(), f.linkMoney()
	ctx := context.Background()

	pay := linkmoney.NewPayment("c1", "m1", linkmoney.USD(100))
	sess := linkmoney.NewSession(linkmoney.SessionCustomer{FirstName: "A", LastName: "B", Email: "a@example.com"}, "https://m.example/r")
	upd := moneykit.NewLinkUpdate(moneykit.SetLinkTags("a", "b"))
	ls := moneykit.NewLinkSession("user-1234", "https://app.example/oauth")
	params := moneykit.TransactionsParams{AccountIDs: []string{"acc_1", "acc_2"}, Size: 50}
	before := []string{mustMarshal(t, pay), mustMarshal(t, sess), mustMarshal(t, upd), mustMarshal(t, ls), fmt.Sprint(params)}

	errs := make(chan error, 5*n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { errs <- drop(lm.Payments.Create(ctx, pay)) })
		wg.Go(func() { errs <- drop(lm.Sessions.Create(ctx, sess)) })
		wg.Go(func() { errs <- drop(mk.Links.Update(ctx, "mk_1", upd)) })
		wg.Go(func() { errs <- drop(mk.LinkSessions.Create(ctx, ls)) })
		wg.Go(func() { errs <- drop(mk.Transactions.List(ctx, "mk_1", params)) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	after := []string{mustMarshal(t, pay), mustMarshal(t, sess), mustMarshal(t, upd), mustMarshal(t, ls), fmt.Sprint(params)}
	assert.Equal(t, before, after, "the shared values are unchanged")
	assert.Empty(t, pay.RequestKey)
	for _, route := range []string{"POST /v1/payments", "POST /v2/sessions", "PATCH /links/mk_1", "POST /link-session", "GET /links/mk_1/transactions"} {
		assert.Equal(t, n, f.hitCount(route), route)
	}
	keys := map[string]bool{}
	for _, b := range f.bodiesOf("POST /v1/payments") {
		keys[mustJSON(t, b)["requestKey"].(string)] = true
	}
	assert.Len(t, keys, n, "each call of a keyless payment has its own key")
	for _, b := range f.bodiesOf("PATCH /links/mk_1") {
		assert.JSONEq(t, f.bodiesOf("PATCH /links/mk_1")[0], b)
	}
}

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
