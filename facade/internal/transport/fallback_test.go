package transport_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/fleet"
	genmk "github.com/banklink/banklink/gen/moneykit"
	"github.com/banklink/banklink/internal/testkit"
)

// downLimiter is a shared limiter whose backend is down: it answers from
// memory and says so, as facade/redisfleet does.
type downLimiter struct{ mem *fleet.MemoryLimiter }

func (l downLimiter) Allow(ctx context.Context, key string, limit fleet.Limit, n int) (time.Duration, error) {
	fleet.ReportFallback(ctx, "limiter", errors.New("connection refused"))
	return l.mem.Allow(ctx, key, limit, n)
}

// TestTraceSeesFleetFallbacks: a store that serves a call from memory is
// reported to the Trace once per time it does, with the call's context.
func TestTraceSeesFleetFallbacks(t *testing.T) {
	f := newFakeAPI(t)
	f.Handle("GET /links/mk_1", testkit.JSONReply(200, testkit.LinkJSON))
	type callKey struct{}
	var stores []string
	var sawCall bool
	tr := &facade.Trace{
		CallStart: func(ctx context.Context, _ facade.TraceCall) context.Context {
			return context.WithValue(ctx, callKey{}, true)
		},
		FleetFallback: func(ctx context.Context, store string, err error) {
			stores = append(stores, store)
			sawCall = ctx.Value(callKey{}) == true
			assert.EqualError(t, err, "connection refused")
		},
	}
	mk := f.moneyKit(facade.WithLimiter(downLimiter{fleet.NewMemoryLimiter()}), facade.WithTrace(tr))
	for range 2 {
		_, err := mk.Links.Get(context.Background(), "mk_1")
		require.NoError(t, err)
	}
	// Each call asks the limiter once per documented limit of getLink; the
	// first also fetches the token, under createAccessToken's own limits.
	want := 2*len(genmk.Operations[genmk.OpGetLink].RateLimits) + len(genmk.Operations[genmk.OpCreateAccessToken].RateLimits)
	require.Positive(t, len(genmk.Operations[genmk.OpGetLink].RateLimits))
	assert.Len(t, stores, want, "one report per limiter answer served from memory")
	for _, s := range stores {
		assert.Equal(t, "limiter", s)
	}
	assert.True(t, sawCall, "the hook gets the call's context")

	// Without a FleetFallback hook, a store's report goes nowhere.
	plain := f.moneyKit(facade.WithLimiter(downLimiter{fleet.NewMemoryLimiter()}))
	_, err := plain.Links.Get(context.Background(), "mk_1")
	require.NoError(t, err)
	assert.Len(t, stores, want)
}

// TestTraceSeesRateLimiterWaits: a wait for WithRateLimiter's slot is a
// pacing wait of the call that waits, named like every other wait.
func TestTraceSeesRateLimiterWaits(t *testing.T) {
	f := newFakeAPI(t)
	f.Handle("GET /links/mk_1", testkit.JSONReply(200, testkit.LinkJSON))
	var waits []facade.TraceWait
	tr := &facade.Trace{Wait: func(_ context.Context, w facade.TraceWait) { waits = append(waits, w) }}
	var waited []time.Duration
	instant := facade.WithWait(func(_ context.Context, d time.Duration) error { waited = append(waited, d); return nil })
	mk := f.moneyKit(facade.WithRateLimiter(rate.NewLimiter(rate.Every(time.Second), 1)), instant, facade.WithTrace(tr))
	for range 2 {
		_, err := mk.Links.Get(context.Background(), "mk_1")
		require.NoError(t, err)
	}
	var paced []facade.TraceWait
	for _, w := range waits {
		if w.Operation == "getLink" {
			paced = append(paced, w)
		}
	}
	require.NotEmpty(t, paced, "the second getLink waited for the limiter: %+v", waits)
	for _, w := range paced {
		assert.Equal(t, facade.WaitPacing, w.Cause)
		assert.Equal(t, facade.ProviderMoneyKit, w.Provider)
		assert.Equal(t, "/links/{id}", w.URLTemplate)
		assert.Positive(t, w.Duration)
	}
	for _, w := range waits {
		assert.NotEmpty(t, w.Operation, "every wait names its call: %+v", w)
	}
}
