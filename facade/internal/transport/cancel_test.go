package transport_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/moneykit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
)

// Every wait banklink performs ends the moment the caller's context ends.
// These tests use the real timer wait (no WithWait) inside a synctest bubble,
// on an in-memory server, so every timer runs on the bubble's fake clock.
// Each parks a call in one kind of wait, cancels it 30ms in, and checks that
// the call returned at that same instant: a wait that ignored the cancel
// would return only when its own timer fired, seconds later on that clock.
// TestContextCancelledMidWaitReturnsPromptly covers a Retry-After wait.

// cancelMidWait runs call with a context cancelled once the call has been
// parked for 30ms, and returns its error and how long after the cancel it
// returned (on the bubble's clock).
func cancelMidWait(t *testing.T, call func(ctx context.Context) error) (error, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	cancelled := make(chan time.Time, 1)
	timer := time.AfterFunc(30*time.Millisecond, func() {
		cancelled <- time.Now()
		cancel()
	})
	defer timer.Stop()
	err := call(ctx)
	returned := time.Now()
	select {
	case at := <-cancelled:
		return err, returned.Sub(at)
	default:
		require.FailNow(t, "the call returned before it was cancelled", "%v", err)
		return nil, 0
	}
}

// realWaitMoneyKit builds a client on f that waits with real timers.
func realWaitMoneyKit(t *testing.T, f *fakeAPI, opts ...facade.Option) *moneykit.Client {
	t.Helper()
	mk, err := moneykit.New(append(f.clientOptions(), opts...)...)
	require.NoError(t, err)
	t.Cleanup(mk.CloseIdleConnections)
	return mk
}

func TestCancelDuringBackoffReturnsPromptly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newMemFakeAPI(t)
		f.handle("GET /links/mk_1", jsonReply(503, `{"error_code":"api_error.service_unavailable"}`)) // no Retry-After: backoff
		mk := realWaitMoneyKit(t, f, facade.WithBackoff(facade.ExponentialBackoff{Initial: 10 * time.Second}))

		err, after := cancelMidWait(t, func(ctx context.Context) error { _, err := mk.Links.Get(ctx, "mk_1"); return err })
		assert.Zero(t, after, "returned at the instant of the cancel")
		var te *facade.TransportError
		require.ErrorAs(t, err, &te)
		assert.ErrorIs(t, err, context.Canceled)
		require.NotNil(t, te.Last, "the answer that caused the backoff stays reachable")
		assert.Equal(t, 503, te.Last.StatusCode)
		assert.Equal(t, 1, te.Attempts)
		assert.Equal(t, 1, f.hitCount("GET /links/mk_1"), "nothing was sent after the cancel")
	})
}

func TestCancelDuringSharedGateWaitReturnsPromptly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newMemFakeAPI(t)
		f.handle("GET /links/mk_1", jsonReply(429, `{"error_code":"api_error.rate_limit_exceeded"}`, "Retry-After", "10"))
		mk := realWaitMoneyKit(t, f, facade.WithMaxRetries(0))

		// The first call draws the 429 and returns at once (no retries left),
		// leaving the client's gate closed for 10s.
		_, err := mk.Links.Get(t.Context(), "mk_1")
		require.ErrorIs(t, err, facade.ErrRateLimited)

		err, after := cancelMidWait(t, func(ctx context.Context) error { _, err := mk.Links.Get(ctx, "mk_1"); return err })
		assert.Zero(t, after, "returned at the instant of the cancel")
		var te *facade.TransportError
		require.ErrorAs(t, err, &te)
		assert.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, 0, te.Attempts)
		assert.Equal(t, 1, f.hitCount("GET /links/mk_1"), "the second call never reached the server")
	})
}

func TestCancelDuringRateLimiterWaitReturnsPromptly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newMemFakeAPI(t)
		f.handle("GET /links/mk_1", jsonReply(200, linkJSON))
		lim := rate.NewLimiter(rate.Every(10*time.Second), 2)
		mk := realWaitMoneyKit(t, f, facade.WithRateLimiter(lim))
		// The first call spends both slots (its own attempt and the token request).
		_, err := mk.Links.Get(t.Context(), "mk_1")
		require.NoError(t, err)

		// The next call waits ~10s for a slot.
		err, after := cancelMidWait(t, func(ctx context.Context) error { _, err := mk.Links.Get(ctx, "mk_1"); return err })
		assert.Zero(t, after, "returned at the instant of the cancel")
		var te *facade.TransportError
		require.ErrorAs(t, err, &te)
		assert.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, 1, f.hitCount("GET /links/mk_1"), "the cancelled call sent nothing")
		// The cancelled wait gave its slot back: the next one is 10s after the
		// first call (9.97s from the cancel), not 20s.
		r := lim.Reserve()
		defer r.Cancel()
		assert.InDelta(t, float64(10*time.Second-30*time.Millisecond), float64(r.Delay()), float64(time.Microsecond), "rate's float arithmetic")
	})
}

func TestCancelDuringTokenFetchReturnsPromptly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newMemFakeAPI(t)
		release := make(chan struct{})
		t.Cleanup(func() { close(release) })
		f.handle("POST /auth/token", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			jsonReply(201, `{"access_token":"slow","token_type":"bearer","expires_in":3600}`)(w, r)
		})
		mk := realWaitMoneyKit(t, f)

		err, after := cancelMidWait(t, func(ctx context.Context) error { _, err := mk.Links.Get(ctx, "mk_1"); return err })
		assert.Zero(t, after, "returned at the instant of the cancel")
		var te *facade.TransportError
		require.ErrorAs(t, err, &te, "%T %v", err, err)
		assert.True(t, errors.Is(err, context.Canceled))
		assert.Equal(t, "getLink", te.Operation)
	})
}
