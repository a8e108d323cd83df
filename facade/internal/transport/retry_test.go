package transport_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/internal/transport"
	"github.com/banklink/banklink/facade/linkmoney"
	"github.com/banklink/banklink/facade/moneykit"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
)

func TestAttemptsPerStatusAndSafety(t *testing.T) {
	ctx := context.Background()
	type call func(mk *moneykit.Client, lm *linkmoney.Client) error
	getLink := func(mk *moneykit.Client, _ *linkmoney.Client) error { _, err := mk.Links.Get(ctx, "mk_1"); return err }
	createSession := func(mk *moneykit.Client, _ *linkmoney.Client) error {
		_, err := mk.LinkSessions.Create(ctx, moneykit.NewLinkSession("user-42", "https://app.example/oauth"))
		return err
	}
	exchange := func(mk *moneykit.Client, _ *linkmoney.Client) error {
		_, err := mk.LinkSessions.Exchange(ctx, "ex-tok")
		return err
	}
	lmSession := func(_ *moneykit.Client, lm *linkmoney.Client) error {
		_, err := lm.Sessions.Create(ctx, linkmoney.NewSession(linkmoney.SessionCustomer{FirstName: "A", LastName: "B", Email: "a@example.com"}, "https://m.example/r"))
		return err
	}
	payment := func(_ *moneykit.Client, lm *linkmoney.Client) error {
		_, err := lm.Payments.Create(ctx, linkmoney.NewPayment("cust", "merch", linkmoney.USD(100)))
		return err
	}
	tests := []struct {
		name   string
		route  string
		call   call
		status int
		hits   int
	}{
		{"GET retried on 503", "GET /links/mk_1", getLink, 503, 3},
		{"GET retried on 500", "GET /links/mk_1", getLink, 500, 3},
		{"GET retried on 502", "GET /links/mk_1", getLink, 502, 3},
		{"GET retried on 504", "GET /links/mk_1", getLink, 504, 3},
		{"GET retried on 408", "GET /links/mk_1", getLink, 408, 3},
		{"GET retried on 429", "GET /links/mk_1", getLink, 429, 3},
		{"GET not retried on 404", "GET /links/mk_1", getLink, 404, 1},
		{"GET not retried on 422", "GET /links/mk_1", getLink, 422, 1},
		{"GET not retried on 501", "GET /links/mk_1", getLink, 501, 1},
		{"unsafe link-session not retried on 503", "POST /link-session", createSession, 503, 1},
		{"unsafe link-session not retried on 500", "POST /link-session", createSession, 500, 1},
		{"unsafe link-session retried on 429", "POST /link-session", createSession, 429, 3},
		{"single-use exchange not retried on 503", "POST /link-session/exchange-token", exchange, 503, 1},
		{"single-use exchange not retried on 429", "POST /link-session/exchange-token", exchange, 429, 1},
		{"unsafe v2 sessions not retried on 500", "POST /v2/sessions", lmSession, 500, 1},
		{"unsafe v2 sessions retried on 429", "POST /v2/sessions", lmSession, 429, 3},
		{"idempotency-key payment retried on 503", "POST /v1/payments", payment, 503, 3},
		{"idempotency-key payment not retried on 400", "POST /v1/payments", payment, 400, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAPI(t)
			f.handle(tc.route, jsonReply(tc.status, `{"error_code":"x","error_message":"y"}`))
			err := tc.call(f.moneyKit(), f.linkMoney())
			var apiErr *facade.Error
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tc.status, apiErr.StatusCode)
			assert.Equal(t, tc.hits, f.hitCount(tc.route), "server hits")
			assert.Equal(t, tc.hits, apiErr.Attempts)
		})
	}
}

func TestMaxRetriesOption(t *testing.T) {
	for _, n := range []int{0, 1, 4} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			f := newFakeAPI(t)
			f.handle("GET /links/mk_1", jsonReply(503, `{}`))
			_, err := f.moneyKit(facade.WithMaxRetries(n)).Links.Get(context.Background(), "mk_1")
			require.ErrorIs(t, err, facade.ErrServer)
			assert.Equal(t, n+1, f.hitCount("GET /links/mk_1"))
		})
	}
	_, err := moneykit.New(facade.WithCredentials("a", "b"), facade.WithMaxRetries(-1))
	require.Error(t, err)
}

