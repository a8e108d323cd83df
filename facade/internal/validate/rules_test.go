package validate

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/oapi-codegen/nullable"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/gen/linkmoney"
	"github.com/banklink/banklink/gen/moneykit"
	"github.com/banklink/banklink/internal/timestamp"
)

func ptr[T any](v T) *T { return &v }

func TestValidBodies(t *testing.T) {
	for _, name := range []string{"moneykit", "linkmoney"} {
		p := getProvider(t, name)
		for op, body := range p.bodies {
			t.Run(name+"/"+op, func(t *testing.T) {
				v := p.decode(t, op, body)
				assert.Nil(t, p.rules.Body(op, v), "pointer")
				// A value (not a pointer) is checked the same way.
				assert.Nil(t, p.rules.Body(op, derefAny(v)), "value")
			})
		}
	}
}

func derefAny(v any) any {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer {
		panic("not a pointer")
	}
	return rv.Elem().Interface()
}

func TestCreateLinkSessionRules(t *testing.T) {
	p := getProvider(t, "moneykit")
	tests := []struct {
		name   string
		mutate func(r *moneykit.CreateLinkSessionRequest)
		want   []rp
	}{
		{"valid", func(r *moneykit.CreateLinkSessionRequest) {}, nil},
		{"minimal", func(r *moneykit.CreateLinkSessionRequest) {
			*r = moneykit.CreateLinkSessionRequest{CustomerUser: moneykit.LinkSessionCustomerUser{Id: "user"}, RedirectUri: "https://a.example"}
		}, nil},
		{"empty body", func(r *moneykit.CreateLinkSessionRequest) { *r = moneykit.CreateLinkSessionRequest{} },
			[]rp{{"/customer_user", "required"}, {"/redirect_uri", "required"}}},
		{"customer_user.id empty", func(r *moneykit.CreateLinkSessionRequest) { r.CustomerUser.Id = "" },
			[]rp{{"/customer_user/id", "required"}}},
		{"customer_user.id 3 characters", func(r *moneykit.CreateLinkSessionRequest) { r.CustomerUser.Id = "abc" },
			[]rp{{"/customer_user/id", "minLength"}}},
		{"customer_user.id 3 runes in 6 bytes", func(r *moneykit.CreateLinkSessionRequest) { r.CustomerUser.Id = "ééé" },
			[]rp{{"/customer_user/id", "minLength"}}},
		{"customer_user.id 4 runes", func(r *moneykit.CreateLinkSessionRequest) { r.CustomerUser.Id = "éééé" }, nil},
		{"customer_user.id 150 characters", func(r *moneykit.CreateLinkSessionRequest) { r.CustomerUser.Id = strings.Repeat("é", 150) }, nil},
		{"customer_user.id 151 characters", func(r *moneykit.CreateLinkSessionRequest) { r.CustomerUser.Id = strings.Repeat("a", 151) },
			[]rp{{"/customer_user/id", "maxLength"}}},
		{"redirect_uri with query", func(r *moneykit.CreateLinkSessionRequest) { r.RedirectUri = "https://a.example/cb?x=1" },
			[]rp{{"/redirect_uri", "noQuery"}}},
		{"redirect_uri with empty query", func(r *moneykit.CreateLinkSessionRequest) { r.RedirectUri = "https://a.example/cb?" },
			[]rp{{"/redirect_uri", "noQuery"}}},
		{"redirect_uri with fragment", func(r *moneykit.CreateLinkSessionRequest) { r.RedirectUri = "https://a.example/cb#x" },
			[]rp{{"/redirect_uri", "noQuery"}}},
		{"redirect_uri relative", func(r *moneykit.CreateLinkSessionRequest) { r.RedirectUri = "/oauth.html" },
			[]rp{{"/redirect_uri", "format"}}},
		{"redirect_uri without host", func(r *moneykit.CreateLinkSessionRequest) { r.RedirectUri = "https:///oauth.html" },
			[]rp{{"/redirect_uri", "format"}}},
		{"redirect_uri custom scheme with port", func(r *moneykit.CreateLinkSessionRequest) { r.RedirectUri = "myapp+x://host.example:8443/cb" }, nil},
		// An optional field is a plain value tagged omitzero: empty is absent.
		{"webhook empty is left out", func(r *moneykit.CreateLinkSessionRequest) { r.Webhook = "" }, nil},
		{"webhook with query is fine", func(r *moneykit.CreateLinkSessionRequest) { r.Webhook = "https://a.example/h?k=v" }, nil},
		{"link tag starting with a dash", func(r *moneykit.CreateLinkSessionRequest) { r.LinkTags = []string{"ok", "-bad"} },
			[]rp{{"/link_tags/1", "pattern"}}},
		{"link tag of 99 characters", func(r *moneykit.CreateLinkSessionRequest) { r.LinkTags = []string{strings.Repeat("x", 99)} }, nil},
		{"link tag of 100 characters", func(r *moneykit.CreateLinkSessionRequest) { r.LinkTags = []string{strings.Repeat("x", 100)} },
			[]rp{{"/link_tags/0", "maxLength"}}},
		{"empty link tag", func(r *moneykit.CreateLinkSessionRequest) { r.LinkTags = []string{""} },
			[]rp{{"/link_tags/0", "minLength"}, {"/link_tags/0", "pattern"}}},
		{"empty link tag list", func(r *moneykit.CreateLinkSessionRequest) { r.LinkTags = []string{} }, nil},
		{"email address", func(r *moneykit.CreateLinkSessionRequest) { r.CustomerUser.Email.Address = "jane@localhost" },
			[]rp{{"/customer_user/email/address", "format"}}},
		{"email object without address", func(r *moneykit.CreateLinkSessionRequest) {
			r.CustomerUser.Email = moneykit.CustomerUserEmail{CustomerVerifiedAt: timestamp.New(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC))}
		},
			[]rp{{"/customer_user/email/address", "required"}}},
		{"phone country", func(r *moneykit.CreateLinkSessionRequest) { r.CustomerUser.Phone.Country = moneykit.Country("FR") },
			[]rp{{"/customer_user/phone/country", "enum"}}},
		{"phone number too long", func(r *moneykit.CreateLinkSessionRequest) { r.CustomerUser.Phone.Number = strings.Repeat("5", 31) },
			[]rp{{"/customer_user/phone/number", "maxLength"}}},
		{"verified_at beyond year 9999", func(r *moneykit.CreateLinkSessionRequest) {
			r.CustomerUser.Email.CustomerVerifiedAt = timestamp.New(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC))
		}, []rp{{"/customer_user/email/customer_verified_at", "format"}}},
		{"provider enum in array", func(r *moneykit.CreateLinkSessionRequest) {
			r.Settings.Providers = []moneykit.Provider{"plaid", "acme", "mx", "nope"}
		}, []rp{{"/settings/providers/1", "enum"}, {"/settings/providers/3", "enum"}}},
		{"every violation is reported, ordered by path", func(r *moneykit.CreateLinkSessionRequest) {
			tags := make([]string, 12)
			for i := range tags {
				tags[i] = "t"
			}
			tags[2], tags[10] = "_x", "_y"
			r.LinkTags = tags
			r.CustomerUser.Id = "x"
			r.RedirectUri = "https://a.example/?q"
			r.Settings.Countries = []moneykit.Country{"XX"}
		}, []rp{
			{"/customer_user/id", "minLength"},
			{"/link_tags/2", "pattern"},
			{"/link_tags/10", "pattern"},
			{"/redirect_uri", "noQuery"},
			{"/settings/countries/0", "enum"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := p.decode(t, "createLinkSession", p.bodies["createLinkSession"]).(*moneykit.CreateLinkSessionRequest)
			tc.mutate(r)
			got := p.rules.Body("createLinkSession", r)
			if tc.want == nil {
				assert.Empty(t, got)
				return
			}
			assert.Equal(t, tc.want, pairs(got))
		})
	}
}

