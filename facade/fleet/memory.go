package fleet

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// minSweep is the number of keys an in-memory store holds before it first
// drops the ones that no longer matter; after each sweep the threshold
// becomes twice what is left, so sweeping costs O(1) per call amortised and
// a store's memory follows its live keys, not every key it ever saw.
const minSweep = 1024

// sweeper decides when a map is due for a sweep.
type sweeper struct{ at int }

func (s *sweeper) due(n int) bool { return n >= max(s.at, minSweep) }
func (s *sweeper) done(n int)     { s.at = 2 * n }

// MemoryLimiter is the in-process Limiter: a token bucket per key
// (golang.org/x/time/rate), paced as Limit.Pacing describes. It counts only
// this process's calls.
type MemoryLimiter struct {
	now func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	sweep   sweeper
}

type bucket struct {
	limit Limit
	burst int
	lim   *rate.Limiter
}

// NewMemoryLimiter returns an empty in-process limiter.
func NewMemoryLimiter() *MemoryLimiter {
	return &MemoryLimiter{now: time.Now, buckets: map[string]*bucket{}}
}

// Allow implements Limiter.
func (m *MemoryLimiter) Allow(ctx context.Context, key string, l Limit, n int) (time.Duration, error) {
	if err := CheckAllow(l, n); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	b := m.buckets[key]
	if b == nil || b.limit != l {
		if b == nil && m.sweep.due(len(m.buckets)) {
			m.sweepLocked(now)
		}
		burst, interval := l.Pacing()
		b = &bucket{limit: l, burst: burst, lim: rate.NewLimiter(rate.Every(interval), burst)}
		m.buckets[key] = b
	}
	if b.lim.AllowN(now, n) {
		return 0, nil
	}
	_, interval := l.Pacing()
	short := float64(n) - b.lim.TokensAt(now)
	return time.Duration(math.Ceil(short * float64(interval))), nil
}

// sweepLocked drops buckets that have refilled: they hold nothing a new
// bucket would not.
func (m *MemoryLimiter) sweepLocked(now time.Time) {
	for k, b := range m.buckets {
		if b.lim.TokensAt(now) >= float64(b.burst) {
			delete(m.buckets, k)
		}
	}
	m.sweep.done(len(m.buckets))
}

// MemoryCoolDownStore is the in-process CoolDownStore: a "blocked until"
// time per key, on this process's clock.
type MemoryCoolDownStore struct {
	now func() time.Time

	mu    sync.Mutex
	until map[string]time.Time
	sweep sweeper
}

// NewMemoryCoolDownStore returns an empty in-process cool-down store.
func NewMemoryCoolDownStore() *MemoryCoolDownStore {
	return &MemoryCoolDownStore{now: time.Now, until: map[string]time.Time{}}
}

// Extend implements CoolDownStore.
func (m *MemoryCoolDownStore) Extend(ctx context.Context, key string, d time.Duration) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	now := m.now()
	t := now.Add(d)
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.until[key]
	if ok && !cur.Before(t) {
		return nil
	}
	if !ok && m.sweep.due(len(m.until)) {
		for k, u := range m.until {
			if !u.After(now) {
				delete(m.until, k)
			}
		}
		m.sweep.done(len(m.until))
	}
	m.until[key] = t
	return nil
}

// Idle reports that the store holds no window at all, so a call need not
// resolve its scope keys to ask.
func (m *MemoryCoolDownStore) Idle() bool {
	m.mu.Lock()
	n := len(m.until)
	m.mu.Unlock()
	return n == 0
}

// Remaining implements CoolDownStore.
func (m *MemoryCoolDownStore) Remaining(ctx context.Context, key string) (time.Duration, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.until[key]
	if !ok {
		return 0, nil
	}
	if !u.After(now) {
		// A window that has ended is dropped, so the store is idle again
		// once every window has (and calls skip it).
		delete(m.until, key)
		return 0, nil
	}
	return u.Sub(now), nil
}

// MemoryTokenStore is the in-process TokenStore: one token per key, fetched
// once however many callers ask at the same time (a FetchGroup).
type MemoryTokenStore struct {
	now     func() time.Time
	flights FetchGroup

	mu     sync.Mutex
	tokens map[string]Token
}

// NewMemoryTokenStore returns an empty in-process token store.
func NewMemoryTokenStore() *MemoryTokenStore {
	return &MemoryTokenStore{now: time.Now, tokens: map[string]Token{}}
}

// Cached returns key's token if it is fresh, without fetching.
func (m *MemoryTokenStore) Cached(key string) (Token, bool) {
	m.mu.Lock()
	t, ok := m.tokens[key]
	m.mu.Unlock()
	if ok && t.Fresh(m.now()) {
		return t, true
	}
	return Token{}, false
}

// Put caches t under key, replacing what was there; a token that is not
// fresh is not kept.
func (m *MemoryTokenStore) Put(key string, t Token) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !t.Fresh(m.now()) {
		delete(m.tokens, key)
		return
	}
	m.tokens[key] = t
}