func TestRetryThenSuccess(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("GET /links/mk_1", sequence(jsonReply(503, `{}`), jsonReply(200, linkJSON)))
	w := &waits{}
	link, err := f.moneyKit(facade.WithWait(w.wait)).Links.Get(context.Background(), "mk_1")
	require.NoError(t, err)
	assert.Equal(t, "mk_1", link.LinkId)
	assert.Equal(t, 2, f.hitCount("GET /links/mk_1"))
	require.Len(t, w.all(), 1)
	assert.InDelta(t, 500*time.Millisecond, w.all()[0], float64(125*time.Millisecond), "first backoff is 500ms minus jitter")
}

func TestExchangeNeverReplayedAfterMidRequestReset(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("POST /link-session/exchange-token", func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = conn.(*net.TCPConn).SetLinger(0) // RST, not FIN
			_ = conn.Close()
		}
	})
	_, err := f.moneyKit().LinkSessions.Exchange(context.Background(), "ex-tok")
	var te *facade.TransportError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, 1, te.Attempts)
	assert.Equal(t, 1, f.hitCount("POST /link-session/exchange-token"))
}

func TestLinkSessionNotReplayedAfterReset(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("POST /link-session", func(w http.ResponseWriter, r *http.Request) {
		conn, _, _ := w.(http.Hijacker).Hijack()
		_ = conn.Close()
	})
	_, err := f.moneyKit().LinkSessions.Create(context.Background(), moneykit.NewLinkSession("user-42", "https://app.example/oauth"))
	require.Error(t, err)
	assert.Equal(t, 1, f.hitCount("POST /link-session"))
}

func TestGetRetriedAfterReset(t *testing.T) {
	f := newFakeAPI(t)
	var n atomic.Int64
	f.handle("GET /links/mk_1", func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			conn, _, _ := w.(http.Hijacker).Hijack()
			_ = conn.Close()
			return
		}
		jsonReply(200, linkJSON)(w, r)
	})
	_, err := f.moneyKit().Links.Get(context.Background(), "mk_1")
	require.NoError(t, err)
	assert.GreaterOrEqual(t, f.hitCount("GET /links/mk_1"), 2)
}

// dialFailing routes the first n requests for path to a closed port (a real
// dial failure) and everything else to the real transport.
func dialFailing(t *testing.T, path string, n int) (*http.Client, *atomic.Int64) {
	addr := closedAddr(t)
	var dials atomic.Int64
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.URL.Path == path && dials.Load() < int64(n) {
			dials.Add(1)
			c, err := net.Dial("tcp", addr)
			if err == nil {
				_ = c.Close()
				return nil, errors.New("expected dial to fail")
			}
			return nil, err
		}
		return http.DefaultTransport.RoundTrip(r)
	})
	return &http.Client{Transport: rt, Timeout: 5 * time.Second}, &dials
}

func TestExchangeRetriedOnDialFailure(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("POST /link-session/exchange-token", jsonReply(201, `{"link_id":"mk_1","link":`+linkJSON+`}`))
	hc, dials := dialFailing(t, "/link-session/exchange-token", 2)
	res, err := f.moneyKit(facade.WithHTTPClient(hc)).LinkSessions.Exchange(context.Background(), "ex-tok")
	require.NoError(t, err)
	assert.Equal(t, "mk_1", res.Link.LinkId)
	assert.Equal(t, int64(2), dials.Load())
	assert.Equal(t, 1, f.hitCount("POST /link-session/exchange-token"))
}

func TestDialFailureOnClosedPortIsTransportError(t *testing.T) {
	addr := closedAddr(t)
	w := &waits{}
	lm, err := linkmoney.New(facade.WithCredentials(testClientID, testClientSecret), facade.WithBaseURL("http://"+addr), facade.WithWait(w.wait))
	require.NoError(t, err)
	_, err = lm.Sessions.Create(context.Background(), linkmoney.NewSession(linkmoney.SessionCustomer{FirstName: "A", LastName: "B", Email: "a@example.com"}, "https://m.example/r"))
	var te *facade.TransportError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, 3, te.Attempts, "unsafe op retried on dial failure")
	var op *net.OpError
	require.ErrorAs(t, err, &op)
	assert.Equal(t, "dial", op.Op)
	assert.Len(t, w.all(), 2)
}

