package sandbox_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade/sandbox"
	"github.com/banklink/banklink/gen/linkmoney"
)

func basicOK() linkmoney.RequestEditorFn {
	return lmBasic(sandbox.LinkMoneyClientID, sandbox.LinkMoneyClientSecret)
}

func lmSessionRequest() linkmoney.SessionRequest {
	return linkmoney.SessionRequest{
		FirstName: "Jane", LastName: "Doe", Email: "jane.doe@example.com",
		RedirectUrl: "https://merchant.example/return?order=1",
	}
}

func amount(v string) linkmoney.Amount {
	return linkmoney.Amount{Value: json.Number(v), Currency: linkmoney.AmountCurrencyUSD}
}

// newCustomer creates a session and completes it, returning the customer id.
func newCustomer(t testing.TB, sb *sandbox.Sandbox, c *linkmoney.ClientWithResponses) string {
	t.Helper()
	res, err := c.CreateSessionWithResponse(context.Background(), lmSessionRequest(), basicOK())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	id, err := sb.CompleteSession(res.JSON200.SessionKey)
	require.NoError(t, err)
	return id
}

func debit(customerID, value, key string) linkmoney.PaymentRequest {
	return linkmoney.PaymentRequest{
		Source:      linkmoney.PaymentParty{Id: customerID, Type: linkmoney.PartyTypeCUSTOMER},
		Destination: linkmoney.PaymentParty{Id: "merchant-1", Type: linkmoney.PartyTypeMERCHANT},
		Amount:      amount(value),
		RequestKey:  key,
	}
}

func TestLinkMoneyTokens(t *testing.T) {
	sb := sandbox.Start(t)
	c := lmClient(t, sb)
	ctx := context.Background()

	res, err := c.CreateTokenWithFormdataBodyWithResponse(ctx, linkmoney.TokenRequest{
		ClientId: ptr(sandbox.LinkMoneyClientID), ClientSecret: sandbox.LinkMoneyClientSecret,
		GrantType: linkmoney.TokenRequestGrantTypeClientCredentials, Scope: ptr(linkmoney.TokenScopeLinkPayment),
	})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode())
	assert.Equal(t, "Bearer", res.JSON200.TokenType)
	assert.Equal(t, "Link-Payment", res.JSON200.Scope)
	assert.Equal(t, 3600, res.JSON200.ExpiresIn)
	assert.NotEmpty(t, res.JSON200.AccessToken)

	// Default scope.
	res, err = c.CreateTokenWithFormdataBodyWithResponse(ctx, linkmoney.TokenRequest{
		ClientId: ptr(sandbox.LinkMoneyClientID), ClientSecret: sandbox.LinkMoneyClientSecret, GrantType: linkmoney.TokenRequestGrantTypeClientCredentials,
	})
	require.NoError(t, err)
	assert.Equal(t, "Link-Core", res.JSON200.Scope)

	// Wrong secret.
	res, err = c.CreateTokenWithFormdataBodyWithResponse(ctx, linkmoney.TokenRequest{
		ClientId: ptr(sandbox.LinkMoneyClientID), ClientSecret: "nope", GrantType: linkmoney.TokenRequestGrantTypeClientCredentials,
	})
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, res.StatusCode())
	assert.Equal(t, "UNAUTHORIZED", res.JSON401.ErrorCode)
	assert.Equal(t, "ERROR", res.JSON401.ErrorSeverity)
	assert.NotZero(t, res.JSON401.ErrorId)

	// Malformed: wrong grant type and scope are 400 in Link Money's shape.
	for _, form := range []string{
		"client_id=lm_sandbox_client_id&client_secret=lm_sandbox_client_secret&grant_type=password",
		"client_id=lm_sandbox_client_id&client_secret=lm_sandbox_client_secret&grant_type=client_credentials&scope=Everything",
		"client_id=lm_sandbox_client_id&grant_type=client_credentials",
	} {
		r, b := rawDo(t, http.MethodPost, sb.LinkMoney().BaseURL+"/v1/tokens", "application/x-www-form-urlencoded", form, nil)
		require.Equal(t, http.StatusBadRequest, r.StatusCode, form)
		var e map[string]any
		require.NoError(t, json.Unmarshal(b, &e))
		assert.Equal(t, "BAD_REQUEST", e["errorCode"])
		assert.Equal(t, "ERROR", e["errorSeverity"])
		assert.NotContains(t, string(b), "lm_sandbox_client")
	}
}

