package transport_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/internal/transport"
	"github.com/banklink/banklink/facade/linkmoney"
	"github.com/banklink/banklink/facade/moneykit"
)

// TestTokenSingleFlight: 1,000 concurrent calls on a cold token, on a token
// past its refresh point, and on a token the server has expired cause
// exactly one token request, and every call succeeds with the new token.
// The token endpoint holds its answer until every caller is blocked
// (synctest.Wait), so all of them are waiting on the one flight.
func TestTokenSingleFlight(t *testing.T) {
	for _, mode := range fanInModes {
		t.Run(string(mode), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rig := newMemFanInRig(t)
				mk := rig.prepare(t, mode, nil)
				res, err := rig.wave(mk, fanInCallers, synctest.Wait)
				require.NoError(t, err)
				require.Empty(t, checkFanIn(mode, res))
				if mode == fanInRejected {
					assert.Positive(t, res.refused, "the server refused the expired token")
				}
			})
		})
	}
}

func TestTokenRequestForm(t *testing.T) {
	f := newFakeAPI(t)
	var form, ctype string
	f.handle("POST /auth/token", func(w http.ResponseWriter, r *http.Request) {
		ctype = r.Header.Get("Content-Type")
		_ = r.ParseForm()
		form = r.PostForm.Encode()
		assert.Empty(t, r.Header.Get("Authorization"))
		assert.Equal(t, "2023-02-18", r.Header.Get("MoneyKit-Version"))
		jsonReply(201, `{"access_token":"a","token_type":"bearer","expires_in":3600}`)(w, r)
	})
	tok, err := f.moneyKit().Auth.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "a", tok.AccessToken)
	assert.Equal(t, "application/x-www-form-urlencoded", ctype)
	assert.Equal(t, "client_id="+testClientID+"&client_secret="+testClientSecret+"&grant_type=client_credentials", form)
}

func TestTokenRefreshedBeforeExpiry(t *testing.T) {
	f := newFakeAPI(t)
	f.tokenTTL.Store(120) // margin min(60s, 12s) = 12s → refresh at 108s
	f.handle("GET /links/mk_1", jsonReply(200, linkJSON))
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	mk := f.moneyKit(transport.WithClock(clock))
	get := func() string {
		_, err := mk.Links.Get(context.Background(), "mk_1")
		require.NoError(t, err)
		hs := f.headersOf("GET /links/mk_1")
		return hs[len(hs)-1].Get("Authorization")
	}
	first := get()
	advance(107 * time.Second)
	assert.Equal(t, first, get(), "still fresh 13s before expiry")
	assert.Equal(t, int64(1), f.tokens.Load())
	advance(2 * time.Second)
	second := get()
	assert.NotEqual(t, first, second, "refreshed inside the margin")
	assert.Equal(t, int64(2), f.tokens.Load())
}

func TestExpiredAccessTokenRefreshedOnceAndRetried(t *testing.T) {
	f := newFakeAPI(t)
	expired := jsonReply(401, `{"error_code":"api_error.auth.expired_access_token","error_message":"Access token expired"}`)
	// An unsafe POST: the refresh-and-resend applies because the server refused before acting.
	f.handle("POST /link-session", sequence(expired, jsonReply(201, `{"link_session_token":"lst"}`)))
	mk := f.moneyKit(facade.WithMaxRetries(0)) // the refresh does not use up a retry
	sess, err := mk.LinkSessions.Create(context.Background(), moneykit.NewLinkSession("user-42", "https://app.example/oauth"))
	require.NoError(t, err)
	assert.Equal(t, "lst", sess.LinkSessionToken)
	assert.Equal(t, int64(2), f.tokens.Load(), "one initial token, one refresh")
	hs := f.headersOf("POST /link-session")
	require.Len(t, hs, 2)
	assert.NotEqual(t, hs[0].Get("Authorization"), hs[1].Get("Authorization"))
}

func TestExpiredTwiceGivesErrAuthExpired(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("GET /links/mk_1", jsonReply(401, `{"error_code":"api_error.auth.expired_access_token","error_message":"Access token expired"}`))
	_, err := f.moneyKit().Links.Get(context.Background(), "mk_1")
	require.ErrorIs(t, err, facade.ErrAuthExpired)
	assert.Equal(t, 2, f.hitCount("GET /links/mk_1"), "one refresh only")
	assert.Equal(t, int64(2), f.tokens.Load())
}

func TestUnauthorizedNotRefreshedOnMoneyKit(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("GET /links/mk_1", jsonReply(401, `{"error_code":"api_error.auth.unauthorized","error_message":"no"}`))
	_, err := f.moneyKit().Links.Get(context.Background(), "mk_1")
	require.ErrorIs(t, err, facade.ErrUnauthorized)
	assert.Equal(t, 1, f.hitCount("GET /links/mk_1"))
	assert.Equal(t, int64(1), f.tokens.Load())
}