func TestPaymentRetriedWithSameRequestKey(t *testing.T) {
	for _, given := range []string{"", "merchant-key-1"} {
		t.Run("given="+given, func(t *testing.T) {
			f := newFakeAPI(t)
			f.handle("POST /v1/payments", sequence(jsonReply(503, `{}`), jsonReply(502, `{}`),
				jsonReply(200, `{"paymentId":"p1","paymentStatus":"PENDING"}`)))
			var opts []linkmoney.PaymentOption
			if given != "" {
				opts = append(opts, linkmoney.WithRequestKey(given))
			}
			req := linkmoney.NewPayment("cust", "merch", linkmoney.USD(1234), opts...)
			var resp facade.Response
			pay, err := f.linkMoney().Payments.Create(context.Background(), req, facade.WithResponse(&resp))
			require.NoError(t, err)
			assert.Equal(t, "p1", pay.PaymentId)
			bodies := f.bodiesOf("POST /v1/payments")
			require.Len(t, bodies, 3)
			key := mustJSON(t, bodies[0])["requestKey"]
			for _, b := range bodies {
				assert.Equal(t, key, mustJSON(t, b)["requestKey"])
				assert.JSONEq(t, bodies[0], b, "identical bytes on every attempt")
			}
			assert.Equal(t, resp.IdempotencyKey, key, "the key on the wire is reported")
			assert.Equal(t, given, req.RequestKey, "the caller's request is left as it was")
			if given == "" {
				u, err := uuid.Parse(resp.IdempotencyKey)
				require.NoError(t, err)
				assert.Equal(t, uuid.Version(4), u.Version())
			} else {
				assert.Equal(t, given, key)
			}
		})
	}
}

func TestRefundRetriedWithSameRequestKey(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("POST /v1/refunds", sequence(jsonReply(500, `{}`), jsonReply(201, `{"paymentId":"r1","paymentStatus":"PENDING"}`)))
	req := linkmoney.NewRefund("p1", linkmoney.USD(100))
	var resp facade.Response
	_, err := f.linkMoney().Refunds.Create(context.Background(), req, facade.WithResponse(&resp))
	require.NoError(t, err)
	bodies := f.bodiesOf("POST /v1/refunds")
	require.Len(t, bodies, 2)
	assert.Equal(t, bodies[0], bodies[1])
	assert.Empty(t, req.RequestKey, "the caller's request is left as it was")
	assert.Equal(t, resp.IdempotencyKey, mustJSON(t, bodies[0])["requestKey"])
	assert.Equal(t, 2, resp.Attempts)
}

// TestRetryAfterHonoured runs each case in a synctest bubble, so that an
// HTTP-date hint 5s ahead is exactly 5s ahead on the client's clock too.
func TestRetryAfterHonoured(t *testing.T) {
	in5s := func() string { return time.Now().Add(5 * time.Second).UTC().Format(http.TimeFormat) }
	tests := []struct {
		name    string
		headers func() []string
		want    time.Duration
	}{
		{"seconds", func() []string { return []string{"Retry-After", "3"} }, 3 * time.Second},
		{"http-date", func() []string { return []string{"Retry-After", in5s()} }, 5 * time.Second},
		{"ms", func() []string { return []string{"Retry-After-Ms", "1500"} }, 1500 * time.Millisecond},
		{"ms wins over seconds", func() []string { return []string{"Retry-After-Ms", "250", "Retry-After", "9"} }, 250 * time.Millisecond},
		{"zero", func() []string { return []string{"Retry-After", "0"} }, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newMemFakeAPI(t)
				f.handle("GET /links/mk_1", sequence(jsonReply(429, `{"error_code":"api_error.rate_limit_exceeded"}`, tc.headers()...), jsonReply(200, linkJSON)))
				w := &waits{}
				_, err := f.moneyKit(facade.WithWait(w.wait)).Links.Get(t.Context(), "mk_1")
				require.NoError(t, err)
				assert.Equal(t, 2, f.hitCount("GET /links/mk_1"))
				ws := w.all()
				if tc.want == 0 {
					assert.Empty(t, ws)
					return
				}
				assert.Equal(t, []time.Duration{tc.want}, ws)
			})
		})
	}
}