func TestLinkMoneyTokenExpiry(t *testing.T) {
	cfg, _ := fakeClockConfig()
	cfg.TokenTTL = 10 * time.Second
	sb := sandbox.Start(t, cfg)
	c := lmClient(t, sb)
	cust := newCustomer(t, sb, c)
	tok := lmToken(t, c, linkmoney.TokenScopeLinkCore)
	res, err := c.GetCustomerWithResponse(context.Background(), cust, lmBearer(tok))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode())
	sb.Advance(10 * time.Second)
	res, err = c.GetCustomerWithResponse(context.Background(), cust, lmBearer(tok))
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, res.StatusCode())
	assert.Equal(t, "TOKEN_EXPIRED", res.JSON401.ErrorCode)
}

func TestLinkMoneySessionBasicAuth(t *testing.T) {
	sb := sandbox.Start(t)
	c := lmClient(t, sb)
	ctx := context.Background()
	for name, ed := range map[string][]linkmoney.RequestEditorFn{
		"none":         nil,
		"wrong secret": {lmBasic(sandbox.LinkMoneyClientID, "nope")},
		"bearer":       {lmBearer(lmToken(t, c, linkmoney.TokenScopeLinkCore))},
	} {
		t.Run(name, func(t *testing.T) {
			res, err := c.CreateSessionWithResponse(ctx, lmSessionRequest(), ed...)
			require.NoError(t, err)
			require.Equal(t, http.StatusUnauthorized, res.StatusCode())
			assert.Equal(t, "UNAUTHORIZED", res.JSON401.ErrorCode)
		})
	}
	res, err := c.CreateSessionWithResponse(ctx, lmSessionRequest(), basicOK())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode())
	key := res.JSON200.SessionKey
	assert.Regexp(t, regexp.MustCompile(`^[0-9a-f]{11}-[0-9a-f]{12}-[0-9a-f]{5}-[0-9a-f]{7}$`), key)
	u, err := url.Parse(res.JSON200.SessionUrl)
	require.NoError(t, err)
	// The sessionUrl is the sandbox's own hosted UI, with the real one's query.
	assert.Equal(t, sb.URL()+"/linkmoney/ui/", u.Scheme+"://"+u.Host+u.Path)
	assert.Equal(t, "https://merchant.example/return?order=1", u.Query().Get("redirect"))
	assert.Equal(t, "web-v1.0.0", u.Query().Get("version"))
	assert.Equal(t, key, u.Query().Get("sessionKey"))
	assert.Contains(t, res.JSON200.SessionUrl, "redirect="+url.QueryEscape("https://merchant.example/return?order=1"))
}

func TestLinkMoneySessionRules(t *testing.T) {
	sb := sandbox.Start(t)
	c := lmClient(t, sb)
	ctx := context.Background()
	expectBad := func(t *testing.T, req linkmoney.SessionRequest, want string) {
		t.Helper()
		res, err := c.CreateSessionWithResponse(ctx, req, basicOK())
		require.NoError(t, err)
		require.Equal(t, http.StatusBadRequest, res.StatusCode(), string(res.Body))
		assert.Equal(t, "BAD_REQUEST", res.JSON400.ErrorCode)
		assert.Contains(t, res.JSON400.ErrorMessage, want)
		assert.NotContains(t, string(res.Body), "jane.doe", "errors must not echo personal data")
	}
	pd := linkmoney.PaymentDetails{Amount: amount("25.00"), RequestKey: "rk-session"}

	t.Run("paymentDetails needs LINK_MANAGED_PAYMENT", func(t *testing.T) {
		req := lmSessionRequest()
		req.PaymentDetails = pd
		expectBad(t, req, "body.experienceId")
		req.ExperienceId = linkmoney.ExperienceIDONBOARDWITHPAYNOW
		expectBad(t, req, "body.experienceId")
	})
	t.Run("LINK_MANAGED_PAYMENT needs paymentDetails", func(t *testing.T) {
		req := lmSessionRequest()
		req.ExperienceId = linkmoney.ExperienceIDLINKMANAGEDPAYMENT
		expectBad(t, req, "paymentDetails")
	})
	t.Run("subtotal rule", func(t *testing.T) {
		req := lmSessionRequest()
		req.OrderDetails = linkmoney.OrderDetails{TotalAmount: amount("25.00"), ShippingAmount: amount("5.00")}
		expectBad(t, req, "body.orderDetails.subtotalAmount")
		req.OrderDetails.SubtotalAmount = amount("20.00")
		res, err := c.CreateSessionWithResponse(ctx, req, basicOK())
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	})
	t.Run("schema", func(t *testing.T) {
		req := lmSessionRequest()
		req.Email = "jane.doe-at-example"
		req.FirstName = ""
		expectBad(t, req, "body.email")
		req = lmSessionRequest()
		req.OrderDetails = linkmoney.OrderDetails{TotalAmount: amount("25.001")}
		expectBad(t, req, "body.orderDetails.totalAmount.value: Input should have at most 2 decimal places")
		req.OrderDetails = linkmoney.OrderDetails{TotalAmount: linkmoney.Amount{Value: "25", Currency: "EUR"}}
		expectBad(t, req, "body.orderDetails.totalAmount.currency")
		req = lmSessionRequest()
		req.BillingAddress = linkmoney.Address{StreetAddress: "1 Main St", City: "Springfield", Country: "US"}
		expectBad(t, req, "body.billingAddress.stateOrProvince: String should have at least 1 characters")
	})
}

