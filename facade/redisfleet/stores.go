package redisfleet

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/banklink/banklink/facade/fleet"
	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// Limiter is the shared fleet.Limiter: GCRA on the Redis server's clock
// (redis_rate), paced as fleet.Limit.Pacing describes, so clock skew
// between instances does not matter. Key: rate:<prefix>:<scope>.
type Limiter struct{ f *Fleet }

// Allow implements fleet.Limiter.
func (l *Limiter) Allow(ctx context.Context, key string, limit fleet.Limit, n int) (time.Duration, error) {
	if err := fleet.CheckAllow(limit, n); err != nil {
		return 0, err
	}
	if err := fleet.CheckKey(key); err != nil {
		return 0, err
	}
	f := l.f
	if !f.health.usable() {
		return f.memLimiter.Allow(ctx, key, limit, n)
	}
	burst, interval := limit.Pacing()
	res, err := f.rate.AllowN(ctx, f.prefix+":"+key, redis_rate.Limit{Rate: 1, Burst: burst, Period: interval}, n)
	if err != nil {
		if cerr := f.down(ctx, "limiter", err); cerr != nil {
			return 0, cerr
		}
		return f.memLimiter.Allow(ctx, key, limit, n)
	}
	f.health.ok()
	if res.Allowed >= n {
		return 0, nil
	}
	// Never report "not allowed, wait 0": that would spin.
	return max(res.RetryAfter, time.Millisecond), nil
}

// CoolDownStore is the shared fleet.CoolDownStore. Windows are TTLs on the
// Redis server's clock. Key: <prefix>:cooldown:<scope>. Each window is also
// kept in process, so an instance honours its own 429s through an outage.
type CoolDownStore struct{ f *Fleet }

// extendScript sets the key's TTL to ARGV[1] ms unless it already runs longer.
var extendScript = redis.NewScript(`
local cur = redis.call('PTTL', KEYS[1])
if cur < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
  return 1
end
return 0
`)

// Extend implements fleet.CoolDownStore.
func (s *CoolDownStore) Extend(ctx context.Context, key string, d time.Duration) error {
	f := s.f
	if err := f.memCool.Extend(ctx, key, d); err != nil || d <= 0 {
		return err
	}
	if !f.health.usable() {
		return nil
	}
	ms := max(d.Milliseconds(), 1)
	if err := extendScript.Run(ctx, f.rdb, []string{f.key("cooldown", key)}, ms).Err(); err != nil {
		return f.down(ctx, "cooldown", err)
	}
	f.health.ok()
	return nil
}

// Remaining implements fleet.CoolDownStore: the longer of the shared
// window and this process's own.
func (s *CoolDownStore) Remaining(ctx context.Context, key string) (time.Duration, error) {
	f := s.f
	local, err := f.memCool.Remaining(ctx, key)
	if err != nil || !f.health.usable() {
		return local, err
	}
	d, err := f.rdb.PTTL(ctx, f.key("cooldown", key)).Result()
	if err != nil {
		return local, f.down(ctx, "cooldown", err)
	}
	f.health.ok()
	return max(d, local, 0), nil
}

// TokenStore is the shared fleet.TokenStore. The token lives in Redis
// under <prefix>:token:<token key> with a TTL that ends when it is due for
// refresh; each process also keeps the copy it last read, until that
// moment or until Invalidate drops it, so a warm call costs no Redis round
// trip. A cold process first reads Redis; if the token is missing, one
// process takes <prefix>:token:<token key>:lock (SET NX PX) and fetches
// while the others poll for its result.
type TokenStore struct {
	f       *Fleet
	flights fleet.FetchGroup
}

// Polling for another instance's fetch: from pollMin, doubling, up to pollMax.
const (
	pollMin = 10 * time.Millisecond
	pollMax = 250 * time.Millisecond
)

