package validate

import (
	"bytes"
	"encoding/json"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/gen/linkmoney"
	"github.com/banklink/banklink/gen/moneykit"
)

// provider bundles one provider's spec and compiled rules for tests.
type provider struct {
	name  string
	doc   *openapi3.T
	raw   []byte
	rules *Rules
	// bodies maps an operationId to a valid request body that sets every
	// property, so that every constraint in the spec can be broken from it.
	bodies map[string]string
	// types maps an operationId to a constructor of its generated request
	// type.
	types map[string]func() any
}

var (
	providersOnce sync.Once
	providers     map[string]*provider
	providersErr  error
)

func loadProviders() (map[string]*provider, error) {
	out := map[string]*provider{}
	for _, p := range []struct {
		name   string
		spec   func() (*openapi3.T, error)
		raw    func() ([]byte, error)
		bodies map[string]string
		types  map[string]func() any
	}{
		{"moneykit", moneykit.GetSwagger, moneykit.GetSpecJSON, moneyKitBodies, moneyKitTypes},
		{"linkmoney", linkmoney.GetSwagger, linkmoney.GetSpecJSON, linkMoneyBodies, linkMoneyTypes},
	} {
		doc, err := p.spec()
		if err != nil {
			return nil, err
		}
		raw, err := p.raw()
		if err != nil {
			return nil, err
		}
		rules, err := Compile(doc)
		if err != nil {
			return nil, err
		}
		out[p.name] = &provider{name: p.name, doc: doc, raw: raw, rules: rules, bodies: p.bodies, types: p.types}
	}
	return out, nil
}

func getProvider(tb testing.TB, name string) *provider {
	tb.Helper()
	providersOnce.Do(func() { providers, providersErr = loadProviders() })
	require.NoError(tb, providersErr)
	p := providers[name]
	require.NotNil(tb, p, name)
	return p
}

// decode unmarshals a JSON body into the operation's generated request type.
func (p *provider) decode(tb testing.TB, op, body string) any {
	tb.Helper()
	mk, ok := p.types[op]
	require.True(tb, ok, "no generated type registered for %s", op)
	v := mk()
	require.NoError(tb, json.Unmarshal([]byte(body), v), "%s body", op)
	return v
}

// rp is a violation reduced to what tests compare: path and rule.
type rp struct{ Path, Rule string }

func pairs(vs []Violation) []rp {
	out := make([]rp, 0, len(vs))
	for _, v := range vs {
		out = append(out, rp{v.Path, v.Rule})
	}
	return out
}

// mustJSON re-encodes a JSON document compactly; it fails on invalid JSON.
func mustJSON(tb testing.TB, s string) string {
	tb.Helper()
	var buf bytes.Buffer
	require.NoError(tb, json.Compact(&buf, []byte(s)))
	return buf.String()
}

var moneyKitTypes = map[string]func() any{
	"createAccessToken":           func() any { return new(moneykit.CreateAccessTokenRequest) },
	"createLinkSession":           func() any { return new(moneykit.CreateLinkSessionRequest) },
	"exchangeToken":               func() any { return new(moneykit.ExchangeTokenRequest) },
	"updateLink":                  func() any { return new(moneykit.UpdateLinkRequest) },
	"importLink":                  func() any { return new(moneykit.ImportLinkRequest) },
	"importTransactions":          func() any { return new(moneykit.ImportTransactionsRequest) },
	"refreshProducts":             func() any { return new(moneykit.RefreshProductsRequest) },
	"updateTransactionEnrichment": func() any { return new(moneykit.BudCategory) },
	"webhookTestLink":             func() any { return new(moneykit.WebhookTestLinkRequest) },
}

var linkMoneyTypes = map[string]func() any{
	"createToken":   func() any { return new(linkmoney.TokenRequest) },
	"createSession": func() any { return new(linkmoney.SessionRequest) },
	"createPayment": func() any { return new(linkmoney.PaymentRequest) },
	"createRefund":  func() any { return new(linkmoney.RefundRequest) },

	"subscribeWebhook":   func() any { return new(linkmoney.WebhookSubscribeRequest) },
	"unsubscribeWebhook": func() any { return new(linkmoney.WebhookUnsubscribeRequest) },
}

const productSettingsJSON = `{"required": true, "require_permission": true, "prefetch": false, "reason": "to pay you"}`