func TestLinkMoneyCustomers(t *testing.T) {
	sb := sandbox.Start(t)
	c := lmClient(t, sb)
	ctx := context.Background()
	cust := newCustomer(t, sb, c)
	assert.Len(t, cust, 36)
	core := lmToken(t, c, linkmoney.TokenScopeLinkCore)

	res, err := c.GetCustomerWithResponse(ctx, cust, lmBearer(core))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode())
	cu := res.JSON200
	assert.Equal(t, cust, cu.Id)
	assert.Equal(t, "Jane", cu.FirstName)
	assert.Equal(t, "jane.doe@example.com", cu.Email)
	assert.Equal(t, linkmoney.CustomerStatusACTIVE, cu.CustomerStatus)
	assert.True(t, cu.AccountDetails.Preferred)
	assert.Regexp(t, `^\d{4}$`, cu.AccountDetails.AccountLastFourDigits)
	_, err = time.Parse("2006-01-02T15:04:05.000Z", cu.CreationDate.String())
	assert.NoError(t, err)

	ar, err := c.GetCustomerAccountsWithResponse(ctx, cust, lmBearer(core))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, ar.StatusCode())
	assert.Equal(t, cust, ar.JSON200.CustomerId)
	accts := ar.JSON200.AccountDetails
	require.Len(t, accts, 2)
	assert.Equal(t, linkmoney.AccountTypeChecking, accts[0].AccountType)
	assert.Equal(t, linkmoney.AccountTypeSavings, accts[1].AccountType)
	for _, a := range accts {
		assert.True(t, abaValid(a.RoutingNumber), a.RoutingNumber)
		assert.NotZero(t, a.AccountId)
		assert.Equal(t, "FinBank Profiles - A", a.FinancialInstitutionName)
	}

	nf, err := c.GetCustomerWithResponse(ctx, "8c4d7b3e-4f5a-4b1c-9d2e-6f7a8b9c0d1e", lmBearer(core))
	require.NoError(t, err)
	require.Equal(t, http.StatusNotFound, nf.StatusCode())
	assert.Equal(t, "NOT_FOUND", nf.JSON404.ErrorCode)
	nfa, err := c.GetCustomerAccountsWithResponse(ctx, "nope", lmBearer(core))
	require.NoError(t, err)
	assert.Equal(t, http.StatusNotFound, nfa.StatusCode())

	// A session completes once.
	_, err = sb.CompleteSession("nope")
	assert.ErrorIs(t, err, sandbox.ErrUnknownSession)
}

// abaValid checks an ABA routing number's check digit.
func abaValid(s string) bool {
	if len(s) != 9 {
		return false
	}
	w := []int{3, 7, 1}
	sum := 0
	for i, r := range s {
		if r < '0' || r > '9' {
			return false
		}
		sum += int(r-'0') * w[i%3]
	}
	return sum%10 == 0
}

