package redisfleet

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/sandbox"
)

// inProcess serves requests with the sandbox's handler, without a socket,
// so the whole fleet runs inside a synctest bubble on one fake clock.
type inProcess struct{ h http.Handler }

func (t inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}

// The sandbox's rate limits stay authoritative and are never hit: N = 1, 4,
// 16 and 64 instances, each with its own Redis client and limiter (they
// send through one facade client, which holds no fleet state yet), call GET /links/{id} on one link for 90 seconds, each call paced by the
// shared limiter on the spec's limits (15/min per link, 1,000/min per app).
// The sandbox counts with a sliding window, the strictest reading; it draws
// no 429, and every call the budget allows succeeds: the fleet's throughput
// is the budget's, whatever N.
func TestFleetAgainstSandboxDrawsNo429(t *testing.T) {
	for _, n := range []int{1, 4, 16, 64} {
		t.Run(fmt.Sprint(n, "-instances"), func(t *testing.T) { fleetAgainstSandbox(t, n) })
	}
}

func fleetAgainstSandbox(t *testing.T, instances int) {
	synctest.Test(t, func(t *testing.T) {
		sb := sandbox.New(sandbox.Config{})
		sb.SetURL("http://127.0.0.1:1") // never dialled: inProcess serves it
		creds := sb.MoneyKit()
		hc := &http.Client{Transport: inProcess{sb.Handler()}}
		newClient := func() *facade.MoneyKit {
			mk, err := facade.NewMoneyKit(facade.WithCredentials(creds.ClientID, creds.ClientSecret),
				facade.WithBaseURL(creds.BaseURL), facade.WithHTTPClient(hc), facade.WithMaxRetries(0))
			require.NoError(t, err)
			return mk
		}
		ctx := t.Context()
		setup := newClient()
		ls, err := setup.LinkSessions.Create(ctx, facade.NewLinkSession("user-fleet", "https://app.example/oauth"))
		require.NoError(t, err)
		exch, err := sb.CompleteLinkSession(ls.LinkSessionToken, sandbox.ConnectOptions{})
		require.NoError(t, err)
		res, err := setup.LinkSessions.Exchange(ctx, exch)
		require.NoError(t, err)
		linkID := res.Link.LinkId

		fp := facade.Fingerprint(creds.BaseURL, creds.ClientID)
		linkScope := facade.ScopeKey(facade.ProviderMoneyKit, fp, "getLink", facade.ScopeLink, linkID)
		appScope := facade.ScopeKey(facade.ProviderMoneyKit, fp, "getLink", facade.ScopeApp, "")
		perLink := facade.Limit{Requests: 15, Per: time.Minute}
		perApp := facade.Limit{Requests: 1000, Per: time.Minute}

		r := newMini(t)
		const run = 90 * time.Second
		start := time.Now()
		var ok, limited, other atomic.Int64
		var wg sync.WaitGroup
		for range instances {
			mk, lim := setup, r.instance().Limiter()
			wg.Go(func() {
				for time.Since(start) < run {
					wait, err := lim.Allow(ctx, linkScope, perLink, 1)
					require.NoError(t, err)
					if wait > 0 {
						time.Sleep(wait)
						continue
					}
					wait, err = lim.Allow(ctx, appScope, perApp, 1)
					require.NoError(t, err)
					require.Zero(t, wait, "the app budget is far from spent")
					_, err = mk.Links.Get(ctx, linkID)
					var apiErr *facade.Error
					switch {
					case err == nil:
						ok.Add(1)
					case errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusTooManyRequests:
						limited.Add(1)
					default:
						other.Add(1)
						t.Errorf("unexpected error: %v", err)
					}
				}
			})
		}
		wg.Wait()
		require.Zero(t, limited.Load(), "the sandbox refused nothing")
		require.Zero(t, other.Load())
		// The burst of 8, then one call per 7.875s: 8 + 11 in 90s.
		_, interval := perLink.Pacing()
		require.EqualValues(t, 8+int(run/interval), ok.Load())
		t.Logf("%d instances: %d calls in %v, 0 refused", instances, ok.Load(), run)
	})
}