func TestRetryAfterOverCapFailsAtOnce(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("GET /links/mk_1", jsonReply(429, `{"error_code":"api_error.rate_limit_exceeded","error_message":"Rate limit exceeded"}`, "Retry-After", "120"))
	w := &waits{}
	mk := f.moneyKit(facade.WithWait(w.wait), facade.WithMaxRetryAfter(10*time.Second))
	_, err := mk.Links.Get(context.Background(), "mk_1")
	var rl *facade.RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, 120*time.Second, rl.RetryAfter)
	require.NotNil(t, rl.Err)
	assert.Equal(t, 429, rl.Err.StatusCode)
	assert.ErrorIs(t, err, facade.ErrRateLimited)
	assert.Empty(t, w.all(), "no wait at all")
	assert.Equal(t, 1, f.hitCount("GET /links/mk_1"))

	// The client now knows it is throttled: the next call fails fast without a request.
	_, err = mk.Links.Get(context.Background(), "mk_1")
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, 1, f.hitCount("GET /links/mk_1"))
}

func TestRetryAfterOverDeadlineFailsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newMemFakeAPI(t)
		f.handle("GET /links/mk_1", jsonReply(429, `{}`, "Retry-After", "5"))
		w := &waits{}
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		defer cancel()
		start := time.Now()
		_, err := f.moneyKit(facade.WithWait(w.wait)).Links.Get(ctx, "mk_1")
		var rl *facade.RateLimitError
		require.ErrorAs(t, err, &rl)
		assert.Equal(t, 5*time.Second, rl.RetryAfter)
		assert.Empty(t, w.all())
		assert.Zero(t, time.Since(start), "no time passed on the bubble's clock")
	})
}

func TestRetryAfterCappedDefault(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("GET /links/mk_1", jsonReply(503, `{}`, "Retry-After", "31"))
	_, err := f.moneyKit().Links.Get(context.Background(), "mk_1")
	var rl *facade.RateLimitError
	require.ErrorAs(t, err, &rl, "31s is over the 30s default cap")
	assert.Equal(t, 503, rl.Err.StatusCode)
}

// TestContextCancelledMidWaitReturnsPromptly parks a call in a 10s
// Retry-After wait on the real timer wait, on synctest's clock, and cancels
// it 20ms in: the call returns at that instant (cancel_test.go has the other
// waits).
func TestContextCancelledMidWaitReturnsPromptly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newMemFakeAPI(t)
		f.handle("GET /links/mk_1", jsonReply(503, `{}`, "Retry-After", "10"))
		mk := realWaitMoneyKit(t, f)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		time.AfterFunc(20*time.Millisecond, cancel)
		start := time.Now()
		_, err := mk.Links.Get(ctx, "mk_1")
		elapsed := time.Since(start)
		require.ErrorIs(t, err, context.Canceled)
		assert.NotErrorIs(t, err, facade.ErrServer, "a cancel is not a server error")
		var te *facade.TransportError
		require.ErrorAs(t, err, &te)
		require.NotNil(t, te.Last, "the last answer stays readable as a field")
		assert.Equal(t, 503, te.Last.StatusCode)
		assert.Equal(t, 20*time.Millisecond, elapsed, "returned at the cancel, not at the end of the 10s wait")
		assert.Equal(t, 1, f.hitCount("GET /links/mk_1"))
	})
}

func TestBackoffLongerThanDeadlineReturnsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newMemFakeAPI(t)
		f.handle("GET /links/mk_1", jsonReply(503, `{}`))
		w := &waits{}
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := f.moneyKit(facade.WithWait(w.wait), facade.WithBackoff(facade.ExponentialBackoff{Initial: time.Second})).Links.Get(ctx, "mk_1")
		require.ErrorIs(t, err, facade.ErrServer)
		assert.Empty(t, w.all())
		assert.Zero(t, time.Since(start))
		assert.Equal(t, 1, f.hitCount("GET /links/mk_1"))
	})
}

