package facade

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/gen/moneykit"
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
				var te *TransportError
				var ve *ValidationError
				assert.True(t, errors.As(err, &te) || errors.As(err, &ve), "%T %v", err, err)
				assert.Zero(t, f.requestsSeen(), "nothing is sent")
				if ctx == nil {
					require.ErrorAs(t, err, &ve)
					assert.Equal(t, []Violation{{Path: "ctx", Rule: "required", Message: "context must not be nil (use context.Background())"}}, ve.Violations)
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
var pathCalls = map[string]func(ctx context.Context, mk *MoneyKit, lm *LinkMoney, p []string) error{
	"deleteLink": func(ctx context.Context, mk *MoneyKit, _ *LinkMoney, p []string) error { return mk.Links.Delete(ctx, p[0]) },
	"getAccount": func(ctx context.Context, mk *MoneyKit, _ *LinkMoney, p []string) error {
		return drop(mk.Accounts.Get(ctx, p[0], p[1]))
	},
	"getAccountNumbers": func(ctx context.Context, mk *MoneyKit, _ *LinkMoney, p []string) error {
		return drop(mk.Accounts.Numbers(ctx, p[0]))
	},
	"getAccounts": func(ctx context.Context, mk *MoneyKit, _ *LinkMoney, p []string) error {
		return drop(mk.Accounts.List(ctx, p[0], nil))
	},
	"getHoldings": func(ctx context.Context, mk *MoneyKit, _ *LinkMoney, p []string) error {
		return drop(mk.Investments.Holdings(ctx, p[0], nil))
	},
	"getIdentity": func(ctx context.Context, mk *MoneyKit, _ *LinkMoney, p []string) error {
		return drop(mk.Identity.Get(ctx, p[0], nil))
	},
	"getInstitution": func(ctx context.Context, mk *MoneyKit, _ *LinkMoney, p []string) error {
		return drop(mk.Institutions.Get(ctx, p[0]))
	},
	"getInvestmentTransactions": func(ctx context.Context, mk *MoneyKit, _ *LinkMoney, p []string) error {
		return drop(mk.Investments.Transactions(ctx, p[0], TransactionsParams{}))
	},
	"getLink": func(ctx context.Context, mk *MoneyKit, _ *LinkMoney, p []string) error { return drop(mk.Links.Get(ctx, p[0])) },
	"getTransactions": func(ctx context.Context, mk *MoneyKit, _ *LinkMoney, p []string) error {
		return drop(mk.Transactions.List(ctx, p[0], TransactionsParams{}))
	},
	"getTransactionsSync": func(ctx context.Context, mk *MoneyKit, _ *LinkMoney, p []string) error {
		return drop(mk.Transactions.SyncPage(ctx, p[0], "", 0))
	},
	"getUserAccounts": func(ctx context.Context, mk *MoneyKit, _ *LinkMoney, p []string) error {
		return drop(mk.Users.Accounts(ctx, p[0], nil))
	},
	"getUserLinks": func(ctx context.Context, mk *MoneyKit, _ *LinkMoney, p []string) error {
		return drop(mk.Users.Links(ctx, p[0]))
	},
	"getUserTransactions": func(ctx context.Context, mk *MoneyKit, _ *LinkMoney, p []string) error {
		return drop(mk.Users.Transactions(ctx, p[0], TransactionsParams{}))
	},
	"importTransactions": func(ctx context.Context, mk *MoneyKit, _ *LinkMoney, p []string) error {
		return drop(mk.Links.ImportTransactions(ctx, p[0], nil))
	},
	"refreshProducts": func(ctx context.Context, mk *MoneyKit, _ *LinkMoney, p []string) error {
		return drop(mk.Links.Refresh(ctx, p[0], []moneykit.Product{"transactions"}))
	},
	"resetLink": func(ctx context.Context, mk *MoneyKit, _ *LinkMoney, p []string) error { return drop(mk.Links.Reset(ctx, p[0])) },
	"updateLink": func(ctx context.Context, mk *MoneyKit, _ *LinkMoney, p []string) error {
		return drop(mk.Links.Update(ctx, p[0], NewLinkUpdate(SetLinkTags("a"))))
	},
	"updateTransactionEnrichment": func(ctx context.Context, mk *MoneyKit, _ *LinkMoney, p []string) error {
		return drop(mk.Transactions.UpdateEnrichment(ctx, p[0], p[1], "shopping", ""))
	},
	"webhookTestLink": func(ctx context.Context, mk *MoneyKit, _ *LinkMoney, p []string) error {
		return drop(mk.Webhooks.TestLink(ctx, p[0], moneykit.WebhookLinkTestEventLinkStateChanged, ""))
	},
	"getCustomer": func(ctx context.Context, _ *MoneyKit, lm *LinkMoney, p []string) error {
		return drop(lm.Customers.Get(ctx, p[0]))
	},
	"getCustomerAccounts": func(ctx context.Context, _ *MoneyKit, lm *LinkMoney, p []string) error {
		return drop(lm.Customers.Accounts(ctx, p[0]))
	},
	"getTransaction": func(ctx context.Context, _ *MoneyKit, lm *LinkMoney, p []string) error {
		return drop(lm.Payments.Status(ctx, p[0]))
	},
	"releasePayment": func(ctx context.Context, _ *MoneyKit, lm *LinkMoney, p []string) error {
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
					var ve *ValidationError
					require.ErrorAs(t, err, &ve)
					assert.ErrorIs(t, err, ErrInvalidRequest)
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