func TestMoneyKitOtherBodies(t *testing.T) {
	p := getProvider(t, "moneykit")
	t.Run("update link webhook null", func(t *testing.T) {
		u := moneykit.UpdateLinkRequest{}
		u.Webhook.SetNull()
		assert.Empty(t, p.rules.Body("updateLink", &u))
	})
	t.Run("update link webhook unset", func(t *testing.T) {
		assert.Empty(t, p.rules.Body("updateLink", &moneykit.UpdateLinkRequest{}))
	})
	t.Run("update link webhook empty and deprecated tags", func(t *testing.T) {
		u := moneykit.UpdateLinkRequest{Webhook: nullable.NewNullableWithValue(""), Tags: &[]moneykit.LinkTag{"ok", " x"}}
		assert.Equal(t, []rp{{"/tags/1", "pattern"}, {"/webhook", "format"}, {"/webhook", "minLength"}}, pairs(p.rules.Body("updateLink", &u)))
	})
	t.Run("exchange token empty", func(t *testing.T) {
		assert.Equal(t, []rp{{"/exchangeable_token", "required"}}, pairs(p.rules.Body("exchangeToken", &moneykit.ExchangeTokenRequest{})))
	})
	t.Run("access token grant type", func(t *testing.T) {
		r := moneykit.CreateAccessTokenRequest{GrantType: ptr(moneykit.CreateAccessTokenRequestGrantType("password"))}
		assert.Equal(t, []rp{{"/grant_type", "enum"}}, pairs(p.rules.Body("createAccessToken", &r)))
	})
	t.Run("nil body", func(t *testing.T) {
		assert.Equal(t, []rp{{"", "required"}}, pairs(p.rules.Body("createLinkSession", (*moneykit.CreateLinkSessionRequest)(nil))))
		assert.Equal(t, []rp{{"", "required"}}, pairs(p.rules.Body("createLinkSession", nil)))
	})
	t.Run("body on an operation without one", func(t *testing.T) {
		assert.Equal(t, []rp{{"", "body"}}, pairs(p.rules.Body("getLink", &moneykit.UpdateLinkRequest{})))
		assert.Empty(t, p.rules.Body("getLink", nil))
	})
	t.Run("unknown operation", func(t *testing.T) {
		assert.Equal(t, []rp{{"", "operation"}}, pairs(p.rules.Body("NoSuchOperation", &moneykit.UpdateLinkRequest{})))
		assert.False(t, p.rules.HasOperation("NoSuchOperation"))
		assert.True(t, p.rules.HasOperation("createLinkSession"))
	})
}