// TestShared429Gate: one 429 with Retry-After-Ms 300 closes the client's
// gate; eight callers that arrive while it is closed wait it out on the real
// timer wait (synctest's clock), and every request after the 429, the first
// caller's retry included, reaches the server exactly when the window ends.
// A 429 cools down the scope it was drawn on: the link's callers wait out
// the window (released with jitter, each within a tenth of it), while
// another link and another operation go at once.
func TestScoped429CoolDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newMemFakeAPI(t)
		const window = 300 * time.Millisecond
		var first atomic.Bool
		var mu sync.Mutex
		var hitTimes []time.Time
		f.handle("GET /links/mk_1", func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			hitTimes = append(hitTimes, time.Now())
			mu.Unlock()
			if first.CompareAndSwap(false, true) {
				jsonReply(429, `{"error_code":"api_error.rate_limit_exceeded"}`, "Retry-After-Ms", strconv.Itoa(int(window/time.Millisecond)))(w, r)
				return
			}
			jsonReply(200, linkJSON)(w, r)
		})
		f.handle("GET /links/mk_2", jsonReply(200, linkJSON))
		f.handle("GET /users/user-1/links", jsonReply(200, `{"links":{}}`))
		gateSet := make(chan struct{})
		var once sync.Once
		wait := func(ctx context.Context, d time.Duration) error {
			once.Do(func() { close(gateSet) })
			return transport.WaitTimer(ctx, d)
		}
		mk := f.moneyKit(facade.WithWait(wait))
		start := time.Now()
		var wg sync.WaitGroup
		wg.Go(func() {
			_, err := mk.Links.Get(t.Context(), "mk_1")
			assert.NoError(t, err)
		})
		<-gateSet
		_, err := mk.Links.Get(t.Context(), "mk_2")
		require.NoError(t, err)
		_, err = mk.Users.Links(t.Context(), "user-1")
		require.NoError(t, err)
		assert.Equal(t, start, time.Now(), "another link and another operation are not held back")
		const others = 8
		returned := make(chan time.Time, others)
		for range others {
			wg.Go(func() {
				_, err := mk.Links.Get(t.Context(), "mk_1")
				assert.NoError(t, err)
				returned <- time.Now()
			})
		}
		wg.Wait()
		close(returned)
		released := map[time.Duration]bool{}
		for at := range returned {
			d := at.Sub(start)
			assert.GreaterOrEqual(t, d, window, "every caller on the link waited out the window")
			assert.LessOrEqual(t, d, window+window/10, "and no more than a tenth of it longer")
			released[d] = true
		}
		assert.Greater(t, len(released), 1, "the callers are released with jitter, not at one instant")
		mu.Lock()
		defer mu.Unlock()
		require.Len(t, hitTimes, 2+others)
		assert.Equal(t, start, hitTimes[0], "the request that drew the 429")
		for i, ht := range hitTimes[1:] {
			assert.GreaterOrEqual(t, ht.Sub(start), window, "request %d reached the server after the window ended", i+1)
		}
	})
}

func TestRateLimiterWaitedBeforeEachAttempt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newMemFakeAPI(t)
		f.handle("GET /links/mk_1", sequence(jsonReply(503, `{}`), jsonReply(200, linkJSON)))
		// One request per 100ms, burst 1: the second attempt waits for a slot.
		lim := rate.NewLimiter(rate.Every(100*time.Millisecond), 1)
		w := &waits{}
		_, err := f.moneyKit(facade.WithRateLimiter(lim), facade.WithWait(w.wait), facade.WithBackoff(facade.ExponentialBackoff{Initial: time.Millisecond})).Links.Get(t.Context(), "mk_1")
		require.NoError(t, err)
		// The token request takes the first slot; each wait reserves its
		// slot even though this wait function returns at once, and the
		// bubble's clock does not move, so the reservations queue up.
		ws := w.all()
		require.Len(t, ws, 3, "limiter, backoff, limiter")
		assert.InDelta(t, float64(100*time.Millisecond), float64(ws[0]), float64(time.Microsecond), "rate's float arithmetic")
		assert.Equal(t, time.Millisecond, ws[1])
		assert.InDelta(t, float64(200*time.Millisecond), float64(ws[2]), float64(time.Microsecond), "rate's float arithmetic")

		// A limiter whose next slot is past the deadline fails without sending.
		f2 := newMemFakeAPI(t)
		f2.handle("GET /links/mk_1", jsonReply(200, linkJSON))
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err = f2.moneyKit(facade.WithRateLimiter(newExhaustedLimiter())).Links.Get(ctx, "mk_1")
		var te *facade.TransportError
		require.ErrorAs(t, err, &te)
		assert.Zero(t, time.Since(start), "failed at once, without waiting for the deadline")
		assert.Equal(t, 0, f2.hitCount("GET /links/mk_1"))
	})
}

