package redisfleet

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/fleet"
	"github.com/banklink/banklink/facade/moneykit"
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
// 16 and 64 instances, each a facade client with its own Redis client
// (WithFleet), read one link and create link sessions for one user for 90
// seconds. The clients pace themselves on the spec's limits (15/min per
// link, 20/min per user, and the app limits) through the shared limiter;
// the sandbox counts with a sliding window, the strictest reading. It draws
// no 429, every call the budget allows succeeds, one token serves the
// fleet, and the fleet's throughput is the budget's, whatever N.
func TestFleetAgainstSandboxDrawsNo429(t *testing.T) {
	for _, n := range []int{1, 4, 16, 64} {
		t.Run(fmt.Sprint(n, "-instances"), func(t *testing.T) {
			began := time.Now()
			res := fleetAgainstSandbox(t, n, 90*time.Second)
			wall := time.Since(began)
			// The burst, then one call per interval: for links 8 + 11 in
			// 90s, for link sessions 11 + 9.
			_, linkEvery := fleet.Limit{Requests: 15, Per: time.Minute}.Pacing()
			_, userEvery := fleet.Limit{Requests: 20, Per: time.Minute}.Pacing()
			require.Zero(t, res.limited, "the sandbox refused nothing")
			require.EqualValues(t, 8+int(res.run/linkEvery), res.links)
			require.EqualValues(t, 11+int(res.run/userEvery), res.sessions)
			require.EqualValues(t, 1, res.tokens, "one token for the fleet")
			t.Logf("fleet N=%d: %d link reads + %d link sessions in %v of fake time (%.1f calls/min), %d paced past their deadline, %d tokens fetched, %d 429s drawn; %v wall time",
				n, res.links, res.sessions, res.run, float64(res.links+res.sessions)/res.run.Minutes(), res.paced, res.tokens, res.limited, wall.Round(time.Millisecond))
		})
	}
}

// fleetResult is what a fleet run did.
type fleetResult struct {
	run                     time.Duration
	links, sessions, paced  int64 // calls that succeeded; calls the limiter held past their deadline
	limited, tokens, errors int64 // 429s from the sandbox, token requests, other failures
}

// fleetAgainstSandbox runs instances facade clients, sharing a miniredis
// fleet, against the sandbox for run (fake time): each reads one link and
// creates link sessions for one user, every call with a deadline at the end
// of the run.
func fleetAgainstSandbox(t testing.TB, instances int, run time.Duration) (res fleetResult) {
	test := func(t *testing.T) {
		sb := sandbox.New(sandbox.Config{})
		sb.SetURL("http://127.0.0.1:1") // never dialled: inProcess serves it
		creds := sb.MoneyKit()
		var tokens atomic.Int64
		hc := &http.Client{Transport: countTokens{inProcess{sb.Handler()}, &tokens}}
		setup, err := moneykit.New(facade.WithCredentials(creds.ClientID, creds.ClientSecret),
			facade.WithBaseURL(creds.BaseURL), facade.WithHTTPClient(hc))
		require.NoError(t, err)
		ctx := t.Context()
		ls, err := setup.LinkSessions.Create(ctx, moneykit.NewLinkSession("user-setup", "https://app.example/oauth"))
		require.NoError(t, err)
		exch, err := sb.CompleteLinkSession(ls.LinkSessionToken, sandbox.ConnectOptions{})
		require.NoError(t, err)
		lk, err := setup.LinkSessions.Exchange(ctx, exch)
		require.NoError(t, err)
		linkID := lk.Link.LinkId
		time.Sleep(time.Minute) // the setup's calls leave the sandbox's windows
		tokens.Store(0)

		r := newMini(t)
		start := time.Now()
		deadline := start.Add(run)
		var links, sessions, paced, limited, failed atomic.Int64
		count := func(err error, ok *atomic.Int64) bool {
			var apiErr *facade.Error
			var rl *facade.RateLimitError
			switch {
			case err == nil:
				ok.Add(1)
			case errors.As(err, &rl) && rl.Scope != "":
				paced.Add(1)
				return false
			case errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusTooManyRequests:
				limited.Add(1)
			default:
				failed.Add(1)
				t.Errorf("unexpected error: %v", err)
				return false
			}
			return true
		}
		var wg sync.WaitGroup
		for range instances {
			mk, err := moneykit.New(facade.WithCredentials(creds.ClientID, creds.ClientSecret),
				facade.WithBaseURL(creds.BaseURL), facade.WithHTTPClient(hc), facade.WithMaxRetries(0),
				With(r.client(), "app"))
			require.NoError(t, err)
			wg.Go(func() {
				ctx, cancel := context.WithDeadline(ctx, deadline)
				defer cancel()
				for count(func() error { _, err := mk.Links.Get(ctx, linkID); return err }(), &links) {
				}
			})
			wg.Go(func() {
				ctx, cancel := context.WithDeadline(ctx, deadline)
				defer cancel()
				for count(func() error {
					_, err := mk.LinkSessions.Create(ctx, moneykit.NewLinkSession("user-fleet", "https://app.example/oauth"))
					return err
				}(), &sessions) {
				}
			})
		}
		wg.Wait()
		res = fleetResult{run: run, links: links.Load(), sessions: sessions.Load(), paced: paced.Load(),
			limited: limited.Load(), tokens: tokens.Load(), errors: failed.Load()}
	}
	switch tb := t.(type) {
	case *testing.T:
		synctest.Test(tb, test)
	default:
		tb.Fatalf("fleetAgainstSandbox needs a *testing.T")
	}
	return res
}

// countTokens counts the token requests that pass through it.
type countTokens struct {
	next http.RoundTripper
	n    *atomic.Int64
}

func (c countTokens) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/auth/token") {
		c.n.Add(1)
	}
	return c.next.RoundTrip(r)
}
