// Package redisfleet shares banklink's fleet-scale state through Redis, so
// that many instances of one application (pods, workers, cron jobs) draw on
// one rate budget, see one 429 cool-down and fetch one bearer token:
//
//	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
//	mk, err := facade.NewMoneyKit(redisfleet.With(rdb, "myapp"))
//
// It implements the four interfaces of package facade: Limiter (GCRA on the
// Redis server's clock, github.com/go-redis/redis_rate/v10), CoolDownStore,
// TokenStore and DedupeStore (plain commands and three short Lua scripts,
// each on one key, so Redis Cluster works too).
//
// # Keys and TTLs
//
// Every key carries the application's prefix; the scope and token keys carry
// a fingerprint of the base URL and client id (fleet.ScopeKey, fleet.TokenKey):
//
//	rate:<prefix>:<scope>            GCRA state; expires when the budget has refilled (at most Limit.Per + 5%)
//	<prefix>:cooldown:<scope>        "1"; expires when the 429 window ends (PX; only ever extended)
//	<prefix>:token:<token key>       the bearer token; expires when it is due for refresh, before the provider's expiry
//	<prefix>:token:<token key>:lock  a random owner id; held while one instance fetches (PX, 10s by default)
//	<prefix>:dedupe:<key>            "1"; expires after the ttl given to Seen
//
// The "rate:" prefix is fixed by redis_rate.
//
// Tokens stored in Redis are bearer secrets: anyone who can read the key can
// call the provider as the application until the token expires. Restrict
// access to the Redis instance (ACLs, TLS, a private network) as you would
// the client secret. Redis never holds the secret itself, and a token's TTL
// is never longer than its lifetime.
//
// # When Redis is unavailable
//
// A store whose Redis command fails (connection refused, timeout, a
// read-only replica) serves that call from in-process state instead, exactly
// as a single instance does without redisfleet, and the fleet skips Redis
// for ProbeInterval (1s by default) before trying again, so an outage costs
// each instance at most one failed command per interval. It logs one warning
// per LogInterval (1 minute by default) while Redis stays down, and one line
// when it answers again. During an outage each instance keeps its own budget
// and cool-downs and may fetch its own token, and a webhook delivered to two
// instances may be handled twice: the provider's own limits stay the
// backstop. Only the caller's context ending is returned as an error.
//
// Bound how long a dead Redis can hold a call by setting the go-redis
// client's DialTimeout and ReadTimeout (or ContextTimeoutEnabled with a
// deadline on the caller's context); go-redis defaults to 5s and 3s.
package redisfleet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/fleet"
)

// Defaults for the settings below.
const (
	DefaultLockTTL       = 10 * time.Second
	DefaultProbeInterval = time.Second
	DefaultLogInterval   = time.Minute
)

// Option adjusts a Fleet.
type Option func(*settings)

type settings struct {
	logger        *slog.Logger
	lockTTL       time.Duration
	probeInterval time.Duration
	logInterval   time.Duration
	errs          []error
}

// WithLogger logs Redis outages (at warn) and recoveries (at info) to l.
// Without it the fleet logs to slog.Default(). Log lines name the store and
// the error, never a key or a token.
func WithLogger(l *slog.Logger) Option {
	return func(s *settings) {
		if l == nil {
			s.errs = append(s.errs, errors.New("redisfleet: WithLogger(nil)"))
			return
		}
		s.logger = l
	}
}

// WithLockTTL sets how long one instance may hold the token-fetch lock before
// another may take over (if the holder died). Default 10s.
func WithLockTTL(d time.Duration) Option {
	return func(s *settings) {
		if d <= 0 {
			s.errs = append(s.errs, fmt.Errorf("redisfleet: lock TTL must be positive, got %v", d))
			return
		}
		s.lockTTL = d
	}
}

// WithProbeInterval sets how long the fleet serves from memory after a
// failed Redis command before it tries Redis again. Default 1s.
func WithProbeInterval(d time.Duration) Option {
	return func(s *settings) {
		if d <= 0 {
			s.errs = append(s.errs, fmt.Errorf("redisfleet: probe interval must be positive, got %v", d))
			return
		}
		s.probeInterval = d
	}
}

// WithLogInterval sets how often an ongoing outage is logged. Default 1 minute.
func WithLogInterval(d time.Duration) Option {
	return func(s *settings) {
		if d <= 0 {
			s.errs = append(s.errs, fmt.Errorf("redisfleet: log interval must be positive, got %v", d))
			return
		}
		s.logInterval = d
	}
}

// Fleet is the Redis-backed set of stores for one application prefix. It is
// safe for concurrent use; share one between all clients of a process.
type Fleet struct {
	rdb    redis.UniversalClient
	prefix string
	rate   *redis_rate.Limiter
	set    settings
	health health

	// In-process state: the fallback during an outage, and the local
	// copy of the shared token.
	memLimiter *fleet.MemoryLimiter
	memCool    *fleet.MemoryCoolDownStore
	memTokens  *fleet.MemoryTokenStore
	memDedupe  *fleet.MemoryDedupeStore

	limiter *Limiter
	cool    *CoolDownStore
	tokens  *TokenStore
	dedupe  *DedupeStore
}

