// Package fleet is for store implementers: the interfaces through which the
// instances of an application share rate-limit budgets, 429 cool-downs,
// bearer tokens and webhook deliveries, their in-memory implementations,
// and the key helpers. facade/redisfleet implements them on Redis. A user
// who only calls the APIs never needs this package: the clients use the
// in-memory stores by default, and facade.WithFleet takes a Fleet.
package fleet

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Fleet-scale state. A backend that runs as many instances (pods, workers,
// cron jobs) draws on one provider application's limits and one client's
// tokens. Four stores, each an interface owned by banklink, hold what those
// instances must agree on:
//
//   - Limiter: the documented budget of a scope ("15 requests a minute per
//     link"), so that no instance sends what the provider would refuse.
//   - CoolDownStore: the window a 429 opened on a scope, seen by every instance.
//   - TokenStore: the cached bearer token per base URL, client id and OAuth2
//     scope, fetched once for everyone that shares the store.
//   - DedupeStore: webhook deliveries already handled.
//
// The in-memory implementations (NewMemoryLimiter, NewMemoryCoolDownStore,
// NewMemoryTokenStore, NewMemoryDedupeStore) keep that state in one process,
// which is what a single instance needs. Package facade/redisfleet shares it
// through Redis.

// Limit is a documented rate limit: at most Requests calls in any window of
// length Per (the spec's x-banklink-rate-limits).
//
// Limiters pace a limit as GCRA (equivalently, a token bucket) with burst
// Burst and one more call allowed every Interval. Any Requests+1 consecutive
// calls a limiter lets through then span at least Per plus 5%, so the
// strictest reading of the provider's limit (a sliding window) holds, with a
// margin for network delay and clock skew between banklink and the provider.
// The default burst is half the budget, rounded up: a cold scope lets half
// its budget through at once and the rest over the window. The price of
// never overrunning a sliding window is that a sustained stream runs at
// about half the published rate; Burst = Requests trades that the other way
// (the whole budget at once, then one call per Per).
type Limit struct {
	Requests int
	Per      time.Duration
	// Burst is how many calls a cold scope lets through at once, 1 to
	// Requests; 0 means (Requests+1)/2 rounded up.
	Burst int
}

// limitMargin is the share of Per added to the span of Requests+1 paced calls.
const limitMargin = 20 // Per/20 = 5%

// Validate reports a limit no limiter can pace, naming the field and the rule.
func (l Limit) Validate() error {
	switch {
	case l.Requests <= 0:
		return fmt.Errorf("banklink: Limit.Requests must be positive, got %d", l.Requests)
	case l.Per <= 0:
		return fmt.Errorf("banklink: Limit.Per must be positive, got %v", l.Per)
	case l.Burst < 0 || l.Burst > l.Requests:
		return fmt.Errorf("banklink: Limit.Burst must be between 0 and Requests (%d), got %d", l.Requests, l.Burst)
	}
	return nil
}

// Pacing returns the GCRA parameters a limiter uses for l: how many calls a
// cold scope lets through at once, and the interval after which one more
// call is allowed. l must be valid.
func (l Limit) Pacing() (burst int, interval time.Duration) {
	burst = l.Burst
	if burst == 0 {
		burst = (l.Requests + 2) / 2 // ceil((Requests+1)/2)
	}
	steady := l.Requests + 1 - burst // calls after the burst within one span
	return burst, (l.Per + l.Per/limitMargin) / time.Duration(steady)
}

// String describes the limit, e.g. "15 per 1m0s".
func (l Limit) String() string {
	if l.Burst != 0 {
		return fmt.Sprintf("%d per %v (burst %d)", l.Requests, l.Per, l.Burst)
	}
	return fmt.Sprintf("%d per %v", l.Requests, l.Per)
}

// Limiter decides whether a call may go now on a scope's budget.
// Implementations must be safe for concurrent use. A call under several
// limits (per link and per app) asks for each in turn, tightest first; a
// slot taken on one is not given back if a later one says wait, which
// errs on the side of sending less.
type Limiter interface {
	// Allow asks whether a call costing n may go now on key under limit. If
	// it may, the call is counted and Allow returns 0. If not, nothing is
	// counted and Allow returns how long until it may. An invalid limit, or
	// a cost above the limit's burst (which could never go), is an error.
	Allow(ctx context.Context, key string, limit Limit, n int) (wait time.Duration, err error)
}

// CoolDownStore records the window a 429 opened on a scope. Implementations
// must be safe for concurrent use.
type CoolDownStore interface {
	// Extend makes key's cool-down last at least d from now. A window that
	// already runs longer is kept: windows only move forward.
	Extend(ctx context.Context, key string, d time.Duration) error
	// Remaining is how long key's cool-down still runs; 0 when there is none.
	Remaining(ctx context.Context, key string) (time.Duration, error)
}

// Token is a cached bearer access token.
//
// Value is a bearer secret: whoever holds it may call the provider as the
// application until it expires. Token's String, GoString and LogValue
// methods never show it.
type Token struct {
	Value string
	// RefreshAt is the moment (on this process's clock) from which the token
	// is due to be replaced, a margin before the provider's expiry.
	RefreshAt time.Time
}

// Fresh reports whether t holds a token that is not yet due for refresh at now.
func (t Token) Fresh(now time.Time) bool { return t.Value != "" && now.Before(t.RefreshAt) }

func (t Token) String() string {
	return "Token{Value:[redacted], RefreshAt:" + t.RefreshAt.Format(time.RFC3339) + "}"
}

// GoString keeps %#v from printing the token.
func (t Token) GoString() string { return t.String() }

// LogValue keeps slog from printing the token.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(slog.String("value", "[redacted]"), slog.Time("refresh_at", t.RefreshAt))
}