func TestLinkMoneyScopes(t *testing.T) {
	sb := sandbox.Start(t)
	c := lmClient(t, sb)
	ctx := context.Background()
	cust := newCustomer(t, sb, c)
	core := lmToken(t, c, linkmoney.TokenScopeLinkCore)
	pay := lmToken(t, c, linkmoney.TokenScopeLinkPayment)

	res, err := c.GetCustomerWithResponse(ctx, cust, lmBearer(pay))
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, res.StatusCode())
	assert.Equal(t, "INVALID_SCOPE", res.JSON401.ErrorCode)

	pr, err := c.CreatePaymentWithResponse(ctx, debit(cust, "10.00", "rk-scope"), lmBearer(core))
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, pr.StatusCode())
	assert.Equal(t, "INVALID_SCOPE", pr.JSON401.ErrorCode)

	pr, err = c.CreatePaymentWithResponse(ctx, debit(cust, "10.00", "rk-scope"), lmBearer("junk"))
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, pr.StatusCode())
	assert.Equal(t, "UNAUTHORIZED", pr.JSON401.ErrorCode)

	// The request key was not used by the rejected calls.
	pr, err = c.CreatePaymentWithResponse(ctx, debit(cust, "10.00", "rk-scope"), lmBearer(pay))
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, pr.StatusCode(), string(pr.Body))
}

func TestLinkMoneyPayments(t *testing.T) {
	sb := sandbox.Start(t)
	c := lmClient(t, sb)
	ctx := context.Background()
	cust := newCustomer(t, sb, c)
	pay := lmToken(t, c, linkmoney.TokenScopeLinkPayment)
	do := func(req linkmoney.PaymentRequest) *linkmoney.CreatePaymentResult {
		t.Helper()
		res, err := c.CreatePaymentWithResponse(ctx, req, lmBearer(pay))
		require.NoError(t, err)
		return res
	}

	req := debit(cust, "25.00", "rk-1")
	req.ClientReferenceId = "order-1042"
	req.SoftDescriptor = "ACME ORDER 1042"
	res := do(req)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	assert.Equal(t, linkmoney.PaymentStatusAUTHORIZED, res.JSON200.PaymentStatus)
	assert.Equal(t, "order-1042", res.JSON200.ClientReferenceId)
	assert.Len(t, res.JSON200.PaymentId, 36)
	assert.Zero(t, res.JSON200.ErrorDetails)

	res = do(debit(cust, "9000.00", "rk-2"))
	assert.Equal(t, linkmoney.PaymentStatusPENDING, res.JSON200.PaymentStatus)

	res = do(debit(cust, "9000.01", "rk-3"))
	require.Equal(t, http.StatusOK, res.StatusCode())
	assert.Equal(t, linkmoney.PaymentStatusTERMINALFAILED, res.JSON200.PaymentStatus)
	assert.Equal(t, "PAYMENT_DECLINED", res.JSON200.ErrorDetails.ErrorCode)
	assert.Equal(t, "Transaction amount is greater than the limit.", res.JSON200.ErrorDetails.ErrorMessage)

	// Duplicate requestKey, even with another amount.
	res = do(debit(cust, "1.00", "rk-1"))
	require.Equal(t, http.StatusBadRequest, res.StatusCode())
	assert.Equal(t, "DUPLICATE_REQUEST_KEY", res.JSON400.ErrorCode)

	// Credits: merchant to customer.
	credit := linkmoney.PaymentRequest{
		Source:      linkmoney.PaymentParty{Id: "merchant-1", Type: linkmoney.PartyTypeMERCHANT},
		Destination: linkmoney.PaymentParty{Id: cust, Type: linkmoney.PartyTypeCUSTOMER},
		Amount:      amount("5.5"), RequestKey: "rk-credit",
	}
	assert.Equal(t, http.StatusOK, do(credit).StatusCode())

	// Bad parties, unknown and inactive customers.
	bad := debit(cust, "1.00", "rk-bad")
	bad.Destination.Type = linkmoney.PartyTypeCUSTOMER
	res = do(bad)
	require.Equal(t, http.StatusBadRequest, res.StatusCode())
	assert.Equal(t, "INVALID_PAYMENT", res.JSON400.ErrorCode)
	res = do(debit("8c4d7b3e-4f5a-4b1c-9d2e-6f7a8b9c0d1e", "1.00", "rk-nocust"))
	require.Equal(t, http.StatusBadRequest, res.StatusCode())
	assert.Equal(t, "CUSTOMER_NOT_FOUND", res.JSON400.ErrorCode)
	require.NoError(t, sb.SetCustomerStatus(cust, "INACTIVE"))
	res = do(debit(cust, "1.00", "rk-inactive"))
	require.Equal(t, http.StatusBadRequest, res.StatusCode())
	assert.Equal(t, "CUSTOMER_NOT_ACTIVE", res.JSON400.ErrorCode)
	require.NoError(t, sb.SetCustomerStatus(cust, "ACTIVE"))
	assert.Equal(t, http.StatusOK, do(debit(cust, "1.00", "rk-inactive")).StatusCode())
	assert.ErrorIs(t, sb.SetCustomerStatus("nope", "ACTIVE"), sandbox.ErrUnknownCustomer)
	assert.Error(t, sb.SetCustomerStatus(cust, "HAPPY"))

	// Validation: amounts, currency, softDescriptor.
	for name, mut := range map[string]func(*linkmoney.PaymentRequest){
		"three decimals": func(p *linkmoney.PaymentRequest) { p.Amount.Value = "1.005" },
		"zero":           func(p *linkmoney.PaymentRequest) { p.Amount.Value = "0" },
		"negative":       func(p *linkmoney.PaymentRequest) { p.Amount.Value = "-5.00" },
		"currency":       func(p *linkmoney.PaymentRequest) { p.Amount.Currency = "EUR" },
		"descriptor":     func(p *linkmoney.PaymentRequest) { p.SoftDescriptor = "ORDER #1" },
		"empty key":      func(p *linkmoney.PaymentRequest) { p.RequestKey = "" },
	} {
		t.Run(name, func(t *testing.T) {
			p := debit(cust, "1.00", "rk-v-"+name)
			mut(&p)
			res := do(p)
			require.Equal(t, http.StatusBadRequest, res.StatusCode(), string(res.Body))
			assert.Equal(t, "BAD_REQUEST", res.JSON400.ErrorCode)
			assert.True(t, strings.HasPrefix(res.JSON400.ErrorMessage, "Invalid request: body."), res.JSON400.ErrorMessage)
		})
	}
}

