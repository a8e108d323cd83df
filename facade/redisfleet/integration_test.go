package redisfleet

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/banklink/banklink/facade/fleet"
	"github.com/banklink/banklink/internal/testkit"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// EnvRedisURL names the Redis the integration tests use (.ci/with-redis
// starts one and sets it). Outside CI the tests skip without it; under
// CI=true its absence is a failure.
const EnvRedisURL = "BANKLINK_REDIS_URL"

func realRedis(t testing.TB) *redis.Options {
	t.Helper()
	u := os.Getenv(EnvRedisURL)
	if u == "" {
		if testkit.UnderCI() {
			t.Fatalf("%s is not set: CI must run the Redis integration tests (.ci/with-redis)", EnvRedisURL)
		}
		t.Skipf("%s is not set; run through .ci/with-redis to include the Redis integration tests", EnvRedisURL)
	}
	opt, err := redis.ParseURL(u)
	require.NoError(t, err)
	return opt
}

// realInstance is one instance on its own client, under a prefix unique to
// the test so runs do not see each other's keys.
func realInstance(t testing.TB, opt *redis.Options, prefix string, opts ...Option) *Fleet {
	c := redis.NewClient(opt)
	t.Cleanup(func() { _ = c.Close() })
	f, err := New(c, prefix, opts...)
	require.NoError(t, err)
	return f
}

func uniquePrefix(t testing.TB) string {
	return fmt.Sprintf("banklink-test-%d-%s", time.Now().UnixNano(), t.Name())
}

func TestIntegrationBudgetAndColdStart(t *testing.T) {
	opt := realRedis(t)
	prefix := uniquePrefix(t)
	ctx := t.Context()
	// A limit whose steady rate cannot refill within the test.
	l := fleet.Limit{Requests: 15, Per: time.Hour}
	var allowed atomic.Int64
	var wg sync.WaitGroup
	srv := &realTokenServer{}
	for range 8 {
		f := realInstance(t, opt, prefix)
		wg.Go(func() {
			tok, err := f.Tokens().Get(ctx, tokKey, srv.fetch)
			require.NoError(t, err)
			require.Equal(t, "tok-1", tok.Value)
			for range 10 {
				wait, err := f.Limiter().Allow(ctx, linkKey("mk_1"), l, 1)
				require.NoError(t, err)
				if wait == 0 {
					allowed.Add(1)
				} else {
					require.Greater(t, wait, time.Minute)
				}
			}
		})
	}
	wg.Wait()
	require.EqualValues(t, 8, allowed.Load(), "80 calls from 8 instances, the burst of 8 allowed")
	require.EqualValues(t, 1, srv.n.Load(), "8 cold instances, one token request")

	a, b := realInstance(t, opt, prefix), realInstance(t, opt, prefix)
	require.NoError(t, a.CoolDowns().Extend(ctx, linkKey("mk_1"), 3*time.Second))
	d, err := b.CoolDowns().Remaining(ctx, linkKey("mk_1"))
	require.NoError(t, err)
	require.InDelta(t, 3*time.Second, d, float64(time.Second))
	seen, err := a.Dedupe().Seen(ctx, "evt_1", time.Minute)
	require.NoError(t, err)
	require.False(t, seen)
	seen, err = b.Dedupe().Seen(ctx, "evt_1", time.Minute)
	require.NoError(t, err)
	require.True(t, seen)
}

type realTokenServer struct{ n atomic.Int64 }

func (s *realTokenServer) fetch(ctx context.Context) (fleet.Token, error) {
	n := s.n.Add(1)
	return fleet.Token{Value: fmt.Sprint("tok-", n), RefreshAt: time.Now().Add(time.Hour)}, nil
}

// A redis-server of the test's own, stopped mid-run and restarted on the
// same port: calls keep succeeding from memory, and sharing resumes.
func TestIntegrationRedisDown(t *testing.T) {
	realRedis(t) // runs where Redis integration runs
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if testkit.UnderCI() {
			t.Fatal("redis-server is not installed")
		}
		t.Skip("redis-server is not installed")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir())
		require.NoError(t, cmd.Start())
		return cmd
	}
	stop := func(cmd *exec.Cmd) { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	cmd := start()
	t.Cleanup(func() { stop(cmd) })
	opt := &redis.Options{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), DialTimeout: 200 * time.Millisecond, ReadTimeout: 200 * time.Millisecond, MaxRetries: -1, DialerRetries: 1}
	ping := redis.NewClient(opt)
	defer ping.Close()
	ready := func() {
		for range 200 {
			if ping.Ping(t.Context()).Err() == nil {
				return
			}
			time.Sleep(25 * time.Millisecond) // readiness poll, not a timing assertion
		}
		t.Fatal("redis-server did not start")
	}
	ready()

	prefix := uniquePrefix(t)
	a := realInstance(t, opt, prefix, WithProbeInterval(50*time.Millisecond))
	b := realInstance(t, opt, prefix, WithProbeInterval(50*time.Millisecond))
	ctx := t.Context()
	seen, err := a.Dedupe().Seen(ctx, "before", time.Minute)
	require.NoError(t, err)
	require.False(t, seen)

	stop(cmd)
	srv := &realTokenServer{}
	for i := range 20 {
		_, err := a.Limiter().Allow(ctx, linkKey("mk_1"), perLink, 1)
		require.NoError(t, err, "call %d with Redis down", i)
		_, err = a.Tokens().Get(ctx, tokKey, srv.fetch)
		require.NoError(t, err)
		require.NoError(t, a.CoolDowns().Extend(ctx, linkKey("mk_1"), time.Second))
		_, err = b.Dedupe().Seen(ctx, fmt.Sprint("during-", i), time.Minute)
		require.NoError(t, err)
	}
	require.EqualValues(t, 1, srv.n.Load(), "a fetched its own token once and kept it in process")

	cmd = start()
	ready()
	// Sharing resumes once the probe interval and go-redis's redial allow.
	require.Eventually(t, func() bool {
		_ = a.CoolDowns().Extend(ctx, linkKey("mk_7"), time.Minute)
		d, err := b.CoolDowns().Remaining(ctx, linkKey("mk_7"))
		return err == nil && d > 30*time.Second
	}, 10*time.Second, 50*time.Millisecond)
}
