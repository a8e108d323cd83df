package redisfleet

import (
	"context"
	"testing"
	"time"

	"github.com/banklink/banklink/facade/fleet"
)

// Cost per call of the shared stores against a loopback redis-server, next
// to the in-process path (make bench-fleet prints the ratios). The limit is
// generous enough that every call is allowed, so each measures one decision.
var benchLimit = fleet.Limit{Requests: 1 << 30, Per: time.Second, Burst: 1 << 29}

func BenchmarkLimiter(b *testing.B) {
	key := linkKey("mk_bench")
	b.Run("memory", func(b *testing.B) {
		l := fleet.NewMemoryLimiter()
		ctx := context.Background()
		for b.Loop() {
			if _, err := l.Allow(ctx, key, benchLimit, 1); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("redis", func(b *testing.B) {
		f := realInstance(b, realRedis(b), uniquePrefix(b))
		ctx := context.Background()
		_, _ = f.Limiter().Allow(ctx, key, benchLimit, 1) // dial first
		for b.Loop() {
			if _, err := f.Limiter().Allow(ctx, key, benchLimit, 1); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkTokenStore(b *testing.B) {
	fetch := func(context.Context) (fleet.Token, error) {
		return fleet.Token{Value: "tok", RefreshAt: time.Now().Add(time.Hour)}, nil
	}
	b.Run("memory", func(b *testing.B) {
		s := fleet.NewMemoryTokenStore()
		ctx := context.Background()
		for b.Loop() {
			if _, err := s.Get(ctx, tokKey, fetch); err != nil {
				b.Fatal(err)
			}
		}
	})
	// A warm instance: the token it read last is still fresh.
	b.Run("redis-warm", func(b *testing.B) {
		f := realInstance(b, realRedis(b), uniquePrefix(b))
		ctx := context.Background()
		_, _ = f.Tokens().Get(ctx, tokKey, fetch) // dial and read once
		for b.Loop() {
			if _, err := f.Tokens().Get(ctx, tokKey, fetch); err != nil {
				b.Fatal(err)
			}
		}
	})
	// A cold instance finding the fleet's token in Redis (GET + PTTL).
	b.Run("redis-read", func(b *testing.B) {
		f := realInstance(b, realRedis(b), uniquePrefix(b))
		ctx := context.Background()
		if _, err := f.Tokens().Get(ctx, tokKey, fetch); err != nil {
			b.Fatal(err)
		}
		k := f.key("token", tokKey)
		for b.Loop() {
			if _, ok, err := f.Tokens().read(ctx, k); err != nil || !ok {
				b.Fatal(err, ok)
			}
		}
	})
}

func BenchmarkCoolDownRemaining(b *testing.B) {
	key := linkKey("mk_bench")
	b.Run("memory", func(b *testing.B) {
		s := fleet.NewMemoryCoolDownStore()
		ctx := context.Background()
		for b.Loop() {
			if _, err := s.Remaining(ctx, key); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("redis", func(b *testing.B) {
		f := realInstance(b, realRedis(b), uniquePrefix(b))
		ctx := context.Background()
		_, _ = f.CoolDowns().Remaining(ctx, key) // dial first
		for b.Loop() {
			if _, err := f.CoolDowns().Remaining(ctx, key); err != nil {
				b.Fatal(err)
			}
		}
	})
}
