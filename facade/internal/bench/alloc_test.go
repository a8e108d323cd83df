//go:build !race

package bench_test

import (
	"context"
	"math"
	"net/http"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade"
)

// TestCallOptionsAllocations checks that a call without options pays for
// none of them: the facade allocates no more than the hand-written client
// of the benchmarks (at most one more object, as before per-call options
// existed), on an in-memory transport so only client-side work counts. It
// also records what each feature costs when it is used.
func TestCallOptionsAllocations(t *testing.T) {
	hc := facade.DefaultHTTPClient()
	hc.Transport = cannedTransport{srv: &benchServer{}}
	r := newBenchRigWith(t, "http://127.0.0.1:9", hc)
	ctx := context.Background()
	// Each figure is the least of three rounds, with the collector off: an
	// allocation from elsewhere in the process during one round (a GC
	// emptying the sync.Pools net/http draws on, another goroutine) is
	// noise, while an allocation the call makes shows in every round.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	run := func(call func() error) float64 {
		for range 100 { // warm up: pools, caches and the token
			require.NoError(t, call())
		}
		least := math.Inf(1)
		for range 3 {
			least = min(least, testing.AllocsPerRun(100, func() { _ = call() }))
		}
		return least
	}
	raw := run(func() error { _, err := r.raw.getLink(ctx, benchLinkID); return err })
	none := run(func() error { _, err := r.mk.Links.Get(ctx, benchLinkID); return err })
	var resp facade.Response
	withResp := run(func() error { _, err := r.mk.Links.Get(ctx, benchLinkID, facade.WithResponse(&resp)); return err })
	retries := facade.WithMaxRetries(1)
	withRetries := run(func() error { _, err := r.mk.Links.Get(ctx, benchLinkID, retries); return err })
	pass := facade.WithMiddleware(func(r *http.Request, next facade.Next) (*http.Response, error) { return next(r) })
	withMW := run(func() error { _, err := r.mk.Links.Get(ctx, benchLinkID, pass); return err })
	t.Logf("allocs per GET /links/{id}: raw %.0f, facade %.0f; WithResponse %+.0f, WithMaxRetries %+.0f, WithMiddleware %+.0f",
		raw, none, withResp-none, withRetries-none, withMW-none)

	assert.LessOrEqual(t, none, raw+1, "a call without options allocates like the hand-written client")
	assert.LessOrEqual(t, withResp-none, 1.0, "WithResponse: the call's option record")
	assert.LessOrEqual(t, withRetries-none, 1.0, "a SharedOption: the call's copy of the settings")
	assert.LessOrEqual(t, withMW-none, 12.0, "per-call middleware: settings, chain, attempt info and a request copy per attempt")
}