var moneyKitBodies = map[string]string{
	"webhookTestLink":   `{"webhook_event": "link.state_changed", "webhook_idempotency_key": "6f1b8a0e-3f9c-4d2e-8a7b-1c2d3e4f5a6b"}`,
	"createAccessToken": `{"grant_type": "client_credentials", "scope": "", "client_id": "live_5c739a369515e10fc9e0", "client_secret": "s3cr3t"}`,
	"createLinkSession": `{
		"settings": {
			"providers": ["plaid", "mx"],
			"products": {
				"account_numbers": ` + productSettingsJSON + `,
				"identity": ` + productSettingsJSON + `,
				"investments": ` + productSettingsJSON + `,
				"transactions": ` + productSettingsJSON + `
			},
			"countries": ["US", "CA"]
		},
		"customer_user": {
			"id": "user-42",
			"email": {"address": "jane@example.com", "customer_verified_at": "2024-01-02T03:04:05Z"},
			"phone": {"number": "+15555550100", "country": "US", "customer_verified_at": "2024-01-02T03:04:05-04:00"}
		},
		"existing_link_id": "mk_eqkWN34UEoa2NxyALG8pcV",
		"institution_id": "c7318ff7-257c-490e-8242-03a815b223b7",
		"redirect_uri": "https://yourdomain.com/oauth.html",
		"webhook": "https://yourdomain.com/moneykit_webhook",
		"link_tags": ["checkout", "9lives"],
		"connect_features": {
			"issue_reporter": true, "enable_money_id": false, "duplicate_institution_warning": true,
			"duplicate_institution_rejected": false, "connect_manually": false,
			"permit_only_one_account": true, "permit_only_depository_accounts": true
		},
		"custom_sandbox_data": {
			"accounts": [{"account_type": "depository.checking", "name": "Everyday Checking", "account_number": "1111222233330000", "routing_number": "011401533"}],
			"owners": [{"names": ["Jane Doe"], "addresses": [{"street": "1 Main St", "city": "Springfield", "region": "IL", "postal_code": "62701", "country": "US", "primary": true}],
				"phone_numbers": [{"number": "+15555550100", "type": "mobile", "primary": true}], "emails": [{"address": "jane@example.com", "primary": true}]}]
		}
	}`,
	"exchangeToken": `{"exchangeable_token": "tok_123"}`,
	"updateLink":    `{"webhook": "https://example.com/webhook", "link_tags": ["checkout"], "tags": ["legacy"]}`,
	"importLink": `{
		"customer_user": {"id": "user-42", "email": {"address": "jane@example.com", "customer_verified_at": "2024-01-02T03:04:05Z"}, "phone": {"number": "+15555550100", "country": "US", "customer_verified_at": "2024-01-02T03:04:05Z"}},
		"provider": "mx",
		"institution_id": "mx.chase",
		"accounts": [{"account_id": "a1", "name": "Checking", "nickname": "Bills", "type": "checking", "mask": "1234",
			"balances": {"currency": "USD", "available": 10.5, "current": 12, "limit": 100, "balance_date": "2024-01-02T03:04:05Z"}}],
		"transactions": [{"account_id": "a1", "transaction_id": "t1", "amount": "-12.34", "date": "2024-01-02", "description": "Coffee", "type": "food_and_drinks"}]
	}`,
	"importTransactions":          `{"transactions": [{"account_id": "a1", "transaction_id": "t2", "amount": "5", "date": "2024-01-03", "description": "Refund", "type": "income"}]}`,
	"refreshProducts":             `{"products": ["transactions", "accounts"]}`,
	"updateTransactionEnrichment": `{"category": "food_and_drinks", "subcategory": "coffee"}`,
}

const amountJSON = `{"value": 20.00, "currency": "USD"}`

var linkMoneyBodies = map[string]string{
	"createToken": `{"client_id": "client", "client_secret": "s3cr3t", "grant_type": "client_credentials", "scope": "Link-Payment"}`,
	"createSession": `{
		"firstName": "Jane",
		"lastName": "Doe",
		"email": "jane.doe@example.com",
		"phoneNumber": "+15555550100",
		"billingAddress": {"streetAddress": "1 Main St", "city": "Springfield", "stateOrProvince": "IL", "postalCode": "62701", "country": "US"},
		"orderDetails": {
			"items": [{"description": "Widget", "goodType": "PHYSICAL", "amount": ` + amountJSON + `}],
			"subtotalAmount": ` + amountJSON + `,
			"discountAmount": {"value": 2.5, "currency": "USD"},
			"shippingAmount": {"value": 5, "currency": "USD"},
			"taxAmount": {"value": 1.25, "currency": "USD"},
			"totalAmount": {"value": 23.75, "currency": "USD"},
			"shippingAddress": {"streetAddress": "2 Elm St", "city": "Springfield", "stateOrProvince": "IL", "postalCode": "62702", "country": "US"}
		},
		"customerProfile": {
			"id": "cust-1042",
			"guestCheckout": false,
			"accountCreationDate": "2023-12-30T07:00:00-04:00",
			"transactionCount": 3,
			"firstTransactionDate": "2023-12-30T07:00:00.1234-04:00",
			"verifiedEmail": true,
			"verifiedPhone": false
		},
		"paymentDetails": {
			"amount": {"value": 23.75, "currency": "USD"},
			"requestKey": "7b0f4d0e-2a56-4c4f-9d0b-1b1c2f3e4d5a",
			"softDescriptor": "ACME ORDER 1042",
			"clientReferenceId": "order-1042"
		},
		"product": "PAY",
		"redirectUrl": "https://merchant.example/return",
		"experienceId": "LINK_MANAGED_PAYMENT"
	}`,
	"createPayment": `{
		"source": {"id": "8c4d7b3e-4f5a-4b1c-9d2e-6f7a8b9c0d1e", "type": "CUSTOMER"},
		"destination": {"id": "merchant-1", "type": "MERCHANT"},
		"amount": {"value": 25.00, "currency": "USD"},
		"clientReferenceId": "order-1042",
		"softDescriptor": "ACME ORDER 1042",
		"requestKey": "7b0f4d0e-2a56-4c4f-9d0b-1b1c2f3e4d5a"
	}`,
	"subscribeWebhook": `{
		"url": "https://merchant.example/webhooks/linkmoney",
		"secretKey": "whsec-0123456789",
		"subscriptionDetails": {"type": "ALL"}
	}`,
	"unsubscribeWebhook": `{"subscriptionId": "sub_1", "subscriptionDetails": {"type": "ALL"}}`,
	"createRefund": `{
		"paymentId": "pay-1",
		"amount": {"value": 5.5, "currency": "USD"},
		"clientReferenceId": "refund-1",
		"softDescriptor": "ACME REFUND",
		"requestKey": "0d7c1d55-7a7e-4c2e-8c8a-1f0e2d3c4b5a"
	}`,
}
