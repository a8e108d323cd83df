package redisfleet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/fleet"
	"github.com/banklink/banklink/facade/moneykit"
)

// mini is a miniredis inside a synctest bubble: expiry, TIME and the GCRA
// script follow the bubble's fake clock. stop makes it unreachable (existing
// connections drop, new dials fail); start brings it back with its data.
type mini struct {
	t    *testing.T
	m    *miniredis.Miniredis
	down atomic.Bool
}

func newMini(t *testing.T) *mini {
	m := miniredis.NewMiniRedis()
	m.ClockTTL(true)
	t.Cleanup(m.Close)
	return &mini{t: t, m: m}
}

func (r *mini) stop()  { r.down.Store(true); r.m.Close() }
func (r *mini) start() { r.down.Store(false) }

// client is one instance's go-redis client.
func (r *mini) client() *redis.Client {
	c := redis.NewClient(&redis.Options{
		Dialer: func(context.Context, string, string) (net.Conn, error) {
			if r.down.Load() {
				return nil, errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")
			}
			return r.m.Dial()
		},
		Addr:            "127.0.0.1:6379", // an IP: no resolver goroutine leaves the bubble
		DisableIdentity: true,
		MaxRetries:      -1,
	})
	r.t.Cleanup(func() { _ = c.Close() })
	return c
}

// logSink counts and keeps log lines.
type logSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *logSink) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.buf.String() }

func (s *logSink) count(msg string) int { return strings.Count(s.String(), msg) }

// instance is one backend instance: its own Redis client and Fleet.
func (r *mini) instance(opts ...Option) *Fleet {
	f, err := New(r.client(), "app", opts...)
	require.NoError(r.t, err)
	return f
}

var perLink = fleet.Limit{Requests: 15, Per: time.Minute}

func linkKey(id string) string {
	return fleet.ScopeKey(string(facade.ProviderMoneyKit), fleet.Fingerprint("https://api.moneykit.com/", "client_id_TESTID"), "getLink", fleet.ScopeLink, id)
}

func TestNewRejectsBadSettings(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	for _, tc := range []struct {
		prefix string
		opts   []Option
		want   string
	}{
		{"", nil, "prefix must not be empty"},
		{"my app", nil, "prefix must not contain spaces"},
		{"app", []Option{WithLockTTL(0)}, "lock TTL must be positive"},
		{"app", []Option{WithProbeInterval(-time.Second)}, "probe interval must be positive"},
		{"app", []Option{WithLogInterval(0)}, "log interval must be positive"},
		{"app", []Option{WithLogger(nil)}, "WithLogger(nil)"},
	} {
		_, err := New(c, tc.prefix, tc.opts...)
		require.ErrorContains(t, err, tc.want)
		_, err = moneykit.New(facade.WithCredentials("id", "secret"), With(c, tc.prefix, tc.opts...))
		require.ErrorContains(t, err, tc.want)
	}
	_, err := New(nil, "app")
	require.ErrorContains(t, err, "nil Redis client")
	_, err = moneykit.New(facade.WithCredentials("id", "secret"), With(c, "app"))
	require.NoError(t, err)
}

