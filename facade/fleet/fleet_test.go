package fleet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

func TestLimitValidateNamesFieldAndRule(t *testing.T) {
	for _, tc := range []struct {
		l    Limit
		want string
	}{
		{Limit{Requests: 0, Per: time.Minute}, "Limit.Requests must be positive, got 0"},
		{Limit{Requests: 15, Per: 0}, "Limit.Per must be positive, got 0s"},
		{Limit{Requests: 15, Per: time.Minute, Burst: 16}, "Limit.Burst must be between 0 and Requests (15), got 16"},
		{Limit{Requests: 15, Per: time.Minute, Burst: -1}, "Limit.Burst must be between 0 and Requests (15), got -1"},
	} {
		err := tc.l.Validate()
		require.ErrorContains(t, err, tc.want)
		_, aerr := NewMemoryLimiter().Allow(t.Context(), "k", tc.l, 1)
		require.ErrorContains(t, aerr, tc.want)
	}
	require.NoError(t, Limit{Requests: 1, Per: time.Second}.Validate())
	_, err := NewMemoryLimiter().Allow(t.Context(), "k", Limit{Requests: 15, Per: time.Minute}, 9)
	require.ErrorContains(t, err, "cost 9 exceeds the burst 8")
	_, err = NewMemoryLimiter().Allow(t.Context(), "k", Limit{Requests: 15, Per: time.Minute}, 0)
	require.ErrorContains(t, err, "cost must be positive")
}

func TestLimitPacing(t *testing.T) {
	for _, tc := range []struct {
		l        Limit
		burst    int
		interval time.Duration
	}{
		{Limit{Requests: 15, Per: time.Minute}, 8, 63 * time.Second / 8},
		{Limit{Requests: 4, Per: time.Minute}, 3, 63 * time.Second / 2},
		{Limit{Requests: 1, Per: time.Minute}, 1, 63 * time.Second},
		{Limit{Requests: 20, Per: time.Minute}, 11, 63 * time.Second / 10},
		{Limit{Requests: 15, Per: time.Minute, Burst: 15}, 15, 63 * time.Second},
		{Limit{Requests: 15, Per: time.Minute, Burst: 1}, 1, 63 * time.Second / 15},
	} {
		b, iv := tc.l.Pacing()
		require.Equal(t, tc.burst, b, tc.l.String())
		require.Equal(t, tc.interval, iv, tc.l.String())
	}
}

// slidingWindow is the strictest reading of "N per Per" (the sandbox's):
// a call is refused if N calls were already allowed in the preceding Per.
type slidingWindow struct {
	n     int
	per   time.Duration
	times []time.Time
}

func (w *slidingWindow) admit(now time.Time) bool {
	if len(w.times) >= w.n && now.Sub(w.times[len(w.times)-w.n]) < w.per {
		return false
	}
	w.times = append(w.times, now)
	return true
}

// Whatever the arrival pattern, a limiter never lets through a call that a
// sliding window of the documented limit would refuse, and its wait is
// exact: the call is refused just before it and allowed at it.
func TestMemoryLimiterNeverOverrunsSlidingWindow(t *testing.T) {
	for _, l := range []Limit{
		{Requests: 15, Per: time.Minute},
		{Requests: 4, Per: time.Minute},
		{Requests: 1, Per: time.Minute},
		{Requests: 20, Per: time.Minute},
		{Requests: 300, Per: time.Minute},
		{Requests: 15, Per: time.Minute, Burst: 15},
		{Requests: 15, Per: time.Minute, Burst: 1},
	} {
		t.Run(l.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(l.Requests)))
			now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			m := NewMemoryLimiter()
			m.now = func() time.Time { return now }
			w := &slidingWindow{n: l.Requests, per: l.Per}
			allowed := 0
			for range 5000 {
				now = now.Add(time.Duration(rng.Int64N(int64(2 * l.Per / time.Duration(l.Requests)))))
				wait, err := m.Allow(t.Context(), "k", l, 1)
				require.NoError(t, err)
				if wait > 0 {
					// Not a moment sooner...
					now = now.Add(wait - time.Millisecond)
					w2, err := m.Allow(t.Context(), "k", l, 1)
					require.NoError(t, err)
					require.Positive(t, w2)
					// ...but then, yes.
					now = now.Add(time.Millisecond)
					w2, err = m.Allow(t.Context(), "k", l, 1)
					require.NoError(t, err)
					require.Zero(t, w2)
				}
				require.True(t, w.admit(now), "call %d at %v overruns %v", len(w.times), now, l)
				allowed++
			}
			require.Equal(t, 5000, allowed)
		})
	}
}

func TestMemoryLimiterBudgetThenWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewMemoryLimiter()
		l := Limit{Requests: 15, Per: time.Minute}
		key := ScopeKey("moneykit", Fingerprint("https://api.moneykit.com/", "id"), "getLink", ScopeLink, "mk_1")
		for i := range 8 {
			wait, err := m.Allow(t.Context(), key, l, 1)
			require.NoError(t, err)
			require.Zero(t, wait, "call %d", i)
		}
		wait, err := m.Allow(t.Context(), key, l, 1)
		require.NoError(t, err)
		require.Equal(t, 63*time.Second/8, wait)
		// Another link's budget is its own.
		other, err := m.Allow(t.Context(), key+"x", l, 1)
		require.NoError(t, err)
		require.Zero(t, other)
		time.Sleep(wait)
		wait, err = m.Allow(t.Context(), key, l, 1)
		require.NoError(t, err)
		require.Zero(t, wait)
		// A cost of 3 waits for three intervals' worth of refill.
		wait, err = m.Allow(t.Context(), key, l, 3)
		require.NoError(t, err)
		require.Equal(t, 3*63*time.Second/8, wait)
	})
}

func TestMemoryLimiterSweepsIdleKeys(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewMemoryLimiter()
		l := Limit{Requests: 2, Per: time.Second}
		for i := range 5000 {
			_, err := m.Allow(t.Context(), fmt.Sprint("k", i), l, 1)
			require.NoError(t, err)
			if i%100 == 99 {
				time.Sleep(2 * time.Second) // every earlier bucket refills
			}
		}
		m.mu.Lock()
		n := len(m.buckets)
		m.mu.Unlock()
		require.Less(t, n, 2*minSweep, "idle buckets are dropped")
	})
}

func TestMemoryCoolDownExtendsForwardOnly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		s := NewMemoryCoolDownStore()
		require.NoError(t, s.Extend(ctx, "a", 3*time.Second))
		require.NoError(t, s.Extend(ctx, "a", time.Second)) // shorter: kept at 3s
		d, err := s.Remaining(ctx, "a")
		require.NoError(t, err)
		require.Equal(t, 3*time.Second, d)
		d, err = s.Remaining(ctx, "b")
		require.NoError(t, err)
		require.Zero(t, d, "other scopes are unaffected")
		time.Sleep(2 * time.Second)
		require.NoError(t, s.Extend(ctx, "a", 5*time.Second)) // longer: moves forward
		d, _ = s.Remaining(ctx, "a")
		require.Equal(t, 5*time.Second, d)
		time.Sleep(5 * time.Second)
		d, _ = s.Remaining(ctx, "a")
		require.Zero(t, d)
		require.ErrorContains(t, s.Extend(ctx, "", time.Second), "key must not be empty")
	})
}

// countingFetch hands out tok-1, tok-2, … with the given lifetime, after a
// fake-clock delay, and counts calls.
type countingFetch struct {
	n        atomic.Int64
	lifetime time.Duration
	delay    time.Duration
	fail     error
}

func (f *countingFetch) fetch(ctx context.Context) (Token, error) {
	n := f.n.Add(1)
	if f.delay > 0 {
		select {
		case <-time.After(f.delay):
		case <-ctx.Done():
			return Token{}, ctx.Err()
		}
	}
	if f.fail != nil {
		return Token{}, f.fail
	}
	return Token{Value: fmt.Sprint("tok-", n), RefreshAt: time.Now().Add(f.lifetime)}, nil
}

func TestMemoryTokenStoreOneFetchForConcurrentColdCallers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewMemoryTokenStore()
		f := &countingFetch{lifetime: time.Hour, delay: 100 * time.Millisecond}
		var wg sync.WaitGroup
		got := make([]string, 8)
		for i := range 8 {
			wg.Go(func() {
				tok, err := s.Get(t.Context(), "k", f.fetch)
				require.NoError(t, err)
				got[i] = tok.Value
			})
		}
		wg.Wait()
		require.EqualValues(t, 1, f.n.Load())
		for _, v := range got {
			require.Equal(t, "tok-1", v)
		}
		// Due for refresh: fetched again.
		time.Sleep(time.Hour)
		tok, err := s.Get(t.Context(), "k", f.fetch)
		require.NoError(t, err)
		require.Equal(t, "tok-2", tok.Value)
	})
}