func TestLinkMoneyRefunds(t *testing.T) {
	sb := sandbox.Start(t)
	c := lmClient(t, sb)
	ctx := context.Background()
	cust := newCustomer(t, sb, c)
	pay := lmToken(t, c, linkmoney.TokenScopeLinkPayment)
	pr, err := c.CreatePaymentWithResponse(ctx, debit(cust, "100.00", "rk-p"), lmBearer(pay))
	require.NoError(t, err)
	pid := pr.JSON200.PaymentId
	refund := func(paymentID, value, key string) *linkmoney.CreateRefundResult {
		t.Helper()
		res, err := c.CreateRefundWithResponse(ctx, linkmoney.RefundRequest{
			PaymentId: paymentID, Amount: amount(value), RequestKey: key, ClientReferenceId: "refund-" + key,
		}, lmBearer(pay))
		require.NoError(t, err)
		return res
	}

	res := refund(pid, "60.00", "rk-r1")
	require.Equal(t, http.StatusCreated, res.StatusCode(), string(res.Body))
	assert.Equal(t, linkmoney.PaymentStatusPENDING, res.JSON201.PaymentStatus)
	assert.Equal(t, "refund-rk-r1", res.JSON201.ClientReferenceId)
	assert.NotEqual(t, pid, res.JSON201.PaymentId)

	res = refund(pid, "40.01", "rk-r2")
	require.Equal(t, http.StatusBadRequest, res.StatusCode())
	assert.Equal(t, "INVALID_REFUND", res.JSON400.ErrorCode)

	res = refund(pid, "40.00", "rk-r2")
	require.Equal(t, http.StatusCreated, res.StatusCode())
	res = refund(pid, "0.01", "rk-r3")
	require.Equal(t, http.StatusBadRequest, res.StatusCode())

	// Duplicate keys, shared with payments.
	res = refund(pid, "1.00", "rk-r1")
	require.Equal(t, http.StatusBadRequest, res.StatusCode())
	assert.Equal(t, "DUPLICATE_REQUEST_KEY", res.JSON400.ErrorCode)
	res = refund(pid, "1.00", "rk-p")
	assert.Equal(t, "DUPLICATE_REQUEST_KEY", res.JSON400.ErrorCode)

	res = refund("8c4d7b3e-4f5a-4b1c-9d2e-6f7a8b9c0d1e", "1.00", "rk-r4")
	require.Equal(t, http.StatusNotFound, res.StatusCode())
	assert.Equal(t, "NOT_FOUND", res.JSON404.ErrorCode)

	// A failed payment cannot be refunded.
	fr, err := c.CreatePaymentWithResponse(ctx, debit(cust, "9500.00", "rk-fail"), lmBearer(pay))
	require.NoError(t, err)
	res = refund(fr.JSON200.PaymentId, "1.00", "rk-r5")
	require.Equal(t, http.StatusBadRequest, res.StatusCode())
	assert.Equal(t, "INVALID_REFUND", res.JSON400.ErrorCode)

	// Refunds need a Link-Payment token.
	core := lmToken(t, c, linkmoney.TokenScopeLinkCore)
	rr, err := c.CreateRefundWithResponse(ctx, linkmoney.RefundRequest{PaymentId: pid, Amount: amount("1.00"), RequestKey: "rk-r6"}, lmBearer(core))
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, rr.StatusCode())
}