func TestParams(t *testing.T) {
	mk := getProvider(t, "moneykit").rules
	lm := getProvider(t, "linkmoney").rules
	tests := []struct {
		name        string
		rules       *Rules
		op, param   string
		value       string
		want        []rp
		wantMessage string
	}{
		{"user id ok", mk, "getUserLinks", "id", "user-42", nil, ""},
		{"user id too short", mk, "getUserLinks", "id", "abc", []rp{{"path/id", "minLength"}}, "path parameter id must be 4 to 150 characters"},
		{"user id too long", mk, "getUserLinks", "id", strings.Repeat("a", 151), []rp{{"path/id", "maxLength"}}, ""},
		{"link id missing", mk, "getLink", "id", "", []rp{{"path/id", "required"}}, "path parameter id is required"},
		{"link id by location", mk, "deleteLink", "path/id", "", []rp{{"path/id", "required"}}, ""},
		{"version ok", mk, "getLink", "MoneyKit-Version", "2023-02-18", nil, ""},
		{"version unknown", mk, "updateLink", "MoneyKit-Version", "2020-01-01", []rp{{"header/MoneyKit-Version", "enum"}}, ""},
		{"version optional", mk, "getLink", "MoneyKit-Version", "", nil, ""},
		{"customer id missing", lm, "getCustomer", "customerId", "", []rp{{"path/customerId", "required"}}, ""},
		{"customer id ok", lm, "getCustomerAccounts", "customerId", "8c4d7b3e-4f5a-4b1c-9d2e-6f7a8b9c0d1e", nil, ""},
		{"unknown parameter", lm, "getCustomer", "nope", "x", []rp{{"parameter/nope", "unknown"}}, ""},
		{"unknown operation", lm, "Nope", "id", "x", []rp{{"", "operation"}}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.rules.Param(tc.op, tc.param, tc.value)
			if tc.want == nil {
				assert.Empty(t, got)
				return
			}
			assert.Equal(t, tc.want, pairs(got))
			if tc.wantMessage != "" {
				assert.Equal(t, tc.wantMessage, got[0].Message)
			}
		})
	}
}

