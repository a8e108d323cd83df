package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/gen/linkmoney"
	"github.com/banklink/banklink/gen/moneykit"
)

// exampleJSON returns the spec example at ptr, encoded as JSON.
func exampleJSON(t *testing.T, ptr string) []byte {
	t.Helper()
	b, err := json.Marshal(lookup(t, loadSpec(t), ptr))
	require.NoError(t, err)
	return b
}

// roundTrip decodes data into a fresh T, re-encodes it, and requires the same
// JSON fields and values back.
func roundTrip[T any](t *testing.T, data []byte) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields() // every field of the example must have a home in the type
	require.NoError(t, dec.Decode(&v))
	out, err := json.Marshal(v)
	require.NoError(t, err)
	require.JSONEq(t, string(data), string(out))
	return v
}

func TestSeedExamplesRoundTrip(t *testing.T) {
	t.Run("MoneyKit link mk_eqkWN34UEoa2NxyALG8pcV", func(t *testing.T) {
		link := roundTrip[moneykit.LinkCommon](t, exampleJSON(t, "/components/schemas/LinkCommon/example"))
		assert.Equal(t, "mk_eqkWN34UEoa2NxyALG8pcV", link.LinkId)
		assert.Equal(t, moneykit.PublicLinkStateConnected, link.State)
		assert.Equal(t, moneykit.ProviderAkoya, link.Provider)
		assert.Equal(t, "2023-02-16T09:14:11", link.LastSyncedAt.String(), "the documented timestamp has no offset and is kept as received")
		assert.Equal(t, time.Date(2023, 2, 16, 9, 14, 11, 0, time.UTC), link.LastSyncedAt.Time(), "an offset-less timestamp is UTC")
		assert.Equal(t, "2023-02-16T09:14:11Z", link.Products.Accounts.RefreshedAt.String(), "an RFC 3339 timestamp is kept as received")
	})
	t.Run("MoneyKit create-link-session request", func(t *testing.T) {
		req := roundTrip[moneykit.CreateLinkSessionRequest](t, exampleJSON(t, "/components/schemas/CreateLinkSessionRequest/example"))
		assert.Equal(t, "https://yourdomain.com/oauth.html", req.RedirectUri)
		assert.Equal(t, "c7318ff7-257c-490e-8242-03a815b223b7", req.InstitutionId)
	})
	t.Run("Link Money session response", func(t *testing.T) {
		s := roundTrip[linkmoney.SessionResponse](t, exampleJSON(t, "/components/schemas/SessionResponse/example"))
		assert.Equal(t, "a5292de413e-2626d8244239-879a9-ffbdfa2", s.SessionKey)
	})
	t.Run("Link Money session request", func(t *testing.T) {
		s := roundTrip[linkmoney.SessionRequest](t, exampleJSON(t, "/components/schemas/SessionRequest/example"))
		assert.Equal(t, json.Number("25"), s.PaymentDetails.Amount.Value)
		assert.Equal(t, linkmoney.ExperienceIDLINKMANAGEDPAYMENT, s.ExperienceId)
	})
	t.Run("Link Money error", func(t *testing.T) {
		e := roundTrip[linkmoney.LinkMoneyError](t, exampleJSON(t, "/components/schemas/LinkMoneyError/example"))
		assert.EqualValues(t, 10003, e.ErrorId)
	})
	t.Run("MoneyKit documented error defaults", func(t *testing.T) {
		e := roundTrip[moneykit.LinkErrorNotFoundResponse](t, []byte(`{"error_code":"link_error.not_found","error_message":"Link not found."}`))
		assert.Equal(t, moneykit.LinkErrorNotFoundResponseErrorCodeLinkErrorNotFound, e.ErrorCode)
		bad := roundTrip[moneykit.LinkErrorBadStateResponse](t, []byte(`{"error_code":"link_error.bad_state","error_message":"Link error.","link_error_code":"auth_expired","documentation_url":"https://docs.moneykit.com"}`))
		assert.Equal(t, "auth_expired", bad.LinkErrorCode)
	})
}

// Amounts keep their exact decimal text through a round trip: no float drift.
func TestAmountKeepsDecimalText(t *testing.T) {
	a := roundTrip[linkmoney.Amount](t, []byte(`{"value":0.10,"currency":"USD"}`))
	assert.Equal(t, json.Number("0.10"), a.Value)
	out, err := json.Marshal(linkmoney.Amount{Value: "19.99", Currency: linkmoney.AmountCurrencyUSD})
	require.NoError(t, err)
	assert.Equal(t, `{"currency":"USD","value":19.99}`, string(out))
}

// A provider may add enum values at any time. Responses carrying values this
// version does not list still decode, keep the value, and report it as not Valid.
func TestUnknownEnumValuesDecode(t *testing.T) {
	body := `{"link_id":"mk_1","institution_id":"i","institution_name":"n","institution_avatar":"a",
		"state":"reauthorizing","error_code":"brand_new_error","provider":"newprovider",
		"products":{"accounts":{"error_code":"quota"}},"available_products":["payments","accounts"]}`
	resp := &http.Response{
		StatusCode: 200,
		Header:     http.Header{"Content-Type": []string{"application/json"}},
		Body:       io.NopCloser(bytes.NewBufferString(body)),
	}
	res, err := moneykit.ParseGetLinkResult(resp)
	require.NoError(t, err)
	link := res.JSON200
	require.NotNil(t, link)
	assert.Equal(t, moneykit.PublicLinkState("reauthorizing"), link.State)
	assert.False(t, link.State.Valid())
	assert.Equal(t, moneykit.Provider("newprovider"), link.Provider)
	assert.Equal(t, moneykit.PublicLinkError("brand_new_error"), link.ErrorCode)
	assert.Equal(t, []moneykit.Product{"payments", moneykit.ProductAccounts}, link.AvailableProducts)
	assert.False(t, link.AvailableProducts[0].Valid())
	assert.True(t, link.AvailableProducts[1].Valid())

	var pay linkmoney.PaymentResponse
	require.NoError(t, json.Unmarshal([]byte(`{"paymentId":"p1","paymentStatus":"SCHEDULED"}`), &pay))
	assert.Equal(t, linkmoney.PaymentStatus("SCHEDULED"), pay.PaymentStatus)
	assert.False(t, pay.PaymentStatus.Valid())

	var cust linkmoney.Customer
	require.NoError(t, json.Unmarshal([]byte(`{"id":"c1","customerStatus":"SUSPENDED","accountDetails":{"accountType":"brokerage"}}`), &cust))
	assert.Equal(t, linkmoney.CustomerStatus("SUSPENDED"), cust.CustomerStatus)
	assert.Equal(t, linkmoney.AccountType("brokerage"), cust.AccountDetails.AccountType)
}