// Get implements TokenStore. The fetch runs on a context that does not end
// with the first caller's (bounded at 60s), so one caller giving up does not
// fail the others waiting for the same token; it ends when the last of them
// has gone.
func (m *MemoryTokenStore) Get(ctx context.Context, key string, fetch TokenFetch) (Token, error) {
	if t, ok := m.Cached(key); ok {
		return t, nil
	}
	if err := CheckKey(key); err != nil {
		return Token{}, err
	}
	return m.flights.Do(ctx, key, func(fctx context.Context) (Token, error) {
		// A caller that raced with the previous flight finds its token here.
		if t, ok := m.Cached(key); ok {
			return t, nil
		}
		t, err := fetch(fctx)
		if err != nil {
			return Token{}, err
		}
		m.Put(key, t)
		return t, nil
	})
}

// FetchGroup runs one token fetch per key for the callers that ask at the
// same time, for TokenStore implementations. The fetch runs on a context of
// its own, bounded at 60 seconds, that ends when the last caller waiting
// for it has gone: one caller giving up does not fail the others, and no
// fetch runs on behind the retry loop after everyone left. The zero value
// is ready to use.
type FetchGroup struct {
	mu sync.Mutex
	m  map[string]*flight
}

type flight struct {
	done    chan struct{}
	tok     Token
	err     error
	waiters int
	cancel  context.CancelFunc
}

// tokenFetchTimeout bounds a token request made on behalf of waiting
// callers; each caller still stops waiting when its own context ends, and
// the request stops when the last of them has gone.
const tokenFetchTimeout = 60 * time.Second

// Do returns fn's token for key, running fn once for every caller that asks
// while it runs. An empty token is an error.
func (g *FetchGroup) Do(ctx context.Context, key string, fn TokenFetch) (Token, error) {
	if err := ctx.Err(); err != nil {
		return Token{}, err
	}
	g.mu.Lock()
	f := g.m[key]
	if f == nil {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), tokenFetchTimeout)
		f = &flight{done: make(chan struct{}), cancel: cancel}
		if g.m == nil {
			g.m = make(map[string]*flight)
		}
		g.m[key] = f
		go g.run(key, f, fctx, fn)
	}
	f.waiters++
	g.mu.Unlock()
	select {
	case <-f.done:
		return f.tok, f.err
	case <-ctx.Done():
		g.mu.Lock()
		f.waiters--
		if f.waiters == 0 {
			f.cancel()
			if g.m[key] == f {
				delete(g.m, key)
			}
		}
		g.mu.Unlock()
		return Token{}, ctx.Err()
	}
}

func (g *FetchGroup) run(key string, f *flight, ctx context.Context, fn TokenFetch) {
	t, err := fn(ctx)
	f.cancel()
	if err == nil && t.Value == "" {
		err = errors.New("banklink: token fetch returned an empty token")
	}
	if err != nil {
		t = Token{}
	}
	g.mu.Lock()
	if g.m[key] == f {
		delete(g.m, key)
	}
	f.tok, f.err = t, err
	g.mu.Unlock()
	close(f.done)
}

// Invalidate implements TokenStore.
func (m *MemoryTokenStore) Invalidate(ctx context.Context, key string, failed Token) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if t, ok := m.tokens[key]; ok && t.Value == failed.Value {
		delete(m.tokens, key)
	}
	return nil
}

// MemoryDedupeStore is the in-process DedupeStore: keys with an expiry, on
// this process's clock.
type MemoryDedupeStore struct {
	now func() time.Time

	mu    sync.Mutex
	until map[string]time.Time
	sweep sweeper
}

// NewMemoryDedupeStore returns an empty in-process dedupe store.
func NewMemoryDedupeStore() *MemoryDedupeStore {
	return &MemoryDedupeStore{now: time.Now, until: map[string]time.Time{}}
}

// Seen implements DedupeStore.
func (m *MemoryDedupeStore) Seen(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if err := CheckKey(key); err != nil {
		return false, err
	}
	if ttl <= 0 {
		return false, fmt.Errorf("banklink: dedupe ttl must be positive, got %v", ttl)
	}
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if u, ok := m.until[key]; ok && u.After(now) {
		return true, nil
	}
	if m.sweep.due(len(m.until)) {
		for k, u := range m.until {
			if !u.After(now) {
				delete(m.until, k)
			}
		}
		m.sweep.done(len(m.until))
	}
	m.until[key] = now.Add(ttl)
	return false, nil
}

// Forget implements DedupeStore.
func (m *MemoryDedupeStore) Forget(ctx context.Context, key string) error {
	m.mu.Lock()
	delete(m.until, key)
	m.mu.Unlock()
	return nil
}

var (
	_ Limiter       = (*MemoryLimiter)(nil)
	_ CoolDownStore = (*MemoryCoolDownStore)(nil)
	_ TokenStore    = (*MemoryTokenStore)(nil)
	_ DedupeStore   = (*MemoryDedupeStore)(nil)
)