// 8 instances × 10 calls on one link, each waiting as the limiter says
// within a 5s context: across the fleet no call overruns the sliding window
// of 15 a minute, the burst goes at once, and callers whose wait would
// outlast their context give up.
func TestSharedBudgetAcrossInstances(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newMini(t)
		var (
			mu      sync.Mutex
			allowed []time.Time
			gaveUp  atomic.Int64
		)
		var wg sync.WaitGroup
		for range 8 {
			f := r.instance()
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
				defer cancel()
				for range 10 {
					for {
						wait, err := f.Limiter().Allow(ctx, linkKey("mk_1"), perLink, 1)
						require.NoError(t, err)
						if wait == 0 {
							mu.Lock()
							allowed = append(allowed, time.Now())
							mu.Unlock()
							break
						}
						if dl, _ := ctx.Deadline(); time.Until(dl) < wait {
							gaveUp.Add(1)
							return
						}
						time.Sleep(wait)
					}
				}
			})
		}
		wg.Wait()
		require.Len(t, allowed, 8, "the burst (8 of 15) goes at once; the next slot is 7.875s away")
		require.EqualValues(t, 8, gaveUp.Load())
		// Another link has its own budget.
		wait, err := r.instance().Limiter().Allow(t.Context(), linkKey("mk_2"), perLink, 1)
		require.NoError(t, err)
		require.Zero(t, wait)

		// Over two minutes, the fleet gets exactly what the pacing allows and
		// never more than 15 in any minute.
		start := time.Now()
		fleet := []*Fleet{r.instance(), r.instance(), r.instance()}
		var times []time.Time
		for i := 0; time.Since(start) < 2*time.Minute; i++ {
			wait, err := fleet[i%3].Limiter().Allow(t.Context(), linkKey("mk_1"), perLink, 1)
			require.NoError(t, err)
			if wait == 0 {
				times = append(times, time.Now())
				continue
			}
			time.Sleep(wait)
		}
		all := append(allowed, times...)
		for i := 15; i < len(all); i++ {
			require.GreaterOrEqual(t, all[i].Sub(all[i-15]), time.Minute, "call %d overruns 15/min", i)
		}
		require.Len(t, times, 15, "one call every 7.875s for 2 minutes, starting 2.875s in")
	})
}

func TestSharedCoolDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newMini(t)
		a, b := r.instance(), r.instance()
		ctx := t.Context()
		require.NoError(t, a.CoolDowns().Extend(ctx, linkKey("mk_1"), 3*time.Second))
		d, err := b.CoolDowns().Remaining(ctx, linkKey("mk_1"))
		require.NoError(t, err)
		require.Equal(t, 3*time.Second, d, "b sees a's 429")
		d, err = b.CoolDowns().Remaining(ctx, linkKey("mk_2"))
		require.NoError(t, err)
		require.Zero(t, d, "other scopes are unaffected")
		// A shorter window from b does not shorten it.
		require.NoError(t, b.CoolDowns().Extend(ctx, linkKey("mk_1"), time.Second))
		time.Sleep(2 * time.Second)
		d, _ = b.CoolDowns().Remaining(ctx, linkKey("mk_1"))
		require.Equal(t, time.Second, d)
		time.Sleep(time.Second)
		d, _ = a.CoolDowns().Remaining(ctx, linkKey("mk_1"))
		require.Zero(t, d)
		require.False(t, r.m.Exists("app:cooldown:"+linkKey("mk_1")), "the key expires with the window")
	})
}

// tokenServer counts token fetches; each takes 200ms of fake time.
type tokenServer struct {
	n        atomic.Int64
	lifetime time.Duration
}

func (s *tokenServer) fetch(ctx context.Context) (fleet.Token, error) {
	n := s.n.Add(1)
	select {
	case <-time.After(200 * time.Millisecond):
	case <-ctx.Done():
		return fleet.Token{}, ctx.Err()
	}
	return fleet.Token{Value: fmt.Sprint("tok-", n), RefreshAt: time.Now().Add(s.lifetime)}, nil
}

const tokKey = "moneykit:token:0123456789abcdef"

func TestColdStartOneFetchForTheFleet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newMini(t)
		srv := &tokenServer{lifetime: time.Hour}
		var wg sync.WaitGroup
		got := make([]string, 8)
		for i := range 8 {
			f := r.instance()
			wg.Go(func() {
				tok, err := f.Tokens().Get(t.Context(), tokKey, srv.fetch)
				require.NoError(t, err)
				got[i] = tok.Value
			})
		}
		wg.Wait()
		require.EqualValues(t, 1, srv.n.Load(), "one token request for 8 cold instances")
		for _, v := range got {
			require.Equal(t, "tok-1", v)
		}
		require.LessOrEqual(t, r.m.TTL("app:token:"+tokKey), time.Hour, "the stored token never outlives its lifetime")
		require.False(t, r.m.Exists("app:token:"+tokKey+":lock"), "the lock is released")

		// Due for refresh: one instance refetches, the others follow.
		time.Sleep(time.Hour)
		for range 3 {
			f := r.instance()
			wg.Go(func() {
				tok, err := f.Tokens().Get(t.Context(), tokKey, srv.fetch)
				require.NoError(t, err)
				require.Equal(t, "tok-2", tok.Value)
			})
		}
		wg.Wait()
		require.EqualValues(t, 2, srv.n.Load())
	})
}

