package linkmoney

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade"
)

func TestValidationRefusesBeforeSending(t *testing.T) {
	ctx := context.Background()
	longDescriptor := strings.Repeat("A", 81)
	jane := SessionCustomer{FirstName: "A", LastName: "B", Email: "a@example.com"}
	tests := []struct {
		name  string
		call  func(lm *Client) error
		rules []string // paths and rules the message must name
	}{
		{"session: missing names", func(lm *Client) error {
			return drop(lm.Sessions.Create(ctx, NewSession(SessionCustomer{Email: "a@example.com"}, "https://m.example/r")))
		}, []string{"firstName", "lastName"}},
		{"session: tax without subtotal", func(lm *Client) error {
			return drop(lm.Sessions.Create(ctx, NewSession(jane, "https://m.example/r", WithOrder(USD(1100), WithTax(USD(100))))))
		}, []string{"subtotalAmount"}},
		{"session: payment with another experience", func(lm *Client) error {
			return drop(lm.Sessions.Create(ctx, NewSession(jane, "https://m.example/r",
				WithPayment(USD(100)), WithExperience(ExperienceIDOnboardWithDone))))
		}, []string{"experienceId"}},
		{"payment: three decimals and long descriptor", func(lm *Client) error {
			req := NewPayment("c1", "m1", Amount{Currency: "USD", Value: json.Number("1.234")}, WithSoftDescriptor(longDescriptor))
			return drop(lm.Payments.Create(ctx, req))
		}, []string{"amount", "softDescriptor"}},
		{"payment: negative", func(lm *Client) error {
			return drop(lm.Payments.Create(ctx, NewPayment("c1", "m1", USD(-100))))
		}, []string{"amount"}},
		{"payment: euro", func(lm *Client) error {
			return drop(lm.Payments.Create(ctx, NewPayment("c1", "m1", Amount{Currency: "EUR", Value: "1.00"})))
		}, []string{"currency"}},
		{"refund: empty payment id", func(lm *Client) error {
			return drop(lm.Refunds.Create(ctx, NewRefund("", USD(100))))
		}, []string{"paymentId"}},
		{"customer: empty id", func(lm *Client) error { return drop(lm.Customers.Get(ctx, "")) }, []string{"customerId"}},
		{"accounts: empty id", func(lm *Client) error { return drop(lm.Customers.Accounts(ctx, "")) }, []string{"customerId"}},
		{"token: unknown scope", func(lm *Client) error { return drop(lm.Auth.Token(ctx, "Link-Everything")) }, []string{"scope"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAPI(t)
			err := tc.call(f.linkMoney())
			require.ErrorIs(t, err, facade.ErrInvalidRequest)
			var ve *facade.ValidationError
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
			assert.Zero(t, f.requestsSeen(), "nothing sent, not even a token request")
		})
	}
}

func TestValidSessionOnTheWire(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("POST /v2/sessions", jsonReply(200, `{"sessionKey":"k","sessionUrl":"u"}`))
	addr := Address{StreetAddress: "1 Main", City: "X", StateOrProvince: "IL", Country: "US"}
	_, err := f.linkMoney().Sessions.Create(context.Background(), NewSession(
		SessionCustomer{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com", Phone: "+15555550100"}, "https://m.example/r",
		WithOrder(USD(2500), WithItem("Widget", GoodTypePhysical, USD(2000)), WithSubtotal(USD(2000)), WithShipping(USD(500)),
			WithTax(USD(0+1)), WithDiscount(USD(1)), WithShippingAddress(addr)),
		WithPayment(USD(2500), WithSoftDescriptor("ACME 1042"), WithClientReferenceID("order-1042")),
		WithProduct(SessionProductPay),
		WithBillingAddress(addr),
		WithCustomerProfile(CustomerProfile{})))
	require.NoError(t, err)
	sent := f.bodiesOf("POST /v2/sessions")
	require.Len(t, sent, 1)
	body := mustJSON(t, sent[0])
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