// compareAndDelete deletes KEYS[1] only if it holds ARGV[1].
var compareAndDelete = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`)

// Get implements fleet.TokenStore.
func (s *TokenStore) Get(ctx context.Context, key string, fetch fleet.TokenFetch) (fleet.Token, error) {
	f := s.f
	if t, ok := f.memTokens.Cached(key); ok {
		return t, nil
	}
	if err := fleet.CheckKey(key); err != nil {
		return fleet.Token{}, err
	}
	if err := ctx.Err(); err != nil {
		return fleet.Token{}, err
	}
	// The fetch (and the wait for another instance's) ends when the last
	// caller of this process waiting for it has gone, or after 60s.
	return s.flights.Do(ctx, key, func(fctx context.Context) (fleet.Token, error) {
		if t, ok := f.memTokens.Cached(key); ok {
			return t, nil
		}
		t, err := s.shared(fctx, key, fetch)
		if err != nil {
			return fleet.Token{}, err
		}
		if t.Value != "" {
			f.memTokens.Put(key, t)
		}
		return t, nil
	})
}

// shared reads the fleet's token, or fetches and stores it under the lock,
// or waits for whoever holds the lock. Redis failing at any step makes this
// process fetch its own token.
func (s *TokenStore) shared(ctx context.Context, key string, fetch fleet.TokenFetch) (fleet.Token, error) {
	f := s.f
	if !f.health.usable() {
		return fetch(ctx)
	}
	tokKey, lockKey := f.key("token", key), f.key("token", key)+":lock"
	owner := lockOwner()
	poll := pollMin
	for {
		t, ok, err := s.read(ctx, tokKey)
		if err != nil {
			if cerr := ctx.Err(); cerr != nil {
				return fleet.Token{}, cerr
			}
			return fetch(ctx)
		}
		if ok {
			return t, nil
		}
		got, err := f.rdb.SetNX(ctx, lockKey, owner, f.set.lockTTL).Result()
		if err != nil {
			if cerr := f.down(ctx, "tokens", err); cerr != nil {
				return fleet.Token{}, cerr
			}
			return fetch(ctx)
		}
		if got {
			return s.fetchLocked(ctx, tokKey, lockKey, owner, fetch)
		}
		// Another instance is fetching: wait for its token, or for its
		// lock to lapse if it died.
		timer := time.NewTimer(poll)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return fleet.Token{}, ctx.Err()
		}
		poll = min(2*poll, pollMax)
	}
}

// read returns the fleet's token if one is stored, with its refresh time on
// this process's clock.
func (s *TokenStore) read(ctx context.Context, tokKey string) (fleet.Token, bool, error) {
	f := s.f
	var get *redis.StringCmd
	var ttl *redis.DurationCmd
	_, err := f.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		get = p.Get(ctx, tokKey)
		ttl = p.PTTL(ctx, tokKey)
		return nil
	})
	if errors.Is(err, redis.Nil) {
		f.health.ok()
		return fleet.Token{}, false, nil
	}
	if err != nil {
		if cerr := f.down(ctx, "tokens", err); cerr != nil {
			return fleet.Token{}, false, cerr
		}
		return fleet.Token{}, false, err
	}
	f.health.ok()
	d := ttl.Val()
	if d <= 0 || get.Val() == "" {
		return fleet.Token{}, false, nil
	}
	return fleet.Token{Value: get.Val(), RefreshAt: time.Now().Add(d)}, true, nil
}

func (s *TokenStore) fetchLocked(ctx context.Context, tokKey, lockKey, owner string, fetch fleet.TokenFetch) (fleet.Token, error) {
	f := s.f
	defer func() {
		// Release only our own lock; a lapsed one may be someone else's now.
		if err := compareAndDelete.Run(context.WithoutCancel(ctx), f.rdb, []string{lockKey}, owner).Err(); err != nil {
			_ = f.down(context.Background(), "tokens", err)
		}
	}()
	// Whoever held the lock before may have stored a token between our
	// read and our SETNX.
	if t, ok, err := s.read(ctx, tokKey); err == nil && ok {
		return t, nil
	}
	t, err := fetch(ctx)
	if err != nil {
		return fleet.Token{}, err
	}
	if d := time.Until(t.RefreshAt); d >= time.Millisecond && t.Value != "" {
		if err := f.rdb.Set(ctx, tokKey, t.Value, d).Err(); err != nil {
			_ = f.down(ctx, "tokens", err)
		} else {
			f.health.ok()
		}
	}
	return t, nil
}

// Invalidate implements fleet.TokenStore: compare-and-delete in this
// process and in Redis.
func (s *TokenStore) Invalidate(ctx context.Context, key string, failed fleet.Token) error {
	f := s.f
	_ = f.memTokens.Invalidate(ctx, key, failed)
	if failed.Value == "" || !f.health.usable() {
		return nil
	}
	if err := compareAndDelete.Run(ctx, f.rdb, []string{f.key("token", key)}, failed.Value).Err(); err != nil {
		return f.down(ctx, "tokens", err)
	}
	f.health.ok()
	return nil
}

func lockOwner() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// DedupeStore is the shared fleet.DedupeStore: SET NX PX on
// <prefix>:dedupe:<key>.
type DedupeStore struct{ f *Fleet }

// Seen implements fleet.DedupeStore.
func (s *DedupeStore) Seen(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if err := fleet.CheckKey(key); err != nil {
		return false, err
	}
	if ttl <= 0 {
		return false, fmt.Errorf("banklink: dedupe ttl must be positive, got %v", ttl)
	}
	f := s.f
	if !f.health.usable() {
		return f.memDedupe.Seen(ctx, key, ttl)
	}
	set, err := f.rdb.SetNX(ctx, f.key("dedupe", key), "1", ttl).Result()
	if err != nil {
		if cerr := f.down(ctx, "dedupe", err); cerr != nil {
			return false, cerr
		}
		return f.memDedupe.Seen(ctx, key, ttl)
	}
	f.health.ok()
	return !set, nil
}

// Forget implements fleet.DedupeStore.
func (s *DedupeStore) Forget(ctx context.Context, key string) error {
	f := s.f
	_ = f.memDedupe.Forget(ctx, key)
	if !f.health.usable() {
		return nil
	}
	if err := f.rdb.Del(ctx, f.key("dedupe", key)).Err(); err != nil {
		return f.down(ctx, "dedupe", err)
	}
	f.health.ok()
	return nil
}

var (
	_ fleet.Limiter       = (*Limiter)(nil)
	_ fleet.CoolDownStore = (*CoolDownStore)(nil)
	_ fleet.TokenStore    = (*TokenStore)(nil)
	_ fleet.DedupeStore   = (*DedupeStore)(nil)
	_ fleet.Fleet         = (*Fleet)(nil)
)