func TestLinkMoneyManagedPaymentSession(t *testing.T) {
	sb := sandbox.Start(t)
	c := lmClient(t, sb)
	ctx := context.Background()
	req := lmSessionRequest()
	req.ExperienceId = linkmoney.ExperienceIDLINKMANAGEDPAYMENT
	req.PaymentDetails = linkmoney.PaymentDetails{Amount: amount("25.00"), RequestKey: "rk-managed", ClientReferenceId: "order-7"}
	res, err := c.CreateSessionWithResponse(ctx, req, basicOK())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))

	r, b := postJSON(t, sb.URL()+"/_sandbox/linkmoney/complete", map[string]string{"sessionKey": res.JSON200.SessionKey})
	require.Equal(t, http.StatusOK, r.StatusCode, string(b))
	var out struct{ CustomerID, PaymentID string }
	require.NoError(t, json.Unmarshal(b, &out))
	assert.Len(t, out.CustomerID, 36)
	assert.Len(t, out.PaymentID, 36)

	// The payment used the session's requestKey.
	pay := lmToken(t, c, linkmoney.TokenScopeLinkPayment)
	pr, err := c.CreatePaymentWithResponse(ctx, debit(out.CustomerID, "1.00", "rk-managed"), lmBearer(pay))
	require.NoError(t, err)
	assert.Equal(t, "DUPLICATE_REQUEST_KEY", pr.JSON400.ErrorCode)
	rf, err := c.CreateRefundWithResponse(ctx, linkmoney.RefundRequest{PaymentId: out.PaymentID, Amount: amount("25.00"), RequestKey: "rk-managed-refund"}, lmBearer(pay))
	require.NoError(t, err)
	assert.Equal(t, http.StatusCreated, rf.StatusCode(), string(rf.Body))

	// A new session with the used key is refused; so is completing twice.
	res2, err := c.CreateSessionWithResponse(ctx, req, basicOK())
	require.NoError(t, err)
	require.Equal(t, http.StatusBadRequest, res2.StatusCode())
	assert.Equal(t, "DUPLICATE_REQUEST_KEY", res2.JSON400.ErrorCode)
	r, _ = postJSON(t, sb.URL()+"/_sandbox/linkmoney/complete", map[string]string{"sessionKey": res.JSON200.SessionKey})
	assert.Equal(t, http.StatusConflict, r.StatusCode)
	r, _ = postJSON(t, sb.URL()+"/_sandbox/linkmoney/complete", map[string]string{"sessionKey": "nope"})
	assert.Equal(t, http.StatusNotFound, r.StatusCode)

	// The request log carries the requestKey.
	var seen bool
	for _, q := range sb.Requests() {
		if q.Operation == "createSession" && q.RequestKey == "rk-managed" {
			seen = true
		}
	}
	assert.True(t, seen, "%+v", sb.Requests())
}

func TestLinkMoneyCustomerStatusOverHTTP(t *testing.T) {
	sb := sandbox.Start(t)
	c := lmClient(t, sb)
	cust := newCustomer(t, sb, c)
	r, b := postJSON(t, sb.URL()+"/_sandbox/linkmoney/customers/"+cust+"/status", map[string]string{"customerStatus": "INACTIVE"})
	require.Equal(t, http.StatusNoContent, r.StatusCode, string(b))
	res, err := c.GetCustomerWithResponse(context.Background(), cust, lmBearer(lmToken(t, c, linkmoney.TokenScopeLinkCore)))
	require.NoError(t, err)
	assert.Equal(t, linkmoney.CustomerStatusINACTIVE, res.JSON200.CustomerStatus)
}