func TestMemoryTokenStoreCompareAndDelete(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		s := NewMemoryTokenStore()
		f := &countingFetch{lifetime: time.Hour}
		old, err := s.Get(ctx, "k", f.fetch)
		require.NoError(t, err)
		require.NoError(t, s.Invalidate(ctx, "k", old))
		fresh, err := s.Get(ctx, "k", f.fetch)
		require.NoError(t, err)
		require.Equal(t, "tok-2", fresh.Value)
		// A second caller reporting the same old token drops nothing.
		require.NoError(t, s.Invalidate(ctx, "k", old))
		again, err := s.Get(ctx, "k", f.fetch)
		require.NoError(t, err)
		require.Equal(t, "tok-2", again.Value)
		require.EqualValues(t, 2, f.n.Load())
	})
}

func TestMemoryTokenStoreWaiterLeavesOthersWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewMemoryTokenStore()
		f := &countingFetch{lifetime: time.Hour, delay: time.Second}
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		var wg sync.WaitGroup
		wg.Go(func() {
			_, err := s.Get(ctx, "k", f.fetch)
			require.ErrorIs(t, err, context.DeadlineExceeded)
		})
		synctest.Wait()
		tok, err := s.Get(t.Context(), "k", f.fetch)
		require.NoError(t, err)
		require.Equal(t, "tok-1", tok.Value, "the first caller leaving did not cancel the fetch")
		wg.Wait()
		require.EqualValues(t, 1, f.n.Load())

		boom := errors.New("token endpoint down")
		bad := &countingFetch{fail: boom}
		_, err = s.Get(t.Context(), "other", bad.fetch)
		require.ErrorIs(t, err, boom)
	})
}

func TestMemoryDedupeOnceAmongConcurrentCallers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		s := NewMemoryDedupeStore()
		var firsts atomic.Int64
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				seen, err := s.Seen(ctx, "evt_1", time.Hour)
				require.NoError(t, err)
				if !seen {
					firsts.Add(1)
				}
			})
		}
		wg.Wait()
		require.EqualValues(t, 1, firsts.Load())
		time.Sleep(time.Hour)
		seen, err := s.Seen(ctx, "evt_1", time.Hour)
		require.NoError(t, err)
		require.False(t, seen, "expired after its ttl")
		require.NoError(t, s.Forget(ctx, "evt_1"))
		seen, _ = s.Seen(ctx, "evt_1", time.Hour)
		require.False(t, seen, "forgotten")
		_, err = s.Seen(ctx, "evt_2", 0)
		require.ErrorContains(t, err, "dedupe ttl must be positive")
	})
}

func TestFleetKeys(t *testing.T) {
	const base, id = "https://api.moneykit.com/", "client_id_TESTID"
	fp := Fingerprint(base, id)
	require.Len(t, fp, 16)
	require.NotEqual(t, fp, Fingerprint("https://api.moneykit.com/sandbox/", id))
	require.NotEqual(t, fp, Fingerprint(base, id+"2"))
	// The separator keeps ("ab","c") and ("a","bc") apart.
	require.NotEqual(t, Fingerprint("ab", "c"), Fingerprint("a", "bc"))

	require.Equal(t, "moneykit:"+fp+":getLink:link:mk_123", ScopeKey("moneykit", fp, "getLink", ScopeLink, "mk_123"))
	require.Equal(t, "moneykit:"+fp+":createAccessToken:client", ScopeKey("moneykit", fp, "createAccessToken", ScopeClient, ""))
	uk := ScopeKey("moneykit", fp, "createLinkSession", ScopeUser, "jane@example.com")
	require.NotContains(t, uk, "jane")
	require.True(t, strings.HasPrefix(uk, "moneykit:"+fp+":createLinkSession:user:"))

	tk := TokenKey("linkmoney", base, id, "link:payment")
	require.NotContains(t, tk, id)
	require.NotEqual(t, tk, TokenKey("linkmoney", base, id, "link:core"))
	require.NotEqual(t, tk, TokenKey("linkmoney", "https://api.link-sandbox.money/", id, "link:payment"))
}

func TestTokenNeverPrintsValue(t *testing.T) {
	tok := Token{Value: "eyJSECRETTOKEN", RefreshAt: time.Unix(0, 0)}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("t", "token", tok)
	for _, s := range []string{fmt.Sprint(tok), fmt.Sprintf("%+v", tok), fmt.Sprintf("%#v", tok), fmt.Sprintf("%v", &tok), buf.String()} {
		require.NotContains(t, s, "SECRETTOKEN")
		require.Contains(t, s, "redacted")
	}
}
