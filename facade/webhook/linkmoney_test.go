package webhook

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const lmBody = `{"id":"wh-1","creationTime":"2026-03-01T12:00:00.000Z","eventType":"payment.failed","clientReferenceId":"order-9",` +
	`"resourceId":"pay-1","resourceType":"Payment","paymentType":"Debit","achReturnCode":"R01"}`

func TestLinkMoneyVerifierTable(t *testing.T) {
	clock := &fakeClock{now: t0}
	v, err := NewHMACVerifier("old-secret", "new-secret")
	require.NoError(t, err)
	v.Now = clock.Now
	body := []byte(lmBody)
	sign := func(secret string, at time.Time, b []byte) http.Header {
		return LinkMoneySignatureHeaders(secret, "uid-1", at, b)
	}
	without := func(h http.Header, k string) http.Header { h.Del(k); return h }
	with := func(h http.Header, k, val string) http.Header { h.Set(k, val); return h }

	cases := []struct {
		name   string
		header http.Header
		body   []byte
		want   error
	}{
		{"valid", sign("new-secret", t0, body), body, nil},
		{"valid with the older secret", sign("old-secret", t0, body), body, nil},
		{"valid at the edge of the window", sign("new-secret", t0.Add(-DefaultTolerance), body), body, nil},
		{"body tampered", sign("new-secret", t0, body), bytes.Replace(body, []byte("R01"), []byte("R02"), 1), ErrInvalidSignature},
		{"wrong secret", sign("guess", t0, body), body, ErrInvalidSignature},
		{"unique id swapped", with(sign("new-secret", t0, body), HeaderLinkMoneyUniqueID, "uid-2"), body, ErrInvalidSignature},
		{"timestamp swapped", with(sign("new-secret", t0, body), HeaderLinkMoneyTimestamp, "1772366401"), body, ErrInvalidSignature},
		{"signature not base64", with(sign("new-secret", t0, body), HeaderLinkMoneySignature, "%%%"), body, ErrInvalidSignature},
		{"timestamp not a number", with(sign("new-secret", t0, body), HeaderLinkMoneyTimestamp, "yesterday"), body, ErrInvalidSignature},
		{"stale timestamp", sign("new-secret", t0.Add(-DefaultTolerance-time.Second), body), body, ErrTooOld},
		{"future timestamp", sign("new-secret", t0.Add(DefaultTolerance+time.Second), body), body, ErrFromFuture},
		{"missing signature", without(sign("new-secret", t0, body), HeaderLinkMoneySignature), body, ErrMissingSignature},
		{"missing timestamp", without(sign("new-secret", t0, body), HeaderLinkMoneyTimestamp), body, ErrMissingSignature},
		{"missing unique id", without(sign("new-secret", t0, body), HeaderLinkMoneyUniqueID), body, ErrMissingSignature},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id, err := v.VerifyLinkMoney(tc.header, tc.body)
			if tc.want == nil {
				require.NoError(t, err)
				assert.Equal(t, "uid-1", id)
				return
			}
			require.ErrorIs(t, err, tc.want)
			assert.ErrorIs(t, err, ErrVerification)
			assert.NotContains(t, err.Error(), "secret")
		})
	}
	_, err = NewHMACVerifier()
	require.Error(t, err)
	_, err = NewHMACVerifier("")
	require.Error(t, err)
}

func TestLinkMoneyEventShapes(t *testing.T) {
	top, err := ParseLinkMoneyEvent([]byte(lmBody))
	require.NoError(t, err)
	nested, err := ParseLinkMoneyEvent([]byte(`{"id":"wh-1","creationTime":"2026-03-01T12:00:00.000Z","eventType":"payment.failed",` +
		`"metadata":{"clientReferenceId":"order-9","resourceId":"pay-1","resourceType":"Payment","paymentType":"Debit","achReturnCode":"R01"}}`))
	require.NoError(t, err)
	for _, ev := range []*LinkMoneyEvent{top, nested} {
		assert.Equal(t, PaymentFailed, ev.Type)
		assert.Equal(t, "wh-1", ev.ID)
		assert.Equal(t, "order-9", ev.ClientReferenceID)
		assert.Equal(t, "pay-1", ev.ResourceID)
		assert.Equal(t, "Payment", ev.ResourceType)
		assert.Equal(t, "Debit", ev.PaymentType)
		assert.Equal(t, "R01", ev.ACHReturnCode)
	}
	// Top level wins over metadata; unknown event types decode.
	ev, err := ParseLinkMoneyEvent([]byte(`{"eventType":"report.sent","resourceId":"top","metadata":{"resourceId":"nested","eventType":"x"}}`))
	require.NoError(t, err)
	assert.Equal(t, "report.sent", ev.Type)
	assert.Equal(t, "top", ev.ResourceID)
	// The event type may itself be nested.
	ev, err = ParseLinkMoneyEvent([]byte(`{"id":"w","metadata":{"eventType":"customer.activated","resourceId":"c1","resourceType":"Customer"}}`))
	require.NoError(t, err)
	assert.Equal(t, CustomerActivated, ev.Type)
	assert.Equal(t, "c1", ev.ResourceID)
	for _, bad := range []string{`{}`, `[1]`, `{"eventType":5}`, `{"metadata":"x","eventType":"a"}`} {
		_, err := ParseLinkMoneyEvent([]byte(bad))
		assert.ErrorIs(t, err, ErrMalformedPayload, bad)
	}
}