func TestSessionRequestRules(t *testing.T) {
	p := getProvider(t, "linkmoney")
	amount := func(v string) linkmoney.Amount { return linkmoney.Amount{Value: json.Number(v), Currency: "USD"} }
	tests := []struct {
		name   string
		mutate func(r *linkmoney.SessionRequest)
		want   []rp
	}{
		{"valid", func(r *linkmoney.SessionRequest) {}, nil},
		{"minimal", func(r *linkmoney.SessionRequest) {
			*r = linkmoney.SessionRequest{FirstName: "J", LastName: "D", Email: "j@d.example", RedirectUrl: "https://m.example/r"}
		}, nil},
		{"required fields", func(r *linkmoney.SessionRequest) { *r = linkmoney.SessionRequest{} },
			[]rp{{"/email", "required"}, {"/firstName", "required"}, {"/lastName", "required"}, {"/redirectUrl", "required"}}},
		{"email", func(r *linkmoney.SessionRequest) { r.Email = "jane" }, []rp{{"/email", "format"}}},
		{"email too short", func(r *linkmoney.SessionRequest) { r.Email = "@a" }, []rp{{"/email", "format"}, {"/email", "minLength"}}},
		{"redirectUrl", func(r *linkmoney.SessionRequest) { r.RedirectUrl = "merchant.example/return" }, []rp{{"/redirectUrl", "format"}}},
		{"currency USD only", func(r *linkmoney.SessionRequest) { r.OrderDetails.TotalAmount.Currency = "EUR" },
			[]rp{{"/orderDetails/totalAmount/currency", "enum"}}},
		{"two decimals", func(r *linkmoney.SessionRequest) { r.OrderDetails.TotalAmount = amount("10.05") }, nil},
		{"three decimals", func(r *linkmoney.SessionRequest) { r.OrderDetails.TotalAmount = amount("10.001") },
			[]rp{{"/orderDetails/totalAmount/value", "decimalPlaces"}}},
		{"trailing zero still counts", func(r *linkmoney.SessionRequest) { r.PaymentDetails.Amount = amount("10.100") },
			[]rp{{"/paymentDetails/amount/value", "decimalPlaces"}}},
		{"exponent", func(r *linkmoney.SessionRequest) { r.OrderDetails.TotalAmount = amount("1e3") },
			[]rp{{"/orderDetails/totalAmount/value", "decimalPlaces"}}},
		{"sign", func(r *linkmoney.SessionRequest) { r.OrderDetails.TotalAmount = amount("-1") },
			[]rp{{"/orderDetails/totalAmount/value", "decimalPlaces"}}},
		{"not a number", func(r *linkmoney.SessionRequest) { r.OrderDetails.TotalAmount = amount("12,5") },
			[]rp{{"/orderDetails/totalAmount/value", "decimalPlaces"}}},
		{"leading zero", func(r *linkmoney.SessionRequest) { r.OrderDetails.TotalAmount = amount("012") },
			[]rp{{"/orderDetails/totalAmount/value", "decimalPlaces"}}},
		{"zero amount", func(r *linkmoney.SessionRequest) { r.OrderDetails.TotalAmount = amount("0.00") },
			[]rp{{"/orderDetails/totalAmount/value", "minimum"}}},
		{"empty amount value", func(r *linkmoney.SessionRequest) { r.OrderDetails.TotalAmount.Value = "" },
			[]rp{{"/orderDetails/totalAmount/value", "required"}}},
		{"zero totalAmount", func(r *linkmoney.SessionRequest) { r.OrderDetails.TotalAmount = linkmoney.Amount{} },
			[]rp{{"/orderDetails/totalAmount", "required"}}},
		{"item amount", func(r *linkmoney.SessionRequest) { (r.OrderDetails.Items)[0].Amount.Value = "1.234" },
			[]rp{{"/orderDetails/items/0/amount/value", "decimalPlaces"}}},
		{"item good type", func(r *linkmoney.SessionRequest) {
			(r.OrderDetails.Items)[0].GoodType = linkmoney.GoodType("SERVICE")
		},
			[]rp{{"/orderDetails/items/0/goodType", "enum"}}},
		{"subtotal alone", func(r *linkmoney.SessionRequest) {
			r.OrderDetails.DiscountAmount, r.OrderDetails.ShippingAmount, r.OrderDetails.TaxAmount = linkmoney.Amount{}, linkmoney.Amount{}, linkmoney.Amount{}
		}, nil},
		{"no subtotal and no extras", func(r *linkmoney.SessionRequest) {
			r.OrderDetails.SubtotalAmount, r.OrderDetails.DiscountAmount, r.OrderDetails.ShippingAmount, r.OrderDetails.TaxAmount = linkmoney.Amount{}, linkmoney.Amount{}, linkmoney.Amount{}, linkmoney.Amount{}
		}, nil},
		{"tax without subtotal", func(r *linkmoney.SessionRequest) {
			r.OrderDetails.SubtotalAmount, r.OrderDetails.DiscountAmount, r.OrderDetails.ShippingAmount = linkmoney.Amount{}, linkmoney.Amount{}, linkmoney.Amount{}
		}, []rp{{"/orderDetails/subtotalAmount", "requires"}}},
		{"three extras without subtotal", func(r *linkmoney.SessionRequest) { r.OrderDetails.SubtotalAmount = linkmoney.Amount{} },
			[]rp{{"/orderDetails/subtotalAmount", "requires"}, {"/orderDetails/subtotalAmount", "requires"}, {"/orderDetails/subtotalAmount", "requires"}}},
		{"softDescriptor 80 with spaces", func(r *linkmoney.SessionRequest) { r.PaymentDetails.SoftDescriptor = strings.Repeat("AB 1", 20) }, nil},
		{"softDescriptor 81", func(r *linkmoney.SessionRequest) { r.PaymentDetails.SoftDescriptor = strings.Repeat("A", 81) },
			[]rp{{"/paymentDetails/softDescriptor", "maxLength"}}},
		{"softDescriptor punctuation", func(r *linkmoney.SessionRequest) { r.PaymentDetails.SoftDescriptor = "ACME-1042" },
			[]rp{{"/paymentDetails/softDescriptor", "pattern"}}},
		{"customerProfile.id 128", func(r *linkmoney.SessionRequest) { r.CustomerProfile.Id = strings.Repeat("c", 128) }, nil},
		{"customerProfile.id 129", func(r *linkmoney.SessionRequest) { r.CustomerProfile.Id = strings.Repeat("c", 129) },
			[]rp{{"/customerProfile/id", "maxLength"}}},
		{"transactionCount negative", func(r *linkmoney.SessionRequest) { r.CustomerProfile.TransactionCount = ptr(-1) },
			[]rp{{"/customerProfile/transactionCount", "minimum"}}},
		{"transactionCount zero", func(r *linkmoney.SessionRequest) { r.CustomerProfile.TransactionCount = ptr(0) }, nil},
		{"timestamps are timestamp.Time", func(r *linkmoney.SessionRequest) {
			r.CustomerProfile.AccountCreationDate = timestamp.New(time.Now())
			r.CustomerProfile.FirstTransactionDate = timestamp.Time{}
		}, nil},
		{"paymentDetails without experienceId", func(r *linkmoney.SessionRequest) { r.ExperienceId = "" },
			[]rp{{"/experienceId", "requires"}}},
		{"paymentDetails with another experience", func(r *linkmoney.SessionRequest) {
			r.ExperienceId = linkmoney.ExperienceID("ONBOARD_WITH_PAY_NOW")
		},
			[]rp{{"/experienceId", "requires"}}},
		{"experience without paymentDetails", func(r *linkmoney.SessionRequest) {
			r.PaymentDetails = linkmoney.PaymentDetails{}
			r.ExperienceId = linkmoney.ExperienceID("ONBOARD_WITH_DONE")
		}, nil},
		{"unknown experience", func(r *linkmoney.SessionRequest) { r.ExperienceId = linkmoney.ExperienceID("LINK_MANAGED") },
			[]rp{{"/experienceId", "enum"}, {"/experienceId", "requires"}}},
		{"paymentDetails missing fields", func(r *linkmoney.SessionRequest) {
			r.PaymentDetails = linkmoney.PaymentDetails{ClientReferenceId: "order-1"}
		},
			[]rp{{"/paymentDetails/amount", "required"}, {"/paymentDetails/requestKey", "required"}}},
		{"product", func(r *linkmoney.SessionRequest) { r.Product = linkmoney.SessionProduct("BUY") }, []rp{{"/product", "enum"}}},
		{"billing address parts", func(r *linkmoney.SessionRequest) { r.BillingAddress = linkmoney.Address{City: "X"} },
			[]rp{{"/billingAddress/country", "required"}, {"/billingAddress/stateOrProvince", "required"}, {"/billingAddress/streetAddress", "required"}}},
		{"every violation", func(r *linkmoney.SessionRequest) {
			r.FirstName = ""
			r.OrderDetails.SubtotalAmount = linkmoney.Amount{}
			r.OrderDetails.TotalAmount.Value = "1.999"
			r.OrderDetails.ShippingAddress.PostalCode = ""
			r.OrderDetails.ShippingAddress.City = ""
			r.PaymentDetails.Amount.Currency = "CAD"
			r.ExperienceId = ""
		}, []rp{
			{"/experienceId", "requires"},
			{"/firstName", "required"},
			{"/orderDetails/shippingAddress/city", "required"},
			{"/orderDetails/subtotalAmount", "requires"},
			{"/orderDetails/subtotalAmount", "requires"},
			{"/orderDetails/subtotalAmount", "requires"},
			{"/orderDetails/totalAmount/value", "decimalPlaces"},
			{"/paymentDetails/amount/currency", "enum"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := p.decode(t, "createSession", p.bodies["createSession"]).(*linkmoney.SessionRequest)
			tc.mutate(r)
			got := p.rules.Body("createSession", r)
			if tc.want == nil {
				assert.Empty(t, got)
				return
			}
			assert.Equal(t, tc.want, pairs(got))
		})
	}
}

func TestMessages(t *testing.T) {
	mk := getProvider(t, "moneykit")
	lm := getProvider(t, "linkmoney")

	r := mk.decode(t, "createLinkSession", mk.bodies["createLinkSession"]).(*moneykit.CreateLinkSessionRequest)
	r.CustomerUser.Id = "abc"
	r.LinkTags = []string{"a", "b", "-c"}
	r.RedirectUri = "https://a.example/?q=1"
	got := mk.rules.Body("createLinkSession", r)
	require.Len(t, got, 3)
	assert.Equal(t, "customer_user.id must be 4 to 150 characters", got[0].Message)
	assert.Equal(t, "link_tags[2] must match the pattern ^[A-Za-z0-9]", got[1].Message)
	assert.Equal(t, "redirect_uri must not have query parameters or a fragment", got[2].Message)

	s := lm.decode(t, "createSession", lm.bodies["createSession"]).(*linkmoney.SessionRequest)
	s.OrderDetails.SubtotalAmount = linkmoney.Amount{}
	s.OrderDetails.DiscountAmount, s.OrderDetails.ShippingAmount = linkmoney.Amount{}, linkmoney.Amount{}
	s.ExperienceId = ""
	s.PaymentDetails.Amount.Value = "1.001"
	s.PaymentDetails.Amount.Currency = "EUR"
	got = lm.rules.Body("createSession", s)
	require.Len(t, got, 4)
	assert.Equal(t, "paymentDetails requires experienceId LINK_MANAGED_PAYMENT", got[0].Message)
	assert.Equal(t, "orderDetails.subtotalAmount is required when orderDetails.taxAmount is present", got[1].Message)
	assert.Equal(t, "paymentDetails.amount.currency must be one of USD", got[2].Message)
	assert.Equal(t, "paymentDetails.amount.value must have at most 2 decimal places", got[3].Message)

	err := &Error{Operation: "createSession", Violations: got}
	assert.Contains(t, err.Error(), "/orderDetails/subtotalAmount: orderDetails.subtotalAmount is required")
	assert.Contains(t, err.Error(), "/paymentDetails/amount/value: ")
}
