package linkmoney

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/internal/testkit"
)

func TestValidationRefusesBeforeSending(t *testing.T) {
	ctx := context.Background()
	longDescriptor := strings.Repeat("A", 81)
	jane := SessionCustomer{FirstName: "A", LastName: "B", Email: "a@example.com"}
	testkit.CheckRefusals(t, New, []testkit.Refusal[*Client]{
		{Name: "session: missing names", Call: func(lm *Client) error {
			return testkit.Drop(lm.Sessions.Create(ctx, NewSession(SessionCustomer{Email: "a@example.com"}, "https://m.example/r")))
		}, Rules: []string{"firstName", "lastName"}},
		{Name: "session: tax without subtotal", Call: func(lm *Client) error {
			return testkit.Drop(lm.Sessions.Create(ctx, NewSession(jane, "https://m.example/r", WithOrder(USD(1100), WithTax(USD(100))))))
		}, Rules: []string{"subtotalAmount"}},
		{Name: "session: payment with another experience", Call: func(lm *Client) error {
			return testkit.Drop(lm.Sessions.Create(ctx, NewSession(jane, "https://m.example/r",
				WithPayment(USD(100)), WithExperience(ExperienceIDOnboardWithDone))))
		}, Rules: []string{"experienceId"}},
		{Name: "payment: three decimals and long descriptor", Call: func(lm *Client) error {
			req := NewPayment("c1", "m1", Amount{Currency: "USD", Value: json.Number("1.234")}, WithSoftDescriptor(longDescriptor))
			return testkit.Drop(lm.Payments.Create(ctx, req))
		}, Rules: []string{"amount", "softDescriptor"}},
		{Name: "payment: negative", Call: func(lm *Client) error {
			return testkit.Drop(lm.Payments.Create(ctx, NewPayment("c1", "m1", USD(-100))))
		}, Rules: []string{"amount"}},
		{Name: "payment: euro", Call: func(lm *Client) error {
			return testkit.Drop(lm.Payments.Create(ctx, NewPayment("c1", "m1", Amount{Currency: "EUR", Value: "1.00"})))
		}, Rules: []string{"currency"}},
		{Name: "refund: empty payment id", Call: func(lm *Client) error {
			return testkit.Drop(lm.Refunds.Create(ctx, NewRefund("", USD(100))))
		}, Rules: []string{"paymentId"}},
		{Name: "customer: empty id", Call: func(lm *Client) error { return testkit.Drop(lm.Customers.Get(ctx, "")) }, Rules: []string{"customerId"}},
		{Name: "accounts: empty id", Call: func(lm *Client) error { return testkit.Drop(lm.Customers.Accounts(ctx, "")) }, Rules: []string{"customerId"}},
		{Name: "token: unknown scope", Call: func(lm *Client) error { return testkit.Drop(lm.Auth.Token(ctx, "Link-Everything")) }, Rules: []string{"scope"}},
	})
}

func TestValidSessionOnTheWire(t *testing.T) {
	f := newFakeAPI(t)
	f.Handle("POST /v2/sessions", testkit.JSONReply(200, `{"sessionKey":"k","sessionUrl":"u"}`))
	addr := Address{StreetAddress: "1 Main", City: "X", StateOrProvince: "IL", Country: "US"}
	_, err := f.Client().Sessions.Create(context.Background(), NewSession(
		SessionCustomer{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com", Phone: "+15555550100"}, "https://m.example/r",
		WithOrder(USD(2500), WithItem("Widget", GoodTypePhysical, USD(2000)), WithSubtotal(USD(2000)), WithShipping(USD(500)),
			WithTax(USD(0+1)), WithDiscount(USD(1)), WithShippingAddress(addr)),
		WithPayment(USD(2500), WithSoftDescriptor("ACME 1042"), WithClientReferenceID("order-1042")),
		WithProduct(SessionProductPay),
		WithBillingAddress(addr),
		WithCustomerProfile(CustomerProfile{})))
	require.NoError(t, err)
	sent := f.BodiesOf("POST /v2/sessions")
	require.Len(t, sent, 1)
	body := testkit.MustJSON(t, sent[0])
	assert.Equal(t, "LINK_MANAGED_PAYMENT", body["experienceId"])
	pd := body["paymentDetails"].(map[string]any)
	assert.NotEmpty(t, pd["requestKey"])
	assert.Equal(t, 25.0, pd["amount"].(map[string]any)["value"])
	assert.Contains(t, sent[0], `"value":25.00`, "exact decimal text on the wire")
}

func TestPaymentConstructors(t *testing.T) {
	p := NewPayment("cust", "merch", USD(1234), WithRequestKey("k"), WithSoftDescriptor("S"), WithClientReferenceID("r"))
	b, err := json.Marshal(p)
	require.NoError(t, err)
	assert.JSONEq(t, `{"source":{"id":"cust","type":"CUSTOMER"},"destination":{"id":"merch","type":"MERCHANT"},
		"amount":{"value":12.34,"currency":"USD"},"requestKey":"k","softDescriptor":"S","clientReferenceId":"r"}`, string(b))
	c := NewCredit("merch", "cust", USD(5))
	assert.Equal(t, PartyTypeMerchant, c.Source.Type)
	assert.Equal(t, "cust", c.Destination.Id)
	assert.Empty(t, c.RequestKey, "generated when sent")
	r := NewRefund("p1", USD(5), WithRequestKey("rk"))
	assert.Equal(t, "rk", r.RequestKey)
	assert.Equal(t, "p1", r.PaymentId)
}
