package facade

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/gen/linkmoney"
)

func TestValidationRefusesBeforeSending(t *testing.T) {
	ctx := context.Background()
	longDescriptor := strings.Repeat("A", 81)
	tests := []struct {
		name  string
		call  func(mk *MoneyKit, lm *LinkMoney) error
		rules []string // "path rule" pairs that must be reported
	}{
		{"link session: short user id and query in redirect", func(mk *MoneyKit, _ *LinkMoney) error {
			return drop(mk.LinkSessions.Create(ctx, NewLinkSession("abc", "https://app.example/oauth?x=1")))
		}, []string{"customer_user", "redirect_uri"}},
		{"link session: nil", func(mk *MoneyKit, _ *LinkMoney) error { return drop(mk.LinkSessions.Create(ctx, nil)) }, []string{"required"}},
		{"link session: bad tag", func(mk *MoneyKit, _ *LinkMoney) error {
			return drop(mk.LinkSessions.Create(ctx, NewLinkSession("user-42", "https://app.example/oauth", WithLinkTags("-starts-with-dash"))))
		}, []string{"link_tags"}},
		{"get link: empty id", func(mk *MoneyKit, _ *LinkMoney) error { return drop(mk.Links.Get(ctx, "")) }, []string{"id", "required"}},
		{"delete link: empty id", func(mk *MoneyKit, _ *LinkMoney) error { return mk.Links.Delete(ctx, "") }, []string{"id"}},
		{"update link: no changes", func(mk *MoneyKit, _ *LinkMoney) error { return drop(mk.Links.Update(ctx, "mk_1", NewLinkUpdate())) }, []string{"required"}},
		{"user links: short id", func(mk *MoneyKit, _ *LinkMoney) error { return drop(mk.Users.Links(ctx, "ab")) }, []string{"id"}},
		{"exchange: empty token", func(mk *MoneyKit, _ *LinkMoney) error { return drop(mk.LinkSessions.Exchange(ctx, "")) }, []string{"exchangeable_token"}},
		{"session: missing names", func(_ *MoneyKit, lm *LinkMoney) error {
			return drop(lm.Sessions.Create(ctx, NewSession(SessionCustomer{Email: "a@example.com"}, "https://m.example/r")))
		}, []string{"firstName", "lastName"}},
		{"session: tax without subtotal", func(_ *MoneyKit, lm *LinkMoney) error {
			return drop(lm.Sessions.Create(ctx, NewSession(SessionCustomer{FirstName: "A", LastName: "B", Email: "a@example.com"}, "https://m.example/r",
				WithOrder(USD(1100), WithTax(USD(100))))))
		}, []string{"subtotalAmount"}},
		{"session: payment with another experience", func(_ *MoneyKit, lm *LinkMoney) error {
			return drop(lm.Sessions.Create(ctx, NewSession(SessionCustomer{FirstName: "A", LastName: "B", Email: "a@example.com"}, "https://m.example/r",
				WithPayment(USD(100)), WithExperience(linkmoney.ExperienceID("ONBOARD_WITH_DONE")))))
		}, []string{"experienceId"}},
		{"payment: three decimals and long descriptor", func(_ *MoneyKit, lm *LinkMoney) error {
			req := NewPayment("c1", "m1", Amount{Currency: "USD", Value: json.Number("1.234")}, WithSoftDescriptor(longDescriptor))
			return drop(lm.Payments.Create(ctx, req))
		}, []string{"amount", "softDescriptor"}},
		{"payment: negative", func(_ *MoneyKit, lm *LinkMoney) error {
			return drop(lm.Payments.Create(ctx, NewPayment("c1", "m1", USD(-100))))
		}, []string{"amount"}},
		{"payment: euro", func(_ *MoneyKit, lm *LinkMoney) error {
			return drop(lm.Payments.Create(ctx, NewPayment("c1", "m1", Amount{Currency: "EUR", Value: "1.00"})))
		}, []string{"currency"}},
		{"refund: empty payment id", func(_ *MoneyKit, lm *LinkMoney) error {
			return drop(lm.Refunds.Create(ctx, NewRefund("", USD(100))))
		}, []string{"paymentId"}},
		{"customer: empty id", func(_ *MoneyKit, lm *LinkMoney) error { return drop(lm.Customers.Get(ctx, "")) }, []string{"customerId"}},
		{"accounts: empty id", func(_ *MoneyKit, lm *LinkMoney) error { return drop(lm.Customers.Accounts(ctx, "")) }, []string{"customerId"}},
		{"token: unknown scope", func(_ *MoneyKit, lm *LinkMoney) error { return drop(lm.Auth.Token(ctx, "Link-Everything")) }, []string{"scope"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAPI(t)
			err := tc.call(f.moneyKit(), f.linkMoney())
			require.ErrorIs(t, err, ErrInvalidRequest)
			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
			require.NotEmpty(t, ve.Violations)
			msg := err.Error()
			assert.Contains(t, msg, "nothing was sent")
			for _, want := range tc.rules {
				assert.Contains(t, msg, want)
			}
			for _, v := range ve.Violations {
				assert.Contains(t, msg, v.Rule)
			}
			f.mu.Lock()
			assert.Empty(t, f.hits, "nothing sent")
			f.mu.Unlock()
			assert.Equal(t, int64(0), f.tokens.Load(), "not even a token request")
		})
	}
}

