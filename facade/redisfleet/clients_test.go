package redisfleet

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/fleet"
	"github.com/banklink/banklink/facade/moneykit"
	"github.com/banklink/banklink/internal/memnet"
)

// fleetAPI is a counting MoneyKit fake on an in-memory network: token
// requests, and GET /links/{id} with the time each reached it. A GET with a
// token the server no longer accepts draws 401 expired_access_token; next429
// makes the next GET of a link answer 429 with Retry-After.
type fleetAPI struct {
	srvURL string
	hc     *http.Client

	tokens  atomic.Int64
	current atomic.Pointer[string]

	mu      sync.Mutex
	gets    map[string][]time.Time
	next429 map[string]string // link id -> Retry-After
}

const linkBody = `{"link_id":"mk_1","institution_id":"chase","institution_name":"Chase","institution_avatar":"https://x/a.png",` +
	`"state":"connected","provider":"plaid","products":{},"available_products":["transactions"]}`

func newFleetAPI(t *testing.T) *fleetAPI {
	f := &fleetAPI{gets: map[string][]time.Time{}, next429: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /auth/token", f.serve)
	mux.HandleFunc("/links/{id}", f.serve)
	srv, l := memnet.NewServer(t, mux)
	f.srvURL, f.hc = srv.URL, memnet.Client(t, facade.DefaultHTTPClient(), l)
	return f
}

func (f *fleetAPI) serve(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path == "/auth/token" {
		n := f.tokens.Add(1)
		auth := fmt.Sprintf("Bearer tok-%d", n)
		f.current.Store(&auth)
		w.WriteHeader(http.StatusCreated)
		_, _ = fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"bearer","expires_in":3600}`, n)
		return
	}
	id := r.PathValue("id")
	if cur := f.current.Load(); cur == nil || r.Header.Get("Authorization") != *cur {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error_code":"api_error.auth.expired_access_token","error_message":"expired"}`)
		return
	}
	f.mu.Lock()
	f.gets[id] = append(f.gets[id], time.Now())
	ra, limited := f.next429[id]
	delete(f.next429, id)
	f.mu.Unlock()
	if limited {
		w.Header().Set("Retry-After", ra)
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"error_code":"api_error.rate_limit_exceeded","error_message":"slow down"}`)
		return
	}
	_, _ = io.WriteString(w, linkBody)
}

func (f *fleetAPI) getTimes(id string) []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.gets[id]...)
}

// revoke makes the server refuse every token issued so far.
func (f *fleetAPI) revoke() { f.current.Store(nil) }

// instance is one backend instance: its own Redis client and facade client.
func (f *fleetAPI) instance(t *testing.T, r *mini, opts ...facade.Option) *moneykit.Client {
	base := []facade.Option{facade.WithCredentials("client_id_TESTID", "secret"), facade.WithBaseURL(f.srvURL),
		facade.WithHTTPClient(f.hc), With(r.client(), "app")}
	mk, err := moneykit.New(append(base, opts...)...)
	require.NoError(t, err)
	return mk
}

// Cold start: 8 facade clients, each its own instance, call at once: one
// token request for the whole fleet.
func TestClientsColdStartOneToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, r := newFleetAPI(t), newMini(t)
		var wg sync.WaitGroup
		for range 8 {
			mk := f.instance(t, r)
			wg.Go(func() {
				_, err := mk.Links.Get(t.Context(), "mk_1")
				require.NoError(t, err)
			})
		}
		wg.Wait()
		require.EqualValues(t, 1, f.tokens.Load(), "one token request for 8 cold instances")
		require.Len(t, f.getTimes("mk_1"), 8)
	})
}

// Shared budget: 8 instances × 10 calls on one link, each call with a 5s
// context. The link's documented limit (15 a minute) lets the fleet's burst
// of 8 through; every other call's next slot is past its deadline, so it
// fails fast with *RateLimitError naming the link scope, and the server
// never sees more.
func TestClientsShareTheBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, r := newFleetAPI(t), newMini(t)
		var refused atomic.Int64
		var wg sync.WaitGroup
		for range 8 {
			mk := f.instance(t, r)
			wg.Go(func() {
				for range 10 {
					ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
					_, err := mk.Links.Get(ctx, "mk_1")
					cancel()
					if err == nil {
						continue
					}
					var rl *facade.RateLimitError
					require.ErrorAs(t, err, &rl)
					require.Equal(t, fleet.ScopeLink, rl.Scope)
					require.Positive(t, rl.RetryAfter)
					refused.Add(1)
				}
			})
		}
		wg.Wait()
		times := f.getTimes("mk_1")
		require.Len(t, times, 8, "the fleet sends the burst of 8 of 15 and no more")
		require.EqualValues(t, 80-8, refused.Load())
		for i := 15; i < len(times); i++ {
			require.GreaterOrEqual(t, times[i].Sub(times[i-15]), time.Minute)
		}
		// Another link has its own budget.
		_, err := f.instance(t, r).Links.Get(t.Context(), "mk_2")
		require.NoError(t, err)
	})
}

// Shared cool-down: instance A draws a 429 with Retry-After: 3 on mk_1. No
// instance sends on mk_1 for 3s; mk_2 is unaffected.
func TestClientsShareTheCoolDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, r := newFleetAPI(t), newMini(t)
		a := f.instance(t, r, facade.WithMaxRetries(0))
		b := f.instance(t, r)
		f.mu.Lock()
		f.next429["mk_1"] = "3"
		f.mu.Unlock()
		start := time.Now()
		_, err := a.Links.Get(t.Context(), "mk_1")
		require.ErrorIs(t, err, facade.ErrRateLimited)

		_, err = b.Links.Get(t.Context(), "mk_2")
		require.NoError(t, err)
		require.Equal(t, start, time.Now(), "another link goes at once")

		_, err = b.Links.Get(t.Context(), "mk_1")
		require.NoError(t, err)
		times := f.getTimes("mk_1")
		require.Len(t, times, 2)
		waited := times[1].Sub(start)
		require.GreaterOrEqual(t, waited, 3*time.Second, "b waited out a's window")
		require.LessOrEqual(t, waited, 3*time.Second+300*time.Millisecond, "plus at most a tenth of it in jitter")

		// A caller whose context cannot wait the window out fails fast.
		f.mu.Lock()
		f.next429["mk_3"] = "3"
		f.mu.Unlock()
		_, err = a.Links.Get(t.Context(), "mk_3")
		require.Error(t, err)
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		_, err = b.Links.Get(ctx, "mk_3")
		var rl *facade.RateLimitError
		require.ErrorAs(t, err, &rl)
		require.Len(t, f.getTimes("mk_3"), 1, "b did not send")
	})
}

// Token invalidation: the provider rejects the fleet's token; 4 instances
// each see a 401 and one refetch follows in total.
func TestClientsOneRefetchAfter401(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, r := newFleetAPI(t), newMini(t)
		fleet := make([]*moneykit.Client, 4)
		for i := range fleet {
			fleet[i] = f.instance(t, r)
			_, err := fleet[i].Links.Get(t.Context(), fmt.Sprint("mk_", i))
			require.NoError(t, err)
		}
		require.EqualValues(t, 1, f.tokens.Load())
		f.revoke()
		for i, mk := range fleet {
			_, err := mk.Links.Get(t.Context(), fmt.Sprint("mk_", i))
			require.NoError(t, err, "instance %d", i)
		}
		require.EqualValues(t, 2, f.tokens.Load(), "one refetch for the fleet")
	})
}

// Redis down mid-run: calls keep succeeding on the in-memory path; when it
// is back, instances share again (a new instance uses the stored token).
func TestClientsRedisDownMidRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, r := newFleetAPI(t), newMini(t)
		a := f.instance(t, r)
		_, err := a.Links.Get(t.Context(), "mk_1")
		require.NoError(t, err)
		r.stop()
		for i := range 5 {
			_, err := a.Links.Get(t.Context(), fmt.Sprint("mk_down_", i))
			require.NoError(t, err, "call %d with Redis down", i)
		}
		cold := f.instance(t, r)
		_, err = cold.Links.Get(t.Context(), "mk_2")
		require.NoError(t, err, "a cold instance fetches its own token")
		require.EqualValues(t, 2, f.tokens.Load())

		r.start()
		time.Sleep(3 * time.Second) // go-redis redials; the probe interval passes
		_, err = a.Links.Get(t.Context(), "mk_1")
		require.NoError(t, err, "the instance that saw the outage goes on")
		_, err = f.instance(t, r).Links.Get(t.Context(), "mk_1")
		require.NoError(t, err)
		tokens := f.tokens.Load()
		_, err = f.instance(t, r).Links.Get(t.Context(), "mk_3")
		require.NoError(t, err)
		require.Equal(t, tokens, f.tokens.Load(), "sharing resumed: a new instance uses the fleet's token")
	})
}