func TestResponseBodyCutOff(t *testing.T) {
	cut := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "400")
		w.WriteHeader(201)
		_, _ = w.Write([]byte(`{"link_id":"mk_1","link":{`))
		w.(http.Flusher).Flush()
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	}
	f := newFakeAPI(t)
	f.handle("POST /link-session/exchange-token", cut)
	_, err := f.moneyKit().LinkSessions.Exchange(context.Background(), "ex-tok")
	var te *facade.TransportError
	require.ErrorAs(t, err, &te)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.Equal(t, 1, f.hitCount("POST /link-session/exchange-token"), "single-use: not replayed after a response began")

	f.handle("GET /links/mk_1", sequence(cut, jsonReply(200, linkJSON)))
	_, err = f.moneyKit().Links.Get(context.Background(), "mk_1")
	require.NoError(t, err)
	assert.Equal(t, 2, f.hitCount("GET /links/mk_1"), "safe: retried")
}

func TestCustomPolicyAndBackoff(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("GET /links/mk_1", jsonReply(418, `{}`))
	var seen []facade.Attempt
	pol := facade.RetryPolicyFunc(func(a *facade.Attempt) bool {
		seen = append(seen, *a)
		return a.StatusCode() == 418
	})
	w := &waits{}
	_, err := f.moneyKit(facade.WithRetryPolicy(pol), facade.WithBackoff(facade.ExponentialBackoff{Initial: 10 * time.Millisecond, Max: 15 * time.Millisecond}), facade.WithWait(w.wait)).Links.Get(context.Background(), "mk_1")
	require.Error(t, err)
	assert.Equal(t, 3, f.hitCount("GET /links/mk_1"))
	require.Len(t, seen, 2, "the policy is asked only while the retry budget lasts")
	assert.Equal(t, "getLink", seen[0].Operation)
	assert.Equal(t, http.MethodGet, seen[0].Method)
	assert.Equal(t, facade.SafetySafe, seen[0].Safety)
	assert.Equal(t, []int{1, 2}, []int{seen[0].Number, seen[1].Number})
	assert.True(t, seen[0].ReachedServer)
	assert.Equal(t, []time.Duration{10 * time.Millisecond, 15 * time.Millisecond}, w.all())
}

func TestExponentialBackoff(t *testing.T) {
	b := facade.ExponentialBackoff{Initial: 500 * time.Millisecond, Max: 8 * time.Second}
	assert.Equal(t, []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second},
		[]time.Duration{b.Delay(1), b.Delay(2), b.Delay(3), b.Delay(4), b.Delay(5), b.Delay(6)})
	d := facade.DefaultBackoff()
	for range 100 {
		got := d.Delay(2)
		assert.True(t, got > 750*time.Millisecond-1 && got <= time.Second, got)
	}
	assert.Equal(t, 8*time.Second, b.Delay(1000), "no overflow")
}

// A 429 asking for longer than the Retry-After cap fails that call at once,
// and later calls fail fast while the server's window lasts; a window of years
// is taken as a broken header and closes the gate for at most transport.MaxGateWindow.
func TestGateWindowIsBounded(t *testing.T) {
	f := newFakeAPI(t)
	var hits atomic.Int32
	f.handle("GET /links/mk_1", func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			jsonReply(429, `{"error_code":"api_error.rate_limit_exceeded"}`, "Retry-After", "99999999")(w, r)
			return
		}
		jsonReply(200, linkJSON)(w, r)
	})
	var mu sync.Mutex
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	mk := f.moneyKit(transport.WithClock(clock), facade.WithMaxRetryAfter(5*time.Second), facade.WithWait(func(context.Context, time.Duration) error { return nil }))

	_, err := mk.Links.Get(context.Background(), "mk_1")
	var rl *facade.RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, 99999999*time.Second, rl.RetryAfter)
	require.EqualValues(t, 1, hits.Load())

	// Well past the cap but inside the window, the gate still fails calls fast.
	advance(30 * time.Minute)
	_, err = mk.Links.Get(context.Background(), "mk_1")
	require.ErrorIs(t, err, facade.ErrRateLimited)
	require.EqualValues(t, 1, hits.Load())

	advance(transport.MaxGateWindow - 30*time.Minute + time.Millisecond)
	_, err = mk.Links.Get(context.Background(), "mk_1")
	require.NoError(t, err)
	assert.EqualValues(t, 2, hits.Load())
}
