package validate

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/gen/linkmoney"
	"github.com/banklink/banklink/gen/moneykit"
)

// Distinctive PII-like values. Each is put where it breaks a rule, so the
// engine has to talk about it without repeating it.
const (
	piiEmail  = "jane.doe.pii@example.com"
	piiPhone  = "+15555550199"
	piiSecret = "SECRET-VALUE-123"
)

func TestMessagesNeverContainValues(t *testing.T) {
	mk := getProvider(t, "moneykit")
	lm := getProvider(t, "linkmoney")
	secrets := []string{piiEmail, piiPhone, piiSecret, "15555550199", "jane.doe.pii"}

	r := mk.decode(t, "createLinkSession", mk.bodies["createLinkSession"]).(*moneykit.CreateLinkSessionRequest)
	r.CustomerUser.Id = strings.Repeat(piiEmail, 7)               // maxLength
	r.CustomerUser.Email.Address = piiPhone                       // format
	r.CustomerUser.Phone.Number = piiSecret + piiSecret           // maxLength
	r.CustomerUser.Phone.Country = moneykit.Country(piiSecret)    // enum
	r.RedirectUri = "https://a.example/cb?email=" + piiEmail      // noQuery
	r.Webhook = piiEmail                                          // format
	r.LinkTags = []string{piiPhone, strings.Repeat(piiSecret, 7)} // pattern, maxLength
	r.Settings.Providers = []moneykit.Provider{piiSecret}         // enum
	mkGot := mk.rules.Body("createLinkSession", r)

	s := lm.decode(t, "createSession", lm.bodies["createSession"]).(*linkmoney.SessionRequest)
	s.Email = piiPhone                                                        // format
	s.RedirectUrl = piiEmail                                                  // format
	s.PaymentDetails.SoftDescriptor = piiSecret                               // pattern
	s.PaymentDetails.Amount.Value = json.Number("15555550199.123")            // decimalPlaces
	s.OrderDetails.TotalAmount.Value = json.Number("-15555550199")            // sign
	s.OrderDetails.TotalAmount.Currency = linkmoney.AmountCurrency(piiSecret) // enum
	s.CustomerProfile.Id = strings.Repeat(piiEmail, 6)                        // maxLength
	s.Product = linkmoney.SessionProduct(piiEmail)                            // enum
	s.ExperienceId = linkmoney.ExperienceID(piiSecret)                        // enum, requires
	lmGot := lm.rules.Body("createSession", s)

	params := append(mk.rules.Param("getUserLinks", "id", piiSecret+strings.Repeat("x", 150)),
		mk.rules.Param("getLink", "MoneyKit-Version", piiEmail)...)

	all := append(append(mkGot, lmGot...), params...)
	// Every planted value produced a violation...
	require.Len(t, mkGot, 9, "%v", mkGot)
	require.Len(t, lmGot, 10, "%v", lmGot)
	require.Len(t, params, 2)
	// ...and none of them is repeated.
	for _, v := range all {
		for _, secret := range secrets {
			assert.NotContains(t, v.Message, secret, "%+v", v)
			assert.NotContains(t, v.Path, secret, "%+v", v)
		}
		assert.NotEmpty(t, v.Rule)
		assert.NotEmpty(t, v.Message)
	}
	err := (&Error{Operation: "createSession", Violations: all}).Error()
	for _, secret := range secrets {
		assert.NotContains(t, err, secret)
	}
}