// The lock holder dies without storing a token: after the lock's TTL
// another instance takes over.
func TestTokenLockLapses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newMini(t)
		require.NoError(t, r.m.Set("app:token:"+tokKey+":lock", "dead-instance"))
		r.m.SetTTL("app:token:"+tokKey+":lock", DefaultLockTTL)
		srv := &tokenServer{lifetime: time.Hour}
		start := time.Now()
		tok, err := r.instance().Tokens().Get(t.Context(), tokKey, srv.fetch)
		require.NoError(t, err)
		require.Equal(t, "tok-1", tok.Value)
		waited := time.Since(start)
		require.GreaterOrEqual(t, waited, DefaultLockTTL)
		require.Less(t, waited, DefaultLockTTL+pollMax+time.Second)
	})
}

func TestTokenInvalidationOneRefetch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newMini(t)
		srv := &tokenServer{lifetime: time.Hour}
		ctx := t.Context()
		inst := make([]*Fleet, 4)
		held := make([]fleet.Token, 4)
		for i := range inst {
			inst[i] = r.instance()
			tok, err := inst[i].Tokens().Get(ctx, tokKey, srv.fetch)
			require.NoError(t, err)
			held[i] = tok
		}
		require.EqualValues(t, 1, srv.n.Load())
		// The provider rejects tok-1; every instance sees a 401 on it, one
		// after another, and refreshes.
		for i, f := range inst {
			require.NoError(t, f.Tokens().Invalidate(ctx, tokKey, held[i]))
			tok, err := f.Tokens().Get(ctx, tokKey, srv.fetch)
			require.NoError(t, err)
			require.Equal(t, "tok-2", tok.Value, "instance %d", i)
		}
		require.EqualValues(t, 2, srv.n.Load(), "one refetch in total")
		val, err := r.m.Get("app:token:" + tokKey)
		require.NoError(t, err)
		require.Equal(t, "tok-2", val)
	})
}

func TestDedupeOnceAcrossInstances(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newMini(t)
		a, b := r.instance(), r.instance()
		var handled atomic.Int64
		var wg sync.WaitGroup
		for i := range 8 {
			f := a
			if i%2 == 1 {
				f = b
			}
			wg.Go(func() {
				seen, err := f.Dedupe().Seen(t.Context(), "moneykit:evt_1", 24*time.Hour)
				require.NoError(t, err)
				if !seen {
					handled.Add(1)
				}
			})
		}
		wg.Wait()
		require.EqualValues(t, 1, handled.Load())
		require.Equal(t, 24*time.Hour, r.m.TTL("app:dedupe:moneykit:evt_1"))
		require.NoError(t, a.Dedupe().Forget(t.Context(), "moneykit:evt_1"))
		seen, err := b.Dedupe().Seen(t.Context(), "moneykit:evt_1", time.Hour)
		require.NoError(t, err)
		require.False(t, seen, "a failed delivery, forgotten, is handled on redelivery")
		_, err = a.Dedupe().Seen(t.Context(), "", time.Hour)
		require.ErrorContains(t, err, "key must not be empty")
	})
}

func TestPrefixesDoNotShare(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newMini(t)
		a, err := New(r.client(), "app-a")
		require.NoError(t, err)
		b, err := New(r.client(), "app-b")
		require.NoError(t, err)
		seen, _ := a.Dedupe().Seen(t.Context(), "evt", time.Hour)
		require.False(t, seen)
		seen, _ = b.Dedupe().Seen(t.Context(), "evt", time.Hour)
		require.False(t, seen)
		require.True(t, r.m.Exists("rate:app-a:x") == false)
	})
}

