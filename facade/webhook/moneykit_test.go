package webhook

import (
	"bytes"
	"crypto/x509"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMoneyKitVerifierTable(t *testing.T) {
	clock := &fakeClock{now: t0}
	k1 := newKey(t, "k1")
	srv := newJWKSServer(t, k1)
	v := newVerifier(t, srv, clock)
	require.EqualValues(t, 1, srv.fetches.Load(), "the JWKS is fetched once at start")
	body := []byte(mkBody)

	pubDER, err := x509.MarshalPKIXPublicKey(&k1.priv.PublicKey)
	require.NoError(t, err)
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, validClaims(body, t0))
	hs.Header["kid"] = "k1"
	hsTok, err := hs.SignedString(pubDER)
	require.NoError(t, err)
	none := jwt.NewWithClaims(jwt.SigningMethodNone, validClaims(body, t0))
	none.Header["kid"] = "k1"
	noneTok, err := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	require.NoError(t, err)
	noIat := validClaims(body, t0)
	delete(noIat, "iat")
	noIss := validClaims(body, t0)
	delete(noIss, "iss")
	wrongIss := validClaims(body, t0)
	wrongIss["iss"] = "https://evil.example"
	badDigest := validClaims(body, t0)
	badDigest["request_body_sha256"] = "not-hex"

	cases := []struct {
		name string
		sig  string
		body []byte
		want error
	}{
		{"valid", mkToken(t, k1, validClaims(body, t0)), body, nil},
		{"valid without iss", mkToken(t, k1, noIss), body, nil},
		{"valid at the maximum age", mkToken(t, k1, validClaims(body, t0.Add(-DefaultMaxAge))), body, nil},
		{"body tampered", mkToken(t, k1, validClaims(body, t0)), bytes.Replace(body, []byte("connected"), []byte("deleted!!"), 1), ErrBodyMismatch},
		{"digest not hex", mkToken(t, k1, badDigest), body, ErrBodyMismatch},
		{"alg none", noneTok, body, ErrInvalidSignature},
		{"alg HS256 with the public key as secret", hsTok, body, ErrInvalidSignature},
		{"stale iat", mkToken(t, k1, validClaims(body, t0.Add(-DefaultMaxAge-time.Second))), body, ErrTooOld},
		{"future iat", mkToken(t, k1, validClaims(body, t0.Add(DefaultFutureLeeway+time.Second))), body, ErrFromFuture},
		{"no iat", mkToken(t, k1, noIat), body, ErrInvalidSignature},
		{"wrong iss", mkToken(t, k1, wrongIss), body, ErrIssuer},
		{"missing header", "", body, ErrMissingSignature},
		{"garbage header", "not.a.jwt", body, ErrInvalidSignature},
		{"signed by another key with a known kid", mkToken(t, testKey{kid: "k1", priv: newKey(t, "x").priv}, validClaims(body, t0)), body, ErrInvalidSignature},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := v.Verify(mkHeader(tc.sig), tc.body)
			if tc.want == nil {
				require.NoError(t, err)
				assert.Equal(t, LinkStateChanged, ev.Type)
				require.NotNil(t, ev.LinkStateChanged)
				assert.Equal(t, "connected", ev.LinkStateChanged.State)
				assert.Equal(t, "idem-1", ev.IdempotencyKey)
				assert.Equal(t, "dt-1", ev.DeliveryToken)
				return
			}
			require.ErrorIs(t, err, tc.want)
			assert.ErrorIs(t, err, ErrVerification)
			assert.Nil(t, ev)
			if tc.sig != "" {
				assert.NotContains(t, err.Error(), tc.sig)
			}
		})
	}
	assert.EqualValues(t, 1, srv.fetches.Load(), "no case with a known kid refetched the JWKS")
}

func TestMoneyKitUnknownKidRefetchesOnceThenIsRateLimited(t *testing.T) {
	clock := &fakeClock{now: t0}
	k1, k2, k3 := newKey(t, "k1"), newKey(t, "k2"), newKey(t, "k3")
	srv := newJWKSServer(t, k1)
	v := newVerifier(t, srv, clock)
	body := []byte(mkBody)

	// MoneyKit rotates to k2: the first token with kid k2 refetches once.
	srv.publish(k2)
	_, err := v.Verify(mkHeader(mkToken(t, k2, validClaims(body, t0))), body)
	require.NoError(t, err)
	assert.EqualValues(t, 2, srv.fetches.Load(), "exactly one refetch for the new kid")

	// A second unknown kid within 5 minutes is rejected without a fetch,
	// even though the JWKS now has it.
	srv.publish(k3)
	_, err = v.Verify(mkHeader(mkToken(t, k3, validClaims(body, t0))), body)
	require.ErrorIs(t, err, ErrUnknownKey)
	assert.EqualValues(t, 2, srv.fetches.Load(), "no refetch inside the rate limit")

	// Both cached keys keep working without fetches.
	for _, k := range []testKey{k1, k2} {
		_, err = v.Verify(mkHeader(mkToken(t, k, validClaims(body, t0))), body)
		require.NoError(t, err)
	}
	assert.EqualValues(t, 2, srv.fetches.Load())
}