// TokenFetch gets a fresh token from the provider's token endpoint.
type TokenFetch func(ctx context.Context) (Token, error)

// TokenStore caches bearer tokens. Keys come from TokenKey: a hash of the
// base URL, client id and OAuth2 scope, never the secret. Implementations
// must be safe for concurrent use.
type TokenStore interface {
	// Get returns key's token if it is fresh. Otherwise it fetches one
	// through fetch, once for everyone sharing the store: concurrent callers
	// wait for that fetch's result (each no longer than its own ctx) instead
	// of fetching their own.
	Get(ctx context.Context, key string, fetch TokenFetch) (Token, error)
	// Invalidate drops key's token only if it is still failed (the token the
	// provider just refused), so one rejected token leads to one refetch in
	// total, and a fresh token another caller stored meanwhile is kept.
	Invalidate(ctx context.Context, key string, failed Token) error
}

// DedupeStore remembers webhook deliveries. Implementations must be safe for
// concurrent use.
type DedupeStore interface {
	// Seen records key for ttl if it is not recorded yet, and reports whether
	// it already was. Exactly one of several concurrent callers with the
	// same key gets false.
	Seen(ctx context.Context, key string, ttl time.Duration) (seen bool, err error)
	// Forget drops key, for a delivery whose handling failed, so that the
	// provider's redelivery is handled instead of being taken for a repeat.
	Forget(ctx context.Context, key string) error
}

// Fleet supplies the stores that many instances of an application share;
// facade/redisfleet implements it. FleetStores' error reports stores that
// could not be set up, which makes the client's constructor fail.
type Fleet interface {
	FleetStores() (Limiter, CoolDownStore, TokenStore, error)
}

// Scope kinds: what a documented limit is counted by.
const (
	ScopeClient = "client" // the API client (credentials)
	ScopeApp    = "app"    // the application
	ScopeUser   = "user"   // one end user (customer_user.id)
	ScopeLink   = "link"   // one link
)

// Fingerprint identifies an application's credentials without revealing
// them: a hash of the base URL and client id. It keeps two applications, or
// one application's sandbox and production, from sharing budgets and
// tokens when they share a store.
func Fingerprint(baseURL, clientID string) string {
	return shortHash(baseURL, clientID)
}

// ScopeKey names a budget or cool-down scope:
//
//	<provider>:<fingerprint>:<operation>:<kind>[:<id>]
//
// for example "moneykit:3f9a1c2b7d4e5f60:getLink:link:mk_123". Each
// documented limit is per operation, so the operation is part of the key.
// Link ids, which the provider issues, appear as they are; user ids, which
// the merchant chooses and which may be an email address, are hashed.
// Client and app scopes take no id.
func ScopeKey(p string, fingerprint, operation, kind, id string) string {
	var b strings.Builder
	b.Grow(len(p) + len(fingerprint) + len(operation) + len(kind) + len(id) + 4)
	b.WriteString(string(p))
	b.WriteByte(':')
	b.WriteString(fingerprint)
	b.WriteByte(':')
	b.WriteString(operation)
	b.WriteByte(':')
	b.WriteString(kind)
	if id != "" {
		if kind == ScopeUser {
			id = shortHash(id)
		}
		b.WriteByte(':')
		b.WriteString(id)
	}
	return b.String()
}

// TokenKey names the cached token of one base URL, client id and OAuth2
// scope ("" when the provider has one token for every call): a hash of the
// three, never the secret, so that two token endpoints, or two clients of
// one endpoint, never share a token.
func TokenKey(p, baseURL, clientID, scope string) string {
	return string(p) + ":token:" + shortHash(baseURL, clientID, scope)
}

// shortHash is the first 64 bits of SHA-256 over the parts, NUL-separated, in hex.
func shortHash(parts ...string) string {
	h := sha256.New()
	for i, p := range parts {
		if i > 0 {
			h.Write([]byte{0})
		}
		h.Write([]byte(p))
	}
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:8])
}

// errCost is returned for a cost no limit could admit.
func errCost(n int, l Limit) error {
	burst, _ := l.Pacing()
	if n <= 0 {
		return fmt.Errorf("banklink: limiter cost must be positive, got %d", n)
	}
	return fmt.Errorf("banklink: limiter cost %d exceeds the burst %d of limit %v", n, burst, l)
}

// CheckAllow validates Limiter.Allow's arguments for implementations: the
// limit must be valid and the cost between 1 and the limit's burst.
func CheckAllow(l Limit, n int) error {
	if err := l.Validate(); err != nil {
		return err
	}
	if burst, _ := l.Pacing(); n <= 0 || n > burst {
		return errCost(n, l)
	}
	return nil
}

// errNoKey is returned by stores given an empty key.
var errNoKey = errors.New("banklink: store key must not be empty")

// CheckKey validates a store key for implementations.
func CheckKey(key string) error {
	if key == "" {
		return errNoKey
	}
	return nil
}

// MemoryStores returns the in-memory limiter, cool-down store and token
// store on the clock now (time.Now when nil): what a client uses when no
// Fleet is given. A fake clock makes them testable without waiting.
func MemoryStores(now func() time.Time) (*MemoryLimiter, *MemoryCoolDownStore, *MemoryTokenStore) {
	if now == nil {
		now = time.Now
	}
	l, c, t := NewMemoryLimiter(), NewMemoryCoolDownStore(), NewMemoryTokenStore()
	l.now, c.now, t.now = now, now, now
	return l, c, t
}