func TestValidationMessageListsEveryViolation(t *testing.T) {
	e := &ValidationError{Operation: "createPayment", Violations: []Violation{
		{Path: "/amount/value", Rule: "decimalPlaces", Message: "amount.value has at most 2 decimal places"},
		{Path: "/softDescriptor", Rule: "maxLength", Message: "softDescriptor is at most 80 characters"},
	}}
	assert.Equal(t, "banklink: invalid createPayment request (nothing was sent): /amount/value: decimalPlaces (amount.value has at most 2 decimal places); /softDescriptor: maxLength (softDescriptor is at most 80 characters)", e.Error())
}

func TestValidRequestsPass(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("POST /v2/sessions", jsonReply(200, `{"sessionKey":"k","sessionUrl":"u"}`))
	f.handle("POST /link-session", jsonReply(201, `{"link_session_token":"t"}`))
	_, err := f.linkMoney().Sessions.Create(context.Background(), NewSession(
		SessionCustomer{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com", Phone: "+15555550100"}, "https://m.example/r",
		WithOrder(USD(2500), WithItem("Widget", linkmoney.GoodTypePHYSICAL, USD(2000)), WithSubtotal(USD(2000)), WithShipping(USD(500)),
			WithTax(USD(0+1)), WithDiscount(USD(1)),
			WithShippingAddress(linkmoney.Address{StreetAddress: "1 Main", City: "X", StateOrProvince: "IL", Country: "US"})),
		WithPayment(USD(2500), WithSoftDescriptor("ACME 1042"), WithClientReferenceID("order-1042")),
		WithProduct(linkmoney.SessionProductPAY),
		WithBillingAddress(linkmoney.Address{StreetAddress: "1 Main", City: "X", StateOrProvince: "IL", Country: "US"}),
		WithCustomerProfile(linkmoney.CustomerProfile{})))
	require.NoError(t, err)
	body := mustJSON(t, f.bodiesOf("POST /v2/sessions")[0])
	assert.Equal(t, "LINK_MANAGED_PAYMENT", body["experienceId"])
	pd := body["paymentDetails"].(map[string]any)
	assert.NotEmpty(t, pd["requestKey"])
	assert.Equal(t, 25.0, pd["amount"].(map[string]any)["value"])
	assert.Contains(t, f.bodiesOf("POST /v2/sessions")[0], `"value":25.00`, "exact decimal text on the wire")

	_, err = f.moneyKit().LinkSessions.Create(context.Background(), NewLinkSession("user-42", "https://app.example/oauth",
		WithInstitution("chase"), WithExistingLink("mk_1"), WithWebhook("https://hooks.example/mk"), WithLinkTags("checkout"),
		WithProducts("account_numbers", "transactions"), WithOptionalProducts("identity"),
		WithCustomerEmail("jane@example.com"), WithCustomerPhone("+15555550100")))
	require.NoError(t, err)
	got := f.bodiesOf("POST /link-session")[0]
	assert.JSONEq(t, `{"customer_user":{"id":"user-42","email":{"address":"jane@example.com"},"phone":{"number":"+15555550100"}},
		"redirect_uri":"https://app.example/oauth","institution_id":"chase","existing_link_id":"mk_1",
		"webhook":"https://hooks.example/mk","link_tags":["checkout"],
		"settings":{"products":{"account_numbers":{"required":true},"transactions":{"required":true},"identity":{"required":false}}}}`, got)
}

func TestLinkUpdatesOnTheWire(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("PATCH /links/mk_1", jsonReply(200, linkJSON))
	mk := f.moneyKit()
	for _, tc := range []struct {
		updates []LinkUpdate
		want    string
	}{
		{[]LinkUpdate{SetWebhook("https://h.example/x")}, `{"webhook":"https://h.example/x"}`},
		{[]LinkUpdate{RemoveWebhook()}, `{"webhook":null}`},
		{[]LinkUpdate{SetLinkTags("a", "b")}, `{"link_tags":["a","b"]}`},
		{[]LinkUpdate{SetLinkTags()}, `{"link_tags":[]}`},
		{[]LinkUpdate{RemoveWebhook(), SetLinkTags("a")}, `{"webhook":null,"link_tags":["a"]}`},
	} {
		_, err := mk.Links.Update(context.Background(), "mk_1", NewLinkUpdate(tc.updates...))
		require.NoError(t, err)
		bodies := f.bodiesOf("PATCH /links/mk_1")
		assert.JSONEq(t, tc.want, bodies[len(bodies)-1])
	}
}

func TestPaymentConstructors(t *testing.T) {
	p := NewPayment("cust", "merch", USD(1234), WithRequestKey("k"), WithSoftDescriptor("S"), WithClientReferenceID("r"))
	b, err := json.Marshal(p)
	require.NoError(t, err)
	assert.JSONEq(t, `{"source":{"id":"cust","type":"CUSTOMER"},"destination":{"id":"merch","type":"MERCHANT"},
		"amount":{"value":12.34,"currency":"USD"},"requestKey":"k","softDescriptor":"S","clientReferenceId":"r"}`, string(b))
	c := NewCredit("merch", "cust", USD(5))
	assert.Equal(t, linkmoney.PartyTypeMERCHANT, c.Source.Type)
	assert.Equal(t, "cust", c.Destination.Id)
	assert.Empty(t, c.RequestKey, "generated when sent")
	r := NewRefund("p1", USD(5), WithRequestKey("rk"))
	assert.Equal(t, "rk", r.RequestKey)
	assert.Equal(t, "p1", r.PaymentId)
}