// Redis stops mid-run: every store keeps answering from memory, the outage
// is logged once per interval, and no line carries a key or a token.
// Restarted, sharing resumes.
func TestRedisDownFallsBackAndRecovers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newMini(t)
		var sink logSink
		logger := slog.New(slog.NewTextHandler(&sink, nil))
		a := r.instance(WithLogger(logger))
		b := r.instance(WithLogger(logger))
		ctx := t.Context()
		srv := &tokenServer{lifetime: time.Hour}

		tok, err := a.Tokens().Get(ctx, tokKey, srv.fetch)
		require.NoError(t, err)
		require.Equal(t, "tok-1", tok.Value)

		r.stop()
		const outage = "redis unavailable"
		allowed := 0
		var first, last time.Time
		for i := range 200 {
			if i == 0 {
				first = time.Now()
			}
			last = time.Now()
			wait, err := a.Limiter().Allow(ctx, linkKey("mk_1"), perLink, 1)
			require.NoError(t, err, "call %d", i)
			if wait == 0 {
				allowed++
			}
			require.NoError(t, a.CoolDowns().Extend(ctx, linkKey("mk_9"), time.Minute))
			d, err := a.CoolDowns().Remaining(ctx, linkKey("mk_9"))
			require.NoError(t, err)
			require.Positive(t, d, "an instance honours its own 429s")
			seen, err := a.Dedupe().Seen(ctx, fmt.Sprint("evt_", i), time.Hour)
			require.NoError(t, err)
			require.False(t, seen)
			time.Sleep(100 * time.Millisecond)
		}
		// The in-process budget: the burst of 8, then one per 7.875s.
		_, interval := perLink.Pacing()
		require.Equal(t, 8+int(last.Sub(first)/interval), allowed)
		require.Greater(t, allowed, 8)
		require.Equal(t, 1, sink.count(outage), "one line for the whole first minute of a's outage")
		// b is cold: it fetches its own token rather than fail.
		tok, err = b.Tokens().Get(ctx, tokKey, srv.fetch)
		require.NoError(t, err)
		require.Equal(t, "tok-2", tok.Value)
		require.Equal(t, 2, sink.count(outage), "and one for b's")
		time.Sleep(time.Minute)
		_, _ = a.Limiter().Allow(ctx, linkKey("mk_1"), perLink, 1)
		require.Equal(t, 3, sink.count(outage), "another after the log interval")

		r.start()
		// go-redis itself redials in the background once a second after
		// failed dials; give it and the probe interval time.
		time.Sleep(3 * time.Second)
		// Sharing resumes: a's 429 is seen by b again.
		require.NoError(t, a.CoolDowns().Extend(ctx, linkKey("mk_5"), 3*time.Second))
		d, err := b.CoolDowns().Remaining(ctx, linkKey("mk_5"))
		require.NoError(t, err)
		require.Equal(t, 3*time.Second, d)
		require.Contains(t, sink.String(), "redis reachable again")
		seen, err := a.Dedupe().Seen(ctx, "evt_shared", time.Hour)
		require.NoError(t, err)
		require.False(t, seen)
		seen, err = b.Dedupe().Seen(ctx, "evt_shared", time.Hour)
		require.NoError(t, err)
		require.True(t, seen)

		logs := sink.String()
		for _, secret := range []string{"tok-1", "tok-2", "mk_1", "mk_9", tokKey, "evt_"} {
			require.NotContains(t, logs, secret)
		}
	})
}

// A caller whose context ends gets its context's error, not a fallback.
func TestCallerContextEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newMini(t)
		f := r.instance()
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := f.Limiter().Allow(ctx, linkKey("mk_1"), perLink, 1)
		require.ErrorIs(t, err, context.Canceled)
		_, err = f.Dedupe().Seen(ctx, "evt", time.Hour)
		require.ErrorIs(t, err, context.Canceled)
		_, err = f.Tokens().Get(ctx, tokKey, (&tokenServer{lifetime: time.Hour}).fetch)
		require.ErrorIs(t, err, context.Canceled)
		_, err = f.Limiter().Allow(t.Context(), linkKey("mk_1"), fleet.Limit{Requests: 15}, 1)
		require.ErrorContains(t, err, "Limit.Per must be positive")
	})
}