func TestMoneyKitTokenWithoutKidIsRejected(t *testing.T) {
	clock := &fakeClock{now: t0}
	k1 := newKey(t, "k1")
	srv := newJWKSServer(t, k1)
	v := newVerifier(t, srv, clock)
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, validClaims([]byte(mkBody), t0))
	s, err := tok.SignedString(k1.priv)
	require.NoError(t, err)
	_, err = v.Verify(mkHeader(s), []byte(mkBody))
	require.ErrorIs(t, err, ErrUnknownKey)
}

func TestMoneyKitVerifierOptions(t *testing.T) {
	t.Setenv("MONEYKIT_CLIENT_ID", "")
	_, err := NewMoneyKitVerifier(MoneyKitOptions{BaseURL: "https://api.example"})
	require.ErrorContains(t, err, "ClientID")
	_, err = NewMoneyKitVerifier(MoneyKitOptions{BaseURL: "http://api.example", ClientID: "c"})
	require.ErrorContains(t, err, "https")
}

func TestMoneyKitVerifierStopsItsGoroutinesOnClose(t *testing.T) {
	before := goleak.IgnoreCurrent()
	k1 := newKey(t, "k1")
	srv := newJWKSServer(t, k1)
	clock := &fakeClock{now: t0}
	v, err := NewMoneyKitVerifier(MoneyKitOptions{BaseURL: srv.URL, ClientID: "client-1", Now: clock.Now, RefreshInterval: time.Hour})
	require.NoError(t, err)
	_, err = v.Verify(mkHeader(mkToken(t, k1, validClaims([]byte(mkBody), t0))), []byte(mkBody))
	require.NoError(t, err)
	require.NoError(t, v.Close())
	srv.Close()
	goleak.VerifyNone(t, before)
	_, err = v.Verify(mkHeader(mkToken(t, k1, validClaims([]byte(mkBody), t0))), []byte(mkBody))
	require.Error(t, err, "a closed verifier verifies nothing")
}

func TestMoneyKitUnknownEventDecodesAsGeneric(t *testing.T) {
	body := []byte(`{"webhook_event":"product.state_changed","webhook_idempotency_key":"k","link_id":"mk_1","future_field":{"a":1}}`)
	ev, err := ParseMoneyKitEvent(body)
	require.NoError(t, err)
	assert.Equal(t, "product.state_changed", ev.Type)
	assert.Nil(t, ev.LinkStateChanged)
	assert.Nil(t, ev.ProductRefresh)
	assert.Nil(t, ev.TransactionsUpdates)
	assert.JSONEq(t, string(body), string(ev.Raw))

	ev, err = ParseMoneyKitEvent([]byte(`{"webhook_event":"link.product_refresh","webhook_idempotency_key":"k","link_id":"mk_1","product":"transactions","state":"refreshed","state_changed_at":"2026-03-01T12:00:00"}`))
	require.NoError(t, err)
	require.NotNil(t, ev.ProductRefresh)
	assert.Equal(t, "transactions", ev.ProductRefresh.Product)
	assert.Equal(t, "2026-03-01T12:00:00", ev.ProductRefresh.StateChangedAt)

	ev, err = ParseMoneyKitEvent([]byte(`{"webhook_event":"transactions.updates_available","webhook_idempotency_key":"k","link_id":"mk_1","has_history":true}`))
	require.NoError(t, err)
	require.NotNil(t, ev.TransactionsUpdates)
	assert.True(t, *ev.TransactionsUpdates.HasHistory)

	for _, bad := range []string{`[]`, `{"webhook_event":"link.state_changed"}`, `{"webhook_event":"link.state_changed","webhook_idempotency_key":"k","state":7}`, `nul`} {
		_, err := ParseMoneyKitEvent([]byte(bad))
		assert.ErrorIs(t, err, ErrMalformedPayload, bad)
	}
}