func TestTokenEndpointFailureIsTyped(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("POST /auth/token", jsonReply(401, `{"error_code":"api_error.auth.unauthorized","error_message":"bad client"}`))
	_, err := f.moneyKit().Links.Get(context.Background(), "mk_1")
	var apiErr *facade.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "createAccessToken", apiErr.Operation)
	assert.Equal(t, 401, apiErr.StatusCode)
	assert.ErrorIs(t, err, facade.ErrUnauthorized)
	assert.Equal(t, 0, f.hitCount("GET /links/mk_1"), "nothing sent without a token")
}

func TestLinkMoneyScopesAndBasicAuth(t *testing.T) {
	f := newFakeAPI(t)
	var scopes sync.Map
	f.handle("POST /v1/tokens", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		assert.Equal(t, "client_credentials", r.PostForm.Get("grant_type"))
		assert.Equal(t, testClientID, r.PostForm.Get("client_id"))
		assert.Equal(t, testClientSecret, r.PostForm.Get("client_secret"))
		scope := r.PostForm.Get("scope")
		scopes.Store(scope, true)
		jsonReply(200, `{"access_token":"tok-`+scope+`","token_type":"Bearer","expires_in":3600,"scope":"`+scope+`"}`)(w, r)
	})
	f.handle("GET /v1/customers/c1", jsonReply(200, `{"id":"c1"}`))
	f.handle("POST /v1/payments", jsonReply(200, `{"paymentId":"p1","paymentStatus":"PENDING"}`))
	f.handle("POST /v2/sessions", jsonReply(200, `{"sessionKey":"k","sessionUrl":"https://client.link.money/?sessionKey=k"}`))
	lm := f.linkMoney()
	ctx := context.Background()
	_, err := lm.Customers.Get(ctx, "c1")
	require.NoError(t, err)
	_, err = lm.Payments.Create(ctx, linkmoney.NewPayment("c1", "m1", linkmoney.USD(500)))
	require.NoError(t, err)
	_, err = lm.Sessions.Create(ctx, linkmoney.NewSession(linkmoney.SessionCustomer{FirstName: "A", LastName: "B", Email: "a@example.com"}, "https://m.example/r"))
	require.NoError(t, err)

	assert.Equal(t, "Bearer tok-Link-Core", f.headersOf("GET /v1/customers/c1")[0].Get("Authorization"))
	assert.Equal(t, "Bearer tok-Link-Payment", f.headersOf("POST /v1/payments")[0].Get("Authorization"))
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(testClientID+":"+testClientSecret))
	assert.Equal(t, basic, f.headersOf("POST /v2/sessions")[0].Get("Authorization"))
	_, core := scopes.Load("Link-Core")
	_, pay := scopes.Load("Link-Payment")
	assert.True(t, core && pay)
	for _, h := range f.headersOf("GET /v1/customers/c1") {
		assert.Empty(t, h.Get("MoneyKit-Version"), "MoneyKit header not sent to Link Money")
	}
}

func TestLinkMoney401RefreshesOnce(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("GET /v1/customers/c1", sequence(jsonReply(401, `{"errorCode":"UNAUTHORIZED","errorMessage":"expired"}`), jsonReply(200, `{"id":"c1"}`)))
	c, err := f.linkMoney(facade.WithMaxRetries(0)).Customers.Get(context.Background(), "c1")
	require.NoError(t, err)
	assert.Equal(t, "c1", c.Id)
	assert.Equal(t, int64(2), f.tokens.Load())
}

func TestLinkMoneyBasic401NotRefreshed(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("POST /v2/sessions", jsonReply(401, `{"errorCode":"UNAUTHORIZED","errorMessage":"bad"}`))
	_, err := f.linkMoney().Sessions.Create(context.Background(), linkmoney.NewSession(linkmoney.SessionCustomer{FirstName: "A", LastName: "B", Email: "a@example.com"}, "https://m.example/r"))
	require.ErrorIs(t, err, facade.ErrUnauthorized)
	assert.Equal(t, 1, f.hitCount("POST /v2/sessions"))
	assert.Equal(t, int64(0), f.tokens.Load())
}

func TestLinkMoneyAuthToken(t *testing.T) {
	f := newFakeAPI(t)
	tok, err := f.linkMoney().Auth.Token(context.Background(), linkmoney.TokenScopeLinkPayment)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(tok.AccessToken, "tok-LinkPayment-"))
}

func TestWaitingCallerLeavesWhenItsContextEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newMemFakeAPI(t)
		release := make(chan struct{})
		f.handle("POST /auth/token", func(w http.ResponseWriter, r *http.Request) {
			<-release
			jsonReply(201, `{"access_token":"late","token_type":"bearer","expires_in":3600}`)(w, r)
		})
		f.handle("GET /links/mk_1", jsonReply(200, linkJSON))
		mk := f.moneyKit()
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := mk.Links.Get(ctx, "mk_1")
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, 30*time.Millisecond, time.Since(start), "left at its deadline")
		close(release)
		// The flight finished for the others and filled the cache.
		_, err = mk.Links.Get(t.Context(), "mk_1")
		require.NoError(t, err)
		assert.Equal(t, "Bearer late", f.headersOf("GET /links/mk_1")[0].Get("Authorization"))
	})
}