// New returns the stores for prefix on rdb. prefix separates applications
// (and environments) sharing one Redis: use one per application, such as
// "myapp" or "myapp-staging".
func New(rdb redis.UniversalClient, prefix string, opts ...Option) (*Fleet, error) {
	if rdb == nil {
		return nil, errors.New("redisfleet: nil Redis client")
	}
	if prefix == "" {
		return nil, errors.New("redisfleet: prefix must not be empty")
	}
	if strings.ContainsFunc(prefix, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return nil, errors.New("redisfleet: prefix must not contain spaces or control characters")
	}
	f := &Fleet{
		rdb:    rdb,
		prefix: prefix,
		rate:   redis_rate.NewLimiter(rdb),
		set: settings{
			lockTTL:       DefaultLockTTL,
			probeInterval: DefaultProbeInterval,
			logInterval:   DefaultLogInterval,
		},
		memLimiter: fleet.NewMemoryLimiter(),
		memCool:    fleet.NewMemoryCoolDownStore(),
		memTokens:  fleet.NewMemoryTokenStore(),
		memDedupe:  fleet.NewMemoryDedupeStore(),
	}
	for _, o := range opts {
		if o != nil {
			o(&f.set)
		}
	}
	if len(f.set.errs) > 0 {
		return nil, errors.Join(f.set.errs...)
	}
	logger := f.set.logger
	if logger == nil {
		logger = slog.Default()
	}
	f.health = health{logger: logger, probe: f.set.probeInterval, every: f.set.logInterval}
	f.limiter = &Limiter{f}
	f.cool = &CoolDownStore{f}
	f.tokens = &TokenStore{f: f}
	f.dedupe = &DedupeStore{f}
	return f, nil
}

// With turns the fleet on for a facade client: facade.NewMoneyKit(redisfleet.With(rdb, "myapp")).
// An invalid client or prefix makes the constructor fail. Each call builds
// its own Fleet; to share one between clients, use New and facade.WithFleet.
func With(rdb redis.UniversalClient, prefix string, opts ...Option) facade.Option {
	f, err := New(rdb, prefix, opts...)
	if err != nil {
		return facade.WithFleet(failed{err})
	}
	return facade.WithFleet(f)
}

type failed struct{ err error }

func (e failed) FleetStores() (fleet.Limiter, fleet.CoolDownStore, fleet.TokenStore, error) {
	return nil, nil, nil, e.err
}

// FleetStores implements fleet.Fleet.
func (f *Fleet) FleetStores() (fleet.Limiter, fleet.CoolDownStore, fleet.TokenStore, error) {
	return f.limiter, f.cool, f.tokens, nil
}

// Limiter returns the shared rate limiter.
func (f *Fleet) Limiter() *Limiter { return f.limiter }

// CoolDowns returns the shared 429 cool-down store.
func (f *Fleet) CoolDowns() *CoolDownStore { return f.cool }

// Tokens returns the shared token store.
func (f *Fleet) Tokens() *TokenStore { return f.tokens }

// Dedupe returns the shared webhook dedupe store.
func (f *Fleet) Dedupe() *DedupeStore { return f.dedupe }

func (f *Fleet) key(kind, k string) string { return f.prefix + ":" + kind + ":" + k }

// down decides whether err from a Redis command means "serve from memory":
// anything but the caller's context ending. It returns the caller's error
// when that ended, and nil when the call should fall back.
func (f *Fleet) down(ctx context.Context, store string, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	f.health.failed(store, err)
	return nil
}

// health tracks whether Redis answers: after a failure, calls skip Redis
// until the probe interval has passed, and outages are logged once per
// log interval.
type health struct {
	logger *slog.Logger
	probe  time.Duration
	every  time.Duration

	mu        sync.Mutex
	downSince time.Time // zero while Redis answers
	skipUntil time.Time
	lastLog   time.Time
	fallbacks int // calls served from memory since the last log line
}

// usable reports whether the next call should try Redis. While it is down,
// it counts the call as served from memory.
func (h *health) usable() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.downSince.IsZero() {
		return true
	}
	if time.Now().Before(h.skipUntil) {
		h.fallbacks++
		return false
	}
	return true
}

func (h *health) failed(store string, err error) {
	now := time.Now()
	h.mu.Lock()
	h.fallbacks++
	if h.downSince.IsZero() {
		h.downSince = now
	}
	h.skipUntil = now.Add(h.probe)
	var n int
	logNow := h.lastLog.IsZero() || now.Sub(h.lastLog) >= h.every
	if logNow {
		h.lastLog, n, h.fallbacks = now, h.fallbacks, 0
	}
	since := h.downSince
	h.mu.Unlock()
	if logNow {
		h.logger.LogAttrs(context.Background(), slog.LevelWarn, "banklink: redis unavailable; serving fleet state from this process",
			slog.String("store", store), slog.String("error", err.Error()),
			slog.Duration("down_for", now.Sub(since)), slog.Int("fallbacks", n))
	}
}

// ok records that a Redis command succeeded.
func (h *health) ok() {
	h.mu.Lock()
	if h.downSince.IsZero() {
		h.mu.Unlock()
		return
	}
	since, n := h.downSince, h.fallbacks
	h.downSince, h.skipUntil, h.lastLog, h.fallbacks = time.Time{}, time.Time{}, time.Time{}, 0
	h.mu.Unlock()
	h.logger.LogAttrs(context.Background(), slog.LevelInfo, "banklink: redis reachable again; fleet state is shared",
		slog.Duration("down_for", time.Since(since)), slog.Int("fallbacks", n))
}
