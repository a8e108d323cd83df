package transport_test

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/fleet"
	"github.com/banklink/banklink/facade/internal/transport"
	"github.com/banklink/banklink/facade/linkmoney"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// banklink's own retry of a payment draws DUPLICATE_REQUEST_KEY after an
// unclear first attempt: the earlier attempt was accepted.
func TestAcceptedEarlierOnOwnRetry(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("POST /v1/payments", sequence(
		jsonReply(503, `{"errorCode":"SERVICE_UNAVAILABLE"}`),
		jsonReply(400, `{"errorCode":"DUPLICATE_REQUEST_KEY","errorMessage":"duplicate"}`)))
	lm := f.linkMoney()
	_, err := lm.Payments.Create(context.Background(), linkmoney.NewPayment("c1", "m1", linkmoney.USD(100), linkmoney.WithRequestKey("key-1"), linkmoney.WithClientReferenceID("order-7")))
	require.ErrorIs(t, err, facade.ErrAcceptedEarlier)
	assert.NotErrorIs(t, err, facade.ErrDuplicateRequestKey)
	var ae *facade.AcceptedEarlierError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "key-1", ae.IdempotencyKey)
	assert.Equal(t, "order-7", ae.ClientReferenceID)
	assert.Equal(t, 2, ae.Attempts)
	assert.Equal(t, "key-1", facade.IdempotencyKeyOf(err))
	assert.Equal(t, 2, f.hitCount("POST /v1/payments"))
}

// The same answer to a first attempt is the caller's reused key.
func TestDuplicateOnFirstAttemptStaysDuplicate(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("POST /v1/payments", jsonReply(400, `{"errorCode":"DUPLICATE_REQUEST_KEY"}`))
	_, err := f.linkMoney().Payments.Create(context.Background(), linkmoney.NewPayment("c1", "m1", linkmoney.USD(100), linkmoney.WithRequestKey("key-1")))
	require.ErrorIs(t, err, facade.ErrDuplicateRequestKey)
	assert.NotErrorIs(t, err, facade.ErrAcceptedEarlier)
}

// A 2xx with the provider's error shape is that error, not a success with
// an empty link_id; one lacking a required field names it.
func TestSuccessStatusWithErrorBody(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("POST /link-session/exchange-token", jsonReply(200,
		`{"error_code":"link_session_error.invalid_token_exchange","error_message":"used"}`))
	mk := f.moneyKit()
	res, err := mk.LinkSessions.Exchange(context.Background(), "ex_1")
	require.Nil(t, res)
	require.ErrorIs(t, err, facade.ErrInvalidTokenExchange)
	var apiErr *facade.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 200, apiErr.StatusCode)
	assert.Equal(t, "used", apiErr.Message)
	assert.Equal(t, 1, f.hitCount("POST /link-session/exchange-token"), "never retried")

	f.handle("POST /link-session/exchange-token", jsonReply(201, `{"link":`+linkJSON+`}`))
	_, err = mk.LinkSessions.Exchange(context.Background(), "ex_2")
	require.ErrorAs(t, err, &apiErr)
	assert.Contains(t, apiErr.Error(), "response lacks required field /link_id")

	f.handle("GET /links/mk_1", jsonReply(200, `{"link_id":"mk_1","state":"connected"}`))
	_, err = mk.Links.Get(context.Background(), "mk_1")
	require.ErrorAs(t, err, &apiErr)
	assert.Contains(t, apiErr.Error(), "response lacks required field /")
}

// A token failure names the call that needed the token and the token call.
func TestTokenFailureNamesTheCall(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("POST /auth/token", jsonReply(401, `{"error_code":"api_error.auth.unauthorized","error_message":"bad client"}`))
	_, err := f.moneyKit().Links.Get(context.Background(), "mk_1")
	require.ErrorIs(t, err, facade.ErrUnauthorized)
	assert.Contains(t, err.Error(), "getLink: fetching token: banklink: moneykit createAccessToken: 401")
	assert.Zero(t, f.hitCount("GET /links/mk_1"))
}

// A 429 on the token endpoint cools down token requests, not calls that
// already hold a token.
func TestToken429DoesNotStopCallsHoldingAToken(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("GET /links/mk_1", jsonReply(200, linkJSON))
	mk := f.moneyKit(facade.WithMaxRetries(0))
	_, err := mk.Links.Get(context.Background(), "mk_1")
	require.NoError(t, err)
	f.handle("POST /auth/token", jsonReply(429, `{"error_code":"api_error.rate_limit_exceeded"}`, "Retry-After", "20"))
	_, err = mk.Auth.Token(context.Background())
	require.ErrorIs(t, err, facade.ErrRateLimited)
	_, err = mk.Links.Get(context.Background(), "mk_1")
	require.NoError(t, err, "the cached token still serves")
	assert.Equal(t, 2, f.hitCount("GET /links/mk_1"))
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err = mk.Auth.Token(ctx)
	var rl *facade.RateLimitError
	require.ErrorAs(t, err, &rl, "token requests themselves wait out the window")
}

// Callers one cool-down holds back each get an error value of their own.
func TestCoolDownCallersGetTheirOwnErrors(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("GET /links/mk_1", jsonReply(429, `{"error_code":"api_error.rate_limit_exceeded"}`, "Retry-After", "20"))
	mk := f.moneyKit(facade.WithMaxRetries(0))
	_, err := mk.Links.Get(context.Background(), "mk_1")
	require.Error(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	errs := make([]*facade.RateLimitError, 8)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			_, err := mk.Links.Get(ctx, "mk_1")
			require.ErrorAs(t, err, &errs[i])
		})
	}
	wg.Wait()
	for i, e := range errs {
		require.NotNil(t, e.Err, "caller %d sees the answer", i)
		assert.Equal(t, 429, e.Err.StatusCode)
		assert.Zero(t, e.Err.Attempts, "caller %d sent nothing", i)
		for _, o := range errs[:i] {
			assert.NotSame(t, o.Err, e.Err, "no *Error is shared between callers")
		}
	}
	assert.Equal(t, 1, f.hitCount("GET /links/mk_1"))
}

// A token fetch stops when the last caller waiting for it has gone.
func TestTokenFetchEndsWithItsLastCaller(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newMemFakeAPI(t)
		var ended atomic.Int64 // fake-clock offset at which the server saw the request end
		start := time.Now()
		f.handle("POST /auth/token", func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
			ended.Store(int64(time.Since(start)))
		})
		mk := realWaitMoneyKit(t, f)
		var wg sync.WaitGroup
		for _, d := range []time.Duration{time.Second, 2 * time.Second} {
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(t.Context(), d)
				defer cancel()
				_, err := mk.Links.Get(ctx, "mk_1")
				require.ErrorIs(t, err, context.DeadlineExceeded)
			})
		}
		wg.Wait()
		synctest.Wait()
		assert.Equal(t, int64(2*time.Second), ended.Load(), "the fetch ended with the last caller, not after 60s")
	})
}

// A token response without expires_in is kept for MoneyKit's 60 minutes
// (refreshed a minute ahead).
func TestTokenWithoutExpiresInLastsAnHour(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("POST /auth/token", func(w http.ResponseWriter, r *http.Request) {
		f.tokens.Add(1)
		jsonReply(201, `{"access_token":"tok","token_type":"bearer"}`)(w, r)
	})
	f.handle("GET /links/mk_1", jsonReply(200, linkJSON))
	var clock atomic.Int64
	now := func() time.Time { return time.Unix(1_800_000_000, clock.Load()) }
	mk := f.moneyKit(transport.WithClock(now))
	for range 3 {
		_, err := mk.Links.Get(context.Background(), "mk_1")
		require.NoError(t, err)
	}
	require.EqualValues(t, 1, f.tokens.Load())
	clock.Store(int64(59*time.Minute - time.Second))
	_, err := mk.Links.Get(context.Background(), "mk_1")
	require.NoError(t, err)
	require.EqualValues(t, 1, f.tokens.Load(), "still fresh at 58m59s")
	clock.Store(int64(59 * time.Minute))
	_, err = mk.Links.Get(context.Background(), "mk_1")
	require.NoError(t, err)
	require.EqualValues(t, 2, f.tokens.Load(), "refreshed from 59m on")
}

// The documented per-link limit paces a client: the burst of 8 of 15 goes
// at once, the next call waits for its slot (7.875s on synctest's clock),
// another link is not held back, and a caller whose deadline comes first
// fails fast with *RateLimitError naming the scope, having sent nothing.
func TestDocumentedLimitPacesPerLink(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newMemFakeAPI(t)
		f.handle("GET /links/mk_1", jsonReply(200, linkJSON))
		f.handle("GET /links/mk_2", jsonReply(200, linkJSON))
		mk := realWaitMoneyKit(t, f, facade.WithDocumentedLimits())
		start := time.Now()
		for range 8 {
			_, err := mk.Links.Get(t.Context(), "mk_1")
			require.NoError(t, err)
		}
		require.Equal(t, start, time.Now())
		_, err := mk.Links.Get(t.Context(), "mk_2")
		require.NoError(t, err)
		require.Equal(t, start, time.Now(), "mk_2 has its own budget")

		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		_, err = mk.Links.Get(ctx, "mk_1")
		var rl *facade.RateLimitError
		require.ErrorAs(t, err, &rl)
		assert.Equal(t, fleet.ScopeLink, rl.Scope)
		assert.Equal(t, 15, rl.Limit.Requests)
		assert.Equal(t, 8, f.hitCount("GET /links/mk_1"), "nothing sent past the budget")

		_, err = mk.Links.Get(t.Context(), "mk_1")
		require.NoError(t, err)
		_, interval := fleet.Limit{Requests: 15, Per: time.Minute}.Pacing()
		assert.Equal(t, interval, time.Since(start))
		assert.Equal(t, 9, f.hitCount("GET /links/mk_1"))
	})
}

// Pacing on the documented limits is on where budgets are shared (a Limiter
// or a fleet is given) or asked for, and off for a plain client, which sends
// at once as it always did: 20 calls on one link inside a minute reach the
// server at the same instant, while a client with a Limiter holds the 9th
// back, and WithoutDocumentedLimits turns it off again.
func TestDocumentedLimitsDefault(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []facade.Option
		sent int // calls on mk_1 that reach the server before the clock moves
	}{
		{"plain client", nil, 20},
		{"asked for", []facade.Option{facade.WithDocumentedLimits()}, 8},
		{"shared limiter", []facade.Option{facade.WithLimiter(fleet.NewMemoryLimiter())}, 8},
		{"shared limiter, turned off", []facade.Option{facade.WithLimiter(fleet.NewMemoryLimiter()), facade.WithoutDocumentedLimits()}, 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newMemFakeAPI(t)
				f.handle("GET /links/mk_1", jsonReply(200, linkJSON))
				mk := realWaitMoneyKit(t, f, tc.opts...)
				start := time.Now()
				ctx, cancel := context.WithTimeout(t.Context(), time.Second)
				defer cancel()
				for range 20 {
					if _, err := mk.Links.Get(ctx, "mk_1"); err != nil {
						var rl *facade.RateLimitError
						require.ErrorAs(t, err, &rl)
					}
				}
				assert.Equal(t, start, time.Now(), "no call waited")
				assert.Equal(t, tc.sent, f.hitCount("GET /links/mk_1"))
			})
		})
	}
}
